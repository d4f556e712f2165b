//! The workbook on disk: the chapter manifest (`chapters.toml`) and the folders it names.
//!
//! The manifest is the one list of chapters. Everything else is derived from it or checked
//! against it: chapter `ch3` with slug `framing` lives in `exercises/ch03-framing/`,
//! `solutions/ch03-framing/` and `book/src/ch03-framing/`, and `book/src/SUMMARY.md` lists it
//! third. [`Workbook::problems`] says where the tree and the manifest disagree.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;

use crate::source;

/// The manifest's file name, at the workbook's root.
pub const MANIFEST: &str = "chapters.toml";

/// What every command that needs the reference solutions says in a student copy.
pub const STUDENT_COPY: &str = "this is a student copy: it has no solutions";

/// The workbook: where it is and its chapters, in order.
pub struct Workbook {
    pub root: PathBuf,
    pub chapters: Vec<Chapter>,
}

/// One chapter, as the manifest describes it.
#[derive(Clone, Debug)]
pub struct Chapter {
    /// 1 for `ch1`.
    pub number: u32,
    /// `ch1`.
    pub id: String,
    /// `tcp-ip`: the part of the folder names after the number.
    pub slug: String,
    pub title: String,
    /// The exercise crate's package name.
    pub exercise: String,
    /// The solution crate's package name; empty in a student copy, whose manifest names none
    /// (see [`Workbook::is_student_copy`]).
    pub solution: String,
    /// Revealed one at a time by `cargo xtask hint`.
    pub hints: Vec<String>,
    /// Points per test where a test is worth more than one.
    pub points: BTreeMap<String, u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    chapter: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    slug: String,
    title: String,
    exercise: String,
    /// Left out in a student copy (`cargo xtask export --student`).
    #[serde(default)]
    solution: Option<String>,
    hints: Vec<String>,
    #[serde(default)]
    points: BTreeMap<String, u32>,
}

impl Chapter {
    /// `ch01-tcp-ip`: the folder name under `exercises/`, `solutions/` and `book/src/`.
    pub fn dir_name(&self) -> String {
        format!("ch{:02}-{}", self.number, self.slug)
    }

    /// The exercise crate's folder, relative to the root.
    pub fn exercise_dir(&self) -> PathBuf {
        Path::new("exercises").join(self.dir_name())
    }

    /// The solution crate's folder, relative to the root.
    pub fn solution_dir(&self) -> PathBuf {
        Path::new("solutions").join(self.dir_name())
    }

    /// The chapter's first book page, relative to the root.
    pub fn book_page(&self) -> PathBuf {
        Path::new("book/src").join(self.dir_name()).join("index.md")
    }

    /// The one test file, shared by the exercise and the solution, relative to the root.
    pub fn tests_file(&self) -> PathBuf {
        self.exercise_dir().join("src/tests.rs")
    }

    /// True when the workbook has this chapter's reference solution.
    pub fn has_solution(&self) -> bool {
        !self.solution.is_empty()
    }

    /// The points a test is worth (1 unless the manifest says otherwise).
    pub fn points_for(&self, test: &str) -> u32 {
        self.points.get(test).copied().unwrap_or(1)
    }

    /// Every test of the chapter's test file, whose text is `tests`, with the points it is
    /// worth, in the order of the file.
    pub fn tests_with_points(&self, tests: &str) -> Vec<(String, u32)> {
        source::declared_tests(tests)
            .into_iter()
            .map(|name| {
                let points = self.points_for(&name);
                (name, points)
            })
            .collect()
    }

    /// The points the chapter is worth: those of every test of its test file, whose text is
    /// `tests`.
    pub fn worth(&self, tests: &str) -> u32 {
        self.tests_with_points(tests).iter().map(|(_, p)| p).sum()
    }

    /// True when `query` names this chapter: `ch3`, `3`, `ch03`, `03`, `framing` or
    /// `ch03-framing`, in any case.
    pub fn is_named(&self, query: &str) -> bool {
        let query = query.trim().to_ascii_lowercase();
        let number = query.strip_prefix("ch").unwrap_or(&query);
        number.parse::<u32>().is_ok_and(|n| n == self.number)
            || query == self.slug
            || query == self.dir_name()
            || query == format!("{}-{}", self.id, self.slug)
    }
}

impl Workbook {
    /// The workbook at `root`, or the one that holds the current folder.
    pub fn find(root: Option<&Path>) -> Result<Self> {
        match root {
            Some(root) => Self::load(root),
            None => {
                let here = std::env::current_dir().context("cannot read the current folder")?;
                let root = here
                    .ancestors()
                    .find(|folder| folder.join(MANIFEST).is_file())
                    .with_context(|| {
                        format!(
                            "no {MANIFEST} in {} or any folder above it; run `cargo xtask` inside the workbook",
                            here.display()
                        )
                    })?;
                Self::load(root)
            }
        }
    }

    /// Reads and checks the manifest at `root`.
    pub fn load(root: &Path) -> Result<Self> {
        let path = root.join(MANIFEST);
        let text = fs::read_to_string(&path)
            .with_context(|| format!("cannot read the chapter manifest {}", path.display()))?;
        let chapters = parse_manifest(&text)
            .with_context(|| format!("the chapter manifest {} is broken", path.display()))?;
        Ok(Workbook {
            root: root.to_path_buf(),
            chapters,
        })
    }

    /// The chapter that `query` names, or an error that lists the chapters there are.
    pub fn chapter(&self, query: &str) -> Result<&Chapter> {
        if let Some(chapter) = self.chapters.iter().find(|c| c.is_named(query)) {
            return Ok(chapter);
        }
        let known: Vec<String> = self
            .chapters
            .iter()
            .map(|c| format!("{} ({})", c.id, c.slug))
            .collect();
        bail!(
            "there is no chapter `{query}`; the chapters are {}",
            known.join(", ")
        )
    }

    /// The chapters that `queries` name, in that order; every chapter when there are none.
    pub fn chapters_named(&self, queries: &[String]) -> Result<Vec<&Chapter>> {
        if queries.is_empty() {
            return Ok(self.chapters.iter().collect());
        }
        queries.iter().map(|q| self.chapter(q)).collect()
    }

    /// True in a copy made by `cargo xtask export --student`: its manifest names no solutions.
    pub fn is_student_copy(&self) -> bool {
        !self.chapters.iter().any(Chapter::has_solution)
    }

    /// An error that says what `doing` needs, in a student copy; `Ok` in the full workbook.
    pub fn require_solutions(&self, doing: &str) -> Result<()> {
        ensure!(
            !self.is_student_copy(),
            "{STUDENT_COPY}, so it cannot {doing}; `cargo xtask check` grades your exercises"
        );
        Ok(())
    }

    /// The chapter after `chapter`, if any.
    pub fn next_after(&self, chapter: &Chapter) -> Option<&Chapter> {
        self.chapters
            .iter()
            .find(|c| c.number == chapter.number + 1)
    }

    /// Every way the tree disagrees with the manifest, one sentence each; empty when all agree.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for chapter in &self.chapters {
            self.check_crate(
                chapter,
                &chapter.exercise_dir(),
                &chapter.exercise,
                &mut problems,
            );
            if chapter.has_solution() {
                self.check_crate(
                    chapter,
                    &chapter.solution_dir(),
                    &chapter.solution,
                    &mut problems,
                );
            }
            self.check_tests_written_once(chapter, &mut problems);
            if !self.root.join(chapter.book_page()).is_file() {
                problems.push(format!(
                    "{}: the book page {} is missing",
                    chapter.id,
                    slash(&chapter.book_page())
                ));
            }
        }
        // A student copy has no `solutions/` folder at all; nothing there can stray.
        let folders: &[&str] = if self.is_student_copy() {
            &["exercises", "book/src"]
        } else {
            &["exercises", "solutions", "book/src"]
        };
        for folder in folders {
            self.check_no_strays(folder, &mut problems);
        }
        self.check_summary(&mut problems);
        problems
    }

    fn check_crate(
        &self,
        chapter: &Chapter,
        dir: &Path,
        package: &str,
        problems: &mut Vec<String>,
    ) {
        let manifest = self.root.join(dir).join("Cargo.toml");
        match package_name(&manifest) {
            Err(_) => problems.push(format!(
                "{}: {} is missing (the manifest names the crate `{package}`)",
                chapter.id,
                slash(&dir.join("Cargo.toml"))
            )),
            Ok(name) if name != package => problems.push(format!(
                "{}: {} names its package `{name}`, but the manifest says `{package}`",
                chapter.id,
                slash(&dir.join("Cargo.toml"))
            )),
            Ok(_) => {}
        }
    }

    fn check_tests_written_once(&self, chapter: &Chapter, problems: &mut Vec<String>) {
        let tests = chapter.tests_file();
        let Ok(test_source) = fs::read_to_string(self.root.join(&tests)) else {
            problems.push(format!(
                "{}: the test file {} is missing",
                chapter.id,
                slash(&tests)
            ));
            return;
        };
        self.check_points(chapter, &test_source, problems);
        if !chapter.has_solution() {
            return;
        }
        let solution_lib = chapter.solution_dir().join("src/lib.rs");
        let include = source::tests_include(&tests);
        match fs::read_to_string(self.root.join(&solution_lib)) {
            Ok(source) if source.contains(&include) => {}
            Ok(_) => problems.push(format!(
                "{}: {} must compile the exercise's tests with `{include} mod tests;`",
                chapter.id,
                slash(&solution_lib)
            )),
            Err(_) => problems.push(format!(
                "{}: {} is missing",
                chapter.id,
                slash(&solution_lib)
            )),
        }
        let copy = chapter.solution_dir().join("src/tests.rs");
        if self.root.join(&copy).exists() {
            problems.push(format!(
                "{}: {} is a second copy of the tests; the solution must use the exercise's",
                chapter.id,
                slash(&copy)
            ));
        }
    }

    fn check_points(&self, chapter: &Chapter, test_source: &str, problems: &mut Vec<String>) {
        let tests = chapter.tests_file();
        let declared = source::declared_tests(test_source);
        for test in chapter.points.keys() {
            if !declared.contains(test) {
                problems.push(format!(
                    "{}: the manifest gives points to `{test}`, which is not a test in {}",
                    chapter.id,
                    slash(&tests)
                ));
            }
        }
    }

    fn check_no_strays(&self, folder: &str, problems: &mut Vec<String>) {
        let expected: BTreeSet<String> = self.chapters.iter().map(Chapter::dir_name).collect();
        let Ok(entries) = fs::read_dir(self.root.join(folder)) else {
            problems.push(format!("the folder {folder}/ is missing"));
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let looks_like_chapter = name.starts_with("ch") && entry.path().is_dir();
            if looks_like_chapter && !expected.contains(&name) {
                problems.push(format!("{folder}/{name} is not a chapter in {MANIFEST}"));
            }
        }
    }

    fn check_summary(&self, problems: &mut Vec<String>) {
        let path = self.root.join("book/src/SUMMARY.md");
        let Ok(summary) = fs::read_to_string(&path) else {
            problems.push("book/src/SUMMARY.md is missing".to_owned());
            return;
        };
        let listed = summary_chapters(&summary);
        let expected: Vec<(String, String)> = self
            .chapters
            .iter()
            .map(|c| (c.title.clone(), format!("{}/index.md", c.dir_name())))
            .collect();
        problems.extend(summary_problems(&listed, &expected));
    }
}

/// How SUMMARY.md's chapter entries (`listed`) differ from the manifest's (`expected`): each
/// entry missing, each one extra, and the order, one sentence each.
fn summary_problems(listed: &[(String, String)], expected: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    let show = |(title, link): &(String, String)| format!("[{title}]({link})");
    for entry in expected.iter().filter(|e| !listed.contains(e)) {
        problems.push(format!(
            "book/src/SUMMARY.md does not list {}, which {MANIFEST} has",
            show(entry)
        ));
    }
    for entry in listed.iter().filter(|e| !expected.contains(e)) {
        problems.push(format!(
            "book/src/SUMMARY.md lists {}, which is not a chapter in {MANIFEST} (by that \
             title and folder)",
            show(entry)
        ));
    }
    let both: Vec<&(String, String)> = listed.iter().filter(|e| expected.contains(e)).collect();
    let order: Vec<&(String, String)> = expected.iter().filter(|e| listed.contains(e)).collect();
    if both != order {
        let names = |entries: &[&(String, String)]| {
            entries
                .iter()
                .map(|e| show(e))
                .collect::<Vec<_>>()
                .join(", ")
        };
        problems.push(format!(
            "book/src/SUMMARY.md lists the chapters in the order {}, but {MANIFEST} has {}",
            names(&both),
            names(&order)
        ));
    }
    problems
}

/// Parses and checks the manifest's text.
fn parse_manifest(text: &str) -> Result<Vec<Chapter>> {
    let manifest: Manifest = toml::from_str(text)?;
    ensure!(!manifest.chapter.is_empty(), "it lists no chapters");
    let with_solution = manifest
        .chapter
        .iter()
        .filter(|entry| entry.solution.is_some())
        .count();
    ensure!(
        with_solution == 0 || with_solution == manifest.chapter.len(),
        "{with_solution} of {} chapters name their `solution`; either every chapter does, or none \
         does (a student copy)",
        manifest.chapter.len()
    );
    let mut chapters: Vec<Chapter> = Vec::new();
    for (index, entry) in manifest.chapter.into_iter().enumerate() {
        let expected = index as u32 + 1;
        let number = entry
            .id
            .strip_prefix("ch")
            .and_then(|n| n.parse::<u32>().ok())
            .with_context(|| format!("chapter id `{}` is not of the form ch1, ch2, …", entry.id))?;
        ensure!(
            number == expected && entry.id == format!("ch{number}"),
            "chapter number {expected} has the id `{}`; ids run ch1, ch2, … in order",
            entry.id
        );
        ensure!(
            !entry.slug.is_empty()
                && entry
                    .slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{}: the slug `{}` must be lowercase letters, digits and dashes",
            entry.id,
            entry.slug
        );
        ensure!(
            !entry.title.trim().is_empty(),
            "{}: the title is empty",
            entry.id
        );
        ensure!(
            !entry.hints.is_empty(),
            "{}: give at least one hint",
            entry.id
        );
        if let Some(other) = chapters.iter().find(|c| c.slug == entry.slug) {
            bail!(
                "{} and {} have the same slug `{}`",
                other.id,
                entry.id,
                entry.slug
            );
        }
        chapters.push(Chapter {
            number,
            id: entry.id,
            slug: entry.slug,
            title: entry.title,
            exercise: entry.exercise,
            solution: entry.solution.unwrap_or_default(),
            hints: entry.hints,
            points: entry.points,
        });
    }
    Ok(chapters)
}

/// The `[package] name` of a crate's `Cargo.toml`.
fn package_name(manifest: &Path) -> Result<String> {
    #[derive(Deserialize)]
    struct CargoToml {
        package: Package,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
    }
    let text = fs::read_to_string(manifest)?;
    Ok(toml::from_str::<CargoToml>(&text)?.package.name)
}

/// The chapters `SUMMARY.md` links to, as `(title, link)`, in order: every top-level entry whose
/// link points into a `chNN-…` folder.
fn summary_chapters(summary: &str) -> Vec<(String, String)> {
    summary
        .lines()
        .filter_map(|line| line.strip_prefix("- ["))
        .filter_map(|rest| {
            let (title, rest) = rest.split_once("](")?;
            let link = rest.split_once(')')?.0;
            link.starts_with("ch")
                .then(|| (title.to_owned(), link.to_owned()))
        })
        .collect()
}

/// A relative path with forward slashes, the same on every system.
pub fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter(number: u32, slug: &str) -> Chapter {
        Chapter {
            number,
            id: format!("ch{number}"),
            slug: slug.to_owned(),
            title: "T".to_owned(),
            exercise: String::new(),
            solution: String::new(),
            hints: vec![],
            points: BTreeMap::new(),
        }
    }

    #[test]
    fn a_chapter_answers_to_its_number_id_padded_id_and_slug() {
        let framing = chapter(3, "framing");
        for name in [
            "ch3",
            "3",
            "ch03",
            "03",
            "CH3",
            "framing",
            "ch03-framing",
            "ch3-framing",
        ] {
            assert!(framing.is_named(name), "{name}");
        }
        for name in ["ch30", "ch", "4", "frame", "", "ch3x"] {
            assert!(!framing.is_named(name), "{name}");
        }
    }

    #[test]
    fn the_manifest_must_number_chapters_in_order() {
        let entry = |id: &str| {
            format!(
                "[[chapter]]\nid = \"{id}\"\nslug = \"s{id}\"\ntitle = \"T\"\nexercise = \"e\"\nsolution = \"s\"\nhints = [\"h\"]\n"
            )
        };
        assert!(parse_manifest(&(entry("ch1") + &entry("ch2"))).is_ok());
        let error = parse_manifest(&(entry("ch1") + &entry("ch3"))).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("chapter number 2 has the id `ch3`"),
            "{error}"
        );
        assert!(parse_manifest(&entry("ch01")).is_err());
        assert!(parse_manifest("").is_err());
        let unknown = entry("ch1") + "colour = \"red\"\n";
        assert!(
            parse_manifest(&unknown)
                .unwrap_err()
                .root_cause()
                .to_string()
                .contains("colour")
        );
    }

    #[test]
    fn a_student_copy_names_no_solutions_and_a_manifest_is_all_or_none() {
        let entry = |id: &str, solution: &str| {
            format!(
                "[[chapter]]\nid = \"{id}\"\nslug = \"s{id}\"\ntitle = \"T\"\nexercise = \"e{id}\"\n{solution}hints = [\"h\"]\n"
            )
        };
        let student = parse_manifest(&(entry("ch1", "") + &entry("ch2", ""))).unwrap();
        assert!(student.iter().all(|c| !c.has_solution()));
        let workbook = Workbook {
            root: PathBuf::new(),
            chapters: student,
        };
        assert!(workbook.is_student_copy());
        let refusal = workbook
            .require_solutions("verify")
            .unwrap_err()
            .to_string();
        assert!(refusal.starts_with(STUDENT_COPY), "{refusal}");

        let mixed = entry("ch1", "solution = \"s\"\n") + &entry("ch2", "");
        let error = parse_manifest(&mixed).unwrap_err().to_string();
        assert!(
            error.contains("1 of 2 chapters name their `solution`"),
            "{error}"
        );
    }

    /// The real workbook: the manifest, the folders and SUMMARY.md must agree.
    #[test]
    fn the_workbook_agrees_with_its_manifest() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let workbook = Workbook::load(root).expect("chapters.toml loads");
        let problems = workbook.problems();
        assert!(
            problems.is_empty(),
            "the tree and {MANIFEST} disagree:\n{}",
            problems.join("\n")
        );
    }

    /// A small tree with one problem of each kind, each of which must be named.
    #[test]
    fn every_disagreement_is_named() {
        let root = std::env::temp_dir().join(format!("workbook-tree-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write(
            MANIFEST,
            "[[chapter]]\nid = \"ch1\"\nslug = \"one\"\ntitle = \"One\"\nexercise = \"ch01-one\"\nsolution = \"ch01-one-solution\"\nhints = [\"h\"]\n[chapter.points]\nno_such_test = 2\n",
        );
        write(
            "exercises/ch01-one/Cargo.toml",
            "[package]\nname = \"ch01-wrong\"\n",
        );
        write(
            "exercises/ch01-one/src/tests.rs",
            "#[test]\nfn a_test() {}\n",
        );
        write(
            "solutions/ch01-one/Cargo.toml",
            "[package]\nname = \"ch01-one-solution\"\n",
        );
        write("solutions/ch01-one/src/lib.rs", "mod tests;\n");
        write(
            "solutions/ch01-one/src/tests.rs",
            "#[test]\nfn a_test() {}\n",
        );
        write("exercises/ch02-stray/Cargo.toml", "");
        write("book/src/SUMMARY.md", "- [Uno](ch01-one/index.md)\n");
        let problems = Workbook::load(&root).unwrap().problems().join("\n");
        for expected in [
            "ch1: exercises/ch01-one/Cargo.toml names its package `ch01-wrong`, but the manifest says `ch01-one`",
            "ch1: solutions/ch01-one/src/lib.rs must compile the exercise's tests",
            "ch1: solutions/ch01-one/src/tests.rs is a second copy of the tests",
            "ch1: the manifest gives points to `no_such_test`",
            "ch1: the book page book/src/ch01-one/index.md is missing",
            "exercises/ch02-stray is not a chapter in chapters.toml",
            "book/src/SUMMARY.md does not list [One](ch01-one/index.md), which chapters.toml has",
            "book/src/SUMMARY.md lists [Uno](ch01-one/index.md), which is not a chapter in chapters.toml",
        ] {
            assert!(
                problems.contains(expected),
                "{expected:?} is not named in:\n{problems}"
            );
        }
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn summary_problems_name_what_is_missing_extra_or_out_of_order() {
        let entry = |title: &str, dir: &str| (title.to_owned(), format!("{dir}/index.md"));
        let expected = [
            entry("One", "ch01-one"),
            entry("Two", "ch02-two"),
            entry("Three", "ch03-three"),
        ];
        assert!(summary_problems(&expected, &expected).is_empty());
        let listed = [
            entry("Two", "ch02-two"),
            entry("One", "ch01-one"),
            entry("Four", "ch04-four"),
        ];
        assert_eq!(
            summary_problems(&listed, &expected),
            [
                "book/src/SUMMARY.md does not list [Three](ch03-three/index.md), which chapters.toml has",
                "book/src/SUMMARY.md lists [Four](ch04-four/index.md), which is not a chapter in chapters.toml (by that title and folder)",
                "book/src/SUMMARY.md lists the chapters in the order [Two](ch02-two/index.md), [One](ch01-one/index.md), but chapters.toml has [One](ch01-one/index.md), [Two](ch02-two/index.md)",
            ]
        );
    }

    #[test]
    fn summary_chapters_are_the_top_level_chapter_links() {
        let summary = "# Summary\n\n[Introduction](introduction.md)\n\n- [One](ch01-one/index.md)\n  - [Part](ch01-one/part.md)\n- [Two](ch02-two/index.md)\n- [Appendix](appendix.md)\n";
        assert_eq!(
            summary_chapters(summary),
            vec![
                ("One".to_owned(), "ch01-one/index.md".to_owned()),
                ("Two".to_owned(), "ch02-two/index.md".to_owned())
            ]
        );
    }
}
