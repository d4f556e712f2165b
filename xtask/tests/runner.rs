//! The runner's own tests: it is run, as a student runs it, against fixture chapters whose tests
//! pass, fail, reach a `todo!()`, panic, block with and without the watchdog, crash the test
//! program, or do not compile, and must give each its verdict within a bounded time.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

/// The limit for one run of the runner; the runner's own deadline for a stuck test is 2 s.
const RUN_LIMIT: Duration = Duration::from_secs(240);

/// The fixture workbook, copied under the target folder so that building it, its lock file and
/// the hints it remembers never touch the source tree. Files are rewritten only when they
/// changed, so cargo's incremental builds keep working across runs.
fn fixture() -> &'static Path {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    COPY.get_or_init(|| {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workbook");
        let copy = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-workbook");
        let testkit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testkit");
        let testkit = testkit.to_string_lossy().replace('\\', "/");
        common::sync_tree(&source, &copy, &|text| {
            text.replace("\"TESTKIT\"", &format!("\"{testkit}\""))
        });
        copy
    })
}

/// Runs `cargo xtask ARGS` on the fixture, bounded by the watchdog.
fn xtask(args: &[&str]) -> Output {
    xtask_in(fixture(), args)
}

fn xtask_in(root: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .arg("--root")
        .arg(root)
        .args(["--color", "never"])
        .args(args)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-target"),
        )
        .stdin(Stdio::null());
    let shown = args.join(" ");
    testkit::within(
        RUN_LIMIT,
        &format!("`cargo xtask {shown}` to finish"),
        move || command.output().expect("cannot run the runner"),
    )
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The verdicts of a JSON report, by test name.
fn verdicts(report: &Value) -> Vec<(String, String)> {
    report["tests"]
        .as_array()
        .expect("a report lists its tests")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn message_of<'a>(report: &'a Value, test: &str) -> &'a str {
    report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == test)
        .and_then(|t| t["message"].as_str())
        .unwrap_or_default()
}

#[test]
fn every_verdict_is_reported_in_json_in_the_order_of_the_test_file() {
    let output = xtask(&["check", "ch1", "--format", "json", "--timeout", "2"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("the report is JSON");
    assert_eq!(
        verdicts(&report),
        [
            ("adds_two_numbers", "passed"),
            ("doubles_a_number", "failed"),
            ("greets_politely", "todo"),
            ("picks_an_item", "panicked"),
            ("waits_with_a_watchdog", "timed out"),
            ("waits_without_a_watchdog", "timed out"),
        ]
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
    );
    assert!(message_of(&report, "doubles_a_number").contains("double(2) should be 4"));
    assert!(message_of(&report, "greets_politely").starts_with("`greet` is not yet implemented"));
    assert!(
        message_of(&report, "greets_politely").contains("exercises/ch01-verdicts/src/lib.rs:15")
    );
    assert!(message_of(&report, "picks_an_item").contains("index out of bounds"));
    assert!(
        message_of(&report, "waits_with_a_watchdog").contains("waiting for the peer to arrive")
    );
    assert!(message_of(&report, "waits_without_a_watchdog").contains("still running after 2 s"));
    assert_eq!(
        (report["passed"].as_u64(), report["total"].as_u64()),
        (Some(1), Some(6))
    );
    assert_eq!(
        (report["points"].as_u64(), report["max_points"].as_u64()),
        (Some(3), Some(8))
    );
}

#[test]
fn the_text_report_has_a_line_per_test_a_score_and_the_next_step() {
    let output = xtask(&["check", "1", "--timeout", "2"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    for line in [
        "      Passed adds two numbers",
        "      Failed doubles a number",
        "        Todo greets politely",
        "    Panicked picks an item",
        "   Timed out waits with a watchdog",
        "       Score 1/6 tests passed (3/8 points)",
        "cargo xtask hint ch1",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(
        !text.contains('\u{1b}'),
        "--color never must not colour:\n{text}"
    );
    assert!(
        !text.contains("RUST_BACKTRACE"),
        "backtrace notes are noise:\n{text}"
    );
}

#[test]
fn the_solution_passes_and_exits_zero() {
    let output = xtask(&["check", "ch01", "--solution"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("Score 6/6 tests passed"));
}

#[test]
fn a_compile_error_is_shown_briefly_with_file_and_line() {
    let output = xtask(&["check", "broken"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("does not compile"), "{text}");
    assert!(text.contains("error[E0308]: mismatched types"), "{text}");
    assert!(
        text.contains("exercises/ch02-broken/src/lib.rs:4"),
        "{text}"
    );
    assert!(
        text.contains("and 1 more error"),
        "only the first errors are shown in full:\n{text}"
    );
    assert!(
        text.lines().count() < 50,
        "a compile error should be short:\n{text}"
    );
}

#[test]
fn a_crashed_test_program_is_reported_not_hidden() {
    let output = xtask(&["check", "ch3", "--format", "json"]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        verdicts(&report),
        [("does_not_crash".to_owned(), "panicked".to_owned())]
    );
    assert!(message_of(&report, "does_not_crash").contains("crashed"));
}

#[test]
fn code_that_forges_its_results_and_leaves_a_child_behind_neither_fools_nor_stalls_the_runner() {
    // The fixture's `forge` prints `ok` for every test and ends the program; `linger` first
    // leaves a child that sleeps for two minutes holding the program's output pipes.
    let started = Instant::now();
    let output = xtask(&["check", "ch4", "--format", "json"]);
    let took = started.elapsed();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let graded: Vec<String> = verdicts(&report)
        .into_iter()
        .map(|(test, _)| test)
        .collect();
    assert_eq!(
        graded,
        ["forges_its_results", "leaves_a_child_behind", "plays_fair"],
        "only the test file's tests are graded, not the one in src/lib.rs"
    );
    for (test, verdict) in verdicts(&report) {
        assert_ne!(
            verdict, "passed",
            "{test} passed in a forged run:\n{report:#}"
        );
    }
    assert!(
        message_of(&report, "forges_its_results").contains("before libtest's summary"),
        "{report:#}"
    );
    assert!(
        took < Duration::from_secs(60),
        "the check took {took:?}: it waited for the child that sleeps for two minutes"
    );
}

#[test]
fn a_wrong_chapter_is_one_clear_sentence_and_exit_code_2() {
    let output = xtask(&["check", "ch99"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.starts_with("error: there is no chapter `ch99`; the chapters are ch1 (verdicts)"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn a_broken_manifest_is_a_clear_error() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("broken-manifest");
    fs::create_dir_all(&root).unwrap();
    fs::write(root.join("chapters.toml"), "[[chapter]]\nid = \"ch1\"\n").unwrap();
    let output = xtask_in(&root, &["check", "ch1"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("the chapter manifest"), "{message}");
    assert!(message.contains("is broken"), "{message}");
    assert!(message.contains("missing field"), "{message}");
}

#[test]
fn the_progress_table_covers_every_chapter() {
    let output = xtask(&["check", "--timeout", "2"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("In progress ch1  Every verdict"), "{text}");
    assert!(text.contains("Does not compile ch2"), "{text}");
    assert!(text.contains("Not started ch3"), "{text}");
    assert!(text.contains("Next cargo xtask check ch1"), "{text}");
}

#[test]
fn hints_come_one_at_a_time_and_can_start_over() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hints");
    fs::create_dir_all(&root).unwrap();
    fs::copy(fixture().join("chapters.toml"), root.join("chapters.toml")).unwrap();
    let _ = fs::remove_dir_all(root.join(".workbook"));

    let first = stdout(&xtask_in(&root, &["hint", "ch1"]));
    assert!(first.contains("Hint 1/3 First hint."), "{first}");
    assert!(!first.contains("Second hint"), "{first}");
    let second = stdout(&xtask_in(&root, &["hint", "ch1"]));
    assert!(second.contains("Hint 2/3 Second hint,"), "{second}");
    assert!(second.contains("on two lines."), "{second}");
    let all = stdout(&xtask_in(&root, &["hint", "ch1", "--all"]));
    assert!(all.contains("Third and last hint."), "{all}");
    xtask_in(&root, &["hint", "ch1", "--reset"]);
    let again = stdout(&xtask_in(&root, &["hint", "ch1"]));
    assert!(again.contains("Hint 1/3"), "{again}");
}

#[test]
fn verify_names_a_test_that_grades_nothing_and_a_mutant_that_survives() {
    let output = xtask(&["verify", "ch1", "--timeout", "2"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("`adds_two_numbers` passes on the untouched stub, so it grades nothing"),
        "{text}"
    );
    assert!(text.contains("mutant `harmless`"), "{text}");
    assert!(
        !text.contains("mutant `triples`"),
        "the tests catch this one:\n{text}"
    );
    assert!(
        text.contains("1 correct variant passes every test (by-addition)"),
        "{text}"
    );
    assert!(
        text.contains("the correct variant `quadruples` (Quadruples instead of doubling"),
        "{text}"
    );
    assert!(text.contains("`doubles_a_number` fails"), "{text}");
    assert!(
        text.lines().last().unwrap().starts_with("verify: "),
        "{text}"
    );
}

#[test]
fn verify_says_when_a_stub_does_not_compile() {
    let output = xtask(&["verify", "ch2"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("the stub does not compile"),
        "{}",
        stdout(&output)
    );
}
