//! Joins the waiting bytes and the new chunk and walks them with `utf8_chunks`, reads into a growing `Vec`, decodes lines with `str::from_utf8`, and cuts text with `char_indices`.

use std::error::Error;
use std::fmt;
use std::io::{self, Read};

// The provided framing piece, the exercise's own file.
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
    /// The first bytes of a character still waiting for the rest.
    waiting: Vec<u8>,
    /// Where `waiting` starts in the stream.
    position: usize,
}

impl Utf8Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `chunk`, appending every complete character to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut String) -> Result<(), TextError> {
        let mut bytes = std::mem::take(&mut self.waiting);
        bytes.extend_from_slice(chunk);
        let end = self.position + bytes.len();
        for piece in bytes.utf8_chunks() {
            out.push_str(piece.valid());
            self.position += piece.valid().len();
            let bad = piece.invalid();
            if bad.is_empty() {
                continue;
            }
            // Bytes the end of the chunk cut short may still become a character.
            let cut_short = self.position + bad.len() == end
                && std::str::from_utf8(bad).is_err_and(|error| error.error_len().is_none());
            if cut_short {
                self.waiting = bad.to_vec();
                return Ok(());
            }
            return Err(TextError::Invalid {
                offset: self.position,
            });
        }
        Ok(())
    }

    /// Says the stream has ended: an error if a character is still incomplete.
    pub fn finish(&self) -> Result<(), TextError> {
        if self.waiting.is_empty() {
            Ok(())
        } else {
            Err(TextError::Truncated {
                offset: self.position,
            })
        }
    }
}

/// Reads `reader` to its end, passing on the text of each read at once; returns how many
/// characters there were.
pub fn stream_text<R: Read>(
    mut reader: R,
    mut on_text: impl FnMut(&str),
) -> Result<usize, TextError> {
    let mut decoder = Utf8Decoder::new();
    let mut buffer = vec![0u8; 1024];
    let mut characters = 0;
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error.into()),
        };
        if read == 0 {
            decoder.finish()?;
            return Ok(characters);
        }
        let mut text = String::with_capacity(read);
        decoder.push(&buffer[..read], &mut text)?;
        if !text.is_empty() {
            characters += text.chars().count();
            on_text(&text);
        }
    }
}

/// Reads lines of UTF-8 text, each ended by `\n`.
pub struct TextLines<R> {
    lines: ByteLines<R>,
    /// How many bytes of the stream came before the next line.
    before: usize,
}

impl<R: Read> TextLines<R> {
    /// Lines of at most `max_line` bytes (not counting the `\n`) from `reader`.
    pub fn new(reader: R, max_line: usize) -> Self {
        TextLines {
            lines: ByteLines::new(reader, max_line),
            before: 0,
        }
    }

    /// The next line as text, without its `\n`; `Ok(None)` at a clean end of the stream.
    pub fn next_line(&mut self) -> Result<Option<String>, TextError> {
        let bytes = match self.lines.next_line()? {
            Some(bytes) => bytes,
            None => return Ok(None),
        };
        let line_start = self.before;
        self.before = line_start + bytes.len() + 1;
        match std::str::from_utf8(&bytes) {
            Ok(line) => Ok(Some(line.to_owned())),
            Err(error) => Err(TextError::Invalid {
                offset: line_start + error.valid_up_to(),
            }),
        }
    }
}

/// The longest start of `text` that is at most `max_bytes` bytes long and ends between two
/// characters.
pub fn truncate_to_bytes(text: &str, max_bytes: usize) -> &str {
    let end = text
        .char_indices()
        .map(|(start, character)| start + character.len_utf8())
        .take_while(|&end| end <= max_bytes)
        .last()
        .unwrap_or(0);
    &text[..end]
}

#[cfg(test)]
#[path = "../../../exercises/ch05-bytes-and-text/src/tests.rs"]
mod tests;
