//! Benchmark: the echo server's throughput on loopback, beside plain socket-to-socket copies
//! measured in the same run. Run it with `cargo bench -p ch02-sockets-solution`.
//!
//! - *one way*: the payload goes over one connection and is drained at the other end, the most
//!   this machine's loopback can do;
//! - *relay*: the payload goes to a thread that copies it from one socket to another, the same
//!   read-then-write work an echo server does, and then to a reader;
//! - *echo*: the payload goes to `serve_one`, and the echo is read back at the same time.
//!
//! The relay and the echo move every byte over loopback twice, so on a machine with few cores
//! they can reach only about half of the one-way figure. The target is an echo at no less than
//! half the throughput of a plain copy.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use ch02_sockets_solution::serve_one;

/// Bytes moved per measurement.
const PAYLOAD: usize = 128 << 20;

/// Measurements per method, interleaved; the table shows the best and the median run.
const ROUNDS: usize = 9;

/// The size of each read and write on the benchmark's own side, and in the relay.
const CHUNK: usize = 256 << 10;

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

/// Two connected sockets on loopback.
fn pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let near = TcpStream::connect(listener.local_addr()?)?;
    let (far, _) = listener.accept()?;
    Ok((near, far))
}

/// Sends the payload on `out` and drains `back` at the same time; returns the time taken.
fn timed_transfer(out: &TcpStream, back: &TcpStream) -> io::Result<Duration> {
    let start = Instant::now();
    let received = thread::scope(|scope| {
        let writer = scope.spawn(|| send(out, PAYLOAD));
        let received = drain(back);
        writer.join().expect("the writer panicked")?;
        received
    })?;
    let elapsed = start.elapsed();
    assert_eq!(received, PAYLOAD, "bytes were lost");
    Ok(elapsed)
}

/// One way: one connection, a writer at one end and a reader at the other.
fn one_way() -> io::Result<Duration> {
    let (sender, receiver) = pair()?;
    timed_transfer(&sender, &receiver)
}

/// A relay: a thread copies everything from one connection to another.
fn relay() -> io::Result<Duration> {
    let (sender, relay_in) = pair()?;
    let (relay_out, receiver) = pair()?;
    let relay = thread::spawn(move || -> io::Result<()> {
        let mut buffer = vec![0u8; CHUNK];
        loop {
            match (&relay_in).read(&mut buffer)? {
                0 => return relay_out.shutdown(Shutdown::Write),
                n => (&relay_out).write_all(&buffer[..n])?,
            }
        }
    });
    let elapsed = timed_transfer(&sender, &receiver)?;
    relay.join().expect("the relay panicked")?;
    Ok(elapsed)
}

/// The echo: `serve_one` sends everything back on the connection it came in on.
fn echo() -> io::Result<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || serve_one(&listener));
    let client = TcpStream::connect(addr)?;
    let elapsed = timed_transfer(&client, &client)?;
    let echoed = server.join().expect("the server panicked")?;
    assert_eq!(echoed, PAYLOAD as u64, "the server counted wrong");
    Ok(elapsed)
}

/// One way of moving the payload, timed.
type Method = fn() -> io::Result<Duration>;

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
    let methods: [(&str, Method); 3] = [
        ("plain copy, one way (the limit)", one_way),
        ("plain copy through a relay", relay),
        ("echo through serve_one", echo),
    ];
    let mut times = vec![Vec::new(); methods.len()];
    // Interleaved, so that a change in the machine's load hits every method alike.
    for _ in 0..rounds {
        for (index, (_, method)) in methods.iter().enumerate() {
            times[index].push(method()?);
        }
    }

    let rates: Vec<(f64, f64)> = times
        .iter()
        .map(|t| (mib_per_second(best(t)), mib_per_second(median(t))))
        .collect();
    let (limit_best, limit_median) = rates[0];
    println!(
        "{} MiB per run, {rounds} runs each, loopback",
        PAYLOAD >> 20
    );
    println!(
        "{:<32} {:>11} {:>7} {:>13} {:>7}",
        "method", "best MiB/s", "ratio", "median MiB/s", "ratio"
    );
    for ((name, _), (best, median)) in methods.iter().zip(&rates) {
        println!(
            "{name:<32} {best:>11.0} {:>7.2} {median:>13.0} {:>7.2}",
            best / limit_best,
            median / limit_median
        );
    }
    let (echo_median, relay_median) = (rates[2].1, rates[1].1);
    println!(
        "echo / one way (medians): {:.2}; echo / relay (medians): {:.2}; target 0.50",
        echo_median / limit_median,
        echo_median / relay_median
    );
    Ok(())
}
