//! Each thread catches its own panic and sends `(index, result)` on a channel, the sum goes through an atomic, echo is a hand-written read loop, and serve backs off from 10 to 80 ms.

use std::any::Any;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Starts `count` threads, all at once: thread `i` runs `work(i)`. Returns what each returned,
/// in start order, or the message of its panic.
pub fn run_threads<T, F>(count: usize, work: F) -> Vec<Result<T, String>>
where
    T: Send + 'static,
    F: Fn(usize) -> T + Clone + Send + 'static,
{
    let (report, reports) = mpsc::channel::<(usize, Result<T, String>)>();
    let mut handles = Vec::with_capacity(count);
    for index in 0..count {
        let work = work.clone();
        let report = report.clone();
        handles.push(thread::spawn(move || {
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| work(index)));
            // The receiver lives until every report is in.
            let _ = report.send((index, outcome.map_err(describe)));
        }));
    }
    drop(report);
    let mut slots: Vec<Option<Result<T, String>>> = (0..count).map(|_| None).collect();
    for (index, outcome) in reports {
        slots[index] = Some(outcome);
    }
    for handle in handles {
        // Each thread caught its own panic, so joining only waits for it to end.
        let _ = handle.join();
    }
    slots
        .into_iter()
        .map(|slot| slot.expect("every thread reports once"))
        .collect()
}

/// Takes the payload apart: a `&'static str` or a `String` is the message.
fn describe(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<&'static str>() {
        Ok(text) => (*text).to_owned(),
        Err(payload) => match payload.downcast::<String>() {
            Ok(text) => *text,
            Err(_) => "a panic without a message".to_owned(),
        },
    }
}

/// Adds up `work(item)` over every item on `min(threads, items.len())` scoped threads, each
/// taking the contiguous chunk between `k * len / n` and `(k + 1) * len / n`.
pub fn parallel_sum<T, F>(items: &[T], threads: usize, work: F) -> u64
where
    T: Sync,
    F: Fn(&T) -> u64 + Sync,
{
    assert_ne!(threads, 0, "parallel_sum needs at least one thread");
    let len = items.len();
    let used = threads.min(len);
    let total = AtomicU64::new(0);
    let (work, total_ref) = (&work, &total);
    thread::scope(|scope| {
        for k in 0..used {
            let chunk = &items[k * len / used..(k + 1) * len / used];
            scope.spawn(move || {
                let sum: u64 = chunk.iter().map(work).sum();
                total_ref.fetch_add(sum, Ordering::Relaxed);
            });
        }
    });
    total.into_inner()
}

/// Sends back every piece as it arrives, until the client shuts down its side.
pub fn echo(stream: TcpStream) -> io::Result<u64> {
    let mut buffer = [0; 8192];
    let mut echoed: u64 = 0;
    loop {
        let n = match (&stream).read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        (&stream).write_all(&buffer[..n])?;
        echoed += n as u64;
    }
    stream.shutdown(Shutdown::Write)?;
    Ok(echoed)
}

/// Where [`serve`] gets its connections. Provided: there is nothing to write here.
pub trait Accept {
    /// Waits for the next connection and returns it, with the client's address, as
    /// [`TcpListener::accept`] does.
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)>;
}

impl Accept for TcpListener {
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        TcpListener::accept(self)
    }
}

/// The first pause after an accept error, and the longest.
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const LONGEST_PAUSE: Duration = Duration::from_millis(80);

/// Serves echo clients for ever, a thread each. After an accept error it pauses, 10 ms at
/// first, twice as long after each further error in a row (80 ms at most).
pub fn serve(listener: impl Accept) -> ! {
    let mut pause = FIRST_PAUSE;
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                pause = FIRST_PAUSE;
                let started = thread::Builder::new()
                    .name(format!("echo {peer}"))
                    .spawn(move || echo(stream));
                // Without a thread, the closure and its stream are dropped: that client is closed.
                drop(started);
            }
            Err(_) => {
                thread::sleep(pause);
                pause = (pause * 2).min(LONGEST_PAUSE);
            }
        }
    }
}

#[cfg(test)]
#[path = "../../../exercises/ch06-threads/src/tests.rs"]
mod tests;
