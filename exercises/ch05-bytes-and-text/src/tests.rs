//! The tests of "Bytes and text". The same file grades your exercise and the reference solution.

use super::*;

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use testkit::assert_same;
use testkit::faulty::FaultyReader;
use testkit::net;
use testkit::peer::Cut;
use testkit::seed;
use testkit::watchdog;

/// Characters of 1, 2, 3 and 4 bytes: `a` (61), `é` (c3 a9), `€` (e2 82 ac), `😀` (f0 9f 98 80).
const MIXED: &str = "a é€😀z 世界 ñ😀!";

/// The replacement character that lossy decoding puts where bytes were bad.
const REPLACEMENT: char = char::REPLACEMENT_CHARACTER;

/// Feeds `pieces` to a fresh decoder in turn, then finishes; returns the text and the outcome.
fn decode_pieces(pieces: Vec<Vec<u8>>) -> (String, Result<(), TextError>) {
    watchdog::within_default("the decoder to return", move || {
        let mut decoder = Utf8Decoder::new();
        let mut out = String::new();
        for piece in &pieces {
            if let Err(error) = decoder.push(piece, &mut out) {
                return (out, Err(error));
            }
        }
        let end = decoder.finish();
        (out, end)
    })
}

/// The chunks as a test message shows them: escaped, and only the first few of many.
fn show_chunks(pieces: &[&[u8]]) -> String {
    const SHOWN: usize = 6;
    let shown: Vec<String> = pieces
        .iter()
        .take(SHOWN)
        .map(|p| format!("\"{}\"", p.escape_ascii()))
        .collect();
    match pieces.len() {
        n if n > SHOWN => format!("{}, … ({n} chunks in all)", shown.join(", ")),
        _ => shown.join(", "),
    }
}

/// Fails with a sentence naming the usual cause when text decoded from `pieces` is wrong.
fn assert_decodes(pieces: &[&[u8]], expected: &str) {
    let shown = show_chunks(pieces);
    let (text, end) = decode_pieces(pieces.iter().map(|p| p.to_vec()).collect());
    if text.contains(REPLACEMENT) {
        panic!(
            "a character split between two chunks was decoded in halves, into U+FFFD; keep the \
             first bytes of a cut-off character for the next chunk\n\
             the chunks {shown}\ngave {text:?}"
        );
    }
    match end {
        Err(TextError::Invalid { offset }) => panic!(
            "a chunk that ends in the middle of a character is not an error: the character's \
             other bytes are in the next chunk\n\
             the chunks {shown}\nfailed with Invalid {{ offset: {offset} }}, but they hold the \
             valid text {expected:?}"
        ),
        Err(error) => panic!("decoding the chunks {shown} failed: {error:?}"),
        Ok(()) => assert_same!(
            text.as_str(),
            expected,
            "decoding the chunks {shown} should give back the text"
        ),
    }
}

#[test]
fn decodes_whole_characters_in_one_chunk() {
    assert_decodes(&[MIXED.as_bytes()], MIXED);
    assert_decodes(&[b"plain ascii", b"", b" and more"], "plain ascii and more");
}

#[test]
fn keeps_an_incomplete_character_for_the_next_chunk() {
    // "é" is c3 a9: the first chunk ends after c3.
    let (first, end) = watchdog::within_default("push to return", || {
        let mut decoder = Utf8Decoder::new();
        let mut out = String::new();
        let end = decoder.push(b"h\xc3", &mut out);
        (out, end)
    });
    assert!(
        end.is_ok(),
        "the chunk \"h\\xc3\" ends with the first byte of 'é' (c3 a9): that is not an error, the \
         second byte is on its way; got {end:?}"
    );
    assert!(
        !first.contains(REPLACEMENT),
        "after \"h\\xc3\" the text was {first:?}: c3, the first byte of 'é', was replaced with \
         U+FFFD instead of waiting in `pending` for its second byte"
    );
    assert_same!(
        first.as_str(),
        "h",
        "only complete characters go out: after \"h\\xc3\" that is \"h\", and c3 waits"
    );
    assert_decodes(&[b"h\xc3", b"\xa9!"], "hé!");
    assert_decodes(&[b"\xf0", b"\x9f", b"\x98", b"\x80"], "😀");
}

#[test]
fn same_text_for_every_split_point_of_mixed_characters() {
    let bytes = MIXED.as_bytes();
    for at in 0..=bytes.len() {
        assert_decodes(&[&bytes[..at], &bytes[at..]], MIXED);
    }
    // Three pieces: a 4-byte character can be cut twice.
    for first in 0..=bytes.len() {
        for second in first..=bytes.len() {
            assert_decodes(
                &[&bytes[..first], &bytes[first..second], &bytes[second..]],
                MIXED,
            );
        }
    }
}

#[test]
fn same_text_for_byte_by_byte_and_random_chunks() {
    let text = MIXED.repeat(5);
    let bytes = text.as_bytes();
    let byte_by_byte: Vec<&[u8]> = Cut::BYTE_BY_BYTE.pieces(bytes);
    assert_decodes(&byte_by_byte, &text);
    for seed in seed::seeds(100) {
        seed::with_seed(seed, |_| {
            let pieces = Cut::Random { seed, max: 7 }.pieces(bytes);
            assert_decodes(&pieces, &text);
        });
    }
}

#[test]
fn reports_invalid_bytes_with_their_position() {
    let cases: [(&[u8], usize, &str); 6] = [
        (b"ok\xffok", 2, "ff never occurs in UTF-8"),
        (
            b"\x80abc",
            0,
            "80 continues a character, it cannot start one",
        ),
        (
            b"caf\xc3(",
            3,
            "c3 must be followed by a byte from 80 to bf",
        ),
        (
            b"ab\xed\xa0\x80",
            2,
            "ed a0 80 would be a UTF-16 surrogate, never valid",
        ),
        (b"\xc0\xaf", 0, "c0 af is an overlong '/', never valid"),
        (b"\xe2\x82 \xac", 0, "a space inside a character breaks it"),
    ];
    for (bytes, offset, why) in cases {
        let shown = bytes.escape_ascii().to_string();
        let (text, end) = decode_pieces(vec![bytes.to_vec()]);
        assert!(
            !text.contains(REPLACEMENT),
            "decoding \"{shown}\" gave {text:?}: the bad bytes were replaced with U+FFFD and the \
             error disappeared. Lossy decoding hides bugs; report Invalid instead"
        );
        match end {
            Err(TextError::Invalid { offset: got }) if got == offset => {}
            other => panic!(
                "\"{shown}\" is not UTF-8 at byte {offset} ({why}): expected \
                 Invalid {{ offset: {offset} }}, got {other:?}"
            ),
        }
    }
}

#[test]
fn reports_bytes_that_can_never_be_utf8_even_when_cut_off_at_the_end() {
    // Each of these ends like a character that is still incomplete, but no byte that could
    // follow would make it valid: the bytes are bad already, and the answer is Invalid, not
    // Truncated and not "wait for more".
    let cases: [(&[u8], usize, &str); 6] = [
        (
            b"ab\xed\xa0",
            2,
            "ed a0 starts a UTF-16 surrogate, never valid",
        ),
        (b"\xf4\x90", 0, "f4 90 starts a code point above U+10FFFF"),
        (b"x\xe0\x80", 1, "e0 80 starts an overlong form"),
        (b"\xf0\x80\x80", 0, "f0 80 starts an overlong form"),
        (b"\xc0", 0, "c0 only ever starts an overlong form"),
        (b"\xf5", 0, "f5 never occurs in UTF-8"),
    ];
    for (bytes, offset, why) in cases {
        for pieces in [vec![bytes], Cut::BYTE_BY_BYTE.pieces(bytes)] {
            let shown = show_chunks(&pieces);
            let (_, end) = decode_pieces(pieces.iter().map(|p| p.to_vec()).collect());
            match end {
                Err(TextError::Invalid { offset: got }) if got == offset => {}
                Err(TextError::Truncated { offset: got }) => panic!(
                    "the chunks {shown} ended the stream, and finish said Truncated {{ offset: \
                     {got} }}; but {why}: no byte could complete it, so it is \
                     Invalid {{ offset: {offset} }}. Keep only bytes that from_utf8 calls \
                     incomplete (error_len() is None) waiting"
                ),
                other => panic!(
                    "the chunks {shown} are not UTF-8 at byte {offset} ({why}): expected \
                     Invalid {{ offset: {offset} }}, got {other:?}"
                ),
            }
        }
    }
}

/// What decoding a stream should end with.
#[derive(Debug)]
enum Ending {
    Invalid(usize),
    Truncated(usize),
}

#[test]
fn counts_positions_from_the_start_of_the_stream() {
    let cases: [(&[&[u8]], Ending); 6] = [
        (&[b"abc", b"de\xff"], Ending::Invalid(5)),
        (&[b"ab\xe2\x82", b"x"], Ending::Invalid(2)),
        (&[b"\xf0", b"\x9f", b"("], Ending::Invalid(0)),
        (&[b"\xc3", b"\xa9\xff"], Ending::Invalid(2)),
        (&[b"a\xf0\x9f", b"\x98", b"\x80b\xff"], Ending::Invalid(6)),
        (&[b"\xc3\xa9", b"\xc3\xa9", b"\xc3"], Ending::Truncated(4)),
    ];
    for (pieces, expected) in cases {
        let (_, end) = decode_pieces(pieces.iter().map(|p| p.to_vec()).collect());
        let shown = show_chunks(pieces);
        match (&expected, &end) {
            (Ending::Invalid(want), Err(TextError::Invalid { offset })) if offset == want => {}
            (Ending::Truncated(want), Err(TextError::Truncated { offset })) if offset == want => {}
            _ => panic!(
                "in the chunks {shown}, the stream should end {expected:?}, counted from the \
                 first byte of the stream, but decoding gave {end:?}; count the bytes of every \
                 earlier chunk, and of a character completed across chunks, too"
            ),
        }
    }
}

#[test]
fn reports_a_character_cut_off_by_the_end_of_the_stream() {
    let (text, end) = decode_pieces(vec![b"abc\xf0\x9f\x98".to_vec()]);
    assert_same!(
        text.as_str(),
        "abc",
        "the complete characters before the cut still go out"
    );
    assert!(
        matches!(end, Err(TextError::Truncated { offset: 3 })),
        "the stream ended after f0 9f 98, three bytes of a four-byte character starting at byte \
         3: finish should return Truncated {{ offset: 3 }}, got {end:?}; the last character \
         must not be lost without a word"
    );
    let (_, end) = decode_pieces(vec![MIXED.as_bytes().to_vec()]);
    assert!(
        end.is_ok(),
        "after complete characters the stream ends cleanly: finish should return Ok(()), got \
         {end:?}"
    );
}

#[test]
fn stream_text_passes_on_a_character_split_across_two_writes_with_a_pause() {
    let (mut client, server) = net::pair();
    let (pieces, received) = mpsc::channel::<String>();
    // The peer sends "h" and the first byte of "é", then waits until stream_text has passed "h"
    // on before it sends the rest: the two halves of "é" arrive in two separate reads.
    let peer = thread::spawn(move || {
        // Write errors are ignored: if stream_text gave up early, the test reports why below.
        let _ = client.write_all(b"h\xc3");
        let first = received.recv_timeout(watchdog::scaled(Duration::from_secs(5)));
        let _ = client.write_all(b"\xa9llo");
        drop(client);
        let rest: Vec<String> = received.iter().collect();
        (first, rest)
    });
    let outcome =
        watchdog::within_default("stream_text to return after the peer closed", move || {
            stream_text(server, |text| pieces.send(text.to_owned()).unwrap())
        });
    let (first, rest) = peer.join().expect("the test's peer failed");
    let all: String = first.iter().cloned().chain(rest.iter().cloned()).collect();
    assert!(
        !all.contains(REPLACEMENT),
        "stream_text passed on {all:?}: the two halves of 'é' arrived in two reads, and each was \
         decoded on its own into U+FFFD. Keep the first half for the next read"
    );
    match &outcome {
        Err(TextError::Invalid { offset }) => panic!(
            "stream_text failed with Invalid {{ offset: {offset} }}, but the peer sent the valid \
             text \"héllo\", with 'é' split between two writes; decoding each read on its own \
             breaks there. Carry the incomplete character over to the next read"
        ),
        other => assert!(other.is_ok(), "stream_text failed: {other:?}"),
    }
    match first {
        Ok(first) => assert_same!(
            first.as_str(),
            "h",
            "after the first write (\"h\\xc3\") only \"h\" is complete text"
        ),
        Err(_) => panic!(
            "stream_text had not passed on \"h\" 5 s after it arrived; call on_text with the \
             complete characters of each read as soon as it returns, not at the end"
        ),
    }
    assert_same!(all.as_str(), "héllo", "the peer sent \"héllo\"");
}

/// A reader that hands out `data` in the pieces of a cut and, before each read, checks that
/// `on_text` has already been given the complete characters of every earlier read.
struct Watched {
    data: Vec<u8>,
    pieces: std::vec::IntoIter<usize>,
    at: usize,
    passed: Rc<RefCell<String>>,
}

impl Read for Watched {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let delivered = &self.data[..self.at];
        let complete = match std::str::from_utf8(delivered) {
            Ok(text) => text,
            Err(error) => std::str::from_utf8(&delivered[..error.valid_up_to()])
                .expect("valid_up_to ends valid UTF-8"),
        };
        let passed = self.passed.borrow();
        // Anything else than a start of the text is reported by the test, with its own message.
        if passed.len() < complete.len() && complete.starts_with(passed.as_str()) {
            panic!(
                "stream_text read again before passing on all the text it had: after {} bytes, \
                 whose complete characters are {complete:?}, on_text had been given only \
                 {:?}. Call on_text with the complete characters of each read before the next \
                 read: on a socket the next read may wait a long time, and the text with it",
                self.at, *passed
            );
        }
        drop(passed);
        let left = self.data.len() - self.at;
        if buf.is_empty() || left == 0 {
            return Ok(0);
        }
        let n = self.pieces.next().unwrap_or(left).min(buf.len()).min(left);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Runs `stream_text` on `text` read in pieces cut as `cut`, watching that each read's text is
/// passed on before the next read; returns all the text passed on, each piece, and the outcome.
fn watch_stream_text(text: &str, cut: Cut) -> (String, Vec<String>, Result<usize, TextError>) {
    let data = text.as_bytes().to_vec();
    watchdog::within_default("stream_text to return", move || {
        let passed = Rc::new(RefCell::new(String::new()));
        let reader = Watched {
            pieces: cut.lengths(data.len()).into_iter(),
            data,
            at: 0,
            passed: Rc::clone(&passed),
        };
        let mut pieces = Vec::new();
        let outcome = stream_text(reader, |piece| {
            passed.borrow_mut().push_str(piece);
            pieces.push(piece.to_owned());
        });
        let all = passed.take();
        (all, pieces, outcome)
    })
}

#[test]
fn stream_text_passes_on_the_text_of_each_read_before_reading_again() {
    let text = MIXED.repeat(3);
    for cut in Cut::variety(3, 5, 9) {
        seed::with_seed(cut.seed(), |_| {
            let (passed, _, outcome) = watch_stream_text(&text, cut);
            assert!(
                !passed.contains(REPLACEMENT),
                "with reads cut as {cut:?}, stream_text passed on {passed:?}: a character split \
                 between two reads was decoded in halves, into U+FFFD. Keep the first half for \
                 the next read"
            );
            match outcome {
                Ok(count) => assert_same!(
                    count,
                    text.chars().count(),
                    "stream_text should return how many characters the text has"
                ),
                Err(error) => panic!(
                    "stream_text failed with {error:?} on valid text read in pieces cut as \
                     {cut:?}"
                ),
            }
            assert_same!(
                passed.as_str(),
                text.as_str(),
                "with reads cut as {cut:?}, the pieces given to on_text should add up to the text"
            );
        });
    }
}

#[test]
fn stream_text_never_passes_on_an_empty_piece() {
    // Read a byte at a time, most reads bring only part of a character, and no text.
    let text = "😀é€😀a";
    let (passed, pieces, outcome) = watch_stream_text(text, Cut::BYTE_BY_BYTE);
    assert!(
        pieces.iter().all(|piece| !piece.is_empty()),
        "on_text was called with an empty piece {} times, for reads that completed no \
         character (they brought only the first bytes of one); call it only when there is text",
        pieces.iter().filter(|piece| piece.is_empty()).count()
    );
    assert!(
        outcome.is_ok(),
        "stream_text failed on valid text read a byte at a time: {outcome:?}"
    );
    assert_same!(
        passed.as_str(),
        text,
        "the pieces should add up to the text"
    );
}

#[test]
fn stream_text_counts_characters_not_bytes() {
    let text = "héllo 😀\n";
    let outcome = watchdog::within_default("stream_text to return", move || {
        stream_text(
            FaultyReader::new(text.as_bytes()).cut(Cut::Fixed(3)),
            |_| {},
        )
    });
    match outcome {
        Ok(8) => {}
        Ok(12) => panic!(
            "stream_text returned 12, the number of bytes in \"héllo 😀\\n\"; it has 8 \
             characters: 'é' is 2 bytes and '😀' is 4. str::len counts bytes, chars().count() \
             counts characters"
        ),
        other => panic!("\"héllo 😀\\n\" has 8 characters, stream_text returned {other:?}"),
    }
}

#[test]
fn stream_text_tries_an_interrupted_read_again() {
    let reader = FaultyReader::new(io::Cursor::new(MIXED.as_bytes().to_vec()))
        .cut(Cut::Fixed(2))
        .interrupt_every(2);
    let (passed, outcome) = watchdog::within_default("stream_text to return", move || {
        let mut passed = String::new();
        let outcome = stream_text(reader, |text| passed.push_str(text));
        (passed, outcome)
    });
    match outcome {
        Ok(count) => assert_same!(
            count,
            MIXED.chars().count(),
            "with every second read Interrupted, stream_text should still count every character"
        ),
        Err(TextError::Io(error)) if error.kind() == io::ErrorKind::Interrupted => panic!(
            "stream_text returned the Interrupted error; an interrupted read did nothing (a \
             signal arrived), so call read again"
        ),
        Err(error) => panic!(
            "stream_text failed with {error:?}, but the only errors were Interrupted ones, which \
             mean \"try again\""
        ),
    }
    assert_same!(
        passed.as_str(),
        MIXED,
        "every second read was Interrupted; the text should still all arrive"
    );
}

#[test]
fn stream_text_returns_a_failed_read_as_an_io_error() {
    let cases: [(&[u8], usize); 2] = [(b"abc", 3), (b"ab\xc3\xa9", 3)];
    for (bytes, after) in cases {
        let shown = bytes.escape_ascii().to_string();
        let reader = FaultyReader::new(io::Cursor::new(bytes.to_vec()))
            .fail_after(after, io::ErrorKind::ConnectionReset);
        let outcome =
            watchdog::within_default("stream_text to return", move || stream_text(reader, |_| {}));
        match outcome {
            Err(TextError::Io(error)) if error.kind() == io::ErrorKind::ConnectionReset => {}
            other => panic!(
                "the stream \"{shown}\" was reset after {after} bytes: expected Io with the \
                 ConnectionReset error, got {other:?}; a failed read is an error of its own, not \
                 the end of the stream, even in the middle of a character"
            ),
        }
    }
}

#[test]
fn stream_text_counts_positions_from_the_start_of_the_stream() {
    let mut bytes = "héllo wörld ".as_bytes().to_vec();
    let offset = bytes.len();
    bytes.extend_from_slice(b"\xff!");
    for cut in [Cut::Whole, Cut::BYTE_BY_BYTE, Cut::Fixed(3)] {
        let reader = FaultyReader::new(io::Cursor::new(bytes.clone())).cut(cut);
        let outcome =
            watchdog::within_default("stream_text to return", move || stream_text(reader, |_| {}));
        match outcome {
            Err(TextError::Invalid { offset: got }) if got == offset => {}
            other => panic!(
                "the stream \"héllo wörld \\xff!\" is not UTF-8 at byte {offset} (ff), read in \
                 pieces cut as {cut:?}: expected Invalid {{ offset: {offset} }}, got {other:?}; \
                 decode the whole stream with one decoder, so positions count from its start"
            ),
        }
    }
}

#[test]
fn stream_text_reports_invalid_bytes_and_never_replaces_them() {
    let (mut client, server) = net::pair();
    client.write_all(b"abc\xffdef").unwrap();
    drop(client);
    let (pieces, outcome) = watchdog::within_default("stream_text to return", move || {
        let mut pieces = String::new();
        let outcome = stream_text(server, |text| pieces.push_str(text));
        (pieces, outcome)
    });
    assert!(
        !pieces.contains(REPLACEMENT),
        "stream_text passed on {pieces:?}: the byte ff was replaced with U+FFFD and the program \
         carried on as if the text were fine. Report Invalid instead; lossy decoding hides bugs"
    );
    assert!(
        matches!(outcome, Err(TextError::Invalid { offset: 3 })),
        "the peer sent \"abc\\xffdef\", and ff at byte 3 is not UTF-8: expected \
         Invalid {{ offset: 3 }}, got {outcome:?}"
    );
}

#[test]
fn stream_text_reports_a_truncated_character_at_the_end() {
    let (mut client, server) = net::pair();
    client.write_all(b"abc\xe2\x82").unwrap();
    drop(client);
    let (pieces, outcome) = watchdog::within_default("stream_text to return", move || {
        let mut pieces = String::new();
        let outcome = stream_text(server, |text| pieces.push_str(text));
        (pieces, outcome)
    });
    assert!(
        matches!(outcome, Err(TextError::Truncated { offset: 3 })),
        "the peer closed after e2 82, two bytes of the three-byte '€' starting at byte 3: \
         expected Truncated {{ offset: 3 }}, got {outcome:?}"
    );
    assert_same!(
        pieces.as_str(),
        "abc",
        "the complete characters before the cut go out"
    );
}

#[test]
fn text_lines_reads_lines_of_mixed_text_however_the_stream_is_cut() {
    let lines = ["héllo", "", MIXED, "世界", "😀😀"];
    let stream: String = lines.iter().map(|l| format!("{l}\n")).collect();
    for cut in Cut::variety(2, 50, 5) {
        seed::with_seed(cut.seed(), |_| {
            let reader = FaultyReader::new(io::Cursor::new(stream.clone().into_bytes())).cut(cut);
            let read = watchdog::within_default("next_line to return", move || {
                let mut text_lines = TextLines::new(reader, 100);
                (0..=lines.len())
                    .map(|_| text_lines.next_line())
                    .collect::<Vec<_>>()
            });
            let (last, got) = read.split_last().unwrap();
            for (index, line) in got.iter().enumerate() {
                match line {
                    Ok(Some(line)) if line == lines[index] => {}
                    other => panic!(
                        "with the stream cut as {cut:?}, line {index} should be {:?}, but \
                         next_line returned {other:?}",
                        lines[index]
                    ),
                }
            }
            assert!(
                matches!(last, Ok(None)),
                "after the last line the stream ended cleanly: expected Ok(None), got {last:?}"
            );
        });
    }
}

#[test]
fn text_lines_reports_an_invalid_line_with_its_position_in_the_stream() {
    let read = watchdog::within_default("next_line to return", || {
        let mut text_lines = TextLines::new(&b"ok\nbad \xff line\n"[..], 100);
        [text_lines.next_line(), text_lines.next_line()]
    });
    let [first, second] = read;
    assert!(
        matches!(&first, Ok(Some(line)) if line == "ok"),
        "the first line is \"ok\", got {first:?}"
    );
    match second {
        Ok(Some(line)) if line.contains(REPLACEMENT) => panic!(
            "next_line returned {line:?}: the bad byte was replaced with U+FFFD; decode strictly \
             (String::from_utf8) and report Invalid"
        ),
        Err(TextError::Invalid { offset: 7 }) => {}
        other => panic!(
            "the second line has ff at byte 7 of the stream (3 bytes of \"ok\\n\", then \"bad \"): \
             expected Invalid {{ offset: 7 }}, got {other:?}"
        ),
    }

    // Lines of characters of several bytes before it: positions count bytes, not characters.
    let read = watchdog::within_default("next_line to return", || {
        let mut text_lines =
            TextLines::new("héllo\n😀\n".as_bytes().chain(&b"\xc3\xa9 \xff\n"[..]), 100);
        [
            text_lines.next_line(),
            text_lines.next_line(),
            text_lines.next_line(),
        ]
    });
    let [first, second, third] = read;
    assert!(
        matches!(&first, Ok(Some(line)) if line == "héllo")
            && matches!(&second, Ok(Some(line)) if line == "😀"),
        "the first lines are \"héllo\" and \"😀\", got {first:?} and {second:?}"
    );
    match third {
        Err(TextError::Invalid { offset: 15 }) => {}
        Err(TextError::Invalid { offset: 11 }) => panic!(
            "the third line has ff at byte 15 of the stream, but next_line said 11, which counts \
             the characters of the earlier lines: \"héllo\\n\" is 7 bytes (6 characters), \
             \"😀\\n\" is 5 bytes (2 characters). Positions count bytes: add each line's byte \
             length, plus 1 for its \\n"
        ),
        other => panic!(
            "the third line has ff at byte 15 of the stream (7 bytes of \"héllo\\n\", 5 of \
             \"😀\\n\", then 'é' and a space): expected Invalid {{ offset: 15 }}, got {other:?}"
        ),
    }
}

#[test]
fn text_lines_limit_counts_bytes_not_characters() {
    // With a limit of 10 bytes: the line, how long it is in bytes and in characters, and whether
    // it fits. Each fits or not by its bytes, whatever its characters.
    let cases = [
        ("0123456789", true),
        ("ééééé", true),
        ("😀a€é", true),
        ("0123456789a", false),
        ("éééééa", false),
        ("😀😀😀", false),
    ];
    // Whole, and cut so that a read ends exactly at the limit, before the `\n` has arrived.
    for cut in [Cut::Whole, Cut::Fixed(10), Cut::BYTE_BY_BYTE] {
        for (line, fits) in cases {
            let stream = format!("{line}\nnext\n").into_bytes();
            let outcome = watchdog::within_default("next_line to return", move || {
                let reader = FaultyReader::new(io::Cursor::new(stream)).cut(cut);
                let mut text_lines = TextLines::new(reader, 10);
                [text_lines.next_line(), text_lines.next_line()]
            });
            let (bytes, characters) = (line.len(), line.chars().count());
            match (&outcome[0], fits) {
                (Ok(Some(got)), true) if got == line => assert!(
                    matches!(&outcome[1], Ok(Some(next)) if next == "next"),
                    "after {line:?} comes the line \"next\" (stream cut as {cut:?}), got {:?}",
                    outcome[1]
                ),
                (Err(TextError::TooLong { limit: 10 }), false) => {}
                (Err(TextError::TooLong { .. }), true) => panic!(
                    "{line:?} is {bytes} bytes ({characters} characters), within the limit of \
                     10 bytes, but next_line said TooLong (stream cut as {cut:?}); the limit is \
                     the most bytes a line may have, not counting its \\n, and 10 bytes read \
                     with the \\n still to come are not too many yet"
                ),
                (Ok(Some(got)), false) if got == line => panic!(
                    "{line:?} is {bytes} bytes ({characters} characters), over the limit of 10 \
                     bytes, but next_line returned it (stream cut as {cut:?}); the limit counts \
                     bytes (str::len), not characters: a limit counted in characters lets a \
                     line of emoji grow to four times the size the other side expects"
                ),
                (other, _) => panic!(
                    "{line:?} ({bytes} bytes) with a limit of 10 bytes, stream cut as {cut:?}: \
                     expected {}, got {other:?}",
                    if fits {
                        "the line"
                    } else {
                        "TooLong { limit: 10 }"
                    }
                ),
            }
        }
    }
}

/// A peer that sends a line that never ends: every read fills the whole buffer, and never with
/// a `\n`. Fails the test once it has handed out far more than the limit of the test, instead
/// of filling the memory.
struct EndlessLine {
    delivered: usize,
}

impl Read for EndlessLine {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.delivered > 1 << 20 {
            panic!(
                "next_line has read more than 1 MiB of a line that never ends, with a limit \
                 of 1000 bytes, and still reads on; refuse the line (TooLong) as soon as more \
                 than the limit has arrived without a \\n, not only once its \\n comes"
            );
        }
        buf.fill(b'a');
        self.delivered += buf.len();
        Ok(buf.len())
    }
}

#[test]
fn text_lines_refuses_a_line_that_never_ends() {
    let outcome = watchdog::within_default("next_line to refuse a line that never ends", || {
        match TextLines::new(EndlessLine { delivered: 0 }, 1000).next_line() {
            Ok(line) => Ok(line.map(|line| line.len())),
            Err(error) => Err(error),
        }
    });
    assert!(
        matches!(outcome, Err(TextError::TooLong { limit: 1000 })),
        "the peer sends a line that never ends, with a limit of 1000 bytes: expected \
         TooLong {{ limit: 1000 }}, got {outcome:?}"
    );
}

#[test]
fn text_lines_tries_an_interrupted_read_again() {
    let lines = ["héllo", "", MIXED];
    let stream: String = lines.iter().map(|l| format!("{l}\n")).collect();
    for cut in [Cut::Whole, Cut::Fixed(3), Cut::BYTE_BY_BYTE] {
        for every in [2, 3] {
            let reader = FaultyReader::new(io::Cursor::new(stream.clone().into_bytes()))
                .cut(cut)
                .interrupt_every(every);
            let read = watchdog::within_default("next_line to return", move || {
                let mut text_lines = TextLines::new(reader, 100);
                (0..=lines.len())
                    .map(|_| text_lines.next_line())
                    .collect::<Vec<_>>()
            });
            let (last, got) = read.split_last().unwrap();
            for (index, line) in got.iter().enumerate() {
                match line {
                    Ok(Some(line)) if line == lines[index] => {}
                    Err(TextError::Io(error)) if error.kind() == io::ErrorKind::Interrupted => {
                        panic!(
                            "next_line returned the Interrupted error (every {every}th read was \
                             Interrupted, reads cut as {cut:?}); an interrupted read did \
                             nothing (a signal arrived), so call read again"
                        )
                    }
                    other => panic!(
                        "with every {every}th read Interrupted and reads cut as {cut:?}, line \
                         {index} should be {:?}, but next_line returned {other:?}",
                        lines[index]
                    ),
                }
            }
            assert!(
                matches!(last, Ok(None)),
                "after the last line the stream ended cleanly: expected Ok(None), got {last:?}"
            );
        }
    }
}

#[test]
fn text_lines_passes_on_framing_errors() {
    let outcome = watchdog::within_default("next_line to return", || {
        TextLines::new(&b"0123456789 too long\n"[..], 10).next_line()
    });
    assert!(
        matches!(outcome, Err(TextError::TooLong { limit: 10 })),
        "a line of 19 bytes with a limit of 10: expected TooLong {{ limit: 10 }}, got {outcome:?}"
    );
    let outcome = watchdog::within_default("next_line to return", || {
        let mut text_lines = TextLines::new(&b"whole\nhal"[..], 10);
        [text_lines.next_line(), text_lines.next_line()]
    });
    assert!(
        matches!(&outcome[1], Err(TextError::EndedMidLine)),
        "the stream ended in the middle of \"hal\": expected EndedMidLine, got {:?}",
        outcome[1]
    );
    let outcome = watchdog::within_default("next_line to return", || {
        let reader =
            FaultyReader::new(&b"whole\nhal"[..]).fail_after(8, io::ErrorKind::ConnectionReset);
        let mut text_lines = TextLines::new(reader, 10);
        [text_lines.next_line(), text_lines.next_line()]
    });
    assert!(
        matches!(&outcome[1], Err(TextError::Io(error)) if error.kind() == io::ErrorKind::ConnectionReset),
        "the connection was reset in the middle of the second line: expected Io with the \
         ConnectionReset error, got {:?}",
        outcome[1]
    );
}

#[test]
fn truncate_counts_bytes_and_never_splits_a_character() {
    let cases = [
        ("héllo", 2, "h"),
        ("héllo", 3, "hé"),
        ("héllo", 6, "héllo"),
        ("héllo", 5, "héll"),
        ("😀😀", 3, ""),
        ("😀😀", 4, "😀"),
        ("😀😀", 7, "😀"),
        ("😀😀", 8, "😀😀"),
        ("short", 100, "short"),
        ("€", 2, ""),
        ("€", 0, ""),
        ("", 0, ""),
    ];
    for (text, max_bytes, expected) in cases {
        let got = watchdog::within_default("truncate_to_bytes to return", move || {
            truncate_to_bytes(text, max_bytes).to_owned()
        });
        assert!(
            got.len() <= max_bytes,
            "truncate_to_bytes({text:?}, {max_bytes}) returned {got:?}, which is {} bytes: the \
             limit counts bytes (str::len), not characters",
            got.len()
        );
        assert_same!(
            got.as_str(),
            expected,
            "truncate_to_bytes({text:?}, {max_bytes}) should keep as many whole characters as \
             fit in {max_bytes} bytes"
        );
    }
}

#[test]
fn truncate_keeps_the_longest_start_that_fits_for_every_limit() {
    let text = MIXED;
    for max_bytes in 0..=text.len() + 1 {
        let got = watchdog::within_default("truncate_to_bytes to return", move || {
            truncate_to_bytes(text, max_bytes).to_owned()
        });
        // Where each character ends, in bytes; the cut is at the last end that fits.
        let end = text
            .char_indices()
            .map(|(at, character)| at + character.len_utf8())
            .take_while(|&end| end <= max_bytes)
            .last()
            .unwrap_or(0);
        assert_same!(
            got.as_str(),
            &text[..end],
            "truncate_to_bytes({text:?}, {max_bytes}) should keep the longest start of the text \
             that is at most {max_bytes} bytes and ends between two characters"
        );
    }
}
