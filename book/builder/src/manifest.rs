//! The chapters, read through the runner (`cargo xtask chapters --format json`): the builder
//! never reads `chapters.toml` itself, so the manifest has one reader and one set of rules.
//!
//! [`ChapterReferences`] renders what pages write to name a chapter by slug
//! (`{{#chapter framing}}`, `{{#Chapter framing}}`, `{{#number framing}}`) as the runner says,
//! and fails the build on a slug the manifest does not have.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::LazyLock;

use anyhow::{Context, Result, bail};
use mdbook::BookItem;
use mdbook::book::Book;
use mdbook::preprocess::{Preprocessor, PreprocessorContext};
use regex::{Captures, Regex};
use serde::Deserialize;

/// Set by the builder's first run for its second: the target folder the workbook's runner is
/// built in (the second run builds the book's programs in a folder of their own).
pub const OUTER_TARGET: &str = "BOOK_BUILDER_OUTER_TARGET";

/// One chapter, as the runner lists it.
#[derive(Clone, Debug, Deserialize)]
pub struct Chapter {
    pub slug: String,
    pub title: String,
    /// `ch03-framing`: its folder under `book/src/`, `exercises/`, …
    pub folder: String,
    /// What each kind of reference to it becomes: `chapter` → `chapter 3`, …
    pub references: BTreeMap<String, String>,
}

/// The workbook's chapters, in order, asked of the runner from `book_dir` (`book/`).
pub fn chapters(book_dir: &Path) -> Result<Vec<Chapter>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(book_dir.join(".."))
        .args(["xtask", "--color", "never", "chapters", "--format", "json"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    match std::env::var_os(OUTER_TARGET) {
        Some(target) => command.env("CARGO_TARGET_DIR", target),
        None => command.env_remove("CARGO_TARGET_DIR"),
    };
    let output = command
        .output()
        .context("cannot run `cargo xtask chapters` to read the chapters")?;
    if !output.status.success() {
        bail!("`cargo xtask chapters --format json` failed (its error is above)");
    }
    serde_json::from_slice(&output.stdout)
        .context("`cargo xtask chapters --format json` printed something that is not its list")
}

static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{\{#(chapter|Chapter|number)[ \t]+([^}\s]+)[ \t]*\}\}").expect("a valid regex")
});

/// `text` with its references rendered, or the slugs that name no chapter.
pub fn render(text: &str, chapters: &[Chapter]) -> Result<String, Vec<String>> {
    let mut unknown = Vec::new();
    let rendered = REFERENCE.replace_all(text, |caps: &Captures| {
        let rendered = chapters
            .iter()
            .find(|c| c.slug == caps[2])
            .and_then(|c| c.references.get(&caps[1]));
        match rendered {
            Some(text) => text.clone(),
            None => {
                unknown.push(caps[2].to_owned());
                caps[0].to_owned()
            }
        }
    });
    if unknown.is_empty() {
        Ok(rendered.into_owned())
    } else {
        Err(unknown)
    }
}

/// The preprocessor that renders references to chapters.
pub struct ChapterReferences {
    pub chapters: Vec<Chapter>,
}

impl Preprocessor for ChapterReferences {
    fn name(&self) -> &str {
        "chapter-references"
    }

    fn run(&self, _context: &PreprocessorContext, mut book: Book) -> Result<Book> {
        let mut problems = Vec::new();
        book.for_each_mut(|item| {
            let BookItem::Chapter(page) = item else {
                return;
            };
            match render(&page.content, &self.chapters) {
                Ok(text) => page.content = text,
                Err(unknown) => {
                    let path = page
                        .path
                        .as_ref()
                        .map_or(page.name.clone(), |p| p.display().to_string());
                    problems.push(format!(
                        "src/{path}: refers to {}, which chapters.toml does not have",
                        unknown
                            .iter()
                            .map(|slug| format!("the chapter `{slug}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        });
        if !problems.is_empty() {
            bail!(
                "pages refer to chapters that do not exist:\n  {}",
                problems.join("\n  ")
            );
        }
        Ok(book)
    }

    fn supports_renderer(&self, _renderer: &str) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter(number: u32, slug: &str) -> Chapter {
        Chapter {
            slug: slug.to_owned(),
            title: "T".to_owned(),
            folder: format!("ch{number:02}-{slug}"),
            references: [
                ("chapter", format!("chapter {number}")),
                ("Chapter", format!("Chapter {number}")),
                ("number", number.to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        }
    }

    #[test]
    fn references_are_rendered_and_unknown_slugs_named() {
        let chapters = [chapter(3, "framing"), chapter(7, "sharing")];
        assert_eq!(
            render(
                "{{#Chapter framing}} and {{#chapter sharing}}; chapters {{#number framing}} and \
                 {{#number sharing}}; {{#include x.rs}}",
                &chapters
            )
            .unwrap(),
            "Chapter 3 and chapter 7; chapters 3 and 7; {{#include x.rs}}"
        );
        assert_eq!(
            render("{{#chapter gone}} {{#chapter framing}}", &chapters).unwrap_err(),
            ["gone"]
        );
    }

    /// The runner's list, as the builder reads it.
    #[test]
    fn the_runner_lists_the_chapters() {
        let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let chapters = chapters(&book).expect("the runner lists the chapters");
        assert!(!chapters.is_empty());
        for (chapter, number) in chapters.iter().zip(1..) {
            assert!(
                book.join("src").join(&chapter.folder).is_dir(),
                "{chapter:?}"
            );
            assert_eq!(chapter.references["chapter"], format!("chapter {number}"));
        }
    }
}
