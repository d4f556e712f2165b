//! Asking git, for the commands that must never lose a student's work (`reset`, `update`), for
//! a student copy's fresh history (`export`), and for reading students' repositories (`grade`,
//! which does not trust them). Git is run as a program, as a person would run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::workbook::slash;

/// `git` in `folder`, reading nothing from the terminal.
pub fn command(folder: &Path) -> Command {
    let mut command = Command::new("git");
    command.current_dir(folder).stdin(Stdio::null());
    command
}

/// `git` in a repository that is not trusted (a student's, when grading): no hooks, no
/// file-system monitor, no questions on the terminal.
pub fn untrusted(folder: &Path) -> Command {
    let mut command = command(folder);
    command
        .args(["-c", "core.fsmonitor=false", "-c", "core.hooksPath="])
        .env("GIT_TERMINAL_PROMPT", "0");
    command
}

/// Runs `command`, a git command whose arguments are `args` (for the message), and returns what
/// it printed, or an error with what git said.
pub fn output(command: &mut Command, args: &[&str]) -> Result<Vec<u8>> {
    let output = command
        .output()
        .context("cannot run git; is it installed (https://git-scm.com)?")?;
    if !output.status.success() {
        bail!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output.stdout)
}

/// Runs `git ARGS` in `folder` and returns what it printed, or an error with what it said.
pub fn run(folder: &Path, args: &[&str]) -> Result<Vec<u8>> {
    output(command(folder).args(args), args)
}

/// Like [`run`], as text.
pub fn run_text(folder: &Path, args: &[&str]) -> Result<String> {
    Ok(String::from_utf8_lossy(&run(folder, args)?).into_owned())
}

/// Like [`run`], in a repository that is not trusted (see [`untrusted`]).
pub fn run_untrusted(folder: &Path, args: &[&str]) -> Result<Vec<u8>> {
    output(untrusted(folder).args(args), args)
}

/// Clones the repository at `url` into the new folder `destination`, with git's `options`
/// (`--bare`, `--depth 1`). Git may ask for a password on the terminal only when `prompt`.
pub fn clone(url: &str, destination: &Path, options: &[&str], prompt: bool) -> Result<()> {
    let mut command = Command::new("git");
    command
        .args(["clone", "--quiet"])
        .args(options)
        .arg("--")
        .arg(url)
        .arg(destination)
        .stdin(Stdio::null());
    if !prompt {
        command.env("GIT_TERMINAL_PROMPT", "0");
    }
    output(&mut command, &["clone", url])?;
    Ok(())
}

/// True for what git could clone: `https://…`, `ssh://…`, `file://…`, `git@host:path`.
pub fn is_url(text: &str) -> bool {
    text.contains("://")
        || text
            .split_once(':')
            .is_some_and(|(host, _)| host.contains('@') && !host.contains('/'))
}

/// True when `folder` is inside a git working tree (and git is installed).
pub fn is_repository(folder: &Path) -> bool {
    run(folder, &["rev-parse", "--is-inside-work-tree"]).is_ok_and(|out| out.starts_with(b"true"))
}

/// What git says differs from the last commit under `path` (relative to `root`): one
/// `git status --short` line per file, new files included; empty when everything is committed.
pub fn changes(root: &Path, path: &Path) -> Result<Vec<String>> {
    let text = run_text(root, &["status", "--porcelain", "--", &slash(path)])?;
    Ok(text.lines().map(str::to_owned).collect())
}

/// The newest commit that changed something under `path`.
pub fn last_commit_changing(root: &Path, path: &Path) -> Result<Option<String>> {
    let text = run_text(root, &["log", "-1", "--format=%H", "--", &slash(path)])?;
    Ok(text.lines().next().map(str::to_owned))
}

/// The commit that first added something under `path`: the oldest of those that added a file.
pub fn first_commit_adding(root: &Path, path: &Path) -> Result<Option<String>> {
    let text = run_text(
        root,
        &["log", "--diff-filter=A", "--format=%H", "--", &slash(path)],
    )?;
    Ok(text.lines().last().map(str::to_owned))
}

/// The full id of `revision` (a commit id, a branch, a tag), or an error that names it.
pub fn resolve(root: &Path, revision: &str) -> Result<String> {
    let spec = format!("{revision}^{{commit}}");
    let text = run_text(root, &["rev-parse", "--verify", "--quiet", &spec])
        .with_context(|| format!("git knows no commit `{revision}`"))?;
    Ok(text.trim().to_owned())
}

/// The files under `path` (relative to `root`) in `commit`, each with its content.
pub fn files_at(root: &Path, commit: &str, path: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let listing = run_text(
        root,
        &[
            "ls-tree",
            "-r",
            "--name-only",
            "-z",
            commit,
            "--",
            &slash(path),
        ],
    )?;
    listing
        .split('\0')
        .filter(|name| !name.is_empty())
        .map(|name| {
            // `./` makes the path relative to `root`, which may be below the repository's top.
            let content = run(root, &["show", &format!("{commit}:./{name}")])?;
            Ok((PathBuf::from(name), content))
        })
        .collect()
}

/// Starts a repository in `folder` and commits everything in it, as one first commit.
pub fn init_and_commit(folder: &Path, message: &str) -> Result<()> {
    run(folder, &["init", "--quiet", "--initial-branch=main"])?;
    run(folder, &["add", "--all"])?;
    let mut args = Vec::new();
    // A machine where git has no identity yet (a fresh CI runner) can still make the commit.
    if run(folder, &["config", "user.email"]).is_err() {
        args.extend([
            "-c",
            "user.name=Workbook",
            "-c",
            "user.email=workbook@example.invalid",
        ]);
    }
    args.extend(["commit", "--quiet", "--message", message]);
    run(folder, &args)?;
    Ok(())
}

/// The short form of a commit id, for messages.
pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_folders() {
        for url in [
            "https://github.com/course/workbook-template",
            "ssh://git@github.com/course/workbook-template.git",
            "file:///srv/templates/workbook",
            "git@github.com:course/workbook-template.git",
        ] {
            assert!(is_url(url), "{url}");
        }
        for folder in ["../workbook-student", "C:\\templates\\workbook", "v2"] {
            assert!(!is_url(folder), "{folder}");
        }
    }
}
