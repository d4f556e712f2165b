//! The reference solution of "Threads": start threads and collect what each returns, split
//! CPU-bound work over N threads that really run at the same time, and serve many echo clients at
//! once.

use std::any::Any;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// Starts `count` threads, all at once, the way the lecture starts its three: thread `i` runs
/// `work(i)`. Then joins every thread and returns what each returned, in the order they were
/// started (whatever order they finish in): `Ok(value)`, or `Err(message)` when that thread
/// panicked, with the panic's message, whether its payload is a `&str` or a `String`
/// (`"a panic without a message"` when it is neither). One thread's panic never loses the
/// others' results.
///
/// Every thread is started before any is joined, so the threads run at the same time.
pub fn run_threads<T, F>(count: usize, work: F) -> Vec<Result<T, String>>
where
    T: Send + 'static,
    F: Fn(usize) -> T + Clone + Send + 'static,
{
    let handles: Vec<thread::JoinHandle<T>> = (0..count)
        .map(|i| {
            let work = work.clone();
            thread::spawn(move || work(i))
        })
        .collect();
    handles
        .into_iter()
        .map(|handle| handle.join().map_err(|payload| panic_message(&*payload)))
        .collect()
}

/// The message a thread panicked with: `panic!` with a literal gives a `&str`, with a format
/// string a `String`; anything else has no message to show.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// Adds up `work(item)` over every item, splitting `items` over `threads` threads that run at
/// the same time.
///
/// - `threads` is at least one: `threads == 0` is the caller's mistake, and panics, even for
///   an empty slice.
/// - Uses `min(threads, items.len())` threads: never more threads than items (with more
///   threads than items, each item gets a thread of its own), and none at all for an empty
///   slice.
/// - Each thread takes one contiguous chunk of `items`; chunk lengths differ by at most one
///   (10 items on 4 threads are chunks of 3, 3, 2 and 2), so no thread waits for a busier one.
/// - Borrows `items` instead of copying them (`T` need not be `Clone`): the extra memory does
///   not grow with the input.
pub fn parallel_sum<T, F>(items: &[T], threads: usize, work: F) -> u64
where
    T: Sync,
    F: Fn(&T) -> u64 + Sync,
{
    assert!(threads > 0, "parallel_sum needs at least one thread");
    let chunks = threads.min(items.len());
    if chunks == 0 {
        return 0;
    }
    let base = items.len() / chunks;
    let longer = items.len() % chunks;
    let work = &work;
    thread::scope(|scope| {
        let mut rest = items;
        let mut handles = Vec::with_capacity(chunks);
        for index in 0..chunks {
            // The first `longer` chunks take one item more, so lengths differ by at most one.
            let len = base + usize::from(index < longer);
            let (chunk, tail) = rest.split_at(len);
            rest = tail;
            handles.push(scope.spawn(move || chunk.iter().map(work).sum::<u64>()));
        }
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
            .sum()
    })
}

/// Echoes everything one client sends back to it, unchanged, each piece as soon as it
/// arrives, until the client shuts down its sending side (`read` returns `Ok(0)`); then sends
/// back whatever is left, closes, and returns how many bytes it echoed. A client that
/// disconnects abruptly (a reset) ends the call with the error the socket gave, never `Ok`.
pub fn echo(stream: TcpStream) -> io::Result<u64> {
    let mut reader = &stream;
    let mut writer = &stream;
    let echoed = io::copy(&mut reader, &mut writer)?;
    stream.shutdown(Shutdown::Write)?;
    Ok(echoed)
}

/// Where [`serve`] gets its connections: a [`TcpListener`], or, in the tests, a listener whose
/// `accept` fails on purpose, the way a real one fails when the server has run out of file
/// descriptors or memory. Provided: there is nothing to write here.
pub trait Accept {
    /// Waits for the next connection and returns it, with the client's address, as
    /// [`TcpListener::accept`] does.
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)>;
}

impl Accept for TcpListener {
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        // The listener's own `accept`: a type's own methods come before a trait's.
        TcpListener::accept(self)
    }
}

/// How long [`serve`] pauses after `accept` fails: long enough not to spin, short enough that
/// clients hardly notice once the server has what it was short of.
const ACCEPT_PAUSE: Duration = Duration::from_millis(50);

/// Serves echo clients for ever, many at once: each accepted connection gets a thread of its
/// own running [`echo`], so a client that stays connected and silent never delays the others,
/// and a client that disconnects abruptly ends only its own thread.
///
/// `serve` never returns, and its return type `!` ("never") says so: the compiler checks that
/// no path leaves the loop. An `io::Result<()>` would promise a result that never comes, since
/// no error ends the server:
///
/// - When `accept` fails (too many open files, out of memory, a client that gave up before it
///   was accepted, …), the cause is usually the server's own resources, which come back as
///   clients leave. `serve` pauses briefly (10 to 100 ms) and accepts again. Without the pause
///   it would spin: retry at once, thousands of times a second, on an error still there.
/// - When the operating system refuses a new thread, that one connection is closed and the
///   server goes on. (`thread::spawn` panics then; `thread::Builder::new().spawn(…)` returns
///   an error instead.)
pub fn serve(listener: impl Accept) -> ! {
    loop {
        let stream = match listener.accept() {
            Ok((stream, _peer)) => stream,
            Err(_) => {
                // Out of file descriptors or memory, most likely: trying again at once would
                // fail again. Pause, then go on; the error is not the server's end.
                thread::sleep(ACCEPT_PAUSE);
                continue;
            }
        };
        // When the OS refuses a thread, `thread::spawn` would panic; `Builder::spawn` returns
        // `Err` and drops the closure, and with it the stream: that one connection closes, and
        // the server goes on. A thread that did start runs on without its `JoinHandle`.
        let _ = thread::Builder::new().spawn(move || {
            // A client's error ends that client's conversation and nothing else.
            let _ = echo(stream);
        });
    }
}

#[cfg(test)]
#[path = "../../../exercises/ch06-threads/src/tests.rs"]
mod tests;
