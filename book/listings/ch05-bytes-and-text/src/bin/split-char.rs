//! What UTF-8 looks like on the wire, and what happens when a read ends in the middle of a
//! character, for chapter 5.

use ch05_bytes_and_text_listings::{as_text, hex};

fn main() {
    // ANCHOR: sizes
    let text = "héllo €😀";
    for character in text.chars() {
        let mut buffer = [0; 4];
        let bytes = character.encode_utf8(&mut buffer).as_bytes();
        println!("{character:?} is {} byte(s): {}", bytes.len(), hex(bytes));
    }
    println!("{text:?}: len() = {} bytes", text.len());
    println!(
        "{text:?}: chars().count() = {} characters",
        text.chars().count()
    );
    // ANCHOR_END: sizes
    println!();

    // ANCHOR: split
    // "héllo" arrives in two reads, cut inside 'é' (c3 a9).
    let reads: [&[u8]; 2] = [b"h\xc3", b"\xa9llo"];
    for read in reads {
        match as_text(read) {
            Ok(text) => println!("strict, each read alone: {text:?}"),
            Err(error) => println!(
                "strict, each read alone: {} gives an error: {error}",
                hex(read)
            ),
        }
    }
    let lossy: String = reads.iter().map(|r| String::from_utf8_lossy(r)).collect();
    println!("lossy, each read alone:  {lossy:?}");
    let whole = reads.concat(); // keep the bytes until the character is complete
    println!("strict, bytes joined:    {:?}", as_text(&whole).unwrap());
    // ANCHOR_END: split
}
