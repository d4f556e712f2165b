//! `cargo xtask update --from <FOLDER or URL>`: brings a student's repository up to date with the
//! instructor's fixes, in one commit, without touching the student's own code.
//!
//! The source is the instructor's newer student template: a folder made by
//! `cargo xtask export --student`, or a git URL of a repository holding one (cloned into a
//! temporary folder). A workbook with a `solutions/` folder is refused: copying from it would
//! hand the solutions out. Which files are the student's is [`owned`]'s rule, under the old
//! manifest and the new one alike: those are never written or removed, except that a chapter new
//! to the student (no exercise folder yet) gets its stub. Every other file of the source is copied
//! over when it differs; a file the template handed out before that the new one no longer has is
//! removed; a file the student added anywhere else (notes) is left alone, and so is the exercise
//! folder of a chapter the new manifest no longer has. The source's `.git/`, `.workbook/`,
//! `book/build/` and `target/` folders are not part of the template.
//!
//! The repository must be a git repository whose top folder is the workbook, with everything
//! committed and an identity for git to sign the commit with; otherwise `update` says why and
//! changes nothing. `--dry-run` says what would change and changes nothing.
//!
//! **History, and `reset`.** The update is one merge commit on the student's branch. Its second
//! parent is a *template commit*: the new template exactly as the source has it, stubs included,
//! whose own parent is the previous template commit (before the first update, the repository's
//! first commit, made from the template). The merge keeps the student's code and takes everything
//! else from the template. `cargo xtask reset` takes untouched stubs from the newest template
//! commit first, so after an update it gives the stub that matches the new tests (or the new
//! stub, when only the stub changed), never the student's code that the merge holds. (Even its
//! older rule, the last commit that changed the exercise's tests, finds the template commit: git's
//! history simplification follows a merge to the parent whose tests it has.) When only stubs
//! changed, the update still makes its commit, to record them. The previous template commit also
//! says which files the template "handed out before", and whether the student had changed one of
//! them: the output says so, since the template's version replaces theirs (git keeps theirs).
//!
//! Nothing to change and no new stub to record: `update` says so and makes no commit.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};

use crate::files;
use crate::git;
use crate::owned;
use crate::shell::{self, Shell, Tone};
use crate::workbook::{Chapter, MANIFEST, Workbook, slash};

/// Bring your repository up to date with your instructor's fixes (tests, manifest, runner, test
/// kit, book, workflows) as one commit, never touching your own code, and say what changed.
#[derive(clap::Args)]
pub struct Args {
    /// The instructor's new student template: its folder, or its repository's git URL.
    #[arg(long, value_name = "FOLDER OR URL")]
    from: String,
    /// Say what would change, and change nothing.
    #[arg(long)]
    dry_run: bool,
}

impl Args {
    /// Runs `update`; true when the repository is up to date afterwards (or would be, on a dry
    /// run).
    pub fn run(self, workbook: &Workbook, shell: &Shell) -> Result<bool> {
        update(workbook, shell, &self.from, self.dry_run)
    }
}

/// The line that marks a template commit, so that the next update finds it.
const TEMPLATE_TRAILER: &str = "Workbook-Template:";

/// Folders of the source that are not part of the template, relative to its root (and `target`
/// anywhere).
const NOT_TEMPLATE: &[&str] = &[".git", ".workbook", "book/build"];

/// How many files of one group are named one by one before they are counted instead.
const NAMED: usize = 3;

/// Brings the repository of `workbook` up to date with the template `from` names, or only says
/// what would change (`dry_run`).
fn update(workbook: &Workbook, shell: &Shell, from: &str, dry_run: bool) -> Result<bool> {
    let root = &workbook.root;
    ensure!(
        workbook.is_student_copy(),
        "this workbook has the reference solutions, so it is an instructor's, not a student's \
         repository; `update` brings a student's repository up to date from a newer student \
         template (README.md, \"Fix the workbook mid-term\", says how to make one)"
    );
    ensure!(
        git::is_repository(root),
        "{} is not in a git repository (or git is not installed); update records what it changes \
         as one git commit, so that you can see and undo it: run it in your repository, the one \
         you cloned from GitHub",
        root.display()
    );
    let prefix = git::run_text(root, &["rev-parse", "--show-prefix"])?;
    ensure!(
        prefix.trim().is_empty(),
        "the workbook at {} is inside a larger git repository ({}); update works in a repository \
         of its own, as made from the student template",
        root.display(),
        prefix.trim().trim_end_matches('/')
    );
    let head = git::resolve(root, "HEAD").context(
        "your repository has no commit yet, so there is nothing to update; a repository made \
         from the student template starts with one",
    )?;
    if !dry_run {
        ensure_committed(root)?;
        ensure_identity(root)?;
    }

    let source = Source::open(from, shell)?;
    let new = Workbook::load(&source.folder).with_context(|| {
        format!(
            "{} is not a student template of the workbook: update brings in a copy made by \
             `cargo xtask export --student`",
            from
        )
    })?;
    ensure!(
        new.is_student_copy(),
        "{} has the reference solutions (a solutions/ folder), so it is an instructor's \
         workbook, and updating from it would hand the solutions out. Export a student copy \
         (`cargo xtask export --student DIR`) and update from that",
        from
    );
    ensure!(
        !is_same_folder(&source.folder, root),
        "{} is this repository; update from the newer student template",
        from
    );
    let base = template_base(root)?;
    let plan = plan(workbook, &new, &source.folder, &base)?;
    shell.status(
        Tone::Good,
        if dry_run { "Comparing" } else { "Updating" },
        format!(
            "with {} (a student template of {} chapters)",
            from,
            new.chapters.len()
        ),
    );
    if plan.is_empty() {
        shell.status(
            Tone::Good,
            "Up to date",
            format!(
                "your repository already has everything {} has; nothing was changed",
                from
            ),
        );
        return Ok(true);
    }

    let groups = plan.groups();
    let commit = if dry_run {
        None
    } else {
        let message = commit_message(&groups, &plan);
        apply(root, &source.folder, &plan, &base, &head, &message)
            .context("the update did not finish")?
    };
    if !dry_run && commit.is_none() {
        shell.status(
            Tone::Good,
            "Up to date",
            "git sees no difference after all (line endings only); nothing was committed",
        );
        return Ok(true);
    }
    let verb = if dry_run { "Would update" } else { "Updated" };
    for (label, changes) in &groups {
        shell.status(Tone::Good, verb, format!("{label}: {}", describe(changes)));
    }
    report_notes(shell, &plan, &base, commit.as_ref());

    let Some(commit) = commit else {
        shell.status(
            Tone::Info,
            "Dry run",
            format!(
                "nothing was changed; {} makes these changes as one commit",
                shell::command(&format!("cargo xtask update --from {}", from))
            ),
        );
        return Ok(true);
    };
    shell.status(
        Tone::Good,
        "Committed",
        format!(
            "{} as commit {}; your own code was not touched",
            subject(&groups),
            git::short(&commit.merge)
        ),
    );
    if !plan.graded_anew.is_empty() {
        let commands: Vec<String> = plan
            .graded_anew
            .iter()
            .map(|id| shell::command(&format!("cargo xtask check {id}")).to_string())
            .collect();
        shell.status(
            Tone::Info,
            "Next",
            format!(
                "{} grades your code with the new tests",
                commands.join(", ")
            ),
        );
    }
    shell.status(
        Tone::Info,
        "Push",
        format!(
            "{} sends the update to your repository on GitHub",
            shell::command("git push")
        ),
    );
    Ok(true)
}

/// What an update changes: the files, in the order of their paths.
struct Plan {
    changes: Vec<Change>,
    /// Every file of the new template, as git names it.
    template: Vec<String>,
    /// Files the student had changed (or added) that the template's version replaces or removes.
    replaced: Vec<(String, Kind)>,
    /// Chapters the student has whose stub differs in the new template: (number, id, exercise
    /// folder).
    new_stubs: Vec<(u32, String, String)>,
    /// Chapters the new manifest no longer has: (id, exercise folder), left as they are.
    dropped: Vec<(String, String)>,
    /// Ids of the chapters whose tests changed or that are new.
    graded_anew: BTreeSet<String>,
}

struct Change {
    path: String,
    kind: Kind,
    /// How a student would name what changed: `tests of ch3`, `runner`, `book`.
    label: Label,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Added,
    Changed,
    Removed,
}

/// A group of changes, in the order a student reads them.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Label {
    /// Number, id, title.
    NewChapter(u32, String, String),
    Tests(u32, String),
    ExerciseCrate(u32, String),
    Manifest,
    Runner,
    TestKit,
    Book,
    Workflows,
    Workspace,
    Other,
    /// A chapter whose stub alone changed: recorded for `reset`, nothing else changes.
    NewStub(u32, String),
}

impl Label {
    /// A few words for the commit's subject.
    fn short(&self) -> String {
        match self {
            Label::NewChapter(_, id, _) => format!("new chapter {id}"),
            Label::Tests(_, id) => format!("tests of {id}"),
            Label::ExerciseCrate(_, id) => format!("crate of {id}"),
            Label::Manifest => "manifest".to_owned(),
            Label::Runner => "runner".to_owned(),
            Label::TestKit => "test kit".to_owned(),
            Label::Book => "book".to_owned(),
            Label::Workflows => "workflows".to_owned(),
            Label::Workspace => "workspace".to_owned(),
            Label::Other => "other files".to_owned(),
            Label::NewStub(_, id) => format!("stub of {id}"),
        }
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Label::NewChapter(_, id, title) => write!(f, "new chapter {id} · {title}"),
            Label::Tests(_, id) => write!(f, "tests of {id}"),
            Label::ExerciseCrate(_, id) => write!(f, "exercise crate of {id}"),
            Label::Manifest => write!(f, "chapter manifest (hints, points)"),
            Label::Runner => write!(f, "runner (cargo xtask)"),
            Label::TestKit => write!(f, "test kit"),
            Label::Book => write!(f, "book"),
            Label::Workflows => write!(f, "workflows (grading on GitHub)"),
            Label::Workspace => write!(f, "workspace settings"),
            Label::Other => write!(f, "other files"),
            Label::NewStub(_, id) => write!(f, "stub of {id}, for `cargo xtask reset`"),
        }
    }
}

impl Plan {
    /// True when the update would change nothing: no file, no stub to record for `reset`.
    fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.new_stubs.is_empty()
    }

    /// The changes by group, in reading order; when no file changes, the new stubs.
    fn groups(&self) -> Vec<(Label, Vec<&Change>)> {
        let mut groups: BTreeMap<Label, Vec<&Change>> = BTreeMap::new();
        for change in &self.changes {
            groups.entry(change.label.clone()).or_default().push(change);
        }
        if groups.is_empty() {
            for (number, id, _) in &self.new_stubs {
                groups.insert(Label::NewStub(*number, id.clone()), Vec::new());
            }
        }
        groups.into_iter().collect()
    }
}

/// `exercises/ch03-framing/src/tests.rs`, `runner: 4 files (1 new)`, as a group's summary.
fn describe(changes: &[&Change]) -> String {
    if changes.is_empty() {
        return "recorded in git history; your code is untouched".to_owned();
    }
    if changes.len() <= NAMED {
        return changes
            .iter()
            .map(|change| match change.kind {
                Kind::Changed => change.path.clone(),
                Kind::Added => format!("{} (new)", change.path),
                Kind::Removed => format!("{} (removed)", change.path),
            })
            .collect::<Vec<_>>()
            .join(", ");
    }
    let count = |kind| changes.iter().filter(|c| c.kind == kind).count();
    let parts: Vec<String> = [
        (Kind::Changed, "changed"),
        (Kind::Added, "new"),
        (Kind::Removed, "removed"),
    ]
    .into_iter()
    .map(|(kind, word)| (count(kind), word))
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{n} {word}"))
    .collect();
    format!("{} files ({})", changes.len(), parts.join(", "))
}

/// The commit's first line: `Workbook update: tests of ch3, runner`, at most about 72
/// characters.
fn subject(groups: &[(Label, Vec<&Change>)]) -> String {
    let mut subject = "Workbook update:".to_owned();
    for (index, (label, _)) in groups.iter().enumerate() {
        let words = label.short();
        let more = groups.len() - index;
        if index > 0 && subject.chars().count() + words.len() > 58 {
            subject.push_str(&format!(" and {more} more"));
            break;
        }
        subject.push_str(if index == 0 { " " } else { ", " });
        subject.push_str(&words);
    }
    subject
}

/// The merge commit's message: the subject, what changed by group, and what was replaced.
fn commit_message(groups: &[(Label, Vec<&Change>)], plan: &Plan) -> String {
    let mut message = format!(
        "{}\n\nThe instructor's fixes, brought in by `cargo xtask update` from the new student \
         template (the second parent of this commit). The exercises' code is yours and was not \
         touched.\n\n",
        subject(groups)
    );
    for (label, changes) in groups {
        message.push_str(&format!("- {label}: {}\n", describe(changes)));
    }
    if !plan.replaced.is_empty() {
        let paths: Vec<&str> = plan.replaced.iter().map(|(p, _)| p.as_str()).collect();
        message.push_str(&format!(
            "\nYour changes to these files gave way to the template's version (the first parent \
             of this commit has them): {}\n",
            paths.join(", ")
        ));
    }
    message
}

/// The notes after the changes: the student's edits that gave way, stubs that changed, chapters
/// dropped. `commit` is `None` on a dry run.
fn report_notes(shell: &Shell, plan: &Plan, base: &str, commit: Option<&Commits>) {
    for (path, kind) in &plan.replaced {
        let (verb, what) = match (commit.is_some(), kind) {
            (true, Kind::Removed) => ("Removed", "the workbook no longer has it"),
            (true, _) => ("Replaced", "the workbook's version replaces it"),
            (false, Kind::Removed) => ("Would remove", "the workbook no longer has it"),
            (false, _) => ("Would replace", "the workbook's version would replace it"),
        };
        let yours = if commit.is_some() {
            format!(
                " ({} shows yours)",
                shell::command(&format!("git show HEAD~1:{path}"))
            )
        } else {
            String::new()
        };
        shell.status(
            Tone::Pending,
            verb,
            format!("{path}, which you had changed: {what}{yours}"),
        );
    }
    for (_, id, folder) in &plan.new_stubs {
        let diff = match commit {
            Some(commit) => format!(
                "; {} shows what changed in it",
                shell::command(&format!(
                    "git diff {} {} -- {folder}/src",
                    git::short(base),
                    git::short(&commit.template)
                ))
            ),
            None => String::new(),
        };
        shell.status(
            Tone::Info,
            "Note",
            format!(
                "the stub of {id} changed too, and your code in {folder}/src is untouched{diff}; \
                 {} gives you the new stub (and keeps yours in a backup)",
                shell::command(&format!("cargo xtask reset {id}"))
            ),
        );
    }
    for (id, folder) in &plan.dropped {
        shell.status(
            Tone::Info,
            "Note",
            format!("{id} is no longer in the workbook; your {folder}/ is left as it is"),
        );
    }
}

/// Works out what the update changes in the workbook at `old.root`, from the template at
/// `source` (whose manifest is `new`), given the template commit the repository has (`base`).
fn plan(old: &Workbook, new: &Workbook, source: &Path, base: &str) -> Result<Plan> {
    let root = &old.root;
    let chapters: Vec<&Chapter> = old.chapters.iter().chain(&new.chapters).collect();
    let is_students = |path: &str| {
        chapters
            .iter()
            .any(|chapter| owned::is_students(chapter, Path::new(path)))
    };
    let new_chapters: Vec<&Chapter> = new
        .chapters
        .iter()
        .filter(|chapter| !root.join(chapter.exercise_dir()).is_dir())
        .collect();
    let new_folders: Vec<String> = new
        .chapters
        .iter()
        .map(|chapter| slash(&chapter.exercise_dir()))
        .collect();
    let dropped: Vec<(String, String)> = old
        .chapters
        .iter()
        .map(|chapter| (chapter.id.clone(), slash(&chapter.exercise_dir())))
        .filter(|(_, folder)| !new_folders.contains(folder) && root.join(folder).is_dir())
        .collect();
    let under = |path: &str, folder: &str| path.starts_with(&format!("{folder}/"));

    let template = template_files(source)?;
    let base_tree = tree(root, base)?;
    let head_tree = tree(root, "HEAD")?;
    let label = |path: &str| label(path, &old.chapters, &new.chapters, &new_chapters);

    let mut changes = Vec::new();
    for path in &template {
        let new_chapter = new_chapters
            .iter()
            .any(|chapter| under(path, &slash(&chapter.exercise_dir())));
        if is_students(path) && !new_chapter {
            continue;
        }
        let wanted = fs::read(source.join(path))
            .with_context(|| format!("cannot read {path} in {}", source.display()))?;
        let kind = match fs::read(root.join(path)) {
            Ok(current) if current == wanted => continue,
            Ok(_) => Kind::Changed,
            Err(_) => Kind::Added,
        };
        changes.push(Change {
            path: path.clone(),
            kind,
            label: label(path),
        });
    }
    let in_template: BTreeSet<&String> = template.iter().collect();
    for path in base_tree.keys() {
        let kept = in_template.contains(path)
            || is_students(path)
            || dropped.iter().any(|(_, folder)| under(path, folder))
            || !head_tree.contains_key(path);
        if !kept && root.join(path).is_file() {
            changes.push(Change {
                path: path.clone(),
                kind: Kind::Removed,
                label: label(path),
            });
        }
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));

    // What the student had changed themselves: their version differs from what was handed out.
    let replaced = changes
        .iter()
        .filter(|change| change.kind != Kind::Added)
        .filter(|change| head_tree.get(&change.path) != base_tree.get(&change.path))
        .map(|change| (change.path.clone(), change.kind))
        .collect();

    let mut new_stubs = Vec::new();
    for chapter in new
        .chapters
        .iter()
        .filter(|c| root.join(c.exercise_dir()).is_dir())
    {
        let folder = chapter.exercise_dir();
        let handed_out: BTreeMap<String, Vec<u8>> = git::files_at(root, base, &folder.join("src"))?
            .into_iter()
            .map(|(path, content)| (slash(&path), content))
            .filter(|(path, _)| owned::is_students(chapter, Path::new(path)))
            .collect();
        let fresh = owned::students_files(source, chapter)?;
        let differs = fresh.len() != handed_out.len()
            || fresh.iter().any(|file| {
                let content = fs::read(source.join(file)).unwrap_or_default();
                handed_out
                    .get(&slash(file))
                    .is_none_or(|old| !same_text(old, &content))
            });
        if differs {
            new_stubs.push((chapter.number, chapter.id.clone(), slash(&folder)));
        }
    }
    let graded_anew = changes
        .iter()
        .filter_map(|change| match &change.label {
            Label::NewChapter(_, id, _) | Label::Tests(_, id) => Some(id.clone()),
            _ => None,
        })
        .filter(|id| new.chapters.iter().any(|chapter| chapter.id == *id))
        .collect();
    Ok(Plan {
        changes,
        template,
        replaced,
        new_stubs,
        dropped,
        graded_anew,
    })
}

/// The group a changed file belongs to, in a student's words.
fn label(path: &str, old: &[Chapter], new: &[Chapter], new_chapters: &[&Chapter]) -> Label {
    let under = |folder: &Path| path.starts_with(&format!("{}/", slash(folder)));
    if let Some(chapter) = new_chapters.iter().find(|c| under(&c.exercise_dir())) {
        return Label::NewChapter(chapter.number, chapter.id.clone(), chapter.title.clone());
    }
    if let Some(chapter) = new.iter().chain(old).find(|c| under(&c.exercise_dir())) {
        return if path == slash(&chapter.tests_file()) {
            Label::Tests(chapter.number, chapter.id.clone())
        } else {
            Label::ExerciseCrate(chapter.number, chapter.id.clone())
        };
    }
    let top = path.split('/').next().unwrap_or_default();
    match top {
        MANIFEST => Label::Manifest,
        "xtask" => Label::Runner,
        "testkit" => Label::TestKit,
        "book" => Label::Book,
        ".github" => Label::Workflows,
        "Cargo.toml"
        | "Cargo.lock"
        | ".cargo"
        | "rust-toolchain.toml"
        | "rust-toolchain"
        | "rustfmt.toml"
        | ".rustfmt.toml"
        | "clippy.toml"
        | ".clippy.toml" => Label::Workspace,
        _ => Label::Other,
    }
}

/// The same text, line endings aside (git may write `\r\n` on Windows).
fn same_text(a: &[u8], b: &[u8]) -> bool {
    let strip = |bytes: &[u8]| -> Vec<u8> {
        bytes
            .iter()
            .copied()
            .filter(|&byte| byte != b'\r')
            .collect()
    };
    a == b || strip(a) == strip(b)
}

/// The files of the template at `source`, as git names them (`/`-separated), sorted.
fn template_files(source: &Path) -> Result<Vec<String>> {
    let skip = |path: &Path| {
        files::is_build_output(path) || NOT_TEMPLATE.iter().any(|left| path == Path::new(left))
    };
    let mut found: Vec<String> = files::list(source, &skip)?
        .iter()
        .map(|path| slash(path))
        .filter(|path| !NOT_TEMPLATE.contains(&path.as_str()))
        .collect();
    found.sort();
    Ok(found)
}

/// The files of `commit`, each with git's id of its content.
fn tree(root: &Path, commit: &str) -> Result<BTreeMap<String, String>> {
    let listing = git::run_text(root, &["ls-tree", "-r", "-z", "--full-tree", commit])?;
    Ok(listing
        .split('\0')
        .filter_map(|entry| {
            // `<mode> <type> <id>\t<path>`
            let (info, path) = entry.split_once('\t')?;
            let id = info.split(' ').nth(2)?;
            Some((path.to_owned(), id.to_owned()))
        })
        .collect())
}

/// The newest template commit an update recorded in the history of `HEAD` in the repository at
/// `root`, if any: where `cargo xtask reset` finds the untouched stubs first.
pub fn newest_template(root: &Path) -> Result<Option<String>> {
    if git::resolve(root, "HEAD").is_err() {
        return Ok(None);
    }
    let grep = format!("--grep=^{TEMPLATE_TRAILER}");
    // Topological order: a newer template commit is a child of the older, so it comes first.
    let last = git::run_text(
        root,
        &["log", "-1", "--topo-order", "--format=%H", &grep, "HEAD"],
    )?;
    Ok(last
        .lines()
        .next()
        .filter(|line| !line.is_empty())
        .map(str::to_owned))
}

/// The template commit the repository has now: the newest one an update recorded, or else its
/// first commit, which was made from the template.
fn template_base(root: &Path) -> Result<String> {
    if let Some(commit) = newest_template(root)? {
        return Ok(commit);
    }
    let first = git::run_text(root, &["rev-list", "--first-parent", "HEAD"])?;
    first
        .lines()
        .last()
        .map(str::to_owned)
        .context("git lists no commit in your repository")
}

/// Refuses a repository with anything git has not committed: the update's commit must hold the
/// update alone, and nothing of the student's may be overwritten.
fn ensure_committed(root: &Path) -> Result<()> {
    // The runner's own state and build output are never part of an update.
    let status = git::run_text(
        root,
        &[
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--",
            ".",
            ":(exclude).workbook",
            ":(exclude)target",
        ],
    )?;
    let lines: Vec<&str> = status.lines().collect();
    if lines.is_empty() {
        return Ok(());
    }
    let mut shown: Vec<String> = lines.iter().take(10).map(|l| format!("  {l}")).collect();
    if lines.len() > 10 {
        shown.push(format!("  … and {} more", lines.len() - 10));
    }
    bail!(
        "your repository has changes git has not committed, so update will not touch it:\n{}\n\
         Commit them first (`git add --all` and `git commit -m \"My work so far\"`), then update \
         again: its commit then holds the update alone, and your work is safe in yours",
        shown.join("\n")
    )
}

/// Refuses when git cannot sign a commit: update commits in the student's name.
fn ensure_identity(root: &Path) -> Result<()> {
    let known = ["GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"]
        .iter()
        .all(|ident| git::run(root, &["var", ident]).is_ok());
    ensure!(
        known,
        "git does not know who you are, and update records its changes as a commit in your name; \
         tell it once with `git config --global user.name \"Your Name\"` and \
         `git config --global user.email \"you@example.com\"`, then update again"
    );
    Ok(())
}

/// True when `a` and `b` are the same folder.
fn is_same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The two commits an update makes.
struct Commits {
    /// The new template, exactly.
    template: String,
    /// The merge on the student's branch.
    merge: String,
}

/// Makes the update: the template commit first (nothing in the working tree changes if that
/// fails), then the files, then the merge commit. `None` when git sees no change after all.
fn apply(
    root: &Path,
    source: &Path,
    plan: &Plan,
    base: &str,
    head: &str,
    message: &str,
) -> Result<Option<Commits>> {
    let scratch = TempDir::new("index")?;
    let (template, template_tree) = template_commit(root, source, plan, base, &scratch)
        .context("cannot record the new template in git, so nothing was changed")?;
    let template_tree = template_tree.as_str();

    // The working tree.
    let stopped = "the update stopped half-way; `git status` shows what it changed, and \
                   `git reset --hard` followed by `git clean -fd` puts everything back as in your \
                   last commit (everything of yours was committed before it started)";
    for change in &plan.changes {
        let destination = root.join(&change.path);
        match change.kind {
            Kind::Added | Kind::Changed => {
                if let Some(parent) = destination.parent() {
                    fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))
                        .context(stopped)?;
                }
                fs::copy(source.join(&change.path), &destination)
                    .with_context(|| format!("cannot write {}", change.path))
                    .context(stopped)?;
            }
            Kind::Removed => {
                fs::remove_file(&destination)
                    .with_context(|| format!("cannot remove {}", change.path))
                    .context(stopped)?;
                files::remove_empty_folders(root, Path::new(&change.path));
            }
        }
    }

    // The merge commit: exactly the changed files staged, then committed with both parents.
    let list = scratch.path().join("changed-files");
    write_list(&list, plan.changes.iter().map(|change| &change.path)).context(stopped)?;
    if !plan.changes.is_empty() {
        let from_file = format!("--pathspec-from-file={}", list.display());
        git::run(
            root,
            &[
                "--literal-pathspecs",
                "add",
                "--all",
                "--force",
                "--pathspec-file-nul",
                &from_file,
            ],
        )
        .context(stopped)?;
    }
    let tree = git::run_text(root, &["write-tree"]).context(stopped)?;
    let tree = tree.trim();
    let unchanged = |commit: &str, tree: &str| {
        git::resolve(root, &format!("{commit}^{{tree}}")).is_ok_and(|t| t == tree)
    };
    if unchanged(head, tree) && unchanged(base, template_tree) {
        return Ok(None);
    }
    let merge = git::run_text(
        root,
        &[
            "commit-tree",
            tree,
            "-p",
            head,
            "-p",
            &template,
            "-m",
            message,
        ],
    )
    .context(stopped)?
    .trim()
    .to_owned();
    git::run(
        root,
        &[
            "update-ref",
            "-m",
            "cargo xtask update",
            "HEAD",
            &merge,
            head,
        ],
    )
    .context(stopped)?;
    Ok(Some(Commits { template, merge }))
}

/// Records the template at `source` as a commit whose parent is `base`, through an index of its
/// own in `scratch` (the student's index stays as it is); the commit and its tree.
fn template_commit(
    root: &Path,
    source: &Path,
    plan: &Plan,
    base: &str,
    scratch: &TempDir,
) -> Result<(String, String)> {
    let git_dir = PathBuf::from(git::run_text(root, &["rev-parse", "--absolute-git-dir"])?.trim());
    let list = scratch.path().join("template-files");
    write_list(&list, plan.template.iter())?;
    let index = scratch.path().join("index");
    let template_git = |args: &[&str]| -> Result<String> {
        let mut command = git::command(source);
        command
            .arg("--git-dir")
            .arg(&git_dir)
            .arg("--work-tree")
            .arg(source)
            .args(args)
            .env("GIT_INDEX_FILE", &index);
        Ok(String::from_utf8_lossy(&git::output(&mut command, args)?).into_owned())
    };
    let from_file = format!("--pathspec-from-file={}", list.display());
    template_git(&[
        "--literal-pathspecs",
        "add",
        "--force",
        "--pathspec-file-nul",
        &from_file,
    ])?;
    let tree = template_git(&["write-tree"])?.trim().to_owned();
    let message = format!(
        "The workbook's student template, new version\n\nThe instructor's student template as \
         `cargo xtask update` received it: stubs, tests, runner, book. The update that merges it \
         keeps the student's own code; `cargo xtask reset` takes untouched stubs from here.\n\n\
         {TEMPLATE_TRAILER} {tree}\n"
    );
    let commit = git::run_text(root, &["commit-tree", &tree, "-p", base, "-m", &message])?
        .trim()
        .to_owned();
    Ok((commit, tree))
}

/// Writes `paths` to `file`, each ended by a NUL, as git's `--pathspec-file-nul` reads them.
fn write_list<'a>(file: &Path, paths: impl Iterator<Item = &'a String>) -> Result<()> {
    let mut text = String::new();
    for path in paths {
        text.push_str(path);
        text.push('\0');
    }
    fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))
}

/// Where the new template is: a folder, or a clone of a URL that goes away with it.
struct Source {
    folder: PathBuf,
    _clone: Option<TempDir>,
}

impl Source {
    /// The template `from` names: an existing folder as it is, a git URL cloned.
    fn open(from: &str, shell: &Shell) -> Result<Source> {
        let path = Path::new(from);
        if path.is_dir() {
            let folder = std::path::absolute(path)
                .with_context(|| format!("cannot find the folder {from}"))?;
            return Ok(Source {
                folder,
                _clone: None,
            });
        }
        ensure!(
            git::is_url(from),
            "there is no folder {from}, and it is not a git URL either; give the folder of the \
             new student template, or the URL of its repository"
        );
        let clone = TempDir::new("clone")?;
        let folder = clone.path().join("template");
        shell.status(Tone::Good, "Cloning", from);
        git::clone(from, &folder, &["--depth", "1"], true).with_context(|| {
            format!(
                "cannot clone {from}; check the URL, and that you can read that repository \
                 (`git clone {from}` shows the same)"
            )
        })?;
        Ok(Source {
            folder,
            _clone: Some(clone),
        })
    }
}

/// A folder of its own under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(purpose: &str) -> Result<TempDir> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "workbook-update-{purpose}-{}-{nanos}",
            std::process::id()
        ));
        fs::create_dir_all(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(TempDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Git makes its objects read-only, which stops a removal on Windows.
        let files = if cfg!(windows) {
            files::list(&self.0, &|_| false).unwrap_or_default()
        } else {
            Vec::new()
        };
        for file in files {
            let path = self.0.join(file);
            if let Ok(metadata) = fs::metadata(&path) {
                let mut permissions = metadata.permissions();
                #[allow(clippy::permissions_set_readonly_false)]
                permissions.set_readonly(false);
                let _ = fs::set_permissions(&path, permissions);
            }
        }
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(path: &str, kind: Kind) -> Change {
        Change {
            path: path.to_owned(),
            kind,
            label: Label::Other,
        }
    }

    #[test]
    fn a_group_names_a_few_files_and_counts_many() {
        let few = [
            change("a", Kind::Changed),
            change("b", Kind::Added),
            change("c", Kind::Removed),
        ];
        assert_eq!(
            describe(&few.iter().collect::<Vec<_>>()),
            "a, b (new), c (removed)"
        );
        let many = [
            change("a", Kind::Changed),
            change("b", Kind::Changed),
            change("c", Kind::Added),
            change("d", Kind::Changed),
        ];
        assert_eq!(
            describe(&many.iter().collect::<Vec<_>>()),
            "4 files (3 changed, 1 new)"
        );
    }

    #[test]
    fn the_subject_stays_short() {
        let labels = [
            Label::Tests(1, "ch1".to_owned()),
            Label::Tests(2, "ch2".to_owned()),
            Label::Tests(3, "ch3".to_owned()),
            Label::Manifest,
            Label::Runner,
            Label::Book,
            Label::Workflows,
            Label::Workspace,
        ];
        let groups: Vec<(Label, Vec<&Change>)> = labels
            .into_iter()
            .map(|label| (label, Vec::new()))
            .collect();
        let subject = subject(&groups);
        assert!(subject.chars().count() <= 72, "{subject}");
        assert!(
            subject.starts_with("Workbook update: tests of ch1, tests of ch2, tests of ch3"),
            "{subject}"
        );
        assert!(subject.ends_with("more"), "{subject}");
        assert_eq!(
            super::subject(&groups[..1]),
            "Workbook update: tests of ch1"
        );
    }

    #[test]
    fn changes_are_grouped_as_a_student_reads_them() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let workbook = Workbook::load(root).unwrap();
        let chapters = &workbook.chapters;
        let ch3 = &chapters[2];
        let tests = slash(&ch3.tests_file());
        let crate_file = slash(&ch3.exercise_dir().join("Cargo.toml"));
        let cases = [
            (tests.as_str(), "tests of ch3"),
            (crate_file.as_str(), "exercise crate of ch3"),
            ("chapters.toml", "chapter manifest (hints, points)"),
            ("xtask/src/check.rs", "runner (cargo xtask)"),
            ("testkit/src/lib.rs", "test kit"),
            ("book/src/SUMMARY.md", "book"),
            (
                ".github/workflows/classroom.yml",
                "workflows (grading on GitHub)",
            ),
            ("Cargo.lock", "workspace settings"),
            ("README.md", "other files"),
        ];
        for (path, expected) in cases {
            assert_eq!(
                label(path, chapters, chapters, &[]).to_string(),
                expected,
                "{path}"
            );
        }
        assert_eq!(
            label(&tests, chapters, chapters, &[ch3]).to_string(),
            format!("new chapter ch3 · {}", ch3.title)
        );
        assert!(
            label(&tests, chapters, chapters, &[])
                < label("chapters.toml", chapters, chapters, &[])
        );
    }

    #[test]
    fn line_endings_alone_do_not_make_a_new_stub() {
        assert!(same_text(b"a\r\nb\r\n", b"a\nb\n"));
        assert!(!same_text(b"a\nb\n", b"a\nc\n"));
    }
}
