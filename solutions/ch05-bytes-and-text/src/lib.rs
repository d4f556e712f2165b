//! The reference solution of "Bytes and text": an incremental, strict UTF-8 decoder, a text
//! reader built on it, text lines on top of the line framing of "Stream framing", and cutting text
//! to a byte limit.

use std::error::Error;
use std::fmt;
use std::io::{self, Read};
use std::str;

// The provided framing piece is the exercise's own file, so there is one copy of it.
#[path = "../../../exercises/ch05-bytes-and-text/src/framing.rs"]
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
    /// `out`; the first bytes of a character cut off at the end of `chunk` wait for the next
    /// call. Bytes that cannot be UTF-8 are an error, never replaced.
    pub fn push(&mut self, chunk: &[u8], out: &mut String) -> Result<(), TextError> {
        let mut chunk = chunk;
        // Complete the waiting character first, one byte at a time: it needs at most three.
        while !self.pending.is_empty() && !chunk.is_empty() {
            self.pending.push(chunk[0]);
            chunk = &chunk[1..];
            match str::from_utf8(&self.pending) {
                Ok(character) => {
                    out.push_str(character);
                    self.offset += self.pending.len();
                    self.pending.clear();
                }
                Err(error) if error.error_len().is_some() => {
                    return Err(TextError::Invalid {
                        offset: self.offset,
                    });
                }
                // Still incomplete: wait for more.
                Err(_) => {}
            }
        }
        match str::from_utf8(chunk) {
            Ok(text) => {
                out.push_str(text);
                self.offset += chunk.len();
                Ok(())
            }
            Err(error) => {
                let (valid, rest) = chunk.split_at(error.valid_up_to());
                out.push_str(str::from_utf8(valid).expect("valid_up_to ends valid UTF-8"));
                self.offset += valid.len();
                match error.error_len() {
                    // These bytes can never start a character, whatever comes next.
                    Some(_) => Err(TextError::Invalid {
                        offset: self.offset,
                    }),
                    // Only the chunk's end cut the character short: keep its first bytes.
                    None => {
                        self.pending.extend_from_slice(rest);
                        Ok(())
                    }
                }
            }
        }
    }

    /// Says the stream has ended: an error if a character is still incomplete.
    pub fn finish(&self) -> Result<(), TextError> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(TextError::Truncated {
                offset: self.offset,
            })
        }
    }
}

/// Reads `reader` to its end, decoding as the bytes arrive, and calls `on_text` with the text of
/// each read as soon as it is complete characters, before reading again. Returns how many
/// characters there were.
pub fn stream_text<R: Read>(
    mut reader: R,
    mut on_text: impl FnMut(&str),
) -> Result<usize, TextError> {
    let mut decoder = Utf8Decoder::new();
    let mut chunk = [0; 4096];
    let mut text = String::new();
    let mut characters = 0;
    loop {
        let read = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error.into()),
        };
        text.clear();
        decoder.push(&chunk[..read], &mut text)?;
        if !text.is_empty() {
            characters += text.chars().count();
            on_text(&text);
        }
    }
    decoder.finish()?;
    Ok(characters)
}

/// Reads lines of UTF-8 text, each ended by `\n`.
pub struct TextLines<R> {
    lines: ByteLines<R>,
    /// Where the next line starts in the stream, in bytes.
    offset: usize,
}

impl<R: Read> TextLines<R> {
    /// Lines of at most `max_line` bytes (bytes, not characters; not counting the `\n`) from
    /// `reader`.
    pub fn new(reader: R, max_line: usize) -> Self {
        TextLines {
            lines: ByteLines::new(reader, max_line),
            offset: 0,
        }
    }

    /// The next line as text, without its `\n`; `Ok(None)` at a clean end of the stream.
    pub fn next_line(&mut self) -> Result<Option<String>, TextError> {
        let Some(bytes) = self.lines.next_line()? else {
            return Ok(None);
        };
        let start = self.offset;
        self.offset += bytes.len() + 1;
        // A `\n` byte is never part of a longer character, so a whole line is whole characters:
        // decoding it at once is safe, where decoding each read was not.
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|error| TextError::Invalid {
                offset: start + error.utf8_error().valid_up_to(),
            })
    }
}

/// The longest start of `text` that is at most `max_bytes` bytes long and ends between two
/// characters.
pub fn truncate_to_bytes(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let end = (0..=max_bytes)
        .rev()
        .find(|&at| text.is_char_boundary(at))
        .unwrap_or(0);
    &text[..end]
}

#[cfg(test)]
#[path = "../../../exercises/ch05-bytes-and-text/src/tests.rs"]
mod tests;
