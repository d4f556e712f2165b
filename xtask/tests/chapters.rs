//! Tests of `cargo xtask chapters` (the list, `drop`, `move`) and `cargo xtask new`: a course
//! reshaped in one command still holds together, with nothing left naming a chapter by its old
//! number.
//!
//! They run the runner on throwaway copies of the small fixture workbook (`tests/fixtures/kit/`,
//! chapters `answer` and `double`), in git, as an instructor's workbook is. What the real
//! workbook does with them (dropping a chapter, then `verify`) is too slow for a test and is
//! measured by hand (see CONTRIBUTING.md, "Adding, dropping and moving chapters").

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;

/// The fixture in git, with a page of chapter 2 that names chapter 1 by reference and links to
/// it, and a test message that names chapter 2 by id.
fn course(scratch: &Scratch) -> PathBuf {
    let root = fixture(scratch);
    write(
        &root,
        "book/src/ch02-double/index.md",
        "# Doubling\n\nAfter {{#chapter answer}} ([the answer](../ch01-answer/index.md)), \
         {{#chapter double}} doubles. Run `cargo xtask check ch2`.\n",
    );
    fs::write(root.join(".gitignore"), "/target\n/.workbook\n").unwrap();
    git(&root, &["init", "--quiet"]);
    git(&root, &["add", "--all"]);
    git(&root, &["commit", "--quiet", "--message", "Course"]);
    root
}

fn read(root: &Path, path: &str) -> String {
    fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

#[test]
fn the_list_gives_folders_packages_and_references() {
    let scratch = Scratch::new("chapters-list");
    let root = fixture(&scratch);
    let output = on_fixture(&root, &["chapters", "--format", "json"]);
    assert!(output.status.success(), "{}", said(&output));
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let second = &listed[1];
    assert_eq!(second["id"], "ch2");
    assert_eq!(second["folder"], "ch02-double");
    assert_eq!(second["exercise"], "ch02-double");
    assert_eq!(second["solution"], "ch02-double-solution");
    assert_eq!(second["references"]["Chapter"], "Chapter 2");
    assert_eq!(second["references"]["number"], "2");

    let text = on_fixture(&root, &["chapters"]);
    assert!(
        said(&text).contains("ch1") && said(&text).contains("The answer"),
        "{}",
        said(&text)
    );
}

#[test]
fn moving_a_chapter_renames_its_folders_packages_ids_and_entries() {
    let scratch = Scratch::new("chapters-move");
    let root = course(&scratch);
    let output = on_fixture(&root, &["chapters", "move", "double", "--to", "1"]);
    assert!(output.status.success(), "{}", said(&output));

    for folder in ["exercises", "solutions", "book/src"] {
        assert!(root.join(folder).join("ch01-double").is_dir(), "{folder}");
        assert!(root.join(folder).join("ch02-answer").is_dir(), "{folder}");
        assert!(!root.join(folder).join("ch01-answer").exists(), "{folder}");
    }
    assert!(read(&root, "exercises/ch01-double/Cargo.toml").contains("name = \"ch01-double\""));
    assert!(
        read(&root, "solutions/ch01-double/src/lib.rs")
            .contains("../../../exercises/ch01-double/src/tests.rs"),
        "the solution must include the moved exercise's tests"
    );
    let manifest = read(&root, "chapters.toml");
    let double = manifest.find("slug = \"double\"").unwrap();
    let answer = manifest.find("slug = \"answer\"").unwrap();
    assert!(double < answer, "{manifest}");
    assert!(
        manifest.contains("id = \"ch1\"\nslug = \"double\""),
        "{manifest}"
    );
    // The points of the answer chapter moved with it.
    assert!(
        manifest[answer..].contains("answers_forty_two = 2"),
        "{manifest}"
    );
    assert_eq!(
        read(&root, "book/src/SUMMARY.md"),
        "# Summary\n\n- [Doubling](ch01-double/index.md)\n- [The answer](ch02-answer/index.md)\n"
    );
    let page = read(&root, "book/src/ch01-double/index.md");
    assert!(
        page.contains("{{#chapter answer}} ([the answer](../ch02-answer/index.md))")
            && page.contains("`cargo xtask check ch1`"),
        "references stay references; links and ids follow the move:\n{page}"
    );

    // The moved chapter is graded under its new id.
    let check = on_fixture(&root, &["check", "ch1", "--solution"]);
    assert!(check.status.success(), "{}", said(&check));
    assert!(said(&check).contains("doubles two"), "{}", said(&check));

    // Moving it back gives the course as it was.
    git(&root, &["add", "--all"]);
    git(&root, &["commit", "--quiet", "--message", "Moved"]);
    let back = on_fixture(&root, &["chapters", "move", "ch1", "--to", "2"]);
    assert!(back.status.success(), "{}", said(&back));
    git(&root, &["add", "--all"]);
    let diff = git(
        &root,
        &[
            "diff",
            "--cached",
            "--stat",
            "HEAD~1",
            "--",
            ".",
            ":!Cargo.lock",
        ],
    );
    assert_eq!(diff, "", "moving there and back changed:\n{diff}");
}

#[test]
fn dropping_a_chapter_writes_out_what_named_it_and_says_where() {
    let scratch = Scratch::new("chapters-drop");
    let root = course(&scratch);
    let output = on_fixture(&root, &["chapters", "drop", "ch1"]);
    assert!(output.status.success(), "{}", said(&output));
    for folder in ["exercises", "solutions", "book/src"] {
        assert!(!root.join(folder).join("ch01-answer").exists(), "{folder}");
        assert!(root.join(folder).join("ch01-double").is_dir(), "{folder}");
    }
    let page = read(&root, "book/src/ch01-double/index.md");
    assert!(
        page.contains("After *The answer* (left out of this course) (the answer (left out of this course)), {{#chapter double}}")
            && page.contains("`cargo xtask check ch1`"),
        "{page}"
    );
    assert!(
        said(&output).contains("book/src/ch01-double/index.md:3:"),
        "the lines to read again are named:\n{}",
        said(&output)
    );
    let manifest = read(&root, "chapters.toml");
    assert!(!manifest.contains("answer"), "{manifest}");
    assert!(
        manifest.contains("id = \"ch1\"\nslug = \"double\""),
        "{manifest}"
    );
    let check = on_fixture(&root, &["check", "ch1", "--solution"]);
    assert!(check.status.success(), "{}", said(&check));
}

#[test]
fn reshaping_refuses_uncommitted_work_and_a_chapter_another_needs() {
    let scratch = Scratch::new("chapters-refuse");
    let root = course(&scratch);
    write(&root, "exercises/ch02-double/src/lib.rs", "// Half done.\n");
    let output = on_fixture(&root, &["chapters", "move", "ch2", "--to", "1"]);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    assert!(said(&output).contains("uncommitted"), "{}", said(&output));
    assert_eq!(
        read(&root, "exercises/ch02-double/src/lib.rs"),
        "// Half done.\n"
    );
    git(&root, &["checkout", "--quiet", "."]);

    // Chapter 2's solution uses chapter 1's crate: chapter 1 cannot go.
    let cargo = read(&root, "solutions/ch02-double/Cargo.toml");
    write(
        &root,
        "solutions/ch02-double/Cargo.toml",
        &format!(
            "{cargo}\n[dependencies]\nch01-answer = {{ path = \"../../exercises/ch01-answer\" }}\n"
        ),
    );
    git(
        &root,
        &["commit", "--quiet", "--all", "--message", "Depends"],
    );
    let output = on_fixture(&root, &["chapters", "drop", "answer"]);
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    assert!(
        said(&output).contains("solutions/ch02-double/Cargo.toml"),
        "{}",
        said(&output)
    );
    assert!(root.join("exercises/ch01-answer").is_dir());

    let nowhere = on_fixture(&root, &["chapters", "move", "ch1", "--to", "3"]);
    assert!(said(&nowhere).contains("no place 3"), "{}", said(&nowhere));
}

/// The fixture's workspace, given what a chapter made by `new` uses: the test kit, the shared
/// package fields and lints.
fn with_workspace_fields(root: &Path) {
    let testkit = manifest_dir().join("../testkit");
    let cargo = read(root, "Cargo.toml").replace(
        "[workspace.package]\n",
        "[workspace.package]\nrust-version = \"1.95\"\nlicense = \"MIT\"\n",
    );
    write(
        root,
        "Cargo.toml",
        &format!(
            "{cargo}\n[workspace.dependencies]\ntestkit = {{ path = {:?} }}\n\n\
             [workspace.lints.rust]\nunsafe_code = \"forbid\"\n",
            testkit.canonicalize().unwrap()
        ),
    );
    fs::write(root.join("README.md"), "| chapter | x | y |\n| --- | --- | --- |\n| 1. The answer | a | b |\n| 2. Doubling | c | d |\n").unwrap();
    git(root, &["add", "--all"]);
    git(
        root,
        &["commit", "--quiet", "--message", "Workspace fields"],
    );
}

#[test]
fn a_new_chapter_verifies_at_once() {
    let scratch = Scratch::new("chapters-new");
    let root = course(&scratch);
    with_workspace_fields(&root);
    let output = on_fixture(&root, &["new", "ch2", "triple", "Tripling"]);
    assert!(output.status.success(), "{}", said(&output));
    assert!(root.join("exercises/ch02-triple/src/tests.rs").is_file());
    assert!(
        root.join("exercises/ch03-double").is_dir(),
        "the old chapter 2 moves up"
    );
    assert_eq!(
        read(&root, "book/src/SUMMARY.md"),
        "# Summary\n\n- [The answer](ch01-answer/index.md)\n- [Tripling](ch02-triple/index.md)\n\
         - [Doubling](ch03-double/index.md)\n"
    );
    let readme = read(&root, "README.md");
    assert!(
        readme.contains("| 2. Tripling |") && readme.contains("| 3. Doubling | c | d |"),
        "{readme}"
    );

    let verify = on_fixture(&root, &["verify", "ch2"]);
    assert!(verify.status.success(), "{}", said(&verify));
    assert!(
        said(&verify).contains("1 classic mistake") && said(&verify).contains("2 correct variants"),
        "{}",
        said(&verify)
    );

    let again = on_fixture(&root, &["new", "ch9", "late", "Late"]);
    assert!(said(&again).contains("give ch1 to ch4"), "{}", said(&again));
    let taken = on_fixture(&root, &["new", "ch4", "triple", "Again"]);
    assert!(said(&taken).contains("already"), "{}", said(&taken));
}
