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

/// What `cargo xtask book` was asked to do.
pub struct Options {
    pub open: bool,
    pub watch: bool,
    pub check: bool,
}

/// Builds (and opens, serves or checks) the book; `Ok(false)` when the book has problems.
pub fn run(workbook: &Workbook, shell: &mut Shell, options: Options) -> Result<bool> {
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
        (options.open, "--open"),
        (options.watch, "--watch"),
        (options.check, "--check"),
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
