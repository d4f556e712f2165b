//! A peer that closes before a frame's header and one that closes inside it: `read_exact` gives
//! the same error for both, `fill` tells them apart, for the chapter "Stream framing".

use std::io::{self, Read};

use ch03_framing_listings::fill;

// ANCHOR: main
/// A peer that closes before a header, and one that closes inside it.
fn main() -> io::Result<()> {
    let peers = [("a clean end", &b""[..]), ("a cut header", b"\x00\x00")];
    for (what, wire) in peers {
        let mut header = [0; 4];
        let exact = (&mut &wire[..]).read_exact(&mut header);
        let got = fill(&mut &wire[..], &mut header)?;
        let kind = exact.unwrap_err().kind();
        println!("{what}: read_exact says {kind:?}, fill got {got} of 4 bytes");
    }
    Ok(())
}
// ANCHOR_END: main
