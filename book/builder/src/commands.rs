//! Runs the pages' `<!-- cmdrun … -->` directives with mdbook-cmdrun, one command at a time, and
//! stops the build when one of them runs for too long.
//!
//! mdbook-cmdrun waits for ever on a command that never ends (a server that waits for a client
//! that failed to start, say), and the book build with it. Here every command is made strict
//! (a non-zero exit status becomes a `cmdrun error` that the HTML check reports), and a
//! watchdog names the page and the command that is stuck, then ends the build.

use std::path::Path;
use std::sync::{LazyLock, Mutex, Once};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Result;
use mdbook::BookItem;
use mdbook::book::Book;
use mdbook::preprocess::{Preprocessor, PreprocessorContext};
use mdbook_cmdrun::CmdRun;
use regex::{Captures, Regex};

/// How long one command may run, unless `WORKBOOK_BOOK_COMMAND_TIMEOUT` gives other seconds.
/// Generous: a cold, busy machine compiles before it runs.
fn command_limit() -> Duration {
    std::env::var("WORKBOOK_BOOK_COMMAND_TIMEOUT")
        .ok()
        .and_then(|seconds| seconds.parse().ok())
        .map_or(Duration::from_secs(300), Duration::from_secs)
}

/// The same patterns mdbook-cmdrun looks for: a directive that ends its line (the line break
/// goes with it), then one inside a line.
static DIRECTIVE_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<!--[ ]*cmdrun (.*?)-->\r?\n").expect("a valid regex"));
static DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<!--[ ]*cmdrun (.*?)-->").expect("a valid regex"));

/// The command running now: its page, the command, and since when.
static RUNNING: Mutex<Option<(String, String, Instant)>> = Mutex::new(None);

/// mdbook-cmdrun, strict and watched (see the module's comment).
pub struct StrictCmdRun;

impl Preprocessor for StrictCmdRun {
    fn name(&self) -> &str {
        "cmdrun"
    }

    fn run(&self, context: &PreprocessorContext, mut book: Book) -> Result<Book> {
        start_watchdog();
        let src = context.root.join(&context.config.book.src);
        let mut failure = None;
        book.for_each_mut(|item| {
            let BookItem::Chapter(chapter) = item else {
                return;
            };
            let Some(page) = chapter.path.clone() else {
                return;
            };
            // As mdbook-cmdrun does: each command runs from the folder of its page.
            let folder = src.join(page.parent().unwrap_or(Path::new("")));
            let folder = folder.to_string_lossy();
            let page = page.display().to_string();
            let mut run = |caps: &Captures, inline: bool| {
                let command = strict(&caps[1]);
                *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((page.clone(), command.clone(), Instant::now()));
                let output = CmdRun::run_cmdrun(command, &folder, inline);
                *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) = None;
                output.unwrap_or_else(|error| {
                    failure.get_or_insert_with(|| format!("src/{page}: {error:#}"));
                    String::new()
                })
            };
            let content =
                DIRECTIVE_LINE.replace_all(&chapter.content, |caps: &Captures| run(caps, false));
            let content = DIRECTIVE.replace_all(&content, |caps: &Captures| run(caps, true));
            chapter.content = content.into_owned();
        });
        match failure {
            Some(failure) => anyhow::bail!("a command could not be run: {failure}"),
            None => Ok(book),
        }
    }

    fn supports_renderer(&self, renderer: &str) -> bool {
        renderer == "html"
    }
}

/// A directive's command with `--strict` in front, unless it names the exit status it expects
/// (`-1 cargo run …`, `--expect-return-code 1 …`).
pub fn strict(command: &str) -> String {
    let command = command.trim();
    if command.starts_with('-') {
        command.to_owned()
    } else {
        format!("--strict {command}")
    }
}

/// Starts, once, the thread that ends the build when a command outlives [`command_limit`].
fn start_watchdog() {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        let limit = command_limit();
        thread::spawn(move || {
            loop {
                thread::sleep(Duration::from_secs(1));
                let running = RUNNING.lock().unwrap_or_else(|e| e.into_inner()).clone();
                if let Some((page, command, since)) = running
                    && since.elapsed() > limit
                {
                    eprintln!(
                        "error: on page src/{page}, the command `{}` has run for more than {} s \
                             and is still running; it probably waits for something that never \
                             comes. The build stops here (the command may still be running).",
                        command.trim_start_matches("--strict "),
                        limit.as_secs()
                    );
                    std::process::exit(1);
                }
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_without_an_exit_status_become_strict() {
        assert_eq!(strict(" cargo run -p x "), "--strict cargo run -p x");
        assert_eq!(strict("-1 cargo run -p x"), "-1 cargo run -p x");
        assert_eq!(
            strict("--expect-return-code 2 x"),
            "--expect-return-code 2 x"
        );
    }
}
