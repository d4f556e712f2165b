//! `cargo xtask export --student DIR`: a copy of the workbook for students, ready to be a GitHub
//! Classroom template.
//!
//! The copy has the exercises, their tests, the book, the test kit and the runner, and nothing
//! that gives the answers away: no `solutions/` (so no reference code and no mutants), no git
//! history, no build output, no `.workbook/` state, and none of the instructor's CI, which needs
//! the solutions. What must change for it to build without them is rewritten: the workspace's
//! members, the chapter manifest (no `solution` entries, which makes the runner treat it as a
//! student copy), the lock file and the README. It gets three workflows of its own, none of
//! which needs the solutions, each installing the toolchain `rust-toolchain.toml` names:
//!
//! - `classroom.yml`, the autograding: `cargo xtask check --format github` grades every chapter
//!   with partial credit per test, writes the run's summary and the `Points x/y` annotation
//!   GitHub Classroom reads (no reporter action), with each chapter's worth as exported, so a
//!   chapter whose folder is gone still counts; unfinished work fails the run only when the
//!   instructor sets `FAIL_UNFINISHED` at its top;
//! - `build.yml`, which builds every crate, after the autograding;
//! - `pages.yml`, which builds the copy's book and publishes it to GitHub Pages, by hand or after
//!   the autograding of a push to the default branch of a repository that publishes Pages: the
//!   book students should read, whose links lead to the copy rather than to a repository with
//!   solutions.
//!
//! A fresh repository with one commit is started in it, so that `cargo xtask reset` finds the
//! untouched stubs there (a repository made from a GitHub template starts from one commit too).
//! A book page that includes code from `solutions/` stops the export. A crate that depends on a
//! solution cannot build without it, so it is left out, with a warning; that is only a safety net.
//!
//! The copy's book is the published book. A page command whose output needs a reference solution
//! (chapter 8's session with the reference server, say) is marked with [`FROZEN`] on the line
//! before its code block; export runs it here, where the solutions are, and writes what it
//! printed into the copy's page in place of the command.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result, bail, ensure};

use crate::cargo;
use crate::files;
use crate::git;
use crate::shell::{self, Shell, Tone};
use crate::workbook::{Workbook, slash};

/// The student copy's build workflow.
const CI_WORKFLOW: &str = include_str!("../templates/student-ci.yml");
/// The student copy's autograding workflow, with `@WORTH@` to fill in (`ch1=17,ch2=20`).
const CLASSROOM_WORKFLOW: &str = include_str!("../templates/classroom.yml");
/// The student copy's Pages workflow, which publishes the copy's book.
const PAGES_WORKFLOW: &str = include_str!("../templates/student-pages.yml");

/// The line that marks the next `<!-- cmdrun … -->` of a book page as needing the reference
/// solutions: the student copy gets its output, as printed at export, instead of the command.
pub const FROZEN: &str =
    "<!-- needs the reference solutions: a student copy shows this output as it was at export -->";

/// What is never copied, relative to the root: history, state, solutions, the instructor's CI,
/// the book as built, the runner's own tests (whose fixtures have solutions of their own), and
/// the maintainers' guide (which shows how solutions and mutants are written, with examples).
const LEFT_OUT: &[&str] = &[
    ".git",
    ".workbook",
    "solutions",
    ".ci",
    ".github/workflows",
    "book/build",
    "xtask/tests",
    "CONTRIBUTING.md",
];

/// For instructors: make a copy of the workbook for students, without the solutions, ready to be
/// a GitHub Classroom template (with its own CI and autograding workflows).
#[derive(clap::Args)]
pub struct Args {
    /// The new folder for the student copy (it must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    student: PathBuf,
    /// Do not start a git repository in the copy.
    #[arg(long)]
    no_git: bool,
}

impl Args {
    /// Runs `export`; true when the copy was made without warnings.
    pub fn run(self, workbook: &Workbook, shell: &Shell) -> Result<bool> {
        workbook.require_solutions("make another student copy")?;
        export(workbook, shell, &self.student, !self.no_git)
    }
}

/// Makes the student copy in `destination`, with a git repository when `with_git`; true when it
/// was made without warnings.
fn export(workbook: &Workbook, shell: &Shell, destination: &Path, with_git: bool) -> Result<bool> {
    let root = &workbook.root;
    let destination = prepare_destination(root, destination)?;

    let left_out = |path: &Path| LEFT_OUT.iter().any(|left| path == Path::new(left));
    let mut files = files::list(root, &|path| files::is_build_output(path) || left_out(path))?;
    files.retain(|file| !left_out(file));
    let revealing = revealing(root, &files)?;
    if !revealing.is_empty() {
        bail!(
            "book pages include solution code, which the student copy must not have:\n{}",
            revealing.join("\n")
        );
    }
    let mut warnings = Vec::new();
    for folder in crates_needing_solutions(root, &files)? {
        warnings.push(format!(
            "{}/ depends on a solution crate, so it is left out of the copy (book pages that use \
             it do not build there; students read the published book)",
            slash(&folder)
        ));
        files.retain(|file| !file.starts_with(&folder));
    }
    if git::is_repository(root) {
        let changed = git::changes(root, Path::new("exercises")).unwrap_or_default();
        if !changed.is_empty() {
            warnings.push(format!(
                "exercises/ has changes git has not committed ({}); they are in the copy as they are",
                changed.len()
            ));
        }
    }

    shell.status(
        Tone::Good,
        "Copying",
        format!("{} files to {}", files.len(), destination.display()),
    );
    files::copy(root, &destination, &files)?;
    rewrite(&destination, "Cargo.toml", without_solution_members)?;
    let solutions: Vec<&str> = workbook
        .chapters
        .iter()
        .map(|c| c.solution.as_str())
        .collect();
    rewrite(&destination, "Cargo.lock", |text| {
        Ok(without_packages(&text, &solutions))
    })?;
    rewrite(&destination, "README.md", |text| Ok(student_readme(&text)))?;
    for page in files.iter().filter(|file| is_book_page(file)) {
        let text = fs::read_to_string(root.join(page))
            .with_context(|| format!("cannot read {}", slash(page)))?;
        if !text.contains(FROZEN) {
            continue;
        }
        let folder = root.join(page.parent().unwrap_or(Path::new("")));
        let frozen = freeze(&text, &mut |command| {
            shell.status(
                Tone::Good,
                "Running",
                format!("{command} (for {})", slash(page)),
            );
            run_page_command(&folder, &root.join(EXPORT_TARGET), command)
        })
        .with_context(|| format!("cannot render the output {} needs", slash(page)))?;
        fs::write(destination.join(page), frozen)
            .with_context(|| format!("cannot write {}", slash(page)))?;
    }
    write_workflows(workbook, &destination)?;
    if let Err(problem) = refresh_lock_file(&destination) {
        warnings.push(format!(
            "Cargo.lock could not be refreshed ({problem}); run `cargo update --workspace` in the copy"
        ));
    }

    let copy = Workbook::load(&destination).context("the copy's chapter manifest is broken")?;
    ensure!(copy.is_student_copy(), "the copy still has solutions");
    warnings.extend(copy.problems());

    if with_git {
        git::init_and_commit(
            &destination,
            "The workbook's exercises, tests and book (student copy)",
        )
        .context("cannot start the copy's git repository")?;
        shell.status(
            Tone::Good,
            "Committed",
            "everything, as the first commit of a new repository (`reset` restores stubs from it)",
        );
    }
    for warning in &warnings {
        shell.status(Tone::Bad, "Warning", warning);
    }
    shell.status(
        Tone::Good,
        "Exported",
        format!(
            "a student copy of {} chapters to {}",
            workbook.chapters.len(),
            destination.display()
        ),
    );
    shell.status(
        Tone::Info,
        "Next",
        format!(
            "push it to GitHub, mark it a template repository, and make it the starter code of a \
             Classroom assignment; {} shows it grades",
            shell::command("cargo xtask check")
        ),
    );
    Ok(warnings.is_empty())
}

/// Creates the destination, which must be new or empty and outside the workbook.
fn prepare_destination(root: &Path, destination: &Path) -> Result<PathBuf> {
    if destination.exists() {
        let mut entries = fs::read_dir(destination)
            .with_context(|| format!("{} is not a folder", destination.display()))?;
        ensure!(
            entries.next().is_none(),
            "{} is not empty; export writes only into a new or empty folder",
            destination.display()
        );
    }
    fs::create_dir_all(destination)
        .with_context(|| format!("cannot create {}", destination.display()))?;
    let destination = destination
        .canonicalize()
        .with_context(|| format!("cannot find {}", destination.display()))?;
    let root = root.canonicalize().context("cannot find the workbook")?;
    if destination.starts_with(&root) {
        // Remove only the folder this command made, and only while it is still empty.
        let _ = fs::remove_dir(&destination);
        bail!(
            "{} is inside the workbook; choose a folder outside it",
            destination.display()
        );
    }
    Ok(destination)
}

/// True for a page of the book (`book/src/**/*.md`).
fn is_book_page(file: &Path) -> bool {
    let shown = slash(file);
    shown.starts_with("book/src/") && shown.ends_with(".md")
}

/// `page` with every command marked [`FROZEN`] replaced by what `run` says it prints, and the
/// marks removed. A mark must be followed, within its code block's opening line, by a cmdrun
/// directive on a line of its own.
fn freeze(page: &str, run: &mut dyn FnMut(&str) -> Result<String>) -> Result<String> {
    let mut out = String::with_capacity(page.len());
    let mut lines = page.split_inclusive('\n').enumerate();
    while let Some((number, line)) = lines.next() {
        if line.trim() != FROZEN {
            out.push_str(line);
            continue;
        }
        let mut command = None;
        // The code block's opening fence, then the directive.
        for (_, next) in lines.by_ref().take(2) {
            let directive = next
                .trim()
                .strip_prefix("<!-- cmdrun ")
                .and_then(|rest| rest.strip_suffix("-->"));
            match directive {
                Some(text) => {
                    command = Some(text.trim().to_owned());
                    break;
                }
                None => out.push_str(next),
            }
        }
        let command = command.with_context(|| {
            format!(
                "line {}: the mark is not followed by a `<!-- cmdrun … -->` line",
                number + 1
            )
        })?;
        out.push_str(&run(&command)?);
    }
    Ok(out)
}

/// Where the programs that export runs for the book are built: a folder of their own, so that
/// they are never mixed up with a student copy's programs built elsewhere with the same package
/// names (cargo would take one for the other).
const EXPORT_TARGET: &str = "target/export";

/// Runs a page's command as mdbook-cmdrun would, in the page's `folder`, with cargo building in
/// `target`, and returns what it printed. Commands are a program and its arguments, without a
/// shell (so that export works the same on every system): anything a shell would interpret is
/// refused.
fn run_page_command(folder: &Path, target: &Path, command: &str) -> Result<String> {
    ensure!(
        !command.contains(|c: char| "|&;<>$`'\"\\*?(){}".contains(c)) && !command.starts_with('-'),
        "`{command}` needs a shell (or an exit code); a frozen command is a program and its \
         arguments"
    );
    let mut words = command.split_whitespace();
    let program = words.next().context("the command is empty")?;
    let output = std::process::Command::new(program)
        .args(words)
        .current_dir(folder)
        .env("CARGO_TARGET_DIR", target)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run `{command}`"))?;
    ensure!(
        output.status.success(),
        "`{command}` failed ({}); a student copy must not show less than the published book",
        output.status
    );
    String::from_utf8(output.stdout).with_context(|| format!("`{command}` printed invalid UTF-8"))
}

/// Book pages that include code from `solutions/`, as `file:line: directive`.
fn revealing(root: &Path, files: &[PathBuf]) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for file in files {
        let shown = slash(file);
        if !(shown.starts_with("book/") && shown.ends_with(".md")) {
            continue;
        }
        let text =
            fs::read_to_string(root.join(file)).with_context(|| format!("cannot read {shown}"))?;
        for (number, line) in text.lines().enumerate() {
            if line.contains("{{#") && line.contains("solutions/") {
                found.push(format!("{shown}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    Ok(found)
}

/// The crates (other than the workspace itself) whose `Cargo.toml` depends on something in
/// `solutions/`: they cannot build in a copy without it.
fn crates_needing_solutions(root: &Path, files: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for file in files {
        let Some(folder) = file.parent().filter(|f| !f.as_os_str().is_empty()) else {
            continue;
        };
        if file.file_name().is_none_or(|name| name != "Cargo.toml") {
            continue;
        }
        let text = fs::read_to_string(root.join(file))
            .with_context(|| format!("cannot read {}", slash(file)))?;
        if text
            .lines()
            .any(|line| !line.trim_start().starts_with('#') && line.contains("solutions/"))
        {
            found.push(folder.to_path_buf());
        }
    }
    Ok(found)
}

/// Replaces the copy's `file` by what `edit` makes of it; a file the workbook does not have is
/// left alone.
fn rewrite(
    destination: &Path,
    file: &str,
    edit: impl FnOnce(String) -> Result<String>,
) -> Result<()> {
    let path = destination.join(file);
    if !path.exists() {
        return Ok(());
    }
    let text = fs::read_to_string(&path).with_context(|| format!("cannot read {file}"))?;
    let edited = edit(text).with_context(|| format!("cannot rewrite {file}"))?;
    fs::write(&path, edited).with_context(|| format!("cannot write {file}"))
}

/// The root `Cargo.toml` without `solutions/…` in `members` and `default-members`: a glob that
/// matches no folder is an error in cargo.
fn without_solution_members(text: String) -> Result<String> {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some((key, value)) = line
            .split_once('=')
            .filter(|(key, _)| matches!(key.trim(), "members" | "default-members"))
        else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        // The array may span several lines: read on to its closing bracket.
        let mut array = value.trim().to_owned();
        while !array.contains(']') {
            let more = lines
                .next()
                .with_context(|| format!("its `{}` list never closes", key.trim()))?;
            array.push_str(more);
        }
        let (inside, after) = array.split_once(']').expect("the list is closed");
        let kept: Vec<&str> = inside
            .trim_start_matches('[')
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty() && !entry.trim_matches('"').starts_with("solutions"))
            .collect();
        out.push_str(&format!(
            "{} = [{}]{after}\n",
            key.trim_end(),
            kept.join(", ")
        ));
    }
    Ok(out)
}

/// A lock file without the `[[package]]` entries of `packages`.
fn without_packages(text: &str, packages: &[&str]) -> String {
    let mut blocks: Vec<&str> = text.split("\n\n").collect();
    blocks.retain(|block| {
        let name = block
            .lines()
            .find_map(|line| line.strip_prefix("name = "))
            .map(|name| name.trim_matches('"'));
        !(block.starts_with("[[package]]") && name.is_some_and(|name| packages.contains(&name)))
    });
    blocks.join("\n\n")
}

/// The README, for students: a note that this is their copy, without the sections meant for
/// instructors and maintainers.
fn student_readme(text: &str) -> String {
    let note = "> This is a student copy of the workbook: the exercises, their tests and the book, \
                without the reference solutions. `cargo xtask check` grades your work, and every \
                push runs the same grading on GitHub (`.github/workflows/classroom.yml`).\n";
    let mut out = String::new();
    let mut skipping = false;
    let mut noted = false;
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            skipping = heading.starts_with("Testing the whole workbook")
                || heading.starts_with("For instructors");
        }
        // The rows about solutions describe a folder and a command the copy does not have.
        if skipping || line.contains("`solutions/") || line.contains("`cargo xtask solution") {
            continue;
        }
        let line = line.replace(
            " [CONTRIBUTING.md](CONTRIBUTING.md) explains how a chapter is made.",
            "",
        );
        out.push_str(&line);
        out.push('\n');
        if !noted && line.starts_with("# ") {
            out.push('\n');
            out.push_str(note);
            noted = true;
        }
    }
    out
}

/// Writes the copy's own workflows: the build, autograding for its chapters, and the book's
/// publication.
fn write_workflows(workbook: &Workbook, destination: &Path) -> Result<()> {
    let mut worth = Vec::new();
    for chapter in &workbook.chapters {
        let tests = fs::read_to_string(workbook.root.join(chapter.tests_file()))
            .with_context(|| format!("cannot read {}", slash(&chapter.tests_file())))?;
        worth.push(format!("{}={}", chapter.id, chapter.worth(&tests)));
    }
    let folder = destination.join(".github/workflows");
    fs::create_dir_all(&folder).context("cannot create .github/workflows/")?;
    for (file, text, what) in [
        ("build.yml", CI_WORKFLOW.to_owned(), "build"),
        ("classroom.yml", classroom_workflow(&worth), "autograding"),
        ("pages.yml", PAGES_WORKFLOW.to_owned(), "Pages"),
    ] {
        fs::write(folder.join(file), text)
            .with_context(|| format!("cannot write the {what} workflow"))?;
    }
    Ok(())
}

/// The autograding workflow for chapters worth `worth` (`ch1=17` each).
fn classroom_workflow(worth: &[String]) -> String {
    CLASSROOM_WORKFLOW.replace("@WORTH@", &worth.join(","))
}

/// Lets cargo bring the lock file in line with the copy's workspace, changing no other package's
/// version (offline: what it needs was downloaded to build the workbook).
fn refresh_lock_file(destination: &Path) -> Result<()> {
    let output = cargo::cargo()
        .current_dir(destination)
        .args(["update", "--workspace", "--offline", "--quiet"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .context("cannot run cargo")?;
    ensure!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solution_globs_leave_the_workspace_members() {
        let text = "# members of the workspace\n[workspace]\nmembers = [\"xtask\", \"exercises/*\", \"solutions/*\", \"book/builder\"]\ndefault-members = [\"xtask\", \"solutions/*\"]\n";
        assert_eq!(
            without_solution_members(text.to_owned()).unwrap(),
            "# members of the workspace\n[workspace]\nmembers = [\"xtask\", \"exercises/*\", \"book/builder\"]\ndefault-members = [\"xtask\"]\n"
        );
        let multi_line = "[workspace]\nmembers = [\n    \"xtask\",\n    \"solutions/*\",\n]\n";
        assert_eq!(
            without_solution_members(multi_line.to_owned()).unwrap(),
            "[workspace]\nmembers = [\"xtask\"]\n"
        );
    }

    #[test]
    fn a_frozen_command_is_replaced_by_its_output_and_others_stay() {
        let page = format!(
            "# Page\n\n{FROZEN}\n```text\n<!-- cmdrun cargo run --bin session -->\n```\n\n```text\n<!-- cmdrun cargo run --bin live -->\n```\n"
        );
        let mut ran = Vec::new();
        let frozen = freeze(&page, &mut |command| {
            ran.push(command.to_owned());
            Ok("alice <- hello\n".to_owned())
        })
        .unwrap();
        assert_eq!(ran, ["cargo run --bin session"]);
        assert_eq!(
            frozen,
            "# Page\n\n```text\nalice <- hello\n```\n\n```text\n<!-- cmdrun cargo run --bin live -->\n```\n"
        );
        let dangling = format!("{FROZEN}\n```text\nno directive\n```\n");
        let error = freeze(&dangling, &mut |_| Ok(String::new())).unwrap_err();
        assert!(error.to_string().contains("line 1"), "{error}");
    }

    #[test]
    fn a_frozen_command_runs_without_a_shell_and_must_succeed() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        // `rustc` builds nothing: any folder will do.
        let target = std::env::temp_dir();
        let version = run_page_command(here, &target, "rustc --version").unwrap();
        assert!(version.starts_with("rustc "), "{version}");
        for shell_syntax in ["echo hi | cat", "echo $HOME", "-1 false"] {
            let error = run_page_command(here, &target, shell_syntax).unwrap_err();
            assert!(error.to_string().contains("needs a shell"), "{error}");
        }
        let error = run_page_command(here, &target, "rustc --no-such-flag").unwrap_err();
        assert!(error.to_string().contains("failed"), "{error}");
    }

    #[test]
    fn the_lock_file_loses_the_solution_packages() {
        let text = "version = 4\n\n[[package]]\nname = \"ch01-x\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"ch01-x-solution\"\nversion = \"0.1.0\"\ndependencies = [\n \"testkit\",\n]\n\n[[package]]\nname = \"testkit\"\nversion = \"0.1.0\"\n";
        assert_eq!(
            without_packages(text, &["ch01-x-solution"]),
            "version = 4\n\n[[package]]\nname = \"ch01-x\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"testkit\"\nversion = \"0.1.0\"\n"
        );
    }

    #[test]
    fn the_autograding_workflow_gives_each_chapters_worth_and_needs_no_reporter() {
        let workflow = classroom_workflow(&["ch1=17".to_owned(), "ch2=3".to_owned()]);
        assert!(
            workflow
                .contains("cargo xtask check --format github --color always --worth ch1=17,ch2=3"),
            "{workflow}"
        );
        assert!(!workflow.contains("@WORTH@"), "{workflow}");
        for workflow in [workflow.as_str(), CI_WORKFLOW, PAGES_WORKFLOW] {
            assert!(
                !workflow.contains("autograding-grading-reporter"),
                "{workflow}"
            );
            assert!(
                workflow.contains("run: rustup toolchain install\n"),
                "{workflow}"
            );
        }
    }

    #[test]
    fn the_student_readme_has_a_note_and_no_instructor_sections() {
        let text = "# Workbook\n\nIntro.\n\n| `exercises/` | yours |\n| `solutions/chNN-*/` | answers |\n\n## Testing the whole workbook\n\nverify\n\n## For instructors\n\nexport\n\n## Licence\n\nMIT\n";
        let readme = student_readme(text);
        assert!(
            readme.starts_with("# Workbook\n\n> This is a student copy"),
            "{readme}"
        );
        for gone in ["solutions/", "verify", "export", "For instructors"] {
            assert!(!readme.contains(gone), "{gone} in:\n{readme}");
        }
        assert!(readme.contains("## Licence\n\nMIT\n"), "{readme}");
    }
}
