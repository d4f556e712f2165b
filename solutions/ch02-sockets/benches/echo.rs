//! Benchmark: the echo server's throughput on loopback, beside a plain socket-to-socket copy
//! measured in the same run. Run it with `cargo bench -p ch02-sockets-solution`.
//!
//! The plain copy sends the payload over one connection and drains it at the other end: the most
//! this machine's loopback can do. The echo sends the same payload to `serve_one` and reads the
//! echo back at the same time, so every byte crosses loopback twice and passes through the
//! server. The target is an echo at no less than half the plain copy's throughput.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use ch02_sockets_solution::serve_one;

/// Bytes moved per measurement.
const PAYLOAD: usize = 128 << 20;

/// Measurements per method, interleaved; the table shows the best and the median run.
const ROUNDS: usize = 9;

/// The size of each read and write on the benchmark's own side.
const CHUNK: usize = 64 << 10;

/// Writes `total` bytes to `stream` in chunks, then half-closes it.
fn send(stream: &TcpStream, total: usize) -> io::Result<()> {
    let chunk = vec![0x5a_u8; CHUNK];
    let mut left = total;
    while left > 0 {
        let piece = left.min(CHUNK);
        (&*stream).write_all(&chunk[..piece])?;
        left -= piece;
    }
    stream.shutdown(Shutdown::Write)
}

/// Reads `stream` to its end and returns how many bytes came.
fn drain(stream: &TcpStream) -> io::Result<usize> {
    let mut buffer = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        match (&*stream).read(&mut buffer)? {
            0 => return Ok(total),
            n => total += n,
        }
    }
}

/// One connection's worth of plain copying: the time to send and drain the payload.
fn plain_copy() -> io::Result<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let sender = TcpStream::connect(listener.local_addr()?)?;
    let (receiver, _) = listener.accept()?;
    let start = Instant::now();
    let received = thread::scope(|scope| {
        let writer = scope.spawn(|| send(&sender, PAYLOAD));
        let received = drain(&receiver);
        writer.join().expect("the writer panicked")?;
        received
    })?;
    let elapsed = start.elapsed();
    assert_eq!(received, PAYLOAD, "the plain copy lost bytes");
    Ok(elapsed)
}

/// One echo of the payload through `serve_one`: the time until the whole echo is back.
fn echo() -> io::Result<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || serve_one(&listener));
    let client = TcpStream::connect(addr)?;
    let start = Instant::now();
    let received = thread::scope(|scope| {
        let writer = scope.spawn(|| send(&client, PAYLOAD));
        let received = drain(&client);
        writer.join().expect("the writer panicked")?;
        received
    })?;
    let elapsed = start.elapsed();
    let echoed = server.join().expect("the server panicked")?;
    assert_eq!(received, PAYLOAD, "the echo lost bytes");
    assert_eq!(echoed, PAYLOAD as u64, "the server counted wrong");
    Ok(elapsed)
}

fn best(times: &[Duration]) -> Duration {
    times.iter().copied().min().expect("at least one round")
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn mib_per_second(time: Duration) -> f64 {
    (PAYLOAD as f64 / (1 << 20) as f64) / time.as_secs_f64()
}

fn main() -> io::Result<()> {
    // `cargo test --benches` runs this without `--bench`; one round proves that it works.
    let rounds = if std::env::args().any(|a| a == "--bench") {
        ROUNDS
    } else {
        1
    };
    let mut plain = Vec::new();
    let mut echoed = Vec::new();
    // Interleaved, so that a change in the machine's load hits both methods alike.
    for _ in 0..rounds {
        plain.push(plain_copy()?);
        echoed.push(echo()?);
    }

    println!(
        "{} MiB per run, {rounds} runs each, loopback",
        PAYLOAD >> 20
    );
    println!(
        "{:<32} {:>12} {:>12} {:>12} {:>12}",
        "method", "best MiB/s", "ratio", "median MiB/s", "ratio"
    );
    let rates = |times: &[Duration]| (mib_per_second(best(times)), mib_per_second(median(times)));
    let (plain_best, plain_median) = rates(&plain);
    let (echo_best, echo_median) = rates(&echoed);
    println!(
        "{:<32} {:>12.0} {:>12.2} {:>12.0} {:>12.2}",
        "plain copy (one way, the limit)", plain_best, 1.0, plain_median, 1.0
    );
    println!(
        "{:<32} {:>12.0} {:>12.2} {:>12.0} {:>12.2}",
        "echo through serve_one",
        echo_best,
        echo_best / plain_best,
        echo_median,
        echo_median / plain_median
    );
    let ratio = echo_median / plain_median;
    println!(
        "target: echo >= 0.50 of the plain copy (medians): {}",
        if ratio >= 0.5 { "met" } else { "NOT met" }
    );
    Ok(())
}
