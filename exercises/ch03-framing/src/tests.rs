//! The tests of chapter 3. The same file grades your exercise and the reference solution.

use super::*;

use std::fmt::Write as _;
use std::sync::mpsc;
use std::time::Duration;

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

/// A reader that hands out the given pieces, one per `read`, as a network might.
struct Pieces {
    pieces: Vec<Vec<u8>>,
    next: usize,
    calls: usize,
}

impl Pieces {
    fn new(pieces: &[&[u8]]) -> Self {
        Pieces {
            pieces: pieces.iter().map(|p| p.to_vec()).collect(),
            next: 0,
            calls: 0,
        }
    }
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        let Some(piece) = self.pieces.get_mut(self.next) else {
            return Ok(0);
        };
        let len = piece.len().min(buf.len());
        buf[..len].copy_from_slice(&piece[..len]);
        piece.drain(..len);
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
    assert_eq!(
        leftovers, b"msg2\nmsg3\n",
        "after returning \"msg1\", the rest of that read must wait in the leftovers (read \
         as much as has arrived, up to READ_SIZE bytes, not one byte at a time)"
    );
    assert_eq!(
        calls, 1,
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
    // reads before looking at its leftovers waits for ever.
    let lines = watchdog::within(
        Duration::from_secs(3),
        "next_line to return \"msg2\", which arrived in the same read as \"msg1\"; a line that \
         is already among the leftovers must be returned without reading again",
        move || {
            let mut decoder = LineDecoder::new(server, 100);
            let first = decoder.next_line().unwrap();
            let second = decoder.next_line().unwrap();
            [first, second]
        },
    );
    assert_eq!(
        lines,
        [Some(b"msg1".to_vec()), Some(b"msg2".to_vec())],
        "the peer sent msg1 and msg2"
    );
    drop(client);
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
        end => assert!(end.is_ok(), "the stream ended cleanly, got {end:?}"),
    }
    assert_lines(
        &lines,
        &expected,
        "into 3-byte reads, some of them Interrupted",
    );
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
    let stream = [vec![b'y'; 10], b"\n".to_vec()].concat();
    let (lines, end) =
        watchdog::within_default("next_line to return", move || decode_all(&stream[..], 10));
    assert!(
        end.is_ok() && lines == [vec![b'y'; 10]],
        "a line of 10 bytes fits a limit of 10 (the \\n does not count), got {} then {end:?}",
        show_all(&lines)
    );
}

#[test]
fn refuses_a_line_longer_than_the_limit() {
    let stream = [&b"short\n"[..], &[b'z'; 11], b"\nnext\n"].concat();
    let (lines, end) =
        watchdog::within_default("next_line to return", move || decode_all(&stream[..], 10));
    assert_lines(&lines, &[b"short".to_vec()], "with a limit of 10 bytes");
    assert!(
        matches!(end, Err(FrameError::TooLong { limit: 10 })),
        "the second line is 11 bytes long and the limit is 10: expected \
         FrameError::TooLong {{ limit: 10 }}, got {end:?}"
    );
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
    assert_eq!(
        frame, b"\x00\x00\x00\x05hello",
        "a frame is the payload's length as 4 bytes, most significant first (big-endian, the \
         network byte order: u32::to_be_bytes), then the payload"
    );
    assert_eq!(empty, [0, 0, 0, 0], "an empty payload is a header of zero");
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
fn reads_back_what_write_frame_wrote() {
    let payloads = [&b"msg1"[..], b"", b"msg2 is longer", &[0, 10, 255]];
    let read = watchdog::within_default("write_frame and read_frame to return", move || {
        let mut stream = Vec::new();
        for payload in payloads {
            write_frame(&mut stream, payload, 100).unwrap();
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
    assert_eq!(
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
fn refuses_a_length_over_the_limit_before_reading_the_payload() {
    let (outcome, delivered) = watchdog::within_default("read_frame to return", || {
        let mut peer = Announcing {
            header: (1u32 << 20).to_be_bytes(),
            delivered: 0,
            largest: 64 * 1024,
        };
        let outcome = read_frame(&mut peer, 1024);
        (outcome, peer.delivered)
    });
    assert!(
        matches!(outcome, Err(FrameError::TooLong { limit: 1024 })),
        "the header announces 1 MiB and the limit is 1 KiB: expected \
         FrameError::TooLong {{ limit: 1024 }}, got {outcome:?}"
    );
    assert_eq!(
        delivered, 4,
        "read_frame should read the 4-byte header and stop there, but it read {delivered} \
         bytes; the length alone tells you the frame is too long"
    );
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
    client_side.join().expect("the test's client failed");
    let end = watchdog::join(echo, watchdog::DEFAULT_LIMIT, "the echo loop to end")
        .expect("the echo thread panicked");
    let lengths: Vec<usize> = echoed.iter().map(Vec::len).collect();
    assert_eq!(
        lengths,
        [4, 0, 70_000],
        "an echo server built from read_frame and write_frame should send back each frame as \
         it came: 4 bytes of big-endian length, then the payload; these are the lengths of the \
         frames that came back"
    );
    assert!(
        end.is_ok(),
        "read_frame should return Ok(None) when the peer closes between frames, got {end:?}"
    );
}
