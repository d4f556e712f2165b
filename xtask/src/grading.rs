//! Grading a chapter: build one of its crates, run the tests of its test file, and give each a
//! verdict and its points. What a grading gave is a [`ChapterReport`]; showing it, to people or
//! as JSON, is [`crate::report`]'s work.

use std::time::Duration;

use anyhow::{Result, ensure};

use crate::cargo::{self, Build};
use crate::libtest;
use crate::results;
use crate::source;
use crate::verdict::{self, Verdict};
use crate::workbook::{Chapter, MANIFEST, STUDENT_COPY, Workbook, slash};

/// How long a test may run before the runner stops it.
#[derive(clap::Args, Clone, Copy)]
pub struct Limits {
    /// Seconds after which a test that is still running is stopped and reported as timed out.
    #[arg(long = "timeout", value_name = "SECONDS", default_value_t = 30)]
    timeout_secs: u64,
}

impl Limits {
    /// The time a test may take: at least a second.
    pub fn timeout(self) -> Duration {
        Duration::from_secs(self.timeout_secs.max(1))
    }
}

/// Which crate of a chapter is graded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    /// The student's exercise crate.
    Exercise,
    /// The reference solution.
    Solution,
}

impl Side {
    pub fn word(self) -> &'static str {
        match self {
            Side::Exercise => "exercise",
            Side::Solution => "solution",
        }
    }
}

/// The verdict on one test.
pub struct TestReport {
    /// The test function's name, as in the test file (`parses_an_ipv6_address`).
    pub name: String,
    /// The name as a sentence (`reads back what `write_frame` wrote`).
    pub sentence: String,
    pub verdict: Verdict,
    pub points: u32,
}

/// What grading a chapter's crate gave.
pub enum Graded {
    Tests(Vec<TestReport>),
    /// It does not compile: the compiler's errors.
    Broken(Vec<String>),
}

/// A graded chapter.
pub struct ChapterReport<'a> {
    pub chapter: &'a Chapter,
    pub side: Side,
    pub graded: Graded,
    /// The points the chapter is worth, counted from its test file, so that a chapter that does
    /// not compile still says what it is worth (an autograder must not shrink the total).
    pub worth: u32,
}

impl ChapterReport<'_> {
    pub fn tests(&self) -> &[TestReport] {
        match &self.graded {
            Graded::Tests(tests) => tests,
            Graded::Broken(_) => &[],
        }
    }

    /// How many tests passed, and how many there are (none are known when it does not compile).
    pub fn passed(&self) -> usize {
        self.tests()
            .iter()
            .filter(|t| t.verdict == Verdict::Passed)
            .count()
    }

    pub fn points(&self) -> (u32, u32) {
        let earned = self
            .tests()
            .iter()
            .filter(|t| t.verdict == Verdict::Passed)
            .map(|t| t.points)
            .sum();
        let possible = match self.graded {
            Graded::Tests(_) => self.tests().iter().map(|t| t.points).sum(),
            Graded::Broken(_) => self.worth,
        };
        (earned, possible)
    }

    /// True when it compiles and every test passed.
    pub fn all_passed(&self) -> bool {
        matches!(self.graded, Graded::Tests(_)) && self.passed() == self.tests().len()
    }

    pub fn crate_dir(&self) -> std::path::PathBuf {
        match self.side {
            Side::Exercise => self.chapter.exercise_dir(),
            Side::Solution => self.chapter.solution_dir(),
        }
    }
}

/// A chapter as grading left it: its report, and why the runner could not grade it, if it could
/// not (the report then scores nothing, out of the chapter's worth).
pub struct Grading<'a> {
    pub report: ChapterReport<'a>,
    pub failure: Option<String>,
}

/// The text of `chapter`'s test file; empty when it cannot be read.
fn tests_source(workbook: &Workbook, chapter: &Chapter) -> String {
    chapter.tests_text(&|path| std::fs::read_to_string(workbook.root.join(path)).ok())
}

/// The points `chapter` is worth, counted from its test file without compiling anything.
pub fn worth(workbook: &Workbook, chapter: &Chapter) -> u32 {
    chapter.worth(&tests_source(workbook, chapter))
}

/// Builds and tests one side of a chapter. How the exercise did is remembered in the runner's
/// record of last checks (see [`results`]).
pub fn grade<'a>(
    workbook: &Workbook,
    chapter: &'a Chapter,
    side: Side,
    timeout: Duration,
) -> Result<ChapterReport<'a>> {
    ensure!(
        side == Side::Exercise || chapter.has_solution(),
        "{STUDENT_COPY}, so there is no solution of {} to grade",
        chapter.id
    );
    let (package, dir) = match side {
        Side::Exercise => (&chapter.exercise, chapter.exercise_dir()),
        Side::Solution => (&chapter.solution, chapter.solution_dir()),
    };
    // In the order of the test file, which is the order in which a student meets them.
    let declared = source::declared_tests(&tests_source(workbook, chapter));
    let worth = declared.iter().map(|name| chapter.points_for(name)).sum();
    if !workbook.root.join(&dir).join("Cargo.toml").is_file() {
        // One missing chapter is that chapter's problem; the others are graded as usual.
        let report = ChapterReport {
            chapter,
            side,
            graded: Graded::Broken(vec![format!(
                "{} is missing, though {MANIFEST} lists it for {}",
                slash(&dir),
                chapter.id
            )]),
            worth,
        };
        return Ok(report);
    }
    let program = match cargo::build_tests(&workbook.root, package)? {
        Build::Broken(errors) => {
            let report = ChapterReport {
                chapter,
                side,
                graded: Graded::Broken(errors),
                worth,
            };
            results::record(workbook, &report);
            return Ok(report);
        }
        Build::Ready(program) => program,
    };
    let crate_dir = workbook.root.join(dir);
    // Only the tests of the chapter's test file are graded: a test written anywhere else earns
    // nothing, and one of the file's tests that the program lacks is a failure.
    let last = |full_name: &str| {
        full_name
            .rsplit("::")
            .next()
            .unwrap_or(full_name)
            .to_owned()
    };
    let mut names: Vec<String> = libtest::list(&program, &crate_dir)?
        .into_iter()
        .filter(|full_name| full_name.starts_with("tests::") && declared.contains(&last(full_name)))
        .collect();
    let run = libtest::run(&program, &crate_dir, &names, timeout)?;
    let missing: Vec<String> = declared
        .iter()
        .filter(|name| !names.iter().any(|full_name| last(full_name) == **name))
        .map(|name| format!("tests::{name}"))
        .collect();
    names.extend(missing.iter().cloned());
    names.sort_by_key(|full_name| {
        let name = last(full_name);
        declared
            .iter()
            .position(|declared| *declared == name)
            .unwrap_or(usize::MAX)
    });
    let functions =
        source::multi_word_functions(&workbook.root.join(chapter.exercise_dir()).join("src"));
    let tests = names
        .iter()
        .map(|full_name| {
            let name = full_name
                .strip_prefix("tests::")
                .unwrap_or(full_name)
                .to_owned();
            let verdict = if missing.contains(full_name) {
                Verdict::Failed {
                    message: format!(
                        "the test program has no test `{name}`, though {} defines it: keep \
                         `#[cfg(test)] mod tests;` at the end of src/lib.rs, unchanged",
                        slash(&chapter.tests_file())
                    ),
                }
            } else {
                verdict::classify(full_name, &run, &workbook.root, timeout)
            };
            TestReport {
                sentence: readable(&name, &functions),
                verdict,
                points: chapter.points_for(&name),
                name,
            }
        })
        .collect();
    let report = ChapterReport {
        chapter,
        side,
        graded: Graded::Tests(tests),
        worth,
    };
    results::record(workbook, &report);
    Ok(report)
}

/// Grades each of `chapters` on its own, after building those that are there all at once (which
/// is quicker than one by one). A chapter that cannot be graded costs its own points, never the
/// others'.
pub fn grade_each<'a>(
    workbook: &Workbook,
    chapters: &[&'a Chapter],
    side: Side,
    timeout: Duration,
) -> Vec<Grading<'a>> {
    if chapters.len() > 1 {
        // A package that is missing would stop cargo before it builds anything.
        let packages: Vec<&str> = chapters
            .iter()
            .map(|c| match side {
                Side::Exercise => (c.exercise.as_str(), c.exercise_dir()),
                Side::Solution => (c.solution.as_str(), c.solution_dir()),
            })
            .filter(|(_, dir)| workbook.root.join(dir).join("Cargo.toml").is_file())
            .map(|(package, _)| package)
            .collect();
        cargo::warm(&workbook.root, &packages);
    }
    chapters
        .iter()
        .map(|&chapter| match grade(workbook, chapter, side, timeout) {
            Ok(report) => Grading {
                report,
                failure: None,
            },
            Err(error) => {
                let failure = format!("{error:#}");
                Grading {
                    report: ChapterReport {
                        chapter,
                        side,
                        graded: Graded::Broken(vec![format!(
                            "the runner could not grade it: {failure}"
                        )]),
                        worth: worth(workbook, chapter),
                    },
                    failure: Some(failure),
                }
            }
        })
        .collect()
}

/// A test's name as a sentence: `reads_back_what_write_frame_wrote` becomes
/// "reads back what `write_frame` wrote" when `write_frame` is one of `functions`; a nested
/// module is kept as a prefix (`framing: keeps a line`).
pub fn readable(name: &str, functions: &[String]) -> String {
    let words: Vec<&str> = name.split("::").last().unwrap_or(name).split('_').collect();
    let mut sentence: Vec<String> = Vec::new();
    let mut at = 0;
    while at < words.len() {
        let found = functions.iter().find(|function| {
            let parts: Vec<&str> = function.split('_').collect();
            words[at..].starts_with(&parts)
        });
        match found {
            Some(function) => {
                sentence.push(format!("`{function}`"));
                at += function.split('_').count();
            }
            None => {
                sentence.push(words[at].to_owned());
                at += 1;
            }
        }
    }
    let modules: Vec<&str> = name.split("::").collect();
    let prefix: String = modules[..modules.len() - 1]
        .iter()
        .map(|m| format!("{m}: "))
        .collect();
    format!("{prefix}{}", sentence.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_name_reads_as_a_sentence_with_the_functions_it_names_as_code() {
        let functions = ["read_frame_header", "write_frame", "read_frame"].map(String::from);
        assert_eq!(
            readable("reads_back_what_write_frame_wrote", &functions),
            "reads back what `write_frame` wrote"
        );
        assert_eq!(
            readable("read_frame_header_first", &functions),
            "`read_frame_header` first"
        );
        assert_eq!(
            readable("framing::keeps_a_line", &functions),
            "framing: keeps a line"
        );
        assert_eq!(readable("write_the_frame", &functions), "write the frame");
    }
}
