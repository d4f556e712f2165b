//! Checks that the book is whole: every include resolves before the build, and after it no
//! page shows a failed command, a leftover directive, or a link to a page or anchor that does
//! not exist.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::{Context, Result, bail};
use regex::Regex;

use crate::manifest::Chapter;
use crate::render::normalize;

static INCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\\?)\{\{#(include|rustdoc_include)\s+([^}\s]+)\s*\}\}").expect("a valid regex")
});
static ANCHOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ANCHOR:\s*([\w_-]+)").expect("a valid regex"));
static LINE_RANGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d*(:\d*)?$").expect("a valid regex"));

/// Every `{{#include file:anchor}}` in the pages under `src` names a file that exists and an
/// anchor that file has. (mdBook includes nothing, silently, for an anchor it cannot find.)
pub fn includes(src: &Path) -> Result<()> {
    let mut problems = Vec::new();
    for page in files_with_extension(src, "md")? {
        let text =
            fs::read_to_string(&page).with_context(|| format!("cannot read {}", page.display()))?;
        let page_dir = page.parent().unwrap_or(src);
        for caps in INCLUDE.captures_iter(&text) {
            if !caps[1].is_empty() {
                continue; // `\{{#include …}}` is mdBook's way of showing the directive itself.
            }
            let argument = &caps[3];
            let (file, selector) = argument.split_once(':').unwrap_or((argument, ""));
            let shown = page
                .strip_prefix(src)
                .unwrap_or(&page)
                .display()
                .to_string();
            let Ok(source) = fs::read_to_string(page_dir.join(file)) else {
                problems.push(format!(
                    "src/{shown}: {{{{#include {argument}}}}}: there is no file {file}"
                ));
                continue;
            };
            if selector.is_empty() || LINE_RANGE.is_match(selector) {
                continue;
            }
            let anchors: BTreeSet<&str> = ANCHOR
                .captures_iter(&source)
                .map(|caps| caps.get(1).map_or("", |m| m.as_str()))
                .collect();
            if !anchors.contains(selector) {
                let known: Vec<&str> = anchors.into_iter().collect();
                problems.push(format!(
                    "src/{shown}: {{{{#include {argument}}}}}: {file} has no `// ANCHOR: {selector}` \
                     (its anchors: {})",
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                ));
            }
        }
    }
    report("includes that cannot resolve", problems)
}

/// Every Rust code block in the pages under `src` is included from a compiled file, never
/// pasted, so the tests compile every line of Rust the book shows.
pub fn rust_blocks_are_included(src: &Path) -> Result<()> {
    let mut problems = Vec::new();
    for page in files_with_extension(src, "md")? {
        let text =
            fs::read_to_string(&page).with_context(|| format!("cannot read {}", page.display()))?;
        let shown = page
            .strip_prefix(src)
            .unwrap_or(&page)
            .display()
            .to_string();
        let mut block: Option<(usize, &str, bool)> = None;
        for (number, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            match &mut block {
                None => {
                    if let Some(fence) = ["```", "~~~"].into_iter().find(|f| trimmed.starts_with(f))
                    {
                        let info = trimmed.trim_start_matches(fence.chars().next().unwrap_or('`'));
                        let language = info.split([',', ' ']).next().unwrap_or("");
                        let fence_len = trimmed.len() - info.len();
                        block = Some((number + 1, &trimmed[..fence_len], language == "rust"));
                    }
                }
                Some((start, fence, is_rust)) => {
                    if trimmed.starts_with(*fence)
                        && trimmed.trim_start_matches(['`', '~']).trim().is_empty()
                    {
                        block = None;
                    } else if *is_rust
                        && !trimmed.is_empty()
                        && !trimmed.starts_with("{{#include")
                        && !trimmed.starts_with("{{#rustdoc_include")
                    {
                        problems.push(format!(
                            "src/{shown}:{start}: a Rust block with pasted code; include it from \
                             book/listings/ by anchor (`{{{{#include ../../listings/…:anchor}}}}`) \
                             so the tests compile it"
                        ));
                        *is_rust = false; // One report per block.
                    }
                }
            }
        }
    }
    report("Rust blocks that are not compiled", problems)
}

/// Every chapter links from its pages under `src` to its exercise, so a reader can go from the
/// idea to the work.
pub fn chapters_link_their_exercises(chapters: &[Chapter], src: &Path) -> Result<()> {
    let mut problems = Vec::new();
    for chapter in chapters {
        let folder = &chapter.folder;
        let link = format!("](../../../exercises/{folder}/");
        let pages = files_with_extension(&src.join(folder), "md").unwrap_or_default();
        let links = pages
            .iter()
            .any(|page| fs::read_to_string(page).is_ok_and(|text| text.contains(&link)));
        if !links {
            problems.push(format!(
                "src/{folder}/: no page links to the exercise; add a link such as \
                 [`exercises/{folder}/src/lib.rs`](../../../exercises/{folder}/src/lib.rs)"
            ));
        }
    }
    report("chapters without a link to their exercise", problems)
}

/// The end of every chapter: on its last page (in SUMMARY.md's order), a recap, questions a
/// reader answers before revealing the answer, and further reading, under these headings.
const RECAP: &str = "## Recap";
const CHECK_YOURSELF: &str = "## Check yourself";
const FURTHER_READING: &str = "## Further reading";

static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\]\((https?://[^)\s]+)\)").expect("a valid regex"));
static SUMMARY_LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\]\(([^)#\s]+\.md)").expect("a valid regex"));

/// Every chapter ends, on its last page, with `## Recap` (three to five points),
/// `## Check yourself` (three to five questions in `<details>` with a `<summary>`) and
/// `## Further reading` (three links or more), in that order.
pub fn chapters_end_with_recap_questions_and_reading(
    chapters: &[Chapter],
    src: &Path,
) -> Result<()> {
    let summary = fs::read_to_string(src.join("SUMMARY.md"))
        .with_context(|| format!("cannot read {}", src.join("SUMMARY.md").display()))?;
    let mut problems = Vec::new();
    for chapter in chapters {
        let folder = &chapter.folder;
        let Some(last) = SUMMARY_LINK
            .captures_iter(&summary)
            .map(|link| link[1].to_owned())
            .filter(|link| link.starts_with(&format!("{folder}/")))
            .last()
        else {
            continue; // SUMMARY.md's own check names a chapter it lacks.
        };
        let page = fs::read_to_string(src.join(&last)).unwrap_or_default();
        problems.extend(
            chapter_ending_problems(&page)
                .into_iter()
                .map(|problem| format!("src/{last} (the last page of {folder}): {problem}")),
        );
    }
    report(
        "chapters that do not end with a recap, questions and reading",
        problems,
    )
}

/// What the end of a chapter's last page lacks, one sentence each.
fn chapter_ending_problems(page: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let at = |heading: &str| page.lines().position(|line| line.trim_end() == heading);
    let (recap, check, reading) = (at(RECAP), at(CHECK_YOURSELF), at(FURTHER_READING));
    let lines: Vec<&str> = page.lines().collect();
    // The lines of the section that starts at `start`, up to the next heading of its level.
    let section = |start: usize| -> Vec<&str> {
        lines[start + 1..]
            .iter()
            .take_while(|line| !line.starts_with("## ") && !line.starts_with("# "))
            .copied()
            .collect()
    };
    for (found, heading) in [
        (recap, RECAP),
        (check, CHECK_YOURSELF),
        (reading, FURTHER_READING),
    ] {
        if found.is_none() {
            problems.push(format!("no `{heading}` section"));
        }
    }
    if let (Some(recap), Some(check), Some(reading)) = (recap, check, reading)
        && !(recap < check && check < reading)
    {
        problems.push(format!(
            "the sections must come in the order `{RECAP}`, `{CHECK_YOURSELF}`, \
                 `{FURTHER_READING}`"
        ));
    }
    if let Some(recap) = recap {
        let points = section(recap)
            .iter()
            .filter(|line| line.starts_with("- ") || line.starts_with("* "))
            .count();
        if !(3..=5).contains(&points) {
            problems.push(format!("`{RECAP}` has {points} points; give three to five"));
        }
    }
    if let Some(check) = check {
        let body = section(check).join("\n");
        let questions = body.matches("<details>").count();
        let summaries = body.matches("<summary>").count();
        let closed = body.matches("</details>").count();
        if !(3..=5).contains(&questions) {
            problems.push(format!(
                "`{CHECK_YOURSELF}` has {questions} questions (`<details>`); give three to five"
            ));
        }
        if summaries != questions || closed != questions {
            problems.push(format!(
                "in `{CHECK_YOURSELF}`, every question is a `<details>` with one `<summary>` \
                 (the question) and a closing `</details>` ({questions} opened, {summaries} \
                 summaries, {closed} closed)"
            ));
        }
    }
    if let Some(reading) = reading {
        let links = LINK.find_iter(&section(reading).join("\n")).count();
        if links < 3 {
            problems.push(format!(
                "`{FURTHER_READING}` has {links} links to read; give three or more"
            ));
        }
    }
    problems
}

/// The widest a line of a listing may be: wider lines scroll sideways in the page.
const LISTING_COLUMNS: usize = 80;

static CODE_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?s)<code class="language-(rust|python)[^"]*">(.*?)</code>"#)
        .expect("a valid regex")
});

/// Every line of every Rust and Python listing in the built pages (hidden lines included, as a
/// reader can show them) is at most 80 columns wide.
pub fn listings_fit(build_dir: &Path) -> Result<()> {
    let mut problems = Vec::new();
    for page in files_with_extension(build_dir, "html")? {
        let name = page
            .strip_prefix(build_dir)
            .unwrap_or(&page)
            .to_string_lossy()
            .replace('\\', "/");
        if name == "print.html" {
            continue;
        }
        let text =
            fs::read_to_string(&page).with_context(|| format!("cannot read {}", page.display()))?;
        for block in CODE_BLOCK.captures_iter(&text) {
            let code = decode_entities(&TAG.replace_all(&block[2], ""));
            for line in code.lines() {
                let width = line.chars().count();
                if width > LISTING_COLUMNS {
                    problems.push(format!(
                        "{name} (from src/{}): a {} listing has a line of {width} columns: `{}`",
                        name.replace(".html", ".md"),
                        &block[1],
                        line.trim()
                    ));
                }
            }
        }
    }
    report(
        &format!("listings wider than {LISTING_COLUMNS} columns"),
        problems,
    )
}

/// The text of HTML with the entities mdBook writes in code turned back into characters.
fn decode_entities(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

static HREF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\b(?:href|src)="([^"]*)""#).expect("a valid regex"));
static ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\bid="([^"]*)""#).expect("a valid regex"));
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]*>").expect("a valid regex"));

/// Scans every page under `build_dir` for failed commands, leftover directives and broken
/// internal links and anchors.
pub fn html(build_dir: &Path) -> Result<()> {
    let build_dir = build_dir
        .canonicalize()
        .with_context(|| format!("there is no {}", build_dir.display()))?;
    let pages = files_with_extension(&build_dir, "html")?;
    let mut ids: HashMap<PathBuf, BTreeSet<String>> = HashMap::new();
    let mut problems = Vec::new();
    // The build folder is the site: the browser check keeps its screenshots elsewhere.
    if build_dir.join("screenshots").exists() {
        problems.push(
            "screenshots/: the build folder is published as it is; keep screenshots \
                       out of it"
                .to_owned(),
        );
    }
    for page in &pages {
        let text =
            fs::read_to_string(page).with_context(|| format!("cannot read {}", page.display()))?;
        let name = page
            .strip_prefix(&build_dir)
            .unwrap_or(page)
            .to_string_lossy()
            .replace('\\', "/");
        // The print page repeats every chapter: its problems are the chapters' problems.
        if name == "print.html" {
            continue;
        }
        let shown = match name.as_str() {
            "toc.html" | "404.html" => name.clone(),
            _ => format!("{name} (from src/{})", name.replace(".html", ".md")),
        };

        if let Some(at) = text.find("cmdrun error") {
            problems.push(format!(
                "{shown}: a command failed:\n{}",
                excerpt(&text[at..])
            ));
        }
        for leftover in [
            "<!-- cmdrun",
            "&lt;!-- cmdrun",
            "{{#include",
            "{{#rustdoc_include",
            "{{#playground",
        ] {
            if text.contains(leftover) {
                problems.push(format!("{shown}: `{leftover}` was left in the page"));
            }
        }
        // 404.html resolves its links against the site's root, wherever it is shown.
        if name == "404.html" {
            continue;
        }
        for caps in HREF.captures_iter(&text) {
            let link = caps[1].replace("&amp;", "&");
            if let Some(problem) = check_link(&build_dir, page, &link, &mut ids) {
                problems.push(format!("{shown}: link `{link}`: {problem}"));
            }
        }
    }
    report("problems in the built pages", problems)
}

/// What is wrong with `link` on `page`, if anything.
fn check_link(
    build_dir: &Path,
    page: &Path,
    link: &str,
    ids: &mut HashMap<PathBuf, BTreeSet<String>>,
) -> Option<String> {
    let external = ["http:", "https:", "mailto:", "javascript:", "data:", "//"];
    if link.is_empty() || external.iter().any(|prefix| link.starts_with(prefix)) {
        return None;
    }
    let (path, fragment) = link.split_once('#').unwrap_or((link, ""));
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    let target = if path.is_empty() {
        page.to_path_buf()
    } else {
        let joined = page
            .parent()
            .unwrap_or(build_dir)
            .join(percent_decode(path));
        let Some(mut target) = normalize(&joined) else {
            return Some("it climbs above the file system's root".to_owned());
        };
        if target.is_dir() {
            target.push("index.html");
        }
        if !target.exists() {
            let inside = target.starts_with(build_dir);
            return Some(if inside {
                "no such page or file in the book".to_owned()
            } else {
                "it points outside the book, to a file that does not exist".to_owned()
            });
        }
        target
    };
    if fragment.is_empty() || target.extension().is_none_or(|ext| ext != "html") {
        return None;
    }
    let known = ids.entry(target.clone()).or_insert_with(|| {
        let text = fs::read_to_string(&target).unwrap_or_default();
        ID.captures_iter(&text)
            .map(|caps| caps[1].to_owned())
            .collect()
    });
    let fragment = percent_decode(fragment);
    if known.contains(&fragment) {
        None
    } else {
        Some(format!(
            "{} has no element with id `{fragment}`",
            target.strip_prefix(build_dir).unwrap_or(&target).display()
        ))
    }
}

/// `%20` as a space, and so on, for the links mdBook writes.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        });
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The failed command's message from `html` (up to the end of its code block), without tags.
fn excerpt(html: &str) -> String {
    let html = html.split("</code>").next().unwrap_or(html);
    let text = TAG.replace_all(html, "");
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let mut out = String::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()).take(25) {
        let _ = writeln!(out, "    | {line}");
    }
    out.trim_end().to_owned()
}

fn report(what: &str, problems: Vec<String>) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    let mut message = format!("the book has {what} ({}):", problems.len());
    for problem in problems {
        let _ = write!(message, "\n  - {problem}");
    }
    bail!(message)
}

/// Every file under `dir` whose name ends in `.extension`, sorted.
pub fn files_with_extension(dir: &Path, extension: &str) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in
            fs::read_dir(&folder).with_context(|| format!("cannot read {}", folder.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == extension) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter(number: u32, slug: &str) -> Chapter {
        Chapter {
            slug: slug.to_owned(),
            title: slug.to_uppercase(),
            folder: format!("ch{number:02}-{slug}"),
            references: Default::default(),
        }
    }

    /// A fresh folder for one test's files.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("book-builder-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn an_include_of_a_missing_anchor_is_reported() {
        let dir = scratch("includes");
        fs::write(
            dir.join("code.rs"),
            "// ANCHOR: here\nfn f() {}\n// ANCHOR_END: here\n",
        )
        .unwrap();
        fs::write(
            dir.join("good.md"),
            "{{#include code.rs:here}} {{#include code.rs:2:3}}",
        )
        .unwrap();
        assert!(includes(&dir).is_ok());
        fs::write(dir.join("bad.md"), "{{#include code.rs:there}}").unwrap();
        let error = includes(&dir).unwrap_err().to_string();
        assert!(
            error.contains("bad.md") && error.contains("ANCHOR: there"),
            "{error}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_pasted_rust_block_is_reported_but_not_one_shown_inside_markdown() {
        let dir = scratch("pasted");
        let shown = "````markdown\n```rust\nfn shown() {}\n```\n````\n";
        let included = "```rust,ignore\n{{#include x.rs:a}}\n```\n";
        fs::write(dir.join("ok.md"), format!("{shown}{included}")).unwrap();
        assert!(rust_blocks_are_included(&dir).is_ok());
        fs::write(dir.join("bad.md"), "text\n\n```rust\nfn pasted() {}\n```\n").unwrap();
        let error = rust_blocks_are_included(&dir).unwrap_err().to_string();
        assert!(error.contains("bad.md:3"), "{error}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn broken_links_anchors_and_failed_commands_are_reported() {
        let dir = scratch("html");
        fs::create_dir_all(dir.join("ch01")).unwrap();
        fs::write(
            dir.join("index.html"),
            r#"<h2 id="top">x</h2><a href="ch01/index.html#part">"#,
        )
        .unwrap();
        fs::write(
            dir.join("ch01/index.html"),
            r#"<h2 id="part">x</h2><a href="../index.html#top"></a><a href="https://example.org/">"#,
        )
        .unwrap();
        assert!(html(&dir).is_ok());

        fs::write(
            dir.join("ch01/other.html"),
            "<a href=\"../index.html#gone\"></a><a href=\"missing.html\"></a>\
             <pre><code>**cmdrun error**: 'false' returned exit code 1</code></pre>",
        )
        .unwrap();
        let error = html(&dir).unwrap_err().to_string();
        assert!(error.contains("id `gone`"), "{error}");
        assert!(error.contains("`missing.html`: no such page"), "{error}");
        assert!(
            error.contains("a command failed") && error.contains("exit code 1"),
            "{error}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_chapter_without_a_link_to_its_exercise_is_reported() {
        let dir = scratch("exercise-links");
        for folder in ["ch01-a", "ch02-b"] {
            fs::create_dir_all(dir.join("src").join(folder)).unwrap();
        }
        fs::write(
            dir.join("src/ch01-a/index.md"),
            "[it](../../../exercises/ch01-a/src/lib.rs)",
        )
        .unwrap();
        fs::write(dir.join("src/ch02-b/index.md"), "no link").unwrap();
        let chapters = [chapter(1, "a"), chapter(2, "b")];
        let error = chapters_link_their_exercises(&chapters, &dir.join("src"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("src/ch02-b/") && !error.contains("ch01-a/:"),
            "{error}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_chapter_ending_lacking_a_part_is_named() {
        let good = "# Page\n\ntext\n\n## Recap\n\n- one\n- two\n- three\n\n## Check yourself\n\n\
            <details>\n<summary>Q1?</summary>\n\nA1.\n\n</details>\n\n\
            <details>\n<summary>Q2?</summary>\n\nA2.\n\n</details>\n\n\
            <details>\n<summary>Q3?</summary>\n\nA3.\n\n</details>\n\n\
            ## Further reading\n\n- [a](https://a.example/)\n- [b](https://b.example/)\n\
            - [c](https://c.example/)\n";
        assert!(
            chapter_ending_problems(good).is_empty(),
            "{:?}",
            chapter_ending_problems(good)
        );
        let without_recap = good.replace("## Recap", "## Summary");
        assert_eq!(
            chapter_ending_problems(&without_recap),
            ["no `## Recap` section"]
        );
        let two_points = good.replace("- three\n", "");
        assert_eq!(
            chapter_ending_problems(&two_points),
            ["`## Recap` has 2 points; give three to five"]
        );
        let unclosed = good.replacen("</details>", "", 1);
        assert!(chapter_ending_problems(&unclosed)[0].contains("2 closed"));
        let few_links = good.replace("- [c](https://c.example/)\n", "");
        assert_eq!(
            chapter_ending_problems(&few_links),
            ["`## Further reading` has 2 links to read; give three or more"]
        );
        let reordered = good.replace("## Recap", "## Recap_").replace(
            "## Further reading",
            "## Further reading\n\n## Recap\n\n- a\n- b\n- c",
        );
        assert!(
            chapter_ending_problems(&reordered)
                .iter()
                .any(|p| p.contains("order"))
        );
    }

    #[test]
    fn a_chapter_is_checked_on_its_last_page() {
        let dir = scratch("endings");
        fs::create_dir_all(dir.join("src/ch01-a")).unwrap();
        fs::write(
            dir.join("src/SUMMARY.md"),
            "- [A](ch01-a/index.md)\n  - [More](ch01-a/more.md)\n",
        )
        .unwrap();
        fs::write(dir.join("src/ch01-a/index.md"), "## Recap\n").unwrap();
        fs::write(dir.join("src/ch01-a/more.md"), "# More\n").unwrap();
        let error =
            chapters_end_with_recap_questions_and_reading(&[chapter(1, "a")], &dir.join("src"))
                .unwrap_err()
                .to_string();
        assert!(
            error.contains("src/ch01-a/more.md (the last page of ch01-a): no `## Recap` section"),
            "{error}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_listing_line_over_80_columns_is_reported_with_its_page() {
        let dir = scratch("widths");
        let long = "x".repeat(81);
        fs::write(
            dir.join("page.html"),
            format!(
                "<pre><code class=\"language-rust\">fn f() {{}}\n<span class=\"boring\">{long}</span>\n</code></pre>\
                 <pre><code class=\"language-text\">{long}</code></pre>\
                 <pre><code class=\"language-python\">a = &quot;{}&quot;</code></pre>",
                "y".repeat(74)
            ),
        )
        .unwrap();
        let error = listings_fit(&dir).unwrap_err().to_string();
        assert!(
            error.contains("(1):"),
            "only the Rust line is too wide: {error}"
        );
        assert!(
            error.contains("page.html (from src/page.md): a rust listing has a line of 81 columns"),
            "{error}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
    }
}
