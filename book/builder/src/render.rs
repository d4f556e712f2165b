//! One build of the book: compile the listings, check the includes, run mdBook with cmdrun, and
//! check the HTML it wrote.

use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use mdbook::book::Book;
use mdbook::preprocess::{Preprocessor, PreprocessorContext};
use mdbook::{BookItem, Config, MDBook};
use regex::{Captures, Regex};

use crate::commands::StrictCmdRun;
use crate::manifest::{Chapter, ChapterReferences};
use crate::{checks, logger};

/// Builds the book in `book_dir` and checks it; returns the folder with the HTML.
pub fn build_and_check(book_dir: &Path, chapters: &[Chapter]) -> Result<PathBuf> {
    let started = Instant::now();
    compile_listings(book_dir)?;
    checks::includes(&book_dir.join("src"))?;
    checks::rust_blocks_are_included(&book_dir.join("src"))?;

    let errors_before = logger::errors();
    let book = load(book_dir, chapters)?;
    let build_dir = book.build_dir_for("html");
    println!("    Building the book into {}", build_dir.display());
    book.build().context("mdBook could not build the book")?;
    if logger::errors() > errors_before {
        bail!("mdBook reported errors while building the book (shown above)");
    }

    checks::html(&build_dir)?;
    println!(
        "    Finished the book in {:.1} s: no failed command, no leftover directive, no broken link",
        started.elapsed().as_secs_f64()
    );
    Ok(build_dir)
}

/// Loads the book with the cmdrun preprocessor embedded, instead of the `mdbook-cmdrun` program
/// that `book.toml` names for people who build with an installed mdBook.
fn load(book_dir: &Path, chapters: &[Chapter]) -> Result<MDBook> {
    let mut config =
        Config::from_disk(book_dir.join("book.toml")).context("cannot read book/book.toml")?;
    config.update_from_env();
    if let Some(preprocessors) = config
        .get_mut("preprocessor")
        .and_then(|value| value.as_table_mut())
    {
        preprocessors.remove("cmdrun");
    }
    let repository = config
        .html_config()
        .and_then(|html| html.git_repository_url)
        .map(|url| url.trim_end_matches('/').to_owned());

    let mut book =
        MDBook::load_with_config(book_dir, config).context("mdBook could not load the book")?;
    // References to chapters are rendered before cmdrun runs a page's commands.
    book.with_preprocessor(ChapterReferences {
        chapters: chapters.to_vec(),
    })
    .with_preprocessor(RepositoryLinks { repository })
    .with_preprocessor(StrictCmdRun);
    Ok(book)
}

/// Builds every listings crate in one cargo call before the pages run their programs, so the
/// commands find them compiled (and a listing that does not compile is reported as such).
fn compile_listings(book_dir: &Path) -> Result<()> {
    let mut packages = Vec::new();
    let listings = book_dir.join("listings");
    for entry in fs::read_dir(&listings).context("cannot read book/listings")? {
        let manifest = entry?.path().join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&manifest) else {
            continue;
        };
        if let Some(name) = PACKAGE_NAME.captures(&text) {
            packages.push(name[1].to_owned());
        }
    }
    if packages.is_empty() {
        return Ok(());
    }
    packages.sort();
    println!("   Compiling the listings ({})", packages.join(", "));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["build", "--quiet"]);
    for package in &packages {
        command.args(["--package", package]);
    }
    let status = command.status().context("cannot run cargo")?;
    if !status.success() {
        bail!("the listings do not compile (cargo's errors are above)");
    }
    Ok(())
}

static PACKAGE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?m)^name\s*=\s*"([^"]+)""#).expect("a valid regex"));

/// Links from a page to the workbook's own files (`../../../exercises/ch01-tcp-ip/src/lib.rs`)
/// work in a local build, where those files sit next to the book. In a published book they
/// point to the repository instead, when `output.html.git-repository-url` is set (the Pages
/// workflow sets it).
struct RepositoryLinks {
    repository: Option<String>,
}

static MARKDOWN_LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\]\(([^()\s#]+)(#[^()\s]*)?\)").expect("a valid regex"));

impl Preprocessor for RepositoryLinks {
    fn name(&self) -> &str {
        "repository-links"
    }

    fn run(&self, context: &PreprocessorContext, mut book: Book) -> Result<Book> {
        let Some(repository) = &self.repository else {
            return Ok(book);
        };
        let src = context.config.book.src.clone();
        // The book's own folder, relative to the repository's root.
        let book_in_repository = context
            .root
            .canonicalize()
            .ok()
            .and_then(|root| {
                let top = root
                    .ancestors()
                    .find(|folder| {
                        folder.join("Cargo.toml").is_file() && folder.join(".git").exists()
                    })?
                    .to_path_buf();
                root.strip_prefix(top).ok().map(Path::to_path_buf)
            })
            .unwrap_or_else(|| PathBuf::from("book"));
        book.for_each_mut(|item| {
            let BookItem::Chapter(chapter) = item else {
                return;
            };
            let Some(page) = &chapter.path else {
                return;
            };
            let page_dir = book_in_repository
                .join(&src)
                .join(page.parent().unwrap_or(Path::new("")));
            chapter.content = MARKDOWN_LINK
                .replace_all(&chapter.content, |caps: &Captures| {
                    let target = &caps[1];
                    if target.contains(':') || target.starts_with('/') {
                        return caps[0].to_owned();
                    }
                    match normalize(&page_dir.join(target)) {
                        Some(path) if !path.starts_with(book_in_repository.join(&src)) => {
                            let path = path.to_string_lossy().replace('\\', "/");
                            let fragment = caps.get(2).map_or("", |m| m.as_str());
                            format!("]({repository}/blob/HEAD/{path}{fragment})")
                        }
                        _ => caps[0].to_owned(),
                    }
                })
                .into_owned();
        });
        Ok(book)
    }

    fn supports_renderer(&self, renderer: &str) -> bool {
        renderer == "html"
    }
}

/// `a/b/../c` as `a/c`, without touching the disk; `None` when it climbs above its start.
pub fn normalize(path: &Path) -> Option<PathBuf> {
    let mut parts: Vec<Component> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                _ => return None,
            },
            other => parts.push(other),
        }
    }
    Some(parts.iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_parent_folders_without_the_disk() {
        assert_eq!(
            normalize(Path::new("book/src/ch01/../../exercises/lib.rs")),
            Some(PathBuf::from("book/exercises/lib.rs"))
        );
        assert_eq!(normalize(Path::new("a/../..")), None);
    }
}
