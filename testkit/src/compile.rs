//! Real compiler errors for the book: compile a program that must fail and return rustc's
//! messages, ready to show on a page.
//!
//! A page that shows a compiler error on purpose runs the `compile-error` program of this crate
//! at build time (`cargo run --quiet -p testkit --bin compile-error -- CODE FILE`), and the
//! listings crate of its chapter checks, in a test, that [`expect_compile_error`] fails the
//! same file with the same code. The messages name the file alone (rustc runs in its folder),
//! shorten paths into the standard library's sources to `…/library/…`, and are wrapped to
//! [`COLUMNS`] characters, the width of the book's code blocks.

use std::path::Path;
use std::process::{self, Command};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The widest line the book shows in a code block.
pub const COLUMNS: usize = 80;

/// Compiles `file` with `rustc --edition 2024`, as a page that shows a
/// compiler error on purpose does, and returns the compiler's messages when it
/// fails with error `code` (`"E0373"`), and why not otherwise. `file` is a path
/// from the workspace's root; rustc runs in the file's folder and names the
/// file alone, so the messages hold no path of the machine that built them.
/// Lines wider than [`COLUMNS`] are wrapped (see [`wrap`]).
pub fn expect_compile_error(file: &str, code: &str) -> Result<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = root.join(file);
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(format!("{file} is not a file"));
    };
    if !path.is_file() {
        return Err(format!("{file} does not exist"));
    }
    // Checked only, as `cargo check` does: nothing is linked, and what rustc
    // writes goes to a folder of its own, removed afterwards.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let scratch =
        std::env::temp_dir().join(format!("workbook-compile-error-{}-{call}", process::id()));
    let output = Command::new(rustc())
        .current_dir(folder)
        .args(["--edition", "2024", "--emit=metadata", "--color", "never"])
        .arg("--out-dir")
        .arg(&scratch)
        .arg(name)
        .output();
    let _ = std::fs::remove_dir_all(&scratch);
    let output = output.map_err(|error| format!("cannot run rustc: {error}"))?;
    let messages = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        return Err(format!(
            "{file} compiled, but the page expects error {code}: it must not \
             compile"
        ));
    }
    if !messages.contains(&format!("error[{code}]")) {
        return Err(format!(
            "{file} failed to compile, but without error {code}; rustc \
             said:\n{messages}"
        ));
    }
    Ok(messages.lines().map(shorten).flat_map(wrap).collect())
}

/// The compiler that [`expect_compile_error`] runs: `$RUSTC`, or `rustc`.
fn rustc() -> std::ffi::OsString {
    std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into())
}

/// True when the compiler can be run here. The book's build always can (it
/// runs on cargo's machine); a test program run somewhere else, as the
/// Windows tests run under Wine, may find no compiler, and then skips the
/// tests that compile.
pub fn rustc_runs() -> bool {
    Command::new(rustc()).arg("--version").output().is_ok()
}

/// A path into the standard library's sources (`/rustc/<commit>/library/…`,
/// or the toolchain's own folder when rust-src is installed) from
/// `library/` on.
fn shorten(line: &str) -> String {
    match (line.find("--> "), line.find("/library/")) {
        (Some(arrow), Some(library)) if arrow < library => {
            format!("{}…{}", &line[..arrow + 4], &line[library..])
        }
        _ => line.to_owned(),
    }
}

/// `line`, cut at spaces into lines of at most [`COLUMNS`] characters, each
/// with a line feed. The pieces after the first are indented under the text
/// of a message (`error[E0373]: `, `   = help: `); under a label of a code
/// snippet, with the snippet's bars (`   |     |  `); or two spaces deeper
/// than the line. A word too long to fit stays whole.
pub fn wrap(line: String) -> Vec<String> {
    let indent = continuation(&line);
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut fresh = true; // Nothing but the indentation on `current` yet.
    for (i, word) in line.split(' ').enumerate() {
        let width = current.chars().count();
        if !fresh && width + 1 + word.chars().count() > COLUMNS {
            lines.push(std::mem::take(&mut current) + "\n");
            current.clone_from(&indent);
        } else if i > 0 {
            current.push(' ');
        }
        current.push_str(word);
        fresh &= word.is_empty() || word == "|";
    }
    lines.push(current + "\n");
    lines
}

/// What goes before the text of each piece after the first, when `line` is
/// wrapped.
fn continuation(line: &str) -> String {
    if let Some(start) = message_indent(line) {
        return " ".repeat(start);
    }
    let bars = line.len() - line.trim_start_matches([' ', '|']).len();
    if line.trim_start().starts_with('|') {
        return line[..bars].to_owned();
    }
    " ".repeat(line.len() - line.trim_start().len() + 2)
}

/// Where the text of a compiler message starts: after `error[E0373]: `,
/// `note: `, `   = help: ` and the like.
fn message_indent(line: &str) -> Option<usize> {
    let colon = line.find(": ")?;
    let label = line[..colon].trim_start().trim_start_matches("= ");
    let label = label.split('[').next().unwrap_or(label);
    ["error", "warning", "note", "help"]
        .contains(&label)
        .then_some(colon + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A program of this crate's own that fails with E0373, so that these
    /// tests need no chapter.
    const BORROWS: &str = "testkit/fixtures/borrows_into_a_thread.rs";

    #[test]
    fn a_closure_that_borrows_into_a_thread_is_refused_with_e0373() {
        if !rustc_runs() {
            eprintln!("skipped: rustc cannot be run on this machine");
            return;
        }
        let messages = expect_compile_error(BORROWS, "E0373").unwrap();
        assert!(messages.contains("borrows `n`"), "{messages}");
        assert!(
            messages.contains("--> borrows_into_a_thread.rs:"),
            "the messages should name the file alone:\n{messages}"
        );
        assert!(
            messages.lines().all(|line| line.chars().count() <= COLUMNS),
            "a line is wider than {COLUMNS} columns:\n{messages}"
        );
    }

    #[test]
    fn a_program_that_compiles_or_fails_otherwise_is_reported() {
        if !rustc_runs() {
            eprintln!("skipped: rustc cannot be run on this machine");
            return;
        }
        let fine = "testkit/fixtures/compiles.rs";
        let error = expect_compile_error(fine, "E0373").unwrap_err();
        assert!(error.contains("compiled, but"), "{error}");
        let error = expect_compile_error(BORROWS, "E0277").unwrap_err();
        assert!(error.contains("without error E0277"), "{error}");
        // A placeholder name, which no file has (nor may have, on Windows).
        let missing = "testkit/fixtures/<missing>.rs";
        let error = expect_compile_error(missing, "E0373").unwrap_err();
        assert!(error.contains("does not exist"), "{error}");
    }

    #[test]
    fn long_lines_wrap_under_the_message_text() {
        let long = format!("error[E0373]: {}", "word ".repeat(30));
        let lines = wrap(long.trim_end().to_owned());
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|line| line.len() <= COLUMNS + 1));
        assert!(lines[1].starts_with(&" ".repeat(14)));
        assert!(!lines[1].starts_with(&" ".repeat(15)));
        let rejoined: Vec<&str> = lines
            .iter()
            .flat_map(|line| line.split_whitespace())
            .collect();
        assert_eq!(rejoined.len(), 31);
        assert_eq!(wrap("   |  x".to_owned()), ["   |  x\n"]);
        let label = format!("   |     |  {}", "label ".repeat(14));
        let lines = wrap(label.trim_end().to_owned());
        assert!(lines[1].starts_with("   |     |  label"), "{lines:?}");
        assert_eq!(
            shorten("  --> /rustc/abc/library/std/src/lib.rs:1:0"),
            "  --> …/library/std/src/lib.rs:1:0"
        );
    }
}
