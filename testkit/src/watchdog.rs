//! A watchdog that turns a test body which blocks forever into a failure after a bounded time.
//!
//! A `read` that never returns, a deadlock or a `join` on a thread that never ends would hang a
//! plain test for ever. [`within`] runs the body on a thread of its own and waits for it with a
//! deadline. When the deadline passes, the test fails with a message that names what was being
//! awaited; the stuck thread is left behind and dies with the test process.
//!
//! Every message starts with [`TIMED_OUT`], which is how the runner tells a time-out from an
//! ordinary failure.

use std::any::Any;
use std::panic;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How every watchdog failure message starts; the runner looks for it.
pub const TIMED_OUT: &str = "timed out after";

/// The limit used by [`within_default`]: generous, because a test that works takes milliseconds.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(10);

/// The environment variable that stretches every limit, for very slow machines (`2` doubles them).
pub const SCALE_VAR: &str = "WORKBOOK_TIME_SCALE";

/// Returns `limit` stretched by `WORKBOOK_TIME_SCALE` when that is set to a positive number.
pub fn scaled(limit: Duration) -> Duration {
    let factor = std::env::var(SCALE_VAR)
        .ok()
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|factor| factor.is_finite() && *factor > 0.0)
        .unwrap_or(1.0);
    limit.mul_f64(factor)
}

/// Runs `body` and returns its result, or fails the test if it takes longer than `limit`.
///
/// `awaiting` completes the sentence "timed out after 10 s waiting for …", so write it as what
/// the student's code should have done: `"echo_once to return after the client closed"`.
/// A panic inside `body` fails the test with the body's own message.
pub fn within<T, F>(limit: Duration, awaiting: &str, body: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let limit = scaled(limit);
    let (done, finished) = mpsc::channel();
    // Naming the body's thread after the test keeps panic messages readable.
    let name = thread::current().name().unwrap_or("test body").to_owned();
    let body_thread = thread::Builder::new()
        .name(name)
        .spawn(move || {
            let value = body();
            // The receiver is gone only if the watchdog already gave up; nothing to do then.
            let _ = done.send(value);
        })
        .expect("the watchdog could not start a thread for the test body");

    match finished.recv_timeout(limit) {
        Ok(value) => {
            // The body has finished; joining only collects the thread.
            let _ = body_thread.join();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match body_thread.join() {
            Err(payload) => panic::resume_unwind(payload),
            Ok(()) => unreachable!("the body's thread ended without a result and without a panic"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{TIMED_OUT} {} waiting for {awaiting}", describe(limit))
        }
    }
}

/// [`within`] with [`DEFAULT_LIMIT`].
pub fn within_default<T, F>(awaiting: &str, body: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    within(DEFAULT_LIMIT, awaiting, body)
}

/// Waits for `handle` to finish, or fails the test after `limit`, naming `awaiting`.
///
/// A panic in the joined thread is returned as `Err`, as `JoinHandle::join` does, so a test can
/// assert that a worker's panic was reported rather than lost.
pub fn join<T: Send + 'static>(
    handle: thread::JoinHandle<T>,
    limit: Duration,
    awaiting: &str,
) -> thread::Result<T> {
    within(limit, awaiting, move || handle.join())
}

/// Runs `body` on a thread named `name (panics on purpose)` and returns the message it panicked
/// with, or what it returned when it did not panic, within [`DEFAULT_LIMIT`]. The thread's name
/// tells a reader of the output, and the runner, that the panic it prints is expected: it is
/// part of the test's story, not its verdict.
pub fn expect_panic<T: Send + 'static>(
    name: &str,
    awaiting: &str,
    body: impl FnOnce() -> T + Send + 'static,
) -> Result<String, T> {
    let handle = thread::Builder::new()
        .name(format!("{name} (panics on purpose)"))
        .spawn(body)
        .expect("the test could not start a thread");
    match join(handle, DEFAULT_LIMIT, awaiting) {
        Err(payload) => Ok(panic_message(&*payload)),
        Ok(value) => Err(value),
    }
}

/// Formats a duration the way a person says it: `10 s`, `1.5 s`, `250 ms`.
pub fn describe(limit: Duration) -> String {
    if limit >= Duration::from_secs(1) {
        let seconds = limit.as_secs_f64();
        if seconds.fract() == 0.0 {
            format!("{seconds:.0} s")
        } else {
            format!("{seconds:.1} s")
        }
    } else {
        format!("{} ms", limit.as_millis())
    }
}

/// The message of a panic payload, for tests that check what a thread panicked with.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    #[test]
    fn expect_panic_returns_the_message_or_the_value() {
        assert_eq!(
            expect_panic("a doomed thread", "it to panic", || -> u8 {
                panic!("on purpose")
            }),
            Ok("on purpose".to_owned())
        );
        assert_eq!(expect_panic("a calm thread", "it to return", || 7), Err(7));
    }

    #[test]
    fn returns_the_value_of_a_body_that_finishes() {
        assert_eq!(within_default("an addition", || 2 + 2), 4);
    }

    #[test]
    fn fails_with_what_was_awaited_when_the_body_blocks() {
        let outcome = panic::catch_unwind(|| {
            within(
                Duration::from_millis(50),
                "a reply that never comes",
                || {
                    // Blocks for ever: nobody ever calls `wait` a second time.
                    Barrier::new(2).wait();
                },
            )
        });
        let message = panic_message(&*outcome.expect_err("the watchdog should have fired"));
        assert!(message.starts_with(TIMED_OUT), "{message}");
        assert!(
            message.ends_with("waiting for a reply that never comes"),
            "{message}"
        );
    }

    #[test]
    fn passes_on_the_bodys_own_panic_message() {
        let outcome = panic::catch_unwind(|| within_default("a panic", || panic!("boom")));
        let message = panic_message(&*outcome.expect_err("the body's panic should propagate"));
        assert_eq!(message, "boom");
    }

    #[test]
    fn join_reports_a_thread_that_never_ends() {
        let gate = Arc::new(Barrier::new(2));
        let stuck = {
            let gate = Arc::clone(&gate);
            thread::spawn(move || {
                gate.wait();
            })
        };
        let outcome = panic::catch_unwind(panic::AssertUnwindSafe(|| {
            let _ = join(stuck, Duration::from_millis(50), "the worker to finish");
        }));
        let message = panic_message(&*outcome.expect_err("joining should have timed out"));
        assert!(
            message.contains("waiting for the worker to finish"),
            "{message}"
        );
        gate.wait(); // Lets the stuck thread go so it does not outlive the test.
    }

    #[test]
    fn describes_durations_as_people_say_them() {
        assert_eq!(describe(Duration::from_secs(10)), "10 s");
        assert_eq!(describe(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(describe(Duration::from_millis(250)), "250 ms");
    }
}
