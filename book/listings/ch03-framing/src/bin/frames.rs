//! Length-prefixed frames byte by byte, and what `receive_frame` makes of a hostile or cut-off
//! peer, for chapter 3.

use std::io;

use ch03_framing_listings::{receive_frame, send_frame, show};

/// Bytes as hexadecimal pairs: `00 00 00 05 68 65`.
fn hex(bytes: &[u8]) -> String {
    let pairs: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    pairs.join(" ")
}

fn main() -> io::Result<()> {
    // ANCHOR: main
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
        match receive_frame(&mut &wire[..], 4096) {
            Ok(payload) => println!("{} gives {}", hex(wire), show(&payload)),
            Err(error) => println!("{} fails: {error} ({:?})", hex(wire), error.kind()),
        }
    }
    // ANCHOR_END: main
    Ok(())
}
