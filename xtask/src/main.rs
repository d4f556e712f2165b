//! The workbook's runner, `cargo xtask …`: checks a student's exercise, gives hints, and verifies
//! the whole workbook for instructors and CI.
//!
//! This file only parses the command line and hands over to one module per command.

mod book;
mod cache;
mod cargo;
mod check;
mod export;
mod files;
mod git;
mod github;
mod grade;
mod hint;
mod libtest;
mod mutants;
mod owned;
mod processes;
mod proxy;
mod report;
mod reset;
mod results;
mod sandbox;
mod shell;
mod solution;
mod sweep;
mod update;
mod verdict;
mod verify;
mod watch;
mod workbook;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

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
        /// `text` for people, `json` for autograders, `github` for a GitHub Actions run (every
        /// chapter's log in a group, the run's summary table, and the `Points x/y` annotation
        /// GitHub Classroom reads).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// With `--format github`: exit with 1 when some test does not pass (by default it exits
        /// with 0 whatever the score, and 2 only when the runner breaks). Text and JSON always
        /// exit with 1 then.
        #[arg(long)]
        fail_unfinished: bool,
        /// With `--format github`: what chapters are worth, as `ch1=17,ch2=20`, for a chapter that
        /// is missing, does not compile or cannot be graded (the autograding workflow gives them
        /// as exported; otherwise each chapter's test file says).
        #[arg(long, value_name = "CHAPTER=POINTS", value_delimiter = ',')]
        worth: Vec<String>,
        #[command(flatten)]
        limits: Limits,
    },
    /// Show the next hint for a chapter (one more each time you ask), or the next hint about
    /// one of its functions.
    Hint {
        /// The chapter: `ch3`, `3`, `ch03` or its name.
        chapter: String,
        /// Only the hints about this function or type of the exercise (`next_line`, `pool`,
        /// `Pool::new`), one at a time, apart from the chapter's.
        function: Option<String>,
        /// Show every hint at once.
        #[arg(long)]
        all: bool,
        /// Forget which hints you have seen, and start from the first again: the chapter's and
        /// every function's, or only the function's when one is given.
        #[arg(long, conflicts_with = "all")]
        reset: bool,
    },
    /// Build the book into book/build/ (mdBook is compiled the first time: a minute or two).
    Book {
        /// Open the book in your browser.
        #[arg(long)]
        open: bool,
        /// Serve the book on http://127.0.0.1:3000/ and rebuild it whenever a file changes.
        #[arg(long, conflicts_with = "check")]
        watch: bool,
        /// Also load pages in headless Chromium and check what a reader sees (for CI).
        #[arg(long)]
        check: bool,
    },
    /// For instructors and CI: the manifest agrees with the tree, the tooling's own tests pass,
    /// and for every chapter every test passes on the solution and fails on the untouched stub.
    Verify {
        /// Verify only these chapters (and skip the tooling's own tests).
        chapters: Vec<String>,
        /// Grade everything again, even what passed last time with the very same files.
        #[arg(long)]
        fresh: bool,
        #[command(flatten)]
        limits: Limits,
    },
    /// Put a chapter's exercise back as it was handed out; your version is kept in a backup
    /// under `.workbook/backups/`, and work git has not committed is never touched without
    /// `--force`. `--restore` puts a backup back.
    Reset {
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
    },
    /// Bring your repository up to date with your instructor's fixes (tests, manifest, runner,
    /// test kit, book, workflows) as one commit, never touching your own code, and say what
    /// changed.
    Update {
        /// The instructor's new student template: its folder, or its repository's git URL.
        #[arg(long, value_name = "FOLDER OR URL")]
        from: String,
        /// Say what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Check a chapter again every time you save, and move on to the first chapter not done yet
    /// when it passes. Without a chapter, start at the first one that does not pass. Ctrl-C
    /// stops.
    Watch {
        /// The chapter: `ch3`, `3`, `ch03` or its name.
        chapter: Option<String>,
        /// Stop after this many gradings (for the runner's own tests).
        #[arg(long, hide = true)]
        rounds: Option<usize>,
        #[command(flatten)]
        limits: Limits,
    },
    /// Where a chapter's reference solution is, once your exercise passes.
    Solution {
        /// The chapter: `ch3`, `3`, `ch03` or its name.
        chapter: String,
        /// Show where it is even though your exercise does not pass yet.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        limits: Limits,
    },
    /// For instructors: make a copy of the workbook for students, without the solutions, ready to
    /// be a GitHub Classroom template (with its own CI and autograding workflows).
    Export {
        /// The new folder for the student copy (it must not exist, or be empty).
        #[arg(long, value_name = "DIR")]
        student: PathBuf,
        /// Do not start a git repository in the copy.
        #[arg(long)]
        no_git: bool,
    },
    /// For maintainers: run cargo-mutants over chapters' solutions (installed with cargo the
    /// first time) and check that every mutant the tests miss is explained in the chapter's
    /// `sweep.toml`.
    Sweep {
        /// Sweep only these chapters (every chapter takes minutes).
        chapters: Vec<String>,
        /// How many mutants to build and test at once.
        #[arg(long, default_value_t = 1)]
        jobs: usize,
    },
    /// Forward TCP connections to a server, re-cutting the byte stream on the way and printing
    /// every piece: watch one message arrive in several reads, or several in one.
    Proxy(proxy::Options),
    /// For instructors: grade a class. Copies only each student's own code (the exercises'
    /// `src/`, never tests, manifest or build files) into a copy of this trusted workbook, grades
    /// it there, isolated where the system allows, and writes grades.csv, feedback per student
    /// and a class summary.
    Grade {
        /// Students' repositories: folders, or git URLs.
        students: Vec<String>,
        /// A file of `name,folder-or-url` lines (a `name,repository` header may open it).
        #[arg(long, value_name = "FILE")]
        roster: Option<PathBuf>,
        /// The trusted workbook: this one when not given (or the exported student template).
        #[arg(long, value_name = "DIR")]
        workbook: Option<PathBuf>,
        /// Grade each repository's last commit before this date (`2026-12-15 23:59`, in git's
        /// date syntax). Commit dates are the students' to set.
        #[arg(long, value_name = "DATE")]
        deadline: Option<String>,
        /// Where the grades, feedback and the shared build go.
        #[arg(long, value_name = "DIR", default_value = "grades")]
        out: PathBuf,
        /// Run students' code without the sandbox, even where the system offers one.
        #[arg(long)]
        no_isolation: bool,
        /// Processes and threads one student's build and tests may run at once.
        #[arg(long, value_name = "N", default_value_t = 4096)]
        max_processes: u64,
        /// How many students to grade at once, each in a copy of its own (the number of cores
        /// when not given).
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        #[command(flatten)]
        limits: Limits,
    },
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
    Github,
}

/// The instructors' commands, which refuse to run in a student copy (it has no solutions).
const INSTRUCTOR_COMMANDS: [&str; 4] = ["export", "verify", "solution", "sweep"];

/// The command line as clap knows it; in a student copy, without the instructors' commands
/// (`export`, `verify`, `solution`, `sweep`, `check --solution`) in `--help`. They still parse there, and
/// say why they cannot run.
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
    let mut shell = Shell::stdout(cli.color);
    let found = if cli.root == root {
        found
    } else {
        Workbook::find(cli.root.as_deref())
    };
    let outcome = match cli.command {
        // `grade` may name its trusted workbook, and then runs anywhere.
        Command::Grade {
            students,
            roster,
            workbook,
            deadline,
            out,
            no_isolation,
            max_processes,
            jobs,
            limits,
        } => grade::run(
            &mut shell,
            found.as_ref().ok(),
            grade::Options {
                students,
                roster,
                workbook,
                deadline,
                out,
                timeout: limits.timeout(),
                isolate: !no_isolation,
                limits: sandbox::Limits {
                    processes: max_processes,
                    ..sandbox::Limits::default()
                },
                jobs: jobs.unwrap_or_else(|| {
                    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
                }),
            },
        ),
        command => found.and_then(|workbook| run(workbook, &mut shell, command)),
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

/// Runs a command that needs the workbook (all but `grade`).
fn run(workbook: Workbook, shell: &mut Shell, command: Command) -> anyhow::Result<bool> {
    match command {
        Command::Check {
            chapter,
            solution,
            format,
            fail_unfinished,
            worth,
            limits,
        } => check::run(
            &workbook,
            shell,
            check::Options {
                chapter: chapter.as_deref(),
                solution,
                output: match format {
                    Format::Text => check::Output::Text,
                    Format::Json => check::Output::Json,
                    Format::Github => check::Output::Github {
                        fail_unfinished,
                        worth,
                    },
                },
                timeout: limits.timeout(),
            },
        ),
        Command::Hint {
            chapter,
            function,
            all,
            reset,
        } => hint::run(&workbook, shell, &chapter, function.as_deref(), all, reset),
        Command::Book { open, watch, check } => {
            book::run(&workbook, shell, book::Options { open, watch, check })
        }
        Command::Verify {
            chapters,
            limits,
            fresh,
        } => workbook
            .require_solutions("verify the workbook")
            .and_then(|()| verify::run(&workbook, shell, &chapters, limits.timeout(), fresh)),
        Command::Sweep { chapters, jobs } => workbook
            .require_solutions("sweep the solutions")
            .and_then(|()| sweep::run(&workbook, shell, &chapters, jobs.max(1))),
        Command::Reset {
            chapter,
            backup,
            force,
            from,
            restore,
        } => reset::run(
            &workbook,
            shell,
            reset::Options {
                chapter: &chapter,
                force,
                from: from.as_deref(),
                restore: restore.then_some(backup.as_deref()),
            },
        ),
        Command::Watch {
            chapter,
            rounds,
            limits,
        } => watch::run(
            &workbook,
            shell,
            watch::Options {
                chapter: chapter.as_deref(),
                timeout: limits.timeout(),
                rounds,
            },
        ),
        Command::Solution {
            chapter,
            force,
            limits,
        } => solution::run(
            &workbook,
            shell,
            solution::Options {
                chapter: &chapter,
                force,
                timeout: limits.timeout(),
            },
        ),
        Command::Export { student, no_git } => export::run(
            &workbook,
            shell,
            export::Options {
                destination: &student,
                git: !no_git,
            },
        ),
        Command::Proxy(options) => proxy::run(&options),
        Command::Update { from, dry_run } => update::run(
            &workbook,
            shell,
            update::Options {
                from: &from,
                dry_run,
            },
        ),
        Command::Grade { .. } => unreachable!("`grade` is run before a workbook is needed"),
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
