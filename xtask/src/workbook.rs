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

use crate::files;
use crate::naming;
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
    /// The exercise crate's package name: the folder's name, `ch03-framing`.
    pub exercise: String,
    /// The solution crate's package name, `ch03-framing-solution`; empty in a student copy,
    /// which has no `solutions/` folder (see [`Workbook::is_student_copy`]).
    pub solution: String,
    /// Revealed one at a time by `cargo xtask hint`, with their references to other chapters
    /// (`{{#chapter framing}}`) rendered.
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
    /// The package names follow from the id and slug; older manifests spelled them out, and
    /// may still, as long as they agree.
    #[serde(default)]
    exercise: Option<String>,
    #[serde(default)]
    solution: Option<String>,
    hints: Vec<String>,
    #[serde(default)]
    points: BTreeMap<String, u32>,
}

impl Chapter {
    /// Chapter `number` with `slug` and `title`, no hints and no points: its id, folder and
    /// package names follow from the number and slug (the solution's is empty in a student copy,
    /// `with_solution` false).
    pub fn new(number: u32, slug: &str, title: &str, with_solution: bool) -> Chapter {
        let exercise = crate::naming::folder(number, slug);
        let solution = if with_solution {
            format!("{exercise}-solution")
        } else {
            String::new()
        };
        Chapter {
            number,
            id: format!("ch{number}"),
            slug: slug.to_owned(),
            title: title.to_owned(),
            exercise,
            solution,
            hints: Vec::new(),
            points: BTreeMap::new(),
        }
    }

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

    /// The text of the chapter's tests: its test file, then each file that one includes as a
    /// module (and so on, three deep), read by `read` from a path relative to the root. A chapter
    /// graded by another chapter's tests as well as its own includes that chapter's test file.
    pub fn tests_text(&self, read: &dyn Fn(&Path) -> Option<String>) -> String {
        fn gather(
            file: &Path,
            read: &dyn Fn(&Path) -> Option<String>,
            depth: u32,
            text: &mut String,
        ) {
            let Some(source) = read(file) else {
                return;
            };
            let folder = file.parent().unwrap_or(Path::new(""));
            let included = if depth == 0 {
                Vec::new()
            } else {
                source::included_modules(&source)
            };
            // Each included file where it is included, so the tests keep the file's order.
            for (index, line) in source.lines().enumerate() {
                text.push_str(line);
                text.push('\n');
                for (_, path) in included.iter().filter(|(at, _)| *at == index) {
                    if let Some(path) = files::normalize(&folder.join(path)) {
                        gather(&path, read, depth - 1, text);
                    }
                }
            }
        }
        let mut text = String::new();
        gather(&self.tests_file(), read, 3, &mut text);
        text
    }

    /// The other chapters this one uses: those whose folder name (`ch08-chat-server`) its
    /// exercise or solution names (a path dependency, an included test file or program). Their
    /// files are part of what its verdicts depend on.
    pub fn uses<'a>(&self, workbook: &'a Workbook) -> Vec<&'a Chapter> {
        let mut texts = String::new();
        for dir in [self.exercise_dir(), self.solution_dir()] {
            let folder = workbook.root.join(&dir);
            for file in files::list(&folder, &files::is_build_output).unwrap_or_default() {
                if let Ok(text) = fs::read_to_string(folder.join(file)) {
                    texts.push_str(&text);
                }
            }
        }
        workbook
            .chapters
            .iter()
            .filter(|other| other.slug != self.slug && texts.contains(&other.dir_name()))
            .collect()
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
        let with_solutions = root.join("solutions").is_dir();
        let chapters = parse_manifest(&text, with_solutions)
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

    /// True in a copy made by `cargo xtask export --student`: it has no `solutions/` folder.
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

    /// Where the workbook's text names chapters in a way that goes stale when chapters are added,
    /// dropped or moved: prose that says a chapter's number, and references
    /// (`{{#chapter slug}}`) to a chapter the manifest does not have (see [`naming`]). One
    /// sentence each, for `verify`; they never stop a build or a grading.
    pub fn naming_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let skip = |path: &Path| {
            files::is_build_output(path)
                // CI's files name crates, never chapters in prose.
                || naming::NOT_THE_WORKBOOKS_TEXT
                    .iter()
                    .chain(&[".github", ".ci"])
                    .any(|folder| path == Path::new(folder))
        };
        let Ok(all) = files::list(&self.root, &skip) else {
            return problems;
        };
        for file in all {
            let is_text = file
                .extension()
                .is_some_and(|e| ["md", "rs", "toml", "py"].iter().any(|t| e == *t));
            let Ok(text) = fs::read_to_string(self.root.join(&file)) else {
                continue;
            };
            if !is_text || file == Path::new("Cargo.lock") {
                continue;
            }
            for (line, said) in naming::numbered_mentions(&text) {
                problems.push(format!(
                    "{}:{line}: names a chapter by its number, which goes stale when chapters \
                     move; write `{{{{#chapter SLUG}}}}` in a page or hint, or the chapter's \
                     title elsewhere: {}",
                    slash(&file),
                    said.trim()
                ));
            }
            let (_, unknown) = naming::render(&text, &self.chapters);
            for slug in unknown {
                problems.push(format!(
                    "{}: refers to the chapter `{slug}`, which is not in {MANIFEST}",
                    slash(&file)
                ));
            }
        }
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
                "{}: {} is missing (the crate `{package}` belongs there)",
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
        if !self.root.join(&tests).is_file() {
            problems.push(format!(
                "{}: the test file {} is missing",
                chapter.id,
                slash(&tests)
            ));
            return;
        }
        let test_source = chapter.tests_text(&|path| fs::read_to_string(self.root.join(path)).ok());
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

/// Parses and checks the manifest's text; `with_solutions` when the workbook has its
/// `solutions/` folder (an instructor's workbook, not a student copy).
fn parse_manifest(text: &str, with_solutions: bool) -> Result<Vec<Chapter>> {
    let manifest: Manifest = toml::from_str(text)?;
    ensure!(!manifest.chapter.is_empty(), "it lists no chapters");
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
        let chapter = Chapter::new(number, &entry.slug, &entry.title, with_solutions);
        for (field, given, derived) in [
            ("exercise", &entry.exercise, &chapter.exercise),
            (
                "solution",
                &entry.solution,
                &format!("{}-solution", chapter.exercise),
            ),
        ] {
            if let Some(given) = given {
                ensure!(
                    given == derived,
                    "{}: `{field} = \"{given}\"`, but the package's name follows from the id and \
                     slug: `{derived}`; remove the line",
                    entry.id
                );
            }
        }
        chapters.push(Chapter {
            hints: entry.hints,
            points: entry.points,
            ..chapter
        });
    }
    // Hints name other chapters by slug (see `naming`): show them with their numbers. One that
    // names no chapter stays as written (the tidy test names it).
    let rendered: Vec<Vec<String>> = chapters
        .iter()
        .map(|chapter| {
            chapter
                .hints
                .iter()
                .map(|hint| naming::render(hint, &chapters).0)
                .collect()
        })
        .collect();
    for (chapter, hints) in chapters.iter_mut().zip(rendered) {
        chapter.hints = hints;
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

    /// An empty folder of its own under the system's temporary folder, for a small tree.
    fn scratch(purpose: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("workbook-{purpose}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        root
    }

    /// Writes `text` to `path` under `root`, making the folders it needs.
    fn write_into(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn chapter(number: u32, slug: &str) -> Chapter {
        Chapter::new(number, slug, "T", false)
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
                "[[chapter]]\nid = \"{id}\"\nslug = \"s{id}\"\ntitle = \"T\"\nhints = [\"h\"]\n"
            )
        };
        assert!(parse_manifest(&(entry("ch1") + &entry("ch2")), true).is_ok());
        let error = parse_manifest(&(entry("ch1") + &entry("ch3")), true).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("chapter number 2 has the id `ch3`"),
            "{error}"
        );
        assert!(parse_manifest(&entry("ch01"), true).is_err());
        assert!(parse_manifest("", true).is_err());
        let unknown = entry("ch1") + "colour = \"red\"\n";
        assert!(
            parse_manifest(&unknown, true)
                .unwrap_err()
                .root_cause()
                .to_string()
                .contains("colour")
        );
    }

    #[test]
    fn a_chapters_tests_include_the_test_files_it_includes() {
        let chapter = chapter(9, "one-thread");
        let files: BTreeMap<PathBuf, &str> = [
            (
                "exercises/ch09-one-thread/src/tests.rs",
                "#[test]\nfn first() {}\n#[path = \"../../ch08-chat/src/tests.rs\"]\nmod chat;\n\
                 #[test]\nfn own() {}\n",
            ),
            (
                "exercises/ch08-chat/src/tests.rs",
                "#[test]\nfn joins() {}\n",
            ),
        ]
        .into_iter()
        .map(|(path, text)| (PathBuf::from(path), text))
        .collect();
        let text = chapter.tests_text(&|path| files.get(path).map(|t| t.to_string()));
        assert_eq!(source::declared_tests(&text), ["first", "joins", "own"]);
    }

    #[test]
    fn package_names_follow_from_the_id_and_slug() {
        let manifest = |third: &str| {
            let entry = |id: &str, slug: &str, extra: &str| {
                format!(
                    "[[chapter]]\nid = \"{id}\"\nslug = \"{slug}\"\ntitle = \"T\"\n{extra}hints = [\"h\"]\n"
                )
            };
            entry("ch1", "one", "") + &entry("ch2", "two", "") + &entry("ch3", "framing", third)
        };
        let chapters = parse_manifest(&manifest(""), true).unwrap();
        assert_eq!(chapters[2].exercise, "ch03-framing");
        assert_eq!(chapters[2].solution, "ch03-framing-solution");
        assert_eq!(chapters[2].dir_name(), "ch03-framing");

        // An older manifest that spells them out is read, as long as it agrees.
        let old = "exercise = \"ch03-framing\"\nsolution = \"ch03-framing-solution\"\n";
        assert!(parse_manifest(&manifest(old), true).is_ok());
        let wrong = "exercise = \"framing\"\n";
        let error = format!("{:#}", parse_manifest(&manifest(wrong), true).unwrap_err());
        assert!(
            error.contains("`exercise = \"framing\"`") && error.contains("`ch03-framing`"),
            "{error}"
        );
    }

    #[test]
    fn a_student_copy_is_a_workbook_without_solutions() {
        let entry = |id: &str| {
            format!(
                "[[chapter]]\nid = \"{id}\"\nslug = \"s{id}\"\ntitle = \"T\"\nhints = [\"h\"]\n"
            )
        };
        let student = parse_manifest(&(entry("ch1") + &entry("ch2")), false).unwrap();
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
        let full = parse_manifest(&(entry("ch1") + &entry("ch2")), true).unwrap();
        assert!(full.iter().all(Chapter::has_solution));
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
        let naming = workbook.naming_problems();
        assert!(naming.is_empty(), "{}", naming.join("\n"));
    }

    /// Prose that says a chapter's number, and a reference to a chapter that is not there, are
    /// named; the Rust Book's chapters and references that resolve are not.
    #[test]
    fn stale_chapter_names_are_named() {
        let root = scratch("names");
        let write = |path: &str, text: &str| write_into(&root, path, text);
        write(
            MANIFEST,
            "[[chapter]]\nid = \"ch1\"\nslug = \"one\"\ntitle = \"One\"\nhints = [\"h\"]\n",
        );
        write(
            "book/src/ch01-one/index.md",
            "As chapter 2 says.\nSee {{#chapter one}} and {{#Chapter gone}}.\n\
             The Rust Book's chapter 16.\n",
        );
        write("exercises/ch01-one/src/lib.rs", "//! Chapters 1 and 2.\n");
        write(
            "xtask/src/main.rs",
            "//! chapter 3, not the workbook's text.\n",
        );
        let workbook = Workbook::load(&root).unwrap();
        let problems = workbook.naming_problems();
        fs::remove_dir_all(&root).unwrap();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(
            problems[0].starts_with("book/src/ch01-one/index.md:1: names a chapter by its number")
        );
        assert!(
            problems[1].contains("refers to the chapter `gone`"),
            "{}",
            problems[1]
        );
        assert!(
            problems[2].starts_with("exercises/ch01-one/src/lib.rs:1:"),
            "{}",
            problems[2]
        );
    }

    /// A small tree with one problem of each kind, each of which must be named.
    #[test]
    fn every_disagreement_is_named() {
        let root = scratch("tree");
        let write = |path: &str, text: &str| write_into(&root, path, text);
        write(
            MANIFEST,
            "[[chapter]]\nid = \"ch1\"\nslug = \"one\"\ntitle = \"One\"\nhints = [\"h\"]\n[chapter.points]\nno_such_test = 2\n",
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
