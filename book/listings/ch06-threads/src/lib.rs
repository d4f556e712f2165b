//! The code that chapter 6 of the book shows, included by anchor and compiled
//! (and tested) here, and the helper behind the pages that show a compiler
//! error on purpose ([`expect_compile_error`]).

use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{self, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// The name of Python 3 on this machine: `python3`, or `python` (as on
/// Windows).
pub fn find_python() -> Option<String> {
    ["python3", "python"]
        .into_iter()
        .map(str::to_owned)
        .find(|name| {
            Command::new(name)
                .args(["-c", "import sys; sys.exit(sys.version_info[0] != 3)"])
                .status()
                .is_ok_and(|status| status.success())
        })
}

/// The folder of the chapter's Python scripts, next to this crate's sources.
pub fn python_scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

// ANCHOR: collatz
/// The number of Collatz steps from `n` down to 1: halve an even number,
/// triple an odd one and add one. Pure arithmetic, so a thread running it
/// never waits for anything.
pub fn collatz_steps(mut n: u64) -> u64 {
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
// ANCHOR_END: collatz

/// The total number of Collatz steps of every number in `start..end`.
pub fn total_steps(start: u64, end: u64) -> u64 {
    (start..end).map(collatz_steps).sum()
}

/// `1..=limit` cut into `workers` contiguous ranges whose lengths differ by at
/// most one, the same split as the Python scripts make.
pub fn chunks(limit: u64, workers: u64) -> Vec<(u64, u64)> {
    let (base, longer) = (limit / workers, limit % workers);
    let mut start = 1;
    (0..workers)
        .map(|i| {
            let end = start + base + u64::from(i < longer);
            let range = (start, end);
            start = end;
            range
        })
        .collect()
}

// ANCHOR: spawned_sum
/// Counts the steps of `1..=limit` on `workers` threads, each returning its
/// own part.
pub fn spawned_total(limit: u64, workers: u64) -> u64 {
    let handles: Vec<thread::JoinHandle<u64>> = chunks(limit, workers)
        .into_iter()
        // `move` gives each thread its own copy of `start` and `end`.
        .map(|(start, end)| thread::spawn(move || total_steps(start, end)))
        .collect();
    handles
        .into_iter()
        .map(|handle| handle.join().expect("a counting thread panicked"))
        .sum()
}
// ANCHOR_END: spawned_sum

// ANCHOR: scoped_sum
/// Adds up `numbers` on two threads that borrow the two halves of the slice:
/// no copy, no `Arc`, and no `'static` needed, because the scope joins both
/// threads before it returns.
pub fn scoped_total(numbers: &[u64]) -> u64 {
    let (left, right) = numbers.split_at(numbers.len() / 2);
    thread::scope(|scope| {
        let first = scope.spawn(|| left.iter().sum::<u64>());
        let second = scope.spawn(|| right.iter().sum::<u64>());
        first.join().unwrap() + second.join().unwrap()
    })
}
// ANCHOR_END: scoped_sum

// ANCHOR: thread_per_connection
/// Echoes one client's bytes back until it shuts down its sending side.
fn echo(stream: TcpStream) -> io::Result<u64> {
    // Reads and writes until `read` returns `Ok(0)`; returns the byte count.
    io::copy(&mut &stream, &mut &stream)
}

/// Serves every client that connects, each on a thread of its own. It never
/// returns (`!`): no error ends the server.
pub fn serve(listener: TcpListener) -> ! {
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(connection) => connection,
            Err(error) => {
                // The server is short of something (file descriptors, memory)
                // that comes back as clients leave: pause, then try again.
                eprintln!("accept failed: {error}");
                thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        // `thread::spawn` panics when the OS refuses a thread; `Builder`
        // returns the error, and drops the closure: the stream closes.
        let spawned = thread::Builder::new().spawn(move || {
            if let Err(error) = echo(stream) {
                eprintln!("{peer}: {error}");
            }
        });
        if let Err(error) = spawned {
            eprintln!("{peer}: no thread for this client: {error}");
        }
    }
}
// ANCHOR_END: thread_per_connection

/// The widest line the book shows in a code block.
pub const COLUMNS: usize = 80;

/// Compiles `file` with `rustc --edition 2024`, as a page that shows a
/// compiler error on purpose does, and returns the compiler's messages when it
/// fails with error `code` (`"E0373"`), and why not otherwise. `file` is a path
/// from the workspace's root; rustc runs in the file's folder and names the
/// file alone, so the messages hold no path of the machine that built them.
/// Lines wider than [`COLUMNS`] are wrapped (see [`wrap`]).
pub fn expect_compile_error(file: &str, code: &str) -> Result<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let path = root.join(file);
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(format!("{file} is not a file"));
    };
    if !path.is_file() {
        return Err(format!("{file} does not exist"));
    }
    // Checked only, as `cargo check` does: nothing is linked, and what rustc
    // writes goes to a folder of its own, removed afterwards.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let scratch = std::env::temp_dir()
        .join(format!("workbook-compile-error-{}-{call}", process::id()));
    let output = Command::new(rustc())
        .current_dir(folder)
        .args(["--edition", "2024", "--emit=metadata", "--color", "never"])
        .arg("--out-dir")
        .arg(&scratch)
        .arg(name)
        .output();
    let _ = std::fs::remove_dir_all(&scratch);
    let output =
        output.map_err(|error| format!("cannot run rustc: {error}"))?;
    let messages = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        return Err(format!(
            "{file} compiled, but the page expects error {code}: it must not \
             compile"
        ));
    }
    if !messages.contains(&format!("error[{code}]")) {
        return Err(format!(
            "{file} failed to compile, but without error {code}; rustc \
             said:\n{messages}"
        ));
    }
    Ok(messages.lines().map(shorten).flat_map(wrap).collect())
}

/// The compiler that [`expect_compile_error`] runs: `$RUSTC`, or `rustc`.
fn rustc() -> std::ffi::OsString {
    std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into())
}

/// True when the compiler can be run here. The book's build always can (it
/// runs on cargo's machine); a test program run somewhere else, as the
/// Windows tests run under Wine, may find no compiler, and then skips the
/// tests that compile.
pub fn rustc_runs() -> bool {
    Command::new(rustc()).arg("--version").output().is_ok()
}

/// A path into the standard library's sources (`/rustc/<commit>/library/…`,
/// or the toolchain's own folder when rust-src is installed) from
/// `library/` on.
fn shorten(line: &str) -> String {
    match (line.find("--> "), line.find("/library/")) {
        (Some(arrow), Some(library)) if arrow < library => {
            format!("{}…{}", &line[..arrow + 4], &line[library..])
        }
        _ => line.to_owned(),
    }
}

/// `line`, cut at spaces into lines of at most [`COLUMNS`] characters, each
/// with a line feed. The pieces after the first are indented under the text
/// of a message (`error[E0373]: `, `   = help: `); under a label of a code
/// snippet, with the snippet's bars (`   |     |  `); or two spaces deeper
/// than the line. A word too long to fit stays whole.
pub fn wrap(line: String) -> Vec<String> {
    let indent = continuation(&line);
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut fresh = true; // Nothing but the indentation on `current` yet.
    for (i, word) in line.split(' ').enumerate() {
        let width = current.chars().count();
        if !fresh && width + 1 + word.chars().count() > COLUMNS {
            lines.push(std::mem::take(&mut current) + "\n");
            current.clone_from(&indent);
        } else if i > 0 {
            current.push(' ');
        }
        current.push_str(word);
        fresh &= word.is_empty() || word == "|";
    }
    lines.push(current + "\n");
    lines
}

/// What goes before the text of each piece after the first, when `line` is
/// wrapped.
fn continuation(line: &str) -> String {
    if let Some(start) = message_indent(line) {
        return " ".repeat(start);
    }
    let bars = line.len() - line.trim_start_matches([' ', '|']).len();
    if line.trim_start().starts_with('|') {
        return line[..bars].to_owned();
    }
    " ".repeat(line.len() - line.trim_start().len() + 2)
}

/// Where the text of a compiler message starts: after `error[E0373]: `,
/// `note: `, `   = help: ` and the like.
fn message_indent(line: &str) -> Option<usize> {
    let colon = line.find(": ")?;
    let label = line[..colon].trim_start().trim_start_matches("= ");
    let label = label.split('[').next().unwrap_or(label);
    ["error", "warning", "note", "help"]
        .contains(&label)
        .then_some(colon + 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_closure_that_borrows_into_a_thread_is_refused_with_e0373() {
        if !rustc_runs() {
            eprintln!("skipped: rustc cannot be run on this machine");
            return;
        }
        let messages = expect_compile_error(
            "book/listings/ch06-threads/broken/no_move.rs",
            "E0373",
        )
        .unwrap();
        assert!(messages.contains("borrows `n`"), "{messages}");
        assert!(messages.contains("--> no_move.rs:"), "{messages}");
        assert!(messages.lines().all(|line| line.chars().count() <= COLUMNS));
    }

    #[test]
    fn a_program_that_compiles_or_fails_otherwise_is_reported() {
        if !rustc_runs() {
            eprintln!("skipped: rustc cannot be run on this machine");
            return;
        }
        let fine = "book/listings/ch06-threads/src/bin/start-join.rs";
        let error = expect_compile_error(fine, "E0373").unwrap_err();
        assert!(error.contains("compiled, but"), "{error}");
        let other = "book/listings/ch06-threads/broken/no_move.rs";
        let error = expect_compile_error(other, "E0277").unwrap_err();
        assert!(error.contains("without error E0277"), "{error}");
        // A placeholder name, which no file has (nor may have, on Windows).
        let missing = "book/listings/ch06-threads/broken/<missing>.rs";
        assert!(expect_compile_error(missing, "E0373").is_err());
    }

    #[test]
    fn long_lines_wrap_under_the_message_text() {
        let long = format!("error[E0373]: {}", "word ".repeat(30));
        let lines = wrap(long.trim_end().to_owned());
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|line| line.len() <= COLUMNS + 1));
        assert!(lines[1].starts_with(&" ".repeat(14)));
        assert!(!lines[1].starts_with(&" ".repeat(15)));
        let rejoined: Vec<&str> = lines
            .iter()
            .flat_map(|line| line.split_whitespace())
            .collect();
        assert_eq!(rejoined.len(), 31);
        assert_eq!(wrap("   |  x".to_owned()), ["   |  x\n"]);
        let label = format!("   |     |  {}", "label ".repeat(14));
        let lines = wrap(label.trim_end().to_owned());
        assert!(lines[1].starts_with("   |     |  label"), "{lines:?}");
        assert_eq!(
            shorten("  --> /rustc/abc/library/std/src/lib.rs:1:0"),
            "  --> …/library/std/src/lib.rs:1:0"
        );
    }

    #[test]
    fn collatz_counts_steps() {
        assert_eq!(collatz_steps(1), 0);
        assert_eq!(collatz_steps(6), 8);
        assert_eq!(collatz_steps(27), 111);
    }

    #[test]
    fn chunks_cover_the_range_once() {
        assert_eq!(chunks(10, 4), [(1, 4), (4, 7), (7, 9), (9, 11)]);
        assert_eq!(chunks(3, 1), [(1, 4)]);
    }

    #[test]
    fn threads_give_the_serial_answer() {
        assert_eq!(spawned_total(3000, 3), total_steps(1, 3001));
        let numbers: Vec<u64> = (1..=100).collect();
        assert_eq!(scoped_total(&numbers), 5050);
    }

    #[test]
    fn two_clients_are_served_at_once() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || serve(listener));
        // A server that serves one client at a time never answers the
        // second: the watchdog ends the test with that sentence instead.
        testkit::watchdog::within_default(
            "the second client's echo while the first stays connected",
            move || {
                let mut first = TcpStream::connect(addr).unwrap();
                let mut second = TcpStream::connect(addr).unwrap();
                second.write_all(b"hi").unwrap();
                let mut back = [0; 2];
                second.read_exact(&mut back).unwrap();
                assert_eq!(&back, b"hi");
                first.write_all(b"yo").unwrap();
                first.read_exact(&mut back).unwrap();
                assert_eq!(&back, b"yo");
            },
        );
    }
}
