//! The tests of "Stream framing". The same file grades your exercise and the reference solution.
//!
//! What these tests cannot check, and why:
//!
//! - `write_frame` refusing a payload of more than 4 GiB (which a 4-byte length cannot say) when
//!   `max_frame` allows it: a test cannot make such a payload;
//! - what a decoder allocates: the tests watch what it reads instead (how many bytes, into how
//!   large a buffer), which is what an unchecked limit shows as;
//! - `FrameError`'s `Display` and `source`: they come written with the exercise, and nothing
//!   promises what they say; the tests check which `FrameError` comes back.

use super::*;

use std::fmt::Write as _;
use std::sync::mpsc;
use std::time::Duration;

use testkit::assert_same;
use testkit::faulty::{FaultyReader, FaultyWriter};
use testkit::net;
use testkit::peer::{self, Cut};
use testkit::seed;
use testkit::watchdog;

/// The lecture's three messages.
const LECTURE: &[u8] = b"msg1\nmsg2\nmsg3\n";

/// Lines of many lengths, an empty one included, as one stream.
fn assorted_lines() -> (Vec<Vec<u8>>, Vec<u8>) {
    let lines: Vec<Vec<u8>> = [
        &b"hello"[..],
        b"",
        b"a somewhat longer line, to cross a few read boundaries",
        b"x",
        b"tabs\tand spaces  and \xff binary",
        b"the end",
    ]
    .iter()
    .map(|line| line.to_vec())
    .collect();
    let stream = lines
        .iter()
        .flat_map(|l| [&l[..], b"\n"].concat())
        .collect();
    (lines, stream)
}

/// A line as a student reads it in a message: text, with escapes for anything unusual.
fn show(line: &[u8]) -> String {
    format!("\"{}\"", line.escape_ascii())
}

fn show_all(lines: &[Vec<u8>]) -> String {
    let shown: Vec<String> = lines.iter().map(|l| show(l)).collect();
    format!("[{}]", shown.join(", "))
}

/// Every line of `reader`, until the end of the stream or the first error.
fn decode_all<R: Read>(reader: R, max_line: usize) -> (Vec<Vec<u8>>, Result<(), FrameError>) {
    let mut decoder = LineDecoder::new(reader, max_line);
    let mut lines = Vec::new();
    // More calls than there can be lines: a decoder that never says "end" is caught here.
    for _ in 0..10_000 {
        match decoder.next_line() {
            Ok(Some(line)) => lines.push(line),
            Ok(None) => return (lines, Ok(())),
            Err(error) => return (lines, Err(error)),
        }
    }
    panic!("next_line returned 10000 lines and never Ok(None); at the end of the stream it must")
}

/// Fails with a sentence that names the usual cause when `got` is not `expected`.
fn assert_lines(got: &[Vec<u8>], expected: &[Vec<u8>], how: &str) {
    if got == expected {
        return;
    }
    let mut message = format!(
        "with the stream cut {how}, next_line returned {}\nbut the stream held {}\n",
        show_all(got),
        show_all(expected)
    );
    let cause = if got.iter().any(|line| line.contains(&b'\n')) {
        "a returned line contains a \\n: one read brought several messages, and each must be \
         returned on its own; one read is not one message"
    } else if got.len() > expected.len() {
        "there are more lines than messages: a message that arrived in pieces was returned \
         piece by piece; keep the bytes until the \\n arrives"
    } else if got.len() < expected.len()
        || got
            .iter()
            .zip(expected)
            .any(|(g, e)| g != e && e.ends_with(g))
    {
        "lines are missing or lost their start: bytes that came after a \\n in the same read \
         were thrown away; keep them as leftovers for the next call"
    } else {
        "the lines differ from the messages: each line is exactly the bytes before its \\n"
    };
    let _ = write!(message, "{cause}");
    panic!("{message}");
}

/// Fails the test when `next_line` gives one read room for more than [`READ_SIZE`] bytes.
fn check_read_size(len: usize) {
    assert!(
        len <= READ_SIZE,
        "next_line gave one read room for {len} bytes; READ_SIZE ({READ_SIZE}) is the most, so \
         that an unfinished line never costs more than the limit plus one read"
    );
}

/// A reader that hands out the given pieces, one per `read`, as a network might.
struct Pieces {
    pieces: Vec<Vec<u8>>,
    next: usize,
    calls: usize,
    delivered: usize,
    /// After the last piece, fail the test instead of ending the stream: for a decoder that
    /// has all it needs to decide, and must not read again.
    then_too_long: Option<usize>,
}

impl Pieces {
    fn new(pieces: &[&[u8]]) -> Self {
        Pieces {
            pieces: pieces.iter().map(|p| p.to_vec()).collect(),
            next: 0,
            calls: 0,
            delivered: 0,
            then_too_long: None,
        }
    }
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        check_read_size(buf.len());
        let Some(piece) = self.pieces.get_mut(self.next) else {
            if let Some(limit) = self.then_too_long {
                panic!(
                    "next_line read again while it held {} bytes of a line with no \\n, with \
                     a limit of {limit}: that line is already too long, whatever comes next. \
                     Check the length of the unfinished line before each read, and return \
                     FrameError::TooLong as soon as it is over the limit",
                    self.delivered
                );
            }
            return Ok(0);
        };
        let len = piece.len().min(buf.len());
        buf[..len].copy_from_slice(&piece[..len]);
        piece.drain(..len);
        self.delivered += len;
        if piece.is_empty() {
            self.next += 1;
        }
        Ok(len)
    }
}

/// A peer that sends a line that never ends: an endless run of `x`. It fails the test when more
/// than `budget` bytes are pulled out of it, so a decoder without a limit cannot eat the memory.
struct Endless {
    delivered: usize,
    budget: usize,
    limit: usize,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        check_read_size(buf.len());
        assert!(
            self.delivered <= self.budget,
            "next_line read {} bytes of one line and is still reading, with a limit of {} bytes; \
             a peer that never sends \\n would make it use all the memory there is. Check the \
             length of the unfinished line before each read, and return FrameError::TooLong",
            self.delivered,
            self.limit
        );
        buf.fill(b'x');
        self.delivered += buf.len();
        Ok(buf.len())
    }
}

/// A peer that announces a frame and then sends endless payload, and fails the test when asked
/// to fill a buffer bigger than `largest`, which only an unchecked length would need.
struct Announcing {
    header: [u8; 4],
    delivered: usize,
    largest: usize,
}

impl Read for Announcing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        assert!(
            buf.len() <= self.largest,
            "read_frame asked to read into a buffer of {} bytes, after a header announcing {} \
             bytes with a limit far below that: the payload's buffer was allocated before the \
             length was checked against max_frame. A peer can announce 4 GiB; check first",
            buf.len(),
            u32::from_be_bytes(self.header)
        );
        let mut written = 0;
        for byte in buf.iter_mut() {
            *byte = self.header.get(self.delivered).copied().unwrap_or(b'x');
            self.delivered += 1;
            written += 1;
        }
        Ok(written)
    }
}

#[test]
fn returns_a_line_without_its_newline() {
    let (lines, end) =
        watchdog::within_default("next_line to return", || decode_all(&b"hello\n"[..], 100));
    assert_lines(&lines, &[b"hello".to_vec()], "in one piece");
    assert!(
        end.is_ok(),
        "after the last line the stream ends cleanly, so next_line should return Ok(None), not \
         {end:?}"
    );
}

#[test]
fn keeps_a_partial_line_until_the_rest_arrives() {
    // The lecture's warning: a read may return "ms" and the rest later.
    let pieces: &[&[u8]] = &[b"ms", b"g1\nmsg2\nm", b"sg3\n"];
    let (lines, end) = watchdog::within_default("next_line to return", move || {
        decode_all(Pieces::new(pieces), 100)
    });
    let expected = [b"msg1".to_vec(), b"msg2".to_vec(), b"msg3".to_vec()];
    assert_lines(
        &lines,
        &expected,
        "as \"ms\", \"g1\\nmsg2\\nm\", \"sg3\\n\"",
    );
    assert!(end.is_ok(), "the stream ended cleanly, got {end:?}");
}

#[test]
fn finds_every_line_when_several_arrive_in_one_read() {
    let (lines, leftovers, calls) = watchdog::within_default("next_line to return", || {
        let mut decoder = LineDecoder::new(Pieces::new(&[LECTURE]), 100);
        let first = decoder.next_line().map(Option::unwrap_or_default);
        let leftovers = decoder.leftovers().to_vec();
        let mut lines = vec![first];
        lines.push(decoder.next_line().map(Option::unwrap_or_default));
        lines.push(decoder.next_line().map(Option::unwrap_or_default));
        (lines, leftovers, decoder.get_ref().calls)
    });
    let lines: Vec<Vec<u8>> = lines
        .into_iter()
        .map(|line| line.expect("next_line failed on a well-formed stream"))
        .collect();
    let expected = [b"msg1".to_vec(), b"msg2".to_vec(), b"msg3".to_vec()];
    assert_lines(
        &lines,
        &expected,
        "as one read of \"msg1\\nmsg2\\nmsg3\\n\"",
    );
    assert!(
        leftovers == b"msg2\nmsg3\n",
        "after returning \"msg1\", leftovers() returned {} instead of \"msg2\\nmsg3\\n\": the \
         rest of that read must wait in the leftovers (give each read room for READ_SIZE bytes, \
         so that one read takes all that has arrived, not one byte at a time)",
        show(&leftovers)
    );
    assert!(
        calls == 1,
        "the three lines arrived in one read, but next_line called read {calls} times; read \
         up to READ_SIZE bytes at once, and return a line that is already among the leftovers \
         without reading again"
    );
}

#[test]
fn returns_a_waiting_line_without_blocking_on_the_socket() {
    let (mut client, server) = net::pair();
    client.write_all(b"msg1\nmsg2\n").unwrap();
    // The peer sends nothing more until it has an answer, as a real client would; a decoder that
    // waits for more bytes before it returns what it has waits for ever.
    let (send, lines) = mpsc::channel();
    let decoder = std::thread::spawn(move || {
        let mut decoder = LineDecoder::new(server, 100);
        for _ in 0..2 {
            let line = decoder.next_line();
            let more = matches!(line, Ok(Some(_)));
            if send.send(line).is_err() || !more {
                break;
            }
        }
    });
    let wait = watchdog::scaled(Duration::from_secs(3));
    let first = lines.recv_timeout(wait);
    let second = first
        .as_ref()
        .is_ok_and(|line| matches!(line, Ok(Some(_))))
        .then(|| lines.recv_timeout(wait));
    // Closing the peer ends any read still waiting, so the decoder's thread ends too.
    drop(client);
    if let Err(payload) = watchdog::join(
        decoder,
        watchdog::DEFAULT_LIMIT,
        "next_line to return once the peer closed",
    ) {
        panic!("next_line panicked: {}", watchdog::panic_message(&*payload));
    }
    match first {
        Ok(Ok(Some(line))) if line == b"msg1" => {}
        Ok(other) => panic!(
            "the peer sent \"msg1\\nmsg2\\n\", and the first next_line returned {other:?} \
             instead of the line \"msg1\""
        ),
        Err(_) => panic!(
            "the peer sent \"msg1\\nmsg2\\n\" and waits for an answer, but next_line did not \
             return \"msg1\" within 3 s; one read returns what has arrived, so look for the \\n \
             in that instead of waiting for more (read_exact, read_to_end and a full buffer \
             all wait for bytes that will not come)"
        ),
    }
    match second {
        Some(Ok(Ok(Some(line)))) if line == b"msg2" => {}
        Some(Ok(other)) => panic!(
            "the peer sent \"msg1\\nmsg2\\n\", and the second next_line returned {other:?} \
             instead of the line \"msg2\""
        ),
        Some(Err(_)) | None => panic!(
            "next_line did not return \"msg2\" within 3 s, though it arrived in the same read \
             as \"msg1\"; a line that is already among the leftovers must be returned without \
             reading again"
        ),
    }
}

#[test]
fn same_lines_for_any_cutting_of_the_stream() {
    let (expected, stream) = assorted_lines();
    for cut in Cut::variety(7, 200, 20) {
        seed::with_seed(cut.seed(), |_| {
            let reader = FaultyReader::new(io::Cursor::new(stream.clone()))
                .cut(cut)
                .call_limit(stream.len() + 10);
            let (lines, end) =
                watchdog::within_default("next_line to return", move || decode_all(reader, 100));
            assert_lines(&lines, &expected, &format!("as {cut:?}"));
            assert!(end.is_ok(), "the stream ended cleanly, got {end:?}");
        });
    }
}

#[test]
fn same_lines_over_a_real_socket_however_the_writes_are_cut() {
    let (expected, stream) = assorted_lines();
    for cut in Cut::variety(5, 10, 12) {
        seed::with_seed(cut.seed(), |_| {
            let (mut client, server) = net::pair();
            let data = stream.clone();
            let writer = std::thread::spawn(move || {
                peer::send_cut(&mut client, &data, cut, Duration::ZERO)
                    .expect("the test's peer could not write");
                peer::half_close(&client);
            });
            let (lines, end) = watchdog::within_default(
                "next_line to return the lines the peer sent, then Ok(None) when it closed",
                move || decode_all(server, 100),
            );
            writer.join().expect("the test's peer failed");
            assert_lines(&lines, &expected, &format!("into writes as {cut:?}"));
            assert!(
                end.is_ok(),
                "the peer closed cleanly after its last line, got {end:?}"
            );
        });
    }
}

#[test]
fn retries_a_read_that_was_interrupted() {
    let reader = FaultyReader::new(LECTURE)
        .cut(Cut::Fixed(3))
        .interrupt_every(2);
    let (lines, end) =
        watchdog::within_default("next_line to return", move || decode_all(reader, 100));
    let expected = [b"msg1".to_vec(), b"msg2".to_vec(), b"msg3".to_vec()];
    match end {
        Err(FrameError::Io(error)) if error.kind() == io::ErrorKind::Interrupted => panic!(
            "next_line returned an Interrupted error; Interrupted means a signal arrived before \
             anything was read, and the read should simply be tried again"
        ),
        Ok(()) => {}
        other => panic!(
            "with every second read Interrupted, next_line returned {other:?} after the lines \
             {}; Interrupted means nothing was read yet, neither an error nor the end of the \
             stream: try the read again",
            show_all(&lines)
        ),
    }
    assert_lines(
        &lines,
        &expected,
        "into 3-byte reads, some of them Interrupted",
    );
}

#[test]
fn a_failed_read_is_an_error_not_the_end_of_the_lines() {
    let lines: [(&[u8], usize, &str, usize); 2] = [
        (b"hello\nworld\n", 6, "right after the first line", 1),
        (b"hello\nworld\n", 8, "inside the second line", 1),
    ];
    for (stream, after, place, whole) in lines {
        let (got, end) = watchdog::within_default("next_line to return", move || {
            let reader = FaultyReader::new(stream)
                .cut(Cut::Fixed(4))
                .fail_after(after, io::ErrorKind::ConnectionReset)
                .call_limit(20);
            decode_all(reader, 100)
        });
        match end {
            Err(FrameError::Io(error)) if error.kind() == io::ErrorKind::ConnectionReset => {}
            other => panic!(
                "a read failed with ConnectionReset {place}: after the lines {}, expected \
                 FrameError::Io with that error, got {other:?}; only a read that returns Ok(0) is \
                 an end of the stream, and any other error is passed on",
                show_all(&got)
            ),
        }
        assert_same!(
            got.len(),
            whole,
            "the line \"hello\" arrived whole before the read failed, so next_line should \
             return it, before it reads again"
        );
    }
}

#[test]
fn a_clean_end_between_lines_is_not_an_error() {
    let (lines, end) =
        watchdog::within_default("next_line to return", || decode_all(&b""[..], 100));
    assert!(
        lines.is_empty() && end.is_ok(),
        "an empty stream holds no lines: next_line should return Ok(None) at once, got \
         {lines:?} then {end:?}"
    );
    let reader = FaultyReader::new(&b"a\nb\n"[..]).call_limit(20);
    let (lines, end) =
        watchdog::within_default("next_line to return", move || decode_all(reader, 100));
    assert_lines(&lines, &[b"a".to_vec(), b"b".to_vec()], "as \"a\\nb\\n\"");
    assert!(
        end.is_ok(),
        "after the last \\n the stream ended: that is a clean end, Ok(None), not {end:?}"
    );
}

#[test]
fn an_end_in_the_middle_of_a_line_is_an_error() {
    let (mut client, server) = net::pair();
    client.write_all(b"hello\nhal").unwrap();
    drop(client);
    let (lines, end) = watchdog::within_default(
        "next_line to notice that the peer closed in the middle of a line",
        move || decode_all(server, 100),
    );
    assert_lines(
        &lines,
        &[b"hello".to_vec()],
        "as \"hello\\nhal\" and then closed",
    );
    assert!(
        matches!(end, Err(FrameError::EndedMidFrame)),
        "the peer closed after \"hal\", which has no \\n: that is FrameError::EndedMidFrame, \
         not {end:?}; a half-received message must not pass for a whole one"
    );
}

#[test]
fn accepts_a_line_of_exactly_the_limit() {
    let line = vec![b'y'; 10];
    let stream = [&line[..], b"\n"].concat();
    let cuts: [(&str, Vec<&[u8]>); 3] = [
        ("in one read", vec![&stream[..]]),
        ("with its \\n in a read of its own", vec![&line[..], b"\n"]),
        ("one byte per read", stream.chunks(1).collect()),
    ];
    for (how, pieces) in cuts {
        let reader = Pieces::new(&pieces);
        let (lines, end) =
            watchdog::within_default("next_line to return", move || decode_all(reader, 10));
        assert!(
            end.is_ok() && lines == [line.clone()],
            "a line of 10 bytes fits a limit of 10 (the \\n does not count), and so do the 10 \
             bytes of it that arrived before its \\n; with the line arriving {how}, next_line \
             returned {} then {end:?}",
            show_all(&lines)
        );
    }
}

#[test]
fn refuses_a_line_longer_than_the_limit() {
    let stream = [&b"short\n"[..], &[b'z'; 11], b"\nnext\n"].concat();
    let (lines, end) =
        watchdog::within_default("next_line to return", move || decode_all(&stream[..], 10));
    if let Some(long) = lines.iter().find(|line| line.len() > 10) {
        panic!(
            "next_line returned a line of {} bytes with a limit of 10; a line longer than \
             max_line is refused with FrameError::TooLong {{ limit: 10 }}, even when its \\n has \
             arrived",
            long.len()
        );
    }
    assert!(
        matches!(end, Err(FrameError::TooLong { limit: 10 })),
        "the second line is 11 bytes long and the limit is 10: expected \
         FrameError::TooLong {{ limit: 10 }}, got {end:?} (after the lines {})",
        show_all(&lines)
    );
    assert_lines(&lines, &[b"short".to_vec()], "with a limit of 10 bytes");
}

#[test]
fn refuses_an_unfinished_line_as_soon_as_it_is_over_the_limit() {
    for pieces in [vec![vec![b'z'; 11]], vec![vec![b'z'; 10], vec![b'z']]] {
        let count = pieces.len();
        let end = watchdog::within_default("next_line to return", move || {
            let pieces: Vec<&[u8]> = pieces.iter().map(Vec::as_slice).collect();
            let mut reader = Pieces::new(&pieces);
            reader.then_too_long = Some(10);
            LineDecoder::new(reader, 10).next_line()
        });
        let got = match &end {
            Ok(Some(line)) => format!("a line of {} bytes", line.len()),
            other => format!("{other:?}"),
        };
        assert!(
            matches!(end, Err(FrameError::TooLong { limit: 10 })),
            "11 bytes without a \\n arrived (in {count} reads) with a limit of 10: that line is \
             too long whatever comes next, so next_line should return \
             FrameError::TooLong {{ limit: 10 }}, but it returned {got}"
        );
    }
}

#[test]
fn stops_reading_a_line_that_never_ends() {
    let limit = 1000;
    let (end, delivered) = watchdog::within_default(
        "next_line to give up on a line that never ends",
        move || {
            let endless = Endless {
                delivered: 0,
                budget: 1 << 20,
                limit,
            };
            let mut decoder = LineDecoder::new(endless, limit);
            let end = decoder.next_line();
            (end, decoder.get_ref().delivered)
        },
    );
    let got = match &end {
        Ok(Some(line)) => format!("a line of {} bytes", line.len()),
        other => format!("{other:?}"),
    };
    assert!(
        matches!(end, Err(FrameError::TooLong { limit: 1000 })),
        "a line with no \\n grew past the limit of {limit} bytes: expected \
         FrameError::TooLong {{ limit: 1000 }}, got {got}"
    );
    assert!(
        delivered <= limit + READ_SIZE,
        "next_line read {delivered} bytes before refusing the line; with a limit of {limit} \
         bytes it needs at most the limit plus one read of READ_SIZE"
    );
}

#[test]
fn writes_the_length_first_as_four_big_endian_bytes() {
    let (frame, empty) = watchdog::within_default("write_frame to return", || {
        let mut frame = Vec::new();
        write_frame(&mut frame, b"hello", 100).expect("a 5-byte frame fits a limit of 100");
        let mut empty = Vec::new();
        write_frame(&mut empty, b"", 100).expect("an empty frame is a frame");
        (frame, empty)
    });
    assert!(
        frame == b"\x00\x00\x00\x05hello",
        "write_frame wrote {} for the payload \"hello\"; a frame is the payload's length as 4 \
         bytes, most significant first (big-endian, the network byte order: u32::to_be_bytes), \
         then the payload: \"\\x00\\x00\\x00\\x05hello\"",
        show(&frame)
    );
    assert!(
        empty == [0, 0, 0, 0],
        "write_frame wrote {} for an empty payload; an empty payload is a header of zero \
         length, \"\\x00\\x00\\x00\\x00\", and nothing more",
        show(&empty)
    );
}

#[test]
fn writes_every_byte_even_when_the_writer_takes_a_few_at_a_time() {
    let payload = seed::Rng::new(3).bytes(1000);
    let expected = [&1000u32.to_be_bytes()[..], &payload].concat();
    let written = watchdog::within_default("write_frame to return", move || {
        let mut writer = FaultyWriter::new(Vec::new())
            .cut(Cut::Fixed(7))
            .interrupt_every(5);
        write_frame(&mut writer, &payload, 4096).map(|()| writer.into_inner())
    });
    let written = written.expect("write_frame should succeed on a slow writer");
    assert!(
        written.len() != expected.len() || written == expected,
        "write_frame wrote as many bytes as the frame has, but not the right ones: 4 bytes of \
         big-endian length (u32::to_be_bytes), then the payload"
    );
    assert!(
        written == expected,
        "write_frame wrote {} of the frame's {} bytes; write may accept only part of a buffer, \
         write_all keeps writing until all of it is gone",
        written.len(),
        expected.len()
    );
}

#[test]
fn writes_a_frame_of_exactly_the_limit() {
    let payload = seed::Rng::new(4).bytes(10);
    let sent = payload.clone();
    let (outcome, written) = watchdog::within_default("write_frame to return", move || {
        let mut out = Vec::new();
        let outcome = write_frame(&mut out, &sent, 10);
        (outcome, out)
    });
    assert!(
        outcome.is_ok(),
        "a payload of 10 bytes with a limit of 10 fits: only a payload longer than max_frame is \
         refused, but write_frame returned {outcome:?}"
    );
    let expected = [&[0, 0, 0, 10][..], &payload].concat();
    assert!(
        written == expected,
        "write_frame wrote {} for a 10-byte payload; expected {}",
        show(&written),
        show(&expected)
    );
}

#[test]
fn refuses_to_write_a_frame_over_the_limit() {
    let (outcome, written) = watchdog::within_default("write_frame to return", || {
        let mut out = Vec::new();
        let outcome = write_frame(&mut out, &[0; 11], 10);
        (outcome, out)
    });
    assert!(
        matches!(outcome, Err(FrameError::TooLong { limit: 10 })),
        "an 11-byte payload with a limit of 10: expected FrameError::TooLong {{ limit: 10 }}, \
         got {outcome:?}"
    );
    assert!(
        written.is_empty(),
        "a refused frame must not be written at all, but {} bytes were; a half-written frame \
         leaves the peer out of step",
        written.len()
    );
}

#[test]
fn write_frame_reports_a_writer_that_fails() {
    for (after, place) in [(2, "in the header"), (6, "in the payload")] {
        let outcome = watchdog::within_default("write_frame to return", move || {
            let mut writer =
                FaultyWriter::new(Vec::new()).fail_after(after, io::ErrorKind::BrokenPipe);
            write_frame(&mut writer, b"0123456789", 100)
        });
        match outcome {
            Err(FrameError::Io(error)) if error.kind() == io::ErrorKind::BrokenPipe => {}
            other => panic!(
                "the writer failed with BrokenPipe after {after} bytes, {place}: expected \
                 FrameError::Io with that error, got {other:?}; a failed write means the frame \
                 did not go out, so pass the error on (? turns it into FrameError::Io)"
            ),
        }
    }
}

#[test]
fn reads_back_what_write_frame_wrote() {
    let payloads = [&b"msg1"[..], b"", b"msg2 is longer", &[0, 10, 255]];
    let read = watchdog::within_default("write_frame and read_frame to return", move || {
        let mut stream = Vec::new();
        for payload in payloads {
            write_frame(&mut stream, payload, 100).unwrap_or_else(|error| {
                panic!("write_frame failed on a payload that fits: {error}")
            });
        }
        let mut reader = &stream[..];
        let mut read = Vec::new();
        for _ in 0..10 {
            match read_frame(&mut reader, 100) {
                Ok(Some(payload)) => read.push(payload),
                other => return (read, other),
            }
        }
        (read, Ok(None))
    });
    let expected: Vec<Vec<u8>> = payloads.iter().map(|p| p.to_vec()).collect();
    assert_same!(
        show_all(&read.0),
        show_all(&expected),
        "read_frame should return each payload in turn, and stopped with {:?}; an empty frame \
         is a payload of zero bytes, not the end of the stream",
        read.1
    );
    assert!(
        matches!(read.1, Ok(None)),
        "after the last frame the stream ended cleanly: read_frame should return Ok(None), got \
         {:?}",
        read.1
    );
}

#[test]
fn reads_frames_however_the_stream_is_cut() {
    let payloads: Vec<Vec<u8>> = (0..20).map(|n| vec![n as u8; n * 3]).collect();
    let mut stream = Vec::new();
    for payload in &payloads {
        stream.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        stream.extend_from_slice(payload);
    }
    for cut in Cut::variety(3, 100, 9) {
        seed::with_seed(cut.seed(), |_| {
            let mut reader = FaultyReader::new(io::Cursor::new(stream.clone()))
                .cut(cut)
                .interrupt_every(11);
            let count = payloads.len() + 1;
            let read = watchdog::within_default("read_frame to return", move || {
                (0..count)
                    .map(|_| read_frame(&mut reader, 100))
                    .collect::<Vec<_>>()
            });
            let (last, frames) = read.split_last().unwrap();
            for (index, frame) in frames.iter().enumerate() {
                match frame {
                    Ok(Some(payload)) if payload.len() == index * 3 => {}
                    other => panic!(
                        "with the stream cut as {cut:?}, frame {index} should be {} bytes, but \
                         read_frame returned {other:?}; a read returns what has arrived, so the \
                         header and the payload may each need several reads (read_exact loops \
                         for you)",
                        index * 3
                    ),
                }
            }
            assert!(
                matches!(last, Ok(None)),
                "after the last frame: expected Ok(None), got {last:?}"
            );
        });
    }
}

#[test]
fn reads_a_frame_of_exactly_the_limit() {
    let payload = seed::Rng::new(5).bytes(1024);
    let stream = [&1024u32.to_be_bytes()[..], &payload].concat();
    let outcome = watchdog::within_default("read_frame to return", move || {
        read_frame(&mut &stream[..], 1024)
    });
    match outcome {
        Ok(Some(got)) if got == payload => {}
        Ok(Some(got)) => panic!(
            "read_frame returned {} bytes for a frame of 1024, not the payload that was sent",
            got.len()
        ),
        other => panic!(
            "the header announces 1024 bytes and the limit is 1024: that frame fits (only a \
             length over max_frame is refused), but read_frame returned {other:?}"
        ),
    }
}

#[test]
fn refuses_a_length_over_the_limit_before_reading_the_payload() {
    for announced in [1025u32, 1 << 20] {
        let (outcome, delivered) = watchdog::within_default("read_frame to return", move || {
            let mut peer = Announcing {
                header: announced.to_be_bytes(),
                delivered: 0,
                largest: 64 * 1024,
            };
            let outcome = read_frame(&mut peer, 1024);
            (outcome, peer.delivered)
        });
        assert!(
            matches!(outcome, Err(FrameError::TooLong { limit: 1024 })),
            "the header announces {announced} bytes and the limit is 1024: expected \
             FrameError::TooLong {{ limit: 1024 }}, got {}",
            match &outcome {
                Ok(Some(payload)) => format!("a payload of {} bytes", payload.len()),
                other => format!("{other:?}"),
            }
        );
        assert_same!(
            delivered,
            4,
            "read_frame should read the 4-byte header and stop there, but it read {delivered} \
             bytes; the length alone tells you the frame is too long"
        );
    }
}

#[test]
fn a_four_gib_length_prefix_allocates_nothing() {
    let outcome = watchdog::within_default("read_frame to return", || {
        let mut peer = Announcing {
            header: [0xff; 4],
            delivered: 0,
            largest: 64 * 1024,
        };
        read_frame(&mut peer, 4096)
    });
    assert!(
        matches!(outcome, Err(FrameError::TooLong { limit: 4096 })),
        "a header of ff ff ff ff announces 4 GiB: expected FrameError::TooLong \
         {{ limit: 4096 }} before anything is allocated, got {outcome:?}"
    );
}

#[test]
fn an_end_inside_a_frame_is_an_error_and_between_frames_is_not() {
    let cases: [(&[u8], &str); 3] = [
        (b"\x00\x00", "inside the header"),
        (b"\x00\x00\x00\x05hi", "inside the payload"),
        (b"\x00\x00\x00\x02hi\x00", "inside the second header"),
    ];
    for (stream, place) in cases {
        let outcome = watchdog::within_default("read_frame to return", move || {
            let mut reader = FaultyReader::new(stream).call_limit(20);
            loop {
                match read_frame(&mut reader, 100) {
                    Ok(Some(_)) => continue,
                    other => return other,
                }
            }
        });
        assert!(
            matches!(outcome, Err(FrameError::EndedMidFrame)),
            "the stream ended {place} ({}): expected FrameError::EndedMidFrame, got {outcome:?}",
            show(stream)
        );
    }
    let outcome = watchdog::within_default("read_frame to return", || {
        read_frame(&mut FaultyReader::new(&b""[..]).call_limit(5), 100)
    });
    assert!(
        matches!(outcome, Ok(None)),
        "an empty stream ends before any frame: that is a clean end, Ok(None), not {outcome:?}"
    );
}

#[test]
fn a_failed_read_is_an_error_not_the_end_of_the_frames() {
    let frames: [(&[u8], usize, &str); 3] = [
        (b"\x00\x00\x00\x05hello", 0, "before the header"),
        (b"\x00\x00\x00\x05hello", 2, "inside the header"),
        (b"\x00\x00\x00\x05hello", 6, "inside the payload"),
    ];
    for (stream, after, place) in frames {
        let outcome = watchdog::within_default("read_frame to return", move || {
            let mut reader = FaultyReader::new(stream)
                .fail_after(after, io::ErrorKind::ConnectionReset)
                .call_limit(20);
            read_frame(&mut reader, 100)
        });
        match outcome {
            Err(FrameError::Io(error)) if error.kind() == io::ErrorKind::ConnectionReset => {}
            other => panic!(
                "a read failed with ConnectionReset {place}: expected FrameError::Io with that \
                 error, got {other:?}; only a read that returns Ok(0) is an end of the stream \
                 (EndedMidFrame, or Ok(None) before a frame), and any other error is passed on"
            ),
        }
    }
}

#[test]
fn frames_cross_a_real_socket_in_both_directions() {
    let (client, server) = net::pair();
    let payloads: Vec<Vec<u8>> = vec![
        b"msg1".to_vec(),
        Vec::new(),
        seed::Rng::new(9).bytes(70_000),
    ];
    let (sent, received) = mpsc::channel();
    let expected = payloads.clone();
    // The server echoes each frame back, with the student's read_frame and write_frame.
    let echo = std::thread::spawn(move || -> Result<(), FrameError> {
        let mut server = server;
        while let Some(payload) = read_frame(&mut server, 100_000)? {
            write_frame(&mut server, &payload, 100_000)?;
        }
        Ok(())
    });
    let client_side = std::thread::spawn(move || {
        let mut writer = client.try_clone().unwrap();
        let mut reader = client;
        for payload in &payloads {
            // The test's own encoding, cut into small writes, so the server's reads are short.
            let frame = [&(payload.len() as u32).to_be_bytes()[..], payload].concat();
            peer::send_cut(&mut writer, &frame, Cut::Fixed(1000), Duration::ZERO).unwrap();
            let mut header = [0; 4];
            let echoed = reader.read_exact(&mut header).and_then(|()| {
                let mut echoed = vec![0; u32::from_be_bytes(header) as usize];
                reader.read_exact(&mut echoed).map(|()| echoed)
            });
            let Ok(echoed) = echoed else {
                // The lengths the test received so far tell the story below.
                return;
            };
            sent.send(echoed).unwrap();
        }
        peer::half_close(&writer);
    });
    let echoed: Vec<Vec<u8>> = watchdog::within_default(
        "the frames to be echoed by read_frame and write_frame",
        move || received.iter().take(expected.len()).collect(),
    );
    // The echo loop first: when it failed, the test's client fails too, and the loop says why.
    let end = watchdog::join(
        echo,
        watchdog::DEFAULT_LIMIT,
        "the echo loop to end after the peer closed",
    )
    .unwrap_or_else(|payload| {
        panic!(
            "the echo loop of read_frame and write_frame panicked: {}",
            watchdog::panic_message(&*payload)
        )
    });
    if let Err(payload) = client_side.join() {
        panic!(
            "the test's client failed: {}",
            watchdog::panic_message(&*payload)
        );
    }
    let lengths: Vec<usize> = echoed.iter().map(Vec::len).collect();
    assert_same!(
        lengths,
        vec![4, 0, 70_000],
        "an echo server built from read_frame and write_frame should send back each frame as \
         it came: 4 bytes of big-endian length, then the payload; these are the lengths of the \
         frames that came back"
    );
    assert!(
        end.is_ok(),
        "read_frame should return Ok(None) when the peer closes between frames, got {end:?}"
    );
}
