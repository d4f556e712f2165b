//! The lecture's three messages, cut into pieces on their way to a naive server and to a framed
//! one, for the chapter "Stream framing". The naive server takes each read for a message; the
//! framed server finds every message, however the stream was cut.
//!
//! The program plays the client and the re-cutting proxy in one (`cargo xtask proxy` does the
//! same between separate programs), and writes each piece only once the server has dealt with
//! the one before, so every run reads the same pieces and the book's copy never goes stale.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;

use ch03_framing_listings::{naive_next_message, show, split_lines};

/// The lecture's client: `sendall("msg1\n")`, `sendall("msg2\n")`, `sendall("msg3\n")`.
const MESSAGES: &[u8] = b"msg1\nmsg2\nmsg3\n";

/// A server's stream that tells the proxy when the server comes back for more, which is when it
/// has finished with the previous piece.
struct Paced {
    stream: TcpStream,
    done_with_piece: Sender<()>,
    reads: usize,
}

impl Read for Paced {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.reads > 0 {
            // The proxy may be gone already after the last piece; nothing to tell then.
            let _ = self.done_with_piece.send(());
        }
        self.reads += 1;
        self.stream.read(buf)
    }
}

/// One read, one message: what the lecture warns against.
fn naive_server(mut stream: Paced) -> io::Result<()> {
    while let Some(message) = naive_next_message(&mut stream)? {
        println!("  server: one read, so one message: {}", show(&message));
    }
    Ok(())
}

/// Messages end at `\n`: the bytes after the last one wait in the buffer for the next read.
fn framed_server(mut stream: Paced) -> io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0; 512];
    loop {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..read]);
        let lines = split_lines(&mut buffer);
        let shown: Vec<String> = lines.iter().map(|line| show(line)).collect();
        match shown.len() {
            0 => println!(
                "  server: no whole message yet, keeps {}",
                show(&buffer)
            ),
            1 => println!(
                "  server: message {}, keeps {}",
                shown[0],
                show(&buffer)
            ),
            _ => println!(
                "  server: messages {}, keeps {}",
                shown.join(" and "),
                show(&buffer)
            ),
        }
    }
}

/// Sends the messages to `server` through a proxy that cuts them into pieces of `lengths` bytes.
fn run(
    lengths: &[usize],
    server: fn(Paced) -> io::Result<()>,
) -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?; // port 0: any free port
    let addr = listener.local_addr()?;
    let (done_with_piece, piece_done): (Sender<()>, Receiver<()>) =
        mpsc::channel();
    let server = thread::spawn(move || -> io::Result<()> {
        let (stream, _) = listener.accept()?;
        server(Paced {
            stream,
            done_with_piece,
            reads: 0,
        })
    });
    let mut proxy = TcpStream::connect(addr)?;
    proxy.set_nodelay(true)?; // each piece leaves at once, on its own
    let mut rest = MESSAGES;
    for &len in lengths {
        let (piece, after) = rest.split_at(len);
        rest = after;
        println!("client → server  {len:>2} bytes {}", show(piece));
        proxy.write_all(piece)?;
        piece_done
            .recv()
            .map_err(|_| io::Error::other("the server stopped early"))?;
    }
    proxy.shutdown(Shutdown::Write)?;
    server.join().expect("the server thread panicked")
}

fn main() -> io::Result<()> {
    let cuts: [(&str, &[usize]); 2] = [
        ("all three messages arrive in one read", &[15]),
        ("the stream is cut as the lecture warns", &[2, 9, 4]),
    ];
    for (what, lengths) in cuts {
        println!("== {what} ==");
        println!("-- a naive server (one read is one message)");
        run(lengths, naive_server)?;
        println!("-- a framed server (a message ends at \\n)");
        run(lengths, framed_server)?;
        println!();
    }
    Ok(())
}
