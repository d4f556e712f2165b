//! Decodes by hand, byte by byte, with a state machine that follows the table of well-formed UTF-8 sequences; reads through a `BufReader` (`fill_buf` and `consume`), and frames lines with `take` and `read_until` instead of the provided `ByteLines`.

use std::error::Error;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};

// The provided framing piece, the exercise's own file.
#[path = "../../../exercises/ch05-bytes-and-text/src/framing.rs"]
pub mod framing;

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
    /// How many bytes of the stream have been looked at.
    seen: usize,
    /// Where the character being put together started.
    started: usize,
    /// How many of its bytes are still to come; 0 between characters.
    missing: usize,
    /// Its code point so far.
    code: u32,
    /// The range its next byte must be in.
    low: u8,
    high: u8,
}

impl Utf8Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `chunk`, appending every complete character to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut String) -> Result<(), TextError> {
        for &byte in chunk {
            if self.missing == 0 {
                self.started = self.seen;
                // The lead byte says how many bytes follow, and which second bytes are allowed:
                // the narrower ranges rule out overlong forms, surrogates and code points above
                // U+10FFFF.
                let (missing, bits, low, high) = match byte {
                    0x00..=0x7f => (0, u32::from(byte), 0x80, 0xbf),
                    0xc2..=0xdf => (1, u32::from(byte & 0x1f), 0x80, 0xbf),
                    0xe0 => (2, u32::from(byte & 0x0f), 0xa0, 0xbf),
                    0xed => (2, u32::from(byte & 0x0f), 0x80, 0x9f),
                    0xe1..=0xef => (2, u32::from(byte & 0x0f), 0x80, 0xbf),
                    0xf0 => (3, u32::from(byte & 0x07), 0x90, 0xbf),
                    0xf4 => (3, u32::from(byte & 0x07), 0x80, 0x8f),
                    0xf1..=0xf3 => (3, u32::from(byte & 0x07), 0x80, 0xbf),
                    _ => {
                        return Err(TextError::Invalid {
                            offset: self.started,
                        });
                    }
                };
                self.missing = missing;
                self.code = bits;
                (self.low, self.high) = (low, high);
            } else {
                if !(self.low..=self.high).contains(&byte) {
                    return Err(TextError::Invalid {
                        offset: self.started,
                    });
                }
                self.code = (self.code << 6) | u32::from(byte & 0x3f);
                self.missing -= 1;
                (self.low, self.high) = (0x80, 0xbf);
            }
            self.seen += 1;
            if self.missing == 0 {
                out.push(char::from_u32(self.code).expect("the ranges above allow only scalars"));
            }
        }
        Ok(())
    }

    /// Says the stream has ended: an error if a character is still incomplete.
    pub fn finish(&self) -> Result<(), TextError> {
        match self.missing {
            0 => Ok(()),
            _ => Err(TextError::Truncated {
                offset: self.started,
            }),
        }
    }
}

/// Reads `reader` to its end, passing on the text of each read at once; returns how many
/// characters there were.
pub fn stream_text<R: Read>(reader: R, mut on_text: impl FnMut(&str)) -> Result<usize, TextError> {
    let mut reader = BufReader::new(reader);
    let mut decoder = Utf8Decoder::new();
    let mut text = String::new();
    let mut characters = 0;
    loop {
        let bytes = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(TextError::Io(error)),
        };
        if bytes.is_empty() {
            break;
        }
        let taken = bytes.len();
        text.clear();
        decoder.push(bytes, &mut text)?;
        reader.consume(taken);
        if !text.is_empty() {
            characters += text.chars().count();
            on_text(&text);
        }
    }
    decoder.finish().map(|()| characters)
}

/// Reads lines of UTF-8 text, each ended by `\n`.
pub struct TextLines<R> {
    reader: BufReader<R>,
    max_line: usize,
    /// How many bytes of the stream the lines so far took, their `\n` included.
    consumed: usize,
}

impl<R: Read> TextLines<R> {
    /// Lines of at most `max_line` bytes (not counting the `\n`) from `reader`.
    pub fn new(reader: R, max_line: usize) -> Self {
        TextLines {
            reader: BufReader::new(reader),
            max_line,
            consumed: 0,
        }
    }

    /// The next line as text, without its `\n`; `Ok(None)` at a clean end of the stream.
    pub fn next_line(&mut self) -> Result<Option<String>, TextError> {
        // A line, its `\n` and nothing more; one byte over, and it is too long.
        let most = u64::try_from(self.max_line)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let mut line = Vec::new();
        if (&mut self.reader).take(most).read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        } else {
            return Err(if line.len() > self.max_line {
                TextError::TooLong {
                    limit: self.max_line,
                }
            } else {
                TextError::EndedMidLine
            });
        }
        let start = self.consumed;
        self.consumed += line.len() + 1;
        String::from_utf8(line)
            .map(Some)
            .map_err(|error| TextError::Invalid {
                offset: start + error.utf8_error().valid_up_to(),
            })
    }
}

/// The longest start of `text` that is at most `max_bytes` bytes long and ends between two
/// characters.
pub fn truncate_to_bytes(text: &str, max_bytes: usize) -> &str {
    let mut end = max_bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
#[path = "../../../exercises/ch05-bytes-and-text/src/tests.rs"]
mod tests;
