//! Tests of `cargo xtask check --format github`, the autograding of the student copy's
//! `classroom.yml`: on copies of the fixture workbook (`tests/fixtures/kit/`, two chapters each
//! worth 2 points), the run's log, its summary file and the `Points x/y` annotation GitHub
//! Classroom reads, and the exit code, which is 0 for unfinished work.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

use common::*;

/// Chapter 2 of the fixture, with a mistake the compiler catches.
const DOES_NOT_COMPILE: &str =
    "pub fn double(n: u32) -> u32 {\n    \"two\"\n}\n\n#[cfg(test)]\nmod tests;\n";
/// Chapter 2 of the fixture, solved.
const DOUBLED: &str = "pub fn double(n: u32) -> u32 {\n    n * 2\n}\n\n#[cfg(test)]\nmod tests;\n";

/// The annotation GitHub Classroom reads, as its reporter action wrote it.
fn points(earned: u32, possible: u32) -> String {
    format!("::notice title=Autograding complete::Points {earned}/{possible}\n")
}

/// Runs `cargo xtask check ARGS --format github` on the fixture at `root`, with the run's summary
/// file at `summary` (`None`: the variable unset, as outside GitHub Actions).
fn github(root: &Path, summary: Option<&Path>, args: &[&str]) -> Output {
    let mut command = runner(root, &root.join("target"), &["check", "--format", "github"]);
    command.args(args);
    match summary {
        Some(path) => command.env("GITHUB_STEP_SUMMARY", path),
        None => command.env_remove("GITHUB_STEP_SUMMARY"),
    };
    let shown = format!("`cargo xtask check --format github {}`", args.join(" "));
    testkit::within(RUN_LIMIT, &shown, move || {
        command.output().expect("cannot run the runner")
    })
}

/// The summary file's text (empty when it was not written).
fn summary_of(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// Every chapter's log is in a group of its own, and workflow commands stop inside it and start
/// again before it ends, so nothing a test printed acts as one.
fn assert_groups_are_closed_and_commands_stopped(log: &str, chapters: usize) {
    let lines: Vec<&str> = log.lines().collect();
    let opened = lines.iter().filter(|l| l.starts_with("::group::")).count();
    let closed = lines.iter().filter(|l| **l == "::endgroup::").count();
    assert_eq!(
        (opened, closed),
        (chapters, chapters),
        "one group per chapter:\n{log}"
    );
    for (at, line) in lines.iter().enumerate() {
        let Some(token) = line.strip_prefix("::stop-commands::") else {
            continue;
        };
        let resume = format!("::{token}::");
        let end = lines[at..]
            .iter()
            .position(|l| *l == "::endgroup::")
            .unwrap_or_else(|| panic!("a group never ends:\n{log}"));
        assert!(
            lines[at..at + end].contains(&resume.as_str()),
            "workflow commands are stopped but not started again before the group ends:\n{log}"
        );
    }
}

#[test]
fn each_chapter_is_graded_on_its_own_into_a_summary_and_the_points_and_unfinished_work_exits_0() {
    let scratch = Scratch::new("github-format");
    let root = fixture(&scratch);
    let summary = scratch.path().join("summary.md");
    write(&root, "exercises/ch01-answer/src/lib.rs", SOLVED);
    write(&root, "exercises/ch02-double/src/lib.rs", DOES_NOT_COMPILE);

    let output = github(&root, Some(&summary), &["--worth", "ch1=2,ch2=2"]);
    let log = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "unfinished work is no failure:\n{}",
        said(&output)
    );
    assert!(log.contains(&points(2, 4)), "{log}");
    assert!(
        log.contains("::notice title=Autograding report::{\"totalPoints\":2,\"maxPoints\":4}\n"),
        "{log}"
    );
    assert!(
        log.contains("::group::ch1 · The answer: 1/1 tests passed, 2/2 points\n"),
        "{log}"
    );
    assert!(
        log.contains("::group::ch2 · Doubling: does not compile, 0/2 points\n"),
        "{log}"
    );
    assert!(log.contains("Passed answers forty two"), "{log}");
    assert!(log.contains("error[E0308]"), "the compiler's words: {log}");
    assert_groups_are_closed_and_commands_stopped(&log, 2);

    let table = summary_of(&summary);
    for expected in [
        "Autograding: 2/4 points",
        "| ch1 · The answer | 1/1 | 2/2 |",
        "| ch2 · Doubling | does not compile | 0/2 |",
        "| **total** | 1 of 2 chapters done | **2/4** |",
        "**What failed**",
        "- **ch2 · Doubling** does not compile: error[E0308]: mismatched types (at \
         exercises/ch02-double/src/lib.rs:2:5)",
    ] {
        assert!(
            table.contains(expected),
            "the summary has no {expected:?}:\n{table}"
        );
    }
    assert!(
        !table.contains("**ch1"),
        "a chapter that passes is not among what failed:\n{table}"
    );

    // The instructor's switch: unfinished work fails the run. The summary file is added to, as
    // every step of a job adds to it.
    let strict = github(
        &root,
        Some(&summary),
        &["--worth", "ch1=2,ch2=2", "--fail-unfinished"],
    );
    assert_eq!(strict.status.code(), Some(1), "{}", said(&strict));
    assert!(text(&strict.stdout).contains(&points(2, 4)));
    assert_eq!(
        summary_of(&summary)
            .matches("Autograding: 2/4 points")
            .count(),
        2
    );

    write(&root, "exercises/ch02-double/src/lib.rs", DOUBLED);
    fs::remove_file(&summary).unwrap();
    let done = github(&root, Some(&summary), &["--fail-unfinished"]);
    assert_eq!(done.status.code(), Some(0), "{}", said(&done));
    assert!(
        text(&done.stdout).contains(&points(4, 4)),
        "{}",
        said(&done)
    );
    let table = summary_of(&summary);
    assert!(
        table.contains("| **total** | 2 of 2 chapters done | **4/4** |"),
        "{table}"
    );
    assert!(
        table.contains("Every test of every chapter passes."),
        "{table}"
    );
}

#[test]
fn a_missing_chapter_folder_costs_only_that_chapters_points() {
    let scratch = Scratch::new("github-missing");
    let root = fixture(&scratch);
    let summary = scratch.path().join("summary.md");
    fs::remove_dir_all(root.join("exercises/ch01-answer")).unwrap();

    // The workflow gives each chapter's worth as exported: the missing chapter still counts.
    let output = github(&root, Some(&summary), &["--worth", "ch1=2,ch2=2"]);
    let log = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    assert!(log.contains(&points(0, 4)), "{log}");
    assert!(
        log.contains("::group::ch2 · Doubling: 0/2 tests passed, 0/2 points\n"),
        "the other chapter is graded as usual:\n{log}"
    );
    assert_groups_are_closed_and_commands_stopped(&log, 2);
    let table = summary_of(&summary);
    for expected in [
        "| ch1 · The answer | missing | 0/2 |",
        "| ch2 · Doubling | 0/2 | 0/2 |",
        "- **ch1 · The answer** is missing: exercises/ch01-answer is missing",
        "- **ch2 · Doubling**: 2 of 2 tests not written yet (they reach a `todo!()`)",
    ] {
        assert!(
            table.contains(expected),
            "the summary has no {expected:?}:\n{table}"
        );
    }

    // One chapter, outside GitHub Actions: the summary ends the log.
    let one = github(&root, None, &["ch2"]);
    let log = text(&one.stdout);
    assert_eq!(one.status.code(), Some(0), "{}", said(&one));
    assert!(log.contains(&points(0, 2)), "{log}");
    assert!(
        log.contains("### Autograding: 0/2 points") && log.contains("| ch2 · Doubling | 0/2 |"),
        "{log}"
    );
    assert!(!log.contains("ch1"), "{log}");
}

#[test]
fn a_runner_that_cannot_grade_exits_2_after_reporting_what_it_could() {
    let scratch = Scratch::new("github-broken-runner");
    let root = fixture(&scratch);
    let summary = scratch.path().join("summary.md");
    let no_cargo: PathBuf = scratch.path().join("no-cargo-here");
    let mut command = runner(
        &root,
        &root.join("target"),
        &["check", "--format", "github", "--worth", "ch1=2,ch2=2"],
    );
    command
        .env("CARGO", &no_cargo)
        .env("GITHUB_STEP_SUMMARY", &summary);
    let output = testkit::within(RUN_LIMIT, "the runner without cargo", move || {
        command.output().expect("cannot run the runner")
    });
    let log = text(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    assert!(log.contains(&points(0, 4)), "{log}");
    assert!(
        log.contains("::error title=ch1 could not be graded::cannot run cargo"),
        "{log}"
    );
    let table = summary_of(&summary);
    assert!(
        table.contains("| ch2 · Doubling | could not be graded | 0/2 |"),
        "{table}"
    );
    let error = text(&output.stderr);
    assert!(
        error.contains("the runner could not grade ch1, ch2"),
        "{error}"
    );
}
