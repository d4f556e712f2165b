//! From what a test program printed to a verdict a student understands: passed, failed (with the
//! assertion's message), not yet implemented (which function), timed out, or panicked (where).

use std::fs;
use std::path::Path;
use std::time::Duration;

use testkit::watchdog::TIMED_OUT;

use crate::libtest::{Run, Status};
use crate::source;

/// The verdict on one test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// An assertion in the test failed; `message` says what the test expected.
    Failed {
        message: String,
    },
    /// The test reached a `todo!()` in the student's code.
    Todo {
        function: Option<String>,
        location: String,
    },
    /// The test did not finish in time.
    TimedOut {
        message: String,
    },
    /// The student's code panicked (or the test program crashed).
    Panicked {
        message: String,
        location: Option<String>,
    },
    /// Marked `#[ignore]`: it grades nothing, and `verify` says so.
    Ignored,
}

impl Verdict {
    /// The verdict in a word, as JSON and the feedback files give it: `passed`, `timed out`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed { .. } => "failed",
            Verdict::Todo { .. } => "todo",
            Verdict::TimedOut { .. } => "timed out",
            Verdict::Panicked { .. } => "panicked",
            Verdict::Ignored => "ignored",
        }
    }

    /// The status word of the verdict column, capitalised as every status word is: `Passed`,
    /// `Timed out`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Passed => "Passed",
            Verdict::Failed { .. } => "Failed",
            Verdict::Todo { .. } => "Todo",
            Verdict::TimedOut { .. } => "Timed out",
            Verdict::Panicked { .. } => "Panicked",
            Verdict::Ignored => "Ignored",
        }
    }

    /// The explanation under the verdict, if any.
    pub fn message(&self) -> Option<String> {
        match self {
            Verdict::Passed | Verdict::Ignored => None,
            Verdict::Failed { message } | Verdict::TimedOut { message } => Some(message.clone()),
            Verdict::Todo { function, location } => Some(match function {
                Some(function) => format!("`{function}` is not yet implemented ({location})"),
                None => format!("a `todo!()` is not yet implemented ({location})"),
            }),
            Verdict::Panicked { message, location } => Some(match location {
                Some(location) => format!("{message}\n(at {location})"),
                None => message.clone(),
            }),
        }
    }
}

/// One `thread '…' panicked at FILE:LINE:COL:` block of a test's output.
#[derive(Debug, PartialEq, Eq)]
struct Panic {
    /// The name of the thread that panicked: the test's own name for the test's thread (and the
    /// watchdog's body thread), something else for the threads the test or the code started.
    thread: String,
    location: String,
    message: String,
}

impl Panic {
    /// The file part of the location.
    fn file(&self) -> &str {
        self.location.split(':').next().unwrap_or_default()
    }

    /// True when the panic is the test's own assertion (in the shared test file or the test
    /// kit), false when it came from the code under test.
    fn is_in_test_code(&self) -> bool {
        let file = self.file().replace('\\', "/");
        file.contains("src/tests") || file.contains("testkit/src")
    }

    fn is_todo(&self) -> bool {
        self.message.starts_with("not yet implemented")
            || self.message.starts_with("not implemented")
    }
}

/// The verdict on the test `name` of `run`; `root` is the workspace the program was built in.
pub fn classify(name: &str, run: &Run, root: &Path, timeout: Duration) -> Verdict {
    match run.status.get(name) {
        Some(Status::Passed) => Verdict::Passed,
        Some(Status::Ignored) => Verdict::Ignored,
        Some(Status::Failed) => {
            let output = run.output.get(name).map(String::as_str).unwrap_or_default();
            classify_failure(name, output, root)
        }
        Some(Status::Untrusted) => Verdict::Failed {
            message: format!(
                "it printed `ok`, but {}",
                run.distrust
                    .as_deref()
                    .unwrap_or("the run that printed it cannot be trusted")
            ),
        },
        Some(Status::Unfinished) | None if run.stopped => Verdict::TimedOut {
            message: format!(
                "still running after {} s, so the runner stopped it: something in it blocks for ever\n\
                 (a read that gets no data, a lock or a join that never returns)",
                timeout.as_secs()
            ),
        },
        Some(Status::Unfinished) | None => Verdict::Panicked {
            message: format!(
                "the test program crashed while this test was running ({}){}",
                run.exit
                    .map_or_else(|| "no exit status".to_owned(), |s| s.to_string()),
                last_lines(&run.stderr, 4)
                    .map(|l| format!(":\n{l}"))
                    .unwrap_or_default()
            ),
            location: None,
        },
    }
}

/// The verdict on the failed test `name` from what it printed. A `todo!()` or a time-out anywhere
/// says it all; then a panic in the student's code, on any thread; then the panic that ended the
/// test's own thread, which is the assertion that failed. A panic the test brought about on
/// purpose on another thread (a job that fails, a helper thread that gives up) is part of the
/// story, never the verdict.
fn classify_failure(name: &str, output: &str, root: &Path) -> Verdict {
    let (panics, other_lines) = parse_panics(output);
    if let Some(todo) = panics.iter().find(|p| p.is_todo()) {
        return Verdict::Todo {
            function: enclosing_function(root, &todo.location),
            location: todo.location.clone(),
        };
    }
    let mut message =
        if let Some(timeout) = panics.iter().find(|p| p.message.starts_with(TIMED_OUT)) {
            return Verdict::TimedOut {
                message: timeout.message.clone(),
            };
        } else if let Some(student) = panics.iter().find(|p| !p.is_in_test_code()) {
            return Verdict::Panicked {
                message: trim(&student.message),
                location: Some(student.location.clone()),
            };
        } else if let Some(assertion) = panics
            .iter()
            .find(|p| p.thread == name)
            .or_else(|| panics.first())
        {
            trim(&assertion.message)
        } else {
            // A test that returned `Err` prints `Error: …` rather than panicking.
            trim(output.trim())
        };
    // Lines the test printed besides its panic, such as the seed to replay a random run.
    if !other_lines.is_empty() && !panics.is_empty() {
        message.push('\n');
        message.push_str(&trim(&other_lines.join("\n")));
    }
    Verdict::Failed { message }
}

/// Splits a test's output into its panics and its other (non-empty) lines.
fn parse_panics(output: &str) -> (Vec<Panic>, Vec<String>) {
    let mut panics: Vec<Panic> = Vec::new();
    let mut other = Vec::new();
    let mut in_panic = false;
    for line in output.lines() {
        // `thread 'tests::x' panicked at src/lib.rs:3:5:`; newer Rust adds the thread's id
        // after the name: `thread 'tests::x' (4052) panicked at …`.
        if let Some((thread, location)) = line
            .strip_prefix("thread '")
            .and_then(|rest| rest.split_once(" panicked at "))
            .and_then(|(thread, location)| {
                Some((thread.split_once('\'')?.0, location.trim_end_matches(':')))
            })
        {
            panics.push(Panic {
                thread: thread.to_owned(),
                location: location.to_owned(),
                message: String::new(),
            });
            in_panic = true;
        } else if line.starts_with("note: ") || line.starts_with("stack backtrace:") {
            in_panic = false;
        } else if in_panic {
            let message = &mut panics.last_mut().expect("in a panic block").message;
            if !message.is_empty() {
                message.push('\n');
            }
            message.push_str(line);
        } else if !line.trim().is_empty() {
            other.push(line.to_owned());
        }
    }
    for panic in &mut panics {
        panic.message = panic.message.trim_end().to_owned();
    }
    (panics, other)
}

/// The name of the function around `location` (`src/lib.rs:42:5`), read from the source.
fn enclosing_function(root: &Path, location: &str) -> Option<String> {
    let mut parts = location.rsplitn(3, ':');
    let (_column, line, file) = (parts.next()?, parts.next()?, parts.next()?);
    let line: usize = line.parse().ok()?;
    source::enclosing_function(&fs::read_to_string(root.join(file)).ok()?, line)
}

/// At most 12 lines of at most 300 characters: enough to understand, short enough to read.
fn trim(message: &str) -> String {
    const MAX_LINES: usize = 12;
    const MAX_CHARS: usize = 300;
    let lines: Vec<&str> = message.lines().collect();
    let mut kept: Vec<String> = lines
        .iter()
        .take(MAX_LINES)
        .map(|line| match line.char_indices().nth(MAX_CHARS) {
            Some((cut, _)) => format!("{}…", &line[..cut]),
            None => (*line).to_owned(),
        })
        .collect();
    if lines.len() > MAX_LINES {
        kept.push(format!("… ({} more lines)", lines.len() - MAX_LINES));
    }
    kept.join("\n")
}

/// The last `count` non-empty lines of `text`, if there are any.
fn last_lines(text: &str, count: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    (!lines.is_empty()).then(|| lines[lines.len().saturating_sub(count)..].join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use indoc::indoc;

    #[test]
    fn an_assertion_in_the_tests_is_a_failure_with_its_message() {
        let output = indoc! {"
            thread 'tests::x' panicked at exercises/ch01-tcp-ip/src/tests.rs:12:5:
            assertion `left == right` failed: the port is wrong
              left: 1
             right: 2
            note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
            failed with seed 4. The seeds are fixed, not random: every run tries the same ones. To run seed 4 alone, set WORKBOOK_SEED=4.
        "};
        let Verdict::Failed { message } = classify_failure("tests::x", output, Path::new("."))
        else {
            panic!("expected a failure");
        };
        assert!(message.starts_with("assertion `left == right` failed: the port is wrong"));
        assert!(message.contains(" right: 2"));
        assert!(message.ends_with("To run seed 4 alone, set WORKBOOK_SEED=4."));
    }

    #[test]
    fn a_panic_in_the_students_code_wins_over_the_tests_complaint() {
        let output = indoc! {"
            thread 'tests::x' (4052) panicked at exercises/ch02-sockets/src/lib.rs:30:14:
            called `Result::unwrap()` on an `Err` value: ConnectionReset
            note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
            thread 'tests::x' panicked at exercises/ch02-sockets/src/tests.rs:80:9:
            the server closed the connection
        "};
        assert_eq!(
            classify_failure("tests::x", output, Path::new(".")),
            Verdict::Panicked {
                message: "called `Result::unwrap()` on an `Err` value: ConnectionReset".to_owned(),
                location: Some("exercises/ch02-sockets/src/lib.rs:30:14".to_owned()),
            }
        );
    }

    #[test]
    fn the_assertion_on_the_tests_own_thread_wins_over_a_deliberate_panic_elsewhere() {
        let output = indoc! {"
            thread '<unnamed>' panicked at exercises/ch06-threads/src/tests.rs:40:13:
            job 2 failed, on purpose
            note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
            thread 'worker 1' (77) panicked at exercises/ch06-threads/src/tests.rs:52:9:
            thread 1 gave up
            thread 'tests::x' (4052) panicked at exercises/ch06-threads/src/tests.rs:90:9:
            the pool lost job 3 after job 2 panicked
        "};
        assert_eq!(
            classify_failure("tests::x", output, Path::new(".")),
            Verdict::Failed {
                message: "the pool lost job 3 after job 2 panicked".to_owned()
            }
        );
    }

    #[test]
    fn the_watchdogs_message_is_a_time_out() {
        let output = "thread 'tests::x' panicked at testkit/src/watchdog.rs:70:13:\ntimed out after 10 s waiting for a reply\n";
        assert!(matches!(
            classify_failure("tests::x", output, Path::new(".")),
            Verdict::TimedOut { .. }
        ));
    }

    #[test]
    fn a_panic_at_a_solutions_path_to_the_shared_tests_is_test_code() {
        let panic = Panic {
            thread: "tests::x".to_owned(),
            location: "solutions/ch01-tcp-ip/src/../../../exercises/ch01-tcp-ip/src/tests.rs:3:1"
                .to_owned(),
            message: String::new(),
        };
        assert!(panic.is_in_test_code());
    }

    #[test]
    fn long_messages_are_trimmed_to_what_can_be_read() {
        let long: String = (0..40).map(|i| format!("line {i}\n")).collect();
        let trimmed = trim(&long);
        assert_eq!(trimmed.lines().count(), 13);
        assert!(trimmed.ends_with("… (28 more lines)"));
        assert!(trim(&"x".repeat(1000)).chars().count() <= 301);
    }
}
