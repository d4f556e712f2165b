//! What the runner's integration tests (and benchmarks) that work on copies of a workbook share:
//! a scratch folder, the one way to copy a folder, the fixture copied into a scratch folder
//! (alone, or as a git repository with one commit), the runner run on it as a person would,
//! bounded in time, and git.

// Each test file uses its own part of this.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// The limit for one run of the runner or of cargo, first builds included.
pub const RUN_LIMIT: Duration = Duration::from_secs(300);

/// A student's unfinished version of chapter 1 of the fixture.
pub const STUDENT_WORK: &str =
    "//! My work.\n\npub fn answer() -> u32 {\n    41\n}\n\n#[cfg(test)]\nmod tests;\n";
/// Chapter 1 of the fixture, solved, as a student would write it in the exercise.
pub const SOLVED: &str = "pub fn answer() -> u32 {\n    42\n}\n\n#[cfg(test)]\nmod tests;\n";

/// A folder of its own under the system's temporary folder (outside any git repository, which
/// matters to `reset`), removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("xtask-kit-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        Scratch(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_SCRATCH").is_none() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Copies the folder `from` into `to`, build output (`target/`) left out.
pub fn copy_tree(from: &Path, to: &Path) {
    sync_tree(from, to, &|text| text);
}

/// Makes `to` a copy of the folder `from` (build output left out), each text file passed through
/// `edit` on the way. A file that is already as it should be is not written again, so that
/// cargo's incremental builds in a copy kept across runs still work, and a `.rs` file that
/// `from` no longer has is removed from `to`.
pub fn sync_tree(from: &Path, to: &Path, edit: &dyn Fn(String) -> String) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (source, destination) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            if entry.file_name() != "target" {
                sync_tree(&source, &destination, edit);
            }
            continue;
        }
        let bytes = fs::read(&source).unwrap();
        let bytes = match String::from_utf8(bytes) {
            Ok(text) => edit(text).into_bytes(),
            Err(binary) => binary.into_bytes(),
        };
        if fs::read(&destination).ok().as_deref() != Some(bytes.as_slice()) {
            fs::write(&destination, bytes).unwrap();
        }
    }
    for entry in fs::read_dir(to).unwrap() {
        let path = entry.unwrap().path();
        let source = from.join(path.file_name().unwrap());
        if path.is_file() && !source.exists() && path.extension().is_some_and(|e| e == "rs") {
            fs::remove_file(&path).unwrap();
        }
    }
}

/// A fresh copy of the fixture workbook in `scratch/workbook`.
pub fn fixture(scratch: &Scratch) -> PathBuf {
    let root = scratch.path().join("workbook");
    copy_tree(&manifest_dir().join("tests/fixtures/kit"), &root);
    root
}

/// Writes `text` to `path` under `root`, making the folders it needs.
pub fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// The fixture in a repository with one commit, as a student's repository starts.
pub fn fixture_in_git(scratch: &Scratch) -> PathBuf {
    let root = fixture(scratch);
    fs::write(root.join(".gitignore"), "/target\n/.workbook\n").unwrap();
    git(&root, &["init", "--quiet"]);
    git(&root, &["add", "--all"]);
    git(&root, &["commit", "--quiet", "--message", "Stubs"]);
    root
}

/// The runner on the workbook at `root`, building in `target`, ready to run.
pub fn runner(root: &Path, target: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .arg("--root")
        .arg(root)
        .args(["--color", "never"])
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("WORKBOOK_SEED")
        .stdin(Stdio::null());
    command
}

/// Runs `cargo xtask ARGS` on the workbook at `root`, building in `target`, bounded by the
/// watchdog.
pub fn xtask(root: &Path, target: &Path, args: &[&str]) -> Output {
    let mut command = runner(root, target, args);
    let shown = format!("`cargo xtask {}` to finish", args.join(" "));
    testkit::within(RUN_LIMIT, &shown, move || {
        command.output().expect("cannot run the runner")
    })
}

/// Runs `cargo xtask ARGS` on a fixture at `root`, building in `root/target`.
pub fn on_fixture(root: &Path, args: &[&str]) -> Output {
    xtask(root, &root.join("target"), args)
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Everything the runner said, both streams, for assertion messages.
pub fn said(output: &Output) -> String {
    format!("{}{}", text(&output.stdout), text(&output.stderr))
}

/// Git in `root`, with an identity of its own and no signing, reading nothing from the terminal.
pub fn git_command(root: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(root)
        .args([
            "-c",
            "user.name=Student",
            "-c",
            "user.email=student@example.invalid",
        ])
        .args(["-c", "commit.gpgsign=false"])
        .stdin(Stdio::null());
    command
}

/// Runs git in `root`, with an identity of its own; panics with git's words if it fails.
pub fn git(root: &Path, args: &[&str]) -> String {
    let output = git_command(root)
        .args(args)
        .output()
        .expect("cannot run git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}
