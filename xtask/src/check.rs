//! `cargo xtask check [chapter]`: grade one chapter, or show progress over all of them.

use std::time::Duration;

use anyhow::Result;
use serde_json::{Value, json};

use crate::cache::Fingerprint;
use crate::cargo;
use crate::report::{self, ChapterReport, Graded, Side};
use crate::shell::{self, Shell, Tone};
use crate::workbook::Workbook;

pub struct Options<'a> {
    pub chapter: Option<&'a str>,
    pub solution: bool,
    pub json: bool,
    pub timeout: Duration,
}

/// Runs `check`; true when every graded test passed.
pub fn run(workbook: &Workbook, shell: &mut Shell, options: Options) -> Result<bool> {
    let side = if options.solution {
        Side::Solution
    } else {
        Side::Exercise
    };
    match options.chapter {
        Some(query) => {
            let chapter = workbook.chapter(query)?;
            let report = report::grade(workbook, chapter, side, options.timeout)?;
            if options.json {
                let mut value = report::to_json(&report);
                value["graded_with"] = graded_with(workbook, &[&report]);
                shell.line(serde_json::to_string_pretty(&value)?);
            } else {
                report::print_chapter(shell, &report);
                shell.line("");
                report::print_score(shell, workbook, &report);
            }
            Ok(report.all_passed())
        }
        None => progress(workbook, shell, side, options),
    }
}

/// Grades every chapter and prints a table of where the student stands.
fn progress(workbook: &Workbook, shell: &mut Shell, side: Side, options: Options) -> Result<bool> {
    let packages: Vec<&str> = workbook
        .chapters
        .iter()
        .map(|c| match side {
            Side::Exercise => c.exercise.as_str(),
            Side::Solution => c.solution.as_str(),
        })
        .collect();
    if !options.json {
        shell.status(
            Tone::Good,
            "Compiling",
            format!("{} chapters", packages.len()),
        );
    }
    cargo::warm(&workbook.root, &packages);

    let mut reports = Vec::new();
    for chapter in &workbook.chapters {
        // A chapter that cannot be graded costs its own points, never the others'.
        let report =
            report::grade(workbook, chapter, side, options.timeout).unwrap_or_else(|error| {
                ChapterReport {
                    chapter,
                    side,
                    graded: Graded::Broken(vec![format!("{error:#}")]),
                    worth: 0,
                }
            });
        reports.push(report);
    }
    let all_done = reports.iter().all(ChapterReport::all_passed);

    if options.json {
        let chapters: Vec<_> = reports.iter().map(report::to_json).collect();
        let graded: Vec<&ChapterReport> = reports.iter().collect();
        shell.line(serde_json::to_string_pretty(&json!({
            "chapters": chapters,
            "graded_with": graded_with(workbook, &graded),
        }))?);
        return Ok(all_done);
    }

    let title_width = workbook
        .chapters
        .iter()
        .map(|c| c.title.chars().count())
        .max()
        .unwrap_or(0);
    shell.line("");
    for report in &reports {
        let chapter = report.chapter;
        let (tone, state, score) = match &report.graded {
            Graded::Broken(_) => (Tone::Bad, "does not compile", "-".to_owned()),
            Graded::Tests(tests) => {
                let score = format!("{}/{}", report.passed(), tests.len());
                match report.passed() {
                    0 => (Tone::Pending, "not started", score),
                    n if n == tests.len() => (Tone::Good, "done", score),
                    _ => (Tone::Info, "in progress", score),
                }
            }
        };
        shell.status(
            tone,
            state,
            format!(
                "{:<4} {:<title_width$}  {score:>7}",
                chapter.id, chapter.title
            ),
        );
    }
    shell.line("");
    match reports.iter().find(|r| !r.all_passed()) {
        Some(next) => shell.status(
            Tone::Info,
            "Next",
            format!(
                "{} ({})",
                shell::command(&format!("cargo xtask check {}", next.chapter.id)),
                next.chapter.title
            ),
        ),
        None => shell.status(Tone::Good, "Done", "every chapter passes. Well done!"),
    }
    Ok(all_done)
}

/// What a report was graded with, so that an instructor can tell a report made with the
/// workbook's own tests and manifest from one made with edited copies: the runner's version and
/// fingerprints of the manifest and of each chapter's test file.
fn graded_with(workbook: &Workbook, reports: &[&ChapterReport]) -> Value {
    let fingerprint = |path: &std::path::Path| {
        let mut print = Fingerprint::new();
        print.add(&std::fs::read(workbook.root.join(path)).unwrap_or_default());
        print.hex()
    };
    let tests: serde_json::Map<String, Value> = reports
        .iter()
        .map(|report| {
            let file = report.chapter.tests_file();
            (report.chapter.id.clone(), Value::from(fingerprint(&file)))
        })
        .collect();
    json!({
        "runner": env!("CARGO_PKG_VERSION"),
        "manifest": fingerprint(std::path::Path::new(crate::workbook::MANIFEST)),
        "tests": tests,
    })
}
