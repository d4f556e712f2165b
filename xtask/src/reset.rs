//! `cargo xtask reset <chapter>`: puts a chapter's exercise back as it was handed out, after
//! keeping the student's version in `.workbook/backups/`.
//!
//! The untouched stub comes from git history: the folder as it was in the last commit that
//! changed the exercise's tests (`src/tests.rs`). Students never change the tests, so that commit
//! is the workbook's, not theirs: in a repository made from the student template it is the
//! template's single first commit; in a clone of the workbook it is the newest version of the
//! chapter, whose stub matches the tests that grade it (the first commit that added the chapter
//! may hold an older draft). Without such a commit, the first commit that added the folder is
//! used. `--from <commit>` picks another. Without git there is no history to restore from, and
//! `reset` says so.
//!
//! Nothing is ever lost: work that git has not committed stops `reset` unless `--force` is
//! given, and the folder's content is copied to a new, named backup before anything is
//! overwritten or removed.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};

use crate::files;
use crate::git;
use crate::shell::{self, Shell, Tone};
use crate::workbook::{Workbook, slash};

pub struct Options<'a> {
    pub chapter: &'a str,
    pub force: bool,
    /// The commit to take the stub from, instead of the first that added it.
    pub from: Option<&'a str>,
}

/// Runs `reset`; true when the exercise is the untouched stub afterwards.
pub fn run(workbook: &Workbook, shell: &mut Shell, options: Options) -> Result<bool> {
    let chapter = workbook.chapter(options.chapter)?;
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
    let (commit, origin) = match options.from {
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
    if !uncommitted.is_empty() && !options.force {
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

    if !current.is_empty() {
        let backup = backup_folder(root, &chapter.dir_name())?;
        files::copy(&dir, &backup, &current)
            .context("cannot back up your version, so nothing was reset")?;
        let backup = backup.strip_prefix(root).unwrap_or(&backup);
        shell.status(
            Tone::Good,
            "Saved",
            format!("your version of {} in {}/", chapter.id, slash(backup)),
        );
    }
    restore(&dir, &relative, &current, &stub)?;
    shell.status(
        Tone::Good,
        "Restored",
        format!("{shown}/ as in commit {} ({origin})", git::short(&commit)),
    );
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

/// True when the folder holds exactly the stub's files, with the same content.
fn is_same(dir: &Path, relative: &Path, current: &[PathBuf], stub: &[(PathBuf, Vec<u8>)]) -> bool {
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
        // Folders left empty go too; one that still holds something stays, and that is fine.
        for folder in file
            .ancestors()
            .skip(1)
            .filter(|f| !f.as_os_str().is_empty())
        {
            if fs::remove_dir(dir.join(folder)).is_err() {
                break;
            }
        }
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
    fn stamps_are_utc_calendar_dates() {
        assert_eq!(utc_stamp(0), "19700101-000000");
        assert_eq!(utc_stamp(951_782_400), "20000229-000000");
        assert_eq!(utc_stamp(1_700_000_000), "20231114-221320");
        assert_eq!(utc_stamp(1_798_761_599), "20261231-235959");
    }
}
