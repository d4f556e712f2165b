//! How the workbook's text names its chapters: by slug, so that dropping or moving a chapter
//! leaves nothing stale.
//!
//! Prose never writes a chapter's number. Book pages and hints write a *reference*, which the
//! book builder and the runner render from the manifest:
//!
//! | written                    | rendered      |
//! | -------------------------- | ------------- |
//! | `{{#chapter framing}}`     | `chapter 3`   |
//! | `{{#Chapter framing}}`     | `Chapter 3`   |
//! | `{{#number framing}}`      | `3`           |
//!
//! A backslash before it (`\{{#chapter framing}}`) writes it as it is, as mdBook's own
//! `\{{#include …}}` does. Names that carry a number (folder and package names such as
//! `ch03-framing`, crate names such as `ch03_framing`, and ids such as `ch3`) are names, not
//! prose: `cargo xtask chapters move` and `drop` rename them everywhere at once
//! ([`Renames`]).

use std::collections::BTreeMap;

use crate::workbook::Chapter;

/// Folders (from the root) whose text is not the workbook's to rename or to check: git's, the
/// runner's (whose tests name fixture chapters, not these), the book builder's, the built book
/// and the runner's state. Build output (`target/`) is left out too, wherever it is.
pub const NOT_THE_WORKBOOKS_TEXT: [&str; 5] =
    [".git", "xtask", "book/builder", "book/build", ".workbook"];

/// The kinds of reference, as written after `{{#`.
pub const KINDS: [&str; 3] = ["chapter", "Chapter", "number"];

/// One reference found in a text.
#[derive(Debug, PartialEq)]
pub struct Reference<'a> {
    /// Byte range of the whole `{{#… …}}` in the text.
    pub start: usize,
    pub end: usize,
    /// `chapter`, `Chapter` or `number`.
    pub kind: &'a str,
    pub slug: &'a str,
    /// Written with a backslash before it: to be shown as it is, without the backslash.
    pub escaped: bool,
}

/// Every reference in `text`, in order.
pub fn references(text: &str) -> Vec<Reference<'_>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find("{{#") {
        let start = from + offset;
        from = start + 3;
        let rest = &text[start + 3..];
        let Some(kind) = KINDS
            .iter()
            .find(|kind| rest.starts_with(**kind) && rest[kind.len()..].starts_with([' ', '\t']))
        else {
            continue;
        };
        let after_kind = &rest[kind.len()..];
        let Some(close) = after_kind.find("}}") else {
            continue;
        };
        let slug = after_kind[..close].trim();
        if slug.is_empty() || slug.contains(char::is_whitespace) {
            continue;
        }
        let end = start + 3 + kind.len() + close + 2;
        let escaped = text[..start].ends_with('\\');
        found.push(Reference {
            start: if escaped { start - 1 } else { start },
            end,
            kind,
            slug,
            escaped,
        });
        from = end;
    }
    found
}

/// What a reference of `kind` to `chapter` becomes.
pub fn render_one(kind: &str, chapter: &Chapter) -> String {
    match kind {
        "Chapter" => format!("Chapter {}", chapter.number),
        "number" => chapter.number.to_string(),
        _ => format!("chapter {}", chapter.number),
    }
}

/// `text` with every reference rendered from `chapters`, and the slugs of those that name no
/// chapter (left as they are).
pub fn render(text: &str, chapters: &[Chapter]) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut unknown = Vec::new();
    let mut last = 0;
    for reference in references(text) {
        out.push_str(&text[last..reference.start]);
        last = reference.end;
        if reference.escaped {
            out.push_str(&text[reference.start + 1..reference.end]);
            continue;
        }
        match chapters.iter().find(|c| c.slug == reference.slug) {
            Some(chapter) => out.push_str(&render_one(reference.kind, chapter)),
            None => {
                unknown.push(reference.slug.to_owned());
                out.push_str(&text[reference.start..reference.end]);
            }
        }
    }
    out.push_str(&text[last..]);
    (out, unknown)
}

/// Where `text` names a chapter by its number in prose (`chapter 3`, `Chapters 3 and 5`), as
/// (line number, the line), except on lines about the Rust Book's own chapters (which say
/// `Rust Programming Language`, `Rust Book` or link to `rust-lang.org/book`).
pub fn numbered_mentions(text: &str) -> Vec<(usize, &str)> {
    const RUST_BOOK: [&str; 3] = [
        "Rust Programming Language",
        "Rust Book",
        "rust-lang.org/book",
    ];
    text.lines()
        .enumerate()
        .filter(|(_, line)| !RUST_BOOK.iter().any(|phrase| line.contains(phrase)))
        .filter(|(_, line)| names_a_number(line))
        .map(|(index, line)| (index + 1, line))
        .collect()
}

/// True when `line` has `chapter` or `chapters`, in any case, then spaces, then a digit.
fn names_a_number(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.match_indices("chapter").any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            return false;
        }
        let rest = &lower[at + "chapter".len()..];
        let rest = rest.strip_prefix('s').unwrap_or(rest);
        let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        spaces > 0 && rest[spaces..].starts_with(|c: char| c.is_ascii_digit())
    })
}

/// The names that change when chapters are renumbered: for each chapter whose number changes,
/// its folder name (`ch08-chat-server`, also the start of its package names), its crate name
/// (`ch08_chat_server`) and its id (`ch8`, and `ch08` where written so).
pub struct Renames {
    /// (old folder name, new folder name), for chapters that keep their slug.
    folders: Vec<(String, String)>,
    /// Old number → new number, for every chapter that stays.
    numbers: BTreeMap<u32, u32>,
}

impl Renames {
    /// From `moves`: (slug, old number, new number) for every chapter that stays.
    pub fn new(moves: &[(String, u32, u32)]) -> Self {
        Renames {
            folders: moves
                .iter()
                .filter(|(_, old, new)| old != new)
                .map(|(slug, old, new)| (folder(*old, slug), folder(*new, slug)))
                .collect(),
            numbers: moves.iter().map(|(_, old, new)| (*old, *new)).collect(),
        }
    }

    /// The folder renames, (old, new).
    pub fn folders(&self) -> &[(String, String)] {
        &self.folders
    }

    /// `text` with every old name replaced by the new one, all at once (so `ch7` → `ch6` and
    /// `ch8` → `ch7` never meet).
    pub fn apply(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let (mut at, mut copied) = (0, 0);
        while let Some(offset) = text[at..].find("ch") {
            let start = at + offset;
            at = start + 2;
            let before = start.checked_sub(1).map(|i| bytes[i]);
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
                continue;
            }
            let rest = &text[start..];
            let replacement = match self.folder_at(rest) {
                Some(found) => Some(found),
                // An id stands alone: not in a path (the Rust Book's `…/ch16-01-threads.html` is not
                // ours) nor at the end of a longer name.
                None if !before.is_some_and(|b| matches!(b, b'/' | b'.' | b'-')) => {
                    self.id_at(rest)
                }
                None => None,
            };
            if let Some((length, new)) = replacement {
                out.push_str(&text[copied..start]);
                out.push_str(&new);
                copied = start + length;
                at = copied;
            }
        }
        out.push_str(&text[copied..]);
        out
    }

    /// The renamed folder (`ch08-chat-server…`) or crate (`ch08_chat_server…`) name that `rest`
    /// starts with: (its length, the new name written the same way).
    fn folder_at(&self, rest: &str) -> Option<(usize, String)> {
        let ends = |length: usize| {
            rest.as_bytes()
                .get(length)
                .is_none_or(|b| !b.is_ascii_alphanumeric())
        };
        self.folders.iter().find_map(|(old, new)| {
            let old_crate = old.replace('-', "_");
            if rest.starts_with(old.as_str()) && ends(old.len()) {
                Some((old.len(), new.clone()))
            } else if rest.starts_with(&old_crate) && ends(old_crate.len()) {
                Some((old_crate.len(), new.replace('-', "_")))
            } else {
                None
            }
        })
    }

    /// The id (`ch8`, or `ch08`) of a chapter that moves, that `rest` starts with: (its length,
    /// the new id written the same way).
    fn id_at(&self, rest: &str) -> Option<(usize, String)> {
        let (length, old) = id_at(rest)?;
        let new = self.numbers.get(&old)?;
        Some(if length == 4 {
            (length, format!("ch{new:02}"))
        } else {
            (length, format!("ch{new}"))
        })
    }
}

/// The id that `rest` starts with (`ch8`, `ch08`, not `ch8x` nor `ch08-02`): its length and
/// number.
fn id_at(rest: &str) -> Option<(usize, u32)> {
    let digits = rest
        .get(2..)?
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    let length = 2 + digits;
    if !(1..=2).contains(&digits)
        || rest
            .as_bytes()
            .get(length)
            .is_some_and(|b| is_name_byte(*b))
    {
        return None;
    }
    Some((length, rest[2..length].parse().ok()?))
}

/// The lines (from 1) of `text` that name the chapter numbered `number` by its id, standing
/// alone (`check ch7`, `"ch07"`), not in a path or a longer name.
pub fn id_mentions(text: &str, number: u32) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let bytes = line.as_bytes();
            line.match_indices("ch").any(|(start, _)| {
                let before = start.checked_sub(1).map(|i| bytes[i]);
                !before.is_some_and(|b| is_name_byte(b) || matches!(b, b'/' | b'.'))
                    && id_at(&line[start..]).is_some_and(|(_, n)| n == number)
            })
        })
        .map(|(index, _)| index + 1)
        .collect()
}

/// A chapter folder's name: `ch03-framing`.
pub fn folder(number: u32, slug: &str) -> String {
    format!("ch{number:02}-{slug}")
}

fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter(number: u32, slug: &str) -> Chapter {
        Chapter::new(number, slug, "T", false)
    }

    #[test]
    fn references_render_from_the_manifest() {
        let chapters = [chapter(3, "framing"), chapter(5, "bytes-and-text")];
        assert_eq!(
            render(
                "{{#Chapter framing}} cuts; {{#chapter bytes-and-text}} decodes; chapters \
                 {{#number framing}} and {{#number  bytes-and-text }}.",
                &chapters
            )
            .0,
            "Chapter 3 cuts; chapter 5 decodes; chapters 3 and 5."
        );
        // Escaped, other `{{#…}}` and unfinished ones are left as they are (less the backslash).
        let text = "\\{{#chapter framing}} {{#include x.rs}} {{#chapter}} {{#chapter framing";
        assert_eq!(
            render(text, &chapters),
            (
                "{{#chapter framing}} {{#include x.rs}} {{#chapter}} {{#chapter framing".to_owned(),
                vec![]
            )
        );
        assert_eq!(
            render("{{#chapter sharing}} and {{#number framing}}", &chapters),
            (
                "{{#chapter sharing}} and 3".to_owned(),
                vec!["sharing".to_owned()]
            )
        );
    }

    #[test]
    fn numbered_mentions_are_found_except_the_rust_books() {
        let text = "See chapter 3.\nChapters 3 and 5 too.\nThe Rust Book, chapter 16.\n\
                    [The Rust Programming Language, chapter 21](x)\nchapter three\nsubchapter 2\n\
                    {{#chapter framing}}\nCHAPTER\t4";
        let lines: Vec<usize> = numbered_mentions(text).iter().map(|(n, _)| *n).collect();
        assert_eq!(lines, [1, 2, 8]);
    }

    #[test]
    fn renames_change_folders_crates_and_ids_all_at_once() {
        // ch7 (sharing) dropped: ch8 becomes ch7; ch6 stays.
        let renames = Renames::new(&[
            ("threads".to_owned(), 6, 6),
            ("chat-server".to_owned(), 8, 7),
        ]);
        let text = "cargo xtask check ch8; `ch6`; ch08-chat-server-solution; \
                    ../ch08-chat-server/src/tests.rs; use ch08_chat_server::x; -p ch06-threads; \
                    ch08; ch80; ch8x; ch08-other; https://doc.rust-lang.org/book/ch08-02-strings.html";
        assert_eq!(
            renames.apply(text),
            "cargo xtask check ch7; `ch6`; ch07-chat-server-solution; \
             ../ch07-chat-server/src/tests.rs; use ch07_chat_server::x; -p ch06-threads; \
             ch07; ch80; ch8x; ch08-other; https://doc.rust-lang.org/book/ch08-02-strings.html"
        );
        // Swapping two chapters swaps their names, never both into one.
        let swap = Renames::new(&[("a".to_owned(), 1, 2), ("b".to_owned(), 2, 1)]);
        assert_eq!(
            swap.apply("ch1 ch2 ch01-a ch02-b ch01_a"),
            "ch2 ch1 ch02-a ch01-b ch02_a"
        );
        assert_eq!(
            id_mentions("hint ch7 pool\nch07-sharing\n\"ch07\"\nch70 ch7x /ch7", 7),
            [1, 3]
        );
    }
}
