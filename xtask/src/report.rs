//! Showing what grading a chapter gave (see [`crate::grading`]): as lines for people, with the
//! score and what to do next, or as JSON for autograders.

use serde_json::{Value, json};

use crate::grading::{ChapterReport, Graded, Side};
use crate::results::{self, Standing};
use crate::shell::{self, Shell, Tone, and_list};
use crate::verdict::Verdict;
use crate::workbook::{Chapter, Workbook, slash};

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
pub fn print_chapter(shell: &Shell, report: &ChapterReport) {
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
                "Broken",
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
                    test.verdict.label(),
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
pub fn print_score(shell: &Shell, workbook: &Workbook, report: &ChapterReport) {
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
fn print_next(shell: &Shell, workbook: &Workbook, chapter: &Chapter) {
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
    use std::collections::BTreeMap;

    use super::*;
    use crate::grading::TestReport;
    use crate::shell::Buffer;

    #[test]
    fn a_graded_chapter_shows_a_line_per_test_and_its_score() {
        let chapter = Chapter {
            number: 1,
            id: "ch1".to_owned(),
            slug: "answer".to_owned(),
            title: "The answer".to_owned(),
            exercise: "ch01-answer".to_owned(),
            solution: "ch01-answer-solution".to_owned(),
            hints: Vec::new(),
            points: BTreeMap::new(),
        };
        let test = |name: &str, verdict| TestReport {
            name: name.to_owned(),
            sentence: name.replace('_', " "),
            verdict,
            points: 1,
        };
        let report = ChapterReport {
            chapter: &chapter,
            side: Side::Solution,
            graded: Graded::Tests(vec![
                test("answers_forty_two", Verdict::Passed),
                test(
                    "answers_quickly",
                    Verdict::Todo {
                        function: Some("answer".to_owned()),
                        location: "src/lib.rs:3:5".to_owned(),
                    },
                ),
            ]),
            worth: 2,
        };
        let workbook = Workbook {
            root: std::path::PathBuf::from("no-such-workbook"),
            chapters: vec![chapter.clone()],
        };
        let (shell, buffer) = Buffer::shell();
        print_chapter(&shell, &report);
        print_score(&shell, &workbook, &report);
        let expected = [
            "    Checking ch1 · The answer (solutions/ch01-answer)",
            "      Passed answers forty two",
            "        Todo answers quickly",
            "             `answer` is not yet implemented (src/lib.rs:3:5)",
            "       Score 1/2 tests passed",
        ];
        assert_eq!(buffer.text(), expected.join("\n") + "\n");
    }
}
