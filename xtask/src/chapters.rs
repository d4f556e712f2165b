//! `cargo xtask chapters`: the chapters as the manifest has them (as text, or as JSON for the
//! book builder, which reads the manifest through this command only), and `chapters drop` and
//! `chapters move`, which give a shorter or reordered course in one step (see [`reshape`]).

use anyhow::{Result, ensure};
use clap::{Subcommand, ValueEnum};
use serde::Serialize;

use crate::naming;
use crate::reshape::{self, Outcome, Slot};
use crate::shell::{Shell, Tone, command};
use crate::workbook::{Chapter, Workbook};

/// List the chapters; for instructors, drop one or move one, for a shorter or reordered course.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// How to list them (`json` also gives each chapter's folder, packages and the text of each
    /// kind of reference to it).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Action {
    /// Leave a chapter out of the course: its exercise, solution, pages and listings go, and the
    /// chapters after it move up (folders, packages, ids and references follow).
    Drop {
        /// The chapter: `ch7`, `7` or its slug.
        chapter: String,
        /// Go ahead although git has uncommitted changes.
        #[arg(long)]
        force: bool,
    },
    /// Move a chapter to another place; the chapters in between shift by one.
    Move {
        /// The chapter: `ch7`, `7` or its slug.
        chapter: String,
        /// Its new number.
        #[arg(long)]
        to: u32,
        /// Go ahead although git has uncommitted changes.
        #[arg(long)]
        force: bool,
    },
}

/// One chapter, as `--format json` lists it.
#[derive(Serialize)]
struct Listed<'a> {
    number: u32,
    id: &'a str,
    slug: &'a str,
    title: &'a str,
    /// The folder's name under `exercises/`, `solutions/`, `book/src/` and `book/listings/`.
    folder: String,
    exercise: &'a str,
    /// Empty in a student copy.
    solution: &'a str,
    /// What each kind of reference (`{{#chapter slug}}`, …) to it becomes.
    references: std::collections::BTreeMap<&'static str, String>,
}

impl Args {
    pub fn run(self, workbook: &Workbook, shell: &Shell) -> Result<bool> {
        match self.action {
            None => {
                list(workbook, shell, self.format)?;
                Ok(true)
            }
            Some(Action::Drop { chapter, force }) => {
                workbook.require_solutions("drop a chapter")?;
                let chapter = workbook.chapter(&chapter)?;
                ensure!(
                    workbook.chapters.len() > 1,
                    "{} is the only chapter; a workbook needs one",
                    chapter.id
                );
                let after = all_but(workbook, chapter);
                let what = format!("{} · {}", chapter.id, chapter.title);
                reshape_to(workbook, shell, &after, force, &what, "Dropped")
            }
            Some(Action::Move { chapter, to, force }) => {
                workbook.require_solutions("move a chapter")?;
                let chapter = workbook.chapter(&chapter)?;
                let count = workbook.chapters.len() as u32;
                ensure!(
                    (1..=count).contains(&to),
                    "there is no place {to}: the chapters are numbered 1 to {count}"
                );
                let mut after = all_but(workbook, chapter);
                after.insert(to as usize - 1, stays(chapter));
                let what = format!("{} · {} to ch{to}", chapter.id, chapter.title);
                reshape_to(workbook, shell, &after, force, &what, "Moved")
            }
        }
    }
}

/// Every chapter but `chapter`, each where it is now.
fn all_but(workbook: &Workbook, chapter: &Chapter) -> Vec<Slot> {
    workbook
        .chapters
        .iter()
        .filter(|c| c.slug != chapter.slug)
        .map(stays)
        .collect()
}

/// Makes the list of chapters `after`, and says what changed under `verb`.
fn reshape_to(
    workbook: &Workbook,
    shell: &Shell,
    after: &[Slot],
    force: bool,
    what: &str,
    verb: &str,
) -> Result<bool> {
    let outcome = reshape::apply(workbook, after, force)?;
    reshape::refresh_lock_file(&workbook.root, shell);
    report(shell, what, &outcome, verb);
    Ok(true)
}

fn stays(chapter: &Chapter) -> Slot {
    Slot::Stays {
        slug: chapter.slug.clone(),
        was: chapter.number,
    }
}

fn list(workbook: &Workbook, shell: &Shell, format: Format) -> Result<()> {
    match format {
        Format::Text => {
            for chapter in &workbook.chapters {
                shell.line(format!(
                    "{:<5} {:<16} {}",
                    chapter.id, chapter.slug, chapter.title
                ));
            }
        }
        Format::Json => {
            let listed: Vec<Listed> = workbook
                .chapters
                .iter()
                .map(|chapter| Listed {
                    number: chapter.number,
                    id: &chapter.id,
                    slug: &chapter.slug,
                    title: &chapter.title,
                    folder: chapter.dir_name(),
                    exercise: &chapter.exercise,
                    solution: &chapter.solution,
                    references: naming::KINDS
                        .iter()
                        .map(|kind| (*kind, naming::render_one(kind, chapter)))
                        .collect(),
                })
                .collect();
            shell.line(serde_json::to_string_pretty(&listed)?);
        }
    }
    Ok(())
}

/// Says what a change did, and what to read again.
pub fn report(shell: &Shell, what: &str, outcome: &Outcome, verb: &str) {
    for folder in &outcome.removed {
        shell.status(Tone::Good, "Removed", folder);
    }
    for (from, to) in &outcome.renamed {
        shell.status(Tone::Good, "Renamed", format!("{from} → {to}"));
    }
    shell.status(
        Tone::Good,
        "Rewrote",
        format!(
            "{} files (folder and package names, ids, the order of chapters.toml, SUMMARY.md and \
             the README's table)",
            outcome.rewritten.len()
        ),
    );
    if !outcome.to_review.is_empty() {
        shell.status(
            Tone::Pending,
            "Review",
            format!(
                "{} lines named the chapter left out; read them again:",
                outcome.to_review.len()
            ),
        );
        for line in &outcome.to_review {
            shell.detail(line);
        }
    }
    shell.status(Tone::Good, verb, what);
    shell.note(format!(
        "Next: {} proves the workbook still holds together; {} shows the change",
        command("cargo xtask verify"),
        command("git status")
    ));
}
