//! Benchmark of the capstone: a chat server in Rust beside a Python server written the lecture's
//! way (`benches/python/chat_server.py`), both run as child processes and driven by the same
//! clients in one run. The Rust server is the `chat-server` program of the package that runs the
//! benchmark: yours (`cargo bench -p ch08-chat-server`, once `cargo xtask check ch8` passes), or
//! the reference solution's in the instructor's workbook. It measures broadcast fan-out (one sender, 49 receivers, lines
//! delivered per second) and resident memory (VmRSS, from `/proc/<pid>/status` on Linux) after
//! start, at the peak of a 10 MiB line without a line feed, and with 100 idle clients.
//!
//! Without `python3`, or off Linux for memory, the missing figures say "n/a". With
//! `CHAT_SERVER_BASELINE` set to another `chat-server` binary, it is measured too, in the same run.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

#[allow(dead_code)] // Each benchmark uses its own part of it.
mod common;

use common::{Client, Server};

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
    let mut servers = vec![Server::ours()];
    servers.extend(Server::baseline());
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
    servers.extend(python);

    println!(
        "Broadcast fan-out: {CLIENTS} clients, one sends {MESSAGES} lines, {} receive each",
        CLIENTS - 1
    );
    println!(
        "{:<32} {:>18} {:>14}",
        "server", "lines delivered/s", "server CPU"
    );
    let mut rates = Vec::new();
    for server in &servers {
        let (rate, cpu) = fan_out(server);
        let cpu = cpu.map_or_else(|| "n/a".to_owned(), |cpu| format!("{cpu:.2} s"));
        println!("{:<32} {rate:>18.0} {cpu:>14}", server.label);
        rates.push(rate);
    }
    for (server, rate) in servers.iter().zip(&rates).skip(1) {
        println!(
            "{:<32} {:>17.2}x",
            format!("ours / {}", server.label),
            rates[0] / rate
        );
    }

    println!();
    println!("Resident memory of the server process (VmRSS; VmHWM for the peak)");
    print!("{:<40}", "");
    for server in &servers {
        print!(" {:>26}", server.label.split(", ").last().unwrap_or(""));
    }
    println!();
    let figures: Vec<[Option<f64>; 3]> = servers.iter().map(memory).collect();
    let rows = [
        "after start",
        "peak, a 10 MiB line without a line feed",
        "with 100 idle clients joined",
    ];
    for (row, label) in rows.iter().enumerate() {
        print!("{label:<40}");
        for figure in &figures {
            print!(" {:>26}", mib(figure[row]));
        }
        println!();
    }
}
