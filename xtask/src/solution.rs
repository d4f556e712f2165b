//! `cargo xtask solution <chapter>`: where the chapter's reference solution is, once the
//! student's exercise passes (or with `--force`). Reading one is best after solving it yourself.

use anyhow::Result;

use crate::files;
use crate::grading::{self, Limits, Side};
use crate::shell::{self, Shell, Tone};
use crate::workbook::{Chapter, Workbook, slash};

/// Where a chapter's reference solution is, once your exercise passes.
#[derive(clap::Args)]
pub struct Args {
    /// The chapter: `ch3`, `3`, `ch03` or its name.
    chapter: String,
    /// Show where it is even though your exercise does not pass yet.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    limits: Limits,
}

impl Args {
    /// Runs `solution`; true when it showed where the solution is.
    pub fn run(self, workbook: &Workbook, shell: &Shell) -> Result<bool> {
        let chapter = workbook.chapter(&self.chapter)?;
        workbook.require_solutions("show a reference solution")?;
        if !self.force {
            let report = grading::grade(workbook, chapter, Side::Exercise, self.limits.timeout())?;
            if !report.all_passed() {
                shell.status(
                    Tone::Pending,
                    "Not yet",
                    format!(
                        "{}'s reference solution is shown once your exercise passes ({}/{} tests \
                         now)",
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
        show(workbook, shell, chapter)?;
        Ok(true)
    }
}

/// Says where `chapter`'s reference solution is, file by file, and how to compare it with the
/// exercise.
fn show(workbook: &Workbook, shell: &Shell, chapter: &Chapter) -> Result<()> {
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
    Ok(())
}
