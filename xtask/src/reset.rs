//! `cargo xtask reset <chapter>`: puts a chapter's exercise back as it was handed out, after
//! keeping the student's version in `.workbook/backups/`.
//!
//! The untouched stub comes from git history. Once `cargo xtask update` has brought the
//! instructor's fixes in, it is the folder as it is in the newest *template commit* that update
//! recorded: the new student template exactly, stubs included, which the update's merge commit
//! has as its second parent (see `update`'s module doc). Its stub is the one that matches the
//! tests the update brought, even when only the stub changed; the update's own commit holds the
//! student's code, never the stub, so it is never the one used.
//!
//! Before any update (or when that commit has no such folder), it is the folder as it was in the
//! last commit that changed the exercise's tests (`src/tests.rs`). Students never change the
//! tests, so that commit is the workbook's, not theirs: in a repository made from the student
//! template it is the template's single first commit; in a clone of the workbook it is the
//! newest version of the chapter, whose stub matches the tests that grade it (the first commit
//! that added the chapter may hold an older draft). Without such a commit, the first commit that
//! added the folder is used. `--from <commit>` picks another. Without git there is no history to
//! restore from, and `reset` says so.
//!
//! Nothing is ever lost: work that git has not committed stops `reset` unless `--force` is
//! given, and the folder's content is copied to a new, named backup before anything is
//! overwritten or removed. `reset` prints the command that puts that version back,
//! `cargo xtask reset ch3 --restore <backup>` (`--restore` alone takes the newest backup), which
//! works the same on every system. Restoring keeps the version it replaces in a backup of its
//! own too, unless that version is the untouched stub, which `reset` can always bring back.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};

use crate::files;
use crate::git;
use crate::shell::{self, Shell, Tone};
use crate::update;
use crate::workbook::{Chapter, Workbook, slash};

/// Put a chapter's exercise back as it was handed out; your version is kept in a backup under
/// `.workbook/backups/`, and work git has not committed is never touched without `--force`.
/// `--restore` puts a backup back.
#[derive(clap::Args)]
pub struct Args {
    /// The chapter: `ch3`, `3`, `ch03` or its name.
    chapter: String,
    /// With `--restore`: the backup to put back (its name, as `reset` printed it); the
    /// newest when not given.
    #[arg(requires = "restore")]
    backup: Option<String>,
    /// Reset even though git has not committed your work (a backup is still made).
    #[arg(long)]
    force: bool,
    /// Take the stub from this commit, instead of the last one that changed the exercise's
    /// tests.
    #[arg(long, value_name = "COMMIT")]
    from: Option<String>,
    /// Put a backup of the exercise back instead (the version there now is kept in a
    /// backup of its own, unless it is the untouched stub).
    #[arg(long, conflicts_with_all = ["from", "force"])]
    restore: bool,
}

/// Where backups are kept, relative to the root.
const BACKUPS: &str = ".workbook/backups";

impl Args {
    /// Runs `reset`; true when the exercise is the untouched stub (or the restored backup)
    /// afterwards.
    pub fn run(self, workbook: &Workbook, shell: &Shell) -> Result<bool> {
        let chapter = workbook.chapter(&self.chapter)?;
        if self.restore {
            restore_backup(workbook, shell, chapter, self.backup.as_deref())
        } else {
            reset(workbook, shell, chapter, self.from.as_deref(), self.force)
        }
    }
}

/// Puts the untouched stub of `chapter` back, from the commit `from` names or the one `reset`
/// finds, after a backup; work git has not committed stops it, unless `force`.
fn reset(
    workbook: &Workbook,
    shell: &Shell,
    chapter: &Chapter,
    from: Option<&str>,
    force: bool,
) -> Result<bool> {
    let root = &workbook.root;
    let relative = chapter.exercise_dir();
    let shown = slash(&relative);
    let dir = root.join(&relative);

    ensure!(
        git::is_repository(root),
        "reset takes the untouched stub from git history, and {} is not in a git repository \
         (or git is not installed), so there is nothing to restore {shown} from; a copy made \
         with `git clone` has that history",
        root.display()
    );
    let Stub {
        commit,
        origin,
        files: stub,
    } = stub(root, chapter, from)?;

    let current = files::list(&dir, &files::is_build_output)?;
    if is_same(&dir, &relative, &current, &stub) {
        shell.status(
            Tone::Good,
            "Unchanged",
            format!("{shown} is already the untouched stub of {}", chapter.id),
        );
        return Ok(true);
    }

    let uncommitted = git::changes(root, &relative)?;
    if !uncommitted.is_empty() && !force {
        bail!(
            "{shown} has work that git has not committed, so reset will not touch it:\n{}\n\
             Commit it first (`git add {shown}` and `git commit -m \"{} so far\"`), or run \
             `cargo xtask reset {} --force`; either way reset keeps a copy of your version in \
             .workbook/backups/",
            uncommitted
                .iter()
                .map(|line| format!("  {line}"))
                .collect::<Vec<_>>()
                .join("\n"),
            chapter.id,
            chapter.id
        );
    }

    let saved = if current.is_empty() {
        None
    } else {
        let backup = back_up(root, chapter, &current)
            .context("cannot back up your version, so nothing was reset")?;
        shell.status(
            Tone::Good,
            "Saved",
            format!("your version of {} in {BACKUPS}/{backup}/", chapter.id),
        );
        Some(backup)
    };
    restore(&dir, &relative, &current, &stub)?;
    shell.status(
        Tone::Good,
        "Restored",
        format!("{shown}/ as in commit {} ({origin})", git::short(&commit)),
    );
    if let Some(backup) = saved {
        shell.status(
            Tone::Info,
            "Undo",
            format!(
                "{} puts your version back",
                shell::command(&restore_command(chapter, &backup))
            ),
        );
    }
    shell.status(
        Tone::Info,
        "Next",
        format!(
            "{} grades the fresh stub",
            shell::command(&format!("cargo xtask check {}", chapter.id))
        ),
    );
    Ok(true)
}

/// Files with their content, by path.
type Files = Vec<(PathBuf, Vec<u8>)>;

/// The untouched stub of a chapter's exercise.
struct Stub {
    /// The commit it comes from.
    commit: String,
    /// In words, how that commit was found.
    origin: String,
    /// Its files, by their paths relative to the root (as git names them).
    files: Files,
}

/// The untouched stub of `chapter`, from `from` or the commit that `reset` finds by itself.
fn stub(root: &Path, chapter: &Chapter, from: Option<&str>) -> Result<Stub> {
    let relative = chapter.exercise_dir();
    let shown = slash(&relative);
    let template = match from {
        Some(_) => None,
        None => update::newest_template(root)?,
    };
    if let Some(commit) = template {
        let files = git::files_at(root, &commit, &relative)?;
        if !files.is_empty() {
            return Ok(Stub {
                commit,
                origin: "the newest template `cargo xtask update` brought in".to_owned(),
                files,
            });
        }
    }
    let (commit, origin) = match from {
        Some(revision) => (git::resolve(root, revision)?, format!("`{revision}`")),
        None => match git::last_commit_changing(root, &chapter.tests_file())? {
            Some(commit) => (commit, "the last commit that changed its tests".to_owned()),
            None => {
                let commit = git::first_commit_adding(root, &relative)?.with_context(|| {
                    format!("git has no commit that added {shown}, so there is no stub to restore")
                })?;
                (commit, "the commit that added it".to_owned())
            }
        },
    };
    let stub = git::files_at(root, &commit, &relative)?;
    ensure!(
        !stub.is_empty(),
        "commit {} has nothing in {shown}",
        git::short(&commit)
    );
    Ok(Stub {
        commit,
        origin,
        files: stub,
    })
}

/// The command that puts the backup `name` of `chapter` back: the same on every system.
fn restore_command(chapter: &Chapter, name: &str) -> String {
    format!("cargo xtask reset {} --restore {name}", chapter.id)
}

/// Copies the exercise's `files` to a new backup; its folder name.
fn back_up(root: &Path, chapter: &Chapter, files: &[PathBuf]) -> Result<String> {
    let backup = backup_folder(root, &chapter.dir_name())?;
    files::copy(&root.join(chapter.exercise_dir()), &backup, files)?;
    Ok(backup
        .file_name()
        .expect("a backup folder has a name")
        .to_string_lossy()
        .into_owned())
}

/// `reset --restore [BACKUP]`: puts a backup of the exercise back, the newest when none is
/// named, after keeping the version it replaces (unless that is the untouched stub).
fn restore_backup(
    workbook: &Workbook,
    shell: &Shell,
    chapter: &Chapter,
    name: Option<&str>,
) -> Result<bool> {
    let root = &workbook.root;
    let relative = chapter.exercise_dir();
    let shown = slash(&relative);
    let dir = root.join(&relative);
    let backups = backups_of(root, chapter);
    let chosen = match name {
        None => backups.last().cloned().with_context(|| {
            format!(
                "there is no backup of {} in {BACKUPS}/ to restore; `cargo xtask reset {}` makes \
                 one before it puts the stub back",
                chapter.id, chapter.id
            )
        })?,
        Some(name) => {
            // The folder's name, or its path as `reset` printed it (`.workbook/backups/NAME/`).
            let name = name
                .trim_end_matches(['/', '\\'])
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or_default();
            if !backups.iter().any(|b| b == name) {
                let known = if backups.is_empty() {
                    "it has none".to_owned()
                } else {
                    format!("its backups are {}", backups.join(", "))
                };
                bail!(
                    "there is no backup `{name}` of {} in {BACKUPS}/; {known}",
                    chapter.id
                );
            }
            name.to_owned()
        }
    };
    let folder = root.join(BACKUPS).join(&chosen);
    let saved = files::list(&folder, &files::is_build_output)?;
    ensure!(
        !saved.is_empty(),
        "the backup {BACKUPS}/{chosen}/ is empty, so there is nothing to restore"
    );
    let content = saved
        .iter()
        .map(|file| {
            let path = folder.join(file);
            let bytes =
                fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            Ok((relative.join(file), bytes))
        })
        .collect::<Result<Vec<_>>>()?;

    let current = files::list(&dir, &files::is_build_output)?;
    if is_same(&dir, &relative, &current, &content) {
        shell.status(
            Tone::Good,
            "Unchanged",
            format!("{shown} is already as in {BACKUPS}/{chosen}/"),
        );
        return Ok(true);
    }
    if !current.is_empty() && !is_untouched_stub(root, chapter, &current) {
        let backup = back_up(root, chapter, &current)
            .context("cannot back up the version there now, so nothing was restored")?;
        shell.status(
            Tone::Good,
            "Saved",
            format!(
                "the version of {} that was there in {BACKUPS}/{backup}/ ({} brings it back)",
                chapter.id,
                shell::command(&restore_command(chapter, &backup))
            ),
        );
    }
    restore(&dir, &relative, &current, &content)?;
    shell.status(
        Tone::Good,
        "Restored",
        format!("{shown}/ from {BACKUPS}/{chosen}/"),
    );
    shell.status(
        Tone::Info,
        "Next",
        format!(
            "{} grades it",
            shell::command(&format!("cargo xtask check {}", chapter.id))
        ),
    );
    Ok(true)
}

/// True when the exercise's `current` files are the untouched stub, as `reset` would restore
/// it; false when that cannot be told (no git, no history).
fn is_untouched_stub(root: &Path, chapter: &Chapter, current: &[PathBuf]) -> bool {
    let relative = chapter.exercise_dir();
    git::is_repository(root)
        && stub(root, chapter, None)
            .is_ok_and(|stub| is_same(&root.join(&relative), &relative, current, &stub.files))
}

/// The names of `chapter`'s backups, oldest first.
fn backups_of(root: &Path, chapter: &Chapter) -> Vec<String> {
    let prefix = format!("{}-", chapter.dir_name());
    let mut found: Vec<(String, u32, String)> = fs::read_dir(root.join(BACKUPS))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let (stamp, attempt) = backup_stamp(name.strip_prefix(&prefix)?)?;
            Some((stamp.to_owned(), attempt, name))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, _, name)| name).collect()
}

/// `("20261127-201500", 2)` for `20261127-201500-2`, the part of a backup's name after the
/// exercise's folder name; `None` when it is not a stamp (another chapter's longer slug).
fn backup_stamp(rest: &str) -> Option<(&str, u32)> {
    let (stamp, attempt) = match rest.get(15..) {
        Some("") => (rest, 1),
        Some(more) => (&rest[..15], more.strip_prefix('-')?.parse().ok()?),
        None => return None,
    };
    let bytes = stamp.as_bytes();
    let digits = |part: &[u8]| part.iter().all(u8::is_ascii_digit);
    (bytes.len() == 15 && digits(&bytes[..8]) && bytes[8] == b'-' && digits(&bytes[9..]))
        .then_some((stamp, attempt))
}

/// True when the folder holds exactly the stub's files, with the same content.
fn is_same(dir: &Path, relative: &Path, current: &[PathBuf], stub: &Files) -> bool {
    current.len() == stub.len()
        && stub.iter().all(|(path, content)| {
            path.strip_prefix(relative)
                .is_ok_and(|inner| fs::read(dir.join(inner)).is_ok_and(|now| now == *content))
        })
}

/// Writes the stub's files, then removes the files the stub does not have.
fn restore(
    dir: &Path,
    relative: &Path,
    current: &[PathBuf],
    stub: &[(PathBuf, Vec<u8>)],
) -> Result<()> {
    let mut kept = Vec::new();
    for (path, content) in stub {
        let inner = path.strip_prefix(relative).unwrap_or(path);
        let destination = dir.join(inner);
        if let Some(parent) = destination.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::write(&destination, content)
            .with_context(|| format!("cannot write {}", destination.display()))?;
        kept.push(inner.to_path_buf());
    }
    for file in current.iter().filter(|file| !kept.contains(file)) {
        let path = dir.join(file);
        fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        files::remove_empty_folders(dir, file);
    }
    Ok(())
}

/// A new folder `.workbook/backups/<exercise>-<UTC date and time>/`, never one that exists.
fn backup_folder(root: &Path, name: &str) -> Result<PathBuf> {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let base = root
        .join(".workbook")
        .join("backups")
        .join(format!("{name}-{}", utc_stamp(seconds)));
    fs::create_dir_all(base.parent().expect("the backups folder has a parent"))
        .context("cannot create .workbook/backups/")?;
    for attempt in 1.. {
        let folder = if attempt == 1 {
            base.clone()
        } else {
            PathBuf::from(format!("{}-{attempt}", base.display()))
        };
        // `create_dir` fails when the folder exists, so two resets in one second both get one.
        match fs::create_dir(&folder) {
            Ok(()) => return Ok(folder),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => {
                return Err(error).with_context(|| format!("cannot create {}", folder.display()));
            }
        }
    }
    unreachable!("the attempts never run out")
}

/// `20261127-201500` for 2026-11-27 20:15:00 UTC, from seconds since 1970 (std has no calendar).
fn utc_stamp(seconds: u64) -> String {
    let (days, rest) = ((seconds / 86_400) as i64, seconds % 86_400);
    // Howard Hinnant's days-to-civil-date algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backups_name_is_the_folder_a_stamp_and_maybe_an_attempt() {
        assert_eq!(
            backup_stamp("20261127-201500"),
            Some(("20261127-201500", 1))
        );
        assert_eq!(
            backup_stamp("20261127-201500-12"),
            Some(("20261127-201500", 12))
        );
        for other in [
            "",
            "2026",
            "20261127-2015xx",
            "text-20261127-201500",
            "20261127-201500x",
        ] {
            assert_eq!(backup_stamp(other), None, "{other}");
        }
    }

    #[test]
    fn stamps_are_utc_calendar_dates() {
        assert_eq!(utc_stamp(0), "19700101-000000");
        assert_eq!(utc_stamp(951_782_400), "20000229-000000");
        assert_eq!(utc_stamp(1_700_000_000), "20231114-221320");
        assert_eq!(utc_stamp(1_798_761_599), "20261231-235959");
    }
}
