//! The read side of one connection in an event loop: the bytes read so far,
//! kept between events, and cut into lines as each one completes. No thread
//! waits inside a read for the rest of a line, so the connection itself must
//! remember what it has.

use std::io::{self, Read};

// ANCHOR: lines
/// The bytes read from one connection that do not yet make a whole line.
pub struct Lines {
    buffer: Vec<u8>,
    /// The longest line accepted, in bytes, without its `\n`.
    limit: usize,
}

/// Why the bytes a connection sent are not a line this server takes.
#[derive(Debug, PartialEq, Eq)]
pub enum BadLine {
    /// More than the limit without a `\n`.
    TooLong,
    /// A complete line that is not UTF-8.
    NotUtf8,
}

impl Lines {
    pub fn new(limit: usize) -> Lines {
        Lines {
            buffer: Vec::new(),
            limit,
        }
    }

    /// Reads once from `source` and keeps what arrived. Returns what `read`
    /// returned: `Ok(0)` at the end of the stream, `WouldBlock` when
    /// nothing more has arrived for now.
    pub fn read_from(&mut self, source: &mut impl Read) -> io::Result<usize> {
        let mut chunk = [0u8; 4096];
        let n = source.read(&mut chunk)?;
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// The next complete line, without its `\n`, if one has arrived.
    pub fn next_line(&mut self) -> Option<Result<String, BadLine>> {
        let Some(end) = self.buffer.iter().position(|&b| b == b'\n') else {
            // No line yet; but never keep more than a line's worth.
            let too_long = self.buffer.len() > self.limit;
            return too_long.then_some(Err(BadLine::TooLong));
        };
        let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
        line.pop(); // the `\n`
        if line.len() > self.limit {
            return Some(Err(BadLine::TooLong));
        }
        // A whole line: a character split between two reads is whole now.
        Some(String::from_utf8(line).map_err(|_| BadLine::NotUtf8))
    }
}
// ANCHOR_END: lines

#[cfg(test)]
mod tests {
    use super::*;
    use io::ErrorKind;
    use testkit::faulty::FaultyReader;
    use testkit::peer::Cut;

    /// Reads `source` the way an event loop does: until `WouldBlock` or the
    /// end, taking every complete line out after each read.
    fn lines_of(
        mut source: impl Read,
        limit: usize,
    ) -> Vec<Result<String, BadLine>> {
        let mut lines = Lines::new(limit);
        let mut found = Vec::new();
        loop {
            let read = lines.read_from(&mut source);
            while let Some(line) = lines.next_line() {
                let bad = line.is_err();
                found.push(line);
                if bad {
                    return found;
                }
            }
            match read {
                Ok(0) => return found,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
    }

    fn good(lines: &[&str]) -> Vec<Result<String, BadLine>> {
        lines.iter().map(|line| Ok(line.to_string())).collect()
    }

    #[test]
    fn lines_come_out_whole_however_the_reads_cut_them() {
        let text = "héllo\nwörld\n\nlast\n".as_bytes();
        for cut in Cut::variety(3, 3, 7) {
            let reader = FaultyReader::new(text)
                .cut(cut)
                .would_block_every(2)
                .interrupt_every(5);
            assert_eq!(
                lines_of(reader, 100),
                good(&["héllo", "wörld", "", "last"]),
                "cut {cut:?}"
            );
        }
    }

    #[test]
    fn bytes_after_the_last_line_feed_are_not_a_line() {
        assert_eq!(lines_of(&b"one\ntw"[..], 100), good(&["one"]));
    }

    #[test]
    fn a_line_at_the_limit_is_taken_and_one_byte_more_is_not() {
        assert_eq!(lines_of(&b"abcd\n"[..], 4), good(&["abcd"]));
        assert_eq!(lines_of(&b"abcde\n"[..], 4), vec![Err(BadLine::TooLong)]);
    }

    #[test]
    fn a_flood_without_a_line_feed_is_refused_before_it_is_all_kept() {
        let mut lines = Lines::new(10);
        let bytes = vec![b'x'; 1 << 20];
        let mut flood = FaultyReader::new(&bytes[..]);
        let mut kept = 0;
        loop {
            kept += lines.read_from(&mut flood).unwrap();
            if let Some(line) = lines.next_line() {
                assert_eq!(line, Err(BadLine::TooLong));
                break;
            }
        }
        assert!(kept <= 10 + 4096, "kept {kept} bytes before refusing");
    }

    #[test]
    fn a_line_that_is_not_utf8_is_refused() {
        assert_eq!(
            lines_of(&b"ok\n\xff\xfe\n"[..], 100),
            vec![Ok("ok".to_string()), Err(BadLine::NotUtf8)]
        );
    }
}
