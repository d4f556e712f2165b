//! Output in cargo's manner: a right-aligned bold verb, then the message; colour decided once.
//!
//! Every line the runner writes goes through a [`Shell`]: to stdout (and its errors to stderr)
//! when a person runs it, to a buffer when a test wants to read a report. Colour is on only when
//! stdout is a terminal and `NO_COLOR` is not set, unless `--color` says otherwise. Every style
//! is defined here, once, so the runner looks the same everywhere.
//!
//! Status words follow cargo's one casing rule: a capitalised word, right-aligned in the first
//! twelve columns (`Checking`, `Finished`, `Verified`, `Caught`, `Survived`, `Warning`).

use std::fmt::Display;
use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};

use colored::{ColoredString, Colorize};

/// The `--color` choice.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Colour even when the output is not a terminal.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Decides, once, whether to colour.
    fn resolve(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
                !no_color && io::stdout().is_terminal()
            }
        }
    }
}

/// The width of the verb column, as in cargo.
const VERB_WIDTH: usize = 12;

/// How a line's verb is styled.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tone {
    /// Work going on, or something that went well (green).
    Good,
    /// Something that needs the reader's attention (red).
    Bad,
    /// Not done yet (yellow).
    Pending,
    /// Neutral information (cyan).
    Info,
}

/// One stream the shell writes to, shared by every copy of the shell.
type Stream = Arc<Mutex<dyn Write + Send>>;

/// Where the runner writes its report, and its errors. Copies write to the same streams, so a
/// thread of its own (the proxy's connections) can report too; each line is written whole.
#[derive(Clone)]
pub struct Shell {
    out: Stream,
    err: Stream,
}

impl Shell {
    /// A shell on stdout, with errors on stderr, colouring as `choice` says.
    pub fn new(choice: ColorChoice) -> Self {
        colored::control::set_override(choice.resolve());
        Shell {
            out: Arc::new(Mutex::new(io::stdout())),
            err: Arc::new(Mutex::new(io::stderr())),
        }
    }

    /// A shell that writes everything, errors included, to `writer`, without colour: for tests
    /// that read what a command reports.
    #[cfg(test)]
    pub fn to(writer: impl Write + Send + 'static) -> Self {
        colored::control::set_override(false);
        let stream: Stream = Arc::new(Mutex::new(writer));
        Shell {
            out: Arc::clone(&stream),
            err: stream,
        }
    }

    /// `Verb message`, the verb right-aligned and styled by `tone`. Callers give the verb
    /// capitalised, as cargo's are (a tidy test checks every literal one).
    pub fn status(&self, tone: Tone, verb: &str, message: impl Display) {
        self.line(format_args!("{} {message}", styled_verb(tone, verb)));
    }

    /// A line indented to start under the messages of [`Shell::status`] lines.
    pub fn detail(&self, message: impl Display) {
        for line in message.to_string().lines() {
            self.line(format_args!("{:VERB_WIDTH$} {line}", ""));
        }
    }

    /// Like [`Shell::detail`], dimmed: explanations under a verdict.
    pub fn note(&self, message: impl Display) {
        for line in message.to_string().lines() {
            self.line(format_args!("{:VERB_WIDTH$} {}", "", dim(line)));
        }
    }

    /// A line as it is.
    pub fn line(&self, text: impl Display) {
        // A closed pipe (`cargo xtask check | head`) is not worth a panic.
        let _ = writeln!(lock(&self.out), "{text}");
    }

    /// The tool's own failure: one sentence and the causes under it.
    pub fn error(&self, error: &anyhow::Error) {
        let _ = lock(&self.out).flush();
        let mut err = lock(&self.err);
        let _ = writeln!(err, "{} {error}", "error:".red().bold());
        for cause in error.chain().skip(1) {
            let _ = writeln!(err, "  {} {cause}", "because:".bold());
        }
        let _ = err.flush();
    }
}

/// The stream, even when a thread that wrote to it panicked: a line is a line.
fn lock(stream: &Stream) -> std::sync::MutexGuard<'_, dyn Write + Send + 'static> {
    stream.lock().unwrap_or_else(PoisonError::into_inner)
}

fn styled_verb(tone: Tone, verb: &str) -> ColoredString {
    paint(tone, &format!("{verb:>VERB_WIDTH$}")).bold()
}

/// A [`Shell::status`] line on stderr, for what the runner says while it waits (cargo waiting
/// for a lock): it is said from the thread that reads cargo's messages, shows at once, and never
/// mixes with a report on stdout, such as JSON.
pub fn notice(tone: Tone, verb: &str, message: impl Display) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{} {message}", styled_verb(tone, verb));
    let _ = err.flush();
}

/// `text` in the colour of `tone` (plain when colour is off).
pub fn paint(tone: Tone, text: &str) -> ColoredString {
    match tone {
        Tone::Good => text.green(),
        Tone::Bad => text.red(),
        Tone::Pending => text.yellow(),
        Tone::Info => text.cyan(),
    }
}

/// Text that matters less: locations, counts, suggestions.
pub fn dim(text: &str) -> ColoredString {
    text.dimmed()
}

/// A command the reader can type, set apart.
pub fn command(text: &str) -> ColoredString {
    text.bold()
}

/// `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[impl AsRef<str>]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", rest.join(", "), last.as_ref())
        }
    }
}

/// What a test reads back from a [`Shell::to`]: every byte written, shared with the shell.
#[cfg(test)]
#[derive(Clone, Default)]
pub struct Buffer(Arc<Mutex<Vec<u8>>>);

#[cfg(test)]
impl Buffer {
    /// A shell writing into a new buffer, and the buffer.
    pub fn shell() -> (Shell, Buffer) {
        let buffer = Buffer::default();
        (Shell::to(buffer.clone()), buffer)
    }

    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

#[cfg(test)]
impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shell_writes_status_lines_details_and_errors_where_it_is_pointed() {
        let (shell, buffer) = Buffer::shell();
        shell.status(Tone::Good, "Checking", "ch1");
        shell.detail("under the message\nand again");
        shell.clone().line("from a copy");
        shell.error(&anyhow::anyhow!("the cause").context("it failed"));
        assert_eq!(
            buffer.text(),
            "    Checking ch1\n             under the message\n             and again\n\
             from a copy\nerror: it failed\n  because: the cause\n"
        );
    }

    #[test]
    fn lists_read_as_english() {
        assert_eq!(and_list(&[] as &[&str]), "");
        assert_eq!(and_list(&["a"]), "a");
        assert_eq!(and_list(&["a", "b"]), "a and b");
        assert_eq!(
            and_list(&["a".to_owned(), "b".to_owned(), "c".to_owned()]),
            "a, b and c"
        );
    }
}
