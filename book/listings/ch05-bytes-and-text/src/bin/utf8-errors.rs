//! What `std::str::from_utf8` and `String::from_utf8` say about bytes that are not (yet) text,
//! for the chapter "Bytes and text".

use ch05_bytes_and_text_listings::{check, hex};

// ANCHOR: main
fn main() {
    let inputs: [&[u8]; 5] = [
        b"h\xc3\xa9",     // "hé", whole
        b"h\xc3",         // 'é' cut after its first byte
        b"h\xf0\x9f\x98", // '😀' cut after three of its four bytes
        b"h\xffi",        // ff is never UTF-8
        b"h\xed\xa0\x80", // a UTF-16 surrogate: never UTF-8 either
    ];
    for bytes in inputs {
        println!("{:<12} {}", hex(bytes), check(bytes));
    }

    // String::from_utf8 takes a Vec<u8> and keeps its bytes, no copy;
    // on error it gives them back.
    let line = b"caf\xc3\xa9 \xff".to_vec();
    if let Err(error) = String::from_utf8(line) {
        let at = error.utf8_error().valid_up_to();
        let bytes = error.into_bytes();
        println!("String::from_utf8: bad at byte {at} of {}", bytes.len());
    }
}
// ANCHOR_END: main
