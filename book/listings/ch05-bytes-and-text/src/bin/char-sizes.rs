//! What UTF-8 looks like on the wire, bytes against characters, and where a string may be cut,
//! for the chapter "Bytes and text".

use ch05_bytes_and_text_listings::hex;

fn main() {
    sizes();
    println!();
    boundaries();
}

// ANCHOR: sizes
/// Each character of a string, with its UTF-8 bytes.
fn sizes() {
    let text = "héllo €😀";
    for character in text.chars() {
        let mut buffer = [0; 4];
        let bytes = character.encode_utf8(&mut buffer).as_bytes();
        println!("{character:?} is {} byte(s): {}", bytes.len(), hex(bytes));
    }
    println!("{text:?}: len() = {} bytes", text.len());
    let count = text.chars().count();
    println!("{text:?}: chars().count() = {count} characters");
}
// ANCHOR_END: sizes

// ANCHOR: boundaries
/// Where "héllo" may be cut: between two characters, never inside one.
fn boundaries() {
    let text = "héllo";
    for at in 0..=3 {
        let boundary = text.is_char_boundary(at);
        // `get` gives `None` where `&text[..at]` would panic.
        println!("cut at {at}: boundary {boundary}, {:?}", text.get(..at));
    }
}
// ANCHOR_END: boundaries
