//! Benchmark: the reference `parallel_sum` on CPU-bound work with 1 thread and with 2, beside
//! the same work on 1 and 2 Python threads (the lecture's GIL), measured side by side in one run.
//!
//! Run with `cargo bench -p ch06-threads-solution`. The target: Rust's 2 threads at least 1.8×
//! faster than its 1 thread on a machine with 2 free cores; Python's threads stay near 1×.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ch06_threads_solution::parallel_sum;

/// Numbers whose Collatz steps Rust adds up: a few hundred milliseconds on one core.
const RUST_LIMIT: u64 = 2_000_000;

/// Python is about a hundred times slower, so it gets a smaller range of the same work.
const PYTHON_LIMIT: u64 = 30_000;

/// Each figure is the best of this many runs, which filters out the moments another program
/// had the cores.
const RUNS: usize = 5;

fn collatz_steps(mut n: u64) -> u64 {
    let mut steps = 0;
    while n != 1 {
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
        steps += 1;
    }
    steps
}

fn best_of(mut run: impl FnMut() -> Duration) -> Duration {
    (0..RUNS).map(|_| run()).min().expect("RUNS is not zero")
}

fn rust(items: &[u64], threads: usize) -> Duration {
    best_of(|| {
        let began = Instant::now();
        black_box(parallel_sum(black_box(items), threads, |&n| {
            collatz_steps(n)
        }));
        began.elapsed()
    })
}

/// The lecture-style Python script of "Threads", on `workers` threads; `None` without Python.
fn python(workers: usize) -> Option<Duration> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../book/listings/ch06-threads/python/count_threads.py");
    let python = ["python3", "python"].into_iter().find(|name| {
        Command::new(name)
            .args(["-c", "import sys; sys.exit(sys.version_info[0] != 3)"])
            .status()
            .is_ok_and(|status| status.success())
    })?;
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let output = Command::new(python)
            .arg(&script)
            .args([workers.to_string(), PYTHON_LIMIT.to_string()])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&output.stdout);
        let seconds: f64 = text.split_whitespace().next()?.parse().ok()?;
        times.push(Duration::from_secs_f64(seconds));
    }
    times.into_iter().min()
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let items: Vec<u64> = (1..=RUST_LIMIT).collect();
    let expected: u64 = items.iter().map(|&n| collatz_steps(n)).sum();
    assert_eq!(parallel_sum(&items, 2, |&n| collatz_steps(n)), expected);

    println!("Collatz steps, best of {RUNS} runs, on a machine with {cores} cores");
    println!();
    println!("| work | 1 thread | 2 threads | speed-up |");
    println!("| --- | ---: | ---: | ---: |");
    let (one, two) = (rust(&items, 1), rust(&items, 2));
    row(&format!("Rust parallel_sum, 1..={RUST_LIMIT}"), one, two);
    match (python(1), python(2)) {
        (Some(one), Some(two)) => row(&format!("Python threads, 1..={PYTHON_LIMIT}"), one, two),
        _ => println!("| Python threads | (Python 3 not found) | | |"),
    }
}

fn row(work: &str, one: Duration, two: Duration) {
    println!(
        "| {work} | {:.1} ms | {:.1} ms | {:.2}× |",
        one.as_secs_f64() * 1000.0,
        two.as_secs_f64() * 1000.0,
        one.as_secs_f64() / two.as_secs_f64()
    );
}
