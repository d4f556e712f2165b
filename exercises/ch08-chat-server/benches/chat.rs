//! Benchmark of chapter 8: a chat server in Rust beside a Python server written the lecture's way
//! (`benches/python/chat_server.py`), both run as child processes and driven by the same clients
//! in one run. The Rust server is the `chat-server` program of the package that runs the
//! benchmark: yours (`cargo bench -p ch08-chat-server`, once `cargo xtask check ch8` passes), or
//! the reference solution's in the instructor's workbook. It measures broadcast fan-out (one sender, 49 receivers, lines
//! delivered per second) and resident memory (VmRSS, from `/proc/<pid>/status` on Linux) after
//! start, at the peak of a 10 MiB line without a line feed, and with 100 idle clients.
//!
//! Without `python3`, or off Linux for memory, the missing figures say "n/a".

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Clients in the fan-out: one sender and the receivers.
const CLIENTS: usize = 50;
/// Messages the sender sends.
const MESSAGES: usize = 10_000;
/// Lines the sender may be ahead of the slowest receiver, well under the server's 256-line queue.
const WINDOW: usize = 200;
/// Clients in the idle-memory measurement.
const IDLE_CLIENTS: usize = 100;
/// The size of the line without a line feed.
const FLOOD_BYTES: usize = 10 * 1024 * 1024;

/// A server under test, running as a child process.
struct Server {
    label: &'static str,
    child: Child,
    addr: SocketAddr,
    /// Kept open: a server whose output pipe is closed may fail when it prints.
    _output: BufReader<ChildStdout>,
}

impl Server {
    /// Starts `command`, which must print `… listening on ADDRESS` as its first line.
    fn spawn(label: &'static str, mut command: Command) -> Option<Server> {
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
            label,
            child,
            addr,
            _output: output,
        })
    }

    /// A resident-memory figure of the server process, in MiB: `VmRSS` now, or `VmHWM`, the peak.
    fn memory(&self, field: &str) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|line| line.starts_with(field))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }
}

impl Server {
    /// CPU time the server process has used so far (user and system), in seconds.
    fn cpu(&self) -> Option<f64> {
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

/// A chat client for the benchmark.
struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn join(addr: SocketAddr, name: &str) -> Client {
        let stream = TcpStream::connect(addr).expect("connecting to the server under test");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("setting a timeout");
        let mut client = Client {
            reader: BufReader::new(stream.try_clone().expect("cloning a socket")),
            stream,
        };
        client.line(); // The welcome.
        client.send(&format!("{name}\n"));
        client.line(); // The room line.
        client
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        let read = self.reader.read_line(&mut line).expect("reading a line");
        assert!(
            read > 0,
            "the server closed the connection during the benchmark"
        );
        line
    }

    fn send(&mut self, text: &str) {
        self.stream.write_all(text.as_bytes()).expect("sending");
    }
}

/// How far each receiver has got, and a way to wait for the slowest.
struct Progress {
    counts: Mutex<Vec<usize>>,
    moved: Condvar,
}

/// One sender, `CLIENTS - 1` receivers; returns lines delivered per second, and the CPU seconds
/// the server used for them.
fn fan_out(server: &Server) -> (f64, Option<f64>) {
    let mut sender = Client::join(server.addr, "sender");
    let progress = Arc::new(Progress {
        counts: Mutex::new(vec![0; CLIENTS - 1]),
        moved: Condvar::new(),
    });
    let receivers: Vec<_> = (0..CLIENTS - 1)
        .map(|index| {
            let client = Client::join(server.addr, &format!("r{index:02}"));
            let progress = Arc::clone(&progress);
            // This receiver hears about every later arrival, then gets the sender's lines.
            let expected = MESSAGES + (CLIENTS - 2 - index);
            thread::spawn(move || {
                let mut got = 0;
                let mut buffer = vec![0; 64 * 1024];
                // What the reader has buffered already counts first.
                got += client
                    .reader
                    .buffer()
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                let mut stream = client.reader.get_ref().try_clone().expect("cloning");
                while got < expected {
                    let read = stream.read(&mut buffer).expect("reading");
                    assert!(
                        read > 0,
                        "the server closed the connection during the benchmark"
                    );
                    let before = got;
                    got += buffer[..read].iter().filter(|&&b| b == b'\n').count();
                    if got / 50 != before / 50 || got >= expected {
                        let done = got.saturating_sub(CLIENTS - 2 - index);
                        progress.counts.lock().unwrap()[index] = done;
                        progress.moved.notify_all();
                    }
                }
                client
            })
        })
        .collect();
    // Every receiver has joined once the sender has heard about the last one.
    let mut announced = 0;
    while announced < CLIENTS - 1 {
        if sender.line().starts_with('*') {
            announced += 1;
        }
    }

    let cpu_before = server.cpu();
    let started = Instant::now();
    let mut sent = 0;
    while sent < MESSAGES {
        let next = (sent + WINDOW / 2).min(MESSAGES);
        // Wait until sending this batch keeps every receiver within WINDOW lines of the sender.
        let mut counts = progress.counts.lock().unwrap();
        while counts.iter().min().copied().unwrap_or(0) + WINDOW < next {
            let (now, timeout) = progress
                .moved
                .wait_timeout(counts, Duration::from_secs(30))
                .unwrap();
            assert!(
                !timeout.timed_out(),
                "{}: a receiver stopped receiving",
                server.label
            );
            counts = now;
        }
        drop(counts);
        let batch: String = (sent..next)
            .map(|n| format!("message number {n:05}\n"))
            .collect();
        sender.send(&batch);
        sent = next;
    }
    for receiver in receivers {
        let client = receiver.join().expect("a receiver failed");
        let _ = client.stream.shutdown(Shutdown::Both);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = server
        .cpu()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    (((CLIENTS - 1) * MESSAGES) as f64 / elapsed, cpu)
}

/// Memory after start, at the peak of a 10 MiB line in progress, and with 100 idle clients.
fn memory(server: &Server) -> [Option<f64>; 3] {
    let at_start = server.memory("VmRSS:");
    let mut flooder = Client::join(server.addr, "flooder");
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..FLOOD_BYTES / chunk.len() {
        // The reference server refuses the line after 4096 bytes and closes: the flood is over.
        if flooder.stream.write_all(&chunk).is_err() {
            break;
        }
    }
    // The flood has been handed to the kernel; give the server a second to read what is left of
    // it (a server that buffers it holds it all by then), and take the peak.
    thread::sleep(Duration::from_secs(1));
    let during_flood = server.memory("VmHWM:");
    drop(flooder);
    let idle: Vec<Client> = (0..IDLE_CLIENTS)
        .map(|n| Client::join(server.addr, &format!("idle{n:03}")))
        .collect();
    let with_idle = server.memory("VmRSS:");
    drop(idle);
    [at_start, during_flood, with_idle]
}

fn mib(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1} MiB"))
}

fn main() {
    let rust = Server::spawn(concat!("Rust, ", env!("CARGO_PKG_NAME")), {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chat-server"));
        command.arg("127.0.0.1:0");
        command
    })
    .expect(
        "the chat-server program should start and print where it listens (does `cargo xtask \
         check ch8` pass?)",
    );
    // Both packages that run this file are two folders below the workspace root.
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../exercises/ch08-chat-server/benches/python/chat_server.py");
    let python = Server::spawn("Python, lecture-style", {
        let mut command = Command::new("python3");
        command.arg(&script).arg("0");
        command
    });
    if python.is_none() {
        println!("python3 did not start, so the Python column is n/a");
    }

    println!(
        "Broadcast fan-out: {CLIENTS} clients, one sends {MESSAGES} lines, {} receive each",
        CLIENTS - 1
    );
    println!(
        "{:<32} {:>18} {:>14}",
        "server", "lines delivered/s", "server CPU"
    );
    let mut rates = Vec::new();
    for server in std::iter::once(&rust).chain(python.as_ref()) {
        let (rate, cpu) = fan_out(server);
        let cpu = cpu.map_or_else(|| "n/a".to_owned(), |cpu| format!("{cpu:.2} s"));
        println!("{:<32} {rate:>18.0} {cpu:>14}", server.label);
        rates.push(rate);
    }
    match rates[..] {
        [rust_rate, python_rate] => {
            println!("{:<32} {:>17.1}x", "Rust / Python", rust_rate / python_rate)
        }
        _ => println!("{:<32} {:>18}", "Python, lecture-style", "n/a"),
    }

    println!();
    println!("Resident memory of the server process (VmRSS; VmHWM for the peak)");
    println!("{:<40} {:>12} {:>12}", "", "Rust", "Python");
    let rust_memory = memory(&rust);
    let python_memory = python.as_ref().map_or([None; 3], memory);
    let rows = [
        "after start",
        "peak, a 10 MiB line without a line feed",
        "with 100 idle clients joined",
    ];
    for (row, label) in rows.iter().enumerate() {
        println!(
            "{label:<40} {:>12} {:>12}",
            mib(rust_memory[row]),
            mib(python_memory[row])
        );
    }
}
