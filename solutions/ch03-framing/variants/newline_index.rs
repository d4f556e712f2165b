//! Indexes every newline as soon as its read arrives, in a queue of line ends, and drains each returned line from the front of the leftovers; writes a frame with `io::copy` from the header chained to the payload; reads with a fill-or-end helper.

use std::collections::VecDeque;
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
    /// Bytes read but not yet returned as lines.
    leftovers: Vec<u8>,
    /// Where each `\n` in `leftovers` is, in order.
    ends: VecDeque<usize>,
    /// Where each read lands before it joins the leftovers.
    chunk: Box<[u8]>,
}

impl<R: Read> LineDecoder<R> {
    /// A decoder that refuses lines longer than `max_line` bytes (not counting the `\n`).
    pub fn new(reader: R, max_line: usize) -> Self {
        LineDecoder {
            reader,
            max_line,
            leftovers: Vec::new(),
            ends: VecDeque::new(),
            chunk: vec![0; READ_SIZE].into_boxed_slice(),
        }
    }

    /// The next line, without its `\n`; `Ok(None)` when the stream ends cleanly between lines.
    pub fn next_line(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        while self.ends.is_empty() {
            // Every newline that arrived is in `ends`, so the leftovers are one unfinished line.
            if self.leftovers.len() > self.max_line {
                return Err(FrameError::TooLong {
                    limit: self.max_line,
                });
            }
            let arrived = self.read_chunk()?;
            if arrived == 0 {
                return if self.leftovers.is_empty() {
                    Ok(None)
                } else {
                    Err(FrameError::EndedMidFrame)
                };
            }
            let offset = self.leftovers.len();
            let new = &self.chunk[..arrived];
            self.ends.extend(
                new.iter()
                    .enumerate()
                    .filter(|&(_, &byte)| byte == b'\n')
                    .map(|(at, _)| offset + at),
            );
            self.leftovers.extend_from_slice(new);
        }
        let end = self.ends[0];
        if end > self.max_line {
            return Err(FrameError::TooLong {
                limit: self.max_line,
            });
        }
        self.ends.pop_front();
        let mut line: Vec<u8> = self.leftovers.drain(..=end).collect();
        line.pop();
        for later in &mut self.ends {
            *later -= end + 1;
        }
        Ok(Some(line))
    }

    /// One read into `chunk`, tried again when it was interrupted.
    fn read_chunk(&mut self) -> io::Result<usize> {
        loop {
            match self.reader.read(&mut self.chunk) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                outcome => return outcome,
            }
        }
    }

    /// The bytes read from the stream but not yet returned as lines.
    pub fn leftovers(&self) -> &[u8] {
        &self.leftovers
    }

    /// The reader the lines come from.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }
}

/// Writes `payload` as one frame: its length as a 4-byte big-endian number, then its bytes.
/// A payload longer than `max_frame` is refused, and then nothing is written.
pub fn write_frame<W: Write>(
    writer: &mut W,
    payload: &[u8],
    max_frame: usize,
) -> Result<(), FrameError> {
    if payload.len() > max_frame {
        return Err(FrameError::TooLong { limit: max_frame });
    }
    let Ok(len) = u32::try_from(payload.len()) else {
        return Err(FrameError::TooLong { limit: max_frame });
    };
    let header = len.to_be_bytes();
    io::copy(&mut header.as_slice().chain(payload), writer)?;
    Ok(())
}

/// Reads into `buf` until it is full or the stream ends; returns how many bytes it holds.
fn fill_or_end(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Reads one frame written by [`write_frame`] and returns its payload; `Ok(None)` when the
/// stream ends cleanly before a frame starts.
pub fn read_frame<R: Read>(
    reader: &mut R,
    max_frame: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    let mut header = [0u8; 4];
    match fill_or_end(reader, &mut header)? {
        0 => return Ok(None),
        4 => {}
        _ => return Err(FrameError::EndedMidFrame),
    }
    let len = u32::from_be_bytes(header);
    let len = match usize::try_from(len) {
        Ok(len) if len <= max_frame => len,
        _ => return Err(FrameError::TooLong { limit: max_frame }),
    };
    let mut payload = vec![0u8; len];
    if fill_or_end(reader, &mut payload)? < len {
        return Err(FrameError::EndedMidFrame);
    }
    Ok(Some(payload))
}

#[cfg(test)]
#[path = "../../../exercises/ch03-framing/src/tests.rs"]
mod tests;
