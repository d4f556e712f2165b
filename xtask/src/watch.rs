//! `cargo xtask watch [chapter]`: grades a chapter again each time one of its files is saved,
//! and moves on when every test passes, to the first chapter not done yet (as `check` names it,
//! from the record of last checks). Ctrl-C stops it.
//!
//! Saving is noticed by polling: every half second the exercise folder's files are compared
//! with what they were (time of change and content), which needs nothing but std and works the
//! same on every system and editor.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, SystemTime};

use anyhow::Result;

use crate::files;
use crate::grading::{self, ChapterReport, Limits, Side};
use crate::report;
use crate::results;
use crate::shell::{self, Shell, Tone};
use crate::workbook::{Workbook, slash};

/// How often the files are looked at.
const POLL: Duration = Duration::from_millis(500);

/// Check a chapter again every time you save, and move on to the first chapter not done yet when
/// it passes. Without a chapter, start at the first one that does not pass. Ctrl-C stops.
#[derive(clap::Args)]
pub struct Args {
    /// The chapter: `ch3`, `3`, `ch03` or its name.
    chapter: Option<String>,
    /// Stop after this many gradings (for the runner's own tests).
    #[arg(long, hide = true)]
    rounds: Option<usize>,
    #[command(flatten)]
    limits: Limits,
}

impl Args {
    /// Runs `watch`; returns when every chapter passes (true) or after `--rounds` gradings.
    pub fn run(self, workbook: &Workbook, shell: &Shell) -> Result<bool> {
        watch(
            workbook,
            shell,
            self.chapter.as_deref(),
            self.limits.timeout(),
            self.rounds,
        )
    }
}

/// Watches the chapter `query` names (the first that does not pass, when `None`), stopping after
/// `rounds` gradings when given.
fn watch(
    workbook: &Workbook,
    shell: &Shell,
    query: Option<&str>,
    timeout: Duration,
    rounds_limit: Option<usize>,
) -> Result<bool> {
    let rounds = Cell::new(0);
    let grade = |chapter| -> Result<ChapterReport> {
        rounds.set(rounds.get() + 1);
        grading::grade(workbook, chapter, Side::Exercise, timeout)
    };
    let out_of_rounds = || rounds_limit.is_some_and(|limit| rounds.get() >= limit);

    let (mut chapter, mut report) = match query {
        Some(query) => {
            let chapter = workbook.chapter(query)?;
            (chapter, grade(chapter)?)
        }
        None => {
            shell.status(
                Tone::Good,
                "Looking",
                "for the first chapter that does not pass",
            );
            let mut found = None;
            for chapter in &workbook.chapters {
                let report = grade(chapter)?;
                if !report.all_passed() {
                    found = Some((chapter, report));
                    break;
                }
                shell.status(
                    Tone::Good,
                    "Passes",
                    format!("{} · {}", chapter.id, chapter.title),
                );
            }
            match found {
                Some(found) => found,
                None => {
                    shell.status(Tone::Good, "Done", "every chapter passes. Well done!");
                    return Ok(true);
                }
            }
        }
    };

    loop {
        shell.line("");
        report::print_chapter(shell, &report);
        shell.line("");
        report::print_score(shell, workbook, &report);
        if report.all_passed() {
            // The chapter that the score line named as next: the first one not done yet.
            let Some((next, _, _)) = results::next_unfinished(workbook, chapter) else {
                return Ok(true);
            };
            shell.status(
                Tone::Info,
                "Moving on",
                format!("to {} · {}", next.id, next.title),
            );
            chapter = next;
        } else {
            if out_of_rounds() {
                return Ok(false);
            }
            let folder = chapter.exercise_dir();
            // Taken before saying "Watching", so a save right after it cannot be missed.
            let before = snapshot(&workbook.root.join(&folder));
            shell.line("");
            shell.status(
                Tone::Info,
                "Watching",
                format!(
                    "{}/ for changes; save a file to check again {}",
                    slash(&folder),
                    shell::dim("(Ctrl-C stops)")
                ),
            );
            let changed = wait_for_change(&workbook.root.join(&folder), &before);
            shell.status(Tone::Info, "Changed", slash(&folder.join(changed)));
        }
        if out_of_rounds() {
            return Ok(false);
        }
        report = grade(chapter)?;
    }
}

/// What is known of each file: when it last changed, and its content.
type Snapshot = BTreeMap<PathBuf, (Option<SystemTime>, Vec<u8>)>;

fn snapshot(folder: &Path) -> Snapshot {
    // A file caught in the middle of being saved, or a folder being renamed, reads as missing
    // this time round; the next poll sees it.
    files::list(folder, &files::is_build_output)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|file| {
            let path = folder.join(&file);
            let modified = fs::metadata(&path).and_then(|m| m.modified()).ok();
            Some((file, (modified, fs::read(&path).ok()?)))
        })
        .collect()
}

/// Blocks until a file under `folder` differs from `before` (saved, added or removed); returns
/// one that changed.
fn wait_for_change(folder: &Path, before: &Snapshot) -> PathBuf {
    loop {
        thread::sleep(POLL);
        let now = snapshot(folder);
        if now != *before {
            return changed_file(before, &now);
        }
    }
}

/// The first file that differs between two snapshots.
fn changed_file(before: &Snapshot, now: &Snapshot) -> PathBuf {
    now.iter()
        .find(|(file, state)| before.get(*file) != Some(state))
        .or_else(|| before.iter().find(|(file, _)| !now.contains_key(*file)))
        .map(|(file, _)| file.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_changed_file_is_the_edited_added_or_removed_one() {
        let state = |text: &str| (None, text.as_bytes().to_vec());
        let before: Snapshot = [
            (PathBuf::from("src/lib.rs"), state("a")),
            (PathBuf::from("src/tests.rs"), state("t")),
        ]
        .into();
        let mut edited = before.clone();
        edited.insert(PathBuf::from("src/lib.rs"), state("b"));
        assert_eq!(changed_file(&before, &edited), Path::new("src/lib.rs"));
        let mut added = before.clone();
        added.insert(PathBuf::from("src/more.rs"), state("m"));
        assert_eq!(changed_file(&before, &added), Path::new("src/more.rs"));
        let mut removed = before.clone();
        removed.remove(Path::new("src/tests.rs"));
        assert_eq!(changed_file(&before, &removed), Path::new("src/tests.rs"));
    }
}
