//! No comment or configuration names a file of the repository that does not exist.
//!
//! The files read are the repository's Rust sources (their comments: `//`, `///`, `//!` and
//! the end of a line after code), its TOML files (their `#` comments, `.cargo/config.toml`
//! included) and its YAML files (the workflows and the student copy's workflow templates: the
//! whole text, since a workflow's commands name files too). Build output, git's folder, the
//! runner's state and the book as built are not read.
//!
//! A *path reference* is a word with a `/` in it whose last part has a file extension (letters
//! and digits after a dot, at least one a letter): `xtask/Cargo.toml`, `book/src/SUMMARY.md`,
//! `../testkit/src/lib.rs`. A line and column after it (`src/lib.rs:32:5`) and punctuation that
//! ends a sentence are not part of it. It resolves when the file or folder exists relative to
//! the folder of the file that names it, or to any folder above that up to the repository's
//! root (so `src/tests.rs` in a crate's comment means the crate's own). A path that starts with
//! `src/` may also name a file of another crate of the repository ("the exercise's
//! `src/programs/echo_client.rs`"): it resolves when some crate has it. These are not path
//! references, and are left alone:
//!
//! - URLs (`https://…`), and words whose first part is a domain (`github.com/owner/repo`);
//! - absolute paths (`/tmp/x.rs`), which name no file of the repository;
//! - globs and placeholders: a word with `*`, `?`, `<`, `>`, `{`, `}`, `$`, `@`, `…` or `NN` in
//!   it, or a part that is a placeholder in capitals (`chNN-S/`, `NAME.svg`);
//! - paths to what a build or the runner makes: under `target/`, `book/build/` or `.workbook/`.
//!
//! What remains and does not resolve fails the test, one line each, unless [`ALLOWED`] names it
//! with its reason.

use std::fs;
use std::path::{Component, Path, PathBuf};

mod common;

use common::Scratch;

/// Path references that resolve nowhere in the repository on purpose, each with its reason.
const ALLOWED: &[(&str, &str)] = &[
    (
        ".github/workflows/classroom.yml",
        "exists only in a student copy: `cargo xtask export` writes it from \
         xtask/templates/classroom.yml",
    ),
    (
        ".github/workflows/build.yml",
        "exists only in a student copy: `cargo xtask export` writes it from \
         xtask/templates/student-ci.yml",
    ),
];

/// Folders never read, relative to the root, with the reason.
const SKIPPED: &[(&str, &str)] = &[
    (".git", "git's own files"),
    ("target", "build output"),
    ("book/build", "the book as built"),
    (".workbook", "the runner's state, which is the student's"),
    ("node_modules", "installed packages"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the workbook")
        .to_path_buf()
}

/// Every file under `root` to read, relative to it.
fn files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![PathBuf::new()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = fs::read_dir(root.join(&folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let relative = folder.join(entry.file_name());
            let shown = slash(&relative);
            if SKIPPED.iter().any(|(skipped, _)| shown == *skipped) || entry.file_name() == "target"
            {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                folders.push(relative);
            } else if kind(&relative).is_some() {
                found.push(relative);
            }
        }
    }
    found.sort();
    found
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Rust,
    Toml,
    Yaml,
}

fn kind(path: &Path) -> Option<Kind> {
    match path.extension()?.to_str()? {
        "rs" => Some(Kind::Rust),
        "toml" => Some(Kind::Toml),
        "yml" | "yaml" => Some(Kind::Yaml),
        _ => None,
    }
}

fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The text of `line` that is read for references: its comment in Rust and TOML (from a `//` or
/// `#` outside a string to the end of the line), all of it in YAML.
fn readable(line: &str, kind: Kind) -> Option<&str> {
    let marker = match kind {
        Kind::Yaml => return Some(line),
        Kind::Rust => "//",
        Kind::Toml => "#",
    };
    let mut in_string = false;
    let mut escaped = false;
    for (at, c) in line.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if line[at..].starts_with(marker) {
            return Some(&line[at + marker.len()..]);
        }
    }
    None
}

/// The path references in `text`, as written.
fn references(text: &str) -> Vec<String> {
    let is_word =
        |c: char| c.is_ascii_alphanumeric() || "_./-*?<>{}$@~:…".contains(c) || !c.is_ascii();
    text.split(|c: char| !is_word(c))
        .filter_map(reference)
        .collect()
}

/// The path that `word` names, if it is a path reference (see the top of this file).
fn reference(word: &str) -> Option<String> {
    if word.contains("://") {
        return None;
    }
    // `src/lib.rs:32:5` names `src/lib.rs`; a path has no colon of its own.
    let word = word.split(':').next().unwrap_or_default();
    let word = word.trim_end_matches(['.', ',', '-']);
    if !word.contains('/') || word.starts_with('/') {
        return None;
    }
    if word.contains(['*', '?', '<', '>', '{', '}', '$', '@', '~', '…']) || word.contains("NN") {
        return None;
    }
    let parts: Vec<&str> = word.split('/').collect();
    let last = *parts.last()?;
    let (stem, extension) = last.rsplit_once('.')?;
    let extension_ok = (1..=8).contains(&extension.len())
        && extension.chars().all(|c| c.is_ascii_alphanumeric())
        && extension.chars().any(|c| c.is_ascii_alphabetic());
    if !extension_ok || (stem.is_empty() && parts.len() < 2) {
        return None;
    }
    let first = parts[0];
    let is_domain = first.contains('.') && !first.starts_with('.');
    if is_domain {
        return None;
    }
    let placeholder = |part: &str| {
        let stem = part.split('.').next().unwrap_or(part);
        matches!(stem, "N" | "S" | "NAME" | "FILE" | "DIR" | "PATH")
    };
    if parts.iter().any(|part| placeholder(part)) {
        return None;
    }
    let generated = ["target/", "book/build/", ".workbook/"];
    if generated.iter().any(|g| word.starts_with(g)) || word.contains("/target/") {
        return None;
    }
    Some(word.to_owned())
}

/// `folder/reference`, with `.` and `..` worked out; `None` when it climbs above the root.
fn join(folder: &Path, reference: &str) -> Option<PathBuf> {
    let mut path = PathBuf::new();
    for component in folder.join(reference).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !path.pop() {
                    return None;
                }
            }
            other => path.push(other),
        }
    }
    Some(path)
}

/// True when `reference`, named in the file `file` (relative to `root`), exists relative to the
/// file's folder or any folder above it up to the root; or, when it starts with `src/`, in one
/// of the `crates` (folders relative to the root).
fn resolves(root: &Path, crates: &[PathBuf], file: &Path, reference: &str) -> bool {
    file.ancestors()
        .skip(1)
        .filter_map(|folder| join(folder, reference))
        .any(|path| root.join(path).exists())
        || (reference.starts_with("src/")
            && crates
                .iter()
                .any(|folder| root.join(folder).join(reference).exists()))
}

/// The folders of the repository's crates (those with a `Cargo.toml`), relative to the root.
fn crates(files: &[PathBuf]) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|file| file.file_name().is_some_and(|name| name == "Cargo.toml"))
        .filter_map(|file| file.parent().map(Path::to_path_buf))
        .collect()
}

/// Every reference in the repository that does not resolve, as `file:line: reference`.
fn dangling(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let files = files(root);
    let crates = crates(&files);
    for file in files {
        let kind = kind(&file).expect("only files of a known kind are listed");
        let Ok(text) = fs::read_to_string(root.join(&file)) else {
            continue;
        };
        for (number, line) in text.lines().enumerate() {
            let Some(readable) = readable(line, kind) else {
                continue;
            };
            for reference in references(readable) {
                let allowed = ALLOWED.iter().any(|(path, _)| reference.ends_with(path));
                if !allowed && !resolves(root, &crates, &file, &reference) {
                    found.push(format!("{}:{}: {reference}", slash(&file), number + 1));
                }
            }
        }
    }
    found
}

#[test]
fn every_file_a_comment_or_configuration_names_exists() {
    let dangling = dangling(&root());
    assert!(
        dangling.is_empty(),
        "these comments or configuration files name files that do not exist (fix the reference, \
         or add it to ALLOWED in xtask/tests/references.rs with the reason):\n{}",
        dangling.join("\n")
    );
}

#[test]
fn what_counts_as_a_path_reference() {
    let found = |text: &str| references(text);
    assert_eq!(
        found("runs the runner (see xtask/README.md)."),
        ["xtask/README.md"]
    );
    assert_eq!(
        found("`book/src/ch01-tcp-ip/index.md`, at exercises/ch01-tcp-ip/src/lib.rs:32:5:"),
        [
            "book/src/ch01-tcp-ip/index.md",
            "exercises/ch01-tcp-ip/src/lib.rs"
        ]
    );
    assert_eq!(
        found("#[path = \"../../../exercises/ch03-framing/src/tests.rs\"]"),
        ["../../../exercises/ch03-framing/src/tests.rs"]
    );
    assert_eq!(
        found("a .github/workflows/ci.yml step"),
        [".github/workflows/ci.yml"]
    );
    for text in [
        "https://github.com/owner/repo/blob/main/README.md",
        "github.com/owner/repo/README.md",
        "exercises/chNN-S/src/tests.rs",
        "exercises/*/src/lib.rs",
        "book/src/images/NAME.svg",
        "{{#include ../../listings/chNN-S/src/lib.rs:anchor}}",
        "target/debug/deps/x.rs",
        "book/build/index.html",
        ".workbook/backups/ch01-x/src/lib.rs",
        "/tmp/x.rs",
        "TCP/IP and read/write, ch3/ch4, 1/2.5",
        "`Read`/`Write`",
    ] {
        assert_eq!(found(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn only_comments_are_read_in_rust_and_toml() {
    assert_eq!(
        readable("let x = 1; // see a/b.rs", Kind::Rust),
        Some(" see a/b.rs")
    );
    assert_eq!(readable("//! a/b.rs", Kind::Rust), Some("! a/b.rs"));
    assert_eq!(
        readable("let url = \"https://x.org/a.rs\";", Kind::Rust),
        None
    );
    assert_eq!(
        readable("path = \"a/b.rs\" # the #1 file", Kind::Toml),
        Some(" the #1 file")
    );
    assert_eq!(readable("key = \"# not a comment\"", Kind::Toml), None);
    assert_eq!(
        readable("run: bash .ci/run", Kind::Yaml),
        Some("run: bash .ci/run")
    );
}

#[test]
fn a_reference_resolves_from_its_files_folder_or_any_folder_above() {
    let root = root();
    let crates = crates(&files(&root));
    let resolves =
        |file: &str, reference: &str| resolves(&root, &crates, Path::new(file), reference);
    let file = "exercises/ch01-tcp-ip/src/lib.rs";
    assert!(resolves(file, "src/tests.rs"), "the crate's own");
    assert!(resolves(file, "tests.rs"), "the file's folder");
    assert!(resolves(file, "book/src/SUMMARY.md"), "the root");
    assert!(resolves(
        "solutions/ch01-tcp-ip/src/lib.rs",
        "../../../exercises/ch01-tcp-ip/src/tests.rs"
    ));
    assert!(
        resolves("xtask/src/main.rs", "src/tests.rs"),
        "another crate's"
    );
    assert!(!resolves("xtask/src/main.rs", "src/no-such-file.rs"));
    assert!(!resolves(file, "xtask/README.md"));
    assert!(!resolves(file, "../../../../../../outside.rs"));
}

#[test]
fn a_dangling_reference_is_named_with_its_file_and_line() {
    let scratch = Scratch::new("references");
    let root = scratch.path();
    let write = |path: &str, text: &str| common::write(root, path, text);
    write(
        ".cargo/config.toml",
        "# `cargo xtask` runs the runner (see xtask/README.md).\n[alias]\nxtask = \"run\"\n",
    );
    write(
        "xtask/Cargo.toml",
        "[package]\nname = \"xtask\" # see xtask/src/main.rs\n",
    );
    write(
        "xtask/src/main.rs",
        "//! Read `src/tests.rs` and src/main.rs.\nfn main() {}\n",
    );
    write(
        ".github/workflows/ci.yml",
        "# Runs .ci/run.\njobs:\n  x:\n    steps:\n      - run: python3 scripts/gone.py\n",
    );
    write("target/debug/x.rs", "// see nowhere/at/all.rs\n");
    write(
        "book/src/ch01-x/lib.rs",
        "// from .github/workflows/classroom.yml, in a student copy\n",
    );
    let found = dangling(root);
    assert_eq!(
        found,
        [
            ".cargo/config.toml:1: xtask/README.md",
            ".github/workflows/ci.yml:5: scripts/gone.py",
            "xtask/src/main.rs:1: src/tests.rs",
        ]
    );
}
