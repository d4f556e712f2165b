//! The exercise of "Bytes and text": a socket carries bytes, your program wants text. You write
//! a UTF-8 decoder that works on chunks cut anywhere (even inside a character), a reader that
//! passes text on as it arrives, text lines on top of the line framing of "Stream framing", and a
//! cut of text to a byte limit. Bad bytes are reported with their position, never replaced.
//!
//! Read the chapter first: `book/src/ch05-bytes-and-text/index.md` (or `cargo xtask book --open`).
//! Then replace each `todo!()` below, one at a time, and run `cargo xtask check ch5` after each.
//! The tests are in `src/tests.rs`; reading them is allowed, and often helps.
//! Stuck? `cargo xtask hint ch5` shows one hint at a time.

use std::error::Error;
use std::fmt;
use std::io::{self, Read};

/// Provided: the line framing of "Stream framing", on bytes (`framing::ByteLines`). Use it, no
/// need to edit it.
pub mod framing;

use framing::ByteLines;

/// Why bytes could not be read as text.
#[derive(Debug)]
pub enum TextError {
    /// The bytes at `offset` (counted from the first byte of the stream) are not UTF-8: the valid
    /// text stops there, at the first byte of the bad sequence (as `Utf8Error::valid_up_to`
    /// counts).
    Invalid { offset: usize },
    /// The stream ended in the middle of a character, which started at `offset`.
    Truncated { offset: usize },
    /// A line is longer than `limit` bytes.
    TooLong { limit: usize },
    /// The stream ended in the middle of a line.
    EndedMidLine,
    /// Reading failed.
    Io(io::Error),
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::Invalid { offset } => write!(f, "invalid UTF-8 at byte {offset}"),
            TextError::Truncated { offset } => {
                write!(f, "the stream ended inside the character at byte {offset}")
            }
            TextError::TooLong { limit } => write!(f, "a line is longer than {limit} bytes"),
            TextError::EndedMidLine => write!(f, "the stream ended in the middle of a line"),
            TextError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl Error for TextError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            TextError::Io(error) => Some(error),
            _ => None,
        }
    }
}

/// Lets `?` turn an `io::Error` into a `TextError`.
impl From<io::Error> for TextError {
    fn from(error: io::Error) -> Self {
        TextError::Io(error)
    }
}

/// Decodes UTF-8 that arrives in chunks cut anywhere, even inside a character.
#[derive(Debug, Default)]
pub struct Utf8Decoder {
    /// The first bytes of a character whose other bytes have not arrived yet (at most 3).
    pending: Vec<u8>,
    /// How many bytes of the stream came before `pending`.
    offset: usize,
}

impl Utf8Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `chunk`, the next bytes of the stream, appending every complete character to
    /// `out`.
    ///
    /// - The first bytes of a character cut off at the end of `chunk` wait in `pending` for the
    ///   next call, which completes the character.
    /// - Bytes that can never be UTF-8 return [`TextError::Invalid`] with the position of the
    ///   first bad byte in the whole stream (not in this chunk). That includes the first bytes of
    ///   a character that no later byte could complete (`ed a0` would be a UTF-16 surrogate; `c0`
    ///   only ever starts an overlong form): they are bad already, not waiting.
    /// - Nothing is replaced with U+FFFD.
    pub fn push(&mut self, chunk: &[u8], out: &mut String) -> Result<(), TextError> {
        // TODO: complete `pending` with the chunk's first bytes, then decode the rest with
        // `std::str::from_utf8`. Its error's `valid_up_to()` says how far the text is good, and
        // `error_len()` tells bad bytes (`Some`) from a character cut off by the end (`None`).
        todo!(
            "decode {} bytes after {} pending ones into {out:?}",
            chunk.len(),
            self.pending.len()
        )
    }

    /// Says the stream has ended: [`TextError::Truncated`] (with the position of the incomplete
    /// character) if a character is still waiting for its other bytes, `Ok(())` otherwise.
    pub fn finish(&self) -> Result<(), TextError> {
        // TODO: is anything still pending?
        todo!(
            "check the end of the stream, at byte {}",
            self.offset + self.pending.len()
        )
    }
}

/// Reads `reader` until the end of the stream, and calls `on_text` with the text of each read as
/// soon as it arrives, before reading again (complete characters only; never an empty piece).
/// Returns how many characters (not bytes) there were. Errors: as [`Utf8Decoder`], and `Io` for
/// a failed read (even in the middle of a character); `Interrupted` reads are retried.
pub fn stream_text<R: Read>(reader: R, on_text: impl FnMut(&str)) -> Result<usize, TextError> {
    // TODO: one `Utf8Decoder`, a read loop until `Ok(0)`, `push` each chunk, call `on_text`,
    // then `finish`.
    let _ = (reader, on_text);
    todo!("read text until the end of the stream")
}

/// Reads lines of UTF-8 text, each ended by `\n`.
pub struct TextLines<R> {
    lines: ByteLines<R>,
    // TODO: add what you need to know where each line starts in the stream.
}

impl<R: Read> TextLines<R> {
    /// Lines of at most `max_line` bytes (bytes, not characters; not counting the `\n`) from
    /// `reader`. A longer line is [`TextError::TooLong`].
    pub fn new(reader: R, max_line: usize) -> Self {
        TextLines {
            lines: ByteLines::new(reader, max_line),
        }
    }

    /// The next line as text, without its `\n`; `Ok(None)` at a clean end of the stream.
    /// A line that is not UTF-8 is [`TextError::Invalid`] with the position of its first bad
    /// byte in the whole stream. Errors of [`ByteLines`] are passed on.
    pub fn next_line(&mut self) -> Result<Option<String>, TextError> {
        // TODO: `self.lines.next_line()?` gives the bytes of a whole line; decode them strictly
        // (`String::from_utf8`), and keep count of the bytes so far (a line is its bytes + `\n`).
        let _ = &mut self.lines;
        todo!("return the next line as a String")
    }
}

/// The longest start of `text` that is at most `max_bytes` bytes long and ends between two
/// characters. `"héllo"` cut to 2 bytes is `"h"`: `é` is two bytes and would not fit whole.
pub fn truncate_to_bytes(text: &str, max_bytes: usize) -> &str {
    // TODO: `text.len()` counts bytes; `text.is_char_boundary(i)` says whether a cut at byte `i`
    // falls between two characters.
    todo!("cut {text:?} to at most {max_bytes} bytes")
}

#[cfg(test)]
mod tests;
