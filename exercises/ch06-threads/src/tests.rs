//! The tests of "Threads". The same file grades your exercise and the reference solution.
//!
//! None of these tests measures how fast your code is. To prove that threads run at the same
//! time, the work waits at a `Barrier` sized to the number of threads: the barrier opens only
//! when every thread has reached it, which can happen only if they all run at once. Work done
//! one thread after another stops at the barrier for ever, and the watchdog says so. To prove
//! that results come back in start order, the threads are made to finish in the reverse order.
//!
//! The last tests give `serve` a listener whose `accept` fails on purpose, as a real one does
//! when the server runs out of file descriptors. One of them counts how often `serve` calls
//! `accept` while it keeps failing for 200 ms: a server that pauses after each error calls it a
//! few times, one that retries at once calls it thousands of times. Another measures each pause:
//! the bounds are looser than the 10 to 100 ms the doc comment asks for (at least 5 ms, because
//! a short sleep may end a little early on Windows; under 500 ms, because a busy machine may
//! wake a sleeper late), but a pause of a second or a busy loop is caught.
//!
//! Every test that starts `serve` stops it at its end: the test's listener makes the next
//! `accept` unwind `serve`'s thread (with `resume_unwind`, which prints nothing), so no server
//! outlives its test. A thread whose name says "(panics on purpose)" is meant to panic.
//!
//! What the tests cannot check, and why:
//!
//! - That `serve` closes one connection and goes on when the operating system refuses a thread:
//!   a test cannot make `thread::Builder::spawn` fail on demand.
//! - That `echo` retries a read or write that failed with `Interrupted`: it takes a real
//!   `TcpStream`, which a test cannot make fail that way. (`io::copy` and `write_all` retry.)
//! - That `parallel_sum` starts no thread for an empty slice or beyond `items.len()`: a thread
//!   that gets no item never calls `work`, so the tests cannot see it. They check what shows:
//!   with more threads than items, every item runs on a thread of its own.
//! - That `parallel_sum`'s extra memory does not grow with the input: the tests' items are not
//!   `Clone`, so they cannot be copied, only borrowed.

use super::*;

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::panic;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex, OnceLock, mpsc};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use testkit::net;
use testkit::peer;
use testkit::seed;
use testkit::watchdog;

/// What the watchdog was waiting for when parallel work never met at its barrier.
fn never_met(threads: usize) -> String {
    format!(
        "{threads} threads to meet at a barrier that opens only when all {threads} run at the \
         same time. If this timed out, the work ran one item at a time: each thread was joined \
         (or each chunk done) before the next started, so the threads never ran together"
    )
}

#[test]
fn run_threads_returns_each_threads_result_in_start_order() {
    let results = watchdog::within_default("run_threads to return", || run_threads(5, |i| i * i));
    assert_eq!(
        results,
        vec![Ok(0), Ok(1), Ok(4), Ok(9), Ok(16)],
        "thread i should run work(i), and the results should come back in the order the \
         threads were started (join the handles in that order), whatever order they finish in"
    );
    let none = watchdog::within_default("run_threads(0, …) to return", || run_threads(0, |i| i));
    assert!(
        none.is_empty(),
        "zero threads give zero results, not {none:?}"
    );
}

#[test]
fn run_threads_runs_each_call_on_a_thread_of_its_own() {
    let caller = thread::current().id();
    let ids = watchdog::within_default("run_threads to return", || {
        run_threads(4, |_| thread::current().id())
    });
    let ids: Vec<ThreadId> = ids
        .into_iter()
        .map(|r| r.expect("no thread panicked, yet run_threads reported an Err"))
        .collect();
    let distinct: HashSet<ThreadId> = ids.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        4,
        "4 calls ran on only {} distinct threads; spawn a new thread for each",
        distinct.len()
    );
    assert!(
        !distinct.contains(&caller),
        "work ran on the caller's thread; every call belongs on a spawned thread"
    );
}

#[test]
fn run_threads_starts_every_thread_before_joining_any() {
    for count in [2, 3, 8] {
        let barrier = Arc::new(Barrier::new(count));
        let results = watchdog::within_default(&never_met(count), move || {
            run_threads(count, move |i| {
                barrier.wait();
                i
            })
        });
        assert_eq!(
            results.len(),
            count,
            "{count} threads should give {count} results"
        );
    }
}

/// Which threads of a [`run_threads`] call have ended. Thread `i` of `count` may return only
/// once thread `i + 1` has ended, so they finish last-started first.
struct ReverseFinish {
    ended: Mutex<Vec<bool>>,
    changed: Condvar,
}

/// Marks thread `index` as ended when the thread itself ends: it lives in a thread-local, and
/// a thread drops its thread-locals only after everything it ran has returned, including what
/// `run_threads` does with the result on that thread (such as sending it on a channel).
struct EndsWithTheThread {
    finish: Arc<ReverseFinish>,
    index: usize,
}

impl Drop for EndsWithTheThread {
    fn drop(&mut self) {
        let mut ended = self.finish.ended.lock().unwrap_or_else(|e| e.into_inner());
        ended[self.index] = true;
        self.finish.changed.notify_all();
    }
}

thread_local! {
    static ENDS_WITH_THE_THREAD: RefCell<Option<EndsWithTheThread>> = const { RefCell::new(None) };
}

#[test]
fn run_threads_keeps_start_order_when_the_threads_finish_in_reverse() {
    let count = 6;
    let finish = Arc::new(ReverseFinish {
        ended: Mutex::new(vec![false; count]),
        changed: Condvar::new(),
    });
    let results = watchdog::within_default(
        "6 threads that finish in reverse order: thread 5 first, thread 0 last. If this timed \
         out, run_threads did not start every thread before joining the first",
        move || {
            run_threads(count, move |i| {
                if i + 1 < count {
                    let ended = finish.ended.lock().unwrap();
                    drop(
                        finish
                            .changed
                            .wait_while(ended, |ended| !ended[i + 1])
                            .unwrap(),
                    );
                }
                let guard = EndsWithTheThread {
                    finish: Arc::clone(&finish),
                    index: i,
                };
                ENDS_WITH_THE_THREAD.with(|slot| *slot.borrow_mut() = Some(guard));
                format!("thread {i}")
            })
        },
    );
    let expected: Vec<Result<String, String>> =
        (0..count).map(|i| Ok(format!("thread {i}"))).collect();
    assert!(
        results == expected,
        "the threads finished last-started first, and run_threads returned {results:?}; the \
         results belong in the order the threads were started, whatever order they finish in: \
         join the handles in start order (results collected from a channel arrive in finishing \
         order)"
    );
}

#[test]
fn run_threads_reports_a_panic_and_keeps_the_other_results() {
    let results = watchdog::within_default("run_threads to return after a panic", || {
        run_threads(5, |i| {
            match i {
                // `panic_any` makes the payload's type certain: a `&'static str`…
                1 => panic::panic_any("thread 1 panics on purpose (a &str message)"),
                // …a `String`…
                2 => panic::panic_any(format!("thread {i} panics on purpose (a String message)")),
                // …and neither, so there is no message.
                3 => panic::panic_any(42_u8),
                _ => i * 10,
            }
        })
    });
    let expected: Vec<Result<usize, String>> = vec![
        Ok(0),
        Err("thread 1 panics on purpose (a &str message)".to_owned()),
        Err("thread 2 panics on purpose (a String message)".to_owned()),
        Err("a panic without a message".to_owned()),
        Ok(40),
    ];
    for (index, (got, want)) in results.iter().zip(&expected).enumerate() {
        let hint = match index {
            1 => {
                "the payload of `panic!(\"a literal\")` is a `&'static str`: try \
                 `downcast_ref::<&str>()` as well as `downcast_ref::<String>()`"
            }
            2 => {
                "the payload of `panic!(\"{x}\")` is a `String`: try `downcast_ref::<String>()` \
                 as well as `downcast_ref::<&str>()`"
            }
            3 => "a payload that is neither a `&str` nor a `String` has no message to show",
            _ => "the threads that did not panic keep their results",
        };
        assert!(
            got == want,
            "thread {index} gave {got:?}, expected {want:?}; {hint}"
        );
    }
    assert_eq!(
        results.len(),
        expected.len(),
        "5 threads, one result each (Ok or Err), got {results:?}"
    );
}

/// Records which threads call the work, and makes each thread's first call wait at a barrier
/// sized to the number of threads that should run at once.
struct MeetingPoint {
    barrier: Barrier,
    seen: Mutex<HashSet<ThreadId>>,
}

impl MeetingPoint {
    fn new(threads: usize) -> Self {
        MeetingPoint {
            barrier: Barrier::new(threads),
            seen: Mutex::new(HashSet::new()),
        }
    }

    fn arrive(&self) {
        let first_visit = self.seen.lock().unwrap().insert(thread::current().id());
        if first_visit {
            self.barrier.wait();
        }
    }

    fn threads_seen(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// An item that cannot be copied, so the input can only be shared, never duplicated.
struct Item(u64);

fn items(values: impl IntoIterator<Item = u64>) -> Vec<Item> {
    values.into_iter().map(Item).collect()
}

#[test]
fn parallel_sum_adds_up_every_item_on_one_thread() {
    let input = items(1..=100);
    let total = watchdog::within_default("parallel_sum to return", move || {
        parallel_sum(&input, 1, |item| item.0)
    });
    assert_eq!(total, 5050, "1 + 2 + … + 100 is 5050");
}

#[test]
fn parallel_sum_panics_when_asked_for_zero_threads() {
    // A panic proves something only from a parallel_sum that works on one thread.
    let one = watchdog::within_default("parallel_sum on 1 thread to return", || {
        parallel_sum(&items(1..=3), 1, |item| item.0)
    });
    assert_eq!(one, 6, "1 + 2 + 3 on 1 thread is 6");
    for len in [3, 0] {
        let outcome = watchdog::expect_panic(
            "parallel_sum on 0 threads",
            "parallel_sum(…, 0, …) to panic",
            move || parallel_sum(&items(1..=len), 0, |item| item.0),
        );
        if let Err(total) = outcome {
            panic!(
                "parallel_sum of {len} items on 0 threads returned {total} instead of panicking. \
                 The doc comment says `threads` is at least one and 0 panics, even for an empty \
                 slice: a caller's mistake should show at once (`assert!(threads > 0, …)` before \
                 anything else), not be answered with a made-up sum"
            );
        }
    }
}

#[test]
fn parallel_sum_gives_the_serial_answer_for_any_number_of_threads() {
    for seed in seed::seeds(8) {
        seed::with_seed(seed, |rng| {
            let len = rng.between(0, 300);
            let values: Vec<u64> = (0..len).map(|_| rng.between(0, 1000) as u64).collect();
            let expected: u64 = values.iter().map(|v| v * 3 + 1).sum();
            for threads in 1..=9 {
                let input = items(values.iter().copied());
                let total = watchdog::within_default("parallel_sum to return", move || {
                    parallel_sum(&input, threads, |item| item.0 * 3 + 1)
                });
                assert_eq!(
                    total, expected,
                    "{len} items on {threads} threads: every item must be counted exactly \
                     once, whatever the split"
                );
            }
        });
    }
}

#[test]
fn parallel_sum_handles_more_threads_than_items() {
    for (len, threads) in [(0, 4), (1, 4), (3, 8), (5, 100)] {
        let input = items(1..=len);
        let point = Arc::new(MeetingPoint::new(len.max(1) as usize));
        let meeting = Arc::clone(&point);
        let total = watchdog::within_default(&never_met(len as usize), move || {
            parallel_sum(&input, threads, |item| {
                meeting.arrive();
                item.0
            })
        });
        assert_eq!(
            total,
            len * (len + 1) / 2,
            "{len} items on {threads} threads"
        );
        assert_eq!(
            point.threads_seen(),
            len as usize,
            "{len} items on {threads} threads should use {len} threads, one item each: never \
             more threads than items"
        );
    }
}

#[test]
fn parallel_sum_runs_its_threads_at_the_same_time() {
    for (len, threads) in [(2, 2), (12, 3), (10, 4)] {
        let input = items(0..len);
        let point = Arc::new(MeetingPoint::new(threads));
        let meeting = Arc::clone(&point);
        watchdog::within_default(&never_met(threads), move || {
            parallel_sum(&input, threads, |item| {
                meeting.arrive();
                item.0
            })
        });
        assert_eq!(
            point.threads_seen(),
            threads,
            "{len} items on {threads} threads should use exactly {threads} threads"
        );
    }
}

/// The items each thread worked on, as one sorted list per thread.
fn chunks_seen(len: u64, threads: usize) -> Vec<Vec<u64>> {
    let input = items(0..len);
    let seen: Arc<Mutex<Vec<(ThreadId, u64)>>> = Arc::default();
    let record = Arc::clone(&seen);
    watchdog::within_default("parallel_sum to return", move || {
        parallel_sum(&input, threads, |item| {
            record
                .lock()
                .unwrap()
                .push((thread::current().id(), item.0));
            0
        })
    });
    let seen = seen.lock().unwrap();
    let mut order: Vec<ThreadId> = Vec::new();
    let mut chunks: Vec<Vec<u64>> = Vec::new();
    for (id, value) in seen.iter() {
        match order.iter().position(|known| known == id) {
            Some(at) => chunks[at].push(*value),
            None => {
                order.push(*id);
                chunks.push(vec![*value]);
            }
        }
    }
    for chunk in &mut chunks {
        chunk.sort_unstable();
    }
    chunks.sort();
    chunks
}

#[test]
fn parallel_sum_gives_each_thread_one_contiguous_chunk_of_nearly_equal_length() {
    for (len, threads) in [(10, 4), (11, 4), (9, 3), (7, 7), (5, 2), (100, 7)] {
        let chunks = chunks_seen(len, threads);
        for chunk in &chunks {
            let contiguous = chunk.windows(2).all(|pair| pair[1] == pair[0] + 1);
            assert!(
                contiguous,
                "{len} items on {threads} threads: one thread got items {chunk:?}; each thread \
                 should take one contiguous chunk"
            );
        }
        let mut lengths: Vec<usize> = chunks.iter().map(Vec::len).collect();
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        let used = threads.min(len as usize);
        let base = len as usize / used;
        let expected: Vec<usize> = (0..used)
            .map(|k| base + usize::from(k < len as usize % used))
            .collect();
        assert_eq!(
            lengths, expected,
            "{len} items on {threads} threads should be chunks of lengths {expected:?} (they \
             differ by at most one), not {lengths:?}. Chunks of ceil({len} / {threads}) leave \
             the last thread short or idle; give the first len % threads chunks one item more"
        );
    }
}

/// Sends `message` and reads back exactly as many bytes. `silence` explains what it means when
/// no echo comes back.
fn expect_echo(stream: &mut TcpStream, message: &[u8], who: &str, silence: &str) {
    stream
        .write_all(message)
        .unwrap_or_else(|error| panic!("{who} could not send to the server: {error}"));
    let mut back = vec![0; message.len()];
    match stream.read_exact(&mut back) {
        Ok(()) => assert!(
            back == message,
            "{who} sent {:?} and got back {:?}; an echo server sends every byte back unchanged",
            String::from_utf8_lossy(message),
            String::from_utf8_lossy(&back)
        ),
        Err(error) if net::is_timeout(&error) => panic!(
            "{who} got no echo of {:?} within {}: {silence}",
            String::from_utf8_lossy(message),
            watchdog::describe(watchdog::scaled(net::IO_TIMEOUT))
        ),
        Err(error) => panic!("{who} lost its connection before the echo came back: {error}"),
    }
}

/// Why a client of `serve` may get no echo while other clients stay connected.
const ONE_AT_A_TIME: &str = "the other clients stayed connected and silent, and a server that \
                             serves one connection at a time makes everybody else wait: give \
                             each connection a thread of its own";

/// Starts [`echo`] on a thread of its own for the next connection to a fresh listener.
fn start_echo() -> (SocketAddr, JoinHandle<io::Result<u64>>) {
    let listener = net::listener();
    let addr = net::addr_of(&listener);
    let server = thread::spawn(move || echo(net::accept(&listener)));
    (addr, server)
}

/// Waits for the thread running [`echo`] and returns what `echo` returned.
fn echo_outcome(server: JoinHandle<io::Result<u64>>, after: &str) -> io::Result<u64> {
    match watchdog::join(
        server,
        watchdog::DEFAULT_LIMIT,
        &format!("echo to return {after}"),
    ) {
        Ok(outcome) => outcome,
        Err(payload) => panic!("echo panicked: {}", watchdog::panic_message(&*payload)),
    }
}

#[test]
fn echo_sends_each_piece_back_before_the_client_closes() {
    let (addr, server) = start_echo();
    let pieces: [&[u8]; 3] = [b"one ", b"two\n", b"and three, with no line feed"];
    watchdog::within_default("the echo of each piece", move || {
        let mut client = net::connect(addr);
        peer::no_delay(&client);
        for piece in pieces {
            expect_echo(
                &mut client,
                piece,
                "the client",
                "echo should send back what each read returned at once, while the client \
                 is still connected; waiting for the end of the stream (read_to_end), or \
                 for a line feed, keeps an interactive client waiting",
            );
        }
        peer::half_close(&client);
        let mut rest = Vec::new();
        client
            .read_to_end(&mut rest)
            .unwrap_or_else(|error| panic!("the client never saw echo close: {error}"));
        assert!(rest.is_empty(), "echo sent {rest:?} after the last piece");
    });
    let total: usize = pieces.iter().map(|piece| piece.len()).sum();
    let counted = echo_outcome(server, "after the client shut down its side")
        .unwrap_or_else(|error| panic!("echo should end with Ok after a clean close, not {error}"));
    assert_eq!(
        counted, total as u64,
        "echo should return how many bytes it echoed"
    );
}

#[test]
fn echo_sends_every_byte_back_and_closes_after_the_client_does() {
    let (addr, server) = start_echo();
    let data = seed::with_seed(6, |rng| rng.bytes(200_000));
    let mut client = net::connect(addr);
    let mut writer = client
        .try_clone()
        .expect("could not clone the test's socket");
    let sent = data.clone();
    // Writes on a thread of its own, so that neither side waits for the other to read.
    let writing = thread::spawn(move || {
        peer::no_delay(&writer);
        writer.write_all(&sent)?;
        writer.shutdown(Shutdown::Write)
    });
    let back = watchdog::within_default(
        "echo to send everything back and close the connection",
        move || {
            let mut back = Vec::new();
            client.read_to_end(&mut back).map(|_| back)
        },
    );
    watchdog::join(
        writing,
        watchdog::DEFAULT_LIMIT,
        "the test's writer to finish",
    )
    .expect("the test's writer panicked")
    .expect("the test could not send its data");
    let back = back.unwrap_or_else(|error| {
        panic!(
            "reading the echo failed ({error}); after the client shuts down its sending side, \
             echo should send the rest and close, so the client's read returns Ok(0)"
        )
    });
    assert!(
        back == data,
        "sent {} bytes (binary, not text) and got {} back, {}",
        data.len(),
        back.len(),
        if back.len() == data.len() {
            "but not the same bytes"
        } else {
            "so some were lost or invented; write_all every byte that read returned"
        }
    );
    let counted = echo_outcome(server, "after the client shut down its side")
        .unwrap_or_else(|error| panic!("echo should end with Ok after a clean close, not {error}"));
    assert_eq!(
        counted,
        data.len() as u64,
        "echo should return how many bytes it echoed"
    );
}

#[test]
fn echo_ends_with_the_error_when_the_client_resets() {
    let (addr, server) = start_echo();
    watchdog::within_default("the echo before the reset", move || {
        let mut client = net::connect(addr);
        expect_echo(
            &mut client,
            b"about to vanish",
            "a client",
            "echo should send back what each read returned at once",
        );
        // Everything sent has come back, so echo is waiting in `read` when the reset arrives.
        peer::reset(client);
    });
    match echo_outcome(server, "after the client reset the connection") {
        Ok(count) => panic!(
            "echo returned Ok({count}) after the client reset the connection. A reset is an \
             error, not the end of the stream: only Ok(0) from read means the client is done. \
             Pass the error on (`?`) instead of leaving the loop with `Err(_) => break`"
        ),
        Err(error) => assert!(
            peer::is_reset(&error),
            "echo ended with {error} ({:?}) after the client reset the connection; it should \
             pass on the error the socket gave (ConnectionReset), not one of its own",
            error.kind()
        ),
    }
}

/// Ends `serve` when the test is done: once stopped, the next `accept` unwinds `serve`'s
/// thread with this payload. `resume_unwind` runs no panic hook, so it prints nothing.
struct StopServing;

/// A listener that the test can stop; see [`StopServing`].
struct Stoppable<A> {
    inner: A,
    stopped: Arc<AtomicBool>,
}

impl<A> Stoppable<A> {
    fn unwind_if_stopped(&self) {
        if self.stopped.load(Ordering::SeqCst) {
            panic::resume_unwind(Box::new(StopServing));
        }
    }
}

impl<A: Accept> Accept for Stoppable<A> {
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.unwind_if_stopped();
        let accepted = self.inner.accept();
        self.unwind_if_stopped();
        accepted
    }
}

/// Runs `serve` until it ends. `serve` returns `!`, and never ends but by unwinding; taking its
/// result as any type also keeps these tests compiling for a `serve` that returns a value, which
/// [`Server::stop`] then reports.
fn run_to_its_end<T>(serve: impl FnOnce() -> T) {
    drop(serve());
}

/// A [`serve`] that a test started on a thread of its own, and stops at its end.
struct Server {
    addr: SocketAddr,
    stopped: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(listener: impl Accept + Send + 'static, addr: SocketAddr) -> Server {
        let stopped = Arc::new(AtomicBool::new(false));
        let listener = Stoppable {
            inner: listener,
            stopped: Arc::clone(&stopped),
        };
        let thread = thread::Builder::new()
            .name("serve, started by the test".to_owned())
            .spawn(move || run_to_its_end(move || serve(listener)))
            .expect("the test could not start a thread for serve");
        Server {
            addr,
            stopped,
            thread: Some(thread),
        }
    }

    fn on_a_real_listener() -> Server {
        let listener = net::listener();
        let addr = net::addr_of(&listener);
        Server::start(listener, addr)
    }

    /// Stops `serve` (a connection wakes its `accept`) and checks that it did not end before.
    fn stop(mut self) {
        self.ask_to_stop();
        let thread = self.thread.take().expect("a server is stopped once");
        let ended = watchdog::join(
            thread,
            watchdog::DEFAULT_LIMIT,
            "serve to call accept again, and so to stop, after the test connected once more",
        );
        match ended {
            Err(payload) if payload.is::<StopServing>() => {}
            Err(payload) => panic!(
                "serve had ended with a panic: {}. No error may end the server",
                watchdog::panic_message(&*payload)
            ),
            Ok(()) => panic!(
                "serve returned: it should serve for ever, and no error may end it (its return \
                 type is `!`)"
            ),
        }
    }

    fn ask_to_stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wakes an `accept` that is waiting; refused when `serve` has already ended.
        let _ = TcpStream::connect_timeout(&self.addr, watchdog::scaled(net::IO_TIMEOUT));
    }
}

impl Drop for Server {
    /// A test that failed still stops its server, without waiting for it.
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.ask_to_stop();
        }
    }
}

#[test]
fn serve_answers_many_clients_at_once() {
    let server = Server::on_a_real_listener();
    let addr = server.addr;
    watchdog::within_default("eight clients to be echoed", move || {
        let mut clients: Vec<TcpStream> = (0..8).map(|_| net::connect(addr)).collect();
        // The last to connect speaks first, while the seven before it stay connected and silent.
        for (k, client) in clients.iter_mut().enumerate().rev() {
            let who = format!("client {} of 8", k + 1);
            expect_echo(
                client,
                format!("hello from {who}\n").as_bytes(),
                &who,
                ONE_AT_A_TIME,
            );
        }
        for (k, client) in clients.iter_mut().enumerate() {
            let who = format!("client {} of 8", k + 1);
            expect_echo(client, b"and goodbye\n", &who, ONE_AT_A_TIME);
            client.shutdown(Shutdown::Write).unwrap();
            let mut rest = Vec::new();
            client
                .read_to_end(&mut rest)
                .unwrap_or_else(|error| panic!("{who} never saw the server close: {error}"));
            assert!(rest.is_empty(), "{who} got {rest:?} after its echo");
        }
    });
    server.stop();
}

#[test]
fn a_client_that_disconnects_abruptly_never_disturbs_the_others() {
    let server = Server::on_a_real_listener();
    let addr = server.addr;
    watchdog::within_default("the other clients to be echoed", move || {
        let mut before = net::connect(addr);
        let mut rude = net::connect(addr);
        expect_echo(
            &mut rude,
            b"half a messa",
            "the client that is about to vanish",
            ONE_AT_A_TIME,
        );
        rude.write_all(b"ge that never ends").unwrap();
        peer::reset(rude);
        expect_echo(
            &mut before,
            b"still here\n",
            "a client connected before another reset its connection",
            "a client's error should end only that client's thread, never the server",
        );
        let mut after = net::connect(addr);
        expect_echo(
            &mut after,
            b"new here\n",
            "a client that connected after another reset its connection",
            "a client's error should end only that client's thread, never the accept loop",
        );
    });
    server.stop();
}

/// A real listener whose `accept` fails on purpose before it accepts normally, the way a
/// server's does when it has run out of file descriptors or memory. It fails the first
/// `fail_first` calls, and every call in the `fail_for` that follows the first call; never more
/// than [`MOST_FAILURES`] calls, so a server that spins does not spin for long.
struct FailingListener {
    listener: TcpListener,
    fail_first: usize,
    fail_for: Duration,
    first_call: OnceLock<Instant>,
    failures: Arc<AtomicUsize>,
    /// When each call began, and when each failing call returned.
    calls: Arc<Mutex<Vec<Instant>>>,
    failed_at: Arc<Mutex<Vec<Instant>>>,
    /// Sends the number of failures so far after each one. It closes when the listener is
    /// dropped, which is how the test learns that `serve` ended.
    failed: mpsc::Sender<usize>,
}

/// After this many failures, [`FailingListener`] accepts normally.
const MOST_FAILURES: usize = 1000;

impl FailingListener {
    fn new(fail_first: usize, fail_for: Duration) -> (Self, mpsc::Receiver<usize>) {
        let (failed, failures_so_far) = mpsc::channel();
        let listener = FailingListener {
            listener: net::listener(),
            fail_first,
            fail_for,
            first_call: OnceLock::new(),
            failures: Arc::default(),
            calls: Arc::default(),
            failed_at: Arc::default(),
            failed,
        };
        (listener, failures_so_far)
    }

    fn addr(&self) -> SocketAddr {
        net::addr_of(&self.listener)
    }

    /// Starts `serve` on this listener.
    fn serve(self) -> Server {
        let addr = self.addr();
        Server::start(self, addr)
    }
}

impl Accept for FailingListener {
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.calls.lock().unwrap().push(Instant::now());
        let since_first_call = self.first_call.get_or_init(Instant::now).elapsed();
        let failed = self.failures.load(Ordering::SeqCst);
        if failed < MOST_FAILURES && (failed < self.fail_first || since_first_call < self.fail_for)
        {
            self.failures.store(failed + 1, Ordering::SeqCst);
            // Nobody may be listening any more; that is fine.
            let _ = self.failed.send(failed + 1);
            // The errors of a server that is short of something, in turn.
            let error = match failed % 3 {
                0 => io::Error::other("too many open files (injected by the test)"),
                1 => io::Error::from(io::ErrorKind::OutOfMemory),
                _ => io::Error::from(io::ErrorKind::ConnectionAborted),
            };
            self.failed_at.lock().unwrap().push(Instant::now());
            return Err(error);
        }
        self.listener.accept()
    }
}

/// Connects a client once `accept` has failed (`after` says how) and checks that it is echoed.
fn expect_served_after_failures(addr: SocketAddr, after: &str) {
    let stopped = "so serve stopped at an accept error, and its closed listener refuses every \
                   later client. An accept error is usually about the server's own resources \
                   (out of file descriptors or memory), not about a client: pause briefly and \
                   call accept again";
    let mut client = TcpStream::connect_timeout(&addr, watchdog::scaled(net::IO_TIMEOUT))
        .unwrap_or_else(|error| {
            panic!("a client that connected {after} was refused ({error}), {stopped}")
        });
    net::set_timeouts(&client);
    let message = b"are you still there?\n";
    client.write_all(message).unwrap_or_else(|error| {
        panic!("a client that connected {after} could not send ({error}), {stopped}")
    });
    let mut back = vec![0; message.len()];
    match client.read_exact(&mut back) {
        Ok(()) => assert!(
            back == message,
            "a client that connected {after} sent {:?} and got back {:?}; an echo server sends \
             every byte back unchanged",
            String::from_utf8_lossy(message),
            String::from_utf8_lossy(&back)
        ),
        Err(error) if net::is_timeout(&error) => panic!(
            "a client that connected {after} got no echo in {}: serve stopped accepting, or \
             pauses far too long (or echo keeps what it read instead of sending it back at \
             once). After an accept error, pause briefly (10 to 100 ms) and call accept again",
            watchdog::describe(watchdog::scaled(net::IO_TIMEOUT))
        ),
        Err(error) => {
            panic!(
                "a client that connected {after} was disconnected unanswered ({error}), {stopped}"
            )
        }
    }
}

#[test]
fn serve_goes_on_accepting_after_accept_fails() {
    let (listener, failures_so_far) = FailingListener::new(3, Duration::ZERO);
    let server = listener.serve();
    let addr = server.addr;
    watchdog::within_default(
        "serve to call accept again after it failed; after an accept error, pause briefly \
         (10 to 100 ms), not for seconds",
        move || {
            for failures in 0..3 {
                if failures_so_far.recv().is_err() {
                    let when = match failures {
                        0 => "before it called accept".to_owned(),
                        1 => "after accept failed once".to_owned(),
                        n => format!("after accept failed {n} times"),
                    };
                    panic!(
                        "serve stopped for good {when}: every client after that is refused. An \
                         accept error (too many open files, out of memory, …) is usually about \
                         the server's own resources, not about a client, and they come back as \
                         clients leave: pause briefly and call accept again, whatever the error"
                    );
                }
            }
            expect_served_after_failures(
                addr,
                "after accept failed 3 times (too many open files, out of memory, connection \
                 aborted)",
            );
        },
    );
    server.stop();
}

#[test]
fn serve_pauses_after_a_failed_accept_instead_of_spinning() {
    let failing_for = Duration::from_millis(200);
    let (listener, _) = FailingListener::new(0, failing_for);
    let failures = Arc::clone(&listener.failures);
    let server = listener.serve();
    let addr = server.addr;
    watchdog::within_default(
        "a client to be served once accept stopped failing; after an accept error, pause \
         briefly (10 to 100 ms), not for seconds",
        move || expect_served_after_failures(addr, "after accept had failed for 200 ms"),
    );
    server.stop();
    let calls = failures.load(Ordering::SeqCst);
    // Why this bound holds on any machine, however busy: `thread::sleep` never ends early, so a
    // loop that pauses 10 ms or more after each error fits at most 200 / 10 + 1 = 21 calls in
    // the 200 ms, and a loaded machine only makes its pauses longer and its calls fewer. A loop
    // without a pause needs well under a microsecond per failing call (no system call is made),
    // so it reaches MOST_FAILURES as soon as it gets a few milliseconds of CPU in those 200 ms.
    let most = 50;
    assert!(
        calls <= most,
        "while accept kept failing for {}, serve called it {}{calls} times: it retries at once, \
         in a busy loop that burns a whole core on an error that is still there. After an \
         accept error, pause briefly (10 to 100 ms, `thread::sleep`) before calling accept \
         again; a pause of 10 ms makes at most 21 calls here",
        watchdog::describe(failing_for),
        if calls >= MOST_FAILURES {
            "at least "
        } else {
            ""
        },
    );
}

#[test]
fn serve_pauses_briefly_after_each_failed_accept_not_for_seconds() {
    let failures = 3;
    let (listener, _) = FailingListener::new(failures, Duration::ZERO);
    let (calls, failed_at) = (Arc::clone(&listener.calls), Arc::clone(&listener.failed_at));
    let server = listener.serve();
    let addr = server.addr;
    watchdog::within_default(
        "a client to be served after accept failed 3 times; after an accept error, pause \
         briefly (10 to 100 ms), not for seconds",
        move || expect_served_after_failures(addr, "after accept failed 3 times"),
    );
    server.stop();
    let calls = calls.lock().unwrap().clone();
    let failed_at = failed_at.lock().unwrap().clone();
    let (shortest, longest) = (
        Duration::from_millis(5),
        watchdog::scaled(Duration::from_millis(500)),
    );
    for (k, failure) in failed_at.iter().enumerate() {
        let next = calls
            .get(k + 1)
            .expect("serve called accept again after every failure");
        let pause = next.duration_since(*failure);
        assert!(
            pause >= shortest,
            "after failure {} of {failures} of accept, serve called it again after only \
             {pause:?}: pause 10 to 100 ms (`thread::sleep`) after an accept error, or the loop \
             spins on an error that is still there",
            k + 1
        );
        assert!(
            pause < longest,
            "after failure {} of {failures} of accept, serve paused {pause:?} before calling it \
             again: pause 10 to 100 ms, not seconds. The error may well be gone by then, and \
             every client waiting in the listen queue waits as long",
            k + 1
        );
    }
}
