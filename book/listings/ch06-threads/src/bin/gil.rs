//! The GIL, measured: the same CPU-bound work on Python threads, Python processes and Rust
//! threads, with one worker and with several. Prints a Markdown table and an SVG bar chart for
//! the book, which runs this program at build time; the figures are that machine's.

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use ch06_threads_listings::{find_python, python_scripts, spawned_total};

/// Numbers to count Collatz steps for: about half a second of pure Python on one core.
const LIMIT: u64 = 60_000;

/// Rust finishes this work in milliseconds, so its time is the best of a few runs.
const RUST_RUNS: usize = 5;

/// One line of the table: who ran the work, on how many workers, how long it took.
struct Row {
    runtime: &'static str,
    workers: u64,
    time: Duration,
}

fn main() {
    let cores = thread::available_parallelism().map_or(1, |n| n.get() as u64);
    // At least two workers, so a machine with one core still shows a comparison (of nothing).
    let workers = cores.clamp(2, 4);
    let expected = spawned_total(LIMIT, 1);
    let mut rows = Vec::new();

    let python = find_python();
    for runtime in ["threads", "processes"] {
        let Some(python) = &python else { break };
        for count in [1, workers] {
            let (time, total) = run_python(python, runtime, count);
            assert_eq!(total, expected, "Python and Rust disagree on the answer");
            rows.push(Row {
                runtime: if runtime == "threads" {
                    "Python threads"
                } else {
                    "Python processes"
                },
                workers: count,
                time,
            });
        }
    }
    for count in [1, workers] {
        let time = (0..RUST_RUNS)
            .map(|_| {
                let began = Instant::now();
                assert_eq!(spawned_total(LIMIT, count), expected);
                began.elapsed()
            })
            .min()
            .expect("at least one run");
        rows.push(Row {
            runtime: "Rust threads",
            workers: count,
            time,
        });
    }

    println!(
        "*Measured while this book was built, on a machine with {cores} core{} (as \
         `std::thread::available_parallelism` reports them): the total number of Collatz steps \
         of 1 to {LIMIT}. Rust was built in {} mode. Your own machine will give other figures; \
         run the program to see them.*",
        if cores == 1 { "" } else { "s" },
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!();
    match &python {
        Some(python) => println!("*Python: {}.*", python_version(python)),
        None => println!("*Python 3 was not found on this machine, so only Rust's rows appear.*"),
    }
    println!();
    print_table(&rows);
    println!();
    print_chart(&rows, workers);
}

fn python_version(python: &str) -> String {
    let output = Command::new(python)
        .args(["-c", "import platform; print(platform.python_version())"])
        .output()
        .expect("Python ran a moment ago");
    format!("version {}", String::from_utf8_lossy(&output.stdout).trim())
}

/// Runs `count_<kind>.py` and returns the time it measured and the total it found.
fn run_python(python: &str, kind: &str, workers: u64) -> (Duration, u64) {
    let script = python_scripts().join(format!("count_{kind}.py"));
    let output = Command::new(python)
        .arg(&script)
        .args([workers.to_string(), LIMIT.to_string()])
        .output()
        .unwrap_or_else(|error| panic!("could not run {}: {error}", script.display()));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut fields = text.split_whitespace();
    let seconds: f64 = fields.next().and_then(|s| s.parse().ok()).expect("seconds");
    let total: u64 = fields.next().and_then(|s| s.parse().ok()).expect("total");
    (Duration::from_secs_f64(seconds), total)
}

/// How many times faster `row` is than the same runtime with one worker.
fn speed_up(rows: &[Row], row: &Row) -> f64 {
    let alone = rows
        .iter()
        .find(|r| r.runtime == row.runtime && r.workers == 1)
        .expect("every runtime has a one-worker row");
    alone.time.as_secs_f64() / row.time.as_secs_f64()
}

fn print_table(rows: &[Row]) {
    println!("| runs on | workers | time | speed-up over 1 worker |");
    println!("| --- | ---: | ---: | ---: |");
    for row in rows {
        println!(
            "| {} | {} | {} | {:.2}× |",
            row.runtime,
            row.workers,
            human(row.time),
            speed_up(rows, row)
        );
    }
}

fn human(time: Duration) -> String {
    if time >= Duration::from_secs(1) {
        format!("{:.2} s", time.as_secs_f64())
    } else {
        format!("{:.1} ms", time.as_secs_f64() * 1000.0)
    }
}

/// A horizontal bar per runtime: its speed-up with `workers` workers, against the ideal.
fn print_chart(rows: &[Row], workers: u64) {
    let bars: Vec<(&str, f64)> = rows
        .iter()
        .filter(|row| row.workers == workers)
        .map(|row| (row.runtime, speed_up(rows, row)))
        .collect();
    let (left, width, bar_height, gap) = (150.0, 360.0, 26.0, 14.0);
    let top = 34.0;
    let scale_max = bars
        .iter()
        .map(|(_, s)| *s)
        .fold(workers as f64, f64::max)
        .ceil();
    let x = |speed: f64| left + width * speed / scale_max;
    let height = top + bars.len() as f64 * (bar_height + gap) + 24.0;
    // No blank line may appear inside the SVG, or Markdown would end the HTML block there.
    println!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 560 {height}" width="560" role="img" aria-label="Speed-up with {workers} workers over 1 worker" font-family="sans-serif" font-size="13">"#
    );
    println!(
        r#"<text x="{left}" y="18" fill="currentColor">speed-up with {workers} workers over 1 worker</text>"#
    );
    for (i, (runtime, speed)) in bars.iter().enumerate() {
        let y = top + i as f64 * (bar_height + gap);
        let colour = if runtime.starts_with("Rust") {
            "#b7410e"
        } else {
            "#3572a5"
        };
        println!(
            r#"<text x="{lx}" y="{ty}" text-anchor="end" fill="currentColor">{runtime}</text>"#,
            lx = left - 8.0,
            ty = y + bar_height * 0.68
        );
        println!(
            r#"<rect x="{left}" y="{y}" width="{w:.1}" height="{bar_height}" fill="{colour}"/>"#,
            w = x(*speed) - left
        );
        println!(
            r#"<text x="{tx:.1}" y="{ty}" fill="currentColor">{speed:.2}×</text>"#,
            tx = x(*speed) + 6.0,
            ty = y + bar_height * 0.68
        );
    }
    let bottom = height - 20.0;
    for (speed, label) in [
        (1.0, "1× (no gain)".to_owned()),
        (workers as f64, format!("{workers}× (ideal)")),
    ] {
        println!(
            r#"<line x1="{lx:.1}" y1="{top}" x2="{lx:.1}" y2="{bottom}" stroke="currentColor" stroke-dasharray="4 3"/>"#,
            lx = x(speed),
            top = top - 6.0
        );
        println!(
            r#"<text x="{lx:.1}" y="{ty}" text-anchor="middle" fill="currentColor">{label}</text>"#,
            lx = x(speed),
            ty = bottom + 15.0
        );
    }
    println!("</svg>");
}
