//! Changing the list of chapters in place: what `cargo xtask chapters drop|move` and
//! `cargo xtask new` have in common.
//!
//! A change is the list of chapters after it, in order: each one that stays with the number it
//! had, and at most one new chapter. Applying it
//!
//! 1. removes the folders of every chapter left out (`exercises/`, `solutions/`, `book/src/` and
//!    `book/listings/`);
//! 2. renames the folders of every chapter whose number changes;
//! 3. renames, in every text file of the workbook outside the runner and the book builder, the
//!    names that carry a number ([`naming::Renames`]: `ch08-chat-server`, `ch08_chat_server`,
//!    `ch8`), and writes each reference to a chapter left out (`{{#chapter sharing}}`) as its
//!    title, marked as left out;
//! 4. puts the entries of `chapters.toml`, `book/src/SUMMARY.md` and the README's chapter table
//!    in the new order (each entry moves whole, with its comments and sub-pages);
//! 5. refreshes `Cargo.lock`'s list of the workspace's own packages.
//!
//! It refuses, changing nothing, when git has uncommitted changes (so that `git checkout .` and
//! `git clean` undo it), or when another chapter's files name a folder of a chapter left out (a
//! path dependency or an included file: that chapter needs the one left out).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};

use crate::cargo::cargo;
use crate::files;
use crate::git;
use crate::naming::{self, Renames};
use crate::shell::{Shell, Tone};
use crate::workbook::{Chapter, MANIFEST, Workbook, slash};

/// The folders that hold one sub-folder per chapter.
pub const CHAPTER_ROOTS: [&str; 4] = ["exercises", "solutions", "book/src", "book/listings"];

/// What sits where: a chapter that stays (with its number before the change), or the new one.
#[derive(Clone, Debug)]
pub enum Slot {
    Stays { slug: String, was: u32 },
    New { slug: String },
}

impl Slot {
    pub fn slug(&self) -> &str {
        match self {
            Slot::Stays { slug, .. } | Slot::New { slug, .. } => slug,
        }
    }
}

/// What applying a change did, for the command to report.
#[derive(Default)]
pub struct Outcome {
    /// Folders renamed, (old, new), relative to the root.
    pub renamed: Vec<(String, String)>,
    /// Folders removed.
    pub removed: Vec<String>,
    /// Files whose text changed.
    pub rewritten: Vec<String>,
    /// Lines that mentioned a chapter left out, to read again: `file:line: text`.
    pub to_review: Vec<String>,
}

/// Applies the change to `workbook`: `after` is every chapter, in the new order. The new
/// chapter's files, if any, are the caller's to write once this returns.
pub fn apply(workbook: &Workbook, after: &[Slot], force: bool) -> Result<Outcome> {
    let root = &workbook.root;
    let left_out: Vec<&Chapter> = workbook
        .chapters
        .iter()
        .filter(|c| !after.iter().any(|s| s.slug() == c.slug))
        .collect();
    refuse_uncommitted(root, force)?;
    let texts = text_files(root)?;
    refuse_dependencies(root, &texts, &left_out)?;

    let moves: Vec<(String, u32, u32)> = after
        .iter()
        .zip(1..)
        .filter_map(|(slot, new)| match slot {
            Slot::Stays { slug, was } => Some((slug.clone(), *was, new)),
            Slot::New { .. } => None,
        })
        .collect();
    let renames = Renames::new(&moves);
    let mut outcome = Outcome::default();

    // What mentions a chapter left out, read before anything moves.
    for chapter in &left_out {
        for file in &texts {
            let Ok(text) = fs::read_to_string(root.join(file)) else {
                continue;
            };
            // The manifest's entry and SUMMARY.md's go with the chapter.
            if owned_by(file, &chapter.dir_name())
                || file == Path::new(MANIFEST)
                || file == Path::new("book/src/SUMMARY.md")
            {
                continue;
            }
            for line in naming::id_mentions(&text, chapter.number) {
                outcome.to_review.push(format!(
                    "{}:{line}: names {}, which is left out",
                    slash(file),
                    chapter.id
                ));
            }
            if file.starts_with(".ci") {
                for (number, line) in text.lines().enumerate() {
                    if line.contains(&chapter.dir_name()) {
                        outcome.to_review.push(format!(
                            "{}:{}: names {}, which is left out",
                            slash(file),
                            number + 1,
                            chapter.dir_name()
                        ));
                    }
                }
            }
        }
    }

    for chapter in &left_out {
        for folder in CHAPTER_ROOTS {
            let path = Path::new(folder).join(chapter.dir_name());
            if root.join(&path).exists() {
                fs::remove_dir_all(root.join(&path))
                    .with_context(|| format!("cannot remove {}", slash(&path)))?;
                outcome.removed.push(slash(&path));
            }
        }
    }
    rename_folders(root, renames.folders(), &mut outcome)?;

    // Every text file, now at its new place.
    let texts = text_files(root)?;
    for file in &texts {
        let path = root.join(file);
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let mut new = renames.apply(&text);
        for chapter in &left_out {
            new = write_out_references(&new, chapter);
            // SUMMARY.md's entry for it goes below, with its sub-pages.
            if file.extension().is_some_and(|e| e == "md")
                && file != Path::new("book/src/SUMMARY.md")
            {
                new = unlink(&new, &chapter.dir_name());
            }
        }
        if file == Path::new(MANIFEST) {
            new = reorder_manifest(&new, after)?;
        } else if file == Path::new("book/src/SUMMARY.md") {
            new = reorder_summary(&new, after);
        } else if file == Path::new("README.md") {
            new = reorder_readme_table(&new, after);
        }
        if new != text {
            fs::write(&path, &new).with_context(|| format!("cannot write {}", slash(file)))?;
            outcome.rewritten.push(slash(file));
            for (number, line) in new.lines().enumerate() {
                if line.contains(LEFT_OUT) {
                    outcome.to_review.push(format!(
                        "{}:{}: {}",
                        slash(file),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    Ok(outcome)
}

/// What a reference to a chapter left out says instead.
pub const LEFT_OUT: &str = "(left out of this course)";

/// `text` with each reference to `chapter` written out as its title, marked as left out.
fn write_out_references(text: &str, chapter: &Chapter) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for reference in naming::references(text) {
        if reference.escaped || reference.slug != chapter.slug {
            continue;
        }
        out.push_str(&text[last..reference.start]);
        match reference.kind {
            "number" => out.push_str(&format!("*{}*", chapter.title)),
            _ => out.push_str(&format!("*{}* {LEFT_OUT}", chapter.title)),
        }
        last = reference.end;
    }
    out.push_str(&text[last..]);
    out
}

/// `text` (Markdown) with each link into the folder `folder` (`[Title](../ch07-sharing/…)`)
/// written as its text, marked as left out.
fn unlink(text: &str, folder: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let link = after.find("](").and_then(|close| {
            let target_start = close + 2;
            let target_end = target_start + after[target_start..].find(')')?;
            let target = &after[target_start..target_end];
            let into_folder = target.split(['/', '#']).any(|part| part == folder)
                && !target.contains(char::is_whitespace);
            let label = &after[..close];
            (into_folder && !label.contains(['[', '\n'])).then_some((label, target_end + 1))
        });
        match link {
            Some((label, length)) => {
                out.push_str(&rest[..open]);
                out.push_str(&format!("{label} {LEFT_OUT}"));
                rest = &after[length..];
            }
            None => {
                out.push_str(&rest[..open + 1]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Refreshes `Cargo.lock` after packages were renamed, added or removed; says so if it cannot.
pub fn refresh_lock_file(root: &Path, shell: &Shell) {
    let status = cargo()
        .current_dir(root)
        .args(["update", "--workspace", "--offline", "--quiet"])
        .status();
    if !status.is_ok_and(|s| s.success()) {
        shell.status(
            Tone::Pending,
            "Warning",
            "Cargo.lock could not be refreshed offline; the next cargo command will refresh it",
        );
    }
}

fn refuse_uncommitted(root: &Path, force: bool) -> Result<()> {
    if force || !git::is_repository(root) {
        return Ok(());
    }
    let changes = git::changes(root, Path::new("."))?;
    ensure!(
        changes.is_empty(),
        "git has uncommitted changes ({}); commit or stash them first, so that `git checkout .` \
         and `git clean -fd` can undo this (or pass --force)",
        changes
            .iter()
            .take(3)
            .map(|c| c.trim())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// Refuses when a file outside a chapter left out names one of its folders or crates, except
/// for links between pages (Markdown), which become text (see [`unlink`]).
fn refuse_dependencies(root: &Path, texts: &[PathBuf], left_out: &[&Chapter]) -> Result<()> {
    let mut needs = Vec::new();
    for chapter in left_out {
        let folder = chapter.dir_name();
        let crate_name = folder.replace('-', "_");
        for file in texts {
            // Lists that name its crates (the Wine run's known differences) only go stale: their
            // lines are to read again, like a page's.
            if owned_by(file, &folder)
                || file == Path::new("Cargo.lock")
                || file == Path::new(MANIFEST)
                || file.extension().is_some_and(|e| e == "md")
                || file.starts_with(".ci")
            {
                continue;
            }
            let Ok(text) = fs::read_to_string(root.join(file)) else {
                continue;
            };
            for (number, line) in text.lines().enumerate() {
                if line.contains(&folder) || line.contains(&crate_name) {
                    needs.push(format!("{}:{}: {}", slash(file), number + 1, line.trim()));
                }
            }
        }
    }
    if !needs.is_empty() {
        bail!(
            "other files use what the chapter left out has (its folders or crates); change them \
             first:\n  {}",
            needs.join("\n  ")
        );
    }
    Ok(())
}

/// True when `file` lies in one of the chapter folders named `folder`.
fn owned_by(file: &Path, folder: &str) -> bool {
    CHAPTER_ROOTS
        .iter()
        .any(|root| file.starts_with(Path::new(root).join(folder)))
}

/// Every text file of the workbook that names chapters: all but the runner's own code and
/// tests (whose examples are not the workbook's chapters), the book builder, build output and
/// git's folder.
fn text_files(root: &Path) -> Result<Vec<PathBuf>> {
    let skip = |path: &Path| {
        files::is_build_output(path)
            || naming::NOT_THE_WORKBOOKS_TEXT
                .iter()
                .any(|folder| path == Path::new(folder))
    };
    let all = files::list(root, &skip)?;
    Ok(all
        .into_iter()
        .filter(|file| {
            fs::metadata(root.join(file)).is_ok_and(|m| m.len() < 4 << 20)
                && fs::read(root.join(file)).is_ok_and(|bytes| std::str::from_utf8(&bytes).is_ok())
        })
        .collect())
}

/// Renames each chapter folder, through a temporary name, so that swapped names never meet.
fn rename_folders(root: &Path, renames: &[(String, String)], outcome: &mut Outcome) -> Result<()> {
    let mut steps = Vec::new();
    for folder in CHAPTER_ROOTS {
        for (index, (old, new)) in renames.iter().enumerate() {
            let from = Path::new(folder).join(old);
            if root.join(&from).exists() {
                let through = Path::new(folder).join(format!(".moving-{index}"));
                fs::rename(root.join(&from), root.join(&through))
                    .with_context(|| format!("cannot rename {}", slash(&from)))?;
                steps.push((from, through, Path::new(folder).join(new)));
            }
        }
    }
    for (from, through, to) in steps {
        ensure!(
            !root.join(&to).exists(),
            "{} already exists; cannot rename {} to it",
            slash(&to),
            slash(&from)
        );
        fs::rename(root.join(&through), root.join(&to))
            .with_context(|| format!("cannot rename {} to {}", slash(&from), slash(&to)))?;
        outcome.renamed.push((slash(&from), slash(&to)));
    }
    Ok(())
}

/// The manifest with its chapter entries in the order of `after` (the new chapter's entry left
/// for the caller to add), each entry whole, with the comments above it.
fn reorder_manifest(text: &str, after: &[Slot]) -> Result<String> {
    let (preamble, blocks) = split_blocks(text, "[[chapter]]");
    let mut by_slug: BTreeMap<String, String> = BTreeMap::new();
    for block in blocks {
        let slug = block
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once('=')?;
                (key.trim() == "slug").then(|| value.trim().trim_matches('"').to_owned())
            })
            .context("a [[chapter]] entry of the manifest has no slug")?;
        by_slug.insert(slug, block);
    }
    let mut out = preamble;
    for slot in after {
        if let Some(block) = by_slug.get(slot.slug()) {
            out.push_str(block.trim_end());
            out.push_str("\n\n");
        }
    }
    Ok(format!("{}\n", out.trim_end()))
}

/// `text` cut before each line equal to `header`: the text before the first, and each entry. A
/// run of comment lines just above a header belongs to the entry it introduces.
fn split_blocks(text: &str, header: &str) -> (String, Vec<String>) {
    let mut parts: Vec<Vec<&str>> = vec![Vec::new()];
    for line in text.lines() {
        if line.trim_end() == header {
            let previous = parts.last_mut().expect("there is a part");
            let mut comments = Vec::new();
            while previous
                .last()
                .is_some_and(|l| l.trim_start().starts_with('#'))
            {
                comments.insert(0, previous.pop().expect("a line"));
            }
            comments.push(line);
            parts.push(comments);
        } else {
            parts.last_mut().expect("there is a part").push(line);
        }
    }
    let join = |lines: &Vec<&str>| lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    let preamble = join(&parts[0]);
    (preamble, parts[1..].iter().map(join).collect())
}

/// The slug of the chapter folder a SUMMARY.md line links to (`- [T](chNN-framing/index.md)`).
fn summary_slug(line: &str) -> Option<&str> {
    let link = line.split_once("](")?.1;
    let folder = link.split_once('/')?.0;
    let rest = folder.strip_prefix("ch")?;
    let dash = rest.find('-')?;
    rest[..dash]
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| &rest[dash + 1..])
}

/// SUMMARY.md with its chapter entries (each with its indented sub-pages) in the order of
/// `after`, where the first of them was.
fn reorder_summary(text: &str, after: &[Slot]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut first = None;
    let mut kept: Vec<&str> = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        match line.strip_prefix("- ").and(summary_slug(line)) {
            Some(slug) => {
                first.get_or_insert(kept.len());
                let mut group = vec![line];
                index += 1;
                while index < lines.len()
                    && lines[index].starts_with(char::is_whitespace)
                    && !lines[index].trim().is_empty()
                {
                    group.push(lines[index]);
                    index += 1;
                }
                groups.insert(slug.to_owned(), group);
            }
            None => {
                kept.push(line);
                index += 1;
            }
        }
    }
    let ordered: Vec<&str> = after
        .iter()
        .filter_map(|slot| groups.get(slot.slug()))
        .flatten()
        .copied()
        .collect();
    let at = first.unwrap_or(kept.len());
    kept.splice(at..at, ordered);
    kept.iter().map(|l| format!("{l}\n")).collect()
}

/// The README with its chapter table (`| 3. Stream framing | … |`) in the order of `after`,
/// numbered again (each row is found by the number it had).
fn reorder_readme_table(text: &str, after: &[Slot]) -> String {
    let row_number = |line: &str| -> Option<u32> {
        let cell = line.strip_prefix("| ")?;
        let (number, _) = cell.split_once(". ")?;
        number.parse().ok()
    };
    let mut rows: BTreeMap<u32, &str> = BTreeMap::new();
    let mut first = None;
    let mut kept: Vec<String> = Vec::new();
    for line in text.lines() {
        match row_number(line) {
            Some(number) => {
                first.get_or_insert(kept.len());
                rows.insert(number, line);
            }
            None => kept.push(line.to_owned()),
        }
    }
    let Some(at) = first else {
        return text.to_owned();
    };
    let ordered: Vec<String> = after
        .iter()
        .zip(1..)
        .filter_map(|(slot, new)| {
            let Slot::Stays { was, .. } = slot else {
                return None;
            };
            let row = rows.get(was)?;
            let title_and_rest = row.split_once(". ")?.1;
            Some(format!("| {new}. {title_and_rest}"))
        })
        .collect();
    kept.splice(at..at, ordered);
    let mut out: String = kept.iter().map(|l| format!("{l}\n")).collect();
    if !text.ends_with('\n') {
        out.pop();
    }
    out
}

/// Adds the new chapter's entries to the manifest, SUMMARY.md and the README's table, at
/// position `number`.
pub fn add_entries(
    root: &Path,
    number: u32,
    slug: &str,
    title: &str,
    manifest_entry: &str,
    readme_row: &str,
) -> Result<()> {
    let update = |file: &str, change: &dyn Fn(&str) -> String| -> Result<()> {
        let path = root.join(file);
        let text = fs::read_to_string(&path).with_context(|| format!("cannot read {file}"))?;
        fs::write(&path, change(&text)).with_context(|| format!("cannot write {file}"))
    };
    update(MANIFEST, &|text| {
        let (preamble, mut blocks) = split_blocks(text, "[[chapter]]");
        let at = (number as usize - 1).min(blocks.len());
        blocks.insert(at, manifest_entry.to_owned());
        let mut out = preamble;
        for block in blocks {
            out.push_str(block.trim_end());
            out.push_str("\n\n");
        }
        format!("{}\n", out.trim_end())
    })?;
    let folder = naming::folder(number, slug);
    update("book/src/SUMMARY.md", &|text| {
        let entry = format!("- [{title}]({folder}/index.md)");
        let lines: Vec<&str> = text.lines().collect();
        let chapter_lines: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with("- ") && summary_slug(l).is_some())
            .map(|(i, _)| i)
            .collect();
        // Before the entry that is now at `number`, or after the last chapter's group.
        let at = match chapter_lines.get(number as usize - 1) {
            Some(&i) => i,
            None => {
                let mut end = chapter_lines.last().map_or(lines.len(), |&i| i + 1);
                while end < lines.len()
                    && lines[end].starts_with(char::is_whitespace)
                    && !lines[end].trim().is_empty()
                {
                    end += 1;
                }
                end
            }
        };
        let mut out: Vec<&str> = lines.clone();
        out.insert(at, &entry);
        out.iter().map(|l| format!("{l}\n")).collect()
    })?;
    update("README.md", &|text| {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let rows: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                l.strip_prefix("| ")
                    .and_then(|c| c.split_once(". "))
                    .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
            })
            .map(|(i, _)| i)
            .collect();
        let Some(&last) = rows.last() else {
            return text.to_owned();
        };
        // The rows after it are numbered already (`apply` left the new chapter's number out).
        let at = rows.get(number as usize - 1).copied().unwrap_or(last + 1);
        lines.insert(at, readme_row.to_owned());
        let mut out: String = lines.iter().map(|l| format!("{l}\n")).collect();
        if !text.ends_with('\n') {
            out.pop();
        }
        out
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stays(slug: &str, was: u32) -> Slot {
        Slot::Stays {
            slug: slug.to_owned(),
            was,
        }
    }

    #[test]
    fn manifest_entries_move_whole_with_their_comments() {
        let text = "# The chapters.\n\n[[chapter]]\nid = \"ch1\"\nslug = \"a\"\n\n[chapter.points]\nt = 2\n\n# About b.\n[[chapter]]\nid = \"ch2\"\nslug = \"b\"\n";
        assert_eq!(
            reorder_manifest(text, &[stays("b", 2), stays("a", 1)]).unwrap(),
            "# The chapters.\n\n# About b.\n[[chapter]]\nid = \"ch2\"\nslug = \"b\"\n\n[[chapter]]\nid = \"ch1\"\nslug = \"a\"\n\n[chapter.points]\nt = 2\n"
        );
        assert_eq!(
            reorder_manifest(text, &[stays("b", 2)]).unwrap(),
            "# The chapters.\n\n# About b.\n[[chapter]]\nid = \"ch2\"\nslug = \"b\"\n"
        );
    }

    #[test]
    fn summary_entries_move_with_their_sub_pages() {
        let text = "# Summary\n\n[Intro](intro.md)\n\n- [A](ch01-a/index.md)\n  - [A2](ch01-a/two.md)\n- [B](ch02-b/index.md)\n\n---\n\n[End](end.md)\n";
        assert_eq!(
            reorder_summary(text, &[stays("b", 2), stays("a", 1)]),
            "# Summary\n\n[Intro](intro.md)\n\n- [B](ch02-b/index.md)\n- [A](ch01-a/index.md)\n  - [A2](ch01-a/two.md)\n\n---\n\n[End](end.md)\n"
        );
        assert_eq!(
            reorder_summary(text, &[stays("b", 2)]),
            "# Summary\n\n[Intro](intro.md)\n\n- [B](ch02-b/index.md)\n\n---\n\n[End](end.md)\n"
        );
    }

    #[test]
    fn readme_rows_move_and_are_numbered_again() {
        let text =
            "| chapter | x |\n| --- | --- |\n| 1. A | a |\n| 2. B | b |\n| 3. C | c |\n\nMore.\n";
        assert_eq!(
            reorder_readme_table(text, &[stays("c", 3), stays("a", 1)]),
            "| chapter | x |\n| --- | --- |\n| 1. C | c |\n| 2. A | a |\n\nMore.\n"
        );
    }

    #[test]
    fn links_into_a_chapter_left_out_become_text() {
        assert_eq!(
            unlink(
                "See [Sharing](../ch07-sharing/index.md) and [`Condvar`: waiting](../ch07-sharing/index.md#condvar), [Threads](../ch06-threads/index.md), [x] y.",
                "ch07-sharing"
            ),
            format!(
                "See Sharing {LEFT_OUT} and `Condvar`: waiting {LEFT_OUT}, [Threads](../ch06-threads/index.md), [x] y."
            )
        );
    }

    #[test]
    fn references_to_a_chapter_left_out_become_its_title() {
        let chapter = Chapter::new(7, "sharing", "Sharing between threads", true);
        assert_eq!(
            write_out_references(
                "the rule of {{#chapter sharing}}; {{#chapter threads}}; {{#number sharing}}",
                &chapter
            ),
            format!(
                "the rule of *Sharing between threads* {LEFT_OUT}; {{{{#chapter threads}}}}; \
                 *Sharing between threads*"
            )
        );
    }
}
