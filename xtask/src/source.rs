//! Reading Rust source without compiling it: the one place that knows how the runner looks into
//! `.rs` files (and into the code spans of hints, which name Rust items).
//!
//! What it reads: the `#[test]` functions of a test file, in order ([`declared_tests`]); the
//! names an exercise declares, its types, functions and methods ([`Declared`]), and the
//! several-word function names a test name may mention ([`multi_word_functions`]); the function
//! around a line ([`enclosing_function`]); the first `//!` line of a file ([`first_doc_line`]);
//! the items a hint's code spans name ([`code_paths`]); the `#[path]` line by which a solution
//! compiles the exercise's tests ([`tests_include`]); and lines that can fool a grader
//! ([`suspicious_lines`]). It reads source as text and tokens, never as a compiler would: enough
//! for names and lines, and it never fails, whatever the file holds.

use std::fs;
use std::path::{Path, PathBuf};

/// The `#[test]` functions of a test file, by name, in the order of the file (which is the
/// order in which a student meets them), without compiling it: what a chapter is worth when the
/// student's code does not compile.
pub fn declared_tests(source: &str) -> Vec<String> {
    // (The text of included test files follows the including one: see `Chapter::tests_text`.)
    let mut names = Vec::new();
    let mut after_test_attribute = false;
    for line in source.lines() {
        let line = line.trim();
        if line.starts_with("#[test]") {
            after_test_attribute = true;
        } else if after_test_attribute && let Some(at) = line.find("fn ") {
            let rest = &line[at + 3..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            names.push(rest[..end].to_owned());
            after_test_attribute = false;
        }
    }
    names
}

/// The files a test file compiles as modules of its own (`#[path = "../../chNN-S/src/tests.rs"]`
/// before `mod chat;`): a chapter whose tests include another chapter's. Each is the index of the
/// `mod` line and the path as written.
pub fn included_modules(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut pending: Option<String> = None;
    for (index, line) in source.lines().enumerate() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("#[path = \"") {
            pending = rest.split_once("\"]").map(|(path, _)| path.to_owned());
        } else if line.starts_with("#[") || line.starts_with("//") {
            continue;
        } else {
            let is_module = ["mod ", "pub mod ", "pub(crate) mod "]
                .iter()
                .any(|start| line.starts_with(start))
                && line.ends_with(';');
            if let Some(path) = pending.take()
                && is_module
            {
                found.push((index, path));
            }
        }
    }
    found
}

/// Every `.rs` file directly in an exercise's `src` folder but the tests, with its text: `lib.rs`
/// first, then the others by name. An unreadable file reads as empty.
fn exercise_sources(src: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = fs::read_dir(src)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .filter(|path| !path.ends_with("tests.rs"))
        .collect();
    files.sort_by_key(|path| (!path.ends_with("lib.rs"), path.clone()));
    files
        .iter()
        .map(|path| fs::read_to_string(path).unwrap_or_default())
        .collect()
}

/// The exercise's functions whose names have several words (`write_frame`), so a test name that
/// mentions one can show it as code; the longest first, so `read_frame_header` wins over
/// `read_frame`. Read from every source file in `src` but the tests.
pub fn multi_word_functions(src: &Path) -> Vec<String> {
    let mut functions: Vec<String> = Vec::new();
    for source in exercise_sources(src) {
        for (_, rest) in source
            .match_indices("fn ")
            .map(|(at, _)| source.split_at(at + 3))
        {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if name.contains('_') && !functions.contains(&name) {
                functions.push(name);
            }
        }
    }
    functions.sort_by_key(|name| std::cmp::Reverse(name.len()));
    functions
}

/// The name of the function around line `line` (counted from 1) of `source`: the nearest `fn`
/// at or above it.
pub fn enclosing_function(source: &str, line: usize) -> Option<String> {
    source
        .lines()
        .take(line)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .find_map(|text| {
            let after = text.split_once("fn ")?.1;
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
}

/// The text of the first `//!` line of `source`, trimmed: what a file says it is.
pub fn first_doc_line(source: &str) -> Option<String> {
    source
        .lines()
        .find_map(|line| line.strip_prefix("//!"))
        .map(|line| line.trim().to_owned())
}

/// The attribute by which a solution compiles the exercise's test file `tests` (a path relative
/// to the workbook's root) from its own `src/lib.rs`, three folders down:
/// `#[path = "../../../exercises/chNN-S/src/tests.rs"]`.
pub fn tests_include(tests: &Path) -> String {
    format!("#[path = \"{TO_ROOT}{}\"]", crate::workbook::slash(tests))
}

/// How a solution's `#[path]` climbs from its `src/` to the workbook's root.
const TO_ROOT: &str = "../../../";

/// `source` with its `#[path]` attributes that climb to the workbook's root starting from `root`
/// instead, for a copy of a solution that lives elsewhere; `None` when it has none.
pub fn repoint_tests(source: &str, root: &Path) -> Option<String> {
    let climbing = format!("#[path = \"{TO_ROOT}");
    source.contains(&climbing).then(|| {
        let absolute = format!("#[path = \"{}/", crate::workbook::slash(root));
        source.replace(&climbing, &absolute)
    })
}

/// Code that can fool or escape a grader, and why: `grade` flags it for the instructor to look
/// at, and never decides.
const SUSPICIOUS: [(&str, &str); 8] = [
    (
        "process::exit",
        "ends the test program, so its tests cannot report",
    ),
    (
        "process::abort",
        "ends the test program, so its tests cannot report",
    ),
    ("#[path", "compiles a file from elsewhere"),
    ("include!(", "compiles text from another file"),
    ("test result:", "prints what looks like libtest's summary"),
    ("... ok", "prints what looks like a passing test"),
    ("Command::new", "starts other programs"),
    ("extern \"C\"", "calls foreign code"),
];

/// The lines of `source` that can fool or escape a grader, as (line number from 1, line, why),
/// a line once for each reason. `program` is true for a program's source (under `bin/` or
/// `programs/`), whose `main` may write to stdout; the library the tests call should not.
pub fn suspicious_lines(source: &str, program: bool) -> Vec<(usize, &str, &'static str)> {
    let mut found = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for (_, why) in SUSPICIOUS
            .iter()
            .filter(|(pattern, _)| line.contains(pattern))
        {
            found.push((number + 1, line, *why));
        }
        if !program && code.contains("stdout()") {
            found.push((
                number + 1,
                line,
                "writes to stdout around libtest's capture",
            ));
        }
    }
    found
}

/// The paths a hint names at the start of its code spans: `` `Pool::new(threads, queue)` `` names
/// `["Pool", "new"]`; `` `self.jobs.take()` `` and `` `let x = y` `` name nothing.
pub fn code_paths(hint: &str) -> Vec<Vec<String>> {
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

/// The names an exercise declares, read from its sources without compiling them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Declared {
    /// `struct`, `enum`, `trait` and `type` names, in order.
    pub types: Vec<String>,
    /// Functions outside any `impl`, in order.
    pub functions: Vec<String>,
    /// `(type, method)` for every `fn` directly inside an `impl` block, in order.
    pub methods: Vec<(String, String)>,
}

impl Declared {
    /// The names in every `.rs` file directly in `src` but the tests, `lib.rs`'s first.
    pub fn read(src: &Path) -> Declared {
        let mut declared = Declared::default();
        for source in exercise_sources(src) {
            declared.scan(&source);
        }
        declared
    }

    /// Adds the names `source` declares.
    pub fn scan(&mut self, source: &str) {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn included_test_modules_are_found() {
        let source = "use super::*;\n\n/// Chapter 8's tests.\n#[path = \"../../ch08-x/src/tests.rs\"]\nmod chat;\n\
                      #[path = \"a.rs\"]\n#[allow(dead_code)]\npub(crate) mod helpers;\n\
                      #[path = \"not-a-module.rs\"]\nfn f() {}\nmod inline {}\n";
        assert_eq!(
            included_modules(source),
            [
                (4, "../../ch08-x/src/tests.rs".to_owned()),
                (7, "a.rs".to_owned())
            ]
        );
    }

    #[test]
    fn declared_tests_are_the_functions_under_a_test_attribute() {
        let source = "use super::*;\n\nfn helper() {}\n\n#[test]\nfn first() {}\n\n#[test]\n#[should_panic(expected = \"x\")]\npub fn second_one() -> Result<(), ()> { Ok(()) }\n\nmod nested {\n    #[test]\n    fn third() {}\n}\n";
        assert_eq!(declared_tests(source), ["first", "second_one", "third"]);
    }

    #[test]
    fn the_enclosing_function_is_the_nearest_above() {
        let source = "fn first() {\n    a();\n}\n\npub fn second(x: u8) {\n    todo!()\n}\n";
        assert_eq!(enclosing_function(source, 2).as_deref(), Some("first"));
        assert_eq!(enclosing_function(source, 6).as_deref(), Some("second"));
        assert_eq!(enclosing_function("let x = 1;\n", 1), None);
    }

    #[test]
    fn a_files_first_doc_line_says_what_it_is() {
        assert_eq!(
            first_doc_line("//! With channels.\n//! More.\nfn f() {}\n").as_deref(),
            Some("With channels.")
        );
        assert_eq!(first_doc_line("fn f() {}\n"), None);
    }

    #[test]
    fn a_solutions_path_to_the_tests_climbs_to_the_root_and_can_start_elsewhere() {
        let include = tests_include(Path::new("exercises/ch01-x/src/tests.rs"));
        assert_eq!(
            include,
            "#[path = \"../../../exercises/ch01-x/src/tests.rs\"]"
        );
        let source = format!("#[cfg(test)]\n{include}\nmod tests;\n");
        assert_eq!(
            repoint_tests(&source, Path::new("/w")).as_deref(),
            Some("#[cfg(test)]\n#[path = \"/w/exercises/ch01-x/src/tests.rs\"]\nmod tests;\n")
        );
        assert_eq!(repoint_tests("mod tests;\n", Path::new("/w")), None);
    }

    #[test]
    fn suspicious_lines_are_named_with_why() {
        let source = "fn f() {\n    std::process::exit(0);\n    // io::stdout() in a comment\n    let _ = std::io::stdout();\n}\n";
        let found = suspicious_lines(source, false);
        let numbers: Vec<usize> = found.iter().map(|(number, _, _)| *number).collect();
        assert_eq!(numbers, [2, 4], "{found:?}");
        assert!(found[0].2.contains("ends the test program"));
        assert_eq!(
            suspicious_lines(source, true).len(),
            1,
            "a program may print"
        );
    }

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

    /// The names of a small exercise with impl blocks, generics, and braces in strings.
    pub fn declared() -> Declared {
        let mut declared = Declared::default();
        declared.scan(POOL);
        declared
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
        let path = |parts: &[&str]| parts.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            code_paths("`Pool::new(threads, queue)`, `close`, `&TcpStream` and `Vec<u8>`"),
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
            assert!(
                code_paths(code).is_empty(),
                "{code}: {:?}",
                code_paths(code)
            );
        }
    }
}
