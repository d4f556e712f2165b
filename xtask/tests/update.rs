//! Tests of `cargo xtask update`: a student's repository, made from an exported student template
//! of the fixture workbook (`tests/fixtures/kit/`), brought up to date from a newer export after
//! the instructor fixed the workbook. The student's code and notes stay as they are, the fixes
//! arrive as one commit, what cannot be updated safely is refused with nothing changed, and
//! `reset` still gives the stub that matches the tests. Each test runs the runner as a person
//! would, bounded in time.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

use common::*;

/// A class: the instructor's workbook, its first student template, and a student's repository
/// made from it (a clone, as GitHub makes one from a template), with the student's work in it.
struct Class {
    scratch: Scratch,
    instructor: PathBuf,
    student: PathBuf,
}

/// Chapter 1's stub in the fixed workbook.
const FIXED_STUB: &str = "//! Fixture chapter 1: one function to write (fixed).\n\n/// The answer to everything.\npub fn answer() -> u32 {\n    todo!(\"return the answer\")\n}\n\n#[cfg(test)]\nmod tests;\n";
/// Chapter 1's tests in the fixed workbook.
const FIXED_TESTS: &str = "use super::*;\n\n#[test]\nfn answers_forty_two() {\n    assert_eq!(answer(), 42, \"the answer is 42, every time\");\n}\n";

impl Class {
    fn new(name: &str) -> Class {
        let scratch = Scratch::new(&format!("update-{name}"));
        let instructor = fixture(&scratch);
        write(&instructor, ".gitignore", "/target\n/.workbook\n");
        write(&instructor, "README.md", "# Fixture workbook\n");
        write(&instructor, "xtask/OLD.md", "The runner's old notes.\n");
        let template = export(&instructor, &scratch.path().join("template-1"));
        let student = scratch.path().join("student");
        git(
            scratch.path(),
            &[
                "clone",
                "--quiet",
                template.to_str().unwrap(),
                student.to_str().unwrap(),
            ],
        );
        // The student's work: their code, a file of their own beside it, notes elsewhere.
        write(&student, "exercises/ch01-answer/src/lib.rs", STUDENT_WORK);
        write(&student, "exercises/ch01-answer/src/helper.rs", "// mine\n");
        write(&student, "NOTES.md", "My notes.\n");
        write(&student, "book/my-notes.md", "Notes on the book.\n");
        git(&student, &["add", "--all"]);
        git(&student, &["commit", "--quiet", "--message", "My work"]);
        Class {
            scratch,
            instructor,
            student,
        }
    }

    /// The instructor fixes the workbook: chapter 1's tests and stub, a hint, the runner (a file
    /// changed, one gone), and a new chapter 3; then exports the new template.
    fn fix_and_export(&self) -> PathBuf {
        let root = &self.instructor;
        write(root, "exercises/ch01-answer/src/tests.rs", FIXED_TESTS);
        write(root, "exercises/ch01-answer/src/lib.rs", FIXED_STUB);
        let manifest = fs::read_to_string(root.join("chapters.toml")).unwrap();
        let manifest = manifest.replace("Multiply.", "Multiply by two.");
        fs::remove_file(root.join("xtask/OLD.md")).unwrap();
        write(root, "xtask/NEW.md", "The runner's new notes.\n");
        add_chapter_3(root, manifest);
        self.export("template-2")
    }

    /// Exports the instructor's workbook as it is now.
    fn export(&self, name: &str) -> PathBuf {
        export(&self.instructor, &self.scratch.path().join(name))
    }

    /// Runs `cargo xtask update ARGS` in the student's repository.
    fn update(&self, args: &[&str]) -> Output {
        run_in(&self.student, &[&["update"], args].concat())
    }

    fn read(&self, path: &str) -> String {
        fs::read_to_string(self.student.join(path)).unwrap_or_else(|error| {
            panic!("cannot read {path} in the student's repository: {error}")
        })
    }

    /// The commit the student's branch is at.
    fn head(&self) -> String {
        git(&self.student, &["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// What git has not committed in the student's repository.
    fn uncommitted(&self) -> String {
        git(
            &self.student,
            &["status", "--porcelain", "--untracked-files=all"],
        )
    }
}

/// Adds chapter 3 (`triple`) to the workbook at `root`, whose manifest becomes `manifest` and it.
fn add_chapter_3(root: &Path, manifest: String) {
    let manifest = manifest
        + "\n[[chapter]]\nid = \"ch3\"\nslug = \"triple\"\ntitle = \"Tripling\"\nexercise = \"ch03-triple\"\nsolution = \"ch03-triple-solution\"\nhints = [\"Add it three times.\"]\n";
    write(root, "chapters.toml", &manifest);
    let crate_toml = |name: &str| {
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition.workspace = true\npublish.workspace = true\n\n[lib]\ndoctest = false\n"
        )
    };
    write(
        root,
        "exercises/ch03-triple/Cargo.toml",
        &crate_toml("ch03-triple"),
    );
    write(
        root,
        "exercises/ch03-triple/src/lib.rs",
        "//! Fixture chapter 3.\n\n/// Three times `n`.\npub fn triple(n: u32) -> u32 {\n    todo!(\"triple {n}\")\n}\n\n#[cfg(test)]\nmod tests;\n",
    );
    write(
        root,
        "exercises/ch03-triple/src/tests.rs",
        "use super::*;\n\n#[test]\nfn triples_two() {\n    assert_eq!(triple(2), 6);\n}\n",
    );
    write(
        root,
        "solutions/ch03-triple/Cargo.toml",
        &crate_toml("ch03-triple-solution"),
    );
    write(
        root,
        "solutions/ch03-triple/src/lib.rs",
        "pub fn triple(n: u32) -> u32 {\n    3 * n\n}\n\n#[cfg(test)]\n#[path = \"../../../exercises/ch03-triple/src/tests.rs\"]\nmod tests;\n",
    );
    write(root, "book/src/ch03-triple/index.md", "# Tripling\n");
    let summary = fs::read_to_string(root.join("book/src/SUMMARY.md")).unwrap();
    write(
        root,
        "book/src/SUMMARY.md",
        &(summary + "- [Tripling](ch03-triple/index.md)\n"),
    );
}

/// Exports the workbook at `root` to `destination`, as a git repository with one commit.
fn export(root: &Path, destination: &Path) -> PathBuf {
    let output = on_fixture(
        root,
        &["export", "--student", destination.to_str().unwrap()],
    );
    assert!(
        output.status.code() == Some(0),
        "the export failed:\n{}",
        said(&output)
    );
    destination.to_path_buf()
}

/// Runs `cargo xtask ARGS` in `root`, with an identity for git's commits, building nothing
/// anyone else shares.
fn run_in(root: &Path, args: &[&str]) -> Output {
    let target = root.parent().unwrap().join("target");
    let mut command = runner(root, &target, args);
    command
        .env("GIT_AUTHOR_NAME", "Student")
        .env("GIT_AUTHOR_EMAIL", "student@example.invalid")
        .env("GIT_COMMITTER_NAME", "Student")
        .env("GIT_COMMITTER_EMAIL", "student@example.invalid");
    let shown = format!("`cargo xtask {}` to finish", args.join(" "));
    testkit::within(RUN_LIMIT, &shown, move || {
        command.output().expect("cannot run the runner")
    })
}

fn path(folder: &Path) -> &str {
    folder.to_str().unwrap()
}

#[test]
fn an_update_brings_the_fixes_in_one_commit_and_leaves_the_students_work_alone() {
    let class = Class::new("fixes");
    // The student changed a file of the workbook's too: the fixes replace it, and say so.
    write(&class.student, "README.md", "# My README\n");
    git(
        &class.student,
        &["commit", "--quiet", "--all", "-m", "README"],
    );
    let before = class.head();
    let template = class.fix_and_export();

    let output = class.update(&["--from", path(&template)]);
    let said = said(&output);
    assert_eq!(output.status.code(), Some(0), "{said}");

    // The student's work is as they left it.
    assert_eq!(class.read("exercises/ch01-answer/src/lib.rs"), STUDENT_WORK);
    assert_eq!(
        class.read("exercises/ch01-answer/src/helper.rs"),
        "// mine\n"
    );
    assert_eq!(class.read("NOTES.md"), "My notes.\n");
    assert_eq!(class.read("book/my-notes.md"), "Notes on the book.\n");
    // The fixes are in.
    assert_eq!(
        class.read("exercises/ch01-answer/src/tests.rs"),
        FIXED_TESTS
    );
    assert!(class.read("chapters.toml").contains("Multiply by two."));
    assert_eq!(class.read("xtask/NEW.md"), "The runner's new notes.\n");
    assert!(
        !class.student.join("xtask/OLD.md").exists(),
        "a file the new template no longer has is removed"
    );
    assert_eq!(
        class.read("README.md"),
        fs::read_to_string(template.join("README.md")).unwrap()
    );
    assert!(
        class
            .read("exercises/ch03-triple/src/lib.rs")
            .contains("todo!(\"triple")
    );
    assert!(
        class
            .read("exercises/ch03-triple/src/tests.rs")
            .contains("triples_two")
    );
    assert!(!class.student.join("solutions").exists());

    // One commit on the student's branch, with nothing left over.
    assert_eq!(class.uncommitted(), "", "everything is committed");
    let first_parent = git(&class.student, &["rev-parse", "HEAD~1"]);
    assert_eq!(
        first_parent.trim(),
        before,
        "one commit on the student's branch"
    );
    let message = git(&class.student, &["log", "-1", "--format=%B"]);
    for part in [
        "Workbook update:",
        "tests of ch1",
        "new chapter ch3",
        "xtask/OLD.md (removed)",
        "README.md",
    ] {
        assert!(
            message.contains(part),
            "the commit says {part:?}:\n{message}"
        );
    }

    // And the output says what changed, as a student names it.
    for part in [
        "Updated tests of ch1: exercises/ch01-answer/src/tests.rs",
        "Updated new chapter ch3 · Tripling",
        "chapter manifest",
        "runner (cargo xtask): xtask/NEW.md (new), xtask/OLD.md (removed)",
        "Replaced README.md, which you had changed",
        "the stub of ch1 changed too",
        "Committed",
        "cargo xtask check ch1",
    ] {
        assert!(said.contains(part), "the output says {part:?}:\n{said}");
    }
}

#[test]
fn reset_after_an_update_gives_the_new_stub_not_the_students_code() {
    let class = Class::new("reset");
    let first_stub =
        fs::read_to_string(class.instructor.join("exercises/ch02-double/src/lib.rs")).unwrap();
    let template = class.fix_and_export();
    let output = class.update(&["--from", path(&template)]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));

    let reset = run_in(&class.student, &["reset", "ch1"]);
    assert_eq!(reset.status.code(), Some(0), "{}", said(&reset));
    assert_eq!(
        class.read("exercises/ch01-answer/src/lib.rs"),
        FIXED_STUB,
        "reset gives the stub of the new template, which matches the new tests"
    );
    assert_eq!(
        class.read("exercises/ch01-answer/src/tests.rs"),
        FIXED_TESTS
    );
    let restored = run_in(&class.student, &["reset", "ch1", "--restore"]);
    assert_eq!(restored.status.code(), Some(0), "{}", said(&restored));
    assert_eq!(
        class.read("exercises/ch01-answer/src/lib.rs"),
        STUDENT_WORK,
        "and the student's version is in its backup"
    );

    // A chapter the update did not change, and one it brought, reset to their stubs too.
    write(
        &class.student,
        "exercises/ch02-double/src/lib.rs",
        "// mine\n",
    );
    write(
        &class.student,
        "exercises/ch03-triple/src/lib.rs",
        "// mine\n",
    );
    git(
        &class.student,
        &["commit", "--quiet", "--all", "-m", "Work"],
    );
    for chapter in ["ch2", "ch3"] {
        let reset = run_in(&class.student, &["reset", chapter]);
        assert_eq!(reset.status.code(), Some(0), "{}", said(&reset));
    }
    assert_eq!(class.read("exercises/ch02-double/src/lib.rs"), first_stub);
    assert!(
        class
            .read("exercises/ch03-triple/src/lib.rs")
            .contains("todo!(\"triple")
    );
}

#[test]
fn a_stub_that_changed_alone_is_recorded_for_reset() {
    let class = Class::new("stub-only");
    let stub = "//! Fixture chapter 2, with a clearer hint.\n\n/// Twice `n`.\npub fn double(n: u32) -> u32 {\n    todo!(\"double {n}\")\n}\n\n#[cfg(test)]\nmod tests;\n";
    write(&class.instructor, "exercises/ch02-double/src/lib.rs", stub);
    let template = class.export("template-2");
    let before = class.head();

    let output = class.update(&["--from", path(&template)]);
    let shown = said(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.contains("stub of ch2"), "{shown}");
    assert_ne!(class.head(), before, "the new stub is recorded in a commit");
    assert_eq!(
        git(&class.student, &["diff", "--stat", &before, "HEAD"]),
        "",
        "which changes no file of the student's"
    );

    write(
        &class.student,
        "exercises/ch02-double/src/lib.rs",
        "// mine\n",
    );
    git(
        &class.student,
        &["commit", "--quiet", "--all", "-m", "Work"],
    );
    let reset = run_in(&class.student, &["reset", "ch2"]);
    assert_eq!(reset.status.code(), Some(0), "{}", said(&reset));
    assert_eq!(
        class.read("exercises/ch02-double/src/lib.rs"),
        stub,
        "reset gives the stub the update recorded, though the chapter's tests did not change"
    );
}

#[test]
fn an_update_from_a_git_url_clones_it() {
    let class = Class::new("url");
    let template = class.fix_and_export();
    let slashed = path(&template).replace('\\', "/");
    let url = if slashed.starts_with('/') {
        format!("file://{slashed}")
    } else {
        format!("file:///{slashed}")
    };
    let output = class.update(&["--from", &url]);
    let said = said(&output);
    assert_eq!(output.status.code(), Some(0), "{said}");
    assert!(said.contains("Cloning"), "{said}");
    assert_eq!(
        class.read("exercises/ch01-answer/src/tests.rs"),
        FIXED_TESTS
    );
    assert_eq!(class.read("exercises/ch01-answer/src/lib.rs"), STUDENT_WORK);
}

#[test]
fn a_dry_run_says_what_would_change_and_changes_nothing() {
    let class = Class::new("dry-run");
    let before = class.head();
    let template = class.fix_and_export();

    let output = class.update(&["--from", path(&template), "--dry-run"]);
    let said = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{said}{}",
        text(&output.stderr)
    );
    assert!(
        said.contains("Would update tests of ch1: exercises/ch01-answer/src/tests.rs"),
        "{said}"
    );
    assert!(said.contains("new chapter ch3"), "{said}");
    assert!(said.contains("nothing was changed"), "{said}");
    assert_eq!(class.head(), before);
    assert_eq!(class.uncommitted(), "");
    assert!(
        !class
            .read("exercises/ch01-answer/src/tests.rs")
            .contains("every time")
    );
    assert!(!class.student.join("exercises/ch03-triple").exists());
}

#[test]
fn nothing_to_update_makes_no_commit() {
    let class = Class::new("nothing");
    let before = class.head();
    let same = class.export("template-again");
    let output = class.update(&["--from", path(&same)]);
    let shown = said(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.contains("Up to date"), "{shown}");
    assert!(shown.contains("nothing was changed"), "{shown}");
    assert_eq!(class.head(), before, "no empty commit");

    // Twice the same update: the second has nothing to do.
    let template = class.fix_and_export();
    let first = class.update(&["--from", path(&template)]);
    assert_eq!(first.status.code(), Some(0), "{}", said(&first));
    let updated = class.head();
    let again = class.update(&["--from", path(&template)]);
    assert_eq!(again.status.code(), Some(0), "{}", said(&again));
    assert!(text(&again.stdout).contains("Up to date"));
    assert_eq!(class.head(), updated);
}

#[test]
fn uncommitted_work_stops_the_update_before_it_changes_anything() {
    let class = Class::new("dirty");
    let before = class.head();
    let template = class.fix_and_export();
    write(&class.student, "exercises/ch01-answer/src/lib.rs", SOLVED);

    let output = class.update(&["--from", path(&template)]);
    assert_eq!(output.status.code(), Some(2));
    let message = text(&output.stderr);
    assert!(
        message.contains("your repository has changes git has not committed"),
        "{message}"
    );
    assert!(
        message.contains("exercises/ch01-answer/src/lib.rs"),
        "{message}"
    );
    assert!(message.contains("git commit"), "{message}");
    assert_eq!(class.head(), before);
    assert_eq!(class.read("exercises/ch01-answer/src/lib.rs"), SOLVED);
    assert!(
        !class
            .read("exercises/ch01-answer/src/tests.rs")
            .contains("every time")
    );

    // A new file git does not know yet stops it too.
    git(&class.student, &["checkout", "--quiet", "--", "."]);
    write(&class.student, "draft.md", "not committed\n");
    let output = class.update(&["--from", path(&template)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("draft.md"));
    assert_eq!(class.head(), before);
}

#[test]
fn a_workbook_with_solutions_is_refused_as_a_source() {
    let class = Class::new("solutions");
    let before = class.head();
    let output = class.update(&["--from", path(&class.instructor)]);
    assert_eq!(output.status.code(), Some(2));
    let message = text(&output.stderr);
    assert!(message.contains("has the reference solutions"), "{message}");
    assert!(
        message.contains(
            "Export a student copy (`cargo xtask export --student DIR`) and update from that"
        ),
        "{message}"
    );
    assert_eq!(class.head(), before);
    assert_eq!(class.uncommitted(), "");
    assert!(!class.student.join("solutions").exists());
}

#[test]
fn without_git_or_an_identity_update_explains_and_changes_nothing() {
    let class = Class::new("no-git");
    // A copy without a repository, of the first version.
    let loose = class.scratch.path().join("loose");
    let output = on_fixture(
        &class.instructor,
        &["export", "--student", path(&loose), "--no-git"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let tests = loose.join("exercises/ch01-answer/src/tests.rs");
    let first_tests = fs::read_to_string(&tests).unwrap();
    let template = class.fix_and_export();

    let refused = run_in(&loose, &["update", "--from", path(&template)]);
    assert_eq!(refused.status.code(), Some(2));
    let message = text(&refused.stderr);
    assert!(message.contains("is not in a git repository"), "{message}");
    assert_eq!(fs::read_to_string(&tests).unwrap(), first_tests);

    // A repository, on a machine where git has no identity.
    let before = class.head();
    let home = class.scratch.path().join("home");
    fs::create_dir_all(&home).unwrap();
    git(&class.student, &["config", "user.useConfigOnly", "true"]);
    let mut command = runner(
        &class.student,
        &class.scratch.path().join("target"),
        &["update", "--from", path(&template)],
    );
    for name in [
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "EMAIL",
    ] {
        command.env_remove(name);
    }
    command
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"));
    let output = testkit::within(RUN_LIMIT, "`cargo xtask update` to finish", move || {
        command.output().unwrap()
    });
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    let message = text(&output.stderr);
    assert!(
        message.contains("git does not know who you are"),
        "{message}"
    );
    assert!(
        message.contains("git config --global user.name \"Your Name\""),
        "{message}"
    );
    assert_eq!(class.head(), before);
    assert_eq!(class.uncommitted(), "");
}
