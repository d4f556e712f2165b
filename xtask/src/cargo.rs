//! Calling cargo: build a crate's unit-test program and read cargo's JSON messages.
//!
//! Building (`cargo test --no-run`) and running the test program are two steps, so a compile
//! error can be shown as what it is, briefly, and a test program that hangs can be stopped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

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
    let output = command
        .args([
            "test",
            "--no-run",
            "--lib",
            "--quiet",
            "--message-format=json",
            "--package",
        ])
        .arg(package)
        .stdin(Stdio::null())
        .output()
        .context("cannot run cargo; is Rust installed (https://rustup.rs)?")?;

    let stdout = String::from_utf8_lossy(&output.stdout);
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

    match (output.status.success(), executable) {
        (true, Some(executable)) => Ok(Build::Ready(executable)),
        (true, None) => bail!("cargo built `{package}` but named no unit-test program for it"),
        (false, _) if !errors.is_empty() => Ok(Build::Broken(errors)),
        (false, _) => bail!(
            "cargo could not build `{package}`:\n{}",
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    }
}

/// Builds the unit tests of several packages in one cargo call, so the per-chapter builds that
/// follow find everything ready. Failures are ignored here: each chapter's own build reports
/// them.
pub fn warm(root: &Path, packages: &[&str]) {
    let mut command = cargo();
    command
        .current_dir(root)
        .args(["build", "--tests", "--lib", "--keep-going", "--quiet"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for package in packages {
        command.args(["--package", package]);
    }
    let _ = command.status();
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
