//! `cargo xtask new chN slug "Title"`: adds a chapter that `cargo xtask verify` accepts at once,
//! for its author to make their own.
//!
//! It writes everything a chapter has, each file a small working example of the workbook's
//! conventions: the manifest entry (with a hint), the exercise (a stub and its tests, on a real
//! connection, under the watchdog), the solution (which includes the exercise's tests), two
//! correct variants, a classic mistake in `mutants.toml`, `sweep.toml`, the book page (linked
//! to the exercise, with a listing included by anchor, a recap, questions and further reading),
//! its SUMMARY.md entry, a README row, and the listings crate. A chapter put before others moves
//! them (see [`reshape`]).

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, ensure};

use crate::chapters;
use crate::reshape::{self, Slot};
use crate::shell::{Shell, Tone, command};
use crate::workbook::{Chapter, Workbook, slash};

/// For instructors: add a chapter (exercise, solution, tests, mutants, book page, listings) that
/// verifies at once, to make your own.
#[derive(clap::Args)]
pub struct Args {
    /// Its id, which says where it goes: `ch9` after eight chapters, or `ch3` to put it before
    /// the third (which becomes ch4).
    id: String,
    /// Its slug, for folder and package names: lowercase letters, digits and dashes
    /// (`one-thread`).
    slug: String,
    /// Its title, as the book's table of contents shows it.
    title: String,
    /// Go ahead although git has uncommitted changes.
    #[arg(long)]
    force: bool,
}

impl Args {
    pub fn run(self, workbook: &Workbook, shell: &Shell) -> Result<bool> {
        workbook.require_solutions("add a chapter")?;
        let count = workbook.chapters.len() as u32;
        let number = self
            .id
            .strip_prefix("ch")
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| (1..=count + 1).contains(n))
            .with_context(|| {
                format!(
                    "`{}` is not an id the new chapter can have: give ch1 to ch{}",
                    self.id,
                    count + 1
                )
            })?;
        let slug = self.slug.trim();
        ensure!(
            !slug.is_empty()
                && slug.starts_with(|c: char| c.is_ascii_lowercase())
                && slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "the slug `{slug}` must start with a lowercase letter and have only lowercase \
             letters, digits and dashes"
        );
        ensure!(
            !workbook.chapters.iter().any(|c| c.slug == slug),
            "there is a chapter `{slug}` already"
        );
        let title = self.title.trim();
        ensure!(
            !title.is_empty() && !title.contains(['"', '\n', '[', ']', '|']),
            "the title must be one line without `\"`, `[`, `]` or `|`"
        );

        let mut after: Vec<Slot> = workbook
            .chapters
            .iter()
            .map(|c| Slot::Stays {
                slug: c.slug.clone(),
                was: c.number,
            })
            .collect();
        after.insert(
            number as usize - 1,
            Slot::New {
                slug: slug.to_owned(),
            },
        );
        let outcome = reshape::apply(workbook, &after, self.force)?;

        let new = Chapter::new(number, slug, title, true);
        let written = write_files(&workbook.root, &new)?;
        reshape::add_entries(
            &workbook.root,
            number,
            slug,
            title,
            &fill(MANIFEST_ENTRY, &new),
            &format!("| {number}. {title} | what it teaches | what the reader builds |"),
        )?;
        reshape::refresh_lock_file(&workbook.root, shell);
        if !outcome.renamed.is_empty() {
            chapters::report(shell, "the chapters after it", &outcome, "Moved");
        }
        for file in &written {
            shell.status(Tone::Good, "Created", file);
        }
        shell.status(
            Tone::Good,
            "Added",
            format!(
                "{} · {} (chapters.toml, SUMMARY.md, README.md)",
                new.id, title
            ),
        );
        shell.note(format!(
            "Next: {} proves it; then make it yours: the exercise in {}, its tests, the page \
             {}, the hints in chapters.toml, and the README's row (CONTRIBUTING.md, \"Adding, \
             dropping and moving chapters\")",
            command(&format!("cargo xtask verify {}", new.id)),
            slash(&new.exercise_dir().join("src/lib.rs")),
            slash(&new.book_page()),
        ));
        Ok(true)
    }
}

/// Writes the chapter's files; refuses to write over any.
fn write_files(root: &Path, chapter: &Chapter) -> Result<Vec<String>> {
    let folder = chapter.dir_name();
    let exercise_cargo = crate_cargo(&chapter.exercise, "Exercise");
    let solution_cargo = crate_cargo(&chapter.solution, "Reference solution");
    let files: Vec<(String, &str)> = vec![
        (format!("exercises/{folder}/Cargo.toml"), &exercise_cargo),
        (format!("exercises/{folder}/src/lib.rs"), EXERCISE_LIB),
        (format!("exercises/{folder}/src/tests.rs"), TESTS),
        (format!("solutions/{folder}/Cargo.toml"), &solution_cargo),
        (format!("solutions/{folder}/src/lib.rs"), SOLUTION_LIB),
        (format!("solutions/{folder}/mutants.toml"), MUTANTS),
        (format!("solutions/{folder}/sweep.toml"), SWEEP),
        (
            format!("solutions/{folder}/variants/buffered.rs"),
            VARIANT_BUFFERED,
        ),
        (format!("solutions/{folder}/variants/copy.rs"), VARIANT_COPY),
        (format!("book/src/{folder}/index.md"), PAGE),
        (format!("book/listings/{folder}/Cargo.toml"), LISTINGS_CARGO),
        (
            format!("book/listings/{folder}/rustfmt.toml"),
            LISTINGS_RUSTFMT,
        ),
        (format!("book/listings/{folder}/src/lib.rs"), LISTINGS_LIB),
    ];
    for (path, _) in &files {
        ensure!(
            !root.join(path).exists(),
            "{path} exists already; the new chapter's files would replace it"
        );
    }
    for (path, template) in &files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::write(&path, fill(template, chapter))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

/// `template` with `@ID@`, `@NUMBER@`, `@SLUG@`, `@TITLE@`, `@FOLDER@` and `@CRATE@` (the
/// exercise's crate name) filled in.
fn fill(template: &str, chapter: &Chapter) -> String {
    template
        .replace("@ID@", &chapter.id)
        .replace("@NUMBER@", &chapter.number.to_string())
        .replace("@SLUG@", &chapter.slug)
        .replace("@TITLE@", &chapter.title)
        .replace("@FOLDER@", &chapter.dir_name())
        .replace("@CRATE@", &chapter.dir_name().replace('-', "_"))
}

const MANIFEST_ENTRY: &str = r#"[[chapter]]
id = "@ID@"
slug = "@SLUG@"
title = "@TITLE@"
hints = [
    """
`ask`: `TcpStream::connect`, then `write_all` the line and a newline, then \
`shutdown(Shutdown::Write)` so the server sees the end, then `read_to_string`.""",
]
"#;

/// The `Cargo.toml` of the package `package`, an exercise's or a solution's (`what`).
fn crate_cargo(package: &str, what: &str) -> String {
    CRATE_CARGO
        .replace("@PACKAGE@", package)
        .replace("@WHAT@", what)
}

/// The exercise's and the solution's `Cargo.toml` (see [`crate_cargo`]).
const CRATE_CARGO: &str = r#"[package]
name = "@PACKAGE@"
version = "0.1.0"
description = "@WHAT@: @TITLE@."
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[lib]
doctest = false

[dev-dependencies]
testkit.workspace = true

[lints]
workspace = true
"#;

const EXERCISE_LIB: &str = r#"//! "@TITLE@": a first exercise to make this chapter's own.
//!
//! Read the chapter first: `book/src/@FOLDER@/index.md` (or `cargo xtask book --open`).
//! Then replace each `todo!()` below and run `cargo xtask check @ID@` after each.
//! The tests are in `src/tests.rs`; reading them is allowed, and often helps.
//! Stuck? `cargo xtask hint @ID@` shows one hint at a time.

use std::io;
use std::net::SocketAddr;

/// Connects to `server`, sends `line` and a newline, says it has finished sending, and returns
/// everything the server sends back until it closes the connection.
pub fn ask(server: SocketAddr, line: &str) -> io::Result<String> {
    let _ = (server, line);
    todo!("connect, send the line and a newline, shut down writing, read the reply to the end")
}

#[cfg(test)]
mod tests;
"#;

const SOLUTION_LIB: &str = r#"//! The reference solution of "@TITLE@".

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};

/// Connects to `server`, sends `line` and a newline, says it has finished sending, and returns
/// everything the server sends back until it closes the connection.
pub fn ask(server: SocketAddr, line: &str) -> io::Result<String> {
    let mut stream = TcpStream::connect(server)?;
    stream.write_all(format!("{line}\n").as_bytes())?;
    stream.shutdown(Shutdown::Write)?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}

#[cfg(test)]
#[path = "../../../exercises/@FOLDER@/src/tests.rs"]
mod tests;
"#;

const VARIANT_BUFFERED: &str = r#"//! Writes through a `BufWriter`, flushed before the half-close, and reads the reply as bytes.

use std::io::{self, BufWriter, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};

/// Connects to `server`, sends `line` and a newline, says it has finished sending, and returns
/// everything the server sends back until it closes the connection.
pub fn ask(server: SocketAddr, line: &str) -> io::Result<String> {
    let stream = TcpStream::connect(server)?;
    let mut writer = BufWriter::new(&stream);
    writer.write_all(line.as_bytes())?;
    writer.write_all(b"\n")?;
    writer.flush()?;
    drop(writer);
    stream.shutdown(Shutdown::Write)?;
    let mut reply = Vec::new();
    (&stream).read_to_end(&mut reply)?;
    String::from_utf8(reply).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
#[path = "../../../exercises/@FOLDER@/src/tests.rs"]
mod tests;
"#;

const VARIANT_COPY: &str = r#"//! Sends with `write!` and moves the reply with `io::copy` into a buffer.

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};

/// Connects to `server`, sends `line` and a newline, says it has finished sending, and returns
/// everything the server sends back until it closes the connection.
pub fn ask(server: SocketAddr, line: &str) -> io::Result<String> {
    let mut stream = TcpStream::connect(server)?;
    writeln!(stream, "{line}")?;
    stream.shutdown(Shutdown::Write)?;
    let mut reply = Vec::new();
    io::copy(&mut stream, &mut reply)?;
    String::from_utf8(reply).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
#[path = "../../../exercises/@FOLDER@/src/tests.rs"]
mod tests;
"#;

const TESTS: &str = r#"//! The tests of "@TITLE@". The same file grades your exercise and the reference solution.

use super::*;

use std::io::{Read, Write};

use testkit::net::OneShot;
use testkit::watchdog;

/// A server for one client: reads the request to its end, answers `reply` in two writes, and
/// gives back what it read.
fn server(reply: &'static str) -> OneShot<String> {
    OneShot::start(move |mut stream| {
        let mut request = String::new();
        stream
            .read_to_string(&mut request)
            .expect("the server reads the request");
        let (first, second) = reply.split_at(reply.len() / 2);
        stream.write_all(first.as_bytes()).expect("the server writes");
        stream.write_all(second.as_bytes()).expect("the server writes");
        request
    })
}

#[test]
fn ask_sends_the_line_with_a_newline_and_returns_the_whole_reply() {
    let server = server("hello, reader\n");
    let reply = watchdog::within_default(
        "`ask` to return; does it shut down writing, so that the server sees the end?",
        move || ask(server.addr(), "hello").map(|reply| (reply, server.finish())),
    );
    let (reply, request) = reply.expect("`ask` returned an error");
    assert_eq!(
        request, "hello\n",
        "the server should receive the line and one newline"
    );
    assert_eq!(
        reply, "hello, reader\n",
        "`ask` should return everything the server sent, across both of its writes"
    );
}
"#;

const MUTANTS: &str = r#"# Classic mistakes in "@TITLE@", as edits of the solution. `cargo xtask verify` checks that
# the tests catch every one (see CONTRIBUTING.md).

[[mutant]]
name = "no-newline"
why = "sends the line without the newline that ends it"
file = "src/lib.rs"
find = "format!(\"{line}\\n\")"
replace = "line.to_owned()"
caught_by = ["ask_sends_the_line_with_a_newline_and_returns_the_whole_reply"]
"#;

const SWEEP: &str = r#"# The mutants of `cargo xtask sweep` (cargo-mutants) that no test catches, each with the reason no
# test can or should; see CONTRIBUTING.md, "The sweep". None yet.
"#;

const PAGE: &str = r#"# @TITLE@

What this chapter teaches, and why a reader needs it now.

The exercise is [`exercises/@FOLDER@/src/lib.rs`](../../../exercises/@FOLDER@/src/lib.rs):
`cargo xtask check @ID@` grades it, and `cargo xtask hint @ID@` helps.

## A first listing

The code a page shows lives in `book/listings/@FOLDER@/`, where it is compiled and tested, and
is included by anchor:

```rust,noplayground
{{#include ../../listings/@FOLDER@/src/lib.rs:ask}}
```

## Recap

- A client that has sent everything says so with `shutdown(Shutdown::Write)`.
- The server then reads to the end of the stream, and answers.
- `read_to_string` returns once the server closes its side.

## Check yourself

<details>
<summary>Why does the client shut down writing before it reads?</summary>

The server reads until the end of the stream. Without the half-close, both wait for ever.

</details>

<details>
<summary>Can the reply arrive in more than one read?</summary>

Yes: TCP keeps no message boundaries, so `read_to_string` loops until the end.

</details>

<details>
<summary>What does port 0 mean to <code>bind</code>?</summary>

Any free port: the tests bind port 0 and ask the listener which port it got.

</details>

## Further reading

- [`std::net::TcpStream`](https://doc.rust-lang.org/std/net/struct.TcpStream.html)
- [`TcpStream::shutdown`](https://doc.rust-lang.org/std/net/struct.TcpStream.html#method.shutdown)
- [RFC 9293, Transmission Control Protocol](https://www.rfc-editor.org/rfc/rfc9293)
"#;

const LISTINGS_CARGO: &str = r#"[package]
name = "@FOLDER@-listings"
version = "0.1.0"
description = "The code that the book's chapter \"@TITLE@\" shows and runs."
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[dev-dependencies]
testkit.workspace = true

[lints]
workspace = true
"#;

const LISTINGS_RUSTFMT: &str = r#"# The book shows this code in a column about 80 characters wide.
max_width = 80
"#;

const LISTINGS_LIB: &str = r#"//! The code that the book's chapter "@TITLE@" shows, included by anchor and compiled here.
//!
//! Every line the book shows is at most 80 columns wide, so no listing scrolls sideways.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};

// ANCHOR: ask
/// Sends one line, says so, and reads the whole reply.
pub fn ask(server: SocketAddr, line: &str) -> io::Result<String> {
    let mut stream = TcpStream::connect(server)?;
    stream.write_all(format!("{line}\n").as_bytes())?;
    stream.shutdown(Shutdown::Write)?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}
// ANCHOR_END: ask

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::net::OneShot;

    #[test]
    fn ask_gets_the_reply() {
        let server = OneShot::start(|mut stream| {
            let mut request = String::new();
            stream.read_to_string(&mut request).unwrap();
            stream.write_all(request.to_uppercase().as_bytes()).unwrap();
        });
        let reply = testkit::within_default("the listing's `ask`", move || {
            ask(server.addr(), "hi")
        });
        assert_eq!(reply.unwrap(), "HI\n");
    }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_every_placeholder() {
        let chapter = Chapter::new(9, "one-thread", "One thread", true);
        let cargo = crate_cargo(&chapter.exercise, "Exercise");
        for template in [
            MANIFEST_ENTRY,
            cargo.as_str(),
            EXERCISE_LIB,
            TESTS,
            SOLUTION_LIB,
            MUTANTS,
            SWEEP,
            VARIANT_BUFFERED,
            VARIANT_COPY,
            PAGE,
            LISTINGS_CARGO,
            LISTINGS_RUSTFMT,
            LISTINGS_LIB,
        ] {
            let filled = fill(template, &chapter);
            for placeholder in [
                "@ID@", "@NUMBER@", "@SLUG@", "@TITLE@", "@FOLDER@", "@CRATE@",
            ] {
                assert!(
                    !filled.contains(placeholder),
                    "{placeholder} left in:\n{filled}"
                );
            }
        }
        assert!(fill(SOLUTION_LIB, &chapter).contains("exercises/ch09-one-thread/src/tests.rs"));
    }
}
