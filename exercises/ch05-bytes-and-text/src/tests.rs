//! The tests of chapter 5. The same file grades your exercise and the reference solution.

use super::*;

use std::io::Write;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

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
        Ok(()) => assert_eq!(
            text, expected,
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
    assert_eq!(
        first, "h",
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
fn counts_positions_from_the_start_of_the_stream() {
    let cases: [(&[&[u8]], usize); 3] = [
        (&[b"abc", b"de\xff"], 5),
        (&[b"ab\xe2\x82", b"x"], 2),
        (&[b"\xc3\xa9", b"\xc3\xa9", b"\xc3"], 4),
    ];
    for (pieces, offset) in cases {
        let (_, end) = decode_pieces(pieces.iter().map(|p| p.to_vec()).collect());
        let shown = show_chunks(pieces);
        match end {
            Err(TextError::Invalid { offset: got }) if got == offset => {}
            Err(TextError::Truncated { offset: got }) if offset == 4 && got == offset => {}
            other => panic!(
                "in the chunks {shown}, the first bad byte is byte {offset} of the stream: \
                 expected that position, got {other:?}; count the bytes of earlier chunks too"
            ),
        }
    }
}

#[test]
fn reports_a_character_cut_off_by_the_end_of_the_stream() {
    let (text, end) = decode_pieces(vec![b"abc\xf0\x9f\x98".to_vec()]);
    assert_eq!(
        text, "abc",
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
        Ok(first) => assert_eq!(
            first, "h",
            "after the first write (\"h\\xc3\") only \"h\" is complete text"
        ),
        Err(_) => panic!(
            "stream_text had not passed on \"h\" 5 s after it arrived; call on_text with the \
             complete characters of each read as soon as it returns, not at the end"
        ),
    }
    assert_eq!(all, "héllo", "the peer sent \"héllo\"");
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
    assert_eq!(
        pieces, "abc",
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
}

#[test]
fn truncate_counts_bytes_and_never_splits_a_character() {
    let cases = [
        ("héllo", 2, "h"),
        ("héllo", 3, "hé"),
        ("😀😀", 7, "😀"),
        ("😀😀", 8, "😀😀"),
        ("short", 100, "short"),
        ("€", 2, ""),
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
        assert_eq!(
            got, expected,
            "truncate_to_bytes({text:?}, {max_bytes}) should keep as many whole characters as \
             fit in {max_bytes} bytes"
        );
    }
}
