//! Tests of what the runner grades: the tests of the chapter's own test file and nothing else. A
//! test a student adds elsewhere earns nothing, and a test of the file that the student's
//! program no longer contains (its `mod tests;` removed or hidden) is a failure, not a test less.
//!
//! Code that forges libtest's output or leaves children behind is in `runner.rs`, on the
//! fixture's `hostile` chapter.

use serde_json::Value;

mod common;

use common::*;

/// The verdicts of a `check --format json` report, as (test, verdict) pairs.
fn verdicts(output: &std::process::Output) -> Vec<(String, String)> {
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}", said(output)));
    report["tests"]
        .as_array()
        .unwrap_or_else(|| panic!("no tests in:\n{}", said(output)))
        .iter()
        .map(|test| {
            (
                test["name"].as_str().unwrap().to_owned(),
                test["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_test_the_student_adds_outside_the_test_file_earns_nothing() {
    let scratch = Scratch::new("grading-extra-test");
    let root = fixture(&scratch);
    write(
        &root,
        "exercises/ch01-answer/src/lib.rs",
        &format!(
            "{SOLVED}\n#[cfg(test)]\nmod mine {{\n    #[test]\n    fn free_points() {{}}\n}}\n"
        ),
    );
    let output = on_fixture(&root, &["check", "ch1", "--format", "json"]);
    assert_eq!(
        verdicts(&output),
        [("answers_forty_two".to_owned(), "passed".to_owned())],
        "{}",
        said(&output)
    );
}

#[test]
fn a_test_of_the_file_that_the_program_lacks_is_a_failure() {
    let scratch = Scratch::new("grading-missing-tests");
    let root = fixture(&scratch);
    write(
        &root,
        "exercises/ch01-answer/src/lib.rs",
        "pub fn answer() -> u32 {\n    42\n}\n",
    );
    let output = on_fixture(&root, &["check", "ch1", "--format", "json"]);
    assert_eq!(
        verdicts(&output),
        [("answers_forty_two".to_owned(), "failed".to_owned())],
        "{}",
        said(&output)
    );
    assert!(
        said(&output).contains("keep `#[cfg(test)] mod tests;` at the end of src/lib.rs"),
        "{}",
        said(&output)
    );
}

#[test]
fn a_missing_chapter_costs_its_own_points_and_no_others() {
    let scratch = Scratch::new("grading-missing-chapter");
    let root = fixture(&scratch);
    write(&root, "exercises/ch01-answer/src/lib.rs", SOLVED);
    std::fs::remove_dir_all(root.join("exercises/ch02-double")).unwrap();
    let output = on_fixture(&root, &["check", "--format", "json"]);
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}", said(&output)));
    let chapters = report["chapters"].as_array().expect("a list of chapters");
    assert_eq!(chapters.len(), 2, "{report:#}");
    assert_eq!(
        chapters[0]["points"], chapters[0]["max_points"],
        "{report:#}"
    );
    assert_eq!(chapters[0]["passed"], 1, "{report:#}");
    assert_eq!(chapters[1]["compiled"], false, "{report:#}");
    assert!(
        chapters[1]["compile_errors"][0]
            .as_str()
            .is_some_and(|e| e.contains("exercises/ch02-double is missing")),
        "{report:#}"
    );
}

#[test]
fn a_build_that_never_ends_is_stopped_with_everything_it_started() {
    let scratch = Scratch::new("grading-endless-build");
    let root = fixture(&scratch);
    write(
        &root,
        "exercises/ch01-answer/build.rs",
        "fn main() {\n    loop {\n        std::thread::sleep(std::time::Duration::from_millis(100));\n    }\n}\n",
    );
    let started = std::time::Instant::now();
    let mut command = runner(&root, &root.join("target"), &["check", "ch1"]);
    command.env("WORKBOOK_BUILD_LIMIT", "20");
    let output = testkit::within(
        std::time::Duration::from_secs(180),
        "the runner to give up on a build limited to 20 s",
        move || command.output().expect("cannot run the runner"),
    );
    let took = started.elapsed();
    assert!(
        said(&output).contains("took longer than") && said(&output).contains("build script"),
        "{}",
        said(&output)
    );
    assert!(
        took < std::time::Duration::from_secs(120),
        "the runner took {took:?} to give up on a build limited to 20 s"
    );
    #[cfg(unix)]
    {
        let left = std::process::Command::new("pgrep")
            .args(["-f", &root.join("target").to_string_lossy()])
            .output()
            .expect("cannot run pgrep");
        assert!(
            left.stdout.is_empty(),
            "processes of the stopped build still run: {}",
            text(&left.stdout)
        );
    }
}

#[test]
fn a_report_says_what_it_was_graded_with_and_an_edited_manifest_shows() {
    let scratch = Scratch::new("grading-graded-with");
    let root = fixture(&scratch);
    let graded_with = |root: &std::path::Path| {
        let output = on_fixture(root, &["check", "ch1", "--format", "json"]);
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}", said(&output)));
        report["graded_with"].clone()
    };
    let before = graded_with(&root);
    assert_eq!(before["runner"], env!("CARGO_PKG_VERSION"), "{before:#}");
    assert_eq!(
        before["tests"]["ch1"].as_str().map(str::len),
        Some(16),
        "{before:#}"
    );
    let manifest = std::fs::read_to_string(root.join("chapters.toml")).unwrap();
    std::fs::write(
        root.join("chapters.toml"),
        format!("{manifest}\n# edited\n"),
    )
    .unwrap();
    let after = graded_with(&root);
    assert_ne!(before["manifest"], after["manifest"], "{after:#}");
    assert_eq!(before["tests"], after["tests"], "{after:#}");
}
