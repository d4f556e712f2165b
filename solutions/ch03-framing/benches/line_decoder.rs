//! Benchmark: the reference `LineDecoder` against `BufRead::read_until` on the same 100 MB
//! stream of lines, delivered in 64 KiB reads. Run with
//! `cargo bench -p ch03-framing-solution --bench line_decoder`.

use std::hint::black_box;
use std::io::{self, BufRead, BufReader, Read};
use std::time::{Duration, Instant};

use ch03_framing_solution::LineDecoder;
use testkit::seed::Rng;

const STREAM_BYTES: usize = 100 * 1000 * 1000;
const CHUNK: usize = 64 * 1024;
const ROUNDS: usize = 5;

/// One way of reading every line; returns the bytes of line content it saw.
type Method = fn(&[u8]) -> usize;

/// Hands out `data` in reads of at most [`CHUNK`] bytes, as a socket with a full buffer would.
struct Chunks<'a> {
    data: &'a [u8],
}

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = self.data.len().min(buf.len()).min(CHUNK);
        buf[..len].copy_from_slice(&self.data[..len]);
        self.data = &self.data[len..];
        Ok(len)
    }
}

/// Lines of 0 to 120 printable bytes, each ended by `\n`, about `STREAM_BYTES` in all.
fn stream() -> Vec<u8> {
    let mut rng = Rng::new(42);
    let mut data = Vec::with_capacity(STREAM_BYTES + 200);
    while data.len() < STREAM_BYTES {
        let len = rng.between(0, 120);
        data.extend((0..len).map(|_| b'a' + (rng.next_u64() % 26) as u8));
        data.push(b'\n');
    }
    data
}

fn line_decoder(data: &[u8]) -> usize {
    let mut decoder = LineDecoder::new(Chunks { data }, 4096);
    let mut total = 0;
    while let Some(line) = decoder.next_line().expect("the stream is well formed") {
        total += black_box(line).len();
    }
    total
}

fn read_until_fresh(data: &[u8]) -> usize {
    let mut reader = BufReader::with_capacity(CHUNK, Chunks { data });
    let mut total = 0;
    loop {
        // A new Vec per line, as LineDecoder returns: the same work for the allocator.
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).unwrap() == 0 {
            return total;
        }
        line.pop();
        total += black_box(line).len();
    }
}

fn read_until_reused(data: &[u8]) -> usize {
    let mut reader = BufReader::with_capacity(CHUNK, Chunks { data });
    let mut line = Vec::new();
    let mut total = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).unwrap() == 0 {
            return total;
        }
        total += black_box(&line).len() - 1;
    }
}

/// One timed run of `method`, and the bytes of line content it saw.
fn time(method: Method, data: &[u8]) -> (Duration, usize) {
    let start = Instant::now();
    let total = method(data);
    (start.elapsed(), total)
}

fn main() {
    let data = stream();
    let methods: [(&str, Method); 3] = [
        ("LineDecoder::next_line", line_decoder),
        ("BufRead::read_until, new Vec per line", read_until_fresh),
        ("BufRead::read_until, one reused Vec", read_until_reused),
    ];
    // The rounds take turns, so a busy moment on a shared machine slows every method alike; the
    // best round of each counts.
    let mut results: Vec<(&str, Duration, usize)> = methods
        .iter()
        .map(|&(name, _)| (name, Duration::MAX, 0))
        .collect();
    for _ in 0..ROUNDS {
        for (result, &(_, method)) in results.iter_mut().zip(&methods) {
            let (elapsed, total) = time(method, &data);
            result.1 = result.1.min(elapsed);
            result.2 = total;
        }
    }
    assert!(
        results.iter().all(|r| r.2 == results[0].2),
        "the methods disagree on the stream's content"
    );
    let baseline = results[1].1.as_secs_f64();
    println!(
        "{} MB in {} KiB reads, best of {ROUNDS} rounds taken in turns",
        data.len() / 1_000_000,
        CHUNK / 1024
    );
    println!(
        "{:<40} {:>10} {:>10} {:>8}",
        "method", "time", "MB/s", "ratio"
    );
    for (name, time, _) in &results {
        let secs = time.as_secs_f64();
        println!(
            "{name:<40} {:>8.1}ms {:>10.0} {:>7.2}x",
            secs * 1000.0,
            data.len() as f64 / 1e6 / secs,
            secs / baseline
        );
    }
}
