//! `cargo xtask hint <chapter>`: the chapter's hints, one more each time you ask.
//!
//! How many hints you have seen is kept in `.workbook/hints` at the workbook's root (ignored by
//! git), one `chapter=count` line per chapter.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::shell::{self, Shell, Tone};
use crate::workbook::{Workbook, slash};

/// Runs `hint`; always "successful": a hint is not a verdict.
pub fn run(
    workbook: &Workbook,
    shell: &mut Shell,
    query: &str,
    all: bool,
    reset: bool,
) -> Result<bool> {
    let chapter = workbook.chapter(query)?;
    let total = chapter.hints.len();
    let state = State::path(workbook);
    let mut seen = State::read(&state);

    if reset {
        seen.remove(&chapter.id);
        State::write(&state, &seen)?;
        shell.status(
            Tone::Good,
            "Reset",
            format!("the next hint for {} is hint 1 of {total}", chapter.id),
        );
        return Ok(true);
    }

    let shown = if all {
        total
    } else {
        (seen.get(&chapter.id).copied().unwrap_or(0) + 1).min(total)
    };
    for (index, hint) in chapter.hints.iter().enumerate().take(shown) {
        let label = format!("Hint {}/{total}", index + 1);
        // Hints already seen are repeated, dimmed, so the newest one stands out.
        if index + 1 < shown && !all {
            shell.status(
                Tone::Info,
                &label,
                shell::dim(hint.lines().next().unwrap_or_default()),
            );
        } else {
            let mut lines = hint.trim().lines();
            shell.status(Tone::Pending, &label, lines.next().unwrap_or_default());
            shell.detail(lines.collect::<Vec<_>>().join("\n"));
        }
    }
    shell.line("");
    if shown < total {
        shell.status(
            Tone::Info,
            "More",
            format!(
                "{} again shows the next hint",
                shell::command(&format!("cargo xtask hint {}", chapter.id))
            ),
        );
    } else {
        shell.status(
            Tone::Info,
            "Last",
            format!(
                "that was every hint; the chapter itself is {}",
                slash(&chapter.book_page())
            ),
        );
    }
    if !all {
        seen.insert(chapter.id.clone(), shown);
        State::write(&state, &seen)?;
    }
    Ok(true)
}

/// The hints seen so far, per chapter.
struct State;

impl State {
    fn path(workbook: &Workbook) -> PathBuf {
        workbook.root.join(".workbook").join("hints")
    }

    /// The counts on disk; a missing or garbled file counts as nothing seen.
    fn read(path: &PathBuf) -> BTreeMap<String, usize> {
        fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let (chapter, count) = line.split_once('=')?;
                Some((chapter.trim().to_owned(), count.trim().parse().ok()?))
            })
            .collect()
    }

    fn write(path: &PathBuf, seen: &BTreeMap<String, usize>) -> Result<()> {
        let folder = path.parent().expect("the state file is in a folder");
        fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
        let text: String = seen
            .iter()
            .map(|(chapter, count)| format!("{chapter}={count}\n"))
            .collect();
        fs::write(path, text)
            .with_context(|| format!("cannot remember the hints seen in {}", path.display()))
    }
}
