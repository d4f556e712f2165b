//! Length-prefixed frames byte by byte, and what `receive_frame` makes of a hostile or cut-off
//! peer, for the chapter "Stream framing".

use std::io;

use ch03_framing_listings::{hex, receive_frame, send_frame, show};

// ANCHOR: main
fn main() -> io::Result<()> {
    for payload in [&b"hello"[..], b"", b"msg1\n"] {
        let mut wire = Vec::new();
        send_frame(&mut wire, payload)?;
        println!("send_frame({}) sends {}", show(payload), hex(&wire));
    }
    let peers: [&[u8]; 3] = [
        b"\x00\x00\x00\x05hello", // a good frame
        b"\xff\xff\xff\xffhello", // announces 4 GiB
        b"\x00\x00\x00\x05hel",   // closes mid-frame
    ];
    for wire in peers {
        print!("receive_frame({}) ", hex(wire));
        match receive_frame(&mut &wire[..], 4096) {
            Ok(payload) => println!("gives {}", show(&payload)),
            Err(e) => println!("fails with {:?}:\n    {e}", e.kind()),
        }
    }
    Ok(())
}
// ANCHOR_END: main
