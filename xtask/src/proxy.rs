//! `cargo xtask proxy`: a TCP proxy that forwards every byte between a client and a server, in
//! both directions, but cuts the stream into pieces of its own choosing and prints each piece.
//!
//! TCP keeps the order of the bytes, never the size of the writes. On loopback the sizes usually
//! survive by luck, so code that treats one read as one message seems to work. Put this proxy in
//! between and the luck runs out: messages arrive split and merged, as they can on a real
//! network, and the printout shows how. It never loses, adds or reorders a byte, serves many
//! connections at once, and forwards a half-close (`shutdown(Write)`) as a half-close.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::str::FromStr;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use testkit::peer::Cut;
use testkit::seed::Rng;

use crate::shell::Shell;

/// The largest piece `--chunk random` makes.
const RANDOM_MAX: usize = 8;

/// How much the proxy reads from one side at a time.
const READ_SIZE: usize = 64 * 1024;

/// How many bytes of a piece the printout shows.
const SHOWN: usize = 40;

/// Forward TCP connections to a server, re-cutting the byte stream on the way and printing every
/// piece: watch one message arrive in several reads, or several in one.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where clients connect: `127.0.0.1:6000`, or port 0 for any free port.
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// The server to forward to: `127.0.0.1:5555`.
    #[arg(long, value_name = "ADDR")]
    to: String,
    /// How to cut the stream: `1` (byte by byte), a number of bytes, or `random` (1 to 8).
    #[arg(long, value_name = "1|N|random", default_value = "random")]
    chunk: Chunk,
    /// A pause after each forwarded piece, in milliseconds, so pieces arrive as separate reads.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    delay: u64,
    /// The seed of `--chunk random`: the same seed cuts the same stream the same way.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// How the proxy cuts what it forwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chunk {
    /// Pieces of this many bytes (the last piece of a read may be shorter).
    Fixed(usize),
    /// Pieces of 1 to [`RANDOM_MAX`] bytes.
    Random,
}

impl FromStr for Chunk {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "random" => Ok(Chunk::Random),
            number => match number.parse::<usize>() {
                Ok(size) if size > 0 => Ok(Chunk::Fixed(size)),
                _ => Err(format!(
                    "`{text}` is not a way to cut: give `1`, a number of bytes, or `random`"
                )),
            },
        }
    }
}

impl fmt::Display for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Chunk::Fixed(1) => write!(f, "byte by byte"),
            Chunk::Fixed(size) => write!(f, "in pieces of {size} bytes"),
            Chunk::Random => write!(f, "in random pieces of 1 to {RANDOM_MAX} bytes"),
        }
    }
}

/// What the proxy does with each connection, whatever prints it.
#[derive(Clone)]
pub struct Relay {
    pub chunk: Chunk,
    pub delay: Duration,
    pub seed: u64,
    /// Called with one line for every piece forwarded and every end of stream.
    pub log: Arc<dyn Fn(String) + Send + Sync>,
}

impl Args {
    /// Runs `cargo xtask proxy` until it is interrupted, anywhere (it needs no workbook);
    /// returns only when it cannot start.
    pub fn run(self, shell: &Shell) -> Result<bool> {
        let target = self
            .to
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve the server's address `{}`", self.to))?
            .next()
            .with_context(|| format!("`{}` resolves to no address", self.to))?;
        let listener = TcpListener::bind(&self.listen)
            .with_context(|| format!("cannot listen on `{}`", self.listen))?;
        let log = shell.clone();
        let relay = Relay {
            chunk: self.chunk,
            delay: Duration::from_millis(self.delay),
            seed: self.seed,
            log: Arc::new(move |line| log.line(line)),
        };
        shell.line(format!(
            "proxy on {}, forwarding to {target}, cutting {}{}; Ctrl-C stops it",
            listener.local_addr()?,
            relay.chunk,
            match self.delay {
                0 => String::new(),
                ms => format!(", {ms} ms between pieces"),
            }
        ));
        serve(listener, target, relay);
        Ok(true)
    }
}

/// Accepts clients on `listener` for ever, forwarding each to `target` on threads of its own.
pub fn serve(listener: TcpListener, target: SocketAddr, relay: Relay) {
    for (number, client) in listener.incoming().enumerate() {
        let connection = number + 1;
        let log = Arc::clone(&relay.log);
        match client {
            Ok(client) => {
                let relay = relay.clone();
                thread::spawn(move || {
                    if let Err(error) = connect(client, target, connection, &relay) {
                        log(format!("#{connection} {error:#}"));
                    }
                });
            }
            Err(error) => log(format!("could not accept a connection: {error}")),
        }
    }
}

/// Connects client `connection` to the server and forwards both ways until both have ended.
fn connect(client: TcpStream, target: SocketAddr, connection: usize, relay: &Relay) -> Result<()> {
    let server = TcpStream::connect(target)
        .with_context(|| format!("could not connect to the server at {target}"))?;
    (relay.log)(format!(
        "#{connection} connected: {} → proxy → {target}",
        client.peer_addr()?
    ));
    // Without this, small pieces written in quick succession would be merged again by the
    // kernel (Nagle's algorithm) before they leave.
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let upstream = {
        let (from, to, relay) = (client.try_clone()?, server.try_clone()?, relay.clone());
        thread::spawn(move || forward(from, to, connection, "client → server", 0, &relay))
    };
    forward(server, client, connection, "server → client", 1, relay);
    let _ = upstream.join();
    (relay.log)(format!("#{connection} closed"));
    Ok(())
}

/// Copies `from` to `to`, cut as the relay says, until `from` ends; then passes the end on.
fn forward(
    mut from: TcpStream,
    mut to: TcpStream,
    connection: usize,
    direction: &str,
    stream: u64,
    relay: &Relay,
) {
    // Each direction of each connection gets its own sequence of random sizes, so a run with
    // the same seed and the same traffic cuts the same way.
    let mut rng = Rng::new(
        relay
            .seed
            .wrapping_mul(1_000_003)
            .wrapping_add(connection as u64 * 2 + stream),
    );
    let mut buffer = vec![0; READ_SIZE];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) => {
                // Printed first, so the line is out before the other side can see the end.
                (relay.log)(format!(
                    "#{connection} {direction}  end of stream (passed on as shutdown(Write))"
                ));
                // A half-close stays a half-close: the other direction carries on.
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                (relay.log)(format!("#{connection} {direction}  {error}; closing"));
                let _ = to.shutdown(Shutdown::Both);
                return;
            }
        };
        for piece in pieces(&buffer[..read], relay.chunk, &mut rng) {
            // Printed before it is written, so the printout never lags behind what the other
            // side has already received.
            (relay.log)(format!(
                "#{connection} {direction}  {:>3} bytes {}",
                piece.len(),
                show(piece)
            ));
            if let Err(error) = to.write_all(piece) {
                (relay.log)(format!("#{connection} {direction}  {error}; closing"));
                let _ = from.shutdown(Shutdown::Both);
                return;
            }
            if !relay.delay.is_zero() {
                // Pacing the pieces is the proxy's job: it makes each one a read of its own.
                thread::sleep(relay.delay);
            }
        }
    }
}

/// `data` cut into the pieces that `chunk` asks for.
fn pieces<'a>(data: &'a [u8], chunk: Chunk, rng: &mut Rng) -> Vec<&'a [u8]> {
    let cut = match chunk {
        Chunk::Fixed(size) => Cut::Fixed(size),
        Chunk::Random => Cut::Random {
            seed: rng.next_u64(),
            max: RANDOM_MAX,
        },
    };
    cut.pieces(data)
}

/// A piece as the printout shows it: in quotes, escaped, shortened when long.
pub fn show(piece: &[u8]) -> String {
    let shown = piece[..piece.len().min(SHOWN)].escape_ascii();
    let more = if piece.len() > SHOWN { "…" } else { "" };
    format!("\"{shown}{more}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use testkit::net;
    use testkit::watchdog;

    /// An echo server on port 0: sends back every byte, and closes after the client's end.
    fn echo_server() -> SocketAddr {
        let listener = net::listener();
        let addr = net::addr_of(&listener);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                thread::spawn(move || {
                    let mut writer = stream.try_clone().unwrap();
                    let _ = io::copy(&mut stream, &mut writer);
                    let _ = writer.shutdown(Shutdown::Write);
                });
            }
        });
        addr
    }

    /// A proxy on port 0 in front of `target`; returns its address and the lines it printed.
    fn proxy(target: SocketAddr, chunk: Chunk, seed: u64) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
        let listener = net::listener();
        let addr = net::addr_of(&listener);
        let lines = Arc::new(Mutex::new(Vec::new()));
        let log = {
            let lines = Arc::clone(&lines);
            Arc::new(move |line| lines.lock().unwrap().push(line))
        };
        let relay = Relay {
            chunk,
            delay: Duration::ZERO,
            seed,
            log,
        };
        thread::spawn(move || serve(listener, target, relay));
        (addr, lines)
    }

    /// Sends `data` through the proxy to the echo server, half-closes, and reads the echo.
    fn round_trip(proxy: SocketAddr, data: Vec<u8>) -> Vec<u8> {
        let mut client = net::connect(proxy);
        let writer = {
            let mut client = client.try_clone().unwrap();
            thread::spawn(move || {
                client.write_all(&data).unwrap();
                client.shutdown(Shutdown::Write).unwrap();
            })
        };
        let mut echoed = Vec::new();
        client.read_to_end(&mut echoed).unwrap();
        writer.join().unwrap();
        echoed
    }

    #[test]
    fn parses_the_ways_to_cut() {
        assert_eq!("1".parse(), Ok(Chunk::Fixed(1)));
        assert_eq!("512".parse(), Ok(Chunk::Fixed(512)));
        assert_eq!("random".parse(), Ok(Chunk::Random));
        assert!("0".parse::<Chunk>().is_err());
        assert!("big".parse::<Chunk>().is_err());
    }

    #[test]
    fn cuts_as_asked_and_keeps_every_byte() {
        let data = Rng::new(5).bytes(1000);
        let mut rng = Rng::new(1);
        for chunk in [Chunk::Fixed(1), Chunk::Fixed(7), Chunk::Random] {
            let pieces = pieces(&data, chunk, &mut rng);
            assert_eq!(pieces.concat(), data, "{chunk:?}");
            let largest = pieces.iter().map(|p| p.len()).max().unwrap();
            let limit = match chunk {
                Chunk::Fixed(size) => size,
                Chunk::Random => RANDOM_MAX,
            };
            assert!(
                largest <= limit,
                "{chunk:?} made a piece of {largest} bytes"
            );
        }
    }

    #[test]
    fn forwards_every_byte_in_order_both_ways_and_passes_on_the_half_close() {
        let server = echo_server();
        for (chunk, seed) in [
            (Chunk::Fixed(1), 0),
            (Chunk::Fixed(100), 0),
            (Chunk::Random, 3),
        ] {
            let (proxy, lines) = proxy(server, chunk, seed);
            let data = Rng::new(seed + 10).bytes(50_000);
            let sent = data.clone();
            let echoed = watchdog::within_default(
                "the echo through the proxy (is the half-close passed on?)",
                move || round_trip(proxy, sent),
            );
            assert!(
                echoed == data,
                "{chunk:?}: the echo differs from what was sent"
            );
            let lines = lines.lock().unwrap();
            assert!(
                lines.iter().any(|l| l.contains("end of stream")),
                "the printout says nothing of the end of stream: {lines:?}"
            );
        }
    }

    #[test]
    fn serves_many_connections_at_once() {
        let server = echo_server();
        let (proxy, _) = proxy(server, Chunk::Random, 7);
        let clients: Vec<_> = (0..20)
            .map(|n| {
                let data = Rng::new(n).bytes(5000 + n as usize);
                thread::spawn(move || (round_trip(proxy, data.clone()), data))
            })
            .collect();
        for client in clients {
            let (echoed, data) = watchdog::join(client, watchdog::DEFAULT_LIMIT, "a client")
                .expect("a client thread failed");
            assert!(echoed == data, "a client's echo differs from what it sent");
        }
    }

    #[test]
    fn prints_one_line_per_piece() {
        let server = echo_server();
        let (proxy, lines) = proxy(server, Chunk::Fixed(5), 0);
        let echoed = watchdog::within_default("the echo through the proxy", move || {
            round_trip(proxy, b"msg1\nmsg2\n".to_vec())
        });
        assert_eq!(echoed, b"msg1\nmsg2\n");
        let lines = lines.lock().unwrap();
        // How the proxy's reads fell is up to the kernel, so the test looks at the shape of the
        // lines and at what they add up to, not at the exact pieces.
        let sizes: Vec<usize> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("#1 client → server "))
            .filter_map(|rest| rest.split_once(" bytes \"")?.0.trim().parse().ok())
            .collect();
        assert!(
            sizes.iter().all(|&size| (1..=5).contains(&size)) && sizes.iter().sum::<usize>() == 10,
            "expected lines like `#1 client → server    5 bytes \"msg1\\n\"` adding up to the 10 \
             bytes sent: {lines:?}"
        );
    }
}
