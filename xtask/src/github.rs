//! `cargo xtask check --format github`: the grading of a GitHub Actions run, reported by the
//! runner itself, in place of GitHub Classroom's reporter action (deprecated, as Classroom is).
//!
//! It writes three things:
//!
//! - the log: each chapter's verdicts as `check` shows them, folded into a `::group::` whose
//!   title gives the chapter's score. GitHub's workflow commands are stopped inside a group, so
//!   nothing a test or the compiler printed can act as one;
//! - the run's summary: a Markdown table with one row per chapter (its tests passed and its
//!   points) and a total, then what failed and why, briefly. It is added to the file that
//!   `$GITHUB_STEP_SUMMARY` names, as GitHub Actions expects; outside GitHub Actions (the
//!   variable unset) it ends the log instead;
//! - the result GitHub Classroom reads, as Classroom's reporter wrote it: the annotations
//!   `::notice title=Autograding complete::Points 17/137` and
//!   `::notice title=Autograding report::{"totalPoints":17,"maxPoints":137}`.
//!
//! Unfinished work is no failure: the exit code is 0 whatever the score, or 1 when not every
//! test passes if `--fail-unfinished` asks for it. It is 2 when the runner could not grade a
//! chapter (cargo could not run, say), after everything else is reported: then the grader is
//! broken, not the student's work.

use std::fmt::Write as _;
use std::hash::{BuildHasher, RandomState};
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::grading::{ChapterReport, Graded, Grading, TestReport};
use crate::report;
use crate::shell::{Shell, Tone};
use crate::verdict::Verdict;
use crate::workbook::{Workbook, slash};

/// The variable that names the run's summary file.
pub const SUMMARY_FILE: &str = "GITHUB_STEP_SUMMARY";

/// The failed tests the summary names, per chapter; the rest are counted.
const FAILURES_SHOWN: usize = 5;
/// The longest message the summary shows, in characters.
const MESSAGE_CHARS: usize = 200;

/// Where a graded chapter stands, in a word.
#[derive(Debug, PartialEq, Eq)]
enum State {
    /// It compiled and its tests ran.
    Tests { passed: usize, total: usize },
    /// Its exercise folder is not there.
    Missing,
    /// It does not compile.
    Broken,
    /// The runner could not grade it.
    Ungraded,
}

fn state(workbook: &Workbook, grading: &Grading) -> State {
    let report = &grading.report;
    match &report.graded {
        _ if grading.failure.is_some() => State::Ungraded,
        Graded::Tests(tests) => State::Tests {
            passed: report.passed(),
            total: tests.len(),
        },
        Graded::Broken(_) => {
            let manifest = workbook.root.join(report.crate_dir()).join("Cargo.toml");
            if manifest.is_file() {
                State::Broken
            } else {
                State::Missing
            }
        }
    }
}

impl State {
    /// The "tests passed" column: `3/5`, or why there is no count.
    fn tests(&self) -> String {
        match self {
            State::Tests { passed, total } => format!("{passed}/{total}"),
            State::Missing => "missing".to_owned(),
            State::Broken => "does not compile".to_owned(),
            State::Ungraded => "could not be graded".to_owned(),
        }
    }

    /// The same, as a phrase for the log: `3/5 tests passed`.
    fn phrase(&self) -> String {
        match self {
            State::Tests { passed, total } => format!("{passed}/{total} tests passed"),
            other => other.tests(),
        }
    }
}

/// Reports `gradings` for GitHub Actions (see the module's documentation); true unless
/// `fail_unfinished` and some test does not pass.
pub fn report(
    workbook: &Workbook,
    shell: &Shell,
    gradings: &[Grading],
    fail_unfinished: bool,
) -> Result<bool> {
    let token = stop_token();
    for grading in gradings {
        let report = &grading.report;
        let (points, possible) = report.points();
        let state = state(workbook, grading);
        let title = format!(
            "{} · {}: {}, {points}/{possible} points",
            report.chapter.id,
            report.chapter.title,
            state.phrase()
        );
        shell.line(format!("::group::{}", escape_data(&title)));
        shell.line(format!("::stop-commands::{token}"));
        match (&state, &report.graded) {
            // Nothing was compiled: say why, not what a compiler would.
            (State::Missing | State::Ungraded, Graded::Broken(why)) => {
                for why in why {
                    shell.status(Tone::Bad, "Not graded", why);
                }
            }
            _ => report::print_chapter(shell, report),
        }
        shell.line(format!("::{token}::"));
        shell.line("::endgroup::");
    }

    let (earned, possible) = totals(gradings);
    let width = gradings
        .iter()
        .map(|g| g.report.chapter.title.chars().count())
        .max()
        .unwrap_or(0);
    for grading in gradings {
        let report = &grading.report;
        let (points, worth) = report.points();
        let state = state(workbook, grading);
        let tone = match state {
            _ if report.all_passed() => Tone::Good,
            State::Tests { passed: 0, .. } => Tone::Pending,
            State::Tests { .. } => Tone::Info,
            _ => Tone::Bad,
        };
        shell.status(
            tone,
            "Graded",
            format!(
                "{:<4} {:<width$}  {:>7} points  ({})",
                report.chapter.id,
                report.chapter.title,
                format!("{points}/{worth}"),
                state.phrase()
            ),
        );
    }
    shell.status(Tone::Good, "Total", format!("{earned}/{possible} points"));
    let ungraded: Vec<&Grading> = gradings.iter().filter(|g| g.failure.is_some()).collect();
    for grading in &ungraded {
        shell.line(format!(
            "::error title={}::{}",
            escape_property(&format!(
                "{} could not be graded",
                grading.report.chapter.id
            )),
            escape_data(grading.failure.as_deref().unwrap_or_default())
        ));
    }
    // What GitHub Classroom reads, exactly as its reporter action wrote it.
    shell.line(format!(
        "::notice title=Autograding complete::Points {earned}/{possible}"
    ));
    shell.line(format!(
        "::notice title=Autograding report::{{\"totalPoints\":{earned},\"maxPoints\":{possible}}}"
    ));

    let markdown = summary(workbook, gradings);
    match std::env::var_os(SUMMARY_FILE).filter(|path| !path.is_empty()) {
        Some(path) => append(Path::new(&path), &markdown)?,
        None => {
            shell.line("");
            shell.line(markdown.trim_end());
        }
    }

    if !ungraded.is_empty() {
        let ids: Vec<&str> = ungraded
            .iter()
            .map(|g| g.report.chapter.id.as_str())
            .collect();
        bail!(
            "the runner could not grade {}, which scored 0 (the log says why, above)",
            ids.join(", ")
        );
    }
    let all_passed = gradings.iter().all(|g| g.report.all_passed());
    Ok(all_passed || !fail_unfinished)
}

/// The points earned and possible over every chapter.
fn totals(gradings: &[Grading]) -> (u32, u32) {
    gradings
        .iter()
        .map(|g| g.report.points())
        .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
}

/// The run's summary, in Markdown: the table, then what failed.
fn summary(workbook: &Workbook, gradings: &[Grading]) -> String {
    let (earned, possible) = totals(gradings);
    let done = gradings.iter().filter(|g| g.report.all_passed()).count();
    let mut out = format!(
        "### Autograding: {earned}/{possible} points\n\n\
         | chapter | tests passed | points |\n\
         | :-- | --: | --: |\n"
    );
    for grading in gradings {
        let report = &grading.report;
        let (points, worth) = report.points();
        let _ = writeln!(
            out,
            "| {} · {} | {} | {points}/{worth} |",
            report.chapter.id,
            cell(&report.chapter.title),
            state(workbook, grading).tests()
        );
    }
    let _ = writeln!(
        out,
        "| **total** | {done} of {} chapters done | **{earned}/{possible}** |\n",
        gradings.len()
    );

    let failed: Vec<&Grading> = gradings.iter().filter(|g| !g.report.all_passed()).collect();
    if failed.is_empty() {
        out.push_str("Every test of every chapter passes.\n");
        return out;
    }
    out.push_str("**What failed**\n\n");
    for grading in failed {
        let report = &grading.report;
        let name = format!(
            "**{} · {}**",
            report.chapter.id,
            cell(&report.chapter.title)
        );
        let first_error = match &report.graded {
            Graded::Broken(errors) => errors.first().map(|e| compiler_error(e)),
            Graded::Tests(_) => None,
        }
        .unwrap_or_default();
        match state(workbook, grading) {
            State::Missing => {
                let _ = writeln!(out, "- {name} is missing: {first_error}");
            }
            State::Ungraded => {
                let failure = grading.failure.as_deref().unwrap_or_default();
                let _ = writeln!(
                    out,
                    "- {name} could not be graded (the runner failed): {}",
                    brief(failure)
                );
            }
            State::Broken => {
                let count = match &report.graded {
                    Graded::Broken(errors) if errors.len() > 1 => {
                        let more = errors.len() - 1;
                        format!(
                            " (and {more} more error{})",
                            if more == 1 { "" } else { "s" }
                        )
                    }
                    _ => String::new(),
                };
                let _ = writeln!(out, "- {name} does not compile: {first_error}{count}");
            }
            State::Tests { total, .. } => failures(&mut out, &name, report, total),
        }
    }
    out
}

/// What failed in a chapter that compiled: a line for the chapter, one for each failing test
/// (the first few), and the tests not written yet, counted.
fn failures(out: &mut String, name: &str, report: &ChapterReport, total: usize) {
    let unwritten = |t: &&TestReport| matches!(t.verdict, Verdict::Todo { .. });
    let todo = report.tests().iter().filter(unwritten).count();
    let failing: Vec<&TestReport> = report
        .tests()
        .iter()
        .filter(|t| t.verdict != Verdict::Passed && !unwritten(t))
        .collect();
    let written = "not written yet (they reach a `todo!()`)";
    if failing.is_empty() {
        let _ = writeln!(out, "- {name}: {todo} of {total} tests {written}");
        return;
    }
    let _ = writeln!(
        out,
        "- {name}: {} of {total} tests do not pass",
        failing.len() + todo
    );
    for test in failing.iter().take(FAILURES_SHOWN) {
        let why = test
            .verdict
            .message()
            .map(|m| format!(": {}", brief(&m)))
            .unwrap_or_default();
        let _ = writeln!(out, "  - {} {}{why}", test.sentence, test.verdict.word());
    }
    if failing.len() > FAILURES_SHOWN {
        let _ = writeln!(out, "  - … and {} more", failing.len() - FAILURES_SHOWN);
    }
    if todo > 0 {
        let _ = writeln!(out, "  - {todo} {written}");
    }
}

/// A compiler error in one line: its first line, and where, when it says.
fn compiler_error(error: &str) -> String {
    let mut lines = error.lines().map(str::trim);
    let first = lines.next().unwrap_or_default();
    match lines.find_map(|line| line.strip_prefix("--> ")) {
        Some(place) => brief(&format!("{first} (at {})", slash(Path::new(place)))),
        None => brief(first),
    }
}

/// The first line of `text`, shortened, made safe for a Markdown list: outside code spans, `<`
/// cannot start HTML, and `|` cannot end a table cell.
fn brief(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    let mut short: String = line.chars().take(MESSAGE_CHARS).collect();
    if line.chars().count() > MESSAGE_CHARS {
        short.push('…');
    }
    let mut out = String::with_capacity(short.len());
    let mut in_code = false;
    for c in short.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '<' if !in_code => out.push_str("&lt;"),
            '|' => out.push_str("\\|"),
            _ => out.push(c),
        }
    }
    out
}

/// Text for a Markdown table cell.
fn cell(text: &str) -> String {
    brief(text)
}

/// Adds `markdown` to the run's summary file, as every step of a job does.
fn append(path: &Path, markdown: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(markdown.as_bytes()).map(|()| file))
        .with_context(|| {
            format!(
                "cannot write the run's summary to {} (named by {SUMMARY_FILE})",
                path.display()
            )
        })?;
    file.flush().context("cannot write the run's summary")
}

/// A token that no test's output can know in advance, to stop GitHub's workflow commands while
/// the verdicts are printed and start them again after (`::stop-commands::TOKEN`, `::TOKEN::`).
fn stop_token() -> String {
    // Each `RandomState` is keyed from the system's randomness.
    let a = RandomState::new().hash_one(std::process::id());
    let b = RandomState::new().hash_one(std::time::SystemTime::now());
    format!("workbook-{a:016x}{b:016x}")
}

/// A workflow command's message: `%`, CR and LF escaped, as GitHub's toolkit does.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property (`title=…`): also `:` and `,` escaped.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;
    use crate::grading::Side;
    use crate::workbook::Chapter;

    fn chapter(number: u32, title: &str) -> Chapter {
        Chapter {
            number,
            id: format!("ch{number}"),
            slug: "x".to_owned(),
            title: title.to_owned(),
            exercise: format!("ch0{number}-x"),
            solution: String::new(),
            hints: Vec::new(),
            points: BTreeMap::new(),
        }
    }

    fn test(name: &str, verdict: Verdict, points: u32) -> TestReport {
        TestReport {
            name: name.to_owned(),
            sentence: name.replace('_', " "),
            verdict,
            points,
        }
    }

    #[test]
    fn the_summary_has_a_row_per_chapter_a_total_and_what_failed() {
        // A workbook whose exercise folders do not exist: `Broken` reads as missing.
        let workbook = Workbook {
            root: PathBuf::from("no-such-workbook"),
            chapters: Vec::new(),
        };
        let (one, two, three) = (
            chapter(1, "Pipes | tubes"),
            chapter(2, "Two"),
            chapter(3, "Three"),
        );
        let failed = Verdict::Failed {
            message: "expected <4>, got `Vec<u8>`\nsecond line".to_owned(),
        };
        let todo = Verdict::Todo {
            function: Some("double".to_owned()),
            location: "src/lib.rs:3:5".to_owned(),
        };
        let gradings = vec![
            Grading {
                report: ChapterReport {
                    chapter: &one,
                    side: Side::Exercise,
                    graded: Graded::Tests(vec![
                        test("first", Verdict::Passed, 2),
                        test("second", failed, 1),
                        test("third", todo.clone(), 1),
                        test("fourth", todo, 1),
                    ]),
                    worth: 5,
                },
                failure: None,
            },
            Grading {
                report: ChapterReport {
                    chapter: &two,
                    side: Side::Exercise,
                    graded: Graded::Broken(vec!["ch02-x is missing".to_owned()]),
                    worth: 3,
                },
                failure: None,
            },
            Grading {
                report: ChapterReport {
                    chapter: &three,
                    side: Side::Exercise,
                    graded: Graded::Broken(vec!["the runner could not grade it".to_owned()]),
                    worth: 4,
                },
                failure: Some("cannot run cargo".to_owned()),
            },
        ];
        let text = summary(&workbook, &gradings);
        for expected in [
            "### Autograding: 2/12 points\n",
            "| ch1 · Pipes \\| tubes | 1/4 | 2/5 |\n",
            "| ch2 · Two | missing | 0/3 |\n",
            "| ch3 · Three | could not be graded | 0/4 |\n",
            "| **total** | 0 of 3 chapters done | **2/12** |\n",
            "- **ch1 · Pipes \\| tubes**: 3 of 4 tests do not pass\n",
            "  - second failed: expected &lt;4>, got `Vec<u8>`\n",
            "  - 2 not written yet (they reach a `todo!()`)\n",
            "- **ch2 · Two** is missing: ch02-x is missing\n",
            "- **ch3 · Three** could not be graded (the runner failed): cannot run cargo\n",
        ] {
            assert!(text.contains(expected), "no {expected:?} in:\n{text}");
        }
        assert!(!text.contains("second line"), "{text}");
    }

    #[test]
    fn a_summary_of_finished_work_says_so() {
        let workbook = Workbook {
            root: PathBuf::from("no-such-workbook"),
            chapters: Vec::new(),
        };
        let one = chapter(1, "One");
        let gradings = vec![Grading {
            report: ChapterReport {
                chapter: &one,
                side: Side::Exercise,
                graded: Graded::Tests(vec![test("first", Verdict::Passed, 3)]),
                worth: 3,
            },
            failure: None,
        }];
        let text = summary(&workbook, &gradings);
        assert!(text.contains("| **total** | 1 of 1 chapters done | **3/3** |"));
        assert!(
            text.ends_with("Every test of every chapter passes.\n"),
            "{text}"
        );
    }

    #[test]
    fn a_compiler_error_is_one_line_with_its_place() {
        let error = "error[E0308]: mismatched types\n --> exercises/ch02-x/src/lib.rs:5:5\n  |\n5 |     \"two\"\n";
        assert_eq!(
            compiler_error(error),
            "error[E0308]: mismatched types (at exercises/ch02-x/src/lib.rs:5:5)"
        );
        let long = "x".repeat(MESSAGE_CHARS + 10);
        assert_eq!(brief(&long).chars().count(), MESSAGE_CHARS + 1);
    }

    #[test]
    fn workflow_command_text_is_escaped_as_githubs_toolkit_does() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("ch1: a, b"), "ch1%3A a%2C b");
        let (a, b) = (stop_token(), stop_token());
        assert_ne!(a, b, "each run stops commands with a token of its own");
        assert!(a.len() > 32 && !a.contains(':'), "{a}");
    }
}
