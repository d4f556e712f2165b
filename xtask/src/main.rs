//! The workbook's runner, `cargo xtask …`: checks a student's exercise, gives hints, and verifies
//! the whole workbook for instructors and CI.
//!
//! This file only parses the command line and hands over to one module per command.

mod cargo;
mod check;
mod hint;
mod libtest;
mod mutants;
mod proxy;
mod report;
mod shell;
mod verdict;
mod verify;
mod workbook;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::shell::{ColorChoice, Shell};

/// The runner of the TCP sockets and threads workbook.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version)]
struct Cli {
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,

    /// The workbook's folder (the one with `chapters.toml`); found from the current folder when
    /// not given.
    #[arg(long, global = true, hide = true)]
    root: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build and test a chapter's exercise: one verdict per test and a score. Without a chapter,
    /// a progress table over all chapters.
    Check {
        /// The chapter: `ch3`, `3`, `ch03` or its name (`framing`).
        chapter: Option<String>,
        /// Test the reference solution instead of your exercise.
        #[arg(long)]
        solution: bool,
        /// `text` for people, `json` for autograders.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        limits: Limits,
    },
    /// Show the next hint for a chapter (one more each time you ask).
    Hint {
        /// The chapter: `ch3`, `3`, `ch03` or its name.
        chapter: String,
        /// Show every hint at once.
        #[arg(long)]
        all: bool,
        /// Forget which hints you have seen, and start from the first again.
        #[arg(long, conflicts_with = "all")]
        reset: bool,
    },
    /// For instructors and CI: the manifest agrees with the tree, the tooling's own tests pass,
    /// and for every chapter every test passes on the solution and fails on the untouched stub.
    Verify {
        /// Verify only these chapters (and skip the tooling's own tests).
        chapters: Vec<String>,
        #[command(flatten)]
        limits: Limits,
    },
    /// Forward TCP connections to a server, re-cutting the byte stream on the way and printing
    /// every piece: watch one message arrive in several reads, or several in one.
    Proxy(proxy::Options),
}

/// How long a test may run before the runner stops it.
#[derive(clap::Args, Clone, Copy)]
struct Limits {
    /// Seconds after which a test that is still running is stopped and reported as timed out.
    #[arg(long = "timeout", value_name = "SECONDS", default_value_t = 30)]
    timeout_secs: u64,
}

impl Limits {
    fn timeout(self) -> Duration {
        Duration::from_secs(self.timeout_secs.max(1))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut shell = Shell::stdout(cli.color);
    let outcome =
        workbook::Workbook::find(cli.root.as_deref()).and_then(|workbook| match cli.command {
            Command::Check {
                chapter,
                solution,
                format,
                limits,
            } => check::run(
                &workbook,
                &mut shell,
                check::Options {
                    chapter: chapter.as_deref(),
                    solution,
                    json: format == Format::Json,
                    timeout: limits.timeout(),
                },
            ),
            Command::Hint {
                chapter,
                all,
                reset,
            } => hint::run(&workbook, &mut shell, &chapter, all, reset),
            Command::Verify { chapters, limits } => {
                verify::run(&workbook, &mut shell, &chapters, limits.timeout())
            }
            Command::Proxy(options) => proxy::run(&options),
        });
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        // A normal report of failing tests: the student has work to do, the tool is fine.
        Ok(false) => ExitCode::from(1),
        // The tool itself could not do its job: say why, in one sentence and its causes.
        Err(error) => {
            shell.error(&error);
            ExitCode::from(2)
        }
    }
}
