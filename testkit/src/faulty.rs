//! `Read` and `Write` wrappers that behave like a real, unhelpful operating system.
//!
//! A `read` may return fewer bytes than asked for, a `write` may accept fewer bytes than given,
//! either may fail with `Interrupted` (a signal arrived; try again) or `WouldBlock` (a
//! non-blocking socket has nothing ready), and a stream may end in the middle of a message.
//! Code that only ever met a friendly in-memory buffer breaks on these; these wrappers make the
//! unfriendly cases happen on purpose, every time, in the same way.

use std::io::{self, Read, Write};

use crate::peer::Cut;
use crate::seed::Rng;

/// When to inject a fault: on every `n`-th call (counting from 1).
#[derive(Clone, Copy, Debug, Default)]
struct Every(Option<usize>);

impl Every {
    fn hits(self, call: usize) -> bool {
        matches!(self.0, Some(n) if n > 0 && call.is_multiple_of(n))
    }
}

/// How much each call may move, following a [`Cut`].
#[derive(Clone, Debug)]
struct Limits {
    cut: Cut,
    rng: Rng,
}

impl Limits {
    fn new(cut: Cut) -> Self {
        Limits {
            cut,
            rng: Rng::new(cut.seed()),
        }
    }

    fn next(&mut self) -> usize {
        match self.cut {
            Cut::Whole => usize::MAX,
            Cut::Fixed(size) => size.max(1),
            Cut::Random { max, .. } => self.rng.between(1, max.max(1)),
        }
    }
}

/// A reader that returns short reads, injects `Interrupted` and `WouldBlock`, can fail after a
/// number of bytes, and counts its calls.
#[derive(Debug)]
pub struct FaultyReader<R> {
    inner: R,
    limits: Limits,
    interrupt: Every,
    would_block: Every,
    fail_after: Option<(usize, io::ErrorKind)>,
    call_limit: Option<usize>,
    delivered: usize,
    calls: usize,
    calls_at_end: usize,
}

impl<R: Read> FaultyReader<R> {
    /// Wraps `inner`; with no other settings it behaves exactly like `inner`.
    pub fn new(inner: R) -> Self {
        FaultyReader {
            inner,
            limits: Limits::new(Cut::Whole),
            interrupt: Every::default(),
            would_block: Every::default(),
            fail_after: None,
            call_limit: None,
            delivered: 0,
            calls: 0,
            calls_at_end: 0,
        }
    }

    /// Each read returns at most as many bytes as `cut` allows for that call.
    pub fn cut(mut self, cut: Cut) -> Self {
        self.limits = Limits::new(cut);
        self
    }

    /// Every `n`-th call fails with `Interrupted` and reads nothing.
    pub fn interrupt_every(mut self, n: usize) -> Self {
        self.interrupt = Every(Some(n));
        self
    }

    /// Every `n`-th call fails with `WouldBlock` and reads nothing.
    pub fn would_block_every(mut self, n: usize) -> Self {
        self.would_block = Every(Some(n));
        self
    }

    /// After `bytes` bytes, every call fails with `kind` (for example `ConnectionReset`).
    pub fn fail_after(mut self, bytes: usize, kind: io::ErrorKind) -> Self {
        self.fail_after = Some((bytes, kind));
        self
    }

    /// Fails the test when `read` is called more than `limit` times: the sign of a loop that
    /// keeps reading after the end of the stream.
    pub fn call_limit(mut self, limit: usize) -> Self {
        self.call_limit = Some(limit);
        self
    }

    /// How many times `read` was called.
    pub fn calls(&self) -> usize {
        self.calls
    }

    /// How many calls returned `Ok(0)`, the end of the stream.
    pub fn calls_at_end(&self) -> usize {
        self.calls_at_end
    }

    /// How many bytes were handed out.
    pub fn delivered(&self) -> usize {
        self.delivered
    }
}

impl<R: Read> Read for FaultyReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if let Some(limit) = self.call_limit {
            assert!(
                self.calls <= limit,
                "read was called {} times for {} bytes of input; a loop that keeps calling read \
                 after it returned Ok(0) never ends, because Ok(0) means the stream has ended",
                self.calls,
                self.delivered
            );
        }
        if self.interrupt.hits(self.calls) {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "injected Interrupted",
            ));
        }
        if self.would_block.hits(self.calls) {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "injected WouldBlock",
            ));
        }
        let mut allowed = self.limits.next().min(buf.len());
        if let Some((after, kind)) = self.fail_after {
            if self.delivered >= after && !buf.is_empty() {
                return Err(io::Error::new(kind, format!("injected {kind:?}")));
            }
            allowed = allowed.min(after - self.delivered);
        }
        let read = self.inner.read(&mut buf[..allowed])?;
        self.delivered += read;
        if read == 0 && !buf.is_empty() {
            self.calls_at_end += 1;
        }
        Ok(read)
    }
}

/// A writer that accepts short writes, injects `Interrupted` and `WouldBlock`, can fail after a
/// number of bytes, and counts its calls.
#[derive(Debug)]
pub struct FaultyWriter<W> {
    inner: W,
    limits: Limits,
    interrupt: Every,
    would_block: Every,
    fail_after: Option<(usize, io::ErrorKind)>,
    accepted: usize,
    calls: usize,
}

impl<W: Write> FaultyWriter<W> {
    /// Wraps `inner`; with no other settings it behaves exactly like `inner`.
    pub fn new(inner: W) -> Self {
        FaultyWriter {
            inner,
            limits: Limits::new(Cut::Whole),
            interrupt: Every::default(),
            would_block: Every::default(),
            fail_after: None,
            accepted: 0,
            calls: 0,
        }
    }

    /// Each write accepts at most as many bytes as `cut` allows for that call.
    pub fn cut(mut self, cut: Cut) -> Self {
        self.limits = Limits::new(cut);
        self
    }

    /// Every `n`-th call fails with `Interrupted` and writes nothing.
    pub fn interrupt_every(mut self, n: usize) -> Self {
        self.interrupt = Every(Some(n));
        self
    }

    /// Every `n`-th call fails with `WouldBlock` and writes nothing.
    pub fn would_block_every(mut self, n: usize) -> Self {
        self.would_block = Every(Some(n));
        self
    }

    /// After `bytes` bytes, every call fails with `kind` (for example `BrokenPipe`).
    pub fn fail_after(mut self, bytes: usize, kind: io::ErrorKind) -> Self {
        self.fail_after = Some((bytes, kind));
        self
    }

    /// How many times `write` was called.
    pub fn calls(&self) -> usize {
        self.calls
    }

    /// The wrapped writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The wrapped writer, taken back.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for FaultyWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.interrupt.hits(self.calls) {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "injected Interrupted",
            ));
        }
        if self.would_block.hits(self.calls) {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "injected WouldBlock",
            ));
        }
        let mut allowed = self.limits.next().min(buf.len());
        if let Some((after, kind)) = self.fail_after {
            if self.accepted >= after && !buf.is_empty() {
                return Err(io::Error::new(kind, format!("injected {kind:?}")));
            }
            allowed = allowed.min(after - self.accepted);
        }
        let written = self.inner.write(&buf[..allowed])?;
        self.accepted += written;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_reads_still_deliver_every_byte() {
        let mut reader = FaultyReader::new(&b"hello world"[..])
            .cut(Cut::Fixed(3))
            .interrupt_every(2);
        let mut out = Vec::new();
        // read_to_end retries Interrupted, as every correct read loop must.
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"hello world");
        assert!(reader.calls() > 4);
    }

    #[test]
    fn a_single_read_returns_at_most_the_cut() {
        let mut reader = FaultyReader::new(&b"hello"[..]).cut(Cut::BYTE_BY_BYTE);
        let mut buf = [0; 8];
        assert_eq!(reader.read(&mut buf).unwrap(), 1);
    }

    #[test]
    fn fails_after_the_given_number_of_bytes() {
        let mut reader =
            FaultyReader::new(&b"hello"[..]).fail_after(2, io::ErrorKind::ConnectionReset);
        let mut buf = [0; 8];
        assert_eq!(reader.read(&mut buf).unwrap(), 2);
        let error = reader.read(&mut buf).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    }

    #[test]
    fn a_plain_write_may_accept_only_part_of_the_buffer() {
        let mut writer = FaultyWriter::new(Vec::new()).cut(Cut::Fixed(2));
        assert_eq!(writer.write(b"hello").unwrap(), 2);
        writer.write_all(b"llo").unwrap();
        assert_eq!(writer.get_ref(), b"hello");
    }

    #[test]
    fn would_block_is_injected_on_schedule() {
        let mut writer = FaultyWriter::new(Vec::new()).would_block_every(1);
        let error = writer.write(b"x").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    #[should_panic(expected = "a loop that keeps calling read")]
    fn the_call_limit_catches_a_busy_loop() {
        let mut reader = FaultyReader::new(&b""[..]).call_limit(3);
        let mut buf = [0; 4];
        for _ in 0..10 {
            let _ = reader.read(&mut buf);
        }
    }
}
