//! Calling cargo: build a crate's unit-test program and read cargo's JSON messages.
//!
//! Building (`cargo test --no-run`) and running the test program are two steps, so a compile
//! error can be shown as what it is, briefly, and a test program that hangs can be stopped.
//!
//! Cargo's own stderr is read as it comes, not only at the end: when another cargo (a second
//! terminal, an editor's rust-analyzer) holds the lock on the build directory or the package
//! cache, cargo says `Blocking waiting for file lock on …` and waits, and the runner says so at
//! once instead of printing nothing until the other build ends. Cargo prints that line only
//! without `--quiet`, so the runner does not pass `--quiet`, and leaves cargo's other status
//! lines (`Compiling …`) out of what it shows.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::processes;
use crate::shell::{self, Tone};

/// What building a crate's tests gave.
pub enum Build {
    /// The unit-test program, ready to run.
    Ready(PathBuf),
    /// The crate does not compile: the compiler's first errors, as it rendered them.
    Broken(Vec<String>),
}

/// The `cargo` that runs us (cargo sets `CARGO` for the programs it starts), so the runner uses
/// the same toolchain as the student.
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // Colour codes would end up inside the JSON messages and the captured output.
    command.env("CARGO_TERM_COLOR", "never");
    command
}

/// Where cargo puts the build output of the workspace at `root`: the folder `CARGO_TARGET_DIR`
/// names (from the root, when it is relative), or `target/` there.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// Builds the unit tests of `package` in the workspace at `root`.
pub fn build_tests(root: &Path, package: &str) -> Result<Build> {
    build(cargo().current_dir(root), package)
}

/// [`build_tests`] with build output in `target` rather than the workspace's own folder.
pub fn build_tests_with_target(root: &Path, package: &str, target: &Path) -> Result<Build> {
    build(
        cargo().current_dir(root).env("CARGO_TARGET_DIR", target),
        package,
    )
}

fn build(command: &mut Command, package: &str) -> Result<Build> {
    let mut child = command
        .args([
            "test",
            "--no-run",
            "--lib",
            "--message-format=json",
            "--package",
        ])
        .arg(package)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context(NO_CARGO)?;
    let stderr = watch_stderr(&mut child);
    let stdout = child.stdout.take().map(|mut out| {
        thread::spawn(move || {
            let mut stdout = Vec::new();
            let _ = out.read_to_end(&mut stdout);
            stdout
        })
    });
    // A build script of the student's runs as part of the build: one that never ends must not
    // keep the runner waiting for ever.
    let ended = processes::wait_until(&mut child, Instant::now() + build_limit())
        .context("cannot wait for cargo")?;
    let Some(status) = ended else {
        processes::end_tree(&mut child);
        bail!(
            "building `{package}` took longer than {:.0} minutes, so the runner stopped it: a \
             build script (build.rs) that never ends, or another build holding cargo's lock all \
             that time",
            build_limit().as_secs_f64() / 60.0
        );
    };
    let stdout = stdout
        .and_then(|reader| reader.join().ok())
        .unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();

    let stdout = String::from_utf8_lossy(&stdout);
    let mut executable = None;
    let mut errors = Vec::new();
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<Message>(line) else {
            continue;
        };
        match message.reason.as_str() {
            "compiler-artifact" if message.profile.is_some_and(|p| p.test) => {
                executable = message.executable.or(executable);
            }
            "compiler-message" => {
                if let Some(diagnostic) = message.message.filter(Diagnostic::is_own_error) {
                    errors.push(
                        diagnostic
                            .rendered
                            .unwrap_or(diagnostic.message)
                            .trim_end()
                            .to_owned(),
                    );
                }
            }
            _ => {}
        }
    }

    match (status.success(), executable) {
        (true, Some(executable)) => Ok(Build::Ready(executable)),
        (true, None) => bail!("cargo built `{package}` but named no unit-test program for it"),
        (false, _) if !errors.is_empty() => Ok(Build::Broken(errors)),
        (false, _) => bail!("cargo could not build `{package}`:\n{}", stderr.trim()),
    }
}

const NO_CARGO: &str = "cannot run cargo; is Rust installed (https://rustup.rs)?";

/// The longest a build may take before the runner stops it: ten minutes, or the seconds in
/// `WORKBOOK_BUILD_LIMIT` (for the runner's own tests).
fn build_limit() -> Duration {
    std::env::var("WORKBOOK_BUILD_LIMIT")
        .ok()
        .and_then(|secs| secs.trim().parse().ok())
        .map_or(Duration::from_secs(10 * 60), Duration::from_secs)
}

/// Reads cargo's stderr on a thread of its own, as it comes: says at once when cargo waits for a
/// lock, and gives back everything else but cargo's status lines (for an error message).
fn watch_stderr(child: &mut Child) -> thread::JoinHandle<String> {
    let stderr = child.stderr.take();
    thread::spawn(move || {
        let Some(stderr) = stderr else {
            return String::new();
        };
        let mut kept = String::new();
        let mut said = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(lock) = waiting_for_lock(&line) {
                if !said.contains(&lock) {
                    shell::notice(Tone::Pending, "Waiting", waiting_message(&lock));
                    said.push(lock);
                }
            } else if !is_status_line(&line) {
                kept.push_str(&line);
                kept.push('\n');
            }
        }
        kept
    })
}

/// What cargo waits for, from its `Blocking waiting for file lock on build directory` line.
fn waiting_for_lock(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("Blocking")?;
    let (_, what) = rest.split_once("file lock on ")?;
    Some(what.trim().to_owned())
}

/// The runner's words for cargo waiting for the lock on `what` (`build directory`).
fn waiting_message(what: &str) -> String {
    format!(
        "for another build to finish: cargo waits for its lock on the {what}, which another \
         cargo holds (another terminal, or your editor building in the background); the check \
         goes on by itself when that build ends"
    )
}

/// A cargo status line (`   Compiling ch01-tcp-ip v0.1.0`, `    Finished …`): a capitalised
/// word right-aligned in the first 12 columns.
fn is_status_line(line: &str) -> bool {
    let Some((verb, _)) = line.split_at_checked(12) else {
        return false;
    };
    let word = verb.trim_start();
    line.as_bytes().get(12) == Some(&b' ')
        && word.len() > 1
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
}

/// Builds the unit tests of several packages in one cargo call, so the per-chapter builds that
/// follow find everything ready. Failures are ignored here: each chapter's own build reports
/// them.
pub fn warm(root: &Path, packages: &[&str]) {
    let mut command = cargo();
    command
        .current_dir(root)
        .args(["build", "--tests", "--lib", "--keep-going"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for package in packages {
        command.args(["--package", package]);
    }
    if let Ok(mut child) = command.spawn() {
        let stderr = watch_stderr(&mut child);
        let _ = child.wait();
        let _ = stderr.join();
    }
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    executable: Option<PathBuf>,
    #[serde(default)]
    profile: Option<Profile>,
    #[serde(default)]
    message: Option<Diagnostic>,
}

#[derive(Deserialize)]
struct Profile {
    test: bool,
}

#[derive(Deserialize)]
struct Diagnostic {
    message: String,
    level: String,
    rendered: Option<String>,
}

impl Diagnostic {
    /// An error about the code, not the compiler's closing "aborting due to 3 previous errors".
    fn is_own_error(&self) -> bool {
        self.level == "error"
            && !self.message.starts_with("aborting due to")
            && !self.message.starts_with("could not compile")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_waiting_for_a_lock_is_recognised_and_named() {
        for (line, what) in [
            (
                "    Blocking waiting for file lock on build directory",
                "build directory",
            ),
            (
                "    Blocking waiting for file lock on package cache",
                "package cache",
            ),
            (
                "Blocking waiting for file lock on artifact directory",
                "artifact directory",
            ),
        ] {
            assert_eq!(waiting_for_lock(line).as_deref(), Some(what), "{line}");
        }
        for line in [
            "   Compiling ch01-tcp-ip v0.1.0 (/work/exercises/ch01-tcp-ip)",
            "error: could not compile `ch01-tcp-ip` (lib test)",
            "Blocking",
        ] {
            assert_eq!(waiting_for_lock(line), None, "{line}");
        }
        assert!(waiting_message("build directory").starts_with("for another build to finish"));
    }

    #[test]
    fn cargo_status_lines_are_left_out_and_errors_kept() {
        for line in [
            "   Compiling ch01-tcp-ip v0.1.0 (/work/exercises/ch01-tcp-ip)",
            "    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.31s",
            "  Executable unittests src/lib.rs (target/debug/deps/ch01_tcp_ip-1)",
            "    Updating crates.io index",
        ] {
            assert!(is_status_line(line), "{line}");
        }
        for line in [
            "error: could not find `Cargo.toml` in `/tmp` or any parent directory",
            "warning: unused manifest key: package.colour",
            "  |",
            "Caused by:",
            "",
            "  failed to load manifest for workspace member `/work/exercises/*`",
        ] {
            assert!(!is_status_line(line), "{line}");
        }
    }
}
