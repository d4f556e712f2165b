//! Running a unit-test program (the one `cargo test` would run) under a deadline, and reading
//! its plain output: which tests passed, which failed, and what each failed test printed.
//!
//! Every test runs at once (one thread each), so when the deadline passes every test that has
//! not reported is one that is stuck, not one that was waiting for its turn.
//!
//! The program runs the student's code, so what it prints is not taken on trust: a run counts
//! only when libtest's own summary ends it and agrees with the verdicts before it, and the
//! program's whole process tree is ended when it is done, so a child it left behind (a `sleep`
//! that holds the output pipes, a busy loop) can neither stall the runner nor outlive the check.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::processes::{self, Drain};

/// How a test ended, as the test program reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    Ignored,
    /// Still running when the program ended: stopped at the deadline, or the program crashed.
    Unfinished,
    /// Reported as passed by a run that cannot be trusted: the program ended without libtest's
    /// summary, or its summary disagrees with what it printed before.
    Untrusted,
}

/// What one run of a test program told us.
pub struct Run {
    /// Every listed test's status, by its full name (`tests::parses_an_address`).
    pub status: BTreeMap<String, Status>,
    /// What each failed test printed (its panic messages, its captured output).
    pub output: BTreeMap<String, String>,
    /// True when the runner stopped the program at the deadline.
    pub stopped: bool,
    /// How the program ended, when it ended by itself.
    pub exit: Option<ExitStatus>,
    /// The program's own stderr: where a crash (a stack overflow, an abort) is described.
    pub stderr: String,
    /// Why the run's verdicts cannot be trusted, when they cannot: no summary at the end, or one
    /// that disagrees with the verdicts printed before it.
    pub distrust: Option<String>,
}

/// The most output kept from one stream of a test program; the rest is read and dropped.
const OUTPUT_CAP: usize = 1 << 20;

/// The names of the tests in `program`.
pub fn list(program: &Path, cwd: &Path) -> Result<Vec<String>> {
    let output = Command::new(program)
        .current_dir(cwd)
        .args(["--list", "--format", "terse"])
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run the test program {}", program.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_owned)
        .collect())
}

/// Runs the tests named in `tests` (no other test of `program`), all at once, and stops the
/// program after `timeout`.
///
/// libtest prints what a failed test said only when the whole program ends, so when it had to
/// be stopped, the tests that had already failed are run once more on their own to get it.
pub fn run(program: &Path, cwd: &Path, tests: &[String], timeout: Duration) -> Result<Run> {
    if tests.is_empty() {
        // With no name to select, libtest would run every test, the student's own included.
        return Ok(Run {
            status: BTreeMap::new(),
            output: BTreeMap::new(),
            stopped: false,
            exit: None,
            stderr: String::new(),
            distrust: None,
        });
    }
    let mut run = run_once(program, cwd, tests, tests, timeout)?;
    if run.stopped {
        let failed: Vec<String> = run
            .status
            .iter()
            .filter(|(name, status)| **status == Status::Failed && !run.output.contains_key(*name))
            .map(|(name, _)| name.clone())
            .collect();
        if !failed.is_empty() {
            let again = run_once(program, cwd, &failed, &failed, timeout)?;
            run.output.extend(again.output);
        }
    }
    Ok(run)
}

/// One run of `program`: the tests named in `only`, exactly.
fn run_once(
    program: &Path,
    cwd: &Path,
    tests: &[String],
    only: &[String],
    timeout: Duration,
) -> Result<Run> {
    let threads = tests.len().clamp(1, 256).to_string();
    let mut command = Command::new(program);
    if !only.is_empty() {
        command.arg("--exact").args(only);
    }
    // A group of its own, so that ending it ends whatever the student's code started too.
    processes::own_group(&mut command);
    let mut child = command
        .current_dir(cwd)
        .args(["--test-threads", &threads, "--color", "never"])
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run the test program {}", program.display()))?;

    let stdout = Drain::start(child.stdout.take().expect("stdout is piped"), OUTPUT_CAP);
    let stderr = Drain::start(child.stderr.take().expect("stderr is piped"), OUTPUT_CAP);

    // When the program is stuck at the deadline, what it has printed so far says which tests
    // finished.
    let exit = processes::wait_until(&mut child, Instant::now() + timeout)
        .context("cannot wait for the test program")?;
    let stopped = exit.is_none();
    // Ended or stopped, the program's children go too: one left behind holds the pipes open.
    processes::end_tree(&mut child);

    // The pipes close once every process that held them is gone; a process that escaped the
    // tree may hold them longer, and then what came so far has to do.
    let stdout = String::from_utf8_lossy(&stdout.finish(PIPE_GRACE)).into_owned();
    let stderr = String::from_utf8_lossy(&stderr.finish(PIPE_GRACE)).into_owned();
    let (status, output, summary) = parse(&stdout, tests);
    let mut run = Run {
        status,
        output,
        stopped,
        exit,
        stderr,
        distrust: None,
    };
    if !stopped {
        run.distrust = distrust(&run, summary.as_ref());
        if run.distrust.is_some() {
            for status in run.status.values_mut() {
                if *status == Status::Passed {
                    *status = Status::Untrusted;
                }
            }
        }
    }
    Ok(run)
}

/// How long the runner waits for the output pipes to close once the program's tree has ended.
const PIPE_GRACE: Duration = Duration::from_secs(2);

/// Why a run that ended by itself cannot be trusted, if it cannot. libtest ends every run with
/// `test result: ok. N passed; M failed; …`, and exits with 0 exactly when nothing failed. A
/// program that ends without it was cut short: a test called `process::exit`, or the program
/// crashed. One whose counts disagree with the verdicts printed before printed some of them
/// itself.
fn distrust(run: &Run, summary: Option<&Summary>) -> Option<String> {
    let exit = run
        .exit
        .map_or_else(|| "no exit status".to_owned(), |s| s.to_string());
    let Some(summary) = summary else {
        return Some(format!(
            "the test program ended ({exit}) before libtest's summary: a test called \
             `process::exit`, or the program crashed, so none of its results can be trusted"
        ));
    };
    let count = |wanted: Status| run.status.values().filter(|s| **s == wanted).count();
    let (passed, failed) = (count(Status::Passed), count(Status::Failed));
    let succeeded = run.exit.is_some_and(|e| e.success());
    if summary.passed != passed || summary.failed != failed || succeeded != (summary.failed == 0) {
        return Some(format!(
            "the test program's summary ({} passed, {} failed, {exit}) disagrees with the \
             verdicts it printed ({passed} passed, {failed} failed): something besides libtest \
             printed results, so none of them can be trusted",
            summary.passed, summary.failed
        ));
    }
    None
}

/// libtest's closing line, `test result: FAILED. 2 passed; 1 failed; …`, as counts.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    passed: usize,
    failed: usize,
}

impl Summary {
    fn parse(line: &str) -> Option<Summary> {
        let counts = line.strip_prefix("test result: ")?.split_once(". ")?.1;
        let count = |what: &str| {
            counts.split("; ").find_map(|part| {
                let (number, word) = part.split_once(' ')?;
                (word == what).then(|| number.parse::<usize>().ok())?
            })
        };
        Some(Summary {
            passed: count("passed")?,
            failed: count("failed")?,
        })
    }
}

/// The tests that passed and failed in every libtest summary of `stdout`, added up: what a
/// `cargo test` of several test programs printed.
pub fn totals(stdout: &str) -> (usize, usize) {
    stdout
        .lines()
        .filter_map(Summary::parse)
        .fold((0, 0), |(passed, failed), summary| {
            (passed + summary.passed, failed + summary.failed)
        })
}

/// What [`parse`] reads from a run's output.
type Parsed = (
    BTreeMap<String, Status>,
    BTreeMap<String, String>,
    Option<Summary>,
);

/// Reads libtest's plain output: `test NAME ... ok` lines, then a `---- NAME stdout ----`
/// section for every failed test, then the summary.
fn parse(stdout: &str, tests: &[String]) -> Parsed {
    let mut status: BTreeMap<String, Status> = tests
        .iter()
        .map(|name| (name.clone(), Status::Unfinished))
        .collect();
    let mut output: BTreeMap<String, String> = BTreeMap::new();
    let mut section: Option<String> = None;
    let mut summary = None;

    for line in stdout.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            section = Some(name.to_owned());
            continue;
        }
        if line == "failures:" {
            section = None;
            continue;
        }
        if line.starts_with("test result: ") {
            section = None;
            summary = Summary::parse(line);
            continue;
        }
        if let Some(name) = &section {
            let text = output.entry(name.clone()).or_default();
            text.push_str(line);
            text.push('\n');
            continue;
        }
        if let Some((name, verdict)) = line
            .strip_prefix("test ")
            .and_then(|l| l.rsplit_once(" ... "))
        {
            let name = name.strip_suffix(" - should panic").unwrap_or(name);
            let verdict = match verdict {
                "ok" => Status::Passed,
                "FAILED" => Status::Failed,
                v if v.starts_with("ignored") => Status::Ignored,
                _ => continue,
            };
            if let Some(slot) = status.get_mut(name) {
                *slot = verdict;
            }
        }
    }
    (status, output, summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use indoc::indoc;

    #[test]
    fn adds_up_libtest_totals() {
        let stdout = "running 3 tests\n...\ntest result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\ntest result: FAILED. 5 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.00s\n";
        assert_eq!(totals(stdout), (8, 2));
    }

    #[test]
    fn reads_verdicts_and_failure_sections() {
        let stdout = indoc! {"
            running 4 tests
            test tests::passes ... ok
            test tests::fails ... FAILED
            test tests::panics_on_purpose - should panic ... ok
            test tests::skipped ... ignored, not today

            failures:

            ---- tests::fails stdout ----

            thread 'tests::fails' panicked at src/tests.rs:5:9:
            assertion failed: false
            note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


            failures:
                tests::fails

            test result: FAILED. 2 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out
        "};
        let names: Vec<String> = ["passes", "fails", "panics_on_purpose", "skipped", "hangs"]
            .iter()
            .map(|n| format!("tests::{n}"))
            .collect();
        let (status, output, summary) = parse(stdout, &names);
        assert_eq!(
            summary,
            Some(Summary {
                passed: 2,
                failed: 1
            })
        );
        assert_eq!(status["tests::passes"], Status::Passed);
        assert_eq!(status["tests::fails"], Status::Failed);
        assert_eq!(status["tests::panics_on_purpose"], Status::Passed);
        assert_eq!(status["tests::skipped"], Status::Ignored);
        assert_eq!(status["tests::hangs"], Status::Unfinished);
        assert!(output["tests::fails"].contains("assertion failed: false"));
        assert!(!output["tests::fails"].contains("failures:"));
    }
}
