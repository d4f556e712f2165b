//! The pitfall of the capstone, happening: sam joins a chat and never reads.
//! Alice sends 5000 lines of 1 KB, 50 at a time, and bob reads each batch
//! before the next is sent. Against the naive server, which writes to every
//! socket while holding the room's lock, bob stops receiving once sam's buffers
//! are full; against the reference server, which queues lines and disconnects a
//! client whose queue stays full for two seconds, bob gets them all, after one
//! pause.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use ch08_chat_server_listings::{naive, reference};

const LINES: usize = 5000;
const BATCH: usize = 50;

/// How long bob waits for a line before he calls the server stalled: longer
/// than the two seconds the reference server waits for room in sam's queue
/// before it disconnects sam.
const PATIENCE: Duration = Duration::from_secs(3);

/// A client that reads lines, giving up after [`PATIENCE`] of silence.
struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream =
            TcpStream::connect(addr).expect("the server should accept");
        stream
            .set_read_timeout(Some(PATIENCE))
            .expect("setting a timeout");
        let reader =
            BufReader::new(stream.try_clone().expect("cloning a socket"));
        Client { stream, reader }
    }

    /// The next line, or `None` after [`PATIENCE`] without one.
    fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(n) if n > 0 => Some(line),
            _ => None,
        }
    }

    fn send(&mut self, text: &str) {
        self.stream.write_all(text.as_bytes()).expect("sending");
    }

    /// Connects to the reference server and joins as `name`, reading the two
    /// lines that takes.
    fn join(addr: SocketAddr, name: &str) -> Client {
        let mut client = Client::connect(addr);
        client.line();
        client.send(&format!("{name}\n"));
        client.line();
        client
    }
}

/// Alice sends, bob reads batch by batch; returns how many lines bob got and
/// the `*` lines he saw on the way.
fn flood(alice: &mut Client, bob: &mut Client) -> (usize, Vec<String>) {
    let filler = "z".repeat(1000);
    let mut received = 0;
    let mut notices = Vec::new();
    for batch in 0..LINES / BATCH {
        let lines: String = (0..BATCH)
            .map(|n| format!("{:04} {filler}\n", batch * BATCH + n))
            .collect();
        alice.send(&lines);
        while received < (batch + 1) * BATCH {
            match bob.line() {
                Some(line) if line.starts_with('*') => {
                    notices.push(line.trim_end().to_owned())
                }
                Some(_) => received += 1,
                None => return (received, notices),
            }
        }
    }
    (received, notices)
}

fn main() {
    reference::exit_unless_available("comparison");
    let naive_addr = naive::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .expect("naive");
    let mut alice = Client::connect(naive_addr);
    let mut bob = Client::connect(naive_addr);
    let _sam = Client::connect(naive_addr);
    // The naive server has no names and no welcome: one line from each proves
    // all three are in.
    let (received, _) = flood(&mut alice, &mut bob);
    println!("naive server, writing while holding the lock:");
    if received < LINES {
        println!(
            "  bob received some of the {LINES} lines, then nothing for three seconds: \
             stalled"
        );
    } else {
        println!(
            "  bob received all {LINES} lines (sam's buffers never filled)"
        );
    }

    let server = reference::start_or_exit();
    let addr = server.local_addr();
    let mut alice = Client::join(addr, "alice");
    let mut bob = Client::join(addr, "bob");
    alice.line();
    let _sam = Client::join(addr, "sam");
    alice.line();
    bob.line();
    let (received, notices) = flood(&mut alice, &mut bob);
    println!("reference server, a queue of 256 lines per client:");
    println!("  bob received {received} of the {LINES} lines");
    for notice in notices {
        println!("  bob also received: {notice}");
    }
    server.shutdown();
}
