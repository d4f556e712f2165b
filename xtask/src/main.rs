//! The workbook's runner, `cargo xtask …`: checks a student's exercise, gives hints, and verifies
//! the whole workbook for instructors and CI.
//!
//! This file only parses the command line, finds the workbook for the commands that need one,
//! and hands over to the command's module: each command's options are a `clap::Args` struct
//! there, `Args`, whose `run` does the work and says, through the [`Shell`], what happened.

mod book;
mod cache;
mod cargo;
mod chapters;
mod check;
mod export;
mod files;
mod git;
mod github;
mod grade;
mod grading;
mod hint;
mod libtest;
mod mutants;
mod naming;
mod new;
mod owned;
mod processes;
mod proxy;
mod report;
mod reset;
mod reshape;
mod results;
mod sandbox;
mod shell;
mod solution;
mod source;
mod sweep;
mod update;
mod verdict;
mod verify;
mod watch;
mod workbook;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::shell::{ColorChoice, Shell};
use crate::workbook::Workbook;

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

/// The commands, each with its options and its `run` in a module of its own.
#[derive(Subcommand)]
enum Command {
    Check(check::Args),
    Hint(hint::Args),
    Book(book::Args),
    Verify(verify::Args),
    Reset(reset::Args),
    Update(update::Args),
    Watch(watch::Args),
    Solution(solution::Args),
    Export(export::Args),
    Chapters(chapters::Args),
    New(new::Args),
    Sweep(sweep::Args),
    Proxy(proxy::Args),
    Grade(grade::Args),
}

/// The instructors' commands, which refuse to run in a student copy (it has no solutions).
const INSTRUCTOR_COMMANDS: [&str; 5] = ["export", "verify", "solution", "sweep", "new"];

/// The command line as clap knows it; in a student copy, without the instructors' commands
/// (`export`, `verify`, `solution`, `sweep`, `new`, `check --solution`) in `--help`. They still parse
/// there, and say why they cannot run.
fn command_line(student_copy: bool) -> clap::Command {
    let mut command = Cli::command();
    if student_copy {
        for name in INSTRUCTOR_COMMANDS {
            command = command.mut_subcommand(name, |c| c.hide(true));
        }
        command = command.mut_subcommand("check", |c| c.mut_arg("solution", |a| a.hide(true)));
    }
    command
}

/// The `--root` the arguments give, read before clap parses them, so that `--help` can know
/// which workbook it describes.
fn root_argument(args: &[OsString]) -> Option<PathBuf> {
    let mut args = args.iter().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if arg == "--root" {
            return args.next().map(PathBuf::from);
        }
        if let Some(root) = arg.to_str().and_then(|a| a.strip_prefix("--root=")) {
            return Some(PathBuf::from(root));
        }
    }
    None
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    // The sandbox's own steps (see `sandbox`), before anything looks for a workbook.
    let hidden = args.get(1).and_then(|arg| arg.to_str());
    if let Some(step @ ("sandbox-enter" | "sandbox-probe")) = hidden {
        let outcome = if step == "sandbox-enter" {
            sandbox::enter(&args[2..])
        } else {
            sandbox::probe(&args[2..])
        };
        return match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("{step}: {error:#}");
                ExitCode::from(2)
            }
        };
    }
    let root = root_argument(&args);
    let found = Workbook::find(root.as_deref());
    let student_copy = found.as_ref().is_ok_and(Workbook::is_student_copy);
    let cli = command_line(student_copy)
        .try_get_matches_from(&args)
        .and_then(|matches| Cli::from_arg_matches(&matches))
        .unwrap_or_else(|error| error.exit());
    let shell = &Shell::new(cli.color);
    let found = if cli.root == root {
        found
    } else {
        Workbook::find(cli.root.as_deref())
    };
    // `proxy` needs no workbook, and `grade` may name its trusted one: both run anywhere.
    let outcome = match cli.command {
        Command::Proxy(args) => args.run(shell),
        Command::Grade(args) => args.run(found.as_ref().ok(), shell),
        Command::Check(args) => found.and_then(|workbook| args.run(&workbook, shell)),
        Command::Hint(args) => found.and_then(|workbook| args.run(&workbook, shell)),
        Command::Book(args) => found.and_then(|workbook| args.run(&workbook, shell)),
        Command::Verify(args) => found.and_then(|workbook| args.run(&workbook, shell)),
        Command::Reset(args) => found.and_then(|workbook| args.run(&workbook, shell)),
        Command::Update(args) => found.and_then(|workbook| args.run(&workbook, shell)),
        Command::Watch(args) => found.and_then(|workbook| args.run(&workbook, shell)),
        Command::Solution(args) => found.and_then(|workbook| args.run(&workbook, shell)),
        Command::Export(args) => found.and_then(|workbook| args.run(&workbook, shell)),
        Command::Sweep(args) => found.and_then(|workbook| args.run(&workbook, shell)),
        Command::Chapters(args) => found.and_then(|workbook| args.run(&workbook, shell)),
        Command::New(args) => found.and_then(|workbook| args.run(&workbook, shell)),
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything `--help` says, for the top level and for `check`.
    fn help(student_copy: bool) -> (String, String) {
        let mut command = command_line(student_copy);
        let top = command.render_help().to_string();
        let check = command
            .find_subcommand_mut("check")
            .expect("there is a check command")
            .render_help()
            .to_string();
        (top, check)
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_student_copys_help_leaves_out_the_instructors_commands() {
        let (top, check) = help(false);
        for name in INSTRUCTOR_COMMANDS {
            assert!(
                top.contains(&format!("  {name} ")),
                "{name} missing in:\n{top}"
            );
        }
        assert!(check.contains("--solution"), "{check}");

        let (top, check) = help(true);
        for name in INSTRUCTOR_COMMANDS {
            assert!(
                !top.contains(&format!("  {name} ")),
                "{name} shown in:\n{top}"
            );
        }
        assert!(top.contains("  check ") && top.contains("  hint "), "{top}");
        assert!(!check.contains("--solution"), "{check}");
        assert!(check.contains("--format"), "{check}");
        // They still parse, so that they can say why they cannot run.
        let parsed =
            command_line(true).try_get_matches_from(["xtask", "check", "ch1", "--solution"]);
        assert!(parsed.is_ok());
    }

    #[test]
    fn the_root_is_read_before_parsing() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            root_argument(&args(&["xtask", "--root", "/w", "--help"])),
            Some(PathBuf::from("/w"))
        );
        assert_eq!(
            root_argument(&args(&["xtask", "check", "--root=/w"])),
            Some(PathBuf::from("/w"))
        );
        assert_eq!(root_argument(&args(&["xtask", "--help"])), None);
        assert_eq!(root_argument(&args(&["xtask", "--", "--root", "/w"])), None);
    }
}
