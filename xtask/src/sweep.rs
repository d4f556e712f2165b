//! `cargo xtask sweep`: the maintainers' mutation sweep. It runs `cargo-mutants` (installing it
//! the first time) over a chapter's reference solution, and checks that every mutant the tests
//! miss is listed, with the reason no test can or should catch it, in the chapter's
//! `solutions/chNN-*/sweep.toml`.
//!
//! `mutants.toml` holds the classic mistakes a person makes; the sweep holds the small edits a
//! tool makes everywhere (`>` for `>=`, a function that returns `Default::default()`, a `match`
//! guard that is always true). A missed one is a gap in the tests, or an edit that changes
//! nothing a program can see: the first is fixed with a test, the second goes into `sweep.toml`.
//!
//! The sweep mutates the library only: the test file is the grader, and the programs in
//! `src/bin` are thin shells around the library that the book's pages run.

use std::fs;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::shell::{Shell, Tone};
use crate::workbook::{Chapter, Workbook, slash};

/// The version of cargo-mutants the sweep's files were made with.
const CARGO_MUTANTS: &str = "27.1.0";

/// The file, in a solution crate, that lists the mutants no test catches, and why.
pub const FILE: &str = "sweep.toml";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    #[serde(default)]
    equivalent: Vec<Equivalent>,
}

/// A mutant the tests miss on purpose.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Equivalent {
    /// cargo-mutants' description, without its `file:line:column:`: `replace > with >= in f`.
    /// It covers every mutant with that description.
    mutant: String,
    /// Why no test can, or should, tell it from the solution.
    why: String,
}

/// What cargo-mutants wrote in `mutants.out/outcomes.json`, as far as the sweep needs it.
#[derive(Deserialize)]
struct Outcomes {
    outcomes: Vec<OutcomeEntry>,
}

#[derive(Deserialize)]
struct OutcomeEntry {
    scenario: Scenario,
    summary: String,
}

#[derive(Deserialize)]
enum Scenario {
    Baseline,
    Mutant(MutantInfo),
}

#[derive(Deserialize)]
struct MutantInfo {
    name: String,
}

/// The sweep of one chapter, counted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub generated: usize,
    pub caught: usize,
    /// Caught because the tests did not finish: a mutant that makes the code hang.
    pub timed_out: usize,
    /// Mutants that do not compile, so prove nothing either way.
    pub unviable: usize,
    /// Missed, and listed in `sweep.toml`.
    pub equivalent: usize,
    /// Missed, and not listed: gaps in the tests.
    pub unexplained: Vec<String>,
    /// Entries of `sweep.toml` that no missed mutant matches any more.
    pub stale: Vec<String>,
}

/// For maintainers: run cargo-mutants over chapters' solutions (installed with cargo the first
/// time) and check that every mutant the tests miss is explained in the chapter's `sweep.toml`.
#[derive(clap::Args)]
pub struct Args {
    /// Sweep only these chapters (every chapter takes minutes).
    chapters: Vec<String>,
    /// How many mutants to build and test at once.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
}

impl Args {
    /// Runs the sweep over each chapter named (every chapter when none is); true when every
    /// missed mutant is explained and every explanation still matches one.
    pub fn run(self, workbook: &Workbook, shell: &Shell) -> Result<bool> {
        workbook.require_solutions("sweep the solutions")?;
        let chapters = workbook.chapters_named(&self.chapters)?;
        install(shell)?;
        let mut clean = true;
        for chapter in chapters {
            let figures = sweep(workbook, shell, chapter, self.jobs.max(1))?;
            clean &= report(shell, chapter, &figures);
        }
        Ok(clean)
    }
}

/// Installs cargo-mutants with cargo unless this version is already there.
fn install(shell: &Shell) -> Result<()> {
    let installed = Command::new("cargo")
        .args(["mutants", "--version"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned());
    if installed.is_some_and(|version| version.trim().ends_with(CARGO_MUTANTS)) {
        return Ok(());
    }
    shell.status(
        Tone::Pending,
        "Installing",
        format!("cargo-mutants {CARGO_MUTANTS} with cargo (once; a minute or two)"),
    );
    let status = Command::new("cargo")
        .args([
            "install",
            "cargo-mutants",
            "--locked",
            "--version",
            CARGO_MUTANTS,
        ])
        .status()
        .context("cannot run cargo install")?;
    if !status.success() {
        bail!("cargo install cargo-mutants {CARGO_MUTANTS} failed");
    }
    Ok(())
}

/// Runs cargo-mutants over the chapter's solution and counts what became of its mutants.
fn sweep(workbook: &Workbook, shell: &Shell, chapter: &Chapter, jobs: usize) -> Result<Figures> {
    let output = workbook
        .root
        .join("target")
        .join("sweep")
        .join(chapter.dir_name());
    if output.exists() {
        fs::remove_dir_all(&output)
            .with_context(|| format!("cannot clear {}", output.display()))?;
    }
    fs::create_dir_all(&output).with_context(|| format!("cannot create {}", output.display()))?;
    shell.status(
        Tone::Pending,
        "Sweeping",
        format!(
            "{}: cargo-mutants over {} (the tests run once per mutant: minutes)",
            chapter.id, chapter.solution
        ),
    );
    // Exit codes 2 (missed mutants) and 3 (timeouts) are findings, read from the outcomes.
    let status = Command::new("cargo")
        .current_dir(&workbook.root)
        .args(["mutants", "--package", &chapter.solution, "--no-shuffle"])
        .args(["--exclude", "**/tests.rs", "--exclude", "**/bin/**"])
        .args(["--exclude", "**/programs/**", "--jobs", &jobs.to_string()])
        .arg("--output")
        .arg(&output)
        .args(["--cargo-test-arg=--lib", "--", "--", "--test-threads", "64"])
        .status()
        .context("cannot run cargo mutants")?;
    let outcomes = output.join("mutants.out").join("outcomes.json");
    let text = fs::read_to_string(&outcomes).with_context(|| {
        format!(
            "cargo mutants ended ({status}) without writing {}",
            outcomes.display()
        )
    })?;
    let outcomes: Outcomes = serde_json::from_str(&text)
        .with_context(|| format!("cannot read {}", outcomes.display()))?;
    if outcomes
        .outcomes
        .iter()
        .any(|o| matches!(o.scenario, Scenario::Baseline) && o.summary != "Success")
    {
        bail!(
            "{}: the tests fail on the unmutated solution, so the sweep proves nothing; run \
             `cargo xtask verify {}` first",
            chapter.id,
            chapter.id
        );
    }
    let listed = load(workbook, chapter)?;
    Ok(figures(&outcomes, &listed))
}

/// The chapter's `sweep.toml`; empty when it has none.
fn load(workbook: &Workbook, chapter: &Chapter) -> Result<Vec<Equivalent>> {
    let path = workbook.root.join(chapter.solution_dir()).join(FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: SweepFile = toml::from_str(&text)
        .with_context(|| format!("{} is broken", slash(&chapter.solution_dir().join(FILE))))?;
    if let Some(bare) = file.equivalent.iter().find(|e| e.why.trim().is_empty()) {
        bail!(
            "{}: `{}` has no reason; say why no test can or should catch it",
            slash(&chapter.solution_dir().join(FILE)),
            bare.mutant
        );
    }
    Ok(file.equivalent)
}

/// cargo-mutants' name of a mutant without its `file:line:column: `, which moves with every
/// edit of the file.
fn description(name: &str) -> &str {
    let mut rest = name;
    // `path:line:column: text`: skip past the second colon that is followed by digits.
    for _ in 0..3 {
        match rest.split_once(": ") {
            Some((head, tail))
                if head
                    .rsplit(':')
                    .next()
                    .is_some_and(|c| c.chars().all(|c| c.is_ascii_digit())) =>
            {
                return tail;
            }
            Some((_, tail)) => rest = tail,
            None => break,
        }
    }
    name
}

fn figures(outcomes: &Outcomes, listed: &[Equivalent]) -> Figures {
    let mut figures = Figures::default();
    let mut used = vec![false; listed.len()];
    for outcome in &outcomes.outcomes {
        let Scenario::Mutant(mutant) = &outcome.scenario else {
            continue;
        };
        figures.generated += 1;
        match outcome.summary.as_str() {
            "CaughtMutant" => figures.caught += 1,
            "Timeout" => figures.timed_out += 1,
            "Unviable" => figures.unviable += 1,
            _ => {
                let description = description(&mutant.name);
                match listed.iter().position(|e| e.mutant == description) {
                    Some(index) => {
                        used[index] = true;
                        figures.equivalent += 1;
                    }
                    None => figures.unexplained.push(mutant.name.clone()),
                }
            }
        }
    }
    figures.stale = listed
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(entry, _)| entry.mutant.clone())
        .collect();
    figures
}

/// Prints one chapter's figures and what is wrong; true when nothing is.
fn report(shell: &Shell, chapter: &Chapter, figures: &Figures) -> bool {
    let file = slash(&chapter.solution_dir().join(FILE));
    let missed = figures.equivalent + figures.unexplained.len();
    let clean = figures.unexplained.is_empty() && figures.stale.is_empty();
    shell.status(
        if clean { Tone::Good } else { Tone::Bad },
        "Swept",
        format!(
            "{}: {} mutants: {} caught, {} by a time-out, {} unviable, {missed} missed ({} \
             equivalent, listed in {file}; {} unexplained)",
            chapter.id,
            figures.generated,
            figures.caught,
            figures.timed_out,
            figures.unviable,
            figures.equivalent,
            figures.unexplained.len()
        ),
    );
    for name in &figures.unexplained {
        shell.detail(format!(
            "- missed: {name} (catch it with a test, or list it in {file} with the reason)"
        ));
    }
    for mutant in &figures.stale {
        shell.detail(format!(
            "- {file} explains `{mutant}`, which no missed mutant matches any more: remove it"
        ));
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTCOMES: &str = r#"{"outcomes": [
        {"scenario": "Baseline", "summary": "Success"},
        {"scenario": {"Mutant": {"name": "src/lib.rs:26:5: replace f -> bool with true"}}, "summary": "CaughtMutant"},
        {"scenario": {"Mutant": {"name": "src/lib.rs:30:9: replace > with >= in g"}}, "summary": "MissedMutant"},
        {"scenario": {"Mutant": {"name": "src/lib.rs:31:9: replace > with >= in g"}}, "summary": "MissedMutant"},
        {"scenario": {"Mutant": {"name": "src/lib.rs:40:1: replace h with ()"}}, "summary": "MissedMutant"},
        {"scenario": {"Mutant": {"name": "src/lib.rs:50:1: replace k -> u8 with 0"}}, "summary": "Timeout"},
        {"scenario": {"Mutant": {"name": "src/lib.rs:60:1: replace m -> S with Default::default()"}}, "summary": "Unviable"}
    ]}"#;

    fn equivalent(mutant: &str) -> Equivalent {
        Equivalent {
            mutant: mutant.to_owned(),
            why: "no program can tell".to_owned(),
        }
    }

    #[test]
    fn a_description_drops_the_place_that_moves_with_every_edit() {
        assert_eq!(
            description(
                "solutions/ch01-tcp-ip/src/lib.rs:55:21: replace match guard x: y with true"
            ),
            "replace match guard x: y with true"
        );
        assert_eq!(description("no place here"), "no place here");
    }

    #[test]
    fn missed_mutants_are_explained_by_the_list_or_named() {
        let outcomes: Outcomes = serde_json::from_str(OUTCOMES).unwrap();
        let listed = [
            equivalent("replace > with >= in g"),
            equivalent("replace q with ()"),
        ];
        assert_eq!(
            figures(&outcomes, &listed),
            Figures {
                generated: 6,
                caught: 1,
                timed_out: 1,
                unviable: 1,
                equivalent: 2,
                unexplained: vec!["src/lib.rs:40:1: replace h with ()".to_owned()],
                stale: vec!["replace q with ()".to_owned()],
            }
        );
    }

    #[test]
    fn a_sweep_file_that_is_not_a_list_of_reasons_is_refused() {
        assert!(toml::from_str::<SweepFile>("[[equivalent]]\nmutant = \"x\"\n").is_err());
        assert!(
            toml::from_str::<SweepFile>("[[equivalent]]\nmutant = \"x\"\nwhy = \"y\"\n").is_ok()
        );
    }
}
