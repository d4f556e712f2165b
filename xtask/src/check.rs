//! `cargo xtask check [chapter]`: grade one chapter, or show progress over all of them.
//!
//! Without a chapter every chapter is graded on its own: one that is missing, does not compile,
//! or cannot be graded at all scores nothing out of what it is worth (what its test file says,
//! or `--worth` with `--format github`), and costs only its own points. `--format github` reports for a GitHub Actions run (see
//! [`crate::github`]).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::cache::Fingerprint;
use crate::cargo;
use crate::github;
use crate::report::{self, ChapterReport, Graded, Side};
use crate::shell::{self, Shell, Tone};
use crate::workbook::{Chapter, Workbook};

pub struct Options<'a> {
    pub chapter: Option<&'a str>,
    pub solution: bool,
    pub output: Output,
    pub timeout: Duration,
}

/// How the verdicts are reported.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Output {
    /// Lines for people.
    Text,
    /// JSON, for autograders.
    Json,
    /// For a GitHub Actions run (see [`crate::github`]); unfinished work fails the run only with
    /// `fail_unfinished`. `worth` says what chapters are worth, as `ch1=17` (see
    /// [`exported_worth`]).
    Github {
        fail_unfinished: bool,
        worth: Vec<String>,
    },
}

/// A chapter as grading left it: its report, and why the runner could not grade it, if it could
/// not (the report then scores nothing, out of the chapter's worth).
pub struct Grading<'a> {
    pub report: ChapterReport<'a>,
    pub failure: Option<String>,
}

/// Runs `check`; true when every graded test passed.
pub fn run(workbook: &Workbook, shell: &mut Shell, options: Options) -> Result<bool> {
    let side = if options.solution {
        Side::Solution
    } else {
        Side::Exercise
    };
    if let Output::Github {
        fail_unfinished,
        worth,
    } = &options.output
    {
        let exported = exported_worth(workbook, worth)?;
        let chapters: Vec<&Chapter> = match options.chapter {
            Some(query) => vec![workbook.chapter(query)?],
            None => workbook.chapters.iter().collect(),
        };
        let mut gradings = grade_each(workbook, &chapters, side, options.timeout);
        for grading in &mut gradings {
            let report = &mut grading.report;
            if let (Graded::Broken(_), Some(worth)) =
                (&report.graded, exported.get(&report.chapter.id))
            {
                report.worth = *worth;
            }
        }
        return github::report(workbook, shell, &gradings, *fail_unfinished);
    }
    match options.chapter {
        Some(query) => {
            let chapter = workbook.chapter(query)?;
            let report = report::grade(workbook, chapter, side, options.timeout)?;
            if options.output == Output::Json {
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
        .map(
            |&chapter| match report::grade(workbook, chapter, side, timeout) {
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
            },
        )
        .collect()
}

/// What `--worth` says chapters are worth, by chapter id, from `CHAPTER=POINTS` entries (`ch1=17`;
/// a chapter may be named as anywhere else). A chapter that scores nothing because it is missing,
/// does not compile or cannot be graded is worth this much rather than what its test file says:
/// the autograding workflow gives the worth at export, so that a deleted folder or test file
/// cannot shrink the total.
fn exported_worth(workbook: &Workbook, entries: &[String]) -> Result<BTreeMap<String, u32>> {
    let mut worth = BTreeMap::new();
    for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let parsed = entry
            .split_once('=')
            .and_then(|(chapter, points)| Some((chapter, points.trim().parse::<u32>().ok()?)));
        let Some((query, points)) = parsed else {
            bail!("`--worth` takes CHAPTER=POINTS entries, such as `ch1=17`, not `{entry}`");
        };
        let chapter = workbook.chapter(query)?;
        worth.insert(chapter.id.clone(), points);
    }
    Ok(worth)
}

/// The points `chapter` is worth, counted from its test file without compiling anything.
fn worth(workbook: &Workbook, chapter: &Chapter) -> u32 {
    let source =
        std::fs::read_to_string(workbook.root.join(chapter.tests_file())).unwrap_or_default();
    report::declared_tests(&source)
        .iter()
        .map(|name| chapter.points_for(name))
        .sum()
}

/// Grades every chapter and prints a table of where the student stands.
fn progress(workbook: &Workbook, shell: &mut Shell, side: Side, options: Options) -> Result<bool> {
    let json = options.output == Output::Json;
    if !json {
        shell.status(
            Tone::Good,
            "Compiling",
            format!("{} chapters", workbook.chapters.len()),
        );
    }
    let chapters: Vec<&Chapter> = workbook.chapters.iter().collect();
    let reports: Vec<ChapterReport> = grade_each(workbook, &chapters, side, options.timeout)
        .into_iter()
        .map(|grading| grading.report)
        .collect();
    let all_done = reports.iter().all(ChapterReport::all_passed);

    if json {
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
