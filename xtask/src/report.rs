//! Grading a chapter (build its crate, run its tests, give each a verdict) and showing the
//! result: as lines for people, or as JSON for autograders.

use std::time::Duration;

use anyhow::{Result, ensure};
use serde_json::{Value, json};

use crate::cargo::{self, Build};
use crate::libtest;
use crate::results::{self, Standing};
use crate::shell::{self, Shell, Tone};
use crate::verdict::{self, Verdict};
use crate::workbook::{Chapter, STUDENT_COPY, Workbook, slash};

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
    let source =
        std::fs::read_to_string(workbook.root.join(chapter.tests_file())).unwrap_or_default();
    let worth = declared_tests(&source)
        .iter()
        .map(|name| chapter.points_for(name))
        .sum();
    if !workbook.root.join(&dir).join("Cargo.toml").is_file() {
        // One missing chapter is that chapter's problem; the others are graded as usual.
        let report = ChapterReport {
            chapter,
            side,
            graded: Graded::Broken(vec![format!(
                "{} is missing, though {} lists it for {}",
                slash(&dir),
                crate::workbook::MANIFEST,
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
    let declared = declared_tests(&source);
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
        let name = full_name.rsplit("::").next().unwrap_or(full_name);
        source.find(&format!("fn {name}(")).unwrap_or(usize::MAX)
    });
    let functions = exercise_functions(&workbook.root.join(chapter.exercise_dir()).join("src"));
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

/// The `#[test]` functions of a test file, by name, without compiling it: what a chapter is
/// worth when the student's code does not compile.
pub fn declared_tests(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut after_test_attribute = false;
    for line in source.lines() {
        let line = line.trim();
        if line.starts_with("#[test]") {
            after_test_attribute = true;
        } else if after_test_attribute && let Some(at) = line.find("fn ") {
            let rest = &line[at + 3..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            names.push(rest[..end].to_owned());
            after_test_attribute = false;
        }
    }
    names
}

/// The exercise's functions whose names have several words (`write_frame`), so a test name that
/// mentions one can show it as code. Read from every source file but the tests.
fn exercise_functions(src: &std::path::Path) -> Vec<String> {
    let mut functions = Vec::new();
    for entry in std::fs::read_dir(src).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("tests.rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        for (_, rest) in source
            .match_indices("fn ")
            .map(|(at, _)| source.split_at(at + 3))
        {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if name.contains('_') && !functions.contains(&name) {
                functions.push(name);
            }
        }
    }
    // The longest first, so `read_frame_header` wins over `read_frame`.
    functions.sort_by_key(|name| std::cmp::Reverse(name.len()));
    functions
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

/// The tone of a verdict's word.
fn tone(verdict: &Verdict) -> Tone {
    match verdict {
        Verdict::Passed => Tone::Good,
        Verdict::Todo { .. } | Verdict::Ignored => Tone::Pending,
        Verdict::Failed { .. } | Verdict::TimedOut { .. } | Verdict::Panicked { .. } => Tone::Bad,
    }
}

/// The compiler errors shown in full; the rest are counted.
const ERRORS_SHOWN: usize = 2;
/// The lines shown of each compiler error.
const ERROR_LINES: usize = 16;

/// Prints one graded chapter: a line per test, then the score.
pub fn print_chapter(shell: &mut Shell, report: &ChapterReport) {
    let chapter = report.chapter;
    shell.status(
        Tone::Good,
        "Checking",
        format!(
            "{} · {} {}",
            chapter.id,
            chapter.title,
            shell::dim(&format!("({})", slash(&report.crate_dir())))
        ),
    );
    match &report.graded {
        Graded::Broken(errors) => {
            shell.status(
                Tone::Bad,
                "broken",
                "it does not compile yet; the compiler says:",
            );
            for error in errors.iter().take(ERRORS_SHOWN) {
                let lines: Vec<&str> = error.lines().collect();
                shell.detail(
                    lines
                        .iter()
                        .take(ERROR_LINES)
                        .copied()
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
                if lines.len() > ERROR_LINES {
                    shell.note("…");
                }
                shell.line("");
            }
            if errors.len() > ERRORS_SHOWN {
                let more = errors.len() - ERRORS_SHOWN;
                shell.note(format!(
                    "… and {more} more error{}; fix these first, the rest often follow",
                    if more == 1 { "" } else { "s" }
                ));
            }
        }
        Graded::Tests(tests) => {
            for test in tests {
                shell.status(
                    tone(&test.verdict),
                    test.verdict.word(),
                    test.sentence.clone(),
                );
                if let Some(message) = test.verdict.message() {
                    shell.note(message);
                }
            }
        }
    }
}

/// Prints the score line and what to do next.
pub fn print_score(shell: &mut Shell, workbook: &Workbook, report: &ChapterReport) {
    let chapter = report.chapter;
    let total = report.tests().len();
    let (points, possible) = report.points();
    match &report.graded {
        Graded::Broken(_) => shell.status(
            Tone::Bad,
            "Score",
            format!(
                "no tests ran: {} must compile first",
                slash(&report.crate_dir())
            ),
        ),
        Graded::Tests(_) => {
            let points = if possible as usize == total {
                String::new()
            } else {
                format!(" ({points}/{possible} points)")
            };
            let tone = if report.all_passed() {
                Tone::Good
            } else {
                Tone::Bad
            };
            shell.status(
                tone,
                "Score",
                format!("{}/{total} tests passed{points}", report.passed()),
            );
        }
    }
    if report.side == Side::Solution {
        return;
    }
    if report.all_passed() {
        print_next(shell, workbook, chapter);
    } else {
        shell.status(
            Tone::Info,
            "Read",
            format!(
                "chapter {} of the book: {} builds it and opens it (its page is {})",
                chapter.number,
                shell::command("cargo xtask book --open"),
                slash(&chapter.book_page()),
            ),
        );
        shell.status(
            Tone::Info,
            "Stuck?",
            format!(
                "{} shows a hint",
                shell::command(&format!("cargo xtask hint {}", chapter.id))
            ),
        );
    }
}

/// After `chapter` passed: the first chapter that is not done yet, from the record of each
/// chapter's last check, so that grading one chapter never needs grading the others. When the
/// record changes the answer from simply the chapter after this one, a note says why.
fn print_next(shell: &mut Shell, workbook: &Workbook, chapter: &Chapter) {
    // Plain, not bold: it is inside a dimmed note.
    let again = "`cargo xtask check`";
    let Some((next, standing, skipped)) = results::next_unfinished(workbook, chapter) else {
        let message = if workbook.chapters.len() == 1 {
            format!(
                "{} is done, and it is the only chapter. Well done!",
                chapter.id
            )
        } else {
            format!(
                "{} is done, and so is every other chapter: each passed its last check. Well done!",
                chapter.id
            )
        };
        shell.status(Tone::Good, "Done", message);
        if workbook.chapters.len() > 1 {
            shell.note(format!(
                "(from the runner's record of last checks, {}; {again} checks every chapter again)",
                results::RECORD
            ));
        }
        return;
    };
    shell.status(
        Tone::Good,
        "Done",
        format!(
            "{} is done. Next: {} ({}), `cargo xtask check {}`",
            chapter.id, next.id, next.title, next.id
        ),
    );
    let plainly_next = workbook.next_after(chapter).map(|c| &c.id) == Some(&next.id);
    // The chapter after this one, never checked: the usual case, with nothing to explain.
    if plainly_next && standing == Standing::Unchecked {
        return;
    }
    let mut why = Vec::new();
    if !skipped.is_empty() {
        let ids: Vec<&str> = skipped.iter().map(|c| c.id.as_str()).collect();
        why.push(format!(
            "{} passed {} last check",
            and_list(&ids),
            if ids.len() == 1 { "its" } else { "their" }
        ));
    }
    why.push(format!("{} {}", next.id, standing.reason()));
    shell.note(format!(
        "the first chapter not done yet: {} (from the runner's record of last checks, {}; {again} \
         checks every chapter again)",
        why.join(", and "),
        results::RECORD
    ));
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// One graded chapter as JSON, for autograders.
pub fn to_json(report: &ChapterReport) -> Value {
    let (points, possible) = report.points();
    let tests: Vec<Value> = report
        .tests()
        .iter()
        .map(|test| {
            json!({
                "name": test.name,
                "verdict": test.verdict.word(),
                "message": test.verdict.message(),
                "points": if test.verdict == Verdict::Passed { test.points } else { 0 },
                "max_points": test.points,
            })
        })
        .collect();
    let errors = match &report.graded {
        Graded::Broken(errors) => errors.clone(),
        Graded::Tests(_) => Vec::new(),
    };
    json!({
        "chapter": report.chapter.id,
        "title": report.chapter.title,
        "side": report.side.word(),
        "compiled": errors.is_empty(),
        "compile_errors": errors,
        "tests": tests,
        "passed": report.passed(),
        "total": report.tests().len(),
        "points": points,
        "max_points": possible,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_tests_are_the_functions_under_a_test_attribute() {
        let source = "use super::*;\n\nfn helper() {}\n\n#[test]\nfn first() {}\n\n#[test]\n#[should_panic(expected = \"x\")]\npub fn second_one() -> Result<(), ()> { Ok(()) }\n\nmod nested {\n    #[test]\n    fn third() {}\n}\n";
        assert_eq!(declared_tests(source), ["first", "second_one", "third"]);
    }

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
