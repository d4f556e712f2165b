//! `cargo xtask solution <chapter>`: where the chapter's reference solution is, once the
//! student's exercise passes (or with `--force`). Reading one is best after solving it yourself.

use std::time::Duration;

use anyhow::Result;

use crate::files;
use crate::report::{self, Side};
use crate::shell::{self, Shell, Tone};
use crate::workbook::{Workbook, slash};

pub struct Options<'a> {
    pub chapter: &'a str,
    pub force: bool,
    pub timeout: Duration,
}

/// Runs `solution`; true when it showed where the solution is.
pub fn run(workbook: &Workbook, shell: &mut Shell, options: Options) -> Result<bool> {
    let chapter = workbook.chapter(options.chapter)?;
    workbook.require_solutions("show a reference solution")?;
    if !options.force {
        let report = report::grade(workbook, chapter, Side::Exercise, options.timeout)?;
        if !report.all_passed() {
            shell.status(
                Tone::Pending,
                "Not yet",
                format!(
                    "{}'s reference solution is shown once your exercise passes ({}/{} tests now)",
                    chapter.id,
                    report.passed(),
                    report.tests().len()
                ),
            );
            shell.status(
                Tone::Info,
                "Stuck?",
                format!(
                    "{} gives a hint; {} shows it anyway",
                    shell::command(&format!("cargo xtask hint {}", chapter.id)),
                    shell::command(&format!("cargo xtask solution {} --force", chapter.id))
                ),
            );
            return Ok(false);
        }
    }

    let folder = chapter.solution_dir();
    let sources = files::list(&workbook.root.join(&folder), &files::is_build_output)?;
    shell.status(
        Tone::Good,
        "Solution",
        format!("{} · {}: {}/", chapter.id, chapter.title, slash(&folder)),
    );
    for file in sources
        .iter()
        .filter(|file| file.extension().is_some_and(|e| e == "rs"))
    {
        shell.detail(slash(&folder.join(file)));
    }
    let lib = "src/lib.rs";
    shell.status(
        Tone::Info,
        "Compare",
        shell::command(&format!(
            "git diff --no-index {} {}",
            slash(&chapter.exercise_dir().join(lib)),
            slash(&folder.join(lib))
        )),
    );
    Ok(true)
}
