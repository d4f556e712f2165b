//! `--watch`: serve the book and rebuild it whenever a page, a picture or a listing changes.
//!
//! Polling the modification times twice a second is plenty for a book, needs no platform
//! notification API, and behaves the same on Linux, macOS and Windows.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, SystemTime};

use anyhow::Result;

use crate::{manifest, open, render, serve};

/// Builds, serves and rebuilds until interrupted.
pub fn run(book_dir: &Path, port: u16, open_browser: bool) -> Result<()> {
    if let Err(error) = build(book_dir) {
        eprintln!("error: {error:#}");
    }
    let build_dir = book_dir.join("build");
    std::fs::create_dir_all(&build_dir)?;
    let addr = serve::start(&build_dir, port)?;
    let url = format!("http://{addr}/");
    println!("     Serving the book at {url} (Ctrl-C to stop); it rebuilds when a file changes");
    if open_browser {
        open::in_browser(&url);
    }

    let mut last = snapshot(book_dir);
    loop {
        thread::sleep(Duration::from_millis(500));
        let now = snapshot(book_dir);
        if now == last {
            continue;
        }
        // Editors often write a file in several steps: let them finish.
        thread::sleep(Duration::from_millis(300));
        last = snapshot(book_dir);
        println!("     Changed: rebuilding");
        match build(book_dir) {
            Ok(_) => println!("     Serving the book at {url} (reload the page)"),
            Err(error) => eprintln!("error: {error:#}"),
        }
    }
}

/// One build, with the chapters read again (the manifest may have changed too).
fn build(book_dir: &Path) -> Result<PathBuf> {
    let chapters = manifest::chapters(book_dir)?;
    render::build_and_check(book_dir, &chapters)
}

/// The modification time of every file the book is made from.
fn snapshot(book_dir: &Path) -> BTreeMap<PathBuf, SystemTime> {
    let mut files = BTreeMap::new();
    let mut pending = vec![
        book_dir.join("book.toml"),
        book_dir.join("../chapters.toml"),
        book_dir.join("src"),
        book_dir.join("listings"),
        book_dir.join("theme"),
    ];
    while let Some(path) = pending.pop() {
        let Ok(metadata) = fs::metadata(&path) else {
            continue;
        };
        if metadata.is_dir() {
            if path.file_name().is_some_and(|name| name == "target") {
                continue;
            }
            if let Ok(entries) = fs::read_dir(&path) {
                pending.extend(entries.flatten().map(|entry| entry.path()));
            }
        } else if let Ok(modified) = metadata.modified() {
            files.insert(path, modified);
        }
    }
    files
}
