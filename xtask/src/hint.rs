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
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::shell::{self, Shell, Tone};
use crate::workbook::{Chapter, Workbook, slash};

/// Runs `hint`; always "successful": a hint is not a verdict.
pub fn run(
    workbook: &Workbook,
    shell: &mut Shell,
    query: &str,
    function: Option<&str>,
    all: bool,
    reset: bool,
) -> Result<bool> {
    let chapter = workbook.chapter(query)?;
    let state = State::path(workbook);
    let mut seen = State::read(&state);

    // The hints to go through, by their index in the chapter's list, and where progress is kept.
    let (hints, key, topic): (Vec<usize>, String, Option<Topic>) = match function {
        None => ((0..chapter.hints.len()).collect(), chapter.id.clone(), None),
        Some(function) => {
            let declared = Declared::read(&workbook.root.join(chapter.exercise_dir()).join("src"));
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
            function.unwrap_or_default()
        ),
    };

    if reset {
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
    let shown = if all {
        total
    } else {
        (seen.get(&key).copied().unwrap_or(0) + 1).min(total)
    };
    for (position, index) in hints.iter().enumerate().take(shown) {
        let hint = &chapter.hints[*index];
        let label = format!("Hint {}/{total}", position + 1);
        // Hints already seen are repeated, dimmed, so the newest one stands out.
        if position + 1 < shown && !all {
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
    if !all {
        seen.insert(key, shown);
        State::write(&state, &seen)?;
    }
    Ok(true)
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
    let mentions: Vec<Vec<Vec<String>>> = chapter.hints.iter().map(|h| mentions(h)).collect();
    let about = |patterns: &[Pattern]| -> Vec<usize> {
        (0..chapter.hints.len())
            .filter(|&i| {
                mentions[i]
                    .iter()
                    .any(|path| patterns.iter().any(|p| p.matches(path)))
            })
            .collect()
    };
    let candidates = declared.names();
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

/// The paths a hint names at the start of its code spans: `` `Pool::new(threads, queue)` `` names
/// `["Pool", "new"]`; `` `self.jobs.take()` `` and `` `let x = y` `` name nothing.
fn mentions(hint: &str) -> Vec<Vec<String>> {
    hint.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(head_path)
        .collect()
}

/// The path at the start of a code span, if the span starts with one that is not followed by a
/// field access, a method call, or anything else that makes it code using the name.
fn head_path(span: &str) -> Option<Vec<String>> {
    let mut rest = span.trim().trim_start_matches('&');
    let mut path = Vec::new();
    loop {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let word = &rest[..end];
        if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        path.push(word.to_owned());
        rest = &rest[end..];
        match rest.strip_prefix("::") {
            Some(more) if more.starts_with('<') => break,
            Some(more) => rest = more,
            None => break,
        }
    }
    let keyword = [
        "let", "for", "while", "if", "match", "loop", "fn", "impl", "return", "mut",
    ]
    .contains(&path[0].as_str());
    let ends_well = rest.is_empty() || rest.starts_with(['(', '<', '!', '[', '{']);
    (ends_well && !keyword).then_some(path)
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

/// The names an exercise declares, read from its sources without compiling them.
#[derive(Debug, Default, PartialEq, Eq)]
struct Declared {
    /// `struct`, `enum`, `trait` and `type` names, in order.
    types: Vec<String>,
    /// Functions outside any `impl`, in order.
    functions: Vec<String>,
    /// `(type, method)` for every `fn` directly inside an `impl` block, in order.
    methods: Vec<(String, String)>,
}

impl Declared {
    /// The names in every `.rs` file under `src` but the tests.
    fn read(src: &Path) -> Declared {
        let mut declared = Declared::default();
        let mut files: Vec<PathBuf> = fs::read_dir(src)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "rs"))
            .filter(|path| !path.ends_with("tests.rs"))
            .collect();
        // `lib.rs` first, for the order in which the names are listed.
        files.sort_by_key(|path| (!path.ends_with("lib.rs"), path.clone()));
        for file in files {
            declared.scan(&fs::read_to_string(file).unwrap_or_default());
        }
        declared
    }

    fn scan(&mut self, source: &str) {
        let tokens = tokens(source);
        // The `impl` blocks we are in, by the depth of their `{`.
        let mut impls: Vec<(usize, String)> = Vec::new();
        let mut depth: usize = 0;
        let mut at = 0;
        while at < tokens.len() {
            match tokens[at].as_str() {
                "{" => depth += 1,
                "}" => {
                    depth = depth.saturating_sub(1);
                    // The blocks that this brace closed.
                    impls.retain(|(level, _)| *level < depth);
                }
                // An `impl` item, not `impl Trait` in a signature (`job: impl FnOnce()`).
                "impl"
                    if at == 0
                        || ["}", ";", "{", "]", "unsafe"].contains(&tokens[at - 1].as_str()) =>
                {
                    let header_end = tokens[at..]
                        .iter()
                        .position(|t| t == "{" || t == ";")
                        .map_or(tokens.len(), |n| at + n);
                    let is_block = tokens.get(header_end).is_some_and(|t| t == "{");
                    if let Some(owner) =
                        impl_owner(&tokens[at + 1..header_end]).filter(|_| is_block)
                    {
                        impls.push((depth, owner));
                    }
                    at = header_end;
                    continue;
                }
                "fn" => {
                    if let Some(name) = tokens.get(at + 1).filter(|t| is_identifier(t)) {
                        match impls.last() {
                            Some((level, owner)) if *level + 1 == depth => {
                                push_new(&mut self.methods, (owner.clone(), name.clone()));
                            }
                            None if depth == 0 => push_new(&mut self.functions, name.clone()),
                            _ => {}
                        }
                    }
                }
                "struct" | "enum" | "trait" | "type" if depth == 0 => {
                    if let Some(name) = tokens.get(at + 1).filter(|t| is_identifier(t)) {
                        push_new(&mut self.types, name.clone());
                    }
                }
                _ => {}
            }
            at += 1;
        }
    }

    /// Every name a student may ask about: types, functions, then methods as `Type::name` (also
    /// answering to `name` when no other type or function has one of that name), and then, for a
    /// method name several types have (`new`), that name alone for all of them, unlisted.
    fn names(&self) -> Vec<Name> {
        let unique = |name: &str| {
            self.methods.iter().filter(|(_, m)| m == name).count() == 1
                && !self.functions.iter().any(|f| f == name)
        };
        let mut names = Vec::new();
        for owner in &self.types {
            let mut patterns = vec![Pattern::Head(owner.clone())];
            for (_, method) in self.methods.iter().filter(|(o, _)| o == owner) {
                patterns.push(Pattern::Method(owner.clone(), method.clone()));
                if unique(method) {
                    patterns.push(Pattern::Whole(method.clone()));
                }
            }
            names.push(Name::listed(owner, patterns));
        }
        for function in &self.functions {
            names.push(Name::listed(
                function,
                vec![Pattern::Whole(function.clone())],
            ));
        }
        for (owner, method) in &self.methods {
            let mut patterns = vec![Pattern::Method(owner.clone(), method.clone())];
            let mut name = Name::listed(&format!("{owner}::{method}"), Vec::new());
            if unique(method) {
                patterns.push(Pattern::Whole(method.clone()));
                name.alias = Some(method.clone());
            }
            name.patterns = patterns;
            names.push(name);
        }
        for (_, method) in &self.methods {
            if !unique(method) && !names.iter().any(|n| n.name == *method) {
                let patterns = self
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

fn push_new<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

fn is_identifier(token: &str) -> bool {
    token.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

/// The type an `impl` header is for: `Pool` in `impl Pool`, `impl Drop for Pool` and
/// `impl<W: Write> Registry<W>`.
fn impl_owner(header: &[String]) -> Option<String> {
    // Past the impl's own generics.
    let mut at = 0;
    if header.first().is_some_and(|t| t == "<") {
        let mut angle = 0;
        while at < header.len() {
            match header[at].as_str() {
                "<" => angle += 1,
                ">" => angle -= 1,
                _ => {}
            }
            at += 1;
            if angle == 0 {
                break;
            }
        }
    }
    let rest = &header[at..];
    let after_for = rest.iter().position(|t| t == "for").map_or(0, |n| n + 1);
    // The last part of the path before its generics: `fmt::Display` is `Display`.
    let mut owner = None;
    for token in &rest[after_for..] {
        match token.as_str() {
            "::" => {}
            "<" | "{" | "where" => break,
            word if is_identifier(word) => owner = Some(word.to_owned()),
            _ => break,
        }
    }
    owner
}

/// Rust source as tokens: identifiers, `::`, `->` and single punctuation, with comments,
/// strings and character literals left out (so their braces do not count).
fn tokens(source: &str) -> Vec<String> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        let next = chars.get(at + 1).copied();
        if c == '/' && next == Some('/') {
            while at < chars.len() && chars[at] != '\n' {
                at += 1;
            }
        } else if c == '/' && next == Some('*') {
            at += 2;
            while at < chars.len() && !(chars[at] == '*' && chars.get(at + 1) == Some(&'/')) {
                at += 1;
            }
            at += 2;
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && {
            let hashes = chars[at + 1..].iter().take_while(|&&h| h == '#').count();
            chars.get(at + 1 + hashes) == Some(&'"')
        } {
            let hashes = chars[at + 1..].iter().take_while(|&&h| h == '#').count();
            at += hashes + 2;
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while at < chars.len() && !chars[at..].starts_with(&closing) {
                at += 1;
            }
            at += closing.len();
        } else if c == '"' {
            at += 1;
            while at < chars.len() && chars[at] != '"' {
                at += if chars[at] == '\\' { 2 } else { 1 };
            }
            at += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\'', '{'), or a lifetime ('a), skipped too.
            if next == Some('\\') {
                at += 3;
                while at < chars.len() && chars[at] != '\'' {
                    at += 1;
                }
                at += 1;
            } else if chars.get(at + 2) == Some(&'\'') {
                at += 3;
            } else {
                at += 1;
                while at < chars.len() && (chars[at].is_alphanumeric() || chars[at] == '_') {
                    at += 1;
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = at;
            while at < chars.len() && (chars[at].is_alphanumeric() || chars[at] == '_') {
                at += 1;
            }
            tokens.push(chars[start..at].iter().collect());
        } else if c == ':' && next == Some(':') {
            tokens.push("::".to_owned());
            at += 2;
        } else if c == '-' && next == Some('>') {
            tokens.push("->".to_owned());
            at += 2;
        } else {
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
            at += 1;
        }
    }
    tokens
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
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

    const POOL: &str = r#"
        //! A pool { with a brace in a comment.
        pub struct Registry<W> { clients: Vec<W> }
        impl<W: Write> Registry<W> {
            pub fn new() -> Self { todo!("{") }
            pub fn join(&self, name: &str) -> bool { let c = '}'; todo!() }
            pub fn send<'a>(&'a self) { fn helper() {} }
        }
        pub struct Pool { _todo: () }
        impl Pool {
            pub fn new(threads: usize) -> Pool { todo!(r"start {threads}") }
            pub fn close(self) {}
        }
        impl Drop for Pool {
            fn drop(&mut self) {}
        }
        impl fmt::Display for Registry<u8> {}
        pub fn pipeline<T>(input: T) -> Receiver<T> where T: Send { todo!() }
    "#;

    fn declared() -> Declared {
        let mut declared = Declared::default();
        declared.scan(POOL);
        declared
    }

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
    fn the_exercises_names_are_read_without_compiling_it() {
        let method = |o: &str, m: &str| (o.to_owned(), m.to_owned());
        assert_eq!(
            declared(),
            Declared {
                types: vec!["Registry".to_owned(), "Pool".to_owned()],
                functions: vec!["pipeline".to_owned()],
                methods: vec![
                    method("Registry", "new"),
                    method("Registry", "join"),
                    method("Registry", "send"),
                    method("Pool", "new"),
                    method("Pool", "close"),
                    method("Pool", "drop"),
                ],
            }
        );
    }

    #[test]
    fn a_hint_names_what_starts_a_code_span() {
        let paths = |hint: &str| mentions(hint);
        let path = |parts: &[&str]| parts.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            paths("`Pool::new(threads, queue)`, `close`, `&TcpStream` and `Vec<u8>`"),
            [
                path(&["Pool", "new"]),
                path(&["close"]),
                path(&["TcpStream"]),
                path(&["Vec"])
            ]
        );
        for code in [
            "`self.jobs.take()`",
            "`let next = pool.recv();`",
            "`jobs: Option<SyncSender<Job>>`",
            "`for item in receiver {}`",
            "`0..n`",
            "`b'\\n'`",
        ] {
            assert!(paths(code).is_empty(), "{code}: {:?}", paths(code));
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
