//! The code that the book's chapter "Bytes and text" shows, included by anchor and compiled here.
//!
//! The programs in `src/bin/` print the output the chapter shows (the book runs them when it is
//! built); the tests below check the functions here.

use std::io::{self, Write};
use std::str::Utf8Error;

// ANCHOR: encode
/// Sends text: a `&str` is UTF-8 already, and `as_bytes` shows its bytes.
pub fn send_text(stream: &mut impl Write, text: &str) -> io::Result<()> {
    stream.write_all(text.as_bytes())
}

/// A byte string literal is bytes from the start: `&[u8; 12]`, not `&str`.
pub fn send_greeting(stream: &mut impl Write) -> io::Result<()> {
    stream.write_all(b"Hello world\n")
}
// ANCHOR_END: encode

// ANCHOR: decode
/// Reads received bytes as text, strictly: bytes that are not UTF-8
/// are an error that says where, never a silent repair.
pub fn as_text(bytes: &[u8]) -> Result<&str, Utf8Error> {
    std::str::from_utf8(bytes)
}
// ANCHOR_END: decode

// ANCHOR: check
/// What `from_utf8` says about `bytes`, in words.
pub fn check(bytes: &[u8]) -> String {
    let error = match std::str::from_utf8(bytes) {
        Ok(text) => return format!("all text: {text:?}"),
        Err(error) => error,
    };
    let (good, rest) = bytes.split_at(error.valid_up_to());
    // The bytes before `valid_up_to` are UTF-8: this cannot fail.
    let good = std::str::from_utf8(good).expect("valid up to here");
    match error.error_len() {
        // The bytes ran out in the middle of a character.
        None => format!("{good:?}, then {} cut off: wait", hex(rest)),
        // These bytes can never be UTF-8, whatever follows them.
        Some(len) => format!("{good:?}, then {} is bad", hex(&rest[..len])),
    }
}
// ANCHOR_END: check

/// Bytes as hexadecimal pairs: `68 c3 a9`.
pub fn hex(bytes: &[u8]) -> String {
    let pairs: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    pairs.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_goes_out_as_its_utf8_bytes() {
        let mut wire = Vec::new();
        send_text(&mut wire, "hé").unwrap();
        send_greeting(&mut wire).unwrap();
        assert_eq!(wire, b"h\xc3\xa9Hello world\n");
    }

    #[test]
    fn strict_decoding_says_where_the_bytes_went_wrong() {
        assert_eq!(as_text(b"h\xc3\xa9").unwrap(), "hé");
        assert_eq!(as_text(b"h\xc3").unwrap_err().valid_up_to(), 1);
        assert_eq!(hex("é".as_bytes()), "c3 a9");
    }

    #[test]
    fn check_tells_a_cut_character_from_bad_bytes() {
        assert_eq!(check(b"h\xc3\xa9"), r#"all text: "hé""#);
        assert_eq!(check(b"h\xc3"), r#""h", then c3 cut off: wait"#);
        assert_eq!(
            check(b"h\xf0\x9f\x98"),
            r#""h", then f0 9f 98 cut off: wait"#
        );
        assert_eq!(check(b"h\xffi"), r#""h", then ff is bad"#);
        // A surrogate (ed a0 80) is bad from its second byte on: no byte could complete it.
        assert_eq!(check(b"h\xed\xa0\x80"), r#""h", then ed is bad"#);
        // A character cut off in the middle of the bytes, not at their end, is bad too.
        assert_eq!(check(b"\xc3h"), r#""", then c3 is bad"#);
    }

    #[test]
    fn string_from_utf8_gives_the_bytes_back_on_error() {
        let error =
            String::from_utf8(b"caf\xc3\xa9 \xff".to_vec()).unwrap_err();
        assert_eq!(error.utf8_error().valid_up_to(), 6);
        assert_eq!(error.into_bytes(), b"caf\xc3\xa9 \xff");
        let lossy = String::from_utf8_lossy(b"caf\xc3\xa9 \xff");
        assert_eq!(lossy, "café \u{fffd}");
    }

    #[test]
    fn a_cut_inside_a_character_is_not_a_boundary() {
        let text = "héllo";
        let boundaries: Vec<bool> =
            (0..=3).map(|i| text.is_char_boundary(i)).collect();
        assert_eq!(boundaries, [true, true, false, true]);
        assert_eq!(text.get(..2), None);
        assert_eq!(text.get(..3), Some("hé"));
    }
}
