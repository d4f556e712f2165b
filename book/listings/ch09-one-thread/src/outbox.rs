//! The write side of one connection in an event loop: the lines waiting to be
//! written, and how much of the first one the socket has already taken. No
//! thread waits inside `write_all` for the client to read, so the connection
//! itself must remember where it stopped.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Write};
use std::sync::Arc;

// ANCHOR: outbox
/// The lines waiting to be written to one connection.
#[derive(Default)]
pub struct Outbox {
    lines: VecDeque<Arc<str>>,
    /// How many bytes of the first line the socket has taken already.
    written: usize,
}

impl Outbox {
    /// Queues a line (with its `\n`). An `Arc<str>` is shared, not copied,
    /// by every outbox it is queued in.
    pub fn push(&mut self, line: Arc<str>) {
        self.lines.push_back(line);
    }

    /// How many lines wait, the one being written included.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Writes as much as `sink` takes now. `Ok(true)`: every line is
    /// written. `Ok(false)`: the sink said `WouldBlock`, and the rest waits
    /// for the next writable event.
    pub fn flush(&mut self, sink: &mut impl Write) -> io::Result<bool> {
        while let Some(line) = self.lines.front() {
            let rest = &line.as_bytes()[self.written..];
            match sink.write(rest) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) if n == rest.len() => {
                    self.lines.pop_front();
                    self.written = 0;
                }
                Ok(n) => self.written += n, // part of it: remember where
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    return Ok(false);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}
// ANCHOR_END: outbox

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::faulty::FaultyWriter;
    use testkit::peer::Cut;

    fn outbox_of(lines: &[&str]) -> Outbox {
        let mut outbox = Outbox::default();
        for line in lines {
            outbox.push(Arc::from(*line));
        }
        outbox
    }

    #[test]
    fn every_line_arrives_once_and_in_order_however_writes_are_cut() {
        let lines = ["[alice] héllo\n", "[bob] hi\n", "* carol left\n"];
        for cut in Cut::variety(3, 3, 7) {
            let mut outbox = outbox_of(&lines);
            let mut sink = FaultyWriter::new(Vec::new())
                .cut(cut)
                .would_block_every(3)
                .interrupt_every(4);
            let mut rounds = 0;
            // Each round is one writable event; each stops at WouldBlock.
            while !outbox.flush(&mut sink).unwrap() {
                rounds += 1;
                assert!(rounds < 1000, "flush makes no progress ({cut:?})");
            }
            assert!(outbox.is_empty());
            assert_eq!(sink.get_ref().as_slice(), lines.concat().as_bytes());
        }
    }

    #[test]
    fn flush_stops_at_would_block_and_keeps_its_place() {
        let mut outbox = outbox_of(&["abcdef\n", "gh\n"]);
        let mut sink = FaultyWriter::new(Vec::new())
            .cut(Cut::Fixed(4))
            .would_block_every(2);
        assert!(!outbox.flush(&mut sink).unwrap());
        assert_eq!(sink.get_ref().as_slice(), b"abcd");
        assert_eq!(outbox.len(), 2, "the first line is only half written");
        // The next event: the rest of the first line, then WouldBlock again.
        assert!(!outbox.flush(&mut sink).unwrap());
        assert_eq!(sink.get_ref().as_slice(), b"abcdef\n");
        assert_eq!(outbox.len(), 1);
        assert!(outbox.flush(&mut sink).unwrap());
        assert_eq!(sink.get_ref().as_slice(), b"abcdef\ngh\n");
    }

    #[test]
    fn an_error_is_returned_and_nothing_is_lost_before_it() {
        let mut outbox = outbox_of(&["one\n", "two\n"]);
        let mut sink =
            FaultyWriter::new(Vec::new()).fail_after(6, ErrorKind::BrokenPipe);
        let error = outbox.flush(&mut sink).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::BrokenPipe);
        assert_eq!(sink.get_ref().as_slice(), b"one\ntw");
    }
}
