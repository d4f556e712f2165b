//! Running a unit-test program (the one `cargo test` would run) under a deadline, and reading
//! its plain output: which tests passed, which failed, and what each failed test printed.
//!
//! Every test runs at once (one thread each), so when the deadline passes every test that has
//! not reported is one that is stuck, not one that was waiting for its turn.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// How a test ended, as the test program reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    Ignored,
    /// Still running when the program ended: stopped at the deadline, or the program crashed.
    Unfinished,
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

/// Runs every test in `program`, all at once, and stops the program after `timeout`.
///
/// libtest prints what a failed test said only when the whole program ends, so when it had to
/// be stopped, the tests that had already failed are run once more on their own to get it.
pub fn run(program: &Path, cwd: &Path, tests: &[String], timeout: Duration) -> Result<Run> {
    let mut run = run_once(program, cwd, tests, &[], timeout)?;
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

/// One run of `program`: the tests named in `only` (exactly), or all of them when it is empty.
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
    let mut child = command
        .current_dir(cwd)
        .args(["--test-threads", &threads, "--color", "never"])
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run the test program {}", program.display()))?;

    let stdout = drain(child.stdout.take().expect("stdout is piped"));
    let stderr = drain(child.stderr.take().expect("stderr is piped"));

    let deadline = Instant::now() + timeout;
    let mut exit = None;
    let mut stopped = false;
    while exit.is_none() && !stopped {
        match child
            .try_wait()
            .context("cannot wait for the test program")?
        {
            Some(status) => exit = Some(status),
            None if Instant::now() >= deadline => {
                // The program is stuck; what it has printed so far says which tests finished.
                let _ = child.kill();
                let _ = child.wait();
                stopped = true;
            }
            None => thread::sleep(Duration::from_millis(10)),
        }
    }

    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let (status, output) = parse(&stdout, tests);
    Ok(Run {
        status,
        output,
        stopped,
        exit,
        stderr,
    })
}

/// Reads a pipe to its end on a thread of its own, keeping at most [`OUTPUT_CAP`] bytes.
fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buffer = [0; 8192];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = OUTPUT_CAP.saturating_sub(kept.len());
                    kept.extend_from_slice(&buffer[..n.min(room)]);
                }
            }
        }
        String::from_utf8_lossy(&kept).into_owned()
    })
}

/// Reads libtest's plain output: `test NAME ... ok` lines, then a `---- NAME stdout ----`
/// section for every failed test.
fn parse(stdout: &str, tests: &[String]) -> (BTreeMap<String, Status>, BTreeMap<String, String>) {
    let mut status: BTreeMap<String, Status> = tests
        .iter()
        .map(|name| (name.clone(), Status::Unfinished))
        .collect();
    let mut output: BTreeMap<String, String> = BTreeMap::new();
    let mut section: Option<String> = None;

    for line in stdout.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            section = Some(name.to_owned());
            continue;
        }
        if line == "failures:" || line.starts_with("test result: ") {
            section = None;
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
    (status, output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use indoc::indoc;

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
        let (status, output) = parse(stdout, &names);
        assert_eq!(status["tests::passes"], Status::Passed);
        assert_eq!(status["tests::fails"], Status::Failed);
        assert_eq!(status["tests::panics_on_purpose"], Status::Passed);
        assert_eq!(status["tests::skipped"], Status::Ignored);
        assert_eq!(status["tests::hangs"], Status::Unfinished);
        assert!(output["tests::fails"].contains("assertion failed: false"));
        assert!(!output["tests::fails"].contains("failures:"));
    }
}
