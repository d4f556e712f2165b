//! The runner's record of each chapter's last check, kept in `.workbook/results` at the
//! workbook's root (ignored by git), so that `check ch3` can say which chapter comes next
//! without grading the others.
//!
//! Every grading of a chapter's exercise writes one line: whether every test passed, and a
//! fingerprint of the exercise's files at that moment. A chapter counts as done when its last
//! check passed and its files are still exactly as they were then; a chapter edited since, or
//! never checked, or whose last check did not pass, is not done. The next chapter is the first
//! one, in the manifest's order, that is not done. `cargo xtask check` (every chapter) grades
//! them all again and rewrites the record.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::cache::Fingerprint;
use crate::files;
use crate::grading::{ChapterReport, Side};
use crate::workbook::{Chapter, Workbook};

/// The record's path, relative to the workbook's root, for messages.
pub const RECORD: &str = ".workbook/results";

/// Where a chapter stands, as far as the record knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Its last check passed, and its files have not changed since.
    Passed,
    /// Its last check did not pass.
    Failed,
    /// Its last check passed, but its files have changed since.
    Changed,
    /// It was never checked (or the record was lost).
    Unchecked,
}

impl Standing {
    /// Why a chapter that is not done is not, after its id: "ch3 has not been checked yet".
    pub fn reason(self) -> &'static str {
        match self {
            Standing::Passed => "passed its last check",
            Standing::Failed => "did not pass its last check",
            Standing::Changed => "passed its last check but has changed since",
            Standing::Unchecked => "has not been checked yet",
        }
    }
}

/// One line of the record.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    passed: bool,
    fingerprint: String,
}

fn path(workbook: &Workbook) -> PathBuf {
    workbook.root.join(RECORD)
}

/// Remembers how a grading of a chapter's exercise went. The record is a convenience: when it
/// cannot be written (a read-only folder), the check goes on without it.
pub fn record(workbook: &Workbook, report: &ChapterReport) {
    if report.side != Side::Exercise {
        return;
    }
    let path = path(workbook);
    let mut entries = read(&path);
    entries.insert(
        report.chapter.id.clone(),
        Entry {
            passed: report.all_passed(),
            fingerprint: fingerprint(&workbook.root.join(report.chapter.exercise_dir())),
        },
    );
    let _ = write(&path, &entries);
}

/// Where `chapter` stands, from the record and its files as they are now.
fn standing_in(
    entries: &BTreeMap<String, Entry>,
    workbook: &Workbook,
    chapter: &Chapter,
) -> Standing {
    match entries.get(&chapter.id) {
        None => Standing::Unchecked,
        Some(entry) if !entry.passed => Standing::Failed,
        Some(entry) => {
            let now = fingerprint(&workbook.root.join(chapter.exercise_dir()));
            if now == entry.fingerprint {
                Standing::Passed
            } else {
                Standing::Changed
            }
        }
    }
}

/// The next step after `done` passed: the first chapter, in the manifest's order, that is not
/// done, with where it stands; the chapters after `done` and before it, which the record says
/// are done; `None` when every chapter is done.
pub fn next_unfinished<'a>(
    workbook: &'a Workbook,
    done: &Chapter,
) -> Option<(&'a Chapter, Standing, Vec<&'a Chapter>)> {
    let entries = read(&path(workbook));
    let (next, standing) = workbook
        .chapters
        .iter()
        .filter(|c| c.id != done.id)
        .map(|c| (c, standing_in(&entries, workbook, c)))
        .find(|(_, standing)| *standing != Standing::Passed)?;
    let skipped = workbook
        .chapters
        .iter()
        .filter(|c| c.number > done.number && c.number < next.number)
        .collect();
    Some((next, standing, skipped))
}

/// The record on disk; a missing or garbled file, or a garbled line, counts as nothing known.
fn read(path: &Path) -> BTreeMap<String, Entry> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let (chapter, result, fingerprint) = (words.next()?, words.next()?, words.next()?);
            let passed = match result {
                "passed" => true,
                "failed" => false,
                _ => return None,
            };
            Some((
                chapter.to_owned(),
                Entry {
                    passed,
                    fingerprint: fingerprint.to_owned(),
                },
            ))
        })
        .collect()
}

fn write(path: &Path, entries: &BTreeMap<String, Entry>) -> std::io::Result<()> {
    let folder = path.parent().expect("the record is in a folder");
    fs::create_dir_all(folder)?;
    let mut text = String::from(
        "# The runner's record of each chapter's last check: passed or failed, and a fingerprint\n\
         # of the exercise's files then (`cargo xtask check` uses it to say which chapter is next).\n",
    );
    for (chapter, entry) in entries {
        let result = if entry.passed { "passed" } else { "failed" };
        text.push_str(&format!("{chapter} {result} {}\n", entry.fingerprint));
    }
    // Written aside and renamed into place, so a reader never sees half a record.
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    fs::write(&partial, text)?;
    fs::rename(&partial, path).inspect_err(|_| {
        let _ = fs::remove_file(&partial);
    })
}

/// A fingerprint of every file under `folder` (build output aside): names, lengths and contents,
/// hashed with 64-bit FNV-1a, which is the same on every system and every Rust release. The
/// parts go in without separators, as the record has always been written, so a record made by
/// an earlier runner still counts.
fn fingerprint(folder: &Path) -> String {
    let mut print = Fingerprint::new();
    for file in files::list(folder, &files::is_build_output).unwrap_or_default() {
        let content = fs::read(folder.join(&file)).unwrap_or_default();
        print.add_raw(crate::workbook::slash(&file).as_bytes());
        print.add_raw(&(content.len() as u64).to_le_bytes());
        print.add_raw(&content);
    }
    print.hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_reads_back_what_was_written_and_skips_what_it_cannot_read() {
        let folder = std::env::temp_dir().join(format!("xtask-results-{}", std::process::id()));
        let _ = fs::remove_dir_all(&folder);
        let path = folder.join("results");
        let entries: BTreeMap<String, Entry> = [
            (
                "ch1".to_owned(),
                Entry {
                    passed: true,
                    fingerprint: "00ff".to_owned(),
                },
            ),
            (
                "ch2".to_owned(),
                Entry {
                    passed: false,
                    fingerprint: "0a0b".to_owned(),
                },
            ),
        ]
        .into();
        write(&path, &entries).unwrap();
        assert_eq!(read(&path), entries);
        fs::write(&path, "ch1 passed\nch2 maybe 00\nch3 failed 0c extra\n").unwrap();
        assert_eq!(read(&path).keys().collect::<Vec<_>>(), ["ch3"]);
        assert!(read(&folder.join("missing")).is_empty());
        fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn a_fingerprint_changes_with_a_files_name_or_content() {
        let folder = std::env::temp_dir().join(format!("xtask-fingerprint-{}", std::process::id()));
        let _ = fs::remove_dir_all(&folder);
        fs::create_dir_all(folder.join("src")).unwrap();
        fs::write(folder.join("src/lib.rs"), "fn a() {}\n").unwrap();
        let first = fingerprint(&folder);
        assert_eq!(
            first, "caeaaee305cb5a6e",
            "the fingerprint earlier runners wrote"
        );
        fs::create_dir_all(folder.join("target")).unwrap();
        fs::write(folder.join("target/out"), "built").unwrap();
        assert_eq!(first, fingerprint(&folder), "build output does not count");
        fs::write(folder.join("src/lib.rs"), "fn b() {}\n").unwrap();
        let edited = fingerprint(&folder);
        assert_ne!(first, edited);
        fs::rename(folder.join("src/lib.rs"), folder.join("src/main.rs")).unwrap();
        assert_ne!(edited, fingerprint(&folder));
        fs::remove_dir_all(&folder).unwrap();
    }
}
