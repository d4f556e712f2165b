//! The GIL, measured: the same CPU-bound work on Python threads, Python
//! processes and Rust threads, with one worker and with more, up to twice the
//! machine's cores. Prints Markdown for the book, which runs this program at
//! build time in release mode: a sentence on the machine, a table and an SVG
//! bar chart. The figures are that machine's.

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use ch06_threads_listings::{find_python, python_scripts, spawned_total};

/// Numbers to count Collatz steps for: about half a second of pure Python on
/// one core, so that starting a process is small beside the work.
const LIMIT: u64 = 100_000;

/// Each Python time is the best of this many runs, taken in turns with the
/// other Python runs, so that a moment when the machine is busy with other
/// work spoils one run, not a whole row.
const PYTHON_RUNS: usize = 3;

/// Rust finishes this work in milliseconds, so its time is the best of more
/// runs.
const RUST_RUNS: usize = 10;

/// One line of the table: who ran the work, on how many workers, how long it
/// took.
struct Row {
    runtime: &'static str,
    workers: u64,
    time: Duration,
}

fn main() {
    let cores = thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let counts = worker_counts(cores);
    let expected = spawned_total(LIMIT, 1);
    let mut rows = Vec::new();

    let python = find_python();
    if let Some(python) = &python {
        let runs: Vec<(&str, &'static str, u64)> = [
            ("threads", "Python threads"),
            ("processes", "Python processes"),
        ]
        .into_iter()
        .flat_map(|(kind, runtime)| {
            counts.iter().map(move |&workers| (kind, runtime, workers))
        })
        .collect();
        let mut best = vec![Duration::MAX; runs.len()];
        for _ in 0..PYTHON_RUNS {
            for (slot, &(kind, _, workers)) in runs.iter().enumerate() {
                let (time, total) = run_python(python, kind, workers);
                assert_eq!(total, expected, "Python and Rust disagree");
                best[slot] = best[slot].min(time);
            }
        }
        for (&(_, runtime, workers), time) in runs.iter().zip(best) {
            rows.push(Row {
                runtime,
                workers,
                time,
            });
        }
    }
    for &workers in &counts {
        let time = (0..RUST_RUNS)
            .map(|_| {
                let began = Instant::now();
                assert_eq!(spawned_total(LIMIT, workers), expected);
                began.elapsed()
            })
            .min()
            .expect("at least one run");
        rows.push(Row {
            runtime: "Rust threads",
            workers,
            time,
        });
    }

    let plural = |n: u64| if n == 1 { "" } else { "s" };
    println!(
        "*Measured while this book was built, on a machine with {cores} \
         core{} (as `std::thread::available_parallelism` reports them): the \
         total number of Collatz steps of 1 to {LIMIT}, each time the best \
         of {PYTHON_RUNS} runs for Python and {RUST_RUNS} for Rust. Rust was \
         built in {} mode. Your own machine will give other figures; run the \
         program to see them.*",
        plural(cores),
        if cfg!(debug_assertions) {
            "debug mode, so its figures are several times slower than they \
             should be: run it with `cargo run --release`, as the book does"
        } else {
            "release"
        }
    );
    println!();
    match &python {
        Some(python) => println!("*Python: {}.*", python_version(python)),
        None => println!(
            "*Python 3 was not found on this machine, so only Rust's rows \
             appear.*"
        ),
    }
    println!();
    print_table(&rows);
    println!();
    println!(
        "*This machine has {cores} core{}. On an otherwise idle machine, no \
         row with more than {cores} worker{} goes faster than the row with \
         {cores}: the extra workers take turns on the same cores. While other \
         programs run too, more workers can win a larger share of the cores \
         from them, which is not more parallelism in the work itself.*",
        plural(cores),
        plural(cores)
    );
    println!();
    print_chart(&rows, cores.max(2));
}

/// 1, then doubling up to the number of cores, the number of cores itself,
/// and twice that (at least 1, 2 and 4), so the table shows both the gain
/// and its end.
fn worker_counts(cores: u64) -> Vec<u64> {
    let most = (2 * cores).max(4);
    let mut counts: Vec<u64> = std::iter::successors(Some(1_u64), |n| {
        Some(n * 2).filter(|&next| next <= cores.max(4))
    })
    .chain([cores, most])
    .collect();
    counts.sort_unstable();
    counts.dedup();
    counts
}

fn python_version(python: &str) -> String {
    let output = Command::new(python)
        .args(["-c", "import platform; print(platform.python_version())"])
        .output()
        .expect("Python ran a moment ago");
    format!("version {}", String::from_utf8_lossy(&output.stdout).trim())
}

/// Runs `count_<kind>.py` and returns the time it measured and the total it
/// found.
fn run_python(python: &str, kind: &str, workers: u64) -> (Duration, u64) {
    let script = python_scripts().join(format!("count_{kind}.py"));
    let output = Command::new(python)
        .arg(&script)
        .args([workers.to_string(), LIMIT.to_string()])
        .output()
        .unwrap_or_else(|error| {
            panic!("could not run {}: {error}", script.display())
        });
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut fields = text.split_whitespace();
    let seconds: f64 =
        fields.next().and_then(|s| s.parse().ok()).expect("seconds");
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

/// A horizontal bar per runtime: its speed-up with `workers` workers, against
/// the ideal.
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
    let title = format!("speed-up with {workers} workers over 1 worker");
    // No blank line may appear inside the SVG, or Markdown would end the HTML
    // block there.
    println!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 560 {height}" width="560" role="img" aria-label="{title}" font-family="sans-serif" font-size="13">"#
    );
    println!(r#"<text x="{left}" y="18" fill="currentColor">{title}</text>"#);
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

#[cfg(test)]
mod tests {
    use super::worker_counts;

    #[test]
    fn worker_counts_reach_past_the_cores() {
        assert_eq!(worker_counts(1), [1, 2, 4]);
        assert_eq!(worker_counts(2), [1, 2, 4]);
        assert_eq!(worker_counts(6), [1, 2, 4, 6, 12]);
        assert_eq!(worker_counts(8), [1, 2, 4, 8, 16]);
    }
}
