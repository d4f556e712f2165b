//! Reads lines through a `BufReader` of READ_SIZE bytes with `fill_buf` and `consume`, keeping only an unfinished line of its own; writes a frame as one buffer; reads the header's first byte alone, then `read_exact` and `take`.

use std::error::Error;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};

/// The most bytes [`LineDecoder`] asks for in one `read`.
pub const READ_SIZE: usize = 64 * 1024;

/// Why a frame could not be read or written.
#[derive(Debug)]
pub enum FrameError {
    /// The frame is longer than `limit` bytes. For a line, the limit does not count the `\n`.
    TooLong { limit: usize },
    /// The stream ended in the middle of a frame: some of its bytes arrived, the rest never will.
    EndedMidFrame,
    /// Reading or writing failed.
    Io(io::Error),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLong { limit } => {
                write!(f, "a frame is longer than the limit of {limit} bytes")
            }
            FrameError::EndedMidFrame => write!(f, "the stream ended in the middle of a frame"),
            FrameError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl Error for FrameError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            FrameError::Io(error) => Some(error),
            _ => None,
        }
    }
}

impl From<io::Error> for FrameError {
    fn from(error: io::Error) -> Self {
        FrameError::Io(error)
    }
}

/// Cuts the byte stream of `reader` into lines, each ended by `\n`.
pub struct LineDecoder<R> {
    /// The stream, with the bytes of the last read that are not yet used.
    reader: BufReader<R>,
    max_line: usize,
    /// The start of a line whose `\n` has not arrived yet. While it holds anything, the reader's
    /// own buffer is empty, so one of the two is all the leftovers.
    partial: Vec<u8>,
}

impl<R: Read> LineDecoder<R> {
    /// A decoder that refuses lines longer than `max_line` bytes (not counting the `\n`).
    pub fn new(reader: R, max_line: usize) -> Self {
        LineDecoder {
            reader: BufReader::with_capacity(READ_SIZE, reader),
            max_line,
            partial: Vec::new(),
        }
    }

    /// The next line, without its `\n`; `Ok(None)` when the stream ends cleanly between lines.
    pub fn next_line(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let too_long = FrameError::TooLong {
            limit: self.max_line,
        };
        loop {
            // `fill_buf` reads only when nothing is left from the last read.
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error.into()),
            };
            if available.is_empty() {
                return if self.partial.is_empty() {
                    Ok(None)
                } else {
                    Err(FrameError::EndedMidFrame)
                };
            }
            match available.iter().position(|&byte| byte == b'\n') {
                Some(at) => {
                    if self.partial.len() + at > self.max_line {
                        return Err(too_long);
                    }
                    let mut line = std::mem::take(&mut self.partial);
                    line.extend_from_slice(&available[..at]);
                    self.reader.consume(at + 1);
                    return Ok(Some(line));
                }
                None => {
                    let taken = available.len();
                    self.partial.extend_from_slice(available);
                    self.reader.consume(taken);
                    if self.partial.len() > self.max_line {
                        return Err(too_long);
                    }
                }
            }
        }
    }

    /// The bytes read from the stream but not yet returned as lines.
    pub fn leftovers(&self) -> &[u8] {
        if self.partial.is_empty() {
            self.reader.buffer()
        } else {
            &self.partial
        }
    }

    /// The reader the lines come from.
    pub fn get_ref(&self) -> &R {
        self.reader.get_ref()
    }
}

/// Writes `payload` as one frame: its length as a 4-byte big-endian number, then its bytes.
/// A payload longer than `max_frame` is refused, and then nothing is written.
pub fn write_frame<W: Write>(
    writer: &mut W,
    payload: &[u8],
    max_frame: usize,
) -> Result<(), FrameError> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|_| payload.len() <= max_frame)
        .ok_or(FrameError::TooLong { limit: max_frame })?;
    let mut frame = Vec::with_capacity(4 + payload.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    writer.write_all(&frame)?;
    Ok(())
}

/// An `UnexpectedEof` from `read_exact` means the stream ended inside a frame.
fn inside_a_frame(error: io::Error) -> FrameError {
    match error.kind() {
        io::ErrorKind::UnexpectedEof => FrameError::EndedMidFrame,
        _ => FrameError::Io(error),
    }
}

/// Reads one frame written by [`write_frame`] and returns its payload; `Ok(None)` when the
/// stream ends cleanly before a frame starts.
pub fn read_frame<R: Read>(
    reader: &mut R,
    max_frame: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    // The first byte decides between a clean end and a frame; after it, an end is an error.
    let mut first = [0u8; 1];
    loop {
        match reader.read(&mut first) {
            Ok(0) => return Ok(None),
            Ok(_) => break,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error.into()),
        }
    }
    let mut rest = [0u8; 3];
    reader.read_exact(&mut rest).map_err(inside_a_frame)?;
    let len = u64::from(u32::from_be_bytes([first[0], rest[0], rest[1], rest[2]]));
    if len > u64::try_from(max_frame).unwrap_or(u64::MAX) {
        return Err(FrameError::TooLong { limit: max_frame });
    }
    let mut payload = Vec::new();
    reader.take(len).read_to_end(&mut payload)?;
    if payload.len() as u64 != len {
        return Err(FrameError::EndedMidFrame);
    }
    Ok(Some(payload))
}

#[cfg(test)]
#[path = "../../../exercises/ch03-framing/src/tests.rs"]
mod tests;
