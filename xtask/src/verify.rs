//! `cargo xtask verify`: the instructor's and CI's proof that the workbook grades what it claims.
//!
//! 1. The manifest, the folders and `SUMMARY.md` agree.
//! 2. The tooling's own tests pass (`cargo test` on everything but the chapters).
//! 3. For every chapter, every test passes on the solution and fails on the untouched stub; a
//!    test that passes on the stub grades nothing, and is named.
//! 4. For every chapter, every classic mistake in its `mutants.toml` is caught by the tests.
//!
//! It ends with one line, `verify: N passed, M failed`, counting those checks.
//!
//! What passed is remembered under a fingerprint of everything it depends on (see [`cache`]):
//! a second run re-grades only the chapters whose files changed, unless `--fresh`.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::cache;
use crate::cargo;
use crate::git;
use crate::grading::{self, Graded, Limits, Side};
use crate::libtest;
use crate::mutants::{self, Outcome, VariantOutcome};
use crate::shell::{self, Shell, Tone};
use crate::verdict::Verdict;
use crate::workbook::{Chapter, Workbook, slash};

/// Counts of checks that passed and failed.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
}

impl Tally {
    fn add(&mut self, ok: bool, count: usize) {
        if ok {
            self.passed += count;
        } else {
            self.failed += count;
        }
    }
}

/// For instructors and CI: the manifest agrees with the tree, the tooling's own tests pass, and
/// for every chapter every test passes on the solution and fails on the untouched stub.
#[derive(clap::Args)]
pub struct Args {
    /// Verify only these chapters (and skip the tooling's own tests).
    chapters: Vec<String>,
    /// Grade everything again, even what passed last time with the very same files.
    #[arg(long)]
    fresh: bool,
    #[command(flatten)]
    limits: Limits,
}

impl Args {
    /// Runs `verify`; true when every check passed.
    pub fn run(self, workbook: &Workbook, shell: &Shell) -> Result<bool> {
        workbook.require_solutions("verify the workbook")?;
        verify(
            workbook,
            shell,
            &self.chapters,
            self.limits.timeout(),
            self.fresh,
        )
    }
}

/// Verifies the chapters `queries` names (every chapter, and the tooling, when there are none),
/// stopping tests after `timeout`; `fresh` grades again what passed last time.
fn verify(
    workbook: &Workbook,
    shell: &Shell,
    queries: &[String],
    timeout: Duration,
    fresh: bool,
) -> Result<bool> {
    let chapters = workbook.chapters_named(queries)?;
    let mut tally = Tally::default();

    // Verifying some chapters leaves out the other chapters' own problems, never the tree's
    // (a chapter missing from SUMMARY.md, a stray folder).
    let problems: Vec<String> = workbook
        .problems()
        .into_iter()
        .chain(workbook.naming_problems())
        .filter(|problem| {
            let owner = workbook
                .chapters
                .iter()
                .find(|c| problem.starts_with(&format!("{}:", c.id)));
            match owner {
                Some(owner) => queries.is_empty() || chapters.iter().any(|c| c.id == owner.id),
                None => true,
            }
        })
        .collect();
    if problems.is_empty() {
        shell.status(
            Tone::Good,
            "Tidy",
            "the manifest, the folders and SUMMARY.md agree",
        );
    } else {
        for problem in &problems {
            shell.status(Tone::Bad, "Untidy", problem);
        }
    }
    tally.add(problems.is_empty(), problems.len().max(1));

    let common = cache::common(workbook);
    if queries.is_empty() {
        let mut print = common.clone();
        print.add_tree(&workbook.root, std::path::Path::new(""));
        let fingerprint = print.hex();
        match cache::recall(workbook, "tooling", &fingerprint).filter(|_| !fresh) {
            Some(passed) => {
                let count = passed.counts.first().copied().unwrap_or(0);
                shell.status(
                    Tone::Good,
                    "Passed",
                    format!("{count} tooling tests (as last time: no file has changed)"),
                );
                tally.add(true, count);
            }
            None => {
                let before = tally.failed;
                let passed = tooling_tests(workbook, shell, &mut tally)?;
                if tally.failed == before {
                    let counts = vec![passed];
                    let names = Vec::new();
                    let passed = cache::Passed {
                        fingerprint,
                        counts,
                        names,
                    };
                    cache::remember(workbook, "tooling", &passed);
                }
            }
        }
    }

    let mut graded = Vec::new();
    for chapter in chapters {
        let mut print = common.clone();
        print.add(&timeout.as_secs().to_le_bytes());
        for depended in std::iter::once(chapter).chain(chapter.uses(workbook)) {
            print.add_tree(&workbook.root, &depended.exercise_dir());
            print.add_tree(&workbook.root, &depended.solution_dir());
        }
        let fingerprint = print.hex();
        let key = chapter.dir_name();
        // A memory of another shape (from another version of the runner) is no memory.
        let memory = cache::recall(workbook, &key, &fingerprint)
            .filter(|passed| !fresh && passed.counts.len() == 3);
        match memory {
            Some(passed) => recalled(shell, chapter, &passed, &mut tally),
            None => graded.push((chapter, key, fingerprint)),
        }
    }
    if !graded.is_empty() {
        let packages: Vec<&str> = graded
            .iter()
            .flat_map(|(c, _, _)| [c.solution.as_str(), c.exercise.as_str()])
            .collect();
        shell.status(
            Tone::Good,
            "Compiling",
            format!("{} chapter crates", packages.len()),
        );
        cargo::warm(&workbook.root, &packages);
    }
    for (chapter, key, fingerprint) in graded {
        let before = tally.failed;
        let passed = verify_chapter(workbook, shell, chapter, timeout, &mut tally)?;
        if tally.failed == before {
            cache::remember(
                workbook,
                &key,
                &cache::Passed {
                    fingerprint,
                    ..passed
                },
            );
        } else {
            cache::forget(workbook, &key);
        }
    }

    shell.line("");
    shell.line(format!(
        "verify: {} passed, {} failed",
        tally.passed, tally.failed
    ));
    Ok(tally.failed == 0)
}

/// A chapter that passed with the very same files last time: said, and counted, as then.
fn recalled(shell: &Shell, chapter: &Chapter, passed: &cache::Passed, tally: &mut Tally) {
    let [tests, variants, mutants] = passed.counts[..] else {
        unreachable!("only memories of three counts are recalled");
    };
    shell.status(
        Tone::Good,
        "Verified",
        format!(
            "{} · {}: {}, {} ({}) and {}, as last time (none of the files they depend on has \
             changed)",
            chapter.id,
            chapter.title,
            counted(tests, "test"),
            counted(variants, "correct variant"),
            passed.names.join(", "),
            counted(mutants, "classic mistake")
        ),
    );
    tally.add(true, tests + variants + mutants);
}

/// `1 test`, `2 tests`.
fn counted(count: usize, what: &str) -> String {
    if count == 1 {
        format!("1 {what}")
    } else {
        format!("{count} {what}s")
    }
}

/// Runs `cargo test` on the tooling (the runner, the test kit, everything but the chapters and
/// the book builder, whose own tests CI runs beside the book's check); returns how many passed.
fn tooling_tests(workbook: &Workbook, shell: &Shell, tally: &mut Tally) -> Result<usize> {
    shell.status(
        Tone::Good,
        "Testing",
        "the tooling (cargo test, without the chapter crates)",
    );
    let mut command = cargo::cargo();
    command.current_dir(&workbook.root).args([
        "test",
        "--workspace",
        "--quiet",
        "--exclude",
        "book-builder",
    ]);
    for chapter in &workbook.chapters {
        command.args([
            "--exclude",
            &chapter.exercise,
            "--exclude",
            &chapter.solution,
        ]);
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .context("cannot run cargo test")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (passed, failed) = libtest::totals(&stdout);
    let ok = output.status.success();
    if ok {
        shell.status(Tone::Good, "Passed", format!("{passed} tooling tests"));
    } else {
        shell.status(
            Tone::Bad,
            "Failed",
            format!("the tooling's tests: {passed} passed, {failed} failed"),
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        shell.detail(tail(&format!("{stdout}\n{stderr}"), 60));
    }
    tally.add(true, passed);
    tally.add(false, failed);
    if !ok && failed == 0 {
        tally.add(false, 1);
    }
    Ok(passed)
}

/// Grades one chapter's solution and stub.
fn verify_chapter(
    workbook: &Workbook,
    shell: &Shell,
    chapter: &Chapter,
    timeout: Duration,
    tally: &mut Tally,
) -> Result<cache::Passed> {
    let label = format!("{} · {}", chapter.id, chapter.title);
    // A maintainer verifies a stub or tests being changed; anyone else may have solved the
    // exercise in place, and then its tests pass "on the stub". Say which it is, and go on. (Not
    // a git checkout, such as a downloaded copy: nothing to compare with, and nothing to say.)
    let exercise = chapter.exercise_dir();
    if git::changes(&workbook.root, &exercise).is_ok_and(|changes| !changes.is_empty()) {
        shell.status(
            Tone::Pending,
            "Note",
            format!(
                "{label}: {} has changes not yet committed; it is graded as it is now",
                slash(&exercise)
            ),
        );
    }

    let solution = grading::grade(workbook, chapter, Side::Solution, timeout)?;
    let stub = grading::grade(workbook, chapter, Side::Exercise, timeout)?;
    let mut complaints: Vec<String> = Vec::new();

    match &solution.graded {
        Graded::Broken(errors) => complaints.push(format!(
            "the solution does not compile:\n{}",
            errors.first().map(String::as_str).unwrap_or_default()
        )),
        Graded::Tests(tests) if tests.is_empty() => {
            complaints.push("the chapter has no tests".to_owned())
        }
        Graded::Tests(tests) => {
            for test in tests.iter().filter(|t| t.verdict != Verdict::Passed) {
                complaints.push(format!(
                    "`{}` {} on the solution: {}",
                    test.name,
                    test.verdict.word(),
                    test.verdict.message().unwrap_or_default()
                ));
            }
        }
    }
    match &stub.graded {
        Graded::Broken(errors) => complaints.push(format!(
            "the stub does not compile, and it must, so a student starts from green code:\n{}",
            errors.first().map(String::as_str).unwrap_or_default()
        )),
        Graded::Tests(tests) => {
            for test in tests {
                match test.verdict {
                    Verdict::Passed => complaints.push(format!(
                        "`{}` passes on the untouched stub, so it grades nothing",
                        test.name
                    )),
                    Verdict::Ignored => {
                        complaints.push(format!("`{}` is ignored, so it grades nothing", test.name))
                    }
                    _ => {}
                }
            }
        }
    }

    let count = solution.tests().len();
    if complaints.is_empty() {
        shell.status(
            Tone::Good,
            "Verified",
            format!(
                "{label}: {}",
                match count {
                    1 => "1 test passes on the solution and fails on the stub".to_string(),
                    _ => format!("{count} tests pass on the solution and fail on the stub"),
                }
            ),
        );
        tally.add(true, count);
    } else {
        shell.status(Tone::Bad, "Failed", &label);
        for complaint in &complaints {
            shell.detail(format!("- {}", complaint.replace('\n', "\n  ")));
        }
        tally.add(true, count.saturating_sub(complaints.len()));
        tally.add(false, complaints.len());
    }
    let variants = verify_variants(workbook, shell, chapter, timeout, tally)?;
    let mutants = verify_mutants(workbook, shell, chapter, timeout, tally)?;
    Ok(cache::Passed {
        fingerprint: String::new(),
        counts: vec![count, variants.len(), mutants],
        names: variants,
    })
}

/// How many correct variants, written differently from the reference, each chapter must have.
const MIN_VARIANTS: usize = 2;

/// Grades each of the chapter's correct variants exactly as the reference: every test must pass.
/// They are the proof that the tests ask for behaviour, not for one way of writing it.
fn verify_variants(
    workbook: &Workbook,
    shell: &Shell,
    chapter: &Chapter,
    timeout: Duration,
    tally: &mut Tally,
) -> Result<Vec<String>> {
    let variants = mutants::variants(workbook, chapter)?;
    let folder = slash(&chapter.solution_dir().join(mutants::VARIANTS));
    if variants.len() < MIN_VARIANTS {
        shell.status(
            Tone::Bad,
            "Variants",
            format!(
                "{}: {folder} has {} correct variants; it needs at least {MIN_VARIANTS}, written \
                 differently from the reference, to show the tests ask for behaviour and not for \
                 one implementation",
                chapter.id,
                variants.len()
            ),
        );
        tally.add(false, 1);
    }
    let mut passed = Vec::new();
    for variant in &variants {
        let problems: Vec<String> = match mutants::try_variant(workbook, chapter, variant, timeout)?
        {
            VariantOutcome::Passed => {
                passed.push(variant.name.clone());
                continue;
            }
            VariantOutcome::Failed { tests } => tests
                .into_iter()
                .map(|(name, message)| format!("`{name}` fails: {message}"))
                .collect(),
            VariantOutcome::Broken { error } => vec![format!("it does not compile:\n{error}")],
        };
        shell.status(
            Tone::Bad,
            "Rejected",
            format!(
                "{}: the correct variant `{}` ({})",
                chapter.id, variant.name, variant.summary
            ),
        );
        for problem in problems {
            shell.detail(format!("- {}", problem.replace('\n', "\n  ")));
        }
        tally.add(false, 1);
    }
    if !passed.is_empty() {
        shell.status(
            Tone::Good,
            "Variants",
            match passed.len() {
                1 => format!(
                    "{}: 1 correct variant passes every test ({})",
                    chapter.id, passed[0]
                ),
                count => format!(
                    "{}: {count} correct variants, written differently, pass every test ({})",
                    chapter.id,
                    passed.join(", ")
                ),
            },
        );
        tally.add(true, passed.len());
    }
    Ok(passed)
}

/// Applies each of the chapter's classic mistakes to a copy of its solution and checks that the
/// tests catch it.
fn verify_mutants(
    workbook: &Workbook,
    shell: &Shell,
    chapter: &Chapter,
    timeout: Duration,
    tally: &mut Tally,
) -> Result<usize> {
    let mutants: Vec<mutants::Mutant> = mutants::load(workbook, chapter)?
        .into_iter()
        .filter(mutants::Mutant::applies_here)
        .collect();
    if mutants.is_empty() {
        shell.status(
            Tone::Bad,
            "No mutants",
            format!(
                "{}: {} lists no classic mistakes, so nothing shows the tests catch any",
                chapter.id,
                slash(&chapter.solution_dir().join(mutants::FILE))
            ),
        );
        tally.add(false, 1);
        return Ok(0);
    }
    let mut caught = 0;
    for mutant in &mutants {
        let problem = match mutants::try_mutant(workbook, chapter, mutant, timeout)? {
            Outcome::Caught => {
                caught += 1;
                continue;
            }
            Outcome::Survived => "every test passes on it".to_owned(),
            Outcome::Missed { tests } => format!("{} should fail on it but pass", tests.join(", ")),
            Outcome::Broken { error } => format!("it does not compile:\n{error}"),
        };
        shell.status(
            Tone::Bad,
            "Survived",
            format!("{}: mutant `{}` ({})", chapter.id, mutant.name, mutant.why),
        );
        shell.detail(format!("- {}", problem.replace('\n', "\n  ")));
    }
    let survived = mutants.len() - caught;
    if survived == 0 {
        shell.status(
            Tone::Good,
            "Caught",
            format!(
                "{}: {} in {}",
                chapter.id,
                match caught {
                    1 => "the 1 classic mistake".to_string(),
                    _ => format!("all {caught} classic mistakes"),
                },
                mutants::FILE
            ),
        );
    }
    tally.add(true, caught);
    tally.add(false, survived);
    Ok(caught)
}

/// The last `count` lines of `text`.
fn tail(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(count);
    let mut shown = lines[start..].join("\n");
    if start > 0 {
        shown = format!(
            "{}\n{shown}",
            shell::dim(&format!("… ({start} lines above)"))
        );
    }
    shown
}
