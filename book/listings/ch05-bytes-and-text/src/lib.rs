//! The code that chapter 5 of the book shows, included by anchor and compiled here.
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
}
