//! `cargo xtask check [chapter]`: grade one chapter, or show progress over all of them.
//!
//! Without a chapter every chapter is graded on its own: one that is missing, does not compile,
//! or cannot be graded at all scores nothing out of what it is worth (what its test file says,
//! or `--worth` with `--format github`), and costs only its own points. `--format github` reports
//! for a GitHub Actions run (see [`crate::github`]).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::ValueEnum;
use serde_json::{Value, json};

use crate::cache::Fingerprint;
use crate::github;
use crate::grading::{self, ChapterReport, Graded, Limits, Side};
use crate::report;
use crate::shell::{self, Shell, Tone};
use crate::workbook::{Chapter, Workbook};

/// Build and test a chapter's exercise: one verdict per test and a score. Without a chapter, a
/// progress table over all chapters.
#[derive(clap::Args)]
pub struct Args {
    /// The chapter: `ch3`, `3`, `ch03` or its name (`framing`).
    chapter: Option<String>,
    /// Test the reference solution instead of your exercise.
    #[arg(long)]
    solution: bool,
    /// `text` for people, `json` for autograders, `github` for a GitHub Actions run (every
    /// chapter's log in a group, the run's summary table, and the `Points x/y` annotation
    /// GitHub Classroom reads).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// With `--format github`: exit with 1 when some test does not pass (by default it exits
    /// with 0 whatever the score, and 2 only when the runner breaks). Text and JSON always
    /// exit with 1 then.
    #[arg(long)]
    fail_unfinished: bool,
    /// With `--format github`: what chapters are worth, as `ch1=17,ch2=20`, for a chapter that
    /// is missing, does not compile or cannot be graded (the autograding workflow gives them
    /// as exported; otherwise each chapter's test file says).
    #[arg(long, value_name = "CHAPTER=POINTS", value_delimiter = ',')]
    worth: Vec<String>,
    #[command(flatten)]
    limits: Limits,
}

/// How the verdicts are reported: lines for people, JSON for autograders, or for a GitHub
/// Actions run (see [`crate::github`]). (The values have no doc comments of their own: `--help`
/// lists them on one line, and the option's own text says what each is for.)
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
}

impl Args {
    /// Runs `check`; true when every graded test passed (with `--format github`, unless
    /// `--fail-unfinished`, true whatever the score).
    pub fn run(self, workbook: &Workbook, shell: &Shell) -> Result<bool> {
        let side = if self.solution {
            Side::Solution
        } else {
            Side::Exercise
        };
        let timeout = self.limits.timeout();
        if self.format == Format::Github {
            let exported = exported_worth(workbook, &self.worth)?;
            let chapters: Vec<&Chapter> = match &self.chapter {
                Some(query) => vec![workbook.chapter(query)?],
                None => workbook.chapters.iter().collect(),
            };
            let mut gradings = grading::grade_each(workbook, &chapters, side, timeout);
            for grading in &mut gradings {
                let report = &mut grading.report;
                if let (Graded::Broken(_), Some(worth)) =
                    (&report.graded, exported.get(&report.chapter.id))
                {
                    report.worth = *worth;
                }
            }
            return github::report(workbook, shell, &gradings, self.fail_unfinished);
        }
        let Some(query) = &self.chapter else {
            return progress(workbook, shell, side, self.format, timeout);
        };
        let chapter = workbook.chapter(query)?;
        let report = grading::grade(workbook, chapter, side, timeout)?;
        if self.format == Format::Json {
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

/// Grades every chapter and prints a table of where the student stands.
fn progress(
    workbook: &Workbook,
    shell: &Shell,
    side: Side,
    format: Format,
    timeout: Duration,
) -> Result<bool> {
    let json = format == Format::Json;
    if !json {
        shell.status(
            Tone::Good,
            "Compiling",
            format!("{} chapters", workbook.chapters.len()),
        );
    }
    let chapters: Vec<&Chapter> = workbook.chapters.iter().collect();
    let reports: Vec<ChapterReport> = grading::grade_each(workbook, &chapters, side, timeout)
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
            Graded::Broken(_) => (Tone::Bad, "Does not compile", "-".to_owned()),
            Graded::Tests(tests) => {
                let score = format!("{}/{}", report.passed(), tests.len());
                match report.passed() {
                    0 => (Tone::Pending, "Not started", score),
                    n if n == tests.len() => (Tone::Good, "Done", score),
                    _ => (Tone::Info, "In progress", score),
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
