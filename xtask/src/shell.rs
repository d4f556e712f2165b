//! Output in cargo's manner: a right-aligned bold verb, then the message; colour decided once.
//!
//! Colour is on only when stdout is a terminal and `NO_COLOR` is not set, unless `--color`
//! says otherwise. Every style is defined here, once, so the runner looks the same everywhere.

use std::fmt::Display;
use std::io::{self, IsTerminal, Write};

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

/// Where the runner writes its report.
pub struct Shell {
    out: Box<dyn Write>,
}

impl Shell {
    /// A shell on stdout, colouring as `choice` says.
    pub fn stdout(choice: ColorChoice) -> Self {
        colored::control::set_override(choice.resolve());
        Shell {
            out: Box::new(io::stdout()),
        }
    }

    /// `Verb message`, the verb right-aligned and styled by `tone`.
    pub fn status(&mut self, tone: Tone, verb: &str, message: impl Display) {
        let verb = format!("{verb:>VERB_WIDTH$}");
        self.line(format_args!("{} {message}", paint(tone, &verb).bold()));
    }

    /// A line indented to start under the messages of [`Shell::status`] lines.
    pub fn detail(&mut self, message: impl Display) {
        for line in message.to_string().lines() {
            self.line(format_args!("{:VERB_WIDTH$} {line}", ""));
        }
    }

    /// Like [`Shell::detail`], dimmed: explanations under a verdict.
    pub fn note(&mut self, message: impl Display) {
        for line in message.to_string().lines() {
            self.line(format_args!("{:VERB_WIDTH$} {}", "", dim(line)));
        }
    }

    /// A line as it is.
    pub fn line(&mut self, text: impl Display) {
        // A closed pipe (`cargo xtask check | head`) is not worth a panic.
        let _ = writeln!(self.out, "{text}");
    }

    /// The tool's own failure: one sentence and the causes under it.
    pub fn error(&mut self, error: &anyhow::Error) {
        let _ = self.out.flush();
        let mut err = io::stderr();
        let _ = writeln!(err, "{} {error}", "error:".red().bold());
        for cause in error.chain().skip(1) {
            let _ = writeln!(err, "  {} {cause}", "because:".bold());
        }
    }
}

/// A [`Shell::status`] line on stderr, for what the runner says while it waits (cargo waiting
/// for a lock): it shows at once, and never mixes with a report on stdout, such as JSON.
pub fn notice(tone: Tone, verb: &str, message: impl Display) {
    let verb = format!("{verb:>VERB_WIDTH$}");
    let mut err = io::stderr();
    let _ = writeln!(err, "{} {message}", paint(tone, &verb).bold());
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
