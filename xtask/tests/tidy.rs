//! The repository's own tidiness, which no compiler checks: every Rust file says what it is in a
//! `//!` comment before anything else; the README's table of chapters is the manifest's list
//! (numbers and titles, in order), so a chapter added, dropped or renamed in `chapters.toml`
//! cannot leave the README behind; and every status word the runner writes is capitalised, as
//! cargo's are (`Checking`, `Verified`, `Caught`).

use std::fs;
use std::path::{Path, PathBuf};

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is one folder below the root")
        .to_path_buf()
}

/// Every `.rs` file under `dir`, but build output, git's folder and the runner's state.
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            let skipped = ["target", ".git", ".workbook", "build", "node_modules"];
            if !skipped.iter().any(|s| name == *s) {
                rust_files(&path, found);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// True when the first line that is not blank is a `//!` comment.
fn opens_with_a_module_comment(text: &str) -> bool {
    text.lines()
        .find(|line| !line.trim().is_empty())
        .is_some_and(|line| line.starts_with("//!"))
}

#[test]
fn every_rust_file_opens_with_what_it_is() {
    let root = root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(
        files.len() > 50,
        "the search found too few Rust files: {files:?}"
    );
    let missing: Vec<String> = files
        .iter()
        .filter(|file| !opens_with_a_module_comment(&fs::read_to_string(file).unwrap()))
        .map(|file| file.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "these Rust files do not open with a `//!` comment that says what they are:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn a_module_comment_must_come_first() {
    assert!(opens_with_a_module_comment("\n//! Parses.\nfn f() {}\n"));
    assert!(!opens_with_a_module_comment("use std::io;\n//! Late.\n"));
    assert!(!opens_with_a_module_comment("// A plain comment.\n"));
    assert!(!opens_with_a_module_comment(""));
}

/// The README's chapter rows, `| N. Title | … |`, as (number, title).
fn readme_chapters(readme: &str) -> Vec<(u32, String)> {
    readme
        .lines()
        .filter_map(|line| {
            let cell = line.strip_prefix("| ")?.split(" | ").next()?;
            let (number, title) = cell.split_once(". ")?;
            Some((number.parse().ok()?, title.trim().to_owned()))
        })
        .collect()
}

/// The manifest's chapters, as (number, title), read as the runner reads them: in order.
fn manifest_chapters(manifest: &str) -> Vec<(u32, String)> {
    let value: toml::Value = toml::from_str(manifest).unwrap();
    value["chapter"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(index, chapter)| {
            let title = chapter["title"].as_str().unwrap().to_owned();
            (index as u32 + 1, title)
        })
        .collect()
}

#[test]
fn the_readmes_chapter_table_is_the_manifests_list() {
    let root = root();
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    let manifest = fs::read_to_string(root.join("chapters.toml")).unwrap();
    let (shown, listed) = (readme_chapters(&readme), manifest_chapters(&manifest));
    assert_eq!(
        shown, listed,
        "README.md's table of chapters (left) must list the chapters of chapters.toml (right), \
         by number and title, in order"
    );
}

#[test]
fn chapter_rows_are_read_from_the_table_only() {
    let readme = "| chapter | you learn |\n| --- | --- |\n| 1. One | a |\n| 2. Two: more | b |\n\n\
                  | command | what |\n| `x` | y |\n1. A list item\n";
    assert_eq!(
        readme_chapters(readme),
        [(1, "One".to_owned()), (2, "Two: more".to_owned())]
    );
}

/// The literal status words of the `.status(tone, "Word", …)` calls in `source`: the second
/// argument of every `.status(` call whose first is a tone, when it is a string literal.
fn status_words(source: &str) -> Vec<String> {
    source
        .split(".status(")
        .skip(1)
        .filter_map(|call| {
            let (tone, rest) = call.split_once(',')?;
            if !tone.to_lowercase().contains("tone") {
                return None;
            }
            let word = rest.trim_start().strip_prefix('"')?;
            Some(word.split('"').next()?.to_owned())
        })
        .collect()
}

#[test]
fn status_words_are_read_from_status_calls_only() {
    let source = "shell.status(Tone::Good, \"Checking\", x);\n\
                  shell.status(\n    tone,\n    \"passed\",\n);\n\
                  command.status();\nshell.status(tone, verb, x);\n";
    assert_eq!(status_words(source), ["Checking", "passed"]);
}

#[test]
fn every_status_word_is_capitalised_as_cargos_are() {
    let src = root().join("xtask/src");
    let (mut lower, mut seen) = (Vec::new(), 0);
    for entry in fs::read_dir(&src).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let source = fs::read_to_string(entry.path()).unwrap();
        for word in status_words(&source) {
            seen += 1;
            if !word.starts_with(|c: char| c.is_uppercase()) {
                lower.push(format!("{name}: \"{word}\""));
            }
        }
    }
    assert!(seen > 40, "the search found only {seen} status words");
    assert!(
        lower.is_empty(),
        "status words are capitalised, as cargo's are (`Checking`, `Finished`): \n  {}",
        lower.join("\n  ")
    );
}
