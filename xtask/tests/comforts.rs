//! Tests of the runner's comforts for students: the next step after a chapter passes is the
//! first chapter not done yet; a wait for cargo's lock is said at once; `reset` says how to put
//! the backup back, and `reset --restore` does; a student copy's `--help` leaves out the
//! instructors' commands; hints can be asked about one function at a time; and the proxy runs
//! anywhere, workbook or not.
//!
//! They run the runner as a person would, on throwaway copies of the small fixture workbook
//! (`tests/fixtures/kit/`), each in a folder and a build folder of its own, bounded in time.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

mod common;

use common::*;

/// Chapter 2 of the fixture, solved.
const DOUBLE: &str = "pub fn double(n: u32) -> u32 {\n    2 * n\n}\n\n#[cfg(test)]\nmod tests;\n";

/// The line of `output` that contains `word`, or a panic that shows everything.
fn line_with<'a>(output: &'a str, word: &str) -> &'a str {
    output
        .lines()
        .find(|line| line.contains(word))
        .unwrap_or_else(|| panic!("no line with {word:?} in:\n{output}"))
}

// 1. "Next" is the first chapter not done yet.

/// The fixture with a third chapter, so that a chapter can be skipped on the way.
fn three_chapters(scratch: &Scratch) -> PathBuf {
    let root = fixture(scratch);
    let manifest = fs::read_to_string(root.join("chapters.toml")).unwrap();
    write(
        &root,
        "chapters.toml",
        &format!(
            "{manifest}\n[[chapter]]\nid = \"ch3\"\nslug = \"triple\"\ntitle = \"Tripling\"\n\
             exercise = \"ch03-triple\"\nsolution = \"ch03-triple-solution\"\nhints = [\"Add.\"]\n"
        ),
    );
    write(
        &root,
        "exercises/ch03-triple/Cargo.toml",
        "[package]\nname = \"ch03-triple\"\nversion = \"0.1.0\"\nedition.workspace = true\n\
         publish.workspace = true\n\n[lib]\ndoctest = false\n",
    );
    write(
        &root,
        "exercises/ch03-triple/src/lib.rs",
        "pub fn triple(n: u32) -> u32 {\n    3 * n\n}\n\n#[cfg(test)]\nmod tests;\n",
    );
    write(
        &root,
        "exercises/ch03-triple/src/tests.rs",
        "use super::*;\n\n#[test]\nfn triples_two() {\n    assert_eq!(triple(2), 6);\n}\n",
    );
    root
}

#[test]
fn next_is_the_first_chapter_not_done_going_by_the_last_checks() {
    let scratch = Scratch::new("next");
    let root = three_chapters(&scratch);
    write(&root, "exercises/ch01-answer/src/lib.rs", SOLVED);

    // Chapter 3 passes before chapter 1 was ever checked: next is chapter 1.
    let output = on_fixture(&root, &["check", "ch3"]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    let out = text(&output.stdout);
    assert!(
        out.contains("Done ch3 is done. Next: ch1 (The answer), `cargo xtask check ch1`"),
        "{out}"
    );
    assert!(
        out.contains("ch1 has not been checked yet (from the runner's record of last checks, .workbook/results; `cargo xtask check` checks every chapter again)"),
        "{out}"
    );

    // Chapter 1 passes: next is simply chapter 2, with nothing to explain.
    let output = on_fixture(&root, &["check", "ch1"]);
    let out = text(&output.stdout);
    assert!(out.contains("ch1 is done. Next: ch2 (Doubling)"), "{out}");
    assert!(!out.contains("record of last checks"), "{out}");

    // Chapter 2 passes, and the record says the others do: every chapter is done.
    write(&root, "exercises/ch02-double/src/lib.rs", DOUBLE);
    let output = on_fixture(&root, &["check", "ch2"]);
    let out = text(&output.stdout);
    assert!(
        out.contains(
            "ch2 is done, and so is every other chapter: each passed its last check. Well done!"
        ),
        "{out}"
    );

    // Chapter 3 changes after it passed: checking chapter 1 again skips chapter 2, which
    // passed, and names chapter 3, saying why.
    let lib = root.join("exercises/ch03-triple/src/lib.rs");
    let edited = fs::read_to_string(&lib).unwrap() + "// Tidied.\n";
    fs::write(&lib, edited).unwrap();
    let output = on_fixture(&root, &["check", "ch1"]);
    let out = text(&output.stdout);
    assert!(
        out.contains("ch1 is done. Next: ch3 (Tripling), `cargo xtask check ch3`"),
        "{out}"
    );
    assert!(
        out.contains(
            "the first chapter not done yet: ch2 passed its last check, and ch3 passed its last \
             check but has changed since"
        ),
        "{out}"
    );

    // The record is the runner's own, in .workbook/ (which git ignores).
    let record = fs::read_to_string(root.join(".workbook/results")).unwrap();
    assert!(record.contains("ch1 passed "), "{record}");
    assert!(record.contains("ch2 passed "), "{record}");
}

#[test]
fn a_chapter_that_fails_now_is_next_again() {
    let scratch = Scratch::new("next-failed");
    let root = three_chapters(&scratch);
    write(&root, "exercises/ch01-answer/src/lib.rs", SOLVED);
    write(&root, "exercises/ch02-double/src/lib.rs", DOUBLE);
    // The progress table grades every chapter, and so records them all.
    let table = on_fixture(&root, &["check"]);
    assert_eq!(table.status.code(), Some(0), "{}", said(&table));
    // Chapter 2 breaks and is checked: it did not pass its last check.
    write(
        &root,
        "exercises/ch02-double/src/lib.rs",
        &DOUBLE.replace("2 * n", "n + n + 1"),
    );
    let failed = on_fixture(&root, &["check", "ch2"]);
    assert_eq!(failed.status.code(), Some(1));
    let output = on_fixture(&root, &["check", "ch3"]);
    let out = text(&output.stdout);
    assert!(out.contains("ch3 is done. Next: ch2 (Doubling)"), "{out}");
    assert!(out.contains("ch2 did not pass its last check"), "{out}");
}

// 2. Waiting for cargo's lock is said at once.

/// A crate whose build script holds cargo's lock on the build folder until `release` appears
/// in `folder` (or two minutes pass); it writes `started` when it starts.
fn lock_holder(folder: &Path) -> PathBuf {
    let holder = folder.join("lock-holder");
    write(
        &holder,
        "Cargo.toml",
        "[package]\nname = \"lock-holder\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    );
    write(&holder, "src/lib.rs", "");
    write(
        &holder,
        "build.rs",
        &format!(
            "use std::time::{{Duration, Instant}};\n\
             fn main() {{\n\
             \x20   let folder = std::path::Path::new({folder:?});\n\
             \x20   std::fs::write(folder.join(\"started\"), \"\").unwrap();\n\
             \x20   let start = Instant::now();\n\
             \x20   while !folder.join(\"release\").exists() && start.elapsed() < Duration::from_secs(120) {{\n\
             \x20       std::thread::sleep(Duration::from_millis(20));\n\
             \x20   }}\n\
             }}\n",
            folder = folder.to_string_lossy()
        ),
    );
    holder
}

/// Waits until `path` exists; panics after the limit.
fn wait_for_file(path: &Path, limit: Duration) {
    let deadline = Instant::now() + limit;
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Kills a child process when dropped, so a failed test leaves nothing running.
struct Running(Option<Child>);

impl Running {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("still running")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn the_proxy_runs_outside_any_workbook() {
    let scratch = Scratch::new("proxy");
    // An echo server for the proxy to forward to.
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = server.local_addr().unwrap().to_string();
    thread::spawn(move || {
        if let Ok((mut stream, _)) = server.accept() {
            let mut writer = stream.try_clone().unwrap();
            let _ = std::io::copy(&mut stream, &mut writer);
        }
    });
    let mut proxy = Running(Some(
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .current_dir(scratch.path())
            .args(["--color", "never", "proxy", "--listen", "127.0.0.1:0"])
            .args(["--to", &target, "--chunk", "1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot run the runner"),
    ));
    let (send, lines) = mpsc::channel();
    let stdout = proxy.child().stdout.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let first = lines
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| {
            let child = proxy.0.take().unwrap();
            panic!(
                "the proxy started outside a workbook said nothing: {}",
                said(&child.wait_with_output().unwrap())
            )
        });
    let address = first
        .strip_prefix("proxy on ")
        .and_then(|rest| rest.split_once(','))
        .map(|(address, _)| address.to_owned())
        .unwrap_or_else(|| panic!("not the proxy's first line: {first}"));
    let echoed = testkit::within(RUN_LIMIT, "an echo through the proxy", move || {
        use std::io::{Read, Write};
        let mut client = std::net::TcpStream::connect(address).unwrap();
        client.write_all(b"hi").unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut echoed = Vec::new();
        client.read_to_end(&mut echoed).unwrap();
        echoed
    });
    assert_eq!(echoed, b"hi");
    let piece = lines
        .recv_timeout(Duration::from_secs(10))
        .expect("the proxy printed nothing of the connection");
    assert!(piece.starts_with("#1 "), "{piece}");
}

#[test]
fn waiting_for_another_builds_lock_is_said_at_once() {
    let scratch = Scratch::new("lock");
    let root = fixture(&scratch);
    let holder = lock_holder(scratch.path());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // Another build in the same build folder, holding cargo's lock while its script runs.
    let mut other = Running(Some(
        Command::new(cargo)
            .current_dir(&holder)
            .args(["build", "--quiet"])
            .env("CARGO_TARGET_DIR", root.join("target"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot run cargo"),
    ));
    wait_for_file(&scratch.path().join("started"), RUN_LIMIT);

    let mut check = Running(Some(
        runner(&root, &root.join("target"), &["check", "ch1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot run the runner"),
    ));
    let (send, lines) = mpsc::channel();
    let stderr = check.child().stderr.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    // The other build holds the lock until `release` appears, so the check cannot end before:
    // the runner must say why it waits while it waits.
    let waiting = lines
        .recv_timeout(Duration::from_secs(60))
        .expect("the runner said nothing on stderr while cargo waited for the lock");
    assert!(
        waiting.starts_with(
            "     Waiting for another build to finish: cargo waits for its lock on the "
        ),
        "{waiting}"
    );
    assert!(
        check.child().try_wait().unwrap().is_none(),
        "the check ended while the lock was held"
    );
    fs::write(scratch.path().join("release"), "").unwrap();

    let child = check.0.take().unwrap();
    let output = testkit::within(
        RUN_LIMIT,
        "the check to finish once the lock is free",
        move || {
            child
                .wait_with_output()
                .expect("cannot wait for the runner")
        },
    );
    let out = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("Todo answers forty two"), "{out}");
    assert!(
        lines.try_iter().all(|line| !line.contains("Waiting")),
        "said once"
    );
    let holder = other.0.take().unwrap();
    testkit::within(RUN_LIMIT, "the other build to finish", move || {
        holder.wait_with_output().expect("cannot wait for cargo")
    });
}

// 3. `reset` says how to put the backup back, and `reset --restore` does.

fn backups(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root.join(".workbook/backups"))
        .into_iter()
        .flatten()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn reset_prints_the_command_that_puts_the_backup_back_and_it_works() {
    let scratch = Scratch::new("restore");
    let root = fixture_in_git(&scratch);
    let lib = root.join("exercises/ch01-answer/src/lib.rs");
    let stub = fs::read_to_string(&lib).unwrap();
    fs::write(&lib, STUDENT_WORK).unwrap();
    git(
        &root,
        &["commit", "--quiet", "--all", "--message", "My work"],
    );

    let reset = on_fixture(&root, &["reset", "ch1"]);
    assert_eq!(reset.status.code(), Some(0), "{}", said(&reset));
    assert_eq!(fs::read_to_string(&lib).unwrap(), stub);
    let out = text(&reset.stdout);
    let [backup] = &backups(&root)[..] else {
        panic!("one backup: {:?}", backups(&root));
    };
    let undo = line_with(&out, "Undo");
    let command = format!("cargo xtask reset ch1 --restore {backup}");
    assert_eq!(
        undo,
        format!("        Undo {command} puts your version back")
    );

    // The command, as printed, without the `cargo xtask` that cargo's alias stands for.
    let args: Vec<&str> = command.split(' ').skip(2).collect();
    let restored = on_fixture(&root, &args);
    assert_eq!(restored.status.code(), Some(0), "{}", said(&restored));
    assert_eq!(fs::read_to_string(&lib).unwrap(), STUDENT_WORK);
    let out = text(&restored.stdout);
    assert!(
        out.contains(&format!(
            "Restored exercises/ch01-answer/ from .workbook/backups/{backup}/"
        )),
        "{out}"
    );
    assert_eq!(
        backups(&root).len(),
        1,
        "the stub it replaced needs no backup: reset brings it back"
    );
    let again = on_fixture(&root, &["reset", "ch1", "--restore"]);
    assert!(
        text(&again.stdout).contains("Unchanged"),
        "{}",
        said(&again)
    );

    // Restoring over other work keeps that work in a backup of its own first.
    fs::write(&lib, "// Something else.\n").unwrap();
    let over = on_fixture(
        &root,
        &[
            "reset",
            "--restore",
            "ch1",
            &format!(".workbook/backups/{backup}/"),
        ],
    );
    assert_eq!(over.status.code(), Some(0), "{}", said(&over));
    assert_eq!(fs::read_to_string(&lib).unwrap(), STUDENT_WORK);
    let names = backups(&root);
    assert_eq!(names.len(), 2, "{names:?}");
    let newer = names.iter().find(|name| *name != backup).unwrap();
    assert!(
        text(&over.stdout).contains(&format!(
            "Saved the version of ch1 that was there in .workbook/backups/{newer}/ (cargo xtask \
             reset ch1 --restore {newer} brings it back)"
        )),
        "{}",
        said(&over)
    );
    assert_eq!(
        fs::read_to_string(
            root.join(".workbook/backups")
                .join(newer)
                .join("src/lib.rs")
        )
        .unwrap(),
        "// Something else.\n"
    );

    // A backup that does not exist, or a chapter without backups: one clear sentence.
    let wrong = on_fixture(
        &root,
        &["reset", "ch1", "--restore", "ch01-answer-20000101-000000"],
    );
    assert_eq!(wrong.status.code(), Some(2));
    let message = text(&wrong.stderr);
    assert!(
        message.starts_with("error: there is no backup `ch01-answer-20000101-000000` of ch1 in .workbook/backups/; its backups are ch01-answer-"),
        "{message}"
    );
    let none = on_fixture(&root, &["reset", "ch2", "--restore"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(
        text(&none.stderr).starts_with("error: there is no backup of ch2 in .workbook/backups/ to restore; `cargo xtask reset ch2` makes one"),
        "{}",
        said(&none)
    );
}

// 4. A student copy's `--help` leaves out the instructors' commands.

#[test]
fn a_student_copys_help_leaves_out_what_refuses_to_run_there() {
    let scratch = Scratch::new("help");
    let full = fixture(&scratch);
    let student = scratch.path().join("student");
    let manifest = fs::read_to_string(full.join("chapters.toml")).unwrap();
    let without_solutions: String = manifest
        .lines()
        .filter(|line| !line.starts_with("solution = "))
        .map(|line| format!("{line}\n"))
        .collect();
    write(&student, "chapters.toml", &without_solutions);

    let commands = |help: &str| -> Vec<String> {
        help.lines()
            .skip_while(|line| *line != "Commands:")
            .skip(1)
            .take_while(|line| line.starts_with("  "))
            .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
            .collect()
    };
    let full_help = text(&on_fixture(&full, &["--help"]).stdout);
    let listed = commands(&full_help);
    for name in ["check", "hint", "reset", "export", "verify", "solution"] {
        assert!(
            listed.iter().any(|c| c == name),
            "{name} in {listed:?}:\n{full_help}"
        );
    }
    assert!(text(&on_fixture(&full, &["check", "--help"]).stdout).contains("--solution"));

    let student_help = on_fixture(&student, &["--help"]);
    assert_eq!(student_help.status.code(), Some(0));
    let listed = commands(&text(&student_help.stdout));
    for name in ["check", "hint", "reset", "watch", "book", "proxy"] {
        assert!(listed.iter().any(|c| c == name), "{name} in {listed:?}");
    }
    for name in ["export", "verify", "solution"] {
        assert!(!listed.iter().any(|c| c == name), "{name} in {listed:?}");
    }
    let check_help = text(&on_fixture(&student, &["check", "--help"]).stdout);
    assert!(!check_help.contains("--solution"), "{check_help}");
    // Still understood, to say why it cannot run.
    let refused = on_fixture(&student, &["solution", "ch1"]);
    assert!(
        text(&refused.stderr).starts_with("error: this is a student copy: it has no solutions"),
        "{}",
        said(&refused)
    );
}

// 7. Hints about one function.

/// A workbook with one chapter whose hints are about two functions, and one about neither.
fn hints_workbook(scratch: &Scratch) -> PathBuf {
    let root = scratch.path().join("hints");
    write(
        &root,
        "chapters.toml",
        r#"[[chapter]]
id = "ch1"
slug = "parts"
title = "Two parts"
exercise = "ch01-parts"
solution = "ch01-parts-solution"
hints = [
    "Read the chapter first.",
    "`encode` turns each byte into two hex digits.",
    "`Decoder::new` starts with an empty buffer.",
    "`encode`: `format!(\"{:02x}\", byte)` for each byte.",
    "`feed` keeps half a pair for the next call, as `Decoder` must.",
]
"#,
    );
    write(
        &root,
        "exercises/ch01-parts/src/lib.rs",
        "pub fn encode(bytes: &[u8]) -> String {\n    todo!()\n}\n\n\
         pub struct Decoder {\n    pending: Option<u8>,\n}\n\n\
         impl Decoder {\n    pub fn new() -> Self {\n        todo!()\n    }\n\n\
         \x20   pub fn feed(&mut self, text: &str) -> Vec<u8> {\n        todo!()\n    }\n}\n\n\
         pub fn unused() {}\n",
    );
    root
}

#[test]
fn hints_about_one_function_come_one_at_a_time_apart_from_the_chapters() {
    let scratch = Scratch::new("hints");
    let root = hints_workbook(&scratch);
    let hint = |args: &[&str]| {
        let mut all = vec!["hint"];
        all.extend(args);
        let output = on_fixture(&root, &all);
        assert_eq!(output.status.code(), Some(0), "{}", said(&output));
        text(&output.stdout)
    };

    let first = hint(&["ch1", "encode"]);
    assert!(
        first.contains("       Hints 2 of ch1's 5 hints are about `encode` (hints 2 and 4)"),
        "{first}"
    );
    assert!(
        first.contains("(hint 1 names none of the exercise's functions: it comes only in the chapter's order, `cargo xtask hint ch1`)"),
        "{first}"
    );
    assert!(
        first.contains("    Hint 1/2 `encode` turns each byte"),
        "{first}"
    );
    assert!(!first.contains("format!"), "one at a time:\n{first}");
    assert!(
        !first.contains("Decoder"),
        "nothing about another part:\n{first}"
    );
    assert!(
        first.contains("More cargo xtask hint ch1 encode again shows the next hint about `encode`"),
        "{first}"
    );
    let second = hint(&["ch1", "encode"]);
    assert!(
        second.contains("    Hint 2/2 `encode`: `format!"),
        "{second}"
    );
    assert!(
        second.contains("Last that was every hint about `encode`"),
        "{second}"
    );

    // The chapter's own hints have not moved on.
    let chapter = hint(&["ch1"]);
    assert!(
        chapter.contains("Hint 1/5 Read the chapter first."),
        "{chapter}"
    );
    assert!(!chapter.contains("encode"), "{chapter}");

    // A type gives its methods' hints too, in any case; `--all` shows them at once.
    let decoder = hint(&["ch1", "decoder", "--all"]);
    assert!(
        decoder.contains("Hints 2 of ch1's 5 hints are about `Decoder` (hints 3 and 5)"),
        "{decoder}"
    );
    assert!(decoder.contains("Hint 1/2 `Decoder::new`"), "{decoder}");
    assert!(
        decoder.contains("Hint 2/2 `feed` keeps half a pair"),
        "{decoder}"
    );
    let feed = hint(&["ch1", "feed"]);
    assert!(
        feed.contains("Hints 1 of ch1's 5 hints is about `Decoder::feed` (hint 5)"),
        "{feed}"
    );
    assert!(feed.contains("Hint 1/1 `feed` keeps half a pair"), "{feed}");

    // Progress is kept per function, and forgotten per function.
    let state = fs::read_to_string(root.join(".workbook/hints")).unwrap();
    assert_eq!(state, "ch1=1\nch1:Decoder::feed=1\nch1:encode=2\n");
    hint(&["ch1", "encode", "--reset"]);
    let state = fs::read_to_string(root.join(".workbook/hints")).unwrap();
    assert_eq!(state, "ch1=1\nch1:Decoder::feed=1\n");
    let again = hint(&["ch1", "encode"]);
    assert!(again.contains("Hint 1/2"), "{again}");
    hint(&["ch1", "--reset"]);
    let state = fs::read_to_string(root.join(".workbook/hints")).unwrap();
    assert_eq!(
        state, "",
        "the chapter's reset starts every function over too"
    );

    // A name no hint is about: one sentence that lists those that have hints.
    for (name, start) in [
        ("unused", "error: no hint of ch1 is about `unused`"),
        (
            "decode",
            "error: ch1 has no function or type `decode` that a hint is about",
        ),
    ] {
        let output = on_fixture(&root, &["hint", "ch1", name]);
        assert_eq!(output.status.code(), Some(2));
        let message = text(&output.stderr);
        assert!(message.starts_with(start), "{message}");
        assert!(
            message.contains(
                "its hints are about `Decoder`, `encode`, `Decoder::new` and `Decoder::feed` (or \
                 `cargo xtask hint ch1` shows them all in order)"
            ),
            "{message}"
        );
        assert_eq!(message.lines().count(), 1, "{message}");
    }
}
