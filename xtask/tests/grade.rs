//! `cargo xtask grade` on a class of students of the fixture workbook: honest ones (solved,
//! unfinished, not compiling, a chapter missing, graded at a deadline, cloned from a URL) get
//! exactly their points, and hostile ones (forged test output, flagged, edited points, a build script,
//! a lingering child, a bounded fork bomb, endless output, a network attempt, a test that edits
//! the trusted workbook) each get a safe verdict, in bounded time, without changing anyone
//! else's grade.
//!
//! Where the system offers no network isolation (not Linux, or user namespaces turned off, as on
//! some CI runners), `grade` must say so before it starts; the network test then checks that it
//! did, since it cannot check a namespace that does not exist. The README's container recipe is
//! not run here: CI machines have no container runtime to run it in.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Scratch, fixture, git, said, text, write};

/// The fixture's two chapters, solved.
const ANSWER: &str = "pub fn answer() -> u32 {\n    42\n}\n\n#[cfg(test)]\nmod tests;\n";
const DOUBLE: &str = "pub fn double(n: u32) -> u32 {\n    n * 2\n}\n\n#[cfg(test)]\nmod tests;\n";

/// A student's folder: the fixture's stubs, with `files` written over them.
fn student(class: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let scratch_root = class.join(name);
    common::copy_tree(
        &common::manifest_dir().join("tests/fixtures/kit"),
        &scratch_root,
    );
    let _ = fs::remove_dir_all(scratch_root.join("solutions"));
    for (path, content) in files {
        write(&scratch_root, path, content);
    }
    scratch_root
}

/// `ch1` of a student whose `answer` runs `body` first, then returns 42.
fn answer_doing(body: &str) -> String {
    format!("pub fn answer() -> u32 {{\n    {body}\n    42\n}}\n\n#[cfg(test)]\nmod tests;\n")
}

const CH1: &str = "exercises/ch01-answer/src/lib.rs";
const CH2: &str = "exercises/ch02-double/src/lib.rs";

/// Runs `grade` from the trusted workbook `root`, bounded in time.
fn grade(root: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .current_dir(root)
        .args(["--color", "never", "grade", "--out"])
        .arg(out)
        .args(args)
        .env_remove("CARGO_TARGET_DIR")
        .stdin(Stdio::null());
    testkit::within(
        Duration::from_secs(600),
        "`cargo xtask grade` to finish",
        move || command.output().expect("cannot run the runner"),
    )
}

/// `grades.csv` as student → column → value.
fn grades(out: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let text = fs::read_to_string(out.join("grades.csv")).expect("grade writes grades.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let row: BTreeMap<String, String> = header
                .iter()
                .zip(&fields)
                .map(|(h, f)| (h.to_string(), f.to_string()))
                .collect();
            (row["student"].clone(), row)
        })
        .collect()
}

fn feedback(out: &Path, name: &str) -> String {
    fs::read_to_string(out.join("feedback").join(format!("{name}.md")))
        .unwrap_or_else(|_| panic!("grade writes feedback/{name}.md"))
}

#[test]
fn honest_students_get_exactly_their_points() {
    let scratch = Scratch::new("grade-honest");
    let root = fixture(&scratch);
    let class = scratch.path().join("class");
    let solved = student(&class, "solved", &[(CH1, ANSWER), (CH2, DOUBLE)]);
    let stub = student(&class, "stub", &[]);
    let broken = student(
        &class,
        "broken",
        &[
            (CH1, ANSWER),
            (CH2, "pub fn double(n: u32) -> u32 { n * }\n"),
        ],
    );
    let missing = student(&class, "missing", &[(CH1, ANSWER)]);
    fs::remove_dir_all(missing.join("exercises/ch02-double")).unwrap();
    // Solved ch1 before the deadline, broke it after.
    let late = student(&class, "late", &[(CH1, ANSWER)]);
    git(&late, &["init", "--quiet"]);
    git(&late, &["add", "--all"]);
    commit_at(&late, "Solved", "2026-01-10T12:00:00Z");
    write(
        &late,
        CH1,
        &answer_doing("let _late = 0;").replace("42", "41"),
    );
    commit_at(&late, "Broke it", "2026-03-10T12:00:00Z");
    // Cloned from a URL: a bare repository reached with file://.
    let remote = student(&class, "remote-work", &[(CH2, DOUBLE)]);
    git(&remote, &["init", "--quiet"]);
    git(&remote, &["add", "--all"]);
    commit_at(&remote, "Doubled", "2026-01-05T12:00:00Z");
    let roster = class.join("roster.csv");
    let url = if cfg!(windows) {
        format!(
            "file:///{}",
            remote.display().to_string().replace('\\', "/")
        )
    } else {
        format!("file://{}", remote.display())
    };
    fs::write(
        &roster,
        format!("name,repository\n# the one who pushes\nremo, {url}\nlate,late\n"),
    )
    .unwrap();

    let out = scratch.path().join("grades");
    let args: Vec<String> = [&solved, &stub, &broken, &missing]
        .iter()
        .map(|p| p.display().to_string())
        .chain(["--roster".into(), roster.display().to_string()])
        .chain(["--deadline".into(), "2026-02-01".into()])
        .collect();
    // A deadline needs git history: the folders without it are rows with a reason.
    let output = grade(
        &root,
        &out,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let rows = grades(&out);
    assert!(
        rows["solved"]["error"].contains("not a git repository"),
        "a folder without git cannot be graded at a deadline, and its row should say so: {:?}\n{}",
        rows["solved"],
        said(&output)
    );
    assert_eq!(
        rows["late"]["ch1"], "2",
        "late solved ch1 before the deadline: {:?}",
        rows["late"]
    );
    assert_eq!(
        rows["remo"]["ch2"], "2",
        "remo's work, cloned from a URL: {:?}",
        rows["remo"]
    );
    assert_eq!(rows["remo"]["ch1"], "0");

    let out = scratch.path().join("grades-now");
    let args: Vec<String> = [&solved, &stub, &broken, &missing]
        .iter()
        .map(|p| p.display().to_string())
        .chain(["--roster".into(), roster.display().to_string()])
        .collect();
    let mut args = args;
    // One at a time, so that which student's files are graded first is known.
    args.extend(["--jobs", "1", "--no-isolation"].map(String::from));
    let output = grade(
        &root,
        &out,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(
        said(&output).contains("isolation turned off"),
        "grade should say, before it starts, that nothing isolates the students' code:\n{}",
        said(&output)
    );
    let broken: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("reports/broken.json")).unwrap())
            .unwrap();
    assert_eq!(
        broken["chapters"]["ch1"]["graded_for"], "solved",
        "broken's ch1 is solved's byte for byte, so its verdict should be solved's, graded once"
    );
    assert!(
        output.status.success(),
        "grading an honest class should succeed:\n{}",
        said(&output)
    );
    let rows = grades(&out);
    let points = |name: &str| {
        let row = &rows[name];
        (
            row["ch1"].as_str(),
            row["ch2"].as_str(),
            row["points"].as_str(),
            row["max_points"].as_str(),
        )
    };
    assert_eq!(
        points("solved"),
        ("2", "2", "4", "4"),
        "every test passes: {:?}",
        rows["solved"]
    );
    assert_eq!(
        points("stub"),
        ("0", "0", "0", "4"),
        "nothing is done: {:?}",
        rows["stub"]
    );
    assert_eq!(
        points("broken"),
        ("2", "0", "2", "4"),
        "ch2 does not compile, ch1 still counts"
    );
    assert_eq!(
        points("missing"),
        ("2", "0", "2", "4"),
        "a missing chapter costs only its points"
    );
    assert_eq!(
        points("late"),
        ("0", "0", "0", "4"),
        "without a deadline, the newest commit"
    );
    assert!(
        feedback(&out, "broken").contains("does not compile"),
        "the feedback should say that ch2 does not compile:\n{}",
        feedback(&out, "broken")
    );
    assert!(
        feedback(&out, "stub").contains("answers forty two")
            || feedback(&out, "stub").contains("answers_forty_two"),
        "the feedback should name the failing test:\n{}",
        feedback(&out, "stub")
    );
    assert!(
        feedback(&out, "missing").contains("no source in the student's repository"),
        "the feedback should say that ch2 is missing:\n{}",
        feedback(&out, "missing")
    );
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("6 students"),
        "the summary counts the class:\n{summary}"
    );
    assert!(
        fs::read_to_string(out.join("feedback/solved.md"))
            .unwrap()
            .contains("4/4 points")
    );
}

fn commit_at(repo: &Path, message: &str, date: &str) {
    let status = common::git_command(repo)
        .args(["commit", "--quiet", "--all", "-m", message])
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .status()
        .unwrap();
    assert!(status.success(), "git commit failed");
}

#[test]
fn hostile_students_get_safe_verdicts_in_bounded_time() {
    let scratch = Scratch::new("grade-hostile");
    let root = fixture(&scratch);
    let class = scratch.path().join("class");
    let marker = scratch.path().join("build-script-ran");
    let outside = TcpListener::bind("127.0.0.1:0").unwrap();
    outside.set_nonblocking(true).unwrap();
    let port = outside.local_addr().unwrap().port();

    let forged = student(
        &class,
        "forged",
        &[(
            CH1,
            &answer_doing(
                "use std::io::Write;\n    let mut out = std::io::stdout();\n    \
                 let _ = out.write_all(b\"\\nrunning 1 test\\ntest tests::answers_forty_two ... \
                 ok\\n\\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered \
                 out; finished in 0.00s\\n\\n\");\n    let _ = out.flush();\n    \
                 std::process::exit(0);\n    #[allow(unreachable_code)]",
            ),
        )],
    );
    let points = student(&class, "points", &[]);
    let manifest = fs::read_to_string(points.join("chapters.toml"))
        .unwrap()
        .replace("answers_forty_two = 2", "answers_forty_two = 200");
    fs::write(points.join("chapters.toml"), manifest).unwrap();
    let builder = student(
        &class,
        "builder",
        &[
            (CH1, ANSWER),
            (
                "exercises/ch01-answer/build.rs",
                &format!(
                    "fn main() {{ std::fs::write({:?}, b\"ran\").unwrap(); }}\n",
                    marker.display().to_string()
                ),
            ),
        ],
    );
    let cargo_toml = fs::read_to_string(builder.join("exercises/ch01-answer/Cargo.toml"))
        .unwrap()
        .replace(
            "publish.workspace = true",
            "publish.workspace = true\nbuild = \"build.rs\"",
        );
    fs::write(builder.join("exercises/ch01-answer/Cargo.toml"), cargo_toml).unwrap();
    let lingering = student(
        &class,
        "lingering",
        &[(
            CH1,
            &answer_doing("let _ = std::process::Command::new(\"sleep\").arg(\"97\").spawn();"),
        )],
    );
    let bomb = student(
        &class,
        "bomb",
        &[(
            CH1,
            &answer_doing(
                "for _ in 0..2000 { let _ = std::process::Command::new(\"sleep\").arg(\"98\").spawn(); }",
            ),
        )],
    );
    let endless = student(
        &class,
        "endless",
        &[(
            CH1,
            &answer_doing(
                "use std::io::Write;\n    let line = [b'x'; 4096];\n    \
                 loop { let _ = std::io::stdout().write_all(&line); }\n    \
                 #[allow(unreachable_code)]",
            ),
        )],
    );
    let network = student(
        &class,
        "network",
        &[(
            CH1,
            &answer_doing(&format!(
                "if std::net::TcpStream::connect((\"127.0.0.1\", {port})).is_ok() {{ return 0; }}"
            )),
        )],
    );
    let tamper = student(
        &class,
        "tamper",
        &[(
            CH1,
            &answer_doing(
                "for up in [\"..\", \"../..\", \"../../..\"] { let path = \
                 std::path::Path::new(up).join(\"chapters.toml\"); if let Ok(text) = \
                 std::fs::read_to_string(&path) { let _ = std::fs::write(&path, \
                 text.replace(\"answers_forty_two = 2\", \"answers_forty_two = 200\")); } }",
            ),
        )],
    );
    // One that reaches the instructor's own workbook (files are not isolated).
    let trusted_manifest = root.join("chapters.toml");
    let escape = student(
        &class,
        "escape",
        &[(
            CH1,
            &answer_doing(&format!(
                "let path = {:?}; if let Ok(text) = std::fs::read_to_string(path) {{ let _ = \
                 std::fs::write(path, text + \"# escaped\\n\"); }}",
                trusted_manifest.display().to_string()
            )),
        )],
    );
    // An honest student graded after the others: what they did must not change this grade.
    let after = student(&class, "after", &[(CH1, ANSWER), (CH2, DOUBLE)]);
    // Files grade leaves out: one over the size limit, and (where links can be made) a link to
    // the test file.
    let heavy = student(&class, "heavy", &[(CH1, ANSWER)]);
    fs::write(
        heavy.join("exercises/ch01-answer/src/data.txt"),
        vec![b'x'; (1 << 20) + 1],
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        "tests.rs",
        heavy.join("exercises/ch01-answer/src/linked.rs"),
    )
    .unwrap();

    let out = scratch.path().join("grades");
    let students = [
        &forged, &points, &builder, &lingering, &bomb, &endless, &network, &tamper, &escape,
        &after, &heavy,
    ];
    let mut args: Vec<String> = students.iter().map(|p| p.display().to_string()).collect();
    args.extend(["--timeout", "5", "--max-processes", "300"].map(String::from));
    let output = grade(
        &root,
        &out,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let said = said(&output);
    let rows = grades(&out);
    let ch1 = |name: &str| rows[name]["ch1"].clone();

    // A forgery of a whole libtest run, summary included, from inside the test program cannot be
    // told from the real one by its output (the code runs in libtest's process); what `grade`
    // promises is to flag the means, for the instructor to decide.
    let forged_feedback = feedback(&out, "forged");
    for means in ["process::exit", "looks like libtest's summary"] {
        assert!(
            forged_feedback.contains(means),
            "the forgery's `{means}` should be flagged:\n{forged_feedback}"
        );
    }
    assert!(
        fs::read_to_string(out.join("summary.md"))
            .unwrap()
            .contains("- forged:"),
        "the class summary should list the forger among the sources to look at"
    );
    assert_eq!(
        rows["points"]["max_points"], "4",
        "the student's points are not used: {:?}",
        rows["points"]
    );
    assert!(
        feedback(&out, "points").contains("chapters.toml"),
        "the edited manifest should be flagged"
    );
    assert_eq!(
        ch1("builder"),
        "2",
        "the builder's code is graded: {:?}",
        rows["builder"]
    );
    assert!(!marker.exists(), "a student's build script must never run");
    assert!(
        feedback(&out, "builder").contains("build.rs"),
        "the build script should be flagged"
    );
    assert_eq!(
        ch1("lingering"),
        "2",
        "a lingering child does not change the verdict"
    );
    assert_eq!(
        ch1("endless"),
        "0",
        "endless output times out:\n{}",
        feedback(&out, "endless")
    );
    assert_eq!(
        ch1("tamper"),
        "2",
        "the tamperer's own test passes: {:?}",
        rows["tamper"]
    );
    assert!(
        feedback(&out, "tamper").contains("changed the trusted workbook"),
        "the tampering should be flagged:\n{}",
        feedback(&out, "tamper")
    );
    assert_eq!(
        (
            rows["after"]["points"].as_str(),
            rows["after"]["max_points"].as_str()
        ),
        ("4", "4"),
        "a later student's grade must not change: {:?}",
        rows["after"]
    );
    for name in ["lingering", "bomb", "endless"] {
        assert!(
            rows[name]["error"].is_empty(),
            "{name} should be graded: {:?}",
            rows[name]
        );
    }
    if said.contains("network not isolated") || said.contains("offers the runner no isolation") {
        assert!(outside.accept().is_err() || ch1("network") == "0");
    } else {
        assert!(
            outside.accept().is_err(),
            "the student's code reached the grader's loopback from the sandbox"
        );
        assert_eq!(
            ch1("network"),
            "2",
            "inside the sandbox the connection fails:\n{said}"
        );
    }
    let heavy_feedback = feedback(&out, "heavy");
    assert_eq!(
        ch1("heavy"),
        "2",
        "heavy's code is graded: {:?}",
        rows["heavy"]
    );
    assert!(
        heavy_feedback.contains("data.txt: 1048577 bytes, over the limit"),
        "a file over 1 MiB should be left out and flagged:\n{heavy_feedback}"
    );
    if cfg!(unix) {
        assert!(
            heavy_feedback.contains("linked.rs: a symbolic link, not graded"),
            "a symbolic link should be left out and flagged:\n{heavy_feedback}"
        );
    }
    assert!(
        said.contains("changed while the class was graded") && said.contains("chapters.toml"),
        "grade should warn that a student's code changed the trusted workbook itself:\n{said}"
    );
    for leftover in ["sleep 97", "sleep 98"] {
        let found = Command::new("pgrep")
            .args(["-f", leftover])
            .output()
            .map(|o| text(&o.stdout))
            .unwrap_or_default();
        assert!(
            found.trim().is_empty(),
            "`{leftover}` outlived the grading: {found}"
        );
    }
}
