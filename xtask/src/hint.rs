//! `cargo xtask hint <chapter> [function]`: the chapter's hints, one more each time you ask; with
//! a function (or a type) of the exercise, only the hints about it.
//!
//! A hint is about a function or a type when it names it in backticks, at the start of a code
//! span: `` `pool` ``, `` `Pool::new` ``, `` `next_line` ``, `` `close(self)` ``, but not
//! `` `self.pool.close()` ``, which is code that happens to use it. Asking about a type also gives
//! the hints about its methods (`Pool` gives `Pool::new`, and `close` when no other type of the
//! exercise has a `close`). A hint that names none of the exercise's functions and types comes
//! only in the chapter's order (`cargo xtask hint ch7`), and asking about a function says which
//! hints those are: it may be about any part, so it is never shown for another. The names are
//! read from the exercise's sources (`fn`, `struct`, `enum`, `trait`, `type` and the methods of
//! `impl` blocks); asking about a name that no hint is about is an error that lists the names
//! that have hints.
//!
//! How many hints you have seen is kept in `.workbook/hints` at the workbook's root (ignored by
//! git): one `chapter=count` line per chapter, and one `chapter:name=count` line per function
//! asked about, kept apart, so asking about one function never moves the chapter's hints on.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::shell::{self, Shell, Tone, and_list};
use crate::source::{self, Declared};
use crate::workbook::{Chapter, Workbook, slash};

/// Show the next hint for a chapter (one more each time you ask), or the next hint about one of
/// its functions.
#[derive(clap::Args)]
pub struct Args {
    /// The chapter: `ch3`, `3`, `ch03` or its name.
    chapter: String,
    /// Only the hints about this function or type of the exercise (`next_line`, `pool`,
    /// `Pool::new`), one at a time, apart from the chapter's.
    function: Option<String>,
    /// Show every hint at once.
    #[arg(long)]
    all: bool,
    /// Forget which hints you have seen, and start from the first again: the chapter's and
    /// every function's, or only the function's when one is given.
    #[arg(long, conflicts_with = "all")]
    reset: bool,
}

impl Args {
    /// Runs `hint`; always "successful": a hint is not a verdict.
    pub fn run(self, workbook: &Workbook, shell: &Shell) -> Result<bool> {
        let chapter = workbook.chapter(&self.chapter)?;
        let state = State::path(workbook);
        let mut seen = State::read(&state);

        // The hints to go through, by their index in the chapter's list, and where progress is kept.
        let (hints, key, topic): (Vec<usize>, String, Option<Topic>) =
            match self.function.as_deref() {
                None => ((0..chapter.hints.len()).collect(), chapter.id.clone(), None),
                Some(function) => {
                    let declared =
                        Declared::read(&workbook.root.join(chapter.exercise_dir()).join("src"));
                    let topic = topic(chapter, &declared, function)?;
                    let hints = topic.hints.clone();
                    (hints, format!("{}:{}", chapter.id, topic.name), Some(topic))
                }
            };
        let total = hints.len();
        let about = topic
            .as_ref()
            .map(|t| format!(" about `{}`", t.name))
            .unwrap_or_default();
        let again = match &topic {
            None => format!("cargo xtask hint {}", chapter.id),
            Some(_) => format!(
                "cargo xtask hint {} {}",
                chapter.id,
                self.function.as_deref().unwrap_or_default()
            ),
        };

        if self.reset {
            let mut message = format!(
                "the next hint{about} for {} is hint 1 of {total}",
                chapter.id
            );
            if topic.is_none() {
                // The chapter starts over with every function's hints.
                let prefix = format!("{}:", chapter.id);
                seen.retain(|key, _| !key.starts_with(&prefix));
                message.push_str(", for each function too");
            }
            seen.remove(&key);
            State::write(&state, &seen)?;
            shell.status(Tone::Good, "Reset", message);
            return Ok(true);
        }

        if let Some(topic) = &topic {
            let numbers = |hints: &[usize]| {
                let numbers: Vec<String> = hints.iter().map(|i| (i + 1).to_string()).collect();
                and_list(&numbers)
            };
            shell.status(
                Tone::Info,
                "Hints",
                format!(
                    "{total} of {}'s {} hints {} about `{}` ({} {})",
                    chapter.id,
                    chapter.hints.len(),
                    if total == 1 { "is" } else { "are" },
                    topic.name,
                    if total == 1 { "hint" } else { "hints" },
                    numbers(&topic.hints)
                ),
            );
            if !topic.general.is_empty() {
                let (hints, name, they) = if topic.general.len() == 1 {
                    ("hint", "names", "it comes")
                } else {
                    ("hints", "name", "they come")
                };
                shell.note(format!(
                    "({hints} {} {name} none of the exercise's functions: {they} only in the \
                     chapter's order, `cargo xtask hint {}`)",
                    numbers(&topic.general),
                    chapter.id
                ));
            }
        }
        let shown = if self.all {
            total
        } else {
            (seen.get(&key).copied().unwrap_or(0) + 1).min(total)
        };
        for (position, index) in hints.iter().enumerate().take(shown) {
            let hint = &chapter.hints[*index];
            let label = format!("Hint {}/{total}", position + 1);
            // Hints already seen are repeated, dimmed, so the newest one stands out.
            if position + 1 < shown && !self.all {
                shell.status(
                    Tone::Info,
                    &label,
                    shell::dim(hint.trim().lines().next().unwrap_or_default()),
                );
            } else {
                let mut lines = hint.trim().lines();
                shell.status(Tone::Pending, &label, lines.next().unwrap_or_default());
                shell.detail(lines.collect::<Vec<_>>().join("\n"));
            }
        }
        shell.line("");
        if shown < total {
            shell.status(
                Tone::Info,
                "More",
                format!(
                    "{} again shows the next hint{about}",
                    shell::command(&again)
                ),
            );
        } else {
            shell.status(
                Tone::Info,
                "Last",
                format!(
                    "that was every hint{about}; the chapter itself is {}",
                    slash(&chapter.book_page())
                ),
            );
        }
        if !self.all {
            seen.insert(key, shown);
            State::write(&state, &seen)?;
        }
        Ok(true)
    }
}

/// What a student asked about, and the hints about it.
struct Topic {
    /// As the exercise spells it: `Pool`, `Pool::new`, `next_line`.
    name: String,
    /// Indexes into the chapter's hints, in order.
    hints: Vec<usize>,
    /// The hints that name none of the exercise's functions and types, which are only shown in
    /// the chapter's order.
    general: Vec<usize>,
}

/// The topic `query` names (`pool`, `Pool::new`, `next_line`, in any case), or an error that
/// lists what the hints are about.
fn topic(chapter: &Chapter, declared: &Declared, query: &str) -> Result<Topic> {
    let mentions: Vec<Vec<Vec<String>>> = chapter
        .hints
        .iter()
        .map(|h| source::code_paths(h))
        .collect();
    let about = |patterns: &[Pattern]| -> Vec<usize> {
        (0..chapter.hints.len())
            .filter(|&i| {
                mentions[i]
                    .iter()
                    .any(|path| patterns.iter().any(|p| p.matches(path)))
            })
            .collect()
    };
    let candidates = names(declared);
    let with_hints: Vec<&String> = candidates
        .iter()
        .filter(|c| c.listed && !about(&c.patterns).is_empty())
        .map(|c| &c.name)
        .collect();
    let wanted = query.trim();
    let found = candidates
        .iter()
        .find(|c| c.is_named(wanted, false))
        .or_else(|| candidates.iter().find(|c| c.is_named(wanted, true)));
    let specific = found.map(|c| about(&c.patterns)).unwrap_or_default();
    let Some(Name { name, .. }) = found.filter(|_| !specific.is_empty()) else {
        let shown = if found.is_some() {
            format!("no hint of {} is about `{wanted}`", chapter.id)
        } else {
            format!(
                "{} has no function or type `{wanted}` that a hint is about",
                chapter.id
            )
        };
        if with_hints.is_empty() {
            bail!(
                "{shown}: its hints name none of its exercise's functions; `cargo xtask hint {}` \
                 shows them in order",
                chapter.id
            );
        }
        let names: Vec<String> = with_hints.iter().map(|name| format!("`{name}`")).collect();
        bail!(
            "{shown}; its hints are about {} (or `cargo xtask hint {}` shows them all in order)",
            and_list(&names),
            chapter.id
        );
    };
    // Hints that name none of the exercise's names may be about anything: they are left out,
    // so that asking about one function never shows the answer to another.
    let general: Vec<usize> = (0..chapter.hints.len())
        .filter(|&i| {
            !mentions[i].iter().any(|path| {
                candidates
                    .iter()
                    .flat_map(|c| &c.patterns)
                    .any(|p| p.matches(path))
            })
        })
        .collect();
    Ok(Topic {
        name: name.clone(),
        hints: specific,
        general,
    })
}

/// How a topic is recognised in a hint's paths.
#[derive(Debug)]
enum Pattern {
    /// The path starts with this part: `Pool` in `Pool::new`.
    Head(String),
    /// The path is exactly this one name: `close`.
    Whole(String),
    /// The path ends with these two parts: `Pool::close`.
    Method(String, String),
}

impl Pattern {
    fn matches(&self, path: &[String]) -> bool {
        match self {
            Pattern::Head(name) => path[0] == *name,
            Pattern::Whole(name) => path.len() == 1 && path[0] == *name,
            Pattern::Method(owner, name) => {
                path.len() >= 2 && path[path.len() - 2] == *owner && path[path.len() - 1] == *name
            }
        }
    }
}

/// Every name a student may ask about: types, functions, then methods as `Type::name` (also
/// answering to `name` when no other type or function has one of that name), and then, for a
/// method name several types have (`new`), that name alone for all of them, unlisted.
fn names(declared: &Declared) -> Vec<Name> {
    let unique = |name: &str| {
        declared.methods.iter().filter(|(_, m)| m == name).count() == 1
            && !declared.functions.iter().any(|f| f == name)
    };
    let mut names = Vec::new();
    for owner in &declared.types {
        let mut patterns = vec![Pattern::Head(owner.clone())];
        for (_, method) in declared.methods.iter().filter(|(o, _)| o == owner) {
            patterns.push(Pattern::Method(owner.clone(), method.clone()));
            if unique(method) {
                patterns.push(Pattern::Whole(method.clone()));
            }
        }
        names.push(Name::listed(owner, patterns));
    }
    for function in &declared.functions {
        names.push(Name::listed(
            function,
            vec![Pattern::Whole(function.clone())],
        ));
    }
    for (owner, method) in &declared.methods {
        let mut patterns = vec![Pattern::Method(owner.clone(), method.clone())];
        let mut name = Name::listed(&format!("{owner}::{method}"), Vec::new());
        if unique(method) {
            patterns.push(Pattern::Whole(method.clone()));
            name.alias = Some(method.clone());
        }
        name.patterns = patterns;
        names.push(name);
    }
    for (_, method) in &declared.methods {
        if !unique(method) && !names.iter().any(|n| n.name == *method) {
            let patterns = declared
                .methods
                .iter()
                .filter(|(_, m)| m == method)
                .map(|(o, m)| Pattern::Method(o.clone(), m.clone()))
                .chain([Pattern::Whole(method.clone())])
                .collect();
            names.push(Name {
                name: method.clone(),
                alias: None,
                patterns,
                listed: false,
            });
        }
    }
    names
}

/// A name a student may ask about.
#[derive(Debug)]
struct Name {
    /// As shown, and as progress is kept: `Pool`, `pipeline`, `Pool::close`.
    name: String,
    /// Another way to ask for it: `close` for `Pool::close`.
    alias: Option<String>,
    /// How a hint names it.
    patterns: Vec<Pattern>,
    /// Whether the error for an unknown name lists it.
    listed: bool,
}

impl Name {
    fn listed(name: &str, patterns: Vec<Pattern>) -> Name {
        Name {
            name: name.to_owned(),
            alias: None,
            patterns,
            listed: true,
        }
    }

    fn is_named(&self, query: &str, any_case: bool) -> bool {
        let same = |name: &str| {
            if any_case {
                name.eq_ignore_ascii_case(query)
            } else {
                name == query
            }
        };
        same(&self.name) || self.alias.as_deref().is_some_and(same)
    }
}

/// The hints seen so far: per chapter (`ch7`), and per function asked about (`ch7:Pool`).
struct State;

impl State {
    fn path(workbook: &Workbook) -> PathBuf {
        workbook.root.join(".workbook").join("hints")
    }

    /// The counts on disk; a missing or garbled file counts as nothing seen.
    fn read(path: &PathBuf) -> BTreeMap<String, usize> {
        fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let (key, count) = line.rsplit_once('=')?;
                Some((key.trim().to_owned(), count.trim().parse().ok()?))
            })
            .collect()
    }

    fn write(path: &PathBuf, seen: &BTreeMap<String, usize>) -> Result<()> {
        let folder = path.parent().expect("the state file is in a folder");
        fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
        let text: String = seen
            .iter()
            .map(|(key, count)| format!("{key}={count}\n"))
            .collect();
        fs::write(path, text)
            .with_context(|| format!("cannot remember the hints seen in {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::Path;

    use crate::source::tests::declared;

    fn chapter(hints: &[&str]) -> Chapter {
        Chapter {
            number: 7,
            id: "ch7".to_owned(),
            slug: "sharing".to_owned(),
            title: "Sharing".to_owned(),
            exercise: "ch07-sharing".to_owned(),
            solution: String::new(),
            hints: hints.iter().map(|h| (*h).to_owned()).collect(),
            points: BTreeMap::new(),
        }
    }

    #[test]
    fn asking_about_a_type_gives_the_hints_about_it_and_its_methods() {
        let chapter = chapter(&[
            "Every function here is one loop.",
            "`Registry` fields: `clients: RwLock<…>`; `join` takes the write lock.",
            "`send`: clone the writer's `Arc`, not `self.pool`.",
            "`Pool` fields: a `SyncSender`.",
            "A worker, one of the threads `Pool::new` starts: `recv`.",
            "Closing: `drop(self.jobs.take())`, then `close` joins.",
            "`pipeline`: three `mpsc::sync_channel(capacity)`s.",
        ]);
        let declared = declared();
        let hints = |query: &str| topic(&chapter, &declared, query).map(|t| (t.name, t.hints));
        assert_eq!(hints("pool").unwrap(), ("Pool".to_owned(), vec![3, 4, 5]));
        assert_eq!(
            hints("registry").unwrap(),
            ("Registry".to_owned(), vec![1, 2])
        );
        assert_eq!(hints("close").unwrap(), ("Pool::close".to_owned(), vec![5]));
        assert_eq!(
            hints("pool::CLOSE").unwrap(),
            ("Pool::close".to_owned(), vec![5])
        );
        assert_eq!(
            hints("Pool::new").unwrap(),
            ("Pool::new".to_owned(), vec![4])
        );
        assert_eq!(hints("new").unwrap(), ("new".to_owned(), vec![4]));
        assert_eq!(hints("PIPELINE").unwrap(), ("pipeline".to_owned(), vec![6]));
        let general = topic(&chapter, &declared, "pool").unwrap().general;
        assert_eq!(
            general,
            [0],
            "the hint that names nothing is left out, and said to be"
        );
        let error = hints("names").unwrap_err().to_string();
        assert_eq!(
            error,
            "ch7 has no function or type `names` that a hint is about; its hints are about \
             `Registry`, `Pool`, `pipeline`, `Registry::join`, `Registry::send`, `Pool::new`, \
             `Pool::close` and `Pool::drop` (or `cargo xtask hint ch7` shows them all in order)"
        );
    }

    /// The workbook's own example: asking about chapter 7's pool shows the pool's hints only.
    #[test]
    fn chapter_7s_pool_has_hints_of_its_own() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let workbook = Workbook::load(root).unwrap();
        let Ok(chapter) = workbook.chapter("sharing") else {
            return;
        };
        let declared = Declared::read(&root.join(chapter.exercise_dir()).join("src"));
        let pool = topic(chapter, &declared, "pool").unwrap();
        assert_eq!(pool.name, "Pool");
        let shown: Vec<&str> = pool
            .hints
            .iter()
            .map(|&i| chapter.hints[i].as_str())
            .collect();
        assert!(shown.len() >= 2, "{shown:#?}");
        for hint in shown {
            assert!(!hint.contains("`pipeline`"), "{hint}");
            assert!(!hint.contains("Registry"), "{hint}");
        }
    }

    #[test]
    fn without_names_in_the_hints_asking_about_one_says_so() {
        let chapter = chapter(&["A general hint.", "Another, about `Vec`."]);
        let error = topic(&chapter, &declared(), "pool")
            .map(|t| t.name)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("its hints name none of its exercise's functions"),
            "{error}"
        );
    }
}
