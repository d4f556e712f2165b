//! `cargo xtask grade`: grade a class against a workbook the instructor trusts.
//!
//! Nothing that decides a grade is taken from a student's repository but the student's own
//! code: for each student, the files of each exercise's `src/` (the rule is in [`owned`]; never
//! the tests, the manifest, a `Cargo.toml`, a build script or the runner) are copied into a copy
//! of the trusted workbook (the "stage", under the output folder), and the trusted runner grades
//! them there, one chapter at a time, each run in the [`sandbox`] where the system offers one.
//! The points are then counted again from the trusted manifest and test files, read before any
//! student's code ran, so nothing a run changes on disk can change them.
//!
//! Students are graded `--jobs` at a time, each lane in a stage of its own (no lane waits for
//! another's build lock); the students of a lane share its build folder, so only what changed
//! is compiled again, without debug information or incremental builds (two to three times
//! faster, and nothing a test sees).
//! Timestamps cannot be trusted to say what changed (a file copied from a student may look older
//! than the last build), so a chapter whose files change has its build output removed with
//! `cargo clean --package` first; a chapter whose files are byte for byte those already graded
//! in this run (an untouched stub, say) gets that verdict again without being run.
//!
//! A student's repository is read with git at a commit (the newest, or the last before
//! `--deadline`), never checked out, and git runs with the repository's hooks and file-system
//! monitor turned off; a folder without git is read as it is. Commit dates are set by whoever
//! commits, so a deadline is only as honest as the students' clocks: for a deadline you can
//! trust, clone the repositories at the deadline (or use the host's own).
//!
//! It writes, in the output folder: `grades.csv` (points per student and chapter), one Markdown
//! feedback file per student under `feedback/` (what failed and why, as the runner says it),
//! the runner's JSON per student under `reports/`, and `summary.md` for the class (the tests
//! most students fail, the students whose sources look suspicious). A student whose grading
//! fails is a row with the reason; it never stops the others.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

use crate::cache::Fingerprint;
use crate::cargo;
use crate::files;
use crate::git;
use crate::grading;
use crate::owned;
use crate::processes::{self, Drain};
use crate::sandbox::{self, Sandbox};
use crate::shell::{Shell, Tone};
use crate::source;
use crate::workbook::{Chapter, MANIFEST, Workbook, slash};

/// For instructors: grade a class. Copies only each student's own code (the exercises' `src/`,
/// never tests, manifest or build files) into a copy of this trusted workbook, grades it there,
/// isolated where the system allows, and writes grades.csv, feedback per student and a class
/// summary.
#[derive(clap::Args)]
pub struct Args {
    /// Students' repositories: folders, or git URLs.
    students: Vec<String>,
    /// A file of `name,folder-or-url` lines (a `name,repository` header may open it).
    #[arg(long, value_name = "FILE")]
    roster: Option<PathBuf>,
    /// The trusted workbook: this one when not given (or the exported student template).
    #[arg(long, value_name = "DIR")]
    workbook: Option<PathBuf>,
    /// Grade each repository's last commit before this date (`2026-12-15 23:59`, in git's
    /// date syntax). Commit dates are the students' to set.
    #[arg(long, value_name = "DATE")]
    deadline: Option<String>,
    /// Where the grades, feedback and the shared build go.
    #[arg(long, value_name = "DIR", default_value = "grades")]
    out: PathBuf,
    /// Run students' code without the sandbox, even where the system offers one.
    #[arg(long)]
    no_isolation: bool,
    /// Processes and threads one student's build and tests may run at once.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    max_processes: u64,
    /// How many students to grade at once, each in a copy of its own (the number of cores
    /// when not given).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    #[command(flatten)]
    limits: grading::Limits,
}

/// The most a student's file may weigh, and all of a student's files together.
const FILE_CAP: u64 = 1 << 20;
const STUDENT_CAP: u64 = 16 << 20;

/// How long cargo may build one chapter of a student's, in the sandbox.
const BUILD_LIMIT_SECS: u64 = 300;

/// One student of the class.
struct Student {
    name: String,
    /// A folder (a repository or not), or a git URL.
    location: String,
}

/// A student's files, as graded.
struct Snapshot {
    /// The commit graded, when the work came from git.
    commit: Option<String>,
    /// Each chapter's files (paths relative to the workbook's root) and their content.
    chapters: BTreeMap<String, BTreeMap<PathBuf, Vec<u8>>>,
    /// What the instructor should know about the sources: suspicious code, skipped files,
    /// edited tests.
    flags: Vec<String>,
}

impl Snapshot {
    /// True when a file of `size` bytes fits the limits, `total` counting what came before;
    /// otherwise the file is flagged, and left out.
    fn admits(&mut self, path: &Path, size: u64, total: &mut u64) -> bool {
        if size > FILE_CAP || *total + size > STUDENT_CAP {
            self.flags.push(format!(
                "{}: {size} bytes, over the limit of {FILE_CAP} for a file ({STUDENT_CAP} in all), \
                 not graded",
                slash(path)
            ));
            return false;
        }
        *total += size;
        true
    }

    fn insert(&mut self, chapter: &Chapter, path: PathBuf, content: Vec<u8>) {
        self.chapters
            .entry(chapter.id.clone())
            .or_default()
            .insert(path, content);
    }
}

/// One chapter's outcome for one student.
#[derive(Clone)]
struct Outcome {
    points: u32,
    worth: u32,
    /// The runner's JSON for the chapter, when it graded it.
    report: Option<Value>,
    /// Why the chapter scored nothing without a report: missing, or grading failed.
    problem: Option<String>,
    /// The student whose files, byte for byte the same, were graded for this verdict.
    graded_for: String,
}

/// One student's row.
struct Row {
    name: String,
    commit: Option<String>,
    chapters: BTreeMap<String, Outcome>,
    flags: Vec<String>,
    /// Why the student could not be graded at all.
    error: Option<String>,
    seconds: f64,
}

impl Args {
    /// Grades the class, with the trusted workbook `--workbook` names, or else `current`, the
    /// one it runs in (if any); true when every student could be graded.
    pub fn run(self, current: Option<&Workbook>, shell: &Shell) -> Result<bool> {
        let trusted = match &self.workbook {
            Some(folder) => Workbook::load(&std::path::absolute(folder)?).with_context(|| {
                format!(
                    "{} is not a workbook (it has no readable {MANIFEST})",
                    folder.display()
                )
            })?,
            None => Workbook::load(
                &current
                    .context("run `grade` inside the trusted workbook, or name it with --workbook")?
                    .root,
            )?,
        };
        let problems = trusted.problems();
        ensure!(
            problems.is_empty(),
            "the trusted workbook has problems of its own; fix them first:\n  {}",
            problems.join("\n  ")
        );
        let students = roster(&self)?;
        ensure!(
            !students.is_empty(),
            "no students to grade: name their repositories, or give --roster FILE"
        );
        for dir in ["feedback", "reports", "repos"] {
            let dir = self.out.join(dir);
            fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        // Resolved, so that messages show no `..`; on Windows `canonicalize` would give a `\\?\`
        // path, which some tools refuse.
        let out = if cfg!(windows) {
            std::path::absolute(&self.out)?
        } else {
            fs::canonicalize(&self.out)?
        };
        // A copy of the runner's own program, so that a build of the runner while the class is
        // graded (or Windows' lock on a running program) cannot pull it from under the runs.
        let runner = out
            .join("stage")
            .join(format!("runner{}", std::env::consts::EXE_SUFFIX));
        fs::create_dir_all(out.join("stage"))?;
        let _ = fs::remove_file(&runner);
        fs::copy(
            std::env::current_exe().context("cannot find the runner's own program")?,
            &runner,
        )
        .context("cannot copy the runner's program into the output folder")?;
        let sandbox = if !self.no_isolation {
            let limits = sandbox::Limits {
                processes: self.max_processes,
                ..sandbox::Limits::default()
            };
            Sandbox::probe(runner.clone(), limits)
        } else {
            Sandbox::none(runner.clone(), "isolation turned off (--no-isolation)")
        };
        for offer in &sandbox.offers {
            shell.status(Tone::Good, "Isolating", offer);
        }
        for lack in &sandbox.lacks {
            shell.status(Tone::Pending, "Warning", lack);
        }

        // The handed-out stubs: what the stage starts from, and what no student is flagged for.
        let mut stubs = BTreeMap::new();
        for chapter in &trusted.chapters {
            for file in owned::students_files(&trusted.root, chapter)? {
                let content = fs::read(trusted.root.join(&file))
                    .with_context(|| format!("cannot read {}", file.display()))?;
                stubs.insert(file, content);
            }
        }
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let jobs = self.jobs.unwrap_or(cores).clamp(1, students.len());
        shell.status(
            Tone::Info,
            "Preparing",
            format!(
                "{jobs} cop{} of {} under {} (the first build takes a few minutes)",
                if jobs == 1 { "y" } else { "ies" },
                trusted.root.display(),
                slash(&out.join("stage"))
            ),
        );
        let mut stages = Vec::new();
        for lane in 1..=jobs {
            let stage = Stage::prepare(
                &trusted,
                &out.join("stage").join(format!("lane-{lane}")),
                &stubs,
            )?;
            stage.warm()?;
            stages.push(stage);
        }

        let started = Instant::now();
        let next = AtomicUsize::new(0);
        let seen = Mutex::new(BTreeMap::new());
        let (sender, receiver) = mpsc::channel();
        let mut rows: Vec<(usize, Row)> = Vec::new();
        let progress = std::io::stderr().is_terminal();
        let shared = Shared {
            trusted: &trusted,
            students: &students,
            out: &out,
            stubs: &stubs,
            sandbox: &sandbox,
            deadline: self.deadline.as_deref(),
            timeout: self.limits.timeout(),
            seen: &seen,
        };
        thread::scope(|scope| -> Result<()> {
            for stage in &mut stages {
                let (sender, next, shared) = (sender.clone(), &next, &shared);
                scope.spawn(move || {
                    loop {
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        let Some(student) = shared.students.get(index) else {
                            break;
                        };
                        let row = shared.grade_student(stage, student);
                        if sender.send((index, row)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(sender);
            if progress {
                draw_progress(0, students.len());
            }
            for (index, row) in receiver {
                if progress {
                    eprint!("\r\x1b[2K");
                }
                write_feedback(&out, &trusted, &row)?;
                let (points, worth) = totals(&row);
                let (tone, verb) = match (&row.error, row.flags.is_empty()) {
                    (Some(_), _) => (Tone::Bad, "Failed"),
                    (None, false) => (Tone::Pending, "Flagged"),
                    (None, true) => (Tone::Good, "Graded"),
                };
                let detail = match &row.error {
                    Some(error) => error.clone(),
                    None if row.flags.is_empty() => format!("{points}/{worth} points"),
                    None => format!(
                        "{points}/{worth} points, {} thing(s) to look at in feedback/{}.md",
                        row.flags.len(),
                        row.name
                    ),
                };
                shell.status(tone, verb, format!("{} · {detail}", row.name));
                rows.push((index, row));
                if progress {
                    draw_progress(rows.len(), students.len());
                }
            }
            if progress {
                eprint!("\r\x1b[2K");
            }
            Ok(())
        })?;
        rows.sort_by_key(|(index, _)| *index);
        let rows: Vec<Row> = rows.into_iter().map(|(_, row)| row).collect();

        // Students' code can reach the trusted workbook itself (files are not isolated): the grades
        // were counted from what was read before any of it ran, but the instructor must know.
        let changed: Vec<String> = stages[0]
            .trusted
            .iter()
            .filter(|(file, content)| {
                fs::read(trusted.root.join(file)).ok().as_deref() != Some(content.as_slice())
                    && file.as_path() != Path::new(LOCK_FILE)
            })
            .map(|(file, _)| slash(file))
            .collect();
        if !changed.is_empty() {
            shell.status(
                Tone::Bad,
                "Warning",
                format!(
                    "{} changed while the class was graded (the grades used the versions read \
                     before): {}; see `git diff` there, and grade with --out outside it, or in a \
                     container",
                    trusted.root.display(),
                    changed.join(", ")
                ),
            );
        }

        fs::write(out.join("grades.csv"), csv(&trusted, &rows))
            .context("cannot write grades.csv")?;
        fs::write(out.join("summary.md"), summary(&trusted, &rows))
            .context("cannot write summary.md")?;
        let elapsed = started.elapsed().as_secs_f64();
        shell.status(
            Tone::Good,
            "Finished",
            format!(
                "{} student{} in {elapsed:.0} s ({:.1} s each): {}",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" },
                elapsed / rows.len().max(1) as f64,
                slash(&out.join("grades.csv"))
            ),
        );
        shell.note(format!(
            "feedback per student in {}, the class in {}",
            slash(&out.join("feedback")),
            slash(&out.join("summary.md"))
        ));
        Ok(rows.iter().all(|row| row.error.is_none()))
    }
}

fn draw_progress(done: usize, count: usize) {
    let width = 30;
    let filled = done * width / count.max(1);
    eprint!(
        "\r\x1b[2K    Grading [{}{}] {done}/{count}",
        "=".repeat(filled),
        " ".repeat(width - filled)
    );
    let _ = std::io::stderr().flush();
}

/// What every lane reads.
struct Shared<'a> {
    trusted: &'a Workbook,
    students: &'a [Student],
    out: &'a Path,
    stubs: &'a BTreeMap<PathBuf, Vec<u8>>,
    sandbox: &'a Sandbox,
    deadline: Option<&'a str>,
    timeout: Duration,
    /// Verdicts already reached in this run, by chapter and fingerprint of its files.
    seen: &'a Mutex<BTreeMap<(String, String), Outcome>>,
}

impl Shared<'_> {
    /// Grades one student, every chapter, in `stage`.
    fn grade_student(&self, stage: &mut Stage, student: &Student) -> Row {
        let begun = Instant::now();
        let mut row = Row {
            name: student.name.clone(),
            commit: None,
            chapters: BTreeMap::new(),
            flags: Vec::new(),
            error: None,
            seconds: 0.0,
        };
        match snapshot(self.trusted, student, self.out, self.deadline, self.stubs) {
            Err(error) => row.error = Some(format!("{error:#}")),
            Ok(snapshot) => {
                row.commit = snapshot.commit.clone();
                row.flags = snapshot.flags.clone();
                for chapter in &self.trusted.chapters {
                    let outcome =
                        stage.grade(chapter, &student.name, &snapshot, self, &mut row.flags);
                    row.chapters.insert(chapter.id.clone(), outcome);
                }
            }
        }
        row.seconds = begun.elapsed().as_secs_f64();
        row
    }
}

/// The students named on the command line and in the roster, with names fit for file names and
/// all different.
fn roster(options: &Args) -> Result<Vec<Student>> {
    let mut students = Vec::new();
    for location in &options.students {
        let name = location
            .trim_end_matches(['/', '\\'])
            .rsplit(['/', '\\', ':'])
            .next()
            .unwrap_or(location)
            .trim_end_matches(".git");
        students.push(Student {
            name: file_name(name),
            location: location.clone(),
        });
    }
    if let Some(file) = &options.roster {
        let text = fs::read_to_string(file)
            .with_context(|| format!("cannot read the roster {}", file.display()))?;
        let base = file.parent().unwrap_or(Path::new("."));
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, location)) = line.split_once(',') else {
                bail!(
                    "{}:{}: a roster line is `name,folder-or-url`, not `{line}`",
                    file.display(),
                    number + 1
                );
            };
            let (name, location) = (name.trim(), location.trim());
            if number == 0 && name.eq_ignore_ascii_case("name") {
                continue; // a header
            }
            let location = if git::is_url(location) || Path::new(location).is_absolute() {
                location.to_owned()
            } else {
                base.join(location).to_string_lossy().into_owned()
            };
            students.push(Student {
                name: file_name(name),
                location,
            });
        }
    }
    let mut seen = BTreeSet::new();
    for student in &students {
        ensure!(
            !student.name.is_empty(),
            "a student has no usable name ({})",
            student.location
        );
        ensure!(
            seen.insert(student.name.to_ascii_lowercase()),
            "two students are named {}: give them different names in the roster",
            student.name
        );
    }
    Ok(students)
}

/// `name` with anything but letters, digits, `.`, `-` and `_` replaced, for file names.
fn file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    cleaned.trim_start_matches('.').to_owned()
}

/// Reads a student's work: the student's files of every chapter, at the right commit.
fn snapshot(
    trusted: &Workbook,
    student: &Student,
    out: &Path,
    deadline: Option<&str>,
    stubs: &BTreeMap<PathBuf, Vec<u8>>,
) -> Result<Snapshot> {
    let folder = if git::is_url(&student.location) {
        let clone = out.join("repos").join(format!("{}.git", student.name));
        let _ = fs::remove_dir_all(&clone);
        git::clone(&student.location, &clone, &["--bare"], false)
            .with_context(|| format!("cannot clone {}", student.location))?;
        clone
    } else {
        let folder = PathBuf::from(&student.location);
        ensure!(folder.is_dir(), "{} is not a folder", folder.display());
        folder
    };
    let is_git = folder.join(".git").exists()
        || (git::is_url(&student.location) && folder.join("HEAD").is_file());
    let mut snapshot = if is_git {
        from_git(trusted, &folder, deadline)?
    } else {
        ensure!(
            deadline.is_none(),
            "{} is not a git repository, so there is no history to apply the deadline to",
            folder.display()
        );
        from_folder(trusted, &folder)?
    };
    suspicious(&mut snapshot, stubs);
    Ok(snapshot)
}

fn from_git(trusted: &Workbook, folder: &Path, deadline: Option<&str>) -> Result<Snapshot> {
    let commit = match deadline {
        Some(date) => {
            let before = format!("--before={date}");
            let found = git::run_untrusted(folder, &["rev-list", "-1", &before, "HEAD"])?;
            let commit = String::from_utf8_lossy(&found).trim().to_owned();
            ensure!(!commit.is_empty(), "no commit before the deadline ({date})");
            commit
        }
        None => String::from_utf8_lossy(&git::run_untrusted(folder, &["rev-parse", "HEAD"])?)
            .trim()
            .to_owned(),
    };
    let listing = git::run_untrusted(folder, &["ls-tree", "-r", "-l", "-z", &commit])?;
    let mut snapshot = Snapshot {
        commit: Some(commit),
        chapters: BTreeMap::new(),
        flags: Vec::new(),
    };
    let mut total = 0;
    for entry in String::from_utf8_lossy(&listing).split('\0') {
        // `MODE TYPE OBJECT SIZE\tPATH`
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let fields: Vec<&str> = meta.split_whitespace().collect();
        let [mode, kind, object, size] = fields[..] else {
            continue;
        };
        let path = PathBuf::from(path);
        note_foreign(trusted, &path, &mut snapshot.flags, || {
            git::run_untrusted(folder, &["cat-file", "blob", object]).unwrap_or_default()
        });
        let Some(chapter) = trusted
            .chapters
            .iter()
            .find(|chapter| owned::is_students(chapter, &path))
        else {
            continue;
        };
        if kind != "blob" || mode == "120000" {
            snapshot.flags.push(format!(
                "{}: a symbolic link or submodule, not graded",
                slash(&path)
            ));
            continue;
        }
        let size: u64 = size.parse().unwrap_or(u64::MAX);
        if snapshot.admits(&path, size, &mut total) {
            let content = git::run_untrusted(folder, &["cat-file", "blob", object])?;
            snapshot.insert(chapter, path, content);
        }
    }
    Ok(snapshot)
}

fn from_folder(trusted: &Workbook, folder: &Path) -> Result<Snapshot> {
    let mut snapshot = Snapshot {
        commit: None,
        chapters: BTreeMap::new(),
        flags: Vec::new(),
    };
    let mut total = 0;
    for chapter in &trusted.chapters {
        for file in [
            PathBuf::from(MANIFEST),
            chapter.tests_file(),
            chapter.exercise_dir().join("Cargo.toml"),
            chapter.exercise_dir().join("build.rs"),
        ] {
            let path = folder.join(&file);
            if path.is_file() {
                note_foreign(trusted, &file, &mut snapshot.flags, || {
                    fs::read(&path).unwrap_or_default()
                });
            }
        }
        let src = chapter.exercise_dir().join("src");
        for file in files::list(&folder.join(&src), &|_| false)? {
            let relative = src.join(&file);
            if !owned::is_students(chapter, &relative) {
                continue;
            }
            let path = folder.join(&relative);
            let meta = fs::symlink_metadata(&path)?;
            if meta.file_type().is_symlink() {
                snapshot
                    .flags
                    .push(format!("{}: a symbolic link, not graded", slash(&relative)));
                continue;
            }
            if snapshot.admits(&relative, meta.len(), &mut total) {
                snapshot.insert(chapter, relative, fs::read(&path)?);
            }
        }
    }
    Ok(snapshot)
}

/// Notes a file of the student's repository that is the instructor's and differs from the
/// trusted one (edited tests or points, a build script): it is not used, but worth knowing.
fn note_foreign(
    trusted: &Workbook,
    path: &Path,
    flags: &mut Vec<String>,
    content: impl FnOnce() -> Vec<u8>,
) {
    let watched = path == Path::new(MANIFEST)
        || trusted.chapters.iter().any(|chapter| {
            path == chapter.tests_file()
                || path == chapter.exercise_dir().join("Cargo.toml")
                || path == chapter.exercise_dir().join("build.rs")
        });
    if !watched {
        return;
    }
    let theirs = content();
    match fs::read(trusted.root.join(path)) {
        Ok(ours) if ours == theirs => {}
        Ok(_) => flags.push(format!(
            "{}: differs from the trusted workbook's (not used: graded with yours)",
            slash(path)
        )),
        Err(_) => flags.push(format!(
            "{}: not in the trusted workbook (not used)",
            slash(path)
        )),
    }
}

/// Flags the suspicious lines of a student's files (see [`source::suspicious_lines`]), but for
/// those the handed-out stub has too.
fn suspicious(snapshot: &mut Snapshot, stubs: &BTreeMap<PathBuf, Vec<u8>>) {
    for files in snapshot.chapters.values() {
        for (path, content) in files {
            let text = String::from_utf8_lossy(content);
            let stub = stubs
                .get(path)
                .map(|stub| String::from_utf8_lossy(stub).into_owned())
                .unwrap_or_default();
            let handed_out: BTreeSet<&str> = stub.lines().map(str::trim).collect();
            // A program's `main` may write to stdout; the library the tests call should not.
            let program = path.components().any(|c| {
                let c = c.as_os_str();
                c == "programs" || c == "bin"
            });
            for (number, line, why) in source::suspicious_lines(&text, program) {
                if handed_out.contains(line.trim()) {
                    continue;
                }
                snapshot.flags.push(format!(
                    "{}:{number}: `{}`: {why}",
                    slash(path),
                    line.trim().chars().take(80).collect::<String>()
                ));
            }
        }
    }
}

/// The copy of the trusted workbook where students' files are graded, and what it must hold.
struct Stage {
    root: PathBuf,
    target: PathBuf,
    /// Every file of the trusted workbook that grading depends on (all but the book's pages and
    /// the students' files), with its content, read once before any student's code runs.
    trusted: BTreeMap<PathBuf, Vec<u8>>,
    /// Each chapter's test names and the points each is worth, from the trusted files.
    worth: BTreeMap<String, Vec<(String, u32)>>,
    /// Each chapter's files as the stage has them now (a fingerprint).
    current: BTreeMap<String, String>,
    chapters: Vec<Chapter>,
}

/// The lock file, which cargo writes when the trusted workbook has none.
const LOCK_FILE: &str = "Cargo.lock";

/// Folders of the trusted workbook that grading never needs or must not copy.
fn skipped(path: &Path) -> bool {
    let text = slash(path);
    files::is_build_output(path)
        || matches!(
            text.as_str(),
            ".git" | ".workbook" | "book/build" | "book/src"
        )
}

impl Stage {
    /// A stage in `folder` (its `workbook/` and build folder `target/`).
    fn prepare(
        trusted: &Workbook,
        folder: &Path,
        stubs: &BTreeMap<PathBuf, Vec<u8>>,
    ) -> Result<Stage> {
        let root = folder.join("workbook");
        let target = folder.join("target");
        // The output folder may be inside the trusted workbook: it is not copied.
        let out = folder.parent().and_then(Path::parent).unwrap_or(folder);
        let out_inside = out.strip_prefix(&trusted.root).ok().map(Path::to_path_buf);
        let skip = |path: &Path| skipped(path) || out_inside.as_deref() == Some(path);
        let mut files = BTreeMap::new();
        for file in files::list(&trusted.root, &skip)? {
            let students = trusted
                .chapters
                .iter()
                .any(|chapter| owned::is_students(chapter, &file));
            if !students {
                let content = fs::read(trusted.root.join(&file))
                    .with_context(|| format!("cannot read {}", file.display()))?;
                files.insert(file, content);
            }
        }
        let mut worth = BTreeMap::new();
        for chapter in &trusted.chapters {
            let tests = chapter.tests_text(&|path| {
                files
                    .get(path)
                    .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            });
            worth.insert(chapter.id.clone(), chapter.tests_with_points(&tests));
        }
        let mut stage = Stage {
            root,
            target,
            trusted: files,
            worth,
            current: BTreeMap::new(),
            chapters: trusted.chapters.clone(),
        };
        stage.restore()?;
        // The stubs, so that the workspace builds before any student's files arrive.
        for chapter in &trusted.chapters {
            let stub = stubs
                .iter()
                .filter(|(file, _)| owned::is_students(chapter, file))
                .map(|(file, content)| (file.clone(), content.clone()))
                .collect();
            stage.place(chapter, &stub)?;
        }
        Ok(stage)
    }

    /// Puts back every trusted file that differs in the stage, and removes what the trusted
    /// workbook does not have (but the students' files and the build output); returns the files
    /// it had to put back or remove.
    fn restore(&mut self) -> Result<Vec<String>> {
        let mut changed = Vec::new();
        for (file, content) in &self.trusted {
            let path = self.root.join(file);
            if fs::read(&path).ok().as_deref() != Some(content.as_slice()) {
                // Cargo itself may write the lock file; it is put back without a word.
                if path.exists() && file != Path::new(LOCK_FILE) {
                    changed.push(slash(file));
                }
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent)?;
                }
                let _ = fs::remove_file(&path);
                fs::write(&path, content)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
        let chapters = &self.chapters;
        for file in files::list(&self.root, &skipped)? {
            let students = chapters
                .iter()
                .any(|chapter| owned::is_students(chapter, &file));
            if !students && !self.trusted.contains_key(&file) && file != Path::new(LOCK_FILE) {
                changed.push(slash(&file));
                let _ = fs::remove_file(self.root.join(&file));
            }
        }
        Ok(changed)
    }

    /// Makes the stage's source of `chapter` exactly `files`, and forgets its build output
    /// when it changed.
    fn place(&mut self, chapter: &Chapter, files: &BTreeMap<PathBuf, Vec<u8>>) -> Result<bool> {
        let print = fingerprint(files);
        if self.current.get(&chapter.id) == Some(&print) {
            return Ok(false);
        }
        let src = chapter.exercise_dir().join("src");
        for file in files::list(&self.root.join(&src), &|_| false)? {
            let relative = src.join(&file);
            if owned::is_students(chapter, &relative) && !files.contains_key(&relative) {
                fs::remove_file(self.root.join(&relative))?;
            }
        }
        for (file, content) in files {
            let path = self.root.join(file);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            let _ = fs::remove_file(&path);
            fs::write(&path, content)?;
        }
        self.current.insert(chapter.id.clone(), print);
        Ok(true)
    }

    /// Cargo in the stage, with its build settings: no debug information and no incremental
    /// builds, which make a student's crate build two to three times as fast and change nothing
    /// the tests see.
    fn cargo(&self) -> Command {
        let mut command = cargo::cargo();
        self.build_settings(&mut command);
        command
    }

    fn build_settings(&self, command: &mut Command) {
        command
            .current_dir(&self.root)
            .env("CARGO_TARGET_DIR", &self.target)
            .env("CARGO_PROFILE_DEV_DEBUG", "0")
            .env("CARGO_INCREMENTAL", "0");
    }

    /// Builds the stubs (and every dependency) once, outside the sandbox and with the network,
    /// so that the sandboxed builds only compile the students' own crates, offline.
    fn warm(&self) -> Result<()> {
        let mut command = self.cargo();
        command
            .args(["test", "--no-run", "--lib", "--quiet"])
            .stdin(Stdio::null());
        for chapter in &self.chapters {
            command.args(["--package", &chapter.exercise]);
        }
        let output = command.output().context("cannot run cargo")?;
        ensure!(
            output.status.success(),
            "the trusted workbook's stubs do not build in the stage: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        Ok(())
    }

    /// Grades one chapter of one student.
    fn grade(
        &mut self,
        chapter: &Chapter,
        student: &str,
        snapshot: &Snapshot,
        shared: &Shared,
        flags: &mut Vec<String>,
    ) -> Outcome {
        let worth: u32 = self.worth[&chapter.id].iter().map(|(_, p)| p).sum();
        let Some(files) = snapshot.chapters.get(&chapter.id) else {
            return Outcome {
                points: 0,
                worth,
                report: None,
                problem: Some(format!(
                    "{} has no source in the student's repository",
                    slash(&chapter.exercise_dir())
                )),
                graded_for: student.to_owned(),
            };
        };
        let key = (chapter.id.clone(), fingerprint(files));
        let known = shared
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        if let Some(outcome) = known {
            return outcome;
        }
        let outcome = match self.grade_afresh(chapter, files, shared.sandbox, shared.timeout, flags)
        {
            Ok(report) => self.count(chapter, student, report),
            Err(error) => Outcome {
                points: 0,
                worth,
                report: None,
                problem: Some(format!("{error:#}")),
                graded_for: student.to_owned(),
            },
        };
        shared
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, outcome.clone());
        outcome
    }

    fn grade_afresh(
        &mut self,
        chapter: &Chapter,
        files: &BTreeMap<PathBuf, Vec<u8>>,
        sandbox: &Sandbox,
        timeout: Duration,
        flags: &mut Vec<String>,
    ) -> Result<Value> {
        let changed = self.restore()?;
        if !changed.is_empty() {
            bail!(
                "the stage was changed before grading: {}",
                changed.join(", ")
            );
        }
        if self.place(chapter, files)? {
            let status = self
                .cargo()
                .args(["clean", "--quiet", "--package", &chapter.exercise])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .context("cannot run cargo clean")?;
            ensure!(
                status.success(),
                "cargo clean --package {} failed",
                chapter.exercise
            );
        }
        let args: Vec<OsString> = [
            "--root".into(),
            self.root.clone().into_os_string(),
            "--color".into(),
            "never".into(),
            "check".into(),
            chapter.id.clone().into(),
            "--format".into(),
            "json".into(),
            "--timeout".into(),
            timeout.as_secs().to_string().into(),
        ]
        .into();
        let (mut command, group) = sandbox.command(&sandbox.runner, &args);
        self.build_settings(&mut command);
        command
            .env("CARGO_NET_OFFLINE", "true")
            .env("CARGO_TERM_COLOR", "never")
            .env("WORKBOOK_BUILD_LIMIT", BUILD_LIMIT_SECS.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        processes::own_group(&mut command);
        let limit = Duration::from_secs(BUILD_LIMIT_SECS + 60) + timeout * 3;
        let ran = run_bounded(command, limit);
        sandbox.release(group);
        let (code, stdout, stderr) = ran?;
        let tampered = self.restore()?;
        if !tampered.is_empty() {
            flags.push(format!(
                "{}: the student's code changed the trusted workbook while it was graded \
                 (put back): {}",
                chapter.id,
                tampered.join(", ")
            ));
        }
        let code = code.with_context(|| {
            format!(
                "grading {} did not end within {} s and was stopped",
                chapter.id,
                limit.as_secs()
            )
        })?;
        if code > 1 {
            let said = String::from_utf8_lossy(&stderr);
            let tail: Vec<&str> = said.lines().rev().take(6).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!(
                "the runner could not grade {} (exit code {code}): {}",
                chapter.id,
                tail.join(" / ")
            );
        }
        serde_json::from_slice(&stdout)
            .with_context(|| format!("the runner's report on {} is not JSON", chapter.id))
    }

    /// The points of a report, counted again from the trusted test names and points: a test the
    /// report does not show passed earns nothing, and no report can raise what a test is worth.
    fn count(&self, chapter: &Chapter, student: &str, report: Value) -> Outcome {
        let verdicts: BTreeMap<&str, &str> = report["tests"]
            .as_array()
            .map(|tests| {
                tests
                    .iter()
                    .filter_map(|t| Some((t["name"].as_str()?, t["verdict"].as_str()?)))
                    .collect()
            })
            .unwrap_or_default();
        let list = &self.worth[&chapter.id];
        let worth = list.iter().map(|(_, p)| p).sum();
        let points = list
            .iter()
            .filter(|(name, _)| verdicts.get(name.as_str()) == Some(&"passed"))
            .map(|(_, p)| p)
            .sum();
        Outcome {
            points,
            worth,
            report: Some(report),
            problem: None,
            graded_for: student.to_owned(),
        }
    }
}

fn fingerprint(files: &BTreeMap<PathBuf, Vec<u8>>) -> String {
    let mut print = Fingerprint::new();
    for (path, content) in files {
        print.add_named(path, content);
    }
    print.hex()
}

/// Runs `command` (in a process group of its own) for at most `limit`; its exit code (`None`
/// when it had to be stopped) and up to 8 MiB of each of its outputs.
fn run_bounded(mut command: Command, limit: Duration) -> Result<(Option<i32>, Vec<u8>, Vec<u8>)> {
    let mut child = command.spawn().context("cannot start the runner")?;
    let stdout = Drain::start(child.stdout.take().context("stdout is piped")?, 8 << 20);
    let stderr = Drain::start(child.stderr.take().context("stderr is piped")?, 8 << 20);
    let ended = processes::wait_until(&mut child, Instant::now() + limit)?;
    // Whatever the run left behind goes too, so that the pipes close; a process that escaped
    // may hold them longer, and then what came so far has to do.
    processes::end_tree(&mut child);
    let grace = Duration::from_secs(2);
    Ok((
        ended.map(|status| status.code().unwrap_or(3)),
        stdout.finish(grace),
        stderr.finish(grace),
    ))
}

fn totals(row: &Row) -> (u32, u32) {
    row.chapters
        .values()
        .fold((0, 0), |(p, w), o| (p + o.points, w + o.worth))
}

fn write_feedback(out: &Path, trusted: &Workbook, row: &Row) -> Result<()> {
    let (points, worth) = totals(row);
    let mut text = format!("# {}: {points}/{worth} points\n\n", row.name);
    if let Some(commit) = &row.commit {
        let _ = writeln!(text, "Graded commit `{commit}`.\n");
    }
    if let Some(error) = &row.error {
        let _ = writeln!(text, "**Could not be graded:** {error}\n");
    }
    if !row.chapters.is_empty() {
        text.push_str("| chapter | points | tests passed |\n| --- | --- | --- |\n");
        for chapter in &trusted.chapters {
            let Some(outcome) = row.chapters.get(&chapter.id) else {
                continue;
            };
            let passed = match &outcome.report {
                Some(report) if report["compiled"] == true => {
                    format!("{}/{}", report["passed"], report["total"])
                }
                Some(_) => "does not compile".to_owned(),
                None => "not graded".to_owned(),
            };
            let _ = writeln!(
                text,
                "| {} · {} | {}/{} | {passed} |",
                chapter.id, chapter.title, outcome.points, outcome.worth
            );
        }
        text.push('\n');
    }
    for chapter in &trusted.chapters {
        let Some(outcome) = row.chapters.get(&chapter.id) else {
            continue;
        };
        let mut details = String::new();
        if let Some(problem) = &outcome.problem {
            let _ = writeln!(details, "{problem}\n");
        }
        if let Some(report) = &outcome.report {
            if let Some(errors) = report["compile_errors"].as_array() {
                for error in errors.iter().filter_map(Value::as_str) {
                    let _ = writeln!(details, "```text\n{}\n```\n", error.trim_end());
                }
            }
            for test in report["tests"].as_array().into_iter().flatten() {
                if test["verdict"] == "passed" {
                    continue;
                }
                let _ = writeln!(
                    details,
                    "- **{}** ({}): {}",
                    test["name"].as_str().unwrap_or("?"),
                    test["verdict"].as_str().unwrap_or("?"),
                    test["message"].as_str().unwrap_or("").replace('\n', " ")
                );
            }
        }
        if !details.is_empty() {
            let _ = writeln!(text, "## {} · {}\n\n{}", chapter.id, chapter.title, details);
        }
    }
    if !row.flags.is_empty() {
        text.push_str(
            "## For the instructor to look at\n\nNot counted against the grade: the grader \
             flags what can fool or escape a grader, and you decide.\n\n",
        );
        for flag in &row.flags {
            let _ = writeln!(text, "- {flag}");
        }
    }
    fs::write(out.join("feedback").join(format!("{}.md", row.name)), text)?;
    let reports: serde_json::Map<String, Value> = row
        .chapters
        .iter()
        .map(|(id, o)| {
            (
                id.clone(),
                json!({
                    "points": o.points,
                    "max_points": o.worth,
                    "problem": o.problem,
                    "graded_for": o.graded_for,
                    "report": o.report,
                }),
            )
        })
        .collect();
    let json = json!({
        "student": row.name,
        "commit": row.commit,
        "error": row.error,
        "flags": row.flags,
        "chapters": reports,
    });
    fs::write(
        out.join("reports").join(format!("{}.json", row.name)),
        serde_json::to_string_pretty(&json)?,
    )?;
    Ok(())
}

/// A CSV field, quoted when it must be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn csv(trusted: &Workbook, rows: &[Row]) -> String {
    let mut text = String::from("student,commit");
    for chapter in &trusted.chapters {
        let _ = write!(text, ",{}", chapter.id);
    }
    text.push_str(",points,max_points,flags,error,seconds\n");
    for row in rows {
        let _ = write!(
            text,
            "{},{}",
            field(&row.name),
            row.commit.as_deref().unwrap_or("")
        );
        for chapter in &trusted.chapters {
            let points = row.chapters.get(&chapter.id).map_or(0, |o| o.points);
            let _ = write!(text, ",{points}");
        }
        let (points, _) = totals(row);
        let worth: u32 = trusted
            .chapters
            .iter()
            .map(|chapter| {
                row.chapters
                    .get(&chapter.id)
                    .map_or(0, |outcome| outcome.worth)
            })
            .sum();
        let _ = writeln!(
            text,
            ",{points},{worth},{},{},{:.1}",
            row.flags.len(),
            field(row.error.as_deref().unwrap_or("")),
            row.seconds
        );
    }
    text
}

fn summary(trusted: &Workbook, rows: &[Row]) -> String {
    let graded: Vec<&Row> = rows.iter().filter(|row| row.error.is_none()).collect();
    let mut text = format!(
        "# The class: {} students ({} graded)\n\n| chapter | average | full marks | does not \
         compile |\n| --- | --- | --- | --- |\n",
        rows.len(),
        graded.len()
    );
    let mut failing: BTreeMap<(String, String), usize> = BTreeMap::new();
    for chapter in &trusted.chapters {
        let outcomes: Vec<&Outcome> = graded
            .iter()
            .filter_map(|row| row.chapters.get(&chapter.id))
            .collect();
        let worth = outcomes.first().map_or(0, |o| o.worth);
        let average = outcomes.iter().map(|o| f64::from(o.points)).sum::<f64>()
            / outcomes.len().max(1) as f64;
        let full = outcomes.iter().filter(|o| o.points == o.worth).count();
        let broken = outcomes
            .iter()
            .filter(|o| o.report.as_ref().is_some_and(|r| r["compiled"] == false))
            .count();
        let _ = writeln!(
            text,
            "| {} · {} | {average:.1}/{worth} | {full} | {broken} |",
            chapter.id, chapter.title
        );
        for outcome in outcomes {
            let Some(report) = &outcome.report else {
                continue;
            };
            // A test failed by someone who did not start the chapter says nothing of the test.
            if report["passed"] == 0 {
                continue;
            }
            for test in report["tests"].as_array().into_iter().flatten() {
                if test["verdict"] != "passed" {
                    let name = test["name"].as_str().unwrap_or("?").to_owned();
                    *failing.entry((chapter.id.clone(), name)).or_default() += 1;
                }
            }
        }
    }
    let mut failing: Vec<_> = failing.into_iter().collect();
    failing.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    text.push_str(
        "\n## The tests most students fail\n\nAmong students who pass at least one test of the \
         chapter.\n\n",
    );
    if failing.is_empty() {
        text.push_str("None.\n");
    }
    for ((chapter, test), count) in failing.iter().take(15) {
        let _ = writeln!(text, "- {count} × {chapter}: {test}");
    }
    let flagged: Vec<&Row> = rows.iter().filter(|row| !row.flags.is_empty()).collect();
    text.push_str("\n## Sources to look at\n\n");
    if flagged.is_empty() {
        text.push_str("None.\n");
    }
    for row in flagged {
        let _ = writeln!(
            text,
            "- {}: {} (see feedback/{}.md)",
            row.name,
            row.flags.len(),
            row.name
        );
    }
    let failed: Vec<&Row> = rows.iter().filter(|row| row.error.is_some()).collect();
    if !failed.is_empty() {
        text.push_str("\n## Not graded\n\n");
        for row in failed {
            let _ = writeln!(
                text,
                "- {}: {}",
                row.name,
                row.error.as_deref().unwrap_or("")
            );
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_safe_file_names() {
        assert_eq!(file_name("Ann Lee"), "Ann_Lee");
        assert_eq!(file_name("../../etc"), "_.._etc");
        assert_eq!(file_name(".hidden"), "hidden");
    }

    #[test]
    fn a_csv_field_is_quoted_when_it_must_be() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
