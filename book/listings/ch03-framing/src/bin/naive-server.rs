//! A line server with the lecture's mistake, to run behind `cargo xtask proxy` in "Stream framing":
//! it takes every read for one message. Run it, then connect through the proxy with `nc` and watch
//! it misread what you type.
//!
//! `cargo run -p ch03-framing-listings --bin naive-server [ADDR]` (default `127.0.0.1:0`, a free
//! port, which it prints).

use std::io;
use std::net::TcpListener;
use std::thread;

use ch03_framing_listings::{naive_next_message, show};

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let listener = TcpListener::bind(&addr)?;
    println!(
        "naive server on {}: every read is taken for one message",
        listener.local_addr()?
    );
    for (number, stream) in listener.incoming().enumerate() {
        let mut stream = stream?;
        thread::spawn(move || {
            let mut count = 0;
            while let Ok(Some(message)) = naive_next_message(&mut stream) {
                count += 1;
                println!("#{} message {count}: {}", number + 1, show(&message));
            }
            println!("#{} closed", number + 1);
        });
    }
    Ok(())
}
