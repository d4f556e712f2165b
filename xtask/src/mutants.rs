//! Mutants: the classic wrong solutions of a chapter, kept as small edits of its reference
//! solution in `solutions/chNN-*/mutants.toml`, and the proof that the tests catch each one.
//!
//! A mutant is applied to a copy of the solution crate, never to the solution itself, so an
//! interrupted run cannot leave a broken solution behind. The copy lives in a small workspace of
//! its own under the target folder, with the main workspace's settings, lock file and test kit,
//! so it builds offline and quickly.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::cargo::{self, Build};
use crate::files;
use crate::libtest;
use crate::source;
use crate::verdict::{self, Verdict};
use crate::workbook::{Chapter, Workbook, slash};

/// The file, in a solution crate, that lists the chapter's mutants.
pub const FILE: &str = "mutants.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MutantsFile {
    mutant: Vec<Mutant>,
}

/// One classic mistake, as an edit of the solution.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Mutant {
    /// A short name: `write-instead-of-write-all`.
    pub name: String,
    /// Why it is wrong, in a sentence.
    pub why: String,
    /// The file to edit, relative to the solution crate.
    pub file: PathBuf,
    /// Text that occurs exactly once in that file...
    pub find: String,
    /// ...and what it becomes.
    pub replace: String,
    /// Tests that must fail on this mutant.
    #[serde(default)]
    pub caught_by: Vec<String>,
    /// The systems on which the mistake shows (`linux`, `macos`, `windows`, as
    /// `std::env::consts::OS` names them); every system when empty.
    #[serde(default)]
    pub only_on: Vec<String>,
}

impl Mutant {
    /// True when the mistake can show on the system the runner is on.
    pub fn applies_here(&self) -> bool {
        self.only_on.is_empty() || self.only_on.iter().any(|os| os == std::env::consts::OS)
    }
}

/// What the tests made of a mutant.
pub enum Outcome {
    /// At least one test failed, including every test named in `caught_by`.
    Caught,
    /// Every test passed: the tests do not notice this mistake.
    Survived,
    /// Some tests failed, but not the ones `caught_by` names.
    Missed { tests: Vec<String> },
    /// The mutant does not compile, so it proves nothing.
    Broken { error: String },
}

/// The chapter's mutants; none when its solution has no `mutants.toml`.
pub fn load(workbook: &Workbook, chapter: &Chapter) -> Result<Vec<Mutant>> {
    let path = workbook.root.join(chapter.solution_dir()).join(FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: MutantsFile = toml::from_str(&text)
        .with_context(|| format!("{} is broken", slash(&chapter.solution_dir().join(FILE))))?;
    Ok(file.mutant)
}

/// Builds the solution with `mutant` applied, runs the tests, and says whether they caught it.
pub fn try_mutant(
    workbook: &Workbook,
    chapter: &Chapter,
    mutant: &Mutant,
    timeout: Duration,
) -> Result<Outcome> {
    let failed = match test_a_copy(workbook, chapter, timeout, |copy| apply(mutant, copy))? {
        Err(error) => return Ok(Outcome::Broken { error }),
        Ok(failed) => failed,
    };
    if failed.is_empty() {
        return Ok(Outcome::Survived);
    }
    let missed: Vec<String> = mutant
        .caught_by
        .iter()
        .filter(|t| !failed.iter().any(|(name, _)| name == *t))
        .cloned()
        .collect();
    if missed.is_empty() {
        Ok(Outcome::Caught)
    } else {
        Ok(Outcome::Missed { tests: missed })
    }
}

/// The folder, in a solution crate, of its correct variants: whole `lib.rs` files written
/// differently from the reference, which every test must pass too.
pub const VARIANTS: &str = "variants";

/// A correct variant of a chapter's solution.
pub struct Variant {
    /// Its file name without `.rs`: `bufreader`.
    pub name: String,
    /// What it does differently, from the first line of its doc comment.
    pub summary: String,
    path: PathBuf,
}

/// What the tests made of a variant.
pub enum VariantOutcome {
    /// Every test passed.
    Passed,
    /// These tests failed, each with its verdict's message.
    Failed { tests: Vec<(String, String)> },
    /// The variant does not compile.
    Broken { error: String },
}

/// The chapter's correct variants, in name order; none when it has no `variants` folder.
pub fn variants(workbook: &Workbook, chapter: &Chapter) -> Result<Vec<Variant>> {
    let dir = workbook.root.join(chapter.solution_dir()).join(VARIANTS);
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut variants = Vec::new();
    for entry in fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let summary = source::first_doc_line(&text).unwrap_or_default();
        let name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        variants.push(Variant {
            name,
            summary,
            path,
        });
    }
    variants.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(variants)
}

/// Builds the solution with its `src/lib.rs` replaced by `variant`, and runs every test.
pub fn try_variant(
    workbook: &Workbook,
    chapter: &Chapter,
    variant: &Variant,
    timeout: Duration,
) -> Result<VariantOutcome> {
    let outcome = test_a_copy(workbook, chapter, timeout, |copy| {
        let lib = copy.join("src").join("lib.rs");
        fs::copy(&variant.path, &lib)
            .with_context(|| format!("cannot copy {}", variant.path.display()))?;
        point_paths_at(&std::path::absolute(&workbook.root)?, &copy.join("src"))
    })?;
    Ok(match outcome {
        Err(error) => VariantOutcome::Broken { error },
        Ok(failed) if failed.is_empty() => VariantOutcome::Passed,
        Ok(failed) => VariantOutcome::Failed { tests: failed },
    })
}

/// Copies the chapter's solution into a workspace of its own, lets `edit` change the copy,
/// builds its tests and runs them all: the tests that did not pass, each with its message, or
/// the first compiler error when the copy does not build.
fn test_a_copy(
    workbook: &Workbook,
    chapter: &Chapter,
    timeout: Duration,
    edit: impl FnOnce(&Path) -> Result<()>,
) -> Result<std::result::Result<Vec<(String, String)>, String>> {
    let root = std::path::absolute(&workbook.root)?;
    let space = cargo::target_dir(&root).join("mutants");
    let workspace = space.join(chapter.dir_name());
    let copy = workspace.join("crate");
    if copy.exists() {
        fs::remove_dir_all(&copy).with_context(|| format!("cannot clear {}", copy.display()))?;
    }
    let solution = root.join(chapter.solution_dir());
    files::copy(
        &solution,
        &copy,
        &files::list(&solution, &files::is_build_output)?,
    )?;
    write_workspace(&root, &workspace)?;
    point_paths_at(&root, &copy)?;
    anchor_manifest_paths(&solution, &copy.join("Cargo.toml"))?;
    edit(&copy)?;

    let target = space.join("target");
    let program = match cargo::build_tests_with_target(&workspace, &chapter.solution, &target)? {
        Build::Broken(errors) => return Ok(Err(errors.into_iter().next().unwrap_or_default())),
        Build::Ready(program) => program,
    };
    let names = libtest::list(&program, &copy)?;
    let run = libtest::run(&program, &copy, &names, timeout)?;
    let failed = names
        .iter()
        .filter_map(|name| {
            let verdict = verdict::classify(name, &run, &workspace, timeout);
            (verdict != Verdict::Passed).then(|| {
                (
                    name.strip_prefix("tests::").unwrap_or(name).to_owned(),
                    verdict.message().unwrap_or_default(),
                )
            })
        })
        .collect();
    Ok(Ok(failed))
}

/// The edit itself: `find` must occur exactly once, so a mutant cannot silently stop applying
/// when the solution changes.
fn apply(mutant: &Mutant, copy: &Path) -> Result<()> {
    let path = copy.join(&mutant.file);
    let text = fs::read_to_string(&path).with_context(|| {
        format!(
            "mutant `{}`: cannot read {}",
            mutant.name,
            slash(&mutant.file)
        )
    })?;
    let count = text.matches(&mutant.find).count();
    if count != 1 {
        bail!(
            "mutant `{}`: its `find` text occurs {count} times in {}, not once; update {FILE}",
            mutant.name,
            slash(&mutant.file)
        );
    }
    fs::write(&path, text.replacen(&mutant.find, &mutant.replace, 1))?;
    Ok(())
}

/// A workspace around the copy with the main workspace's shared settings, path dependencies
/// made absolute, and its lock file, so nothing new is resolved or downloaded.
fn write_workspace(root: &Path, workspace: &Path) -> Result<()> {
    let manifest: toml::Table = toml::from_str(&fs::read_to_string(root.join("Cargo.toml"))?)
        .context("the workspace's Cargo.toml is broken")?;
    let mut shared = manifest
        .get("workspace")
        .and_then(|w| w.as_table())
        .cloned()
        .unwrap_or_default();
    shared.remove("default-members");
    shared.insert("members".into(), toml::Value::Array(vec!["crate".into()]));
    if let Some(toml::Value::Table(dependencies)) = shared.get_mut("dependencies") {
        for (_, dependency) in dependencies.iter_mut() {
            if let Some(path) = dependency.get_mut("path") {
                let absolute = root.join(path.as_str().unwrap_or_default());
                *path = toml::Value::String(slash(&absolute));
            }
        }
    }
    let mut table = toml::Table::new();
    table.insert("workspace".into(), toml::Value::Table(shared));
    fs::create_dir_all(workspace)?;
    fs::write(workspace.join("Cargo.toml"), toml::to_string(&table)?)?;
    fs::copy(root.join("Cargo.lock"), workspace.join("Cargo.lock"))
        .context("cannot copy Cargo.lock")?;
    Ok(())
}

/// The copy's `Cargo.toml` with every relative path it names (a path dependency on another
/// chapter's crate, a bench or program kept in the exercise) made absolute, starting from the
/// solution's folder `solution`, so the copy builds where it is.
fn anchor_manifest_paths(solution: &Path, manifest: &Path) -> Result<()> {
    let text = fs::read_to_string(manifest)?;
    let mut table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is broken", manifest.display()))?;
    let anchor = |value: &mut toml::Value| {
        if let Some(path) = value.get_mut("path")
            && let Some(relative) = path.as_str()
            && Path::new(relative).is_relative()
            && relative.starts_with("..")
        {
            *path = toml::Value::String(slash(&solution.join(relative)));
        }
    };
    let mut changed = false;
    for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(toml::Value::Table(dependencies)) = table.get_mut(key) {
            for (_, dependency) in dependencies.iter_mut() {
                let before = dependency.clone();
                anchor(dependency);
                changed |= *dependency != before;
            }
        }
    }
    for key in ["bin", "bench", "test", "example"] {
        if let Some(toml::Value::Array(targets)) = table.get_mut(key) {
            for target in targets.iter_mut() {
                let before = target.clone();
                anchor(target);
                changed |= *target != before;
            }
        }
    }
    if changed {
        fs::write(manifest, toml::to_string(&table)?)?;
    }
    Ok(())
}

/// The solution includes the exercise's tests by a relative `#[path]`; in the copy that path
/// must start from the workbook's root instead.
fn point_paths_at(root: &Path, dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            point_paths_at(root, &path)?;
        } else if path.extension().is_some_and(|e| e == "rs")
            && let Some(text) = source::repoint_tests(&fs::read_to_string(&path)?, root)
        {
            fs::write(&path, text)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copys_manifest_names_other_crates_by_absolute_paths() {
        let dir = std::env::temp_dir().join(format!("mutants-manifest-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let manifest = dir.join("Cargo.toml");
        fs::write(
            &manifest,
            "[package]\nname = \"s\"\n\n[dependencies]\nmio.workspace = true\n\
             other = { path = \"../ch08-x\" }\n\n[[bench]]\nname = \"b\"\n\
             path = \"../../exercises/ch09-x/benches/b.rs\"\n\n[[bin]]\nname = \"p\"\n\
             path = \"src/bin/p.rs\"\n",
        )
        .unwrap();
        anchor_manifest_paths(Path::new("/w/solutions/ch09-x"), &manifest).unwrap();
        let text = fs::read_to_string(&manifest).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert!(text.contains("\"/w/solutions/ch09-x/../ch08-x\""), "{text}");
        assert!(
            text.contains("\"/w/solutions/ch09-x/../../exercises/ch09-x/benches/b.rs\""),
            "{text}"
        );
        assert!(text.contains("\"src/bin/p.rs\""), "{text}");
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(
            parsed["dependencies"]["mio"]["workspace"].as_bool(),
            Some(true)
        );
    }
}
