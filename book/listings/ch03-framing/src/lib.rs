//! The code that chapter 3 of the book shows, included by anchor and compiled here.
//!
//! The programs in `src/bin/` print the output the chapter shows (the book runs them when it is
//! built); the tests below run the functions here.

use std::io::{self, Read, Write};

// ANCHOR: naive
/// The naive server's idea of a message: whatever one read returned.
pub fn naive_next_message(stream: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
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

// ANCHOR: write_frame
/// Sends `payload` as one frame: 4 bytes of length, big-endian, then
/// the payload itself.
pub fn send_frame(stream: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too long"))?;
    stream.write_all(&len.to_be_bytes())?;
    stream.write_all(payload)
}
// ANCHOR_END: write_frame

// ANCHOR: read_frame
/// Receives one frame, refusing any longer than `max` bytes.
pub fn receive_frame(stream: &mut impl Read, max: usize) -> io::Result<Vec<u8>> {
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

/// A line or a piece of a stream as the book prints it: in quotes, with `\n` and other
/// unprintable bytes escaped.
pub fn show(bytes: &[u8]) -> String {
    format!("\"{}\"", bytes.escape_ascii())
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
            let mut reader = FaultyReader::new(&b"msg1\nmsg2\nmsg3\n"[..]).cut(cut);
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

    #[test]
    fn frames_go_through_and_a_huge_one_is_refused() {
        let mut stream = Vec::new();
        send_frame(&mut stream, b"hello").unwrap();
        assert_eq!(stream, b"\0\0\0\x05hello");
        assert_eq!(receive_frame(&mut &stream[..], 100).unwrap(), b"hello");
        let error = receive_frame(&mut &[0xff; 8][..], 4096).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }
}
