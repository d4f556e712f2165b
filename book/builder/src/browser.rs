//! `--check`: load the built book in headless Chromium, over HTTP, and check what a reader
//! would see: the title, every chapter in the sidebar, highlighted code, a command's real
//! output, and a search that finds something. Screenshots of two pages, in a light and a dark
//! theme, are kept in `target/book-screenshots/` for a person to look at: outside `book/build/`,
//! which is the site, so that publishing it never publishes them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use mdbook::Config;
use regex::Regex;

use crate::manifest::Chapter;
use crate::serve;

/// The chapter with a page that shows a command's output, and a piece of text that output is
/// known to contain. A course without that chapter checks its first chapter's page for
/// highlighted code only.
const CMDRUN_CHAPTER: &str = "tcp-ip";
const CMDRUN_OUTPUT: &str = "localhost, port 5555, resolves to";

/// A word the search must find.
const SEARCH_WORD: &str = "socket";

/// How long one Chromium run may take before it is stopped.
const BROWSER_DEADLINE: Duration = Duration::from_secs(90);

/// Loads the book in `build_dir` in headless Chromium and checks it.
pub fn check(book_dir: &Path, build_dir: &Path, chapters: &[Chapter]) -> Result<()> {
    let chromium = find_chromium()?;
    let config = Config::from_disk(book_dir.join("book.toml"))?;
    let title = config.book.title.clone().unwrap_or_default();
    let cmdrun_chapter = chapters.iter().find(|c| c.slug == CMDRUN_CHAPTER);
    let cmdrun_page = format!(
        "{}/index.html",
        cmdrun_chapter
            .or(chapters.first())
            .context("the workbook has no chapters")?
            .folder
    );
    let addr = serve::start(build_dir, 0)?;
    let base = format!("http://{addr}/");
    println!("    Checking the book in {} at {base}", chromium.display());
    let mut problems = Vec::new();

    let intro = dump_dom(&chromium, &format!("{base}index.html"))?;
    let shown_title = between(&intro, "<title>", "</title>").unwrap_or("");
    if title.is_empty() || !shown_title.contains(&escape(&title)) {
        problems.push(format!(
            "index.html: the title does not name the book, `{title}`"
        ));
    }
    let sidebar = between(&intro, "<nav id=\"sidebar\"", "</nav>").unwrap_or("");
    for chapter in chapters.iter().map(|c| &c.title) {
        if !sidebar.contains(&escape(chapter)) {
            problems.push(format!(
                "index.html: the sidebar does not list the chapter `{chapter}`"
            ));
        }
    }
    for (id, what) in [
        ("searchbar", "search box"),
        ("search-toggle", "search button"),
    ] {
        if !intro.contains(&format!("id=\"{id}\"")) {
            problems.push(format!("index.html: there is no {what} (#{id})"));
        }
    }

    let chapter = dump_dom(&chromium, &format!("{base}{cmdrun_page}"))?;
    if !HIGHLIGHTED_RUST.is_match(&chapter) {
        problems.push(format!("{cmdrun_page}: no highlighted Rust code block"));
    }
    if cmdrun_chapter.is_some() && !chapter.contains(CMDRUN_OUTPUT) {
        problems.push(format!(
            "{cmdrun_page}: the output of the name-resolution program (`{CMDRUN_OUTPUT}`) is missing"
        ));
    }

    let search = dump_dom(&chromium, &format!("{base}index.html?search={SEARCH_WORD}"))?;
    let results = between(&search, "id=\"searchresults\"", "</ul>").unwrap_or("");
    if !results.contains("<li") {
        problems.push(format!("the search for `{SEARCH_WORD}` found nothing"));
    }

    // The dark screenshots are only worth looking at if the theme really changes.
    let dark = dump_dom(&chromium, &format!("{base}index.html?theme=navy"))?;
    let html_tag = between(&dark, "<html", ">").unwrap_or("");
    if !html_tag.contains("navy") {
        problems.push(format!(
            "index.html?theme=navy: the page did not switch to the dark theme ({html_tag}>)"
        ));
    }

    let shots = Path::new("../target/book-screenshots");
    fs::create_dir_all(shots)?;
    for (name, page) in [
        ("introduction", "index.html"),
        ("chapter-1", cmdrun_page.as_str()),
    ] {
        for theme in ["light", "navy"] {
            let file = shots.join(format!("{name}-{theme}.png"));
            screenshot(&chromium, &format!("{base}{page}?theme={theme}"), &file)?;
        }
    }

    if !problems.is_empty() {
        bail!(
            "the book does not look right in a browser:\n  - {}",
            problems.join("\n  - ")
        );
    }
    println!(
        "    Finished the browser check: title, {} chapters in the sidebar, code, command output, search; screenshots in {}",
        chapters.len(),
        shots.display()
    );
    Ok(())
}

static HIGHLIGHTED_RUST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"<code class="[^"]*language-rust[^"]*hljs|<code class="[^"]*hljs[^"]*language-rust"#,
    )
    .expect("a valid regex")
});

/// Chromium, or a sentence that says how to install it.
fn find_chromium() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("WORKBOOK_CHROMIUM") {
        return Ok(PathBuf::from(path));
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
        "chrome",
    ];
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            for name in names {
                candidates.push(dir.join(name));
                candidates.push(dir.join(format!("{name}.exe")));
            }
        }
    }
    candidates.push("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome".into());
    candidates.push("/Applications/Chromium.app/Contents/MacOS/Chromium".into());
    for root in ["ProgramFiles", "ProgramFiles(x86)", "LocalAppData"] {
        if let Some(root) = std::env::var_os(root) {
            candidates.push(PathBuf::from(root).join(r"Google\Chrome\Application\chrome.exe"));
        }
    }
    candidates
        .into_iter()
        .find(|candidate| candidate.is_file())
        .context(
            "the browser check needs Chromium, which is not installed; on Debian or Ubuntu run \
             `sudo apt-get install chromium` (or set WORKBOOK_CHROMIUM to a Chrome or Chromium program)",
        )
}

/// The page's DOM after its scripts have run.
fn dump_dom(chromium: &Path, url: &str) -> Result<String> {
    let output = run_chromium(chromium, &["--dump-dom", url])?;
    let dom = String::from_utf8_lossy(&output).into_owned();
    ensure!(dom.contains("<html"), "Chromium returned no page for {url}");
    Ok(dom)
}

fn screenshot(chromium: &Path, url: &str, file: &Path) -> Result<()> {
    let target = format!("--screenshot={}", file.display());
    run_chromium(
        chromium,
        &[&target, "--window-size=1280,900", "--hide-scrollbars", url],
    )?;
    ensure!(file.is_file(), "Chromium made no screenshot of {url}");
    Ok(())
}

/// Runs headless Chromium with a fresh profile and returns its stdout; stops it after
/// [`BROWSER_DEADLINE`].
fn run_chromium(chromium: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let profile = std::env::temp_dir().join(format!(
        "book-builder-chromium-{}-{}",
        std::process::id(),
        PROFILES.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let output_file = profile.with_extension("out");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&output_file)?)
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", chromium.display()))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > BROWSER_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "Chromium did not finish within {} s: {args:?}",
                BROWSER_DEADLINE.as_secs()
            );
        }
        thread::sleep(Duration::from_millis(100));
    };
    let output = fs::read(&output_file).unwrap_or_default();
    let _ = fs::remove_file(&output_file);
    let _ = fs::remove_dir_all(&profile);
    ensure!(status.success(), "Chromium failed ({status}) on {args:?}");
    Ok(output)
}

static PROFILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The part of `text` from `start` to the next `end`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)?;
    let to = text[from..].find(end).map_or(text.len(), |to| from + to);
    Some(&text[from..to])
}

/// `text` as it appears in HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
