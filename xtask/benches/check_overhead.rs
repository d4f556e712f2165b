//! Benchmark: how much time `cargo xtask check ch1` adds over plain `cargo test -p ch01-tcp-ip`
//! after a one-line edit of the exercise, measured side by side, alternating, in one run.
//!
//! Run with `cargo bench -p xtask --bench check_overhead`. The target is a ratio of at most 1.15.
//! The exercise file is edited (a comment line appended) and always restored, even on a panic.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Rounds per command; the median is reported.
const ROUNDS: usize = 7;

/// Puts the exercise file back as it was, whatever happens.
struct Restore {
    path: PathBuf,
    original: String,
}

impl Drop for Restore {
    fn drop(&mut self) {
        fs::write(&self.path, &self.original).expect("could not restore the exercise file");
    }
}

/// Runs `cargo ARGS` and returns how long it took. Both commands exit non-zero on purpose (the
/// stub's tests fail), so success is judged by `expect` appearing in what they printed.
fn cargo(root: &Path, args: &[&str], expect: &str) -> Duration {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let start = Instant::now();
    let output = Command::new(cargo)
        .current_dir(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run cargo");
    let elapsed = start.elapsed();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains(expect),
        "`cargo {}` did not run the tests:\n{printed}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the workbook");
    let path = root.join("exercises/ch01-tcp-ip/src/lib.rs");
    let original = fs::read_to_string(&path).expect("the chapter 1 exercise exists");
    let _restore = Restore {
        path: path.clone(),
        original: original.clone(),
    };

    // Each command, the text that shows it ran the tests, and its timings.
    let mut runner = (&["xtask", "check", "ch1"][..], "Score", Vec::new());
    let mut plain = (
        &["test", "-p", "ch01-tcp-ip"][..],
        "test result",
        Vec::new(),
    );
    // Warm up both, so neither pays for a first build.
    cargo(root, runner.0, runner.1);
    cargo(root, plain.0, plain.1);

    for round in 0..ROUNDS {
        // Alternate which goes first, so neither always meets a warmer cache.
        let order = if round % 2 == 0 {
            [&mut runner, &mut plain]
        } else {
            [&mut plain, &mut runner]
        };
        for (args, expect, times) in order {
            fs::write(
                &path,
                format!("{original}// benchmark edit {round} {}\n", args[0]),
            )
            .unwrap();
            times.push(cargo(root, args, expect));
        }
    }

    let (runner, plain) = (median(runner.2), median(plain.2));
    println!(
        "after a one-line edit of exercises/ch01-tcp-ip/src/lib.rs, median of {ROUNDS} rounds:"
    );
    println!(
        "  cargo test -p ch01-tcp-ip   {:>7.2} s",
        plain.as_secs_f64()
    );
    println!(
        "  cargo xtask check ch1       {:>7.2} s",
        runner.as_secs_f64()
    );
    println!(
        "  ratio                       {:>7.2} (target: at most 1.15)",
        runner.as_secs_f64() / plain.as_secs_f64()
    );
}
