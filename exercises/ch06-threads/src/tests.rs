//! The tests of chapter 6. The same file grades your exercise and the reference solution.
//!
//! None of these tests measures how fast your code is. To prove that threads run at the same
//! time, the work waits at a `Barrier` sized to the number of threads: the barrier opens only
//! when every thread has reached it, which can happen only if they all run at once. Work done
//! one thread after another stops at the barrier for ever, and the watchdog says so.
//!
//! The last two tests give `serve` a listener whose `accept` fails on purpose, as a real one
//! does when the server runs out of file descriptors. One of them counts how often `serve`
//! calls `accept` while it keeps failing for 200 ms: a server that pauses after each error
//! calls it a few times, one that retries at once calls it thousands of times.

use super::*;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, OnceLock, mpsc};
use std::thread::{self, ThreadId};
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
         threads were started"
    );
    let none = watchdog::within_default("run_threads(0, …) to return", || run_threads(0, |i| i));
    assert!(none.is_empty(), "zero threads give zero results");
}

#[test]
fn run_threads_runs_each_call_on_a_thread_of_its_own() {
    let caller = thread::current().id();
    let ids = watchdog::within_default("run_threads to return", || {
        run_threads(4, |_| thread::current().id())
    });
    let ids: Vec<ThreadId> = ids
        .into_iter()
        .map(|r| r.expect("no thread panicked"))
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
        assert_eq!(results.len(), count);
    }
}

#[test]
fn run_threads_reports_a_panic_and_keeps_the_other_results() {
    let results = watchdog::within_default("run_threads to return after a panic", || {
        run_threads(4, |i| {
            if i == 1 {
                panic!("thread {i} gave up");
            }
            if i == 3 {
                std::panic::panic_any(42_u8);
            }
            i * 10
        })
    });
    assert_eq!(
        results,
        vec![
            Ok(0),
            Err("thread 1 gave up".to_owned()),
            Ok(20),
            Err("a panic without a message".to_owned()),
        ],
        "a panicking thread gives Err(its message) (from the &str or String payload, or \
         \"a panic without a message\"); the other threads' results are kept"
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

#[test]
fn parallel_sum_gives_each_thread_one_contiguous_chunk_of_nearly_equal_length() {
    let len = 10;
    let threads = 4;
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
    let mut chunks: Vec<Vec<u64>> = Vec::new();
    let mut order: Vec<ThreadId> = Vec::new();
    for (id, value) in seen.iter() {
        match order.iter().position(|known| known == id) {
            Some(at) => chunks[at].push(*value),
            None => {
                order.push(*id);
                chunks.push(vec![*value]);
            }
        }
    }
    let mut chunks: Vec<Vec<u64>> = chunks
        .into_iter()
        .map(|mut chunk| {
            chunk.sort_unstable();
            chunk
        })
        .collect();
    chunks.sort();
    for chunk in &chunks {
        let contiguous = chunk.windows(2).all(|pair| pair[1] == pair[0] + 1);
        assert!(
            contiguous,
            "one thread got items {chunk:?}: each thread should take one contiguous chunk"
        );
    }
    let mut lengths: Vec<usize> = chunks.iter().map(Vec::len).collect();
    lengths.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(
        lengths,
        vec![3, 3, 2, 2],
        "10 items on 4 threads should be chunks of 3, 3, 2 and 2; chunks of ceil(10 / 4) = 3 \
         leave a thread with only 1 item (or none at all)"
    );
}

/// Starts [`serve`] on a thread of its own and returns where to connect. The server runs until
/// the test program ends.
fn start_server() -> SocketAddr {
    let listener = net::listener();
    let addr = net::addr_of(&listener);
    thread::spawn(move || serve(listener));
    addr
}

/// Sends `message` and reads back exactly as many bytes, explaining a silence.
fn expect_echo(stream: &mut TcpStream, message: &[u8], who: &str) {
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
            "{who} got no echo while the other clients stayed connected and silent; a server \
             that serves one connection at a time makes everybody else wait: give each \
             connection a thread of its own"
        ),
        Err(error) => panic!("{who} lost its connection before the echo came back: {error}"),
    }
}

#[test]
fn echo_sends_every_byte_back_and_closes_after_the_client_does() {
    let listener = net::listener();
    let addr = net::addr_of(&listener);
    let server = thread::spawn(move || echo(net::accept(&listener)));
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
    writing
        .join()
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
    let counted = watchdog::join(server, watchdog::DEFAULT_LIMIT, "echo to return")
        .expect("echo panicked")
        .expect("echo should end with Ok after the client shut down its side");
    assert_eq!(
        counted,
        data.len() as u64,
        "echo should return how many bytes it echoed"
    );
}

#[test]
fn serve_answers_many_clients_at_once() {
    let addr = start_server();
    watchdog::within_default("eight clients to be echoed", move || {
        let mut clients: Vec<TcpStream> = (0..8).map(|_| net::connect(addr)).collect();
        // The last to connect speaks first, while the seven before it stay connected and silent.
        for (k, client) in clients.iter_mut().enumerate().rev() {
            let who = format!("client {} of 8", k + 1);
            expect_echo(client, format!("hello from {who}\n").as_bytes(), &who);
        }
        for (k, client) in clients.iter_mut().enumerate() {
            let who = format!("client {} of 8", k + 1);
            expect_echo(client, b"and goodbye\n", &who);
            client.shutdown(Shutdown::Write).unwrap();
            let mut rest = Vec::new();
            client
                .read_to_end(&mut rest)
                .unwrap_or_else(|error| panic!("{who} never saw the server close: {error}"));
            assert!(rest.is_empty(), "{who} got {rest:?} after its echo");
        }
    });
}

#[test]
fn a_client_that_disconnects_abruptly_never_disturbs_the_others() {
    let addr = start_server();
    watchdog::within_default("the other clients to be echoed", move || {
        let mut before = net::connect(addr);
        let mut rude = net::connect(addr);
        expect_echo(
            &mut rude,
            b"half a messa",
            "the client that is about to vanish",
        );
        rude.write_all(b"ge that never ends").unwrap();
        peer::reset(rude);
        expect_echo(
            &mut before,
            b"still here\n",
            "a client connected before another reset its connection",
        );
        let mut after = net::connect(addr);
        expect_echo(
            &mut after,
            b"new here\n",
            "a client that connected after another reset its connection",
        );
    });
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
            failed,
        };
        (listener, failures_so_far)
    }

    fn addr(&self) -> SocketAddr {
        net::addr_of(&self.listener)
    }
}

impl Accept for FailingListener {
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let since_first_call = self.first_call.get_or_init(Instant::now).elapsed();
        let failed = self.failures.load(Ordering::SeqCst);
        if failed < MOST_FAILURES && (failed < self.fail_first || since_first_call < self.fail_for)
        {
            self.failures.store(failed + 1, Ordering::SeqCst);
            // Nobody may be listening any more; that is fine.
            let _ = self.failed.send(failed + 1);
            // The errors of a server that is short of something, in turn.
            return Err(match failed % 3 {
                0 => io::Error::other("too many open files (injected by the test)"),
                1 => io::Error::from(io::ErrorKind::OutOfMemory),
                _ => io::Error::from(io::ErrorKind::ConnectionAborted),
            });
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
             pauses far too long. After an accept error, pause briefly (10 to 100 ms) and call \
             accept again",
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
    let addr = listener.addr();
    thread::spawn(move || serve(listener));
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
}

#[test]
fn serve_pauses_after_a_failed_accept_instead_of_spinning() {
    let failing_for = Duration::from_millis(200);
    let (listener, _) = FailingListener::new(0, failing_for);
    let failures = Arc::clone(&listener.failures);
    let addr = listener.addr();
    thread::spawn(move || serve(listener));
    watchdog::within_default(
        "a client to be served once accept stopped failing; after an accept error, pause \
         briefly (10 to 100 ms), not for seconds",
        move || expect_served_after_failures(addr, "after accept had failed for 200 ms"),
    );
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
