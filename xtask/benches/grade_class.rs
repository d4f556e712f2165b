//! Benchmark: `cargo xtask grade` on a generated class of 50 students of this workbook, graded
//! the way an instructor grades (one shared build, as many lanes as cores, the default limits).
//!
//! Run with `cargo bench -p xtask --bench grade_class` (several minutes; nothing else heavy
//! should run meanwhile). It writes the class to `target/grade-bench/class/` and the grades to
//! `target/grade-bench/out/`, both fresh on every run, and reports:
//!
//! - the time of the whole run and of the grading alone, the time per student (the `seconds`
//!   column of `grades.csv`) by kind of student, and the projection for 200 students (the target
//!   is under 30 minutes on 2 cores; the projection is reported, not failed on, as it depends on
//!   the machine's load);
//! - the disk used by the output folder: the stages' build folders, and the rest;
//! - a PASS or FAIL line for every hostile student (forged libtest output, edited points, a build
//!   script, a lingering child, a bounded fork bomb, endless output, a network attempt, a test
//!   that edits the trusted workbook), and one for the honest students, whose points must be
//!   exactly what their solved chapters are worth. It exits non-zero when a check fails.
//!
//! The class: every student starts as a copy of `exercises/`. A solved chapter's `src/lib.rs` is
//! the reference solution's, without its `#[path]` lines (the exercise has those files itself),
//! and with a comment naming the student, so that no two students hand in the same file (`grade`
//! reuses a verdict for identical files, which would flatter the figures). A seeded generator
//! decides who solved what, who is a git repository and who is in the roster:
//! `GRADE_BENCH_SEED=N` replays a class, `GRADE_BENCH_STUDENTS=N` changes its size (at least 12).
//! The hostile students start `sleep` and the checks look for it with `pgrep`: run it on Linux
//! (where `grade` has its sandbox) or macOS.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use indoc::formatdoc;

/// The class size when `GRADE_BENCH_STUDENTS` does not say.
const CLASS: usize = 50;
/// The seed when `GRADE_BENCH_SEED` does not say, so that runs can be compared.
const SEED: u64 = 2026;
/// The whole run of `grade` may take at most this long before it is stopped and reported.
const RUN_LIMIT: Duration = Duration::from_secs(90 * 60);
/// The test whose points the hostile students try to raise (chapter 1's two-point test).
const RAISED: &str = "request_sends_everything_and_reads_the_whole_reply";
/// `grade`'s own limit for a chapter's tests (its `--timeout` default), for the endless output
/// student's bound.
const TEST_TIMEOUT_SECS: f64 = 30.0;
/// How many processes the fork bomb starts at most: more than `grade`'s default limit of 4096.
const BOMB: usize = 5000;
/// The projection's target: 200 students in under 30 minutes.
const TARGET_STUDENTS: f64 = 200.0;
const TARGET_MINUTES: f64 = 30.0;

/// A tiny xorshift64* generator: enough to mix a class, no crate needed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() % (high - low + 1) as u64) as usize
    }
}

/// A chapter as the trusted workbook has it.
struct Chapter {
    id: String,
    /// The exercise's folder under `exercises/` (the solution's under `solutions/` too).
    folder: String,
    /// The tests of `src/tests.rs`, in order, with their points.
    tests: Vec<(String, u32)>,
}

impl Chapter {
    fn worth(&self) -> u32 {
        self.tests.iter().map(|(_, points)| points).sum()
    }

    fn lib(&self) -> String {
        format!("exercises/{}/src/lib.rs", self.folder)
    }
}

/// The hostile students: each tries one way to fool or escape the grader in chapter 1.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Hostile {
    Forged,
    Points,
    BuildScript,
    Lingering,
    ForkBomb,
    Endless,
    Network,
    Tamper,
}

const HOSTILE: [Hostile; 8] = [
    Hostile::Forged,
    Hostile::Points,
    Hostile::BuildScript,
    Hostile::Lingering,
    Hostile::ForkBomb,
    Hostile::Endless,
    Hostile::Network,
    Hostile::Tamper,
];

impl Hostile {
    fn describe(self) -> &'static str {
        match self {
            Hostile::Forged => "forged libtest output, then process::exit(0)",
            Hostile::Points => "chapters.toml edited to give a test 200 points",
            Hostile::BuildScript => "a build script in the exercise's Cargo.toml",
            Hostile::Lingering => "a child process left running",
            Hostile::ForkBomb => "a bounded fork bomb",
            Hostile::Endless => "endless output to stdout",
            Hostile::Network => "a connection to the grader's loopback",
            Hostile::Tamper => "a test that edits the trusted workbook",
        }
    }
}

/// What a student handed in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Nothing: the stubs as handed out.
    Stub,
    /// Chapters 1 to `k` solved (all of them when `k` is the number of chapters).
    Solved(usize),
    /// Chapters 1 to `k` solved, and chapter `broken` (one of those) does not compile.
    Broken { solved: usize, broken: usize },
    /// Chapter 1 solved, with a trick; the other chapters are stubs.
    Hostile(Hostile),
}

struct Student {
    name: String,
    kind: Kind,
    git: bool,
    in_roster: bool,
}

impl Student {
    fn label(&self, chapters: usize) -> &'static str {
        match self.kind {
            Kind::Stub => "untouched stubs",
            Kind::Solved(k) if k == chapters => "everything solved",
            Kind::Solved(_) => "chapters 1..k solved",
            Kind::Broken { .. } => "a compile error",
            Kind::Hostile(_) => "hostile",
        }
    }

    /// The points the student must get in each chapter, for an honest student.
    fn expected(&self, chapters: &[Chapter]) -> Option<Vec<u32>> {
        let (solved, broken) = match self.kind {
            Kind::Stub => (0, None),
            Kind::Solved(k) => (k, None),
            Kind::Broken { solved, broken } => (solved, Some(broken)),
            Kind::Hostile(_) => return None,
        };
        Some(
            chapters
                .iter()
                .enumerate()
                .map(|(index, chapter)| {
                    let number = index + 1;
                    if number <= solved && Some(number) != broken {
                        chapter.worth()
                    } else {
                        0
                    }
                })
                .collect(),
        )
    }
}

/// Everything the hostile code needs to know about this run.
struct Traps {
    /// Where the build script would write.
    marker: PathBuf,
    /// What the network student tries to reach, and its port.
    listener: TcpListener,
    port: u16,
    /// The trusted workbook's manifest, and what it holds, which the tamperer tries to edit.
    manifest: PathBuf,
    manifest_before: Vec<u8>,
    /// The arguments of the `sleep`s the lingering child and the fork bomb start: unique to this
    /// run, so that what is found afterwards is theirs.
    lingering: String,
    bomb: String,
    /// Where each trick writes what it did (files are not isolated).
    witnesses: PathBuf,
}

impl Traps {
    fn witness(&self, hostile: Hostile) -> PathBuf {
        self.witnesses.join(format!("{hostile:?}"))
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the workbook")
        .to_path_buf();
    let seed = env_number("GRADE_BENCH_SEED").unwrap_or(SEED);
    let size = env_number("GRADE_BENCH_STUDENTS").map_or(CLASS, |n| n as usize);
    assert!(
        size >= HOSTILE.len() + 4,
        "GRADE_BENCH_STUDENTS must be at least {}: the hostile students and one honest student \
         of each kind",
        HOSTILE.len() + 4
    );
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!(
        "grade_class: a class of {size}, seed {seed} (GRADE_BENCH_SEED=N to change), {cores} cores"
    );

    let bench = root.join("target/grade-bench");
    let (class, out) = (bench.join("class"), bench.join("out"));
    for folder in [&class, &out] {
        if folder.exists() {
            fs::remove_dir_all(folder)
                .unwrap_or_else(|e| panic!("cannot remove {}: {e}", folder.display()));
        }
    }
    fs::create_dir_all(&class).unwrap();
    let chapters = load_chapters(&root);

    let listener = TcpListener::bind("127.0.0.1:0").expect("cannot listen on 127.0.0.1");
    listener.set_nonblocking(true).unwrap();
    let unique = 50_000 + (std::process::id() % 10_000) * 2;
    let traps = Traps {
        marker: bench.join("build-script-ran"),
        port: listener.local_addr().unwrap().port(),
        listener,
        manifest: root.join("chapters.toml"),
        manifest_before: fs::read(root.join("chapters.toml")).unwrap(),
        lingering: unique.to_string(),
        bomb: (unique + 1).to_string(),
        witnesses: bench.join("witness"),
    };
    let _ = fs::remove_file(&traps.marker);
    let _ = fs::remove_dir_all(&traps.witnesses);
    fs::create_dir_all(&traps.witnesses).unwrap();

    let students = plan(seed, size, chapters.len());
    let made = Instant::now();
    for student in &students {
        make_student(&root, &class, student, &chapters, &traps);
    }
    let roster: Vec<&Student> = students.iter().filter(|s| s.in_roster).collect();
    let mut roster_text = String::from("name,repository\n");
    for student in &roster {
        let _ = writeln!(roster_text, "{0},{0}", student.name);
    }
    fs::write(class.join("roster.csv"), roster_text).unwrap();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for student in &students {
        *counts.entry(student.label(chapters.len())).or_default() += 1;
    }
    let to_grade: usize = students
        .iter()
        .map(|s| match s.kind {
            Kind::Stub => 0,
            Kind::Solved(k) | Kind::Broken { solved: k, .. } => k,
            Kind::Hostile(_) => 1,
        })
        .sum();
    println!(
        "  made the class in {:.1} s: {}; {} git repositories, {} in the roster",
        made.elapsed().as_secs_f64(),
        counts
            .iter()
            .map(|(label, n)| format!("{n} {label}"))
            .collect::<Vec<_>>()
            .join(", "),
        students.iter().filter(|s| s.git).count(),
        roster.len()
    );

    // `grade`, from the workbook's root, as an instructor runs it.
    let log_path = bench.join("grade.log");
    let log = fs::File::create(&log_path).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .current_dir(&root)
        .args(["--color", "never", "grade", "--out"])
        .arg(&out)
        .arg("--roster")
        .arg(class.join("roster.csv"))
        .args(
            students
                .iter()
                .filter(|s| !s.in_roster)
                .map(|s| class.join(&s.name)),
        )
        .env_remove("CARGO_TARGET_DIR")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    println!(
        "  grading {to_grade} solved or hostile chapters (the stubs' verdicts are reused); the \
         log is {}",
        shown(&root, &log_path)
    );
    let started = Instant::now();
    let mut child = command.spawn().expect("cannot run the runner");
    let mut shown_up_to = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > RUN_LIMIT {
            stop(&mut child);
            break None;
        }
        shown_up_to = echo_progress(&log_path, shown_up_to);
        std::thread::sleep(Duration::from_secs(1));
    };
    echo_progress(&log_path, shown_up_to);
    let wall = started.elapsed().as_secs_f64();
    let said = fs::read_to_string(&log_path).unwrap_or_default();

    let mut checks = Checks::default();
    let Some(status) = status else {
        checks.fail(
            "grade finished",
            format!("stopped after {} minutes", RUN_LIMIT.as_secs() / 60),
        );
        cleanup_and_exit(checks, &traps);
    };
    let rows = read_grades(&out);
    if rows.is_empty() {
        checks.fail(
            "grade finished",
            format!("{status}, without a readable grades.csv; see the log"),
        );
        cleanup_and_exit(checks, &traps);
    }

    // The figures.
    let grading = said
        .lines()
        .find_map(|line| {
            let rest = line.split(" students in ").nth(1)?;
            rest.split(" s ").next()?.trim().parse::<f64>().ok()
        })
        .unwrap_or(wall);
    let preparing = (wall - grading).max(0.0);
    let seconds = |student: &Student| -> Option<f64> {
        rows.get(&student.name)?.get("seconds")?.parse().ok()
    };
    let mut all: Vec<f64> = students.iter().filter_map(seconds).collect();
    all.sort_by(f64::total_cmp);
    let projection = (preparing + grading * TARGET_STUDENTS / size as f64) / 60.0;
    let builds = folder_size(&out.join("stage"), &|path| {
        path.file_name().is_some_and(|n| n == "target")
            && path.parent().and_then(Path::parent) == Some(out.join("stage").as_path())
    });
    let total = folder_size(&out, &|_| true);

    println!();
    figure("figure", "value".to_owned());
    figure("whole run of `grade` (wall time)", format!("{wall:.0} s"));
    figure(
        "  preparing the stages (copy, first build)",
        format!("{preparing:.0} s"),
    );
    figure("  grading the class", format!("{grading:.0} s"));
    figure(
        "per student, the class's throughput",
        format!(
            "{:.1} s (grading time / {size} students, {cores} lanes)",
            grading / size as f64
        ),
    );
    figure(
        "per student, grades.csv `seconds`",
        format!(
            "{:.1} s mean; median {:.1} s, max {:.1} s",
            mean(&all),
            all.get(all.len() / 2).copied().unwrap_or(0.0),
            all.last().copied().unwrap_or(0.0)
        ),
    );
    for label in counts.keys() {
        let times: Vec<f64> = students
            .iter()
            .filter(|s| s.label(chapters.len()) == *label)
            .filter_map(seconds)
            .collect();
        figure(
            &format!("  {label}"),
            format!("{:.1} s mean of {}", mean(&times), times.len()),
        );
    }
    let verdict = if projection < TARGET_MINUTES {
        "met"
    } else {
        "missed"
    };
    figure(
        &format!("projection for {TARGET_STUDENTS:.0} students"),
        format!("{projection:.1} min (target: under {TARGET_MINUTES:.0} min: {verdict})"),
    );
    figure(
        "disk: the stages' build folders",
        format!("{:.0} MiB", mib(builds)),
    );
    figure(
        "disk: the rest of the output folder",
        format!("{:.0} MiB", mib(total - builds)),
    );
    figure(
        "disk: the class's repositories",
        format!("{:.0} MiB", mib(folder_size(&class, &|_| true))),
    );
    if said.contains("network not isolated") || said.contains("offers the runner no isolation") {
        println!("  note: grade said the network is not isolated on this system");
    }
    println!();

    // The checks.
    let graded = Graded {
        rows: &rows,
        reports: &read_reports(&out),
        chapters: &chapters,
        said: &said,
    };
    for student in &students {
        if let Kind::Hostile(hostile) = student.kind {
            check_hostile(&mut checks, hostile, student, &graded, &traps);
        }
    }
    check_honest(&mut checks, &students, &graded);
    cleanup_and_exit(checks, &traps);
}

/// The verdicts, printed as they are reached.
#[derive(Default)]
struct Checks {
    failed: usize,
}

impl Checks {
    fn pass(&mut self, what: &str, detail: impl AsRef<str>) {
        println!("  PASS {what}: {}", detail.as_ref());
    }

    fn fail(&mut self, what: &str, detail: impl AsRef<str>) {
        self.failed += 1;
        println!("  FAIL {what}: {}", detail.as_ref());
    }

    fn check(&mut self, what: &str, problems: &[String], good: impl AsRef<str>) {
        if problems.is_empty() {
            self.pass(what, good);
        } else {
            self.fail(what, problems.join("; "));
        }
    }
}

/// Ends what the hostile students left behind, if `grade` did not (their checks fail then), and
/// exits.
fn cleanup_and_exit(checks: Checks, traps: &Traps) -> ! {
    for argument in [&traps.lingering, &traps.bomb] {
        let left = leftovers(argument);
        if !left.is_empty() {
            println!(
                "  note: {} `sleep {argument}` still ran after grade ended; the bench ended them",
                left.len()
            );
            let _ = Command::new("kill")
                .arg("-9")
                .args(&left)
                .stderr(Stdio::null())
                .status();
        }
    }
    println!();
    if checks.failed == 0 {
        println!("grade_class: every check passed");
        std::process::exit(0);
    }
    println!("grade_class: {} check(s) failed", checks.failed);
    std::process::exit(1);
}

/// What `grade` left: `grades.csv` as student → column → value, `reports/*.json` by student,
/// and what it said.
struct Graded<'a> {
    rows: &'a BTreeMap<String, BTreeMap<String, String>>,
    reports: &'a BTreeMap<String, serde_json::Value>,
    chapters: &'a [Chapter],
    said: &'a str,
}

fn check_hostile(
    checks: &mut Checks,
    hostile: Hostile,
    student: &Student,
    graded: &Graded,
    traps: &Traps,
) {
    let Graded {
        rows,
        reports,
        chapters,
        said,
    } = graded;
    let ch1 = &chapters[0];
    let what = format!("{} ({})", hostile.describe(), student.name);
    let Some(row) = rows.get(&student.name) else {
        checks.fail(&what, "no row in grades.csv");
        return;
    };
    let column = |name: &str| row.get(name).map_or("", String::as_str);
    let flags: Vec<String> = reports
        .get(&student.name)
        .and_then(|r| r["flags"].as_array())
        .map(|flags| {
            flags
                .iter()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let flagged = |text: &str| flags.iter().any(|f| f.contains(text));
    let ch1_points: u32 = column(&ch1.id).parse().unwrap_or(u32::MAX);
    let class_worth: u32 = chapters.iter().map(Chapter::worth).sum();
    let seconds: f64 = column("seconds").parse().unwrap_or(f64::MAX);
    let score = format!("{}: {ch1_points}/{}", ch1.id, ch1.worth());
    let mut problems = Vec::new();
    if !column("error").is_empty() {
        problems.push(format!("not graded: {}", column("error")));
    }
    let witness = fs::read_to_string(traps.witness(hostile)).ok();
    let ran = match (&witness, hostile) {
        (_, Hostile::Points | Hostile::BuildScript) => String::new(),
        (Some(said), _) => format!(" [the trick: {}]", said.lines().next().unwrap_or("")),
        (None, _) => {
            problems.push("the trick never ran (it wrote no witness file)".to_owned());
            String::new()
        }
    };
    let good = match hostile {
        Hostile::Forged => {
            for means in ["process::exit", "libtest's summary"] {
                if !flagged(means) {
                    problems.push(format!("`{means}` not flagged"));
                }
            }
            format!("flagged ({} flags); {score}", flags.len())
        }
        Hostile::Points => {
            if column("max_points") != class_worth.to_string() {
                problems.push(format!(
                    "max_points {} instead of {class_worth}",
                    column("max_points")
                ));
            }
            if ch1_points != ch1.worth() {
                problems.push(format!("{score}, not the chapter's worth"));
            }
            if !flagged("chapters.toml") {
                problems.push("the edited chapters.toml not flagged".into());
            }
            format!("max points {class_worth} unchanged, {score}, flagged")
        }
        Hostile::BuildScript => {
            if traps.marker.exists() {
                problems.push("the build script ran (its marker file exists)".into());
            }
            if !flagged("build.rs") {
                problems.push("build.rs not flagged".into());
            }
            if ch1_points != ch1.worth() {
                problems.push(format!("{score}, not the chapter's worth"));
            }
            format!("marker absent, flagged, {score}")
        }
        Hostile::Lingering | Hostile::ForkBomb => {
            let argument = if hostile == Hostile::Lingering {
                &traps.lingering
            } else {
                &traps.bomb
            };
            let left = leftovers(argument);
            if !left.is_empty() {
                problems.push(format!("{} `sleep {argument}` left running", left.len()));
            }
            let started: Option<usize> = witness
                .as_deref()
                .and_then(|w| w.split_whitespace().nth(1)?.parse().ok());
            let limited = said.contains("processes and threads");
            if hostile == Hostile::ForkBomb && limited && started == Some(BOMB) {
                problems.push(format!(
                    "grade said it limits processes, yet the bomb started all {BOMB}"
                ));
            }
            if hostile == Hostile::Lingering && ch1_points != ch1.worth() {
                problems.push(format!("{score}: a lingering child changed the verdict"));
            }
            format!("graded in {seconds:.1} s, no process left; {score}")
        }
        Hostile::Endless => {
            if ch1_points != 0 {
                problems.push(format!("{score} instead of 0"));
            }
            // The runner stops the tests after the timeout and runs the failed ones again once.
            let bound = 3.0 * TEST_TIMEOUT_SECS + 60.0;
            if seconds > bound {
                problems.push(format!("took {seconds:.0} s, over {bound:.0} s"));
            }
            format!("{score}, graded in {seconds:.1} s")
        }
        Hostile::Network => {
            let reached = traps.listener.accept().is_ok();
            let not_isolated = said.contains("network not isolated")
                || said.contains("offers the runner no isolation");
            if reached && not_isolated {
                "grade said the network is not isolated, and the student's code reached the \
                 listener"
                    .to_owned()
            } else if reached {
                problems.push(
                    "the student's code reached the bench's listener on 127.0.0.1, and grade \
                     claimed isolation"
                        .into(),
                );
                String::new()
            } else {
                if !not_isolated && ch1_points != ch1.worth() {
                    problems.push(format!("{score}: the connection should simply fail"));
                }
                format!("the listener got nothing; {score}")
            }
        }
        Hostile::Tamper => {
            if !flagged("changed the trusted workbook") {
                problems.push("the tampering was not flagged".into());
            }
            if ch1_points != ch1.worth() || column("max_points") != class_worth.to_string() {
                problems.push(format!("{score}, max {}", column("max_points")));
            }
            if fs::read(&traps.manifest).ok() != Some(traps.manifest_before.clone()) {
                problems.push("the real workbook's chapters.toml changed".into());
            }
            format!("flagged and put back, {score}, max points unchanged")
        }
    };
    checks.check(&what, &problems, format!("{good}{ran}"));
}

fn check_honest(checks: &mut Checks, students: &[Student], graded: &Graded) {
    let Graded {
        rows,
        reports,
        chapters,
        ..
    } = graded;
    let mut problems = Vec::new();
    let mut count = 0;
    let class_worth: u32 = chapters.iter().map(Chapter::worth).sum();
    for student in students {
        let Some(expected) = student.expected(chapters) else {
            continue;
        };
        count += 1;
        let Some(row) = rows.get(&student.name) else {
            problems.push(format!("{}: no row in grades.csv", student.name));
            continue;
        };
        if !row["error"].is_empty() {
            problems.push(format!("{}: not graded: {}", student.name, row["error"]));
            continue;
        }
        for (chapter, want) in chapters.iter().zip(&expected) {
            let got = row.get(&chapter.id).map_or("", String::as_str);
            if got != want.to_string() {
                let why = reports
                    .get(&student.name)
                    .map(|r| failing_tests(&r["chapters"][&chapter.id]))
                    .unwrap_or_default();
                problems.push(format!(
                    "{} ({:?}): {} scored {got} instead of {want}{why}",
                    student.name, student.kind, chapter.id
                ));
            }
            let worth = reports
                .get(&student.name)
                .and_then(|r| r["chapters"][&chapter.id]["max_points"].as_u64());
            if worth != Some(u64::from(chapter.worth())) {
                problems.push(format!(
                    "{}: {} is worth {worth:?} in the report, {} by chapters.toml",
                    student.name,
                    chapter.id,
                    chapter.worth()
                ));
            }
        }
        let total: u32 = expected.iter().sum();
        if row["points"] != total.to_string() || row["max_points"] != class_worth.to_string() {
            problems.push(format!(
                "{}: {}/{} points instead of {total}/{class_worth}",
                student.name, row["points"], row["max_points"]
            ));
        }
        if row["flags"] != "0" {
            let flags = reports
                .get(&student.name)
                .map(|r| r["flags"].to_string())
                .unwrap_or_default();
            problems.push(format!("{}: flagged: {flags}", student.name));
        }
    }
    checks.check(
        &format!("honest students ({count})"),
        &problems,
        "every chapter scored exactly what it is worth when solved, 0 otherwise; nobody flagged",
    );
}

/// The tests of a chapter's report that did not pass, for a failed check's message.
fn failing_tests(chapter: &serde_json::Value) -> String {
    let mut names: Vec<String> = chapter["report"]["tests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["verdict"] != "passed")
        .map(|t| {
            format!(
                "{} ({})",
                t["name"].as_str().unwrap_or("?"),
                t["verdict"].as_str().unwrap_or("?")
            )
        })
        .collect();
    if let Some(problem) = chapter["problem"].as_str() {
        names.insert(0, problem.to_owned());
    }
    if names.is_empty() {
        return String::new();
    }
    names.truncate(4);
    format!(" [{}]", names.join(", "))
}

/// Who the class is: one honest student of each kind and every hostile one for sure, the rest
/// drawn.
fn plan(seed: u64, size: usize, chapters: usize) -> Vec<Student> {
    let mut rng = Rng::new(seed);
    let mut kinds: Vec<Kind> = HOSTILE.iter().map(|h| Kind::Hostile(*h)).collect();
    kinds.push(Kind::Stub);
    kinds.push(Kind::Solved(chapters));
    kinds.push(Kind::Solved(rng.between(1, chapters - 1)));
    let solved = rng.between(1, chapters);
    kinds.push(Kind::Broken {
        solved,
        broken: rng.between(1, solved),
    });
    while kinds.len() < size {
        let kind = match rng.between(1, 100) {
            1..=10 => Kind::Stub,
            11..=25 => Kind::Solved(chapters),
            26..=35 => {
                let solved = rng.between(1, chapters);
                Kind::Broken {
                    solved,
                    broken: rng.between(1, solved),
                }
            }
            _ => Kind::Solved(rng.between(1, chapters - 1)),
        };
        kinds.push(kind);
    }
    // Hostile students among the others, not all at the start.
    for index in (1..kinds.len()).rev() {
        kinds.swap(index, rng.between(0, index));
    }
    kinds
        .into_iter()
        .enumerate()
        .map(|(index, kind)| Student {
            name: format!("student-{:02}", index + 1),
            kind,
            git: rng.next().is_multiple_of(2),
            in_roster: rng.next().is_multiple_of(4),
        })
        .collect()
}

/// Writes a student's folder: a copy of `exercises/`, with their work over it.
fn make_student(root: &Path, class: &Path, student: &Student, chapters: &[Chapter], traps: &Traps) {
    let folder = class.join(&student.name);
    copy_tree(&root.join("exercises"), &folder.join("exercises"));
    let signature = format!(
        "\n// Handed in by {} for the grading benchmark.\n",
        student.name
    );
    let solved = |chapter: &Chapter| {
        let solution = root
            .join("solutions")
            .join(&chapter.folder)
            .join("src/lib.rs");
        let text = fs::read_to_string(&solution)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", solution.display()));
        let mut lib: String = text
            .lines()
            .filter(|line| {
                !line
                    .trim_start()
                    .starts_with("#[path = \"../../../exercises/")
            })
            .map(|line| format!("{line}\n"))
            .collect();
        lib.push_str(&signature);
        lib
    };
    let write = |relative: &str, text: &str| {
        fs::write(folder.join(relative), text)
            .unwrap_or_else(|e| panic!("cannot write {relative}: {e}"));
    };
    match student.kind {
        Kind::Stub => {}
        Kind::Solved(k) => {
            for chapter in &chapters[..k] {
                write(&chapter.lib(), &solved(chapter));
            }
        }
        Kind::Broken { solved: k, broken } => {
            for (index, chapter) in chapters[..k].iter().enumerate() {
                let mut lib = solved(chapter);
                if index + 1 == broken {
                    lib.push_str("\npub fn half_done() -> u32 {\n    \"not finished yet\"\n}\n");
                }
                write(&chapter.lib(), &lib);
            }
        }
        Kind::Hostile(hostile) => {
            let ch1 = &chapters[0];
            write(&ch1.lib(), &hostile_lib(&solved(ch1), hostile, ch1, traps));
            let crate_dir = format!("exercises/{}", ch1.folder);
            match hostile {
                Hostile::Points => {
                    let manifest = fs::read_to_string(root.join("chapters.toml")).unwrap();
                    let edited =
                        manifest.replace(&format!("{RAISED} = 2"), &format!("{RAISED} = 200"));
                    assert_ne!(manifest, edited, "chapters.toml gives {RAISED} 2 points");
                    write("chapters.toml", &edited);
                }
                Hostile::BuildScript => {
                    write(
                        &format!("{crate_dir}/build.rs"),
                        &format!(
                            "fn main() {{\n    std::fs::write({:?}, b\"ran\").unwrap();\n}}\n",
                            traps.marker.display().to_string()
                        ),
                    );
                    let cargo_toml = format!("{crate_dir}/Cargo.toml");
                    let text = fs::read_to_string(folder.join(&cargo_toml)).unwrap();
                    let edited = text.replace(
                        "publish.workspace = true",
                        "publish.workspace = true\nbuild = \"build.rs\"",
                    );
                    assert_ne!(text, edited, "the exercise's Cargo.toml has a [package]");
                    write(&cargo_toml, &edited);
                }
                _ => {}
            }
        }
    }
    if student.git {
        for args in [
            &["init", "--quiet"][..],
            &["add", "--all"],
            &["commit", "--quiet", "--message", "My work"],
        ] {
            let status = Command::new("git")
                .current_dir(&folder)
                .args([
                    "-c",
                    "user.name=Student",
                    "-c",
                    "user.email=s@example.invalid",
                ])
                .args([
                    "-c",
                    "commit.gpgsign=false",
                    "-c",
                    "init.defaultBranch=main",
                ])
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .status()
                .expect("cannot run git");
            assert!(
                status.success(),
                "git {args:?} failed in {}",
                folder.display()
            );
        }
    }
}

/// Chapter 1 solved, with `hostile`'s trick in `bench_hostile()`, which the functions the tests
/// call run first.
fn hostile_lib(solved: &str, hostile: Hostile, ch1: &Chapter, traps: &Traps) -> String {
    // Each trick writes to its witness file what it did, so that a PASS cannot come from a trick
    // that never ran.
    let witness = format!("{:?}", traps.witness(hostile).display().to_string());
    let helper = match hostile {
        // Only the solution, honestly: the trick is elsewhere.
        Hostile::Points | Hostile::BuildScript => return solved.to_owned(),
        Hostile::Forged => {
            let mut forged = format!("\nrunning {} tests\n", ch1.tests.len());
            for (name, _) in &ch1.tests {
                let _ = writeln!(forged, "test tests::{name} ... ok");
            }
            let _ = write!(
                forged,
                "\ntest result: ok. {} passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; \
                 finished in 0.00s\n\n",
                ch1.tests.len()
            );
            formatdoc! {r#"
                use std::io::Write;
                let _ = std::fs::write({witness}, "printed a forged run and exited");
                let mut out = std::io::stdout();
                let _ = out.write_all({forged:?}.as_bytes());
                let _ = out.flush();
                std::process::exit(0);
            "#}
        }
        Hostile::Lingering => formatdoc! {r#"
            let said = match std::process::Command::new("sleep").arg("{sleep}").spawn() {{
                Ok(child) => format!("started `sleep {sleep}` ({{}})", child.id()),
                Err(error) => format!("could not start sleep: {{error}}"),
            }};
            let _ = std::fs::write({witness}, said);
        "#, sleep = traps.lingering},
        Hostile::ForkBomb => formatdoc! {r#"
            static ONCE: std::sync::Once = std::sync::Once::new();
            ONCE.call_once(|| {{
                let mut started = 0;
                let mut stopped = String::new();
                for _ in 0..{BOMB} {{
                    match std::process::Command::new("sleep").arg("{sleep}").spawn() {{
                        Ok(_) => started += 1,
                        Err(error) => {{
                            stopped = format!(", then: {{error}}");
                            break;
                        }}
                    }}
                }}
                let said = format!("started {{started}} of {BOMB} processes{{stopped}}");
                let _ = std::fs::write({witness}, said);
            }});
        "#, sleep = traps.bomb},
        Hostile::Endless => formatdoc! {r#"
            use std::io::Write;
            let _ = std::fs::write({witness}, "wrote to stdout for ever");
            let line = [b'x'; 4096];
            loop {{
                let _ = std::io::stdout().write_all(&line);
            }}
        "#},
        Hostile::Network => formatdoc! {r#"
            match std::net::TcpStream::connect(("127.0.0.1", {port})) {{
                Ok(mut stream) => {{
                    use std::io::Write;
                    let _ = std::fs::write({witness}, "connected");
                    let _ = stream.write_all(b"out of the sandbox");
                    panic!("reached the grader's loopback");
                }}
                Err(error) => {{
                    let _ = std::fs::write({witness}, format!("could not connect: {{error}}"));
                }}
            }}
        "#, port = traps.port},
        Hostile::Tamper => formatdoc! {r#"
            let mut edited = Vec::new();
            for up in ["..", "../..", "../../.."] {{
                let path = std::path::Path::new(up).join("chapters.toml");
                if let Ok(text) = std::fs::read_to_string(&path) {{
                    let more = text.replace("{RAISED} = 2", "{RAISED} = 200");
                    if std::fs::write(&path, more).is_ok() {{
                        edited.push(path.display().to_string());
                    }}
                }}
            }}
            let _ = std::fs::write({witness}, format!("edited {{edited:?}}"));
        "#},
    };
    let helper: String = helper.lines().map(|line| format!("    {line}\n")).collect();
    // Endless output from every function, so that every test of the chapter meets it; the other
    // tricks from the first one only.
    let mut lib = String::new();
    let mut injected = 0;
    for line in solved.lines() {
        lib.push_str(line);
        lib.push('\n');
        let opens = line.starts_with("pub fn ") && line.ends_with('{');
        if opens && (hostile == Hostile::Endless || injected == 0) {
            lib.push_str("    bench_hostile();\n");
            injected += 1;
        }
    }
    assert!(
        injected > 0,
        "chapter 1's solution has a `pub fn` on one line"
    );
    let _ = write!(lib, "\nfn bench_hostile() {{\n{helper}}}\n");
    lib
}

/// The chapters, their tests and points, read from the trusted workbook as `grade` reads them.
fn load_chapters(root: &Path) -> Vec<Chapter> {
    let text = fs::read_to_string(root.join("chapters.toml")).expect("chapters.toml");
    let manifest: toml::Table = toml::from_str(&text).expect("chapters.toml is TOML");
    let list = manifest["chapter"].as_array().expect("[[chapter]] entries");
    list.iter()
        .map(|entry| {
            let folder = entry["exercise"].as_str().unwrap().to_owned();
            let points = entry.get("points").and_then(toml::Value::as_table);
            let tests_rs = root.join("exercises").join(&folder).join("src/tests.rs");
            let source = fs::read_to_string(&tests_rs)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", tests_rs.display()));
            let tests = declared_tests(&source)
                .into_iter()
                .map(|name| {
                    let worth = points
                        .and_then(|p| p.get(&name))
                        .and_then(toml::Value::as_integer)
                        .map_or(1, |p| p as u32);
                    (name, worth)
                })
                .collect();
            Chapter {
                id: entry["id"].as_str().unwrap().to_owned(),
                folder,
                tests,
            }
        })
        .collect()
}

/// The functions under a `#[test]` attribute, in order.
fn declared_tests(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut after_attribute = false;
    for line in source.lines().map(str::trim) {
        if line.starts_with("#[test]") {
            after_attribute = true;
        } else if after_attribute && let Some(at) = line.find("fn ") {
            let name: String = line[at + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.push(name);
            after_attribute = false;
        }
    }
    names
}

/// `grades.csv` as student → column → value.
fn read_grades(out: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let Ok(text) = fs::read_to_string(out.join("grades.csv")) else {
        return BTreeMap::new();
    };
    let mut records = parse_csv(&text).into_iter();
    let Some(header) = records.next() else {
        return BTreeMap::new();
    };
    records
        .map(|fields| {
            let row: BTreeMap<String, String> = header.iter().cloned().zip(fields).collect();
            (row["student"].clone(), row)
        })
        .collect()
}

/// CSV records, with quoted fields (which may hold commas, quotes and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = vec![String::new()];
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let field = record.last_mut().unwrap();
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => record.push(String::new()),
            '\n' if !quoted => records.push(std::mem::replace(&mut record, vec![String::new()])),
            '\r' if !quoted => {}
            c => field.push(c),
        }
    }
    if record.len() > 1 || !record[0].is_empty() {
        records.push(record);
    }
    records
}

/// `reports/NAME.json` of every student.
fn read_reports(out: &Path) -> BTreeMap<String, serde_json::Value> {
    let mut reports = BTreeMap::new();
    for entry in fs::read_dir(out.join("reports"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let path = entry.path();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if let Some(json) = fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        {
            reports.insert(name.to_owned(), json);
        }
    }
    reports
}

/// The processes whose command line is exactly `sleep ARGUMENT`, by id.
fn leftovers(argument: &str) -> Vec<String> {
    Command::new("pgrep")
        .args(["-x", "-f", &format!("sleep {argument}")])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Stops `grade` and its process group, when it ran over the limit.
fn stop(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-9", "--", &format!("-{}", child.id())])
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Prints the lines of `grade`'s log past `from` that say how a student went; returns where the
/// complete lines end.
fn echo_progress(log: &Path, from: u64) -> u64 {
    let Ok(mut file) = fs::File::open(log) else {
        return from;
    };
    let mut text = String::new();
    if file.seek(SeekFrom::Start(from)).is_err() || file.read_to_string(&mut text).is_err() {
        return from;
    }
    let Some(end) = text.rfind('\n') else {
        return from;
    };
    for line in text[..end].lines() {
        let verb = line.split_whitespace().next().unwrap_or("");
        if matches!(
            verb,
            "Graded" | "Flagged" | "Failed" | "Preparing" | "Warning" | "Isolating" | "Finished"
        ) {
            println!("    | {}", line.trim());
        }
    }
    from + end as u64 + 1
}

/// Bytes on disk in the files under `folder` that are inside a folder `counted` accepts
/// (`folder` itself included); symbolic links are not followed.
fn folder_size(folder: &Path, counted: &dyn Fn(&Path) -> bool) -> u64 {
    fn walk(path: &Path, counted: &dyn Fn(&Path) -> bool, counting: bool) -> u64 {
        let Ok(meta) = fs::symlink_metadata(path) else {
            return 0;
        };
        let counting = counting || counted(path);
        if meta.is_dir() {
            fs::read_dir(path)
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| walk(&entry.path(), counted, counting))
                .sum()
        } else if counting {
            on_disk(&meta)
        } else {
            0
        }
    }
    walk(folder, counted, false)
}

#[cfg(unix)]
fn on_disk(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.blocks() * 512
}

#[cfg(not(unix))]
fn on_disk(meta: &fs::Metadata) -> u64 {
    meta.len()
}

/// One line of the table of figures.
fn figure(name: &str, value: String) {
    println!("  {name:<44} {value}");
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not `{value}`")),
    )
}

/// `path` relative to the workbook, for messages.
fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Copies the folder `from` to `to`, build output left out. (The tests' own copier lives in
/// `xtask/tests/`, which a student copy does not have, and this bench must build there too.)
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (source, destination) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            if entry.file_name() != "target" {
                copy_tree(&source, &destination);
            }
        } else {
            fs::copy(&source, &destination).unwrap();
        }
    }
}
