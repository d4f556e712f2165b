//! The reference solution of "Stream framing": line framing and length-prefix framing over a byte
//! stream, with leftovers kept between reads and a size limit checked before anything is
//! allocated.

use std::error::Error;
use std::fmt;
use std::io::{self, Read, Write};

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
    reader: R,
    max_line: usize,
    /// Bytes read from the stream that are not yet returned as lines: the leftovers. Lines
    /// already returned stay at the front until the next read, so returning a line moves nothing.
    buffer: Vec<u8>,
    /// Where the leftovers start in `buffer`.
    start: usize,
    /// How many leftover bytes are already known to hold no `\n`, so no byte is searched twice.
    searched: usize,
}

impl<R: Read> LineDecoder<R> {
    /// A decoder that refuses lines longer than `max_line` bytes (not counting the `\n`).
    pub fn new(reader: R, max_line: usize) -> Self {
        LineDecoder {
            reader,
            max_line,
            buffer: Vec::new(),
            start: 0,
            searched: 0,
        }
    }

    /// The next line, without its `\n`; `Ok(None)` when the stream ends cleanly between lines.
    pub fn next_line(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        loop {
            // A whole line may already be among the leftovers: return it before reading again,
            // or a peer that sent two lines and now waits for an answer would wait for ever.
            let leftovers = &self.buffer[self.start..];
            if let Some(at) = find_newline(&leftovers[self.searched..]) {
                let len = self.searched + at;
                if len > self.max_line {
                    return Err(FrameError::TooLong {
                        limit: self.max_line,
                    });
                }
                let line = leftovers[..len].to_vec();
                self.start += len + 1;
                self.searched = 0;
                return Ok(Some(line));
            }
            self.searched = leftovers.len();
            // The limit is checked before reading more, so an endless line costs at most the
            // limit plus one read, never all the memory there is.
            if self.searched > self.max_line {
                return Err(FrameError::TooLong {
                    limit: self.max_line,
                });
            }
            if self.fill()? == 0 {
                return if self.buffer.len() == self.start {
                    Ok(None)
                } else {
                    Err(FrameError::EndedMidFrame)
                };
            }
        }
    }

    /// The bytes read from the stream but not yet returned as lines.
    pub fn leftovers(&self) -> &[u8] {
        &self.buffer[self.start..]
    }

    /// The reader the lines come from.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// Reads once more into the buffer, after dropping the lines already returned; returns how
    /// many bytes arrived (0 at the end of the stream).
    fn fill(&mut self) -> io::Result<usize> {
        self.buffer.drain(..self.start);
        self.start = 0;
        let old_len = self.buffer.len();
        self.buffer.resize(old_len + READ_SIZE, 0);
        let outcome = loop {
            match self.reader.read(&mut self.buffer[old_len..]) {
                // A signal interrupted the call before anything was read: ask again.
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        let read = *outcome.as_ref().unwrap_or(&0);
        self.buffer.truncate(old_len + read);
        outcome
    }
}

/// Where the first `\n` of `bytes` is. The same as `bytes.iter().position(|&b| b == b'\n')`,
/// eight bytes at a time: a word has a zero byte after `^ NEWLINES` exactly where it had a
/// `\n`, and `(w - 0x01..) & !w & 0x80..` is non-zero exactly when `w` has a zero byte.
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const NEWLINES: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let position = |chunk: &[u8]| chunk.iter().position(|&b| b == b'\n');
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut words {
        let word = u64::from_ne_bytes(chunk.try_into().expect("chunks of eight")) ^ NEWLINES;
        if word.wrapping_sub(ONES) & !word & HIGHS != 0 {
            return position(chunk).map(|at| offset + at);
        }
        offset += 8;
    }
    position(words.remainder()).map(|at| offset + at)
}

/// Writes `payload` as one frame: its length as a 4-byte big-endian number, then its bytes.
/// A payload longer than `max_frame` is refused, and then nothing is written.
pub fn write_frame<W: Write>(
    writer: &mut W,
    payload: &[u8],
    max_frame: usize,
) -> Result<(), FrameError> {
    let too_long = FrameError::TooLong { limit: max_frame };
    if payload.len() > max_frame {
        return Err(too_long);
    }
    let len = u32::try_from(payload.len()).map_err(|_| too_long)?;
    writer.write_all(&len.to_be_bytes())?;
    writer.write_all(payload)?;
    Ok(())
}

/// Reads one frame written by [`write_frame`] and returns its payload; `Ok(None)` when the
/// stream ends cleanly before a frame starts.
pub fn read_frame<R: Read>(
    reader: &mut R,
    max_frame: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    let mut header = [0; 4];
    let mut got = 0;
    // Not `read_exact`: an end of stream before the first byte is a clean end, after it is not,
    // and `read_exact` cannot tell the two apart.
    while got < header.len() {
        match reader.read(&mut header[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(FrameError::EndedMidFrame),
            Ok(read) => got += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error.into()),
        }
    }
    let len = u32::from_be_bytes(header);
    // The length comes from the peer. Checking it before allocating means a peer that announces
    // 4 GiB gets an error, not 4 GiB of our memory.
    let len = usize::try_from(len)
        .ok()
        .filter(|&len| len <= max_frame)
        .ok_or(FrameError::TooLong { limit: max_frame })?;
    let mut payload = vec![0; len];
    reader.read_exact(&mut payload).map_err(|error| {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            FrameError::EndedMidFrame
        } else {
            FrameError::Io(error)
        }
    })?;
    Ok(Some(payload))
}

#[cfg(test)]
#[path = "../../../exercises/ch03-framing/src/tests.rs"]
mod tests;
