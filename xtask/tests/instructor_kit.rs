//! Tests of the instructor kit and the students' comforts: `export --student` (a copy without
//! solutions that builds and grades), `reset` (restores the stub, keeps a backup, refuses to lose
//! uncommitted work), `watch` (checks again on save, moves on when a chapter passes) and
//! `solution`. They run the runner as a person would, on throwaway copies of a small fixture
//! workbook (`tests/fixtures/kit/`) and of the real one, each bounded in time.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

mod common;

use common::*;

use serde_json::Value;

/// The limit for building the whole exported workbook.
const BUILD_LIMIT: Duration = Duration::from_secs(900);

/// The target folder for the student copy of the real workbook. Never the workspace's own: the
/// copy's crates have the same names, so its programs would overwrite the workspace's in
/// `target/debug/` (with the copy's paths compiled in). Registry crates are reused across runs.
fn copy_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("student-copy-target")
}

/// The backups `reset` made of chapter 1, as (folder, content of its src/lib.rs).
fn backups(root: &Path) -> Vec<(PathBuf, String)> {
    let Ok(entries) = fs::read_dir(root.join(".workbook/backups")) else {
        return Vec::new();
    };
    entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("ch01-answer-")
        })
        .map(|path| {
            let lib = fs::read_to_string(path.join("src/lib.rs")).unwrap_or_default();
            (path, lib)
        })
        .collect()
}

#[test]
fn reset_restores_the_stub_and_keeps_the_students_version_in_a_named_backup() {
    let scratch = Scratch::new("reset");
    let root = fixture_in_git(&scratch);
    let lib = root.join("exercises/ch01-answer/src/lib.rs");
    // The workbook revises the chapter, stub and tests together, before the student starts.
    let stub = fs::read_to_string(&lib).unwrap() + "\n// Revised.\n";
    fs::write(&lib, &stub).unwrap();
    let tests = root.join("exercises/ch01-answer/src/tests.rs");
    let revised_tests = fs::read_to_string(&tests).unwrap() + "\n// Revised.\n";
    fs::write(&tests, &revised_tests).unwrap();
    git(
        &root,
        &["commit", "--quiet", "--all", "--message", "Revised"],
    );
    fs::write(&lib, STUDENT_WORK).unwrap();
    let notes = root.join("exercises/ch01-answer/src/notes.rs");
    fs::write(&notes, "// my notes\n").unwrap();
    git(&root, &["add", "--all"]);
    git(&root, &["commit", "--quiet", "--message", "My work"]);

    let output = on_fixture(&root, &["reset", "ch1"]);
    let said = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{said}{}",
        text(&output.stderr)
    );
    assert_eq!(
        fs::read_to_string(&lib).unwrap(),
        stub,
        "the newest stub is back"
    );
    assert_eq!(fs::read_to_string(&tests).unwrap(), revised_tests);
    assert!(!notes.exists(), "a file the stub does not have is gone");

    let made = backups(&root);
    assert_eq!(made.len(), 1, "{made:?}");
    let (backup, content) = &made[0];
    assert_eq!(
        content, STUDENT_WORK,
        "the backup holds the student's version"
    );
    assert!(
        backup.join("src/notes.rs").is_file(),
        "and every file of it"
    );
    let name = backup.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        said.contains(&format!(".workbook/backups/{name}/")),
        "reset names the backup:\n{said}"
    );
    assert!(
        said.contains("as in commit") && said.contains("the last commit that changed its tests"),
        "{said}"
    );

    let again = on_fixture(&root, &["reset", "ch1"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again.stdout).contains("already the untouched stub"));
    assert_eq!(
        backups(&root).len(),
        1,
        "nothing to back up the second time"
    );
}

#[test]
fn reset_refuses_to_touch_uncommitted_work_without_force() {
    let scratch = Scratch::new("reset-uncommitted");
    let root = fixture_in_git(&scratch);
    let lib = root.join("exercises/ch01-answer/src/lib.rs");
    let stub = fs::read_to_string(&lib).unwrap();
    fs::write(&lib, STUDENT_WORK).unwrap();

    let refused = on_fixture(&root, &["reset", "ch1"]);
    assert_eq!(refused.status.code(), Some(2));
    let message = text(&refused.stderr);
    assert!(
        message.contains("exercises/ch01-answer has work that git has not committed"),
        "{message}"
    );
    assert!(message.contains("src/lib.rs"), "{message}");
    assert!(message.contains("--force"), "{message}");
    assert_eq!(fs::read_to_string(&lib).unwrap(), STUDENT_WORK, "untouched");
    assert!(
        backups(&root).is_empty(),
        "no backup is made when nothing is reset"
    );

    let forced = on_fixture(&root, &["reset", "1", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert_eq!(fs::read_to_string(&lib).unwrap(), stub);
    let backups = backups(&root);
    assert_eq!(backups.len(), 1);
    assert_eq!(backups[0].1, STUDENT_WORK, "--force still keeps a backup");
}

#[test]
fn reset_without_git_history_explains_why_it_cannot() {
    let scratch = Scratch::new("reset-no-git");
    let root = fixture(&scratch);
    let lib = root.join("exercises/ch01-answer/src/lib.rs");
    fs::write(&lib, STUDENT_WORK).unwrap();
    for args in [&["reset", "ch1"][..], &["reset", "ch1", "--force"]] {
        let output = on_fixture(&root, args);
        assert_eq!(output.status.code(), Some(2));
        let message = text(&output.stderr);
        assert!(message.contains("not in a git repository"), "{message}");
        assert_eq!(fs::read_to_string(&lib).unwrap(), STUDENT_WORK);
    }
}

/// A running `cargo xtask watch`, its output read line by line as it comes.
struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Watch {
    fn start(root: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("--root")
            .arg(root)
            .args(["--color", "never", "watch"])
            .args(args)
            .env("CARGO_TARGET_DIR", root.join("target"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cannot run the runner");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Watch {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads output until a line contains `text`; panics with everything seen after the limit.
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + RUN_LIMIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(text);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        panic!(
            "watch never said {text:?}; it said:\n{}",
            self.seen.join("\n")
        );
    }

    /// Waits for the runner to stop by itself; its exit code and everything it said.
    fn finish(mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + RUN_LIMIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("watch did not stop:\n{}", self.seen.join("\n"));
            }
            thread::sleep(Duration::from_millis(50));
        };
        self.seen.extend(self.lines.iter());
        (status.code(), self.seen.join("\n"))
    }
}

#[test]
fn watch_checks_again_on_save_and_moves_on_when_the_chapter_passes() {
    let scratch = Scratch::new("watch");
    let root = fixture(&scratch);
    // Three gradings: chapter 1 as it is, chapter 1 after the save, then chapter 2.
    let mut watch = Watch::start(&root, &["ch1", "--rounds", "3", "--timeout", "10"]);
    watch.wait_for("Watching exercises/ch01-answer/");
    fs::write(root.join("exercises/ch01-answer/src/lib.rs"), SOLVED).unwrap();
    let (code, said) = watch.finish();
    assert_eq!(code, Some(1), "{said}");
    let order = [
        "Checking ch1 · The answer",
        "Todo answers forty two",
        "Changed exercises/ch01-answer/src/lib.rs",
        "Passed answers forty two",
        "Moving on to ch2 · Doubling",
        "Checking ch2 · Doubling",
        "Todo doubles two",
    ];
    let mut from = 0;
    for expected in order {
        let at = said[from..]
            .find(expected)
            .unwrap_or_else(|| panic!("missing {expected:?} after byte {from} of:\n{said}"));
        from += at + expected.len();
    }
}

#[test]
fn watch_without_a_chapter_starts_at_the_first_that_does_not_pass() {
    let scratch = Scratch::new("watch-first");
    let root = fixture(&scratch);
    fs::write(root.join("exercises/ch01-answer/src/lib.rs"), SOLVED).unwrap();
    let watch = Watch::start(&root, &["--rounds", "2", "--timeout", "10"]);
    let (code, said) = watch.finish();
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("Passes ch1 · The answer"), "{said}");
    assert!(said.contains("Checking ch2 · Doubling"), "{said}");
    assert!(!said.contains("Checking ch1"), "{said}");
}

#[test]
fn the_solution_is_shown_once_the_chapter_passes_or_with_force() {
    let scratch = Scratch::new("solution");
    let root = fixture(&scratch);
    let hidden = on_fixture(&root, &["solution", "ch1"]);
    assert_eq!(hidden.status.code(), Some(1));
    let said = text(&hidden.stdout);
    assert!(said.contains("Not yet"), "{said}");
    assert!(!said.contains("solutions/"), "{said}");

    let forced = on_fixture(&root, &["solution", "ch1", "--force"]);
    assert_eq!(forced.status.code(), Some(0));
    assert!(text(&forced.stdout).contains("solutions/ch01-answer/src/lib.rs"));

    fs::write(root.join("exercises/ch01-answer/src/lib.rs"), SOLVED).unwrap();
    let earned = on_fixture(&root, &["solution", "ch1"]);
    assert_eq!(earned.status.code(), Some(0), "{}", text(&earned.stdout));
    assert!(text(&earned.stdout).contains("solutions/ch01-answer/src/lib.rs"));
}

/// Every file under `root` as (relative path, text), leaving out the folders `skip` names.
fn texts(root: &Path, skip: &[&str]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if skip.contains(&relative.as_str()) {
                continue;
            }
            if path.is_dir() {
                folders.push(path);
            } else {
                let text = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
                found.push((relative, text));
            }
        }
    }
    found
}

/// The lines that only the solutions have: their code, which no other file of the workbook
/// shows (a line that the tests, the test kit or the book also have gives nothing away).
fn solution_only_lines(workbook: &Path) -> BTreeSet<String> {
    let meaningful = |text: &str| -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|line| line.len() >= 5 && !line.starts_with("//"))
            .map(str::to_owned)
            .collect()
    };
    let elsewhere: BTreeSet<String> = texts(
        workbook,
        &[
            ".git",
            "target",
            "solutions",
            "xtask/tests",
            "CONTRIBUTING.md",
        ],
    )
    .iter()
    .flat_map(|(_, text)| meaningful(text))
    .collect();
    texts(&workbook.join("solutions"), &[])
        .iter()
        .filter(|(path, _)| path.ends_with(".rs"))
        .flat_map(|(_, text)| meaningful(text))
        .filter(|line| !elsewhere.contains(line))
        .collect()
}

/// The copy's packages, each with its binaries, as `cargo metadata` sees them.
fn packages(copy: &Path) -> Vec<(String, Vec<String>)> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(copy)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("cannot run cargo metadata");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|package| {
            let bins = package["targets"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t["kind"].as_array().unwrap().iter().any(|k| k == "bin"))
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect();
            (package["name"].as_str().unwrap().to_owned(), bins)
        })
        .collect()
}

/// The word after `flag` in `words`, wherever the flag appears.
fn after<'a>(words: &[&'a str], flags: &[&str]) -> Vec<&'a str> {
    words
        .windows(2)
        .filter(|pair| flags.contains(&pair[0]))
        .map(|pair| pair[1])
        .collect()
}

/// No page, listing, exercise or README of the copy names a package, a binary or a file that the
/// copy does not have: every command the book shows a student works in the copy.
fn assert_names_only_what_it_has(copy: &Path) {
    let packages = packages(copy);
    let mut problems = Vec::new();
    for (path, text) in texts(copy, &[".git", "target"]) {
        let shown_to_students = path == "README.md"
            || path.starts_with("book/src/")
            || path.starts_with("book/listings/")
            || path.starts_with("exercises/");
        if !shown_to_students
            || !(path.ends_with(".md") || path.ends_with(".rs") || path.ends_with(".py"))
        {
            continue;
        }
        for (number, line) in text.lines().enumerate() {
            let at = format!("{path}:{}", number + 1);
            let words: Vec<&str> = line
                .split(|c: char| c.is_whitespace() || "`()\"',".contains(c))
                .filter(|w| !w.is_empty())
                .collect();
            if line.contains("cargo ") {
                let named: Vec<&str> = after(&words, &["-p", "--package"]);
                for package in &named {
                    if !packages.iter().any(|(name, _)| name == package) {
                        problems.push(format!(
                            "{at}: package {package} (the copy has no such package)"
                        ));
                    }
                }
                for bin in after(&words, &["--bin"]) {
                    let known = packages.iter().any(|(name, bins)| {
                        (named.is_empty() || named.contains(&name.as_str()))
                            && bins.iter().any(|b| b == bin)
                    });
                    if !known {
                        problems.push(format!("{at}: binary {bin} (no such binary in {named:?})"));
                    }
                }
            }
            for word in &words {
                // `path:line:column` names the path.
                let word = word.split(':').next().unwrap_or(word);
                let word = word.trim_end_matches(['.', ';']);
                let repository_file = [
                    "exercises/",
                    "book/src/",
                    "book/listings/",
                    "testkit/",
                    "xtask/",
                ]
                .iter()
                .any(|folder| word.starts_with(folder))
                    && word
                        .rsplit('/')
                        .next()
                        .is_some_and(|name| name.contains('.'))
                    && !word.contains(['*', '<', '{', '$']);
                if repository_file && !copy.join(word).exists() {
                    problems.push(format!("{at}: file {word} (not in the copy)"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the student copy names what it does not have:\n{}",
        problems.join("\n")
    );
}

/// The copy's book shows what the published book shows: what needs the reference solutions was
/// run at export, and its output is in the page.
fn assert_shows_what_the_published_book_shows(copy: &Path) {
    for (path, text) in texts(&copy.join("book/src"), &[]) {
        assert!(
            !text.contains("needs the reference solutions"),
            "book/src/{path} still has a command that needs the reference solutions"
        );
    }
    // The chat server's page, found by its slug: `chapters drop|move` renumber its folder. A
    // course that left the chapter out has nothing more to check here.
    let Some(capstone) = fs::read_dir(copy.join("book/src"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|dir| {
            dir.file_name()
                .unwrap()
                .to_string_lossy()
                .ends_with("-chat-server")
        })
    else {
        return;
    };
    let capstone = fs::read_to_string(capstone.join("index.md")).unwrap();
    for line in [
        "alice <- * bob has entered the room",
        "bob received 5000 of the 5000 lines",
    ] {
        assert!(
            capstone.contains(line),
            "the copy's chat server page does not show the reference server's output ({line:?})"
        );
    }
}

/// What every student copy must not have: solutions, their packages, history, state, output.
fn assert_reveals_no_solution(copy: &Path, solution_lines: &BTreeSet<String>) {
    assert!(
        !solution_lines.is_empty(),
        "the solutions have code of their own"
    );
    for gone in ["solutions", ".workbook", "target", ".ci", "xtask/tests"] {
        assert!(!copy.join(gone).exists(), "{gone} is in the student copy");
    }
    for (path, text) in texts(copy, &[".git"]) {
        let manifest = ["Cargo.toml", "Cargo.lock", "chapters.toml"]
            .iter()
            .any(|name| path.ends_with(name));
        assert!(
            !manifest || !(text.contains("-solution\"") || text.contains("solution = \"")),
            "{path} names a solution crate"
        );
        if path.starts_with("book/src/") {
            for line in text.lines().filter(|l| l.contains("{{#")) {
                assert!(
                    !line.contains("solutions/"),
                    "{path} includes a solution: {line}"
                );
            }
        }
        if let Some(line) = text.lines().find(|l| solution_lines.contains(l.trim())) {
            panic!("{path} has a line of solution code: {line}");
        }
    }
}

/// The GitHub workflows in `folder`, as (file name, text).
fn workflows(folder: &Path) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = fs::read_dir(folder)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", folder.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yml"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read_to_string(&path).unwrap())
        })
        .collect();
    found.sort();
    found
}

/// A workflow installs the toolchain `rust-toolchain.toml` names and no other, and names every
/// action it uses by an exact version.
fn assert_uses_the_pinned_toolchain(name: &str, workflow: &str) {
    let mut installs = 0;
    for line in workflow.lines().map(str::trim) {
        if line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("- ").unwrap_or(line);
        if line.contains("rustup") {
            assert_eq!(
                line, "run: rustup toolchain install",
                "{name}: rustup must install what rust-toolchain.toml names, and nothing else"
            );
            installs += 1;
        }
        if let Some(action) = line.strip_prefix("uses: ") {
            let version = action.split_once('@').map(|(_, v)| v).unwrap_or_default();
            let exact = version.strip_prefix('v').is_some_and(|v| {
                v.split('.').count() == 3 && v.split('.').all(|n| n.parse::<u32>().is_ok())
            });
            assert!(
                exact,
                "{name}: `{action}` is not pinned to an exact version"
            );
        }
    }
    if workflow.contains("cargo ") {
        assert!(
            installs > 0,
            "{name} runs cargo without installing the pinned toolchain"
        );
    }
    for other in ["stable", "nightly", "RUST_TOOLCHAIN", "toolchain:"] {
        assert!(
            !workflow.contains(other),
            "{name} names a toolchain of its own: {other}"
        );
    }
}

/// A workflow that publishes to GitHub Pages does so on a run started by hand too: every line
/// that tests the event accepts `workflow_dispatch`.
fn assert_publishes_by_hand(name: &str, workflow: &str) {
    assert!(
        workflow.contains("actions/deploy-pages@"),
        "{name} does not publish"
    );
    assert!(
        workflow.contains("\n  workflow_dispatch:"),
        "{name} cannot be run by hand"
    );
    for line in workflow.lines().filter(|l| l.contains("github.event_name")) {
        assert!(
            line.contains("'workflow_dispatch'"),
            "{name}: a run started by hand would not publish: {}",
            line.trim()
        );
    }
}

/// The student copy's workflows: autograding by the runner itself (no reporter action), the
/// build, and the copy's own book on GitHub Pages, each with the pinned toolchain.
fn assert_has_its_own_workflows(copy: &Path) {
    let workflows = workflows(&copy.join(".github/workflows"));
    let names: Vec<&str> = workflows.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["build.yml", "classroom.yml", "pages.yml"]);
    for (name, workflow) in &workflows {
        assert_uses_the_pinned_toolchain(name, workflow);
        assert!(
            !workflow.contains("classroom-resources/"),
            "{name} uses GitHub Classroom's deprecated actions"
        );
    }
    let classroom = &workflows[1].1;
    for expected in [
        "name: Autograding Tests\n",
        "  run-autograding-tests:\n",
        "cargo xtask check --format github",
        "--worth ch1=2,ch2=2",
        "FAIL_UNFINISHED: \"false\"",
    ] {
        assert!(
            classroom.contains(expected),
            "no {expected:?} in:\n{classroom}"
        );
    }
    let pages = &workflows[2].1;
    assert_publishes_by_hand("the copy's pages.yml", pages);
    assert!(
        pages.contains("cargo xtask book --check"),
        "the copy's pages.yml does not build the copy's book"
    );
    assert!(
        !pages.contains("\n  push:"),
        "the copy's pages.yml runs on push, and may finish before the autograding"
    );
}

#[test]
fn the_repositorys_workflows_and_manifest_agree_on_one_toolchain() {
    let workbook = manifest_dir().parent().unwrap();
    let read = |path: &str| fs::read_to_string(workbook.join(path)).unwrap();
    let value = |text: &str, key: &str| -> String {
        text.lines()
            .find_map(|line| {
                let (k, v) = line.split_once('=')?;
                (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
            })
            .unwrap_or_else(|| panic!("no {key} in:\n{text}"))
    };
    let channel = value(&read("rust-toolchain.toml"), "channel");
    let rust_version = value(&read("Cargo.toml"), "rust-version");
    assert!(
        channel == rust_version || channel.starts_with(&format!("{rust_version}.")),
        "rust-toolchain.toml pins {channel}, but Cargo.toml's rust-version is {rust_version}"
    );

    let workflows = workflows(&workbook.join(".github/workflows"));
    for (name, workflow) in &workflows {
        assert_uses_the_pinned_toolchain(name, workflow);
    }
    let pages = &workflows.iter().find(|(n, _)| n == "pages.yml").unwrap().1;
    assert_publishes_by_hand("pages.yml", pages);
    // The book's builder is heavy: the lints on three systems leave it out, and it is linted on
    // its own.
    let all: String = workflows.iter().map(|(_, w)| w.as_str()).collect();
    for line in all
        .lines()
        .filter(|l| l.contains("cargo clippy --workspace"))
    {
        assert!(line.contains("--exclude book-builder"), "{}", line.trim());
    }
    assert!(
        all.contains("cargo clippy --package book-builder"),
        "no workflow lints the book's builder"
    );
}

#[test]
fn an_exported_fixture_is_a_student_copy_where_reset_finds_the_stubs() {
    let scratch = Scratch::new("export-fixture");
    let root = fixture(&scratch);
    let copy = scratch.path().join("student");
    let output = on_fixture(&root, &["export", "--student", copy.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let inside = root.join("student");
    let refused = on_fixture(&root, &["export", "--student", inside.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("is inside the workbook"));
    assert!(!inside.exists(), "a refused export leaves nothing behind");
    let again = on_fixture(&root, &["export", "--student", copy.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("is not empty"));

    let solution_lines = solution_only_lines(&root);
    assert!(solution_lines.contains("6 * 7"), "{solution_lines:?}");
    assert_reveals_no_solution(&copy, &solution_lines);
    assert_eq!(git(&copy, &["rev-list", "--count", "HEAD"]).trim(), "1");
    assert_has_its_own_workflows(&copy);

    // The runner knows it is a student copy.
    let target = root.join("target");
    for args in [
        &["verify"][..],
        &["check", "ch1", "--solution"],
        &["solution", "ch1"],
    ] {
        let refused = xtask(&copy, &target, args);
        assert_eq!(refused.status.code(), Some(2), "{args:?}");
        let message = text(&refused.stderr);
        assert!(
            message.starts_with("error: this is a student copy: it has no solutions"),
            "{args:?}: {message}"
        );
    }
    let graded = xtask(&copy, &target, &["check", "ch2", "--format", "json"]);
    let report: Value = serde_json::from_slice(&graded.stdout).unwrap();
    assert_eq!(report["compiled"], true);
    assert_eq!(report["max_points"], 2);

    // The copy's first commit holds the stubs, so reset works there as in a Classroom repository.
    let lib = copy.join("exercises/ch01-answer/src/lib.rs");
    let stub = fs::read_to_string(&lib).unwrap();
    fs::write(&lib, STUDENT_WORK).unwrap();
    git(
        &copy,
        &["commit", "--quiet", "--all", "--message", "My work"],
    );
    let reset = xtask(&copy, &target, &["reset", "ch1"]);
    assert_eq!(reset.status.code(), Some(0), "{}", text(&reset.stderr));
    assert_eq!(fs::read_to_string(&lib).unwrap(), stub);
    assert_eq!(backups(&copy)[0].1, STUDENT_WORK);
}

#[test]
fn an_exported_workbook_builds_grades_and_hides_every_solution() {
    let workbook = manifest_dir().parent().unwrap();
    let scratch = Scratch::new("export-workbook");
    let copy = scratch.path().join("student");
    let target = copy_target();
    let output = xtask(
        workbook,
        &target,
        &["export", "--student", copy.to_str().unwrap()],
    );
    // 1 is an export with warnings (uncommitted changes, say); 2 would be a failure.
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert_reveals_no_solution(&copy, &solution_only_lines(workbook));
    assert!(
        copy.join("rust-toolchain.toml").is_file(),
        "the copy has no rust-toolchain.toml, which its workflows install from"
    );
    assert_names_only_what_it_has(&copy);
    assert_shows_what_the_published_book_shows(&copy);
    assert_eq!(git(&copy, &["rev-list", "--count", "HEAD"]).trim(), "1");

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(&copy)
        .args([
            "build",
            "--workspace",
            "--exclude",
            "book-builder",
            "--all-targets",
        ])
        .args(["--locked", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .stdin(Stdio::null());
    let built = testkit::within(BUILD_LIMIT, "the student copy to build", move || {
        build.output().expect("cannot run cargo")
    });
    assert!(built.status.success(), "{}", text(&built.stderr));

    let graded = xtask(&copy, &target, &["check", "ch1", "--format", "json"]);
    assert_eq!(graded.status.code(), Some(1), "{}", text(&graded.stderr));
    let report: Value = serde_json::from_slice(&graded.stdout).unwrap();
    assert_eq!(report["compiled"], true, "{report}");
    assert!(report["total"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(
        report["max_points"],
        report["tests"]
            .as_array()
            .map(|tests| {
                tests
                    .iter()
                    .map(|t| t["max_points"].as_u64().unwrap())
                    .sum::<u64>()
            })
            .unwrap()
    );
}
