//! One connection, two threads: `try_clone` gives a second handle to the same
//! socket, so one thread can write to the peer while another reads from it.

use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::Receiver;
use std::thread::{self, JoinHandle};

// ANCHOR: try_clone
/// Writes every line that arrives on `lines` to the peer, on a thread of its
/// own, while the caller goes on reading from the same connection.
pub fn spawn_writer(
    stream: &TcpStream,
    lines: Receiver<String>,
) -> io::Result<JoinHandle<io::Result<()>>> {
    // A second handle to the same socket: owned, so it can move into the
    // thread. It fails when the process has no file descriptor left.
    let mut writer = stream.try_clone()?;
    Ok(thread::spawn(move || {
        for line in lines {
            writer.write_all(line.as_bytes())?;
        }
        // Every sender is gone. `shutdown` acts on the socket, not on this
        // handle: the peer reads the end of the stream, although the
        // caller's handle is still open.
        writer.shutdown(Shutdown::Write)
    }))
}
// ANCHOR_END: try_clone

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read};
    use std::sync::mpsc;
    use testkit::{net, watchdog};

    #[test]
    fn one_thread_writes_while_another_reads_the_same_connection() {
        watchdog::within_default("the two directions to finish", || {
            let listener = net::listener();
            let mut client = net::connect(listener.local_addr().unwrap());
            let (server, _) = listener.accept().unwrap();
            let (lines, queue) = mpsc::channel();
            let writer = spawn_writer(&server, queue).unwrap();

            // The client speaks first, and the server's own handle reads it
            // while the writer thread waits for lines.
            client.write_all(b"hello from the client\n").unwrap();
            let mut heard = String::new();
            BufReader::new(&server).read_line(&mut heard).unwrap();
            assert_eq!(heard, "hello from the client\n");

            lines.send("one\n".to_owned()).unwrap();
            lines.send("two\n".to_owned()).unwrap();
            drop(lines);
            writer.join().unwrap().unwrap();
            // The server's handle is still open, yet the client sees the end
            // of the stream: the writer shut the socket's sending side.
            let mut got = String::new();
            client.read_to_string(&mut got).unwrap();
            assert_eq!(got, "one\ntwo\n");
            drop(server);
        });
    }
}
