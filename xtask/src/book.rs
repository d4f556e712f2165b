//! `cargo xtask book`: builds the book by running the `book-builder` crate, which embeds mdBook
//! and mdbook-cmdrun.
//!
//! The builder is a separate crate, outside the default members, because it is heavy (about 270
//! crates, a minute or two to compile the first time); the runner stays light, and only people
//! who build the book pay for it.

use std::process::Stdio;

use anyhow::{Context, Result};

use crate::cargo::cargo;
use crate::shell::{Shell, Tone};
use crate::workbook::Workbook;

/// Build the book into book/build/ (mdBook is compiled the first time: a minute or two).
#[derive(clap::Args)]
pub struct Args {
    /// Open the book in your browser.
    #[arg(long)]
    open: bool,
    /// Serve the book on http://127.0.0.1:3000/ and rebuild it whenever a file changes.
    #[arg(long, conflicts_with = "check")]
    watch: bool,
    /// Also load pages in headless Chromium and check what a reader sees (for CI).
    #[arg(long)]
    check: bool,
}

impl Args {
    /// Builds (and opens, serves or checks) the book; `Ok(false)` when the book has problems.
    pub fn run(self, workbook: &Workbook, shell: &Shell) -> Result<bool> {
        shell.status(
            Tone::Good,
            "Building",
            "the book (the first time, cargo compiles mdBook: a minute or two)",
        );
        let mut command = cargo();
        command
            .current_dir(&workbook.root)
            .args(["run", "--package", "book-builder", "--"])
            .stdin(Stdio::null());
        for (wanted, flag) in [
            (self.open, "--open"),
            (self.watch, "--watch"),
            (self.check, "--check"),
        ] {
            if wanted {
                command.arg(flag);
            }
        }
        let status = command
            .status()
            .context("cannot run cargo; is Rust installed (https://rustup.rs)?")?;
        // The builder has said what it built, or what is wrong with the book.
        Ok(status.success())
    }
}
