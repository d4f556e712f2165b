//! Provided, ready to use: the line framing of "Stream framing", on bytes. You do not need to
//! change it.

use std::io::{self, Read};

use crate::TextError;

/// Cuts the byte stream of `reader` into lines ended by `\n`, keeping leftovers between reads
/// and refusing lines longer than `max_line` bytes.
pub struct ByteLines<R> {
    reader: R,
    max_line: usize,
    /// Bytes read but not yet returned as lines.
    buffer: Vec<u8>,
}

impl<R: Read> ByteLines<R> {
    /// Lines of at most `max_line` bytes (not counting the `\n`) from `reader`.
    pub fn new(reader: R, max_line: usize) -> Self {
        ByteLines {
            reader,
            max_line,
            buffer: Vec::new(),
        }
    }

    /// The next line's bytes without the `\n`; `Ok(None)` when the stream ends between lines,
    /// [`TextError::EndedMidLine`] when it ends inside one, [`TextError::TooLong`] for a line
    /// over the limit.
    pub fn next_line(&mut self) -> Result<Option<Vec<u8>>, TextError> {
        loop {
            if let Some(at) = self.buffer.iter().position(|&b| b == b'\n') {
                if at > self.max_line {
                    return Err(TextError::TooLong {
                        limit: self.max_line,
                    });
                }
                let mut line: Vec<u8> = self.buffer.drain(..=at).collect();
                line.pop();
                return Ok(Some(line));
            }
            if self.buffer.len() > self.max_line {
                return Err(TextError::TooLong {
                    limit: self.max_line,
                });
            }
            let mut chunk = [0; 4096];
            let read = match self.reader.read(&mut chunk) {
                Ok(read) => read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(TextError::Io(error)),
            };
            if read == 0 {
                return if self.buffer.is_empty() {
                    Ok(None)
                } else {
                    Err(TextError::EndedMidLine)
                };
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }
}
