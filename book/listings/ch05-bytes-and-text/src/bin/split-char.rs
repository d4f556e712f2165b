//! What happens when a read ends in the middle of a character, for the chapter "Bytes and text":
//! each way of decoding the two reads of "héllo".

use ch05_bytes_and_text_listings::{as_text, hex};

// ANCHOR: split
fn main() {
    // "héllo" arrives in two reads, cut inside 'é' (c3 a9).
    let reads: [&[u8]; 2] = [b"h\xc3", b"\xa9llo"];
    println!("strict, each read alone:");
    for read in reads {
        match as_text(read) {
            Ok(text) => println!("  {}: {text:?}", hex(read)),
            Err(e) => println!("  {}: {e}", hex(read)),
        }
    }
    let lossy: String =
        reads.iter().map(|r| String::from_utf8_lossy(r)).collect();
    println!("lossy, each read alone: {lossy:?}");
    // Keep the bytes until the character is complete:
    let whole = reads.concat();
    println!("strict, bytes joined:   {:?}", as_text(&whole).unwrap());
}
// ANCHOR_END: split
