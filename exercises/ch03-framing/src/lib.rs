//! The exercise of "Stream framing": TCP delivers a stream of bytes, not messages, so you mark
//! where each message ends yourself. You write a line decoder, then a length-prefixed encoder and
//! decoder, and the tests run them over real loopback sockets cut in every way a network can.
//!
//! Read the chapter first: `book/src/ch03-framing/index.md` (or `cargo xtask book --open`).
//! Then replace each `todo!()` below, one at a time, and run `cargo xtask check ch3` after each.
//! The tests are in `src/tests.rs`; reading them is allowed, and often helps.
//! Stuck? `cargo xtask hint ch3` shows one hint at a time.

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

/// Lets `?` turn an `io::Error` into a `FrameError`.
impl From<io::Error> for FrameError {
    fn from(error: io::Error) -> Self {
        FrameError::Io(error)
    }
}

/// Cuts the byte stream of `reader` into lines, each ended by `\n`.
pub struct LineDecoder<R> {
    reader: R,
    max_line: usize,
    /// Bytes read from the stream that are not yet returned as lines: the leftovers.
    buffer: Vec<u8>,
    // TODO: add fields if you need them (a position in `buffer`, for example), and set them in
    // `new`.
}

impl<R: Read> LineDecoder<R> {
    /// A decoder that refuses lines longer than `max_line` bytes (not counting the `\n`).
    pub fn new(reader: R, max_line: usize) -> Self {
        LineDecoder {
            reader,
            max_line,
            buffer: Vec::new(),
        }
    }

    /// The next line, without its `\n`.
    ///
    /// - A line already among the leftovers is returned without reading again.
    /// - Otherwise it reads until a `\n` arrives, and keeps whatever follows the `\n` for the
    ///   next call. Each `read` is given room for up to [`READ_SIZE`] bytes, never more (and not
    ///   one byte at a time: one read takes everything that has arrived). `Interrupted` reads are
    ///   retried.
    /// - A line longer than `max_line` bytes is refused with [`FrameError::TooLong`], as soon as
    ///   the decoder knows: when its `\n` arrives, or when the unfinished line is already longer
    ///   than `max_line`. So it never holds more than `max_line` bytes of an unfinished line plus
    ///   one read. A line of exactly `max_line` bytes is fine.
    /// - At the end of the stream (`read` returns `Ok(0)`) it returns `Ok(None)` if no bytes are
    ///   left over, and [`FrameError::EndedMidFrame`] if part of a line is.
    /// - A read that fails (with anything but `Interrupted`) is not an end: its error is returned
    ///   as [`FrameError::Io`].
    pub fn next_line(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        // TODO: look for b'\n' in the leftovers first; if there is none, check the limit, then
        // read into the buffer and look again.
        todo!(
            "return the next line of at most {} bytes from the stream",
            self.max_line
        )
    }

    /// The bytes read from the stream but not yet returned as lines.
    pub fn leftovers(&self) -> &[u8] {
        // TODO: the part of `buffer` that `next_line` has not returned yet.
        todo!(
            "return the {} buffered bytes not yet returned",
            self.buffer.len()
        )
    }

    /// The reader the lines come from.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }
}

/// Writes `payload` as one frame: its length as a 4-byte big-endian number, then its bytes.
/// A payload longer than `max_frame` is refused with [`FrameError::TooLong`], and then nothing
/// is written; a payload of exactly `max_frame` bytes is fine. A write that fails is returned as
/// [`FrameError::Io`].
pub fn write_frame<W: Write>(
    writer: &mut W,
    payload: &[u8],
    max_frame: usize,
) -> Result<(), FrameError> {
    // TODO: check the length, then `write_all` the header (`u32::to_be_bytes`) and the payload.
    let _ = writer;
    todo!(
        "write a frame of {} bytes (limit {max_frame})",
        payload.len()
    )
}

/// Reads one frame written by [`write_frame`] and returns its payload.
///
/// - `Ok(None)` when the stream ends cleanly, before the first byte of a frame.
/// - [`FrameError::EndedMidFrame`] when it ends inside the header or the payload.
/// - [`FrameError::TooLong`] when the header announces more than `max_frame` bytes, decided
///   before reading or allocating anything for the payload (exactly `max_frame` is fine).
/// - `Interrupted` reads are retried; a read that fails otherwise is returned as
///   [`FrameError::Io`], not taken for the end of the stream.
pub fn read_frame<R: Read>(
    reader: &mut R,
    max_frame: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    // TODO: read the 4-byte header in a loop (an end of stream before its first byte is a clean
    // end), check the length against the limit, then `read_exact` the payload.
    let _ = reader;
    todo!("read one frame of at most {max_frame} bytes")
}

#[cfg(test)]
mod tests;
