//! The code that the book's chapter "Stream framing" shows, included by anchor and compiled here.
//!
//! The programs in `src/bin/` print the output the chapter shows (the book runs them when it is
//! built); the tests below run the functions here.

use std::io::{self, BufRead, BufReader, Read, Write};

// ANCHOR: naive
/// The naive server's idea of a message: whatever one read returned.
pub fn naive_next_message(
    stream: &mut impl Read,
) -> io::Result<Option<Vec<u8>>> {
    let mut buffer = [0; 512]; // the lecture's recv(512)
    let read = stream.read(&mut buffer)?;
    if read == 0 {
        return Ok(None); // the peer closed the connection
    }
    // Wrong: TCP keeps no message boundaries, so these bytes may be
    // part of a message, or several.
    Ok(Some(buffer[..read].to_vec()))
}
// ANCHOR_END: naive

// ANCHOR: split_lines
/// Takes every complete line out of `buffer`, leaving the bytes after
/// the last `\n` in it: the start of a line whose end has not arrived.
pub fn split_lines(buffer: &mut Vec<u8>) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    while let Some(at) = buffer.iter().position(|&b| b == b'\n') {
        let mut line: Vec<u8> = buffer.drain(..=at).collect();
        line.pop(); // the '\n' itself
        lines.push(line);
    }
    lines
}
// ANCHOR_END: split_lines

// ANCHOR: framed
/// Reads `stream` to its end and returns its lines: every read adds to
/// the buffer, and only complete lines come out of it.
pub fn read_all_lines(stream: &mut impl Read) -> io::Result<Vec<Vec<u8>>> {
    let mut buffer = Vec::new(); // the leftovers, kept between reads
    let mut lines = Vec::new();
    let mut chunk = [0; 512];
    loop {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            return Ok(lines); // (a real decoder checks `buffer` is empty)
        }
        buffer.extend_from_slice(&chunk[..read]);
        lines.extend(split_lines(&mut buffer));
    }
}
// ANCHOR_END: framed

// ANCHOR: buffered
/// The next line from a buffered reader, without its `\n`, or `None`
/// at a clean end of the stream. Lines longer than `max` are refused.
pub fn next_line_buffered(
    reader: &mut impl BufRead,
    max: usize,
) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    // `take` makes `read_until` stop after `max + 1` bytes, `\n` or not:
    // a peer that never sends `\n` cannot make `line` grow for ever.
    let most = (max as u64).saturating_add(1);
    let read = reader.take(most).read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None); // Ok(0): the stream ended between two lines
    }
    if line.pop() != Some(b'\n') {
        // No `\n`: the line is too long, or the stream ended inside it.
        return Err(if read > max {
            io::Error::new(io::ErrorKind::InvalidData, "line too long")
        } else {
            io::ErrorKind::UnexpectedEof.into()
        });
    }
    Ok(Some(line))
}
// ANCHOR_END: buffered

// ANCHOR: write_frame
/// Sends `payload` as one frame: 4 bytes of length, big-endian, then
/// the payload itself.
pub fn send_frame(stream: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let Ok(len) = u32::try_from(payload.len()) else {
        let refused = "a frame holds at most u32::MAX bytes";
        return Err(io::Error::new(io::ErrorKind::InvalidInput, refused));
    };
    stream.write_all(&len.to_be_bytes())?;
    stream.write_all(payload)
}
// ANCHOR_END: write_frame

// ANCHOR: read_frame
/// Receives one frame, refusing any longer than `max` bytes.
pub fn receive_frame(
    stream: &mut impl Read,
    max: usize,
) -> io::Result<Vec<u8>> {
    let mut header = [0; 4];
    stream.read_exact(&mut header)?; // all 4 bytes, however they arrive
    let len = u32::from_be_bytes(header) as usize;
    // The peer chose `len`. Check it before allocating anything.
    if len > max {
        let refused = format!("a frame of {len} bytes; the limit is {max}");
        return Err(io::Error::new(io::ErrorKind::InvalidData, refused));
    }
    let mut payload = vec![0; len];
    stream.read_exact(&mut payload)?;
    Ok(payload)
}
// ANCHOR_END: read_frame

// ANCHOR: fill
/// Reads into `buffer` until it is full or the stream ends, and says
/// how many bytes it got: `buffer.len()`, or fewer if the stream ended.
pub fn fill(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break, // the end of the stream
            Ok(n) => filled += n,
            // A signal came before any byte did: nothing happened, so
            // read again.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
// ANCHOR_END: fill

// ANCHOR: two_lines
/// Reads two lines from `reader`. (This one has a bug: this chapter's
/// "Check yourself" asks you to find it.)
pub fn two_lines(mut reader: impl Read) -> io::Result<(String, String)> {
    let mut first = String::new();
    BufReader::new(&mut reader).read_line(&mut first)?;
    let mut second = String::new();
    BufReader::new(&mut reader).read_line(&mut second)?;
    Ok((first, second))
}
// ANCHOR_END: two_lines

/// A line or a piece of a stream as the book prints it: in quotes, with `\n` and other
/// unprintable bytes escaped.
pub fn show(bytes: &[u8]) -> String {
    format!("\"{}\"", bytes.escape_ascii())
}

/// Bytes as hexadecimal pairs: `00 00 00 05 68 65`.
pub fn hex(bytes: &[u8]) -> String {
    let pairs: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    pairs.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::faulty::FaultyReader;
    use testkit::peer::Cut;

    #[test]
    fn split_lines_keeps_the_unfinished_line() {
        let mut buffer = b"msg1\nmsg2\nms".to_vec();
        assert_eq!(
            split_lines(&mut buffer),
            [b"msg1".to_vec(), b"msg2".to_vec()]
        );
        assert_eq!(buffer, b"ms");
    }

    #[test]
    fn the_framed_reader_finds_every_line_however_the_stream_is_cut() {
        for cut in [
            Cut::Whole,
            Cut::BYTE_BY_BYTE,
            Cut::Random { seed: 4, max: 6 },
        ] {
            let mut reader =
                FaultyReader::new(&b"msg1\nmsg2\nmsg3\n"[..]).cut(cut);
            let lines = read_all_lines(&mut reader).unwrap();
            assert_eq!(
                lines,
                [b"msg1".to_vec(), b"msg2".to_vec(), b"msg3".to_vec()]
            );
        }
    }

    #[test]
    fn the_naive_reader_takes_a_piece_for_a_message() {
        let mut reader = FaultyReader::new(&b"msg1\n"[..]).cut(Cut::Fixed(2));
        assert_eq!(
            naive_next_message(&mut reader).unwrap(),
            Some(b"ms".to_vec())
        );
    }

    /// Every line `next_line_buffered` returns from `wire`, read a byte at a time with an
    /// `Interrupted` error every third call, until `None` or the first error.
    fn buffered_lines(
        wire: &[u8],
        max: usize,
    ) -> (Vec<Vec<u8>>, Option<io::Error>) {
        let faulty = FaultyReader::new(wire)
            .cut(Cut::BYTE_BY_BYTE)
            .interrupt_every(3);
        let mut reader = BufReader::new(faulty);
        let mut lines = Vec::new();
        loop {
            match next_line_buffered(&mut reader, max) {
                Ok(Some(line)) => lines.push(line),
                Ok(None) => return (lines, None),
                Err(error) => return (lines, Some(error)),
            }
        }
    }

    #[test]
    fn the_buffered_reader_finds_every_line_and_ends_cleanly() {
        let (lines, error) = buffered_lines(b"msg1\nmsg2\n\nmsg3\n", 4);
        assert!(error.is_none(), "{error:?}");
        assert_eq!(
            lines,
            [b"msg1".to_vec(), b"msg2".to_vec(), vec![], b"msg3".to_vec()]
        );
    }

    #[test]
    fn the_buffered_reader_refuses_a_line_over_the_limit_without_reading_it_all()
     {
        let mut wire = b"ok\n".to_vec();
        wire.extend(std::iter::repeat_n(b'x', 1 << 20));
        let faulty = FaultyReader::new(&wire[..]);
        let mut reader = BufReader::with_capacity(16, faulty);
        assert_eq!(
            next_line_buffered(&mut reader, 5).unwrap(),
            Some(b"ok".to_vec())
        );
        let error = next_line_buffered(&mut reader, 5).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(
            reader.get_ref().delivered() <= 64,
            "it read {} bytes of a line it was going to refuse",
            reader.get_ref().delivered()
        );
        // A line of exactly the limit is fine; one byte more is not.
        let (lines, error) = buffered_lines(b"12345\n123456\n", 5);
        assert_eq!(lines, [b"12345".to_vec()]);
        assert_eq!(error.unwrap().kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn the_buffered_reader_tells_an_end_inside_a_line_from_a_clean_end() {
        let (lines, error) = buffered_lines(b"msg1\nms", 10);
        assert_eq!(lines, [b"msg1".to_vec()]);
        assert_eq!(error.unwrap().kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn frames_go_through_and_a_huge_one_is_refused() {
        let mut stream = Vec::new();
        send_frame(&mut stream, b"hello").unwrap();
        assert_eq!(stream, b"\0\0\0\x05hello");
        assert_eq!(receive_frame(&mut &stream[..], 100).unwrap(), b"hello");
        let error = receive_frame(&mut &[0xff; 8][..], 4096).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn fill_counts_the_bytes_before_the_end_and_retries_interrupted_reads() {
        for (wire, expected) in
            [(&b""[..], 0), (b"\0\0", 2), (b"\0\0\0\x05hello", 4)]
        {
            let mut reader = FaultyReader::new(wire)
                .cut(Cut::BYTE_BY_BYTE)
                .interrupt_every(2);
            let mut header = [0xaa; 4];
            assert_eq!(fill(&mut reader, &mut header).unwrap(), expected);
            assert_eq!(&header[..expected], &wire[..expected]);
        }
        // read_exact cannot tell the first two apart: both are UnexpectedEof.
        for wire in [&b""[..], b"\0\0"] {
            let error = (&mut &wire[..]).read_exact(&mut [0; 4]).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        }
    }

    #[test]
    fn fill_returns_a_failed_read_as_an_error() {
        let mut reader = FaultyReader::new(&b"\0\0\0\x05"[..])
            .fail_after(2, io::ErrorKind::ConnectionReset);
        let error = fill(&mut reader, &mut [0; 4]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    }

    #[test]
    fn a_buf_reader_per_line_loses_what_it_read_ahead() {
        let (first, second) = two_lines(&b"hi\nyo\n"[..]).unwrap();
        assert_eq!(first, "hi\n");
        assert_eq!(second, "", "the second line went with the first BufReader");
        // Sent in two pieces, one read each, both lines arrive.
        let reader = FaultyReader::new(&b"hi\nyo\n"[..]).cut(Cut::Fixed(3));
        assert_eq!(two_lines(reader).unwrap(), ("hi\n".into(), "yo\n".into()));
    }
}
