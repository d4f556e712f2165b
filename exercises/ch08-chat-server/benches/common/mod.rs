//! What the chat server's benchmarks share: a chat server run as a child process, what the
//! operating system says it uses (memory, CPU, descriptors, threads: from `/proc`, so Linux only;
//! "n/a" elsewhere), and a client.
//!
//! The server under test is the `chat-server` program of the package that runs the benchmark.
//! Set `CHAT_SERVER_BASELINE` to the path of another `chat-server` binary (an older build, say)
//! to measure it side by side in the same run.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

/// The environment variable that names a second server binary to measure beside ours.
pub const BASELINE: &str = "CHAT_SERVER_BASELINE";

/// A server under test, running as a child process.
pub struct Server {
    pub label: String,
    child: Child,
    pub addr: SocketAddr,
    /// Kept open: a server whose output pipe is closed may fail when it prints.
    _output: BufReader<ChildStdout>,
}

impl Server {
    /// Starts `command`, which must print `… listening on ADDRESS` as its first line.
    pub fn spawn(label: impl Into<String>, mut command: Command) -> Option<Server> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut output = BufReader::new(child.stdout.take()?);
        let mut first = String::new();
        output.read_line(&mut first).ok()?;
        let addr = first.split_whitespace().last()?.parse().ok()?;
        Some(Server {
            label: label.into(),
            child,
            addr,
            _output: output,
        })
    }

    /// A chat server binary started on `127.0.0.1:0`.
    fn chat_server(label: String, binary: &str) -> Option<Server> {
        let mut command = Command::new(binary);
        command.arg("127.0.0.1:0");
        Server::spawn(label, command)
    }

    /// This package's `chat-server`: yours, or the reference solution's.
    pub fn ours() -> Server {
        Server::chat_server(
            format!("Rust, {}", env!("CARGO_PKG_NAME")),
            env!("CARGO_BIN_EXE_chat-server"),
        )
        .expect(
            "the chat-server program should start and print where it listens (does `cargo \
             xtask check ch8` pass?)",
        )
    }

    /// The binary [`BASELINE`] names, if it is set.
    pub fn baseline() -> Option<Server> {
        let binary = std::env::var(BASELINE).ok()?;
        let server = Server::chat_server("Rust, baseline".to_owned(), &binary);
        if server.is_none() {
            println!("{BASELINE}={binary} did not start, so it is left out");
        }
        server
    }

    fn status(&self, field: &str) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|line| line.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// A resident-memory figure of the server process, in MiB: `VmRSS:` now, or `VmHWM:`, the
    /// peak.
    pub fn memory(&self, field: &str) -> Option<f64> {
        Some(self.status(field)? / 1024.0)
    }

    /// The server process's threads.
    pub fn threads(&self) -> Option<usize> {
        self.status("Threads:").map(|threads| threads as usize)
    }

    /// The server process's open file descriptors.
    pub fn descriptors(&self) -> Option<usize> {
        Some(
            std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
                .ok()?
                .count(),
        )
    }

    /// CPU time the server process has used so far (user and system), in seconds.
    pub fn cpu(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
        // utime and stime, the 14th and 15th fields, in clock ticks of (almost always) 1/100 s.
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some(ticks / 100.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A chat client for the benchmarks.
pub struct Client {
    pub stream: TcpStream,
    pub reader: BufReader<TcpStream>,
}

impl Client {
    /// Connects, and reads nothing.
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connecting to the server under test");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("setting a timeout");
        Client {
            reader: BufReader::new(stream.try_clone().expect("cloning a socket")),
            stream,
        }
    }

    /// Connects, reads the welcome, sends `name` and reads the room line.
    pub fn join(addr: SocketAddr, name: &str) -> Client {
        Client::try_join(addr, name).unwrap_or_else(|| panic!("{name} could not join"))
    }

    /// Like [`Client::join`], but `None` when the server turns the client away.
    pub fn try_join(addr: SocketAddr, name: &str) -> Option<Client> {
        let mut client = Client::connect(addr);
        let mut welcome = String::new();
        let read = client.reader.read_line(&mut welcome).ok()?;
        if read == 0 || welcome.starts_with("* error") {
            return None;
        }
        client
            .stream
            .write_all(format!("{name}\n").as_bytes())
            .ok()?;
        let mut room = String::new();
        let read = client.reader.read_line(&mut room).ok()?;
        (read > 0 && room.starts_with('*') && !room.starts_with("* error")).then_some(client)
    }

    pub fn line(&mut self) -> String {
        let mut line = String::new();
        let read = self.reader.read_line(&mut line).expect("reading a line");
        assert!(
            read > 0,
            "the server closed the connection during the benchmark"
        );
        line
    }

    pub fn send(&mut self, text: &str) {
        self.stream.write_all(text.as_bytes()).expect("sending");
    }
}

/// A figure, or "n/a".
pub fn show<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |value| value.to_string())
}
