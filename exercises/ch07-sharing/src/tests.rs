//! The tests of "Sharing between threads". The same file grades your exercise and the reference
//! solution.
//!
//! No test measures time to decide whether threads ran together: they meet at a `Barrier`, which
//! opens only when every thread is there at once, and the watchdog says so when it never opens.
//!
//! A few tests check that something does *not* happen: a job that starts while every worker is
//! busy, an `execute` that returns while the queue is full, a pipeline that takes more input than
//! its channels hold, a worker thread still running after `close`. A correct solution never does
//! it, so these tests wait a moment (a fraction of a second) for it to happen, and pass when it
//! does not; they never fail a correct solution, however slow the machine. A worker thread's end
//! shows through a thread-local value, which a thread drops last, after all it ran.
//!
//! One promise cannot be checked for certain: that `send` writes a line and its line feed under
//! one lock, so that no other thread's line gets in between. When the lock is let go between the
//! two writes, another thread gets in only if it takes the lock in the instant before the first
//! thread takes it again, which a test cannot arrange: a writer is called only while the lock is
//! held, both when it is held once and when it is taken twice. So one test has eight threads send
//! 40000 lines to one client, four times over, through a writer that lets the other threads run
//! in the middle of a line: on an ordinary machine, even a busy one, the gap then lets lines in
//! by the dozen. Another test catches for certain a `send` that looks the client up again for
//! the line feed.
//!
//! Whether `send` flushes is not part of the contract: the tests' writers keep every byte they are
//! given.

use super::*;

use std::cell::RefCell;
use std::collections::HashSet;
use std::panic;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use testkit::faulty::FaultyWriter;
use testkit::peer::Cut;
use testkit::seed;
use testkit::watchdog;

/// How long a test waits for something a correct solution never does (see the header).
fn a_moment() -> Duration {
    watchdog::scaled(Duration::from_millis(200))
}

/// A writer for the registry's tests: it keeps what it is given, or it stalls like a client
/// that stopped reading.
enum Line {
    /// Keeps every byte in a buffer the test can read.
    Keep(Arc<Mutex<Vec<u8>>>),
    /// Its first write says so on `entered`, then waits until the test sends on `release`.
    Stall {
        entered: Sender<()>,
        release: mpsc::Receiver<()>,
        released: bool,
    },
}

impl Write for Line {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            Line::Keep(kept) => kept.lock().unwrap().extend_from_slice(bytes),
            Line::Stall {
                entered,
                release,
                released,
            } => {
                if !*released {
                    let _ = entered.send(());
                    let _ = release.recv();
                    *released = true;
                }
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn keep() -> (Line, Arc<Mutex<Vec<u8>>>) {
    let kept = Arc::new(Mutex::new(Vec::new()));
    (Line::Keep(Arc::clone(&kept)), kept)
}

fn text(kept: &Mutex<Vec<u8>>) -> String {
    String::from_utf8(kept.lock().unwrap().clone()).expect("the registry wrote UTF-8")
}

#[test]
fn registry_keeps_names_and_delivers_lines() {
    watchdog::within_default("the registry to answer", || {
        let registry = Registry::new();
        assert!(
            registry.names().is_empty(),
            "a new registry has nobody in it, not {:?}",
            registry.names()
        );
        assert_eq!(
            registry.delivered(),
            0,
            "a new registry has delivered nothing"
        );
        let (alice, to_alice) = keep();
        let (bob, to_bob) = keep();
        assert!(registry.join("bob", bob), "bob is a free name");
        assert!(registry.join("alice", alice), "alice is a free name");
        assert_eq!(
            registry.names(),
            ["alice", "bob"],
            "names() lists everybody, sorted"
        );

        registry.send("alice", "hello alice").unwrap();
        registry.send("bob", "hi bob").unwrap();
        registry.send("alice", "again").unwrap();
        assert_eq!(
            text(&to_alice),
            "hello alice\nagain\n",
            "send writes the line and a line feed to that client's writer, and to no other"
        );
        assert_eq!(
            text(&to_bob),
            "hi bob\n",
            "bob's writer got what was sent to bob"
        );
        assert_eq!(registry.delivered(), 3, "3 lines were delivered");

        let error = registry
            .send("carol", "anyone?")
            .expect_err("nobody is called carol, so send must fail");
        assert_eq!(
            error.kind(),
            io::ErrorKind::NotFound,
            "sending to a name nobody has is an error of kind NotFound, not {error}"
        );
        assert_eq!(registry.delivered(), 3, "a failed send delivers nothing");

        assert!(
            registry.leave("bob"),
            "bob was there, so leave returns true"
        );
        assert!(!registry.leave("bob"), "bob has already left");
        assert_eq!(registry.names(), ["alice"], "bob is gone, alice stays");
        assert_eq!(
            registry.delivered(),
            3,
            "delivered counts over the registry's whole life: the line to bob still counts \
             after bob left (keep one count in the registry, not one per client)"
        );
        let (bob_again, _) = keep();
        assert!(
            registry.join("bob", bob_again),
            "a name is free again after leaving"
        );
    });
}

#[test]
fn registry_refuses_a_taken_name_and_keeps_the_first_writer() {
    watchdog::within_default("the registry to answer", || {
        let registry = Registry::new();
        let (first, to_first) = keep();
        let (second, to_second) = keep();
        assert!(registry.join("alice", first), "alice is a free name");
        assert!(
            !registry.join("alice", second),
            "alice is taken, so a second alice must be refused"
        );
        assert_eq!(registry.names(), ["alice"], "one alice, not two");
        registry.send("alice", "which alice?").unwrap();
        assert!(
            text(&to_second).is_empty() && text(&to_first) == "which alice?\n",
            "after a refused join, a line to alice reached {}; a refused join changes nothing, \
             so the first alice keeps her writer. HashMap::insert replaces the old value: \
             check first (HashMap::entry), under the same lock",
            if text(&to_second).is_empty() {
                "nobody"
            } else {
                "the refused writer"
            }
        );
    });
}

#[test]
fn registry_lists_names_sorted() {
    seed::with_seed(7, |rng| {
        let mut names: Vec<String> = (0..40).map(|n| format!("user{n:02}")).collect();
        // Joins in a shuffled order, so that neither the order of joining nor a HashMap's own
        // order gives sorted names by chance.
        for i in (1..names.len()).rev() {
            names.swap(i, rng.between(0, i));
        }
        let mut sorted = names.clone();
        sorted.sort();
        let listed = watchdog::within_default("the registry to answer", move || {
            let registry = Registry::new();
            for name in &names {
                assert!(registry.join(name, keep().0), "{name} is a free name");
            }
            registry.names()
        });
        assert!(
            listed == sorted,
            "names() returned {listed:?}; it should return every name, sorted (a HashMap \
             keeps no order: sort the names you collect)"
        );
    });
}

/// A registry with one client, `to`, reached through `writer`.
fn one_client<W: Write>(to: &str, writer: W) -> Registry<W> {
    let registry = Registry::new();
    assert!(registry.join(to, writer), "{to} is a free name");
    registry
}

#[test]
fn send_writes_the_whole_line_through_short_writes_and_interruptions() {
    let line = "a line long enough to need many short writes";
    for cut in [
        Cut::BYTE_BY_BYTE,
        Cut::Fixed(5),
        Cut::Random { seed: 3, max: 9 },
    ] {
        let (kept, to_kept) = keep();
        let writer = FaultyWriter::new(kept).cut(cut).interrupt_every(3);
        let registry = watchdog::within_default("send to return", move || {
            let registry = one_client("dana", writer);
            registry.send("dana", line).map(|()| registry)
        });
        let registry = registry.unwrap_or_else(|error| {
            panic!(
                "send failed with {error} through a writer that accepts a few bytes at a time \
                 and is interrupted now and then ({cut:?}); Interrupted means try again, which \
                 write_all does"
            )
        });
        assert_eq!(
            text(&to_kept),
            format!("{line}\n"),
            "through a writer that accepts a few bytes per call ({cut:?}), the line arrived \
             cut short: one write call may take only part of the buffer, so use write_all"
        );
        assert_eq!(registry.delivered(), 1, "one line delivered");
    }
}

#[test]
fn send_passes_on_the_writers_error_and_counts_nothing() {
    let line = "hello";
    // Fails at once, in the middle of the line, and exactly at the line feed.
    for fail_after in [0, 3, line.len()] {
        let (kept, _) = keep();
        let writer = FaultyWriter::new(kept).fail_after(fail_after, io::ErrorKind::BrokenPipe);
        let (outcome, delivered) = watchdog::within_default("send to return", move || {
            let registry = one_client("erin", writer);
            let outcome = registry.send("erin", line);
            (outcome, registry.delivered())
        });
        let where_ = if fail_after == line.len() {
            "at the line feed".to_owned()
        } else {
            format!("after {fail_after} bytes of the line")
        };
        match outcome {
            Ok(()) => panic!(
                "the client's writer failed {where_} (BrokenPipe), yet send returned Ok; pass \
                 the writer's error on with `?`, for the line feed as for the line"
            ),
            Err(error) => assert_eq!(
                error.kind(),
                io::ErrorKind::BrokenPipe,
                "the client's writer failed {where_} with BrokenPipe, and send returned {error}; \
                 send should return the writer's own error"
            ),
        }
        assert_eq!(
            delivered, 0,
            "a send that failed {where_} delivered nothing, yet delivered() says {delivered}: \
             count a line only once it is written"
        );
    }
    // One byte more, and the whole line gets through.
    let (kept, to_kept) = keep();
    let writer = FaultyWriter::new(kept).fail_after(line.len() + 1, io::ErrorKind::BrokenPipe);
    let outcome = watchdog::within_default("send to return", move || {
        one_client("erin", writer).send("erin", line)
    });
    outcome.unwrap_or_else(|error| {
        panic!(
            "a writer that takes {} bytes took the whole line and its line feed, yet send \
             failed: {error}; send writes nothing more",
            line.len() + 1
        )
    });
    assert_eq!(text(&to_kept), "hello\n", "the line and its line feed");
}

#[test]
fn registry_loses_no_one_when_many_threads_join_at_once() {
    let threads = 8;
    let per_thread = 200;
    let registry = Arc::new(Registry::new());
    let shared = Arc::clone(&registry);
    watchdog::within_default("eight threads to join 1600 names", move || {
        let start = Barrier::new(threads);
        thread::scope(|scope| {
            for t in 0..threads {
                let (registry, start) = (&shared, &start);
                scope.spawn(move || {
                    start.wait();
                    for n in 0..per_thread {
                        let (line, _) = keep();
                        let name = format!("t{t}n{n}");
                        assert!(registry.join(&name, line), "{name} is a free name");
                    }
                });
            }
        });
    });
    assert_eq!(
        registry.names().len(),
        threads * per_thread,
        "names went missing when many threads joined at once; every change to the map must \
         happen under its lock"
    );
}

#[test]
fn registry_lets_exactly_one_of_many_threads_take_a_name() {
    // Many threads, so that two of them ask at the same instant even on a busy machine.
    let threads = 8;
    let rounds = 10_000;
    let registry = Arc::new(Registry::new());
    let shared = Arc::clone(&registry);
    let winners = watchdog::within_default("eight threads to race for 10000 names", move || {
        let start = Barrier::new(threads);
        let winners = AtomicUsize::new(0);
        thread::scope(|scope| {
            for _ in 0..threads {
                let (registry, start, winners) = (&shared, &start, &winners);
                scope.spawn(move || {
                    for round in 0..rounds {
                        let (line, _) = keep();
                        let name = format!("name{round}");
                        // All the threads leave the barrier together and ask for the same name.
                        start.wait();
                        if registry.join(&name, line) {
                            winners.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        winners.into_inner()
    });
    assert_eq!(
        winners, rounds,
        "{rounds} names were each asked for by {threads} threads at once, so there should be \
         {rounds} winners, but there were {winners}. Checking whether a name is free and taking \
         it must happen under one lock; in two lock sections, two threads can both see it free"
    );
}

#[test]
fn registry_counts_every_line_delivered_by_many_threads() {
    // Many threads, so that two of them count at the same instant even on a busy machine.
    let threads = 8;
    let per_thread: u64 = 100_000;
    let registry = Arc::new(Registry::new());
    for t in 0..threads {
        assert!(registry.join(&format!("client{t}"), keep().0));
    }
    let shared = Arc::clone(&registry);
    watchdog::within_default("eight threads to send 800000 lines", move || {
        let start = Barrier::new(threads);
        thread::scope(|scope| {
            for t in 0..threads {
                let (registry, start) = (&shared, &start);
                scope.spawn(move || {
                    start.wait();
                    for _ in 0..per_thread {
                        registry
                            .send(&format!("client{t}"), "x")
                            .expect("a send to a client that joined");
                    }
                });
            }
        });
    });
    let expected = threads as u64 * per_thread;
    let counted = registry.delivered();
    assert_eq!(
        counted, expected,
        "{threads} threads delivered {expected} lines but the count says {counted}: some \
         increments were lost. A load followed by a store is two steps another thread can come \
         between; fetch_add is one indivisible step"
    );
}

#[test]
fn a_blocked_writer_never_locks_the_others_out_of_the_registry() {
    let registry = Arc::new(Registry::new());
    let (entered, stalled) = mpsc::channel();
    let (release, held) = mpsc::channel();
    let stall = Line::Stall {
        entered,
        release: held,
        released: false,
    };
    assert!(registry.join("slow", stall));
    let (fast, to_fast) = keep();
    assert!(registry.join("fast", fast));

    let slow_sender = {
        let registry = Arc::clone(&registry);
        thread::spawn(move || registry.send("slow", "are you there?"))
    };
    watchdog::within_default(
        "the send to the slow client to reach its writer",
        move || {
            stalled.recv().expect("the slow writer was never called");
        },
    );

    // The slow client's writer is now blocked, in the middle of `send`.
    let shared = Arc::clone(&registry);
    watchdog::within_default(
        "the registry to serve others while one client's writer was blocked. If this timed out, \
         send held the registry's lock during the write: clone the client's Arc under the lock, \
         let the guard go, and only then write",
        move || {
            shared
                .send("fast", "you go first")
                .expect("a send to a client that joined");
            let (carol, _) = keep();
            assert!(shared.join("carol", carol), "carol is a free name");
            assert_eq!(
                shared.names(),
                ["carol", "fast", "slow"],
                "everybody, sorted"
            );
            assert!(shared.leave("carol"), "carol was there");
        },
    );
    assert_eq!(
        text(&to_fast),
        "you go first\n",
        "the fast client got its line"
    );

    release.send(()).unwrap();
    watchdog::join(slow_sender, watchdog::DEFAULT_LIMIT, "the slow send to end")
        .expect("the slow send panicked")
        .expect("the slow send should succeed once its writer is released");
    assert_eq!(registry.delivered(), 2, "2 lines were delivered");
}

/// Checks that `kept` holds every line that `senders` threads sent, `per_sender` each, whole.
fn check_whole_lines(kept: &str, senders: usize, per_sender: usize) {
    let mut got: Vec<Vec<usize>> = vec![Vec::new(); senders];
    let mut malformed: Vec<&str> = Vec::new();
    for line in kept.lines() {
        let parsed = line
            .strip_prefix("from ")
            .and_then(|rest| rest.split_once(", line "))
            .and_then(|(t, n)| Some((t.parse::<usize>().ok()?, n.parse::<usize>().ok()?)))
            .filter(|&(t, _)| t < senders);
        match parsed {
            Some((t, n)) => got[t].push(n),
            None => malformed.push(line),
        }
    }
    assert!(
        malformed.is_empty(),
        "{senders} threads sent {} lines to one client, and {} arrived malformed, such as \
         {:?}: another thread's line got in between a line and its line feed. Write both while \
         you hold the client's lock once (one guard for both writes, or one write of the line \
         with its line feed); taking the lock again for the line feed lets other lines in",
        senders * per_sender,
        malformed.len(),
        &malformed[..malformed.len().min(3)]
    );
    for (t, lines) in got.iter().enumerate() {
        assert!(
            lines.iter().copied().eq(0..per_sender),
            "thread {t} sent lines 0 to {} in order, but the client got {} of them{}",
            per_sender - 1,
            lines.len(),
            if lines.len() == per_sender {
                ", out of order"
            } else {
                ""
            }
        );
    }
}

/// A writer that runs `mid_line` once, on the first write that leaves a line unfinished (the
/// line without its line feed), before that write returns.
struct MidLine {
    kept: Arc<Mutex<Vec<u8>>>,
    mid_line: Option<Box<dyn FnOnce() + Send>>,
}

impl Write for MidLine {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.kept.lock().unwrap().extend_from_slice(bytes);
        if !bytes.ends_with(b"\n")
            && let Some(mid_line) = self.mid_line.take()
        {
            mid_line();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What the thread that sends to frank tells the test.
enum Frank {
    /// The line is written, its line feed not yet: the writer waits for the test's go.
    HalfWritten,
    /// `send` returned this.
    Sent(io::Result<()>),
}

#[test]
fn send_writes_the_line_feed_to_the_writer_it_wrote_the_line_to() {
    // While the line is half written, the test makes its client leave and a new client join
    // under the same name. The line feed belongs to the writer that got the line.
    let registry: Arc<Registry<MidLine>> = Arc::new(Registry::new());
    let (old, new) = (
        Arc::<Mutex<Vec<u8>>>::default(),
        Arc::<Mutex<Vec<u8>>>::default(),
    );
    let (events, event) = mpsc::channel::<Frank>();
    let (go, wait_for_go) = mpsc::channel::<()>();
    let half_written = events.clone();
    let writer = MidLine {
        kept: Arc::clone(&old),
        mid_line: Some(Box::new(move || {
            let _ = half_written.send(Frank::HalfWritten);
            let _ = wait_for_go.recv();
        })),
    };
    assert!(registry.join("frank", writer), "frank is a free name");
    let sender = {
        let registry = Arc::clone(&registry);
        thread::spawn(move || {
            let sent = registry.send("frank", "half of this line, then its line feed");
            let _ = events.send(Frank::Sent(sent));
        })
    };
    let shared = Arc::clone(&registry);
    let newcomer = Arc::clone(&new);
    let sent = watchdog::within_default(
        "the registry to let frank leave and join again while a line to him was half \
         written, and the send to end. If this timed out, send held the registry's lock while \
         it wrote",
        move || {
            loop {
                match event
                    .recv()
                    .expect("the sending thread reports how send ended")
                {
                    Frank::HalfWritten => {
                        assert!(shared.leave("frank"), "frank was there");
                        let writer = MidLine {
                            kept: newcomer.clone(),
                            mid_line: None,
                        };
                        assert!(shared.join("frank", writer), "frank is free again");
                        let _ = go.send(());
                    }
                    Frank::Sent(sent) => return sent,
                }
            }
        },
    );
    let _ = sender.join();
    sent.expect("the send to frank should succeed");
    let (old, new) = (text(&old), text(&new));
    assert!(
        old == "half of this line, then its line feed\n" && new.is_empty(),
        "the first frank got {old:?} and the second {new:?}: send looked frank up again for \
         the line feed. Look the client up once, then write the line and its line feed while \
         you hold that writer's lock once"
    );
}

/// A writer that keeps its bytes and, on its first `yields` writes that leave a line unfinished,
/// lets other threads run before it returns (`thread::yield_now`). They then wait for the
/// client's lock, and a `send` that lets the lock go before the line feed very likely lets one
/// of them in.
struct Yielding {
    kept: Arc<Mutex<Vec<u8>>>,
    yields: usize,
}

impl Write for Yielding {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.kept.lock().unwrap().extend_from_slice(bytes);
        if self.yields > 0 && !bytes.ends_with(b"\n") {
            self.yields -= 1;
            thread::yield_now();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn lines_sent_to_one_client_by_many_threads_arrive_whole() {
    // See the header: a gap between the two writes lets lines in only by chance, which rounds
    // of many threads make a near certainty. A correct send never lets one in.
    let (senders, per_sender, rounds) = (8, 5_000, 4);
    for _ in 0..rounds {
        let kept = Arc::<Mutex<Vec<u8>>>::default();
        let writer = Yielding {
            kept: Arc::clone(&kept),
            yields: 200,
        };
        let registry = Arc::new(one_client("gina", writer));
        let shared = Arc::clone(&registry);
        watchdog::within_default(
            "8 threads to send 5000 lines each to one client",
            move || {
                let start = Barrier::new(senders);
                thread::scope(|scope| {
                    for t in 0..senders {
                        let (registry, start) = (&shared, &start);
                        scope.spawn(move || {
                            start.wait();
                            for n in 0..per_sender {
                                registry
                                    .send("gina", &format!("from {t}, line {n}"))
                                    .expect("a send to a client that joined");
                            }
                        });
                    }
                });
            },
        );
        check_whole_lines(&text(&kept), senders, per_sender);
        assert_eq!(
            registry.delivered(),
            (senders * per_sender) as u64,
            "every line was delivered"
        );
    }
}

/// Counts how many jobs run at once, the most ever at once, and which threads ran them.
#[derive(Default)]
struct Occupancy {
    now: AtomicUsize,
    most: AtomicUsize,
    threads: Mutex<HashSet<ThreadId>>,
}

impl Occupancy {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        self.threads.lock().unwrap().insert(thread::current().id());
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A gate that jobs wait at until the test opens it.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn wait(&self) {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        drop(
            self.opened
                .wait_while(open, |open| !*open)
                .unwrap_or_else(|e| e.into_inner()),
        );
    }

    fn open(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.opened.notify_all();
    }
}

/// Opens the gate when dropped, so that a test that fails never leaves jobs waiting for ever.
struct OpensOnDrop(Arc<Gate>);

impl Drop for OpensOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// Queues a job that says `i` on `started`, then waits at `gate`.
fn blocking_job(pool: &Pool, i: usize, started: &Sender<usize>, gate: &Arc<Gate>) {
    let (started, gate) = (started.clone(), Arc::clone(gate));
    pool.execute(move || {
        let _ = started.send(i);
        gate.wait();
    });
}

#[test]
fn pool_runs_every_job_exactly_once() {
    let jobs = 2_000;
    let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..jobs).map(|_| AtomicUsize::new(0)).collect());
    let counted = Arc::clone(&runs);
    let report = watchdog::within_default(
        "the pool to run 2000 jobs and close. If this timed out, close waits for workers that \
         still wait for jobs: drop the sender first, then join the workers",
        move || {
            let pool = Pool::new(3, 4);
            for job in 0..jobs {
                let runs = Arc::clone(&counted);
                pool.execute(move || {
                    runs[job].fetch_add(1, Ordering::Relaxed);
                });
            }
            pool.close()
        },
    );
    let lost = runs
        .iter()
        .filter(|r| r.load(Ordering::Relaxed) == 0)
        .count();
    let twice = runs
        .iter()
        .filter(|r| r.load(Ordering::Relaxed) > 1)
        .count();
    assert_eq!(
        (lost, twice),
        (0, 0),
        "of {jobs} jobs, {lost} had not run when close returned and {twice} ran more than once. \
         execute waits for room when the queue is full (it never drops a job), close lets the \
         workers finish every queued job and joins them, and each job belongs to exactly one \
         worker"
    );
    assert_eq!(
        report,
        Report {
            completed: jobs,
            panicked: Vec::new()
        },
        "close should report every job as completed (counted by the workers, with fetch_add: \
         a load and a store would lose counts)"
    );
}

#[test]
fn pool_panics_when_asked_for_zero_workers() {
    // A panic proves something only from a pool that works with one worker.
    let report = watchdog::within_default("a pool of 1 worker to run a job and close", || {
        let pool = Pool::new(1, 1);
        pool.execute(|| ());
        pool.close()
    });
    assert_eq!(report.completed, 1, "a pool of 1 worker ran 1 job");
    let outcome = watchdog::expect_panic("Pool::new(0, 4)", "Pool::new(0, 4) to panic", || {
        Pool::new(0, 4)
    });
    if let Err(pool) = outcome {
        // A pool without workers would wait for ever in close: forget it instead.
        std::mem::forget(pool);
        panic!(
            "Pool::new(0, 4) returned a pool instead of panicking. A pool without a worker \
             never runs a job, and its execute waits for ever once the queue is full: the doc \
             comment says 0 panics (`assert!(threads > 0, …)`)"
        );
    }
}

#[test]
fn pool_runs_as_many_jobs_at_once_as_it_has_workers() {
    let workers = 4;
    let meet = Arc::new(Barrier::new(workers));
    watchdog::within_default(
        "4 jobs to meet at a barrier, which they do only when 4 workers run them at the same \
         time. If this timed out, the workers took turns: a worker must let go of the queue's \
         lock before it runs the job (a guard in a `while let` or `match` lives to its end)",
        move || {
            let pool = Pool::new(workers, workers);
            for _ in 0..workers {
                let meet = Arc::clone(&meet);
                pool.execute(move || {
                    meet.wait();
                });
            }
            pool.close()
        },
    );
}

#[test]
fn pool_never_runs_more_jobs_at_once_than_it_has_workers() {
    let workers = 3;
    let gate = Arc::new(Gate::default());
    let opens = OpensOnDrop(Arc::clone(&gate));
    let report = watchdog::within_default("the pool to run 4 jobs and close", move || {
        let _opens = opens;
        let (started, starts) = mpsc::channel();
        let pool = Pool::new(workers, 4);
        for i in 0..=workers {
            blocking_job(&pool, i, &started, &gate);
        }
        for _ in 0..workers {
            starts
                .recv()
                .expect("the first 3 jobs start, one on each of the 3 workers");
        }
        if let Ok(fourth) = starts.recv_timeout(a_moment()) {
            panic!(
                "a pool of {workers} workers started job {fourth} while {workers} other jobs \
                 were still running: it ran {} jobs at once. Start exactly `threads` workers, \
                 and run every job on one of them",
                workers + 1
            );
        }
        gate.open();
        pool.close()
    });
    assert_eq!(report.completed, workers + 1, "every job completed");
}

#[test]
fn pool_never_runs_more_threads_than_asked() {
    let workers = 3;
    let jobs = 300;
    let occupancy = Arc::new(Occupancy::default());
    let shared = Arc::clone(&occupancy);
    watchdog::within_default("the pool to run 300 jobs and close", move || {
        let pool = Pool::new(workers, 2);
        for _ in 0..jobs {
            let occupancy = Arc::clone(&shared);
            pool.execute(move || {
                occupancy.enter();
                thread::yield_now();
                occupancy.leave();
            });
        }
        pool.close()
    });
    let threads = occupancy.threads.lock().unwrap().len();
    let most = occupancy.most.load(Ordering::SeqCst);
    assert!(
        threads <= workers,
        "a pool of {workers} workers ran {jobs} jobs on {threads} different threads; the \
         workers are started once, in new, and every job runs on one of them"
    );
    assert!(
        most <= workers,
        "{most} jobs ran at the same time in a pool of {workers} workers"
    );
}

#[test]
fn pool_refuses_work_when_its_queue_is_full() {
    let gate = Arc::new(Gate::default());
    let opens = OpensOnDrop(Arc::clone(&gate));
    let report = watchdog::within_default("the pool to close", move || {
        let _opens = opens;
        let (started, running) = mpsc::channel();
        let pool = Pool::new(1, 2);
        blocking_job(&pool, 1, &started, &gate);
        // The only worker is now busy, so the next jobs wait in the queue.
        running.recv().expect("the first job never started");
        assert_eq!(
            pool.try_execute(|| ()),
            Ok(()),
            "the queue has room for 2, and it is empty"
        );
        assert_eq!(
            pool.try_execute(|| ()),
            Ok(()),
            "the queue has room for 2, and 1 job waits in it"
        );
        assert_eq!(
            pool.try_execute(|| panic!("a refused job must never run")),
            Err(Full),
            "a third job does not fit in a queue of 2 while the only worker is busy; an \
             unbounded queue (mpsc::channel) lets work pile up without limit. Use sync_channel"
        );
        gate.open();
        pool.close()
    });
    assert_eq!(
        report,
        Report {
            completed: 3,
            panicked: Vec::new()
        },
        "the 3 jobs that were queued ran, and the refused one did not"
    );
}

#[test]
fn execute_waits_while_the_queue_is_full() {
    let gate = Arc::new(Gate::default());
    let opens = OpensOnDrop(Arc::clone(&gate));
    let (report, first, third) = watchdog::within_default("the pool to close", move || {
        let _opens = opens;
        let (started, running) = mpsc::channel();
        let pool = Pool::new(1, 1);
        blocking_job(&pool, 1, &started, &gate);
        running.recv().expect("the first job never started");
        let (ran_on, ran) = mpsc::channel();
        let (returned, waited) = mpsc::channel();
        let shared = &pool;
        let first_ran_on = thread::scope(|scope| {
            // The only worker is busy: this one fills the queue…
            shared.execute(|| ());
            // …and the next must wait for room, on a thread of its own.
            scope.spawn(move || {
                shared.execute(move || {
                    let _ = ran_on.send(thread::current().id());
                });
                let _ = returned.send(());
            });
            if waited.recv_timeout(a_moment()).is_ok() {
                panic!(
                    "execute returned at once although the queue (room for 1) was full and the \
                     only worker busy. It should wait until a worker takes a job \
                     (backpressure): a job that is dropped, refused, or run elsewhere when the \
                     queue is full breaks the pool's bound"
                );
            }
            gate.open();
            waited.recv().expect("execute returns once there is room");
            // Which thread is the only worker? A job asks it.
            let (id_sender, id) = mpsc::channel();
            shared.execute(move || {
                let _ = id_sender.send(thread::current().id());
            });
            id.recv().expect("the worker ran the job")
        });
        let report = pool.close();
        (
            report,
            first_ran_on,
            ran.recv().expect("the job that waited ran"),
        )
    });
    assert_eq!(
        report.completed, 4,
        "every job that execute queued ran, including the one that waited"
    );
    assert_eq!(
        third, first,
        "the job that waited for room ran on another thread than the only worker's: execute \
         should wait for room, then queue the job for the workers"
    );
}

#[test]
fn a_pool_with_a_queue_of_zero_hands_each_job_to_a_free_worker() {
    let gate = Arc::new(Gate::default());
    let opens = OpensOnDrop(Arc::clone(&gate));
    let report = watchdog::within_default(
        "a pool with a queue of 0 to run its jobs and close. If this timed out, execute waited \
         for room in a queue that has none: with a queue of 0, a job goes straight to a worker \
         that is free to take it (sync_channel(0) does so)",
        move || {
            let _opens = opens;
            let pool = Pool::new(2, 0);
            for _ in 0..10 {
                pool.execute(|| ());
            }
            let (started, running) = mpsc::channel();
            blocking_job(&pool, 1, &started, &gate);
            blocking_job(&pool, 2, &started, &gate);
            for _ in 0..2 {
                running.recv().expect("both workers took a job");
            }
            assert_eq!(
                pool.try_execute(|| panic!("a refused job must never run")),
                Err(Full),
                "with both workers busy, a queue of 0 has no room"
            );
            gate.open();
            pool.close()
        },
    );
    assert_eq!(report.completed, 12, "every job that execute queued ran");
}

/// A thread-local that counts the thread as ended when the thread ends: a thread drops its
/// thread-locals last, after everything it ran has returned. It first waits (a moment at most)
/// for `may_end`, so that a pool that does not join its workers returns while they still run.
struct CountsTheEnd {
    ended: Arc<AtomicUsize>,
    may_end: Arc<Gate>,
}

impl Drop for CountsTheEnd {
    fn drop(&mut self) {
        let open = self.may_end.open.lock().unwrap_or_else(|e| e.into_inner());
        let waited = self
            .may_end
            .opened
            .wait_timeout_while(open, a_moment(), |open| !*open);
        drop(waited);
        self.ended.fetch_add(1, Ordering::SeqCst);
    }
}

thread_local! {
    static COUNTS_THE_END: RefCell<Option<CountsTheEnd>> = const { RefCell::new(None) };
}

/// Queues jobs that each take a moment, then ends the pool with `end`, and checks that by the
/// time `end` returned, every worker had ended and every job had finished.
fn check_ending_waits_for_every_job(end: fn(Pool), how: &str) {
    let workers = 2;
    let jobs = 12;
    let finished = Arc::new(AtomicUsize::new(0));
    let ended = Arc::new(AtomicUsize::new(0));
    let may_end = Arc::new(Gate::default());
    let opens = OpensOnDrop(Arc::clone(&may_end));
    let (counted, ends, may) = (
        Arc::clone(&finished),
        Arc::clone(&ended),
        Arc::clone(&may_end),
    );
    let ended_then = watchdog::within_default(
        &format!(
            "{how} to return. If this timed out, the workers still wait for jobs: drop the \
             sender first, so that their recv returns Err once the queue is empty, then join them"
        ),
        move || {
            let _opens = opens;
            let pool = Pool::new(workers, jobs);
            // The first two jobs meet, so each worker runs one and learns when its thread ends.
            let meet = Arc::new(Barrier::new(workers));
            for _ in 0..workers {
                let (meet, ends, may) = (Arc::clone(&meet), Arc::clone(&ends), Arc::clone(&may));
                pool.execute(move || {
                    meet.wait();
                    let counts = CountsTheEnd {
                        ended: ends,
                        may_end: may,
                    };
                    COUNTS_THE_END.with(|slot| *slot.borrow_mut() = Some(counts));
                });
            }
            for _ in workers..jobs {
                let finished = Arc::clone(&counted);
                pool.execute(move || {
                    // Pacing only: a job that takes a moment, so an ending that does not wait shows.
                    thread::sleep(Duration::from_millis(10));
                    finished.fetch_add(1, Ordering::SeqCst);
                });
            }
            end(pool);
            ended.load(Ordering::SeqCst)
        },
    );
    may_end.open();
    assert_eq!(
        ended_then,
        workers,
        "{how} returned while {} of its {workers} worker threads still ran; it should join \
         every worker (JoinHandle::join), so that no thread outlives the pool",
        workers - ended_then
    );
    let done = finished.load(Ordering::SeqCst);
    assert_eq!(
        done,
        jobs - workers,
        "{how} returned when only {done} of the {} queued jobs that take a moment had \
         finished; it should join every worker, and a worker ends only when the queue is empty",
        jobs - workers
    );
}

#[test]
fn closing_the_pool_finishes_the_queue_and_joins_every_worker() {
    check_ending_waits_for_every_job(
        |pool| {
            pool.close();
        },
        "close",
    );
}

#[test]
fn dropping_the_pool_joins_every_worker_too() {
    check_ending_waits_for_every_job(drop, "dropping the pool");
}

#[test]
fn a_job_that_panics_is_reported_and_its_worker_goes_on() {
    let report = watchdog::within_default("the pool to close after a panic", || {
        let pool = Pool::new(1, 8);
        pool.execute(|| ());
        // `panic_any` makes the payload's type certain: a `&'static str`…
        pool.execute(|| panic::panic_any("job 2 panics on purpose"));
        pool.execute(|| ());
        // …a `String`…
        pool.execute(|| panic::panic_any(format!("job {} panics on purpose too", 4)));
        // …and neither, so there is no message.
        pool.execute(|| panic::panic_any(5_u8));
        pool.execute(|| ());
        pool.close()
    });
    assert_eq!(
        report,
        Report {
            completed: 3,
            panicked: vec![
                "job 2 panics on purpose".to_owned(),
                "job 4 panics on purpose too".to_owned(),
                "a panic without a message".to_owned(),
            ],
        },
        "a panicking job should be caught (std::panic::catch_unwind), its message reported \
         (from a &str or a String payload, or \"a panic without a message\"), and its worker \
         should go on with the next job"
    );
}

#[test]
fn pipeline_applies_both_stages_to_every_item_in_order() {
    let results = watchdog::within_default("the pipeline to deliver every result", || {
        pipeline(0..1000_u32, 4, |n| n * 2, |n| format!("<{n}>"))
            .iter()
            .collect::<Vec<_>>()
    });
    let expected: Vec<String> = (0..1000).map(|n| format!("<{}>", n * 2)).collect();
    assert_eq!(
        results.len(),
        expected.len(),
        "every item should come out once"
    );
    assert!(
        results == expected,
        "the results came out in another order, or changed; one thread per stage and FIFO \
         channels keep the input's order"
    );
}

/// Busy work that takes longer for a larger `steps`.
fn spin(steps: u64) {
    let mut acc = 0_u64;
    for i in 0..steps * 10 {
        acc = std::hint::black_box(acc.wrapping_add(i));
    }
    std::hint::black_box(acc);
}

#[test]
fn pipeline_keeps_order_when_items_take_different_times() {
    for seed in seed::seeds(3) {
        seed::with_seed(seed, |rng| {
            let costs: Vec<u64> = (0..300).map(|_| rng.between(0, 2_000) as u64).collect();
            let expected: Vec<u64> = costs.iter().map(|c| c + 1).collect();
            let input = costs.clone();
            let results =
                watchdog::within_default("the pipeline to deliver every result", move || {
                    pipeline(
                        input.into_iter(),
                        2,
                        |cost| {
                            // Busy work of a varying length, so items are ready at different times.
                            spin(cost);
                            cost
                        },
                        |cost| {
                            spin(2_000 - cost);
                            cost + 1
                        },
                    )
                    .iter()
                    .collect::<Vec<_>>()
                });
            assert!(results == expected, "results came out of order or changed");
        });
    }
}

#[test]
fn pipeline_stages_run_at_the_same_time() {
    let meet = Arc::new(Barrier::new(2));
    let (first_meet, second_meet) = (Arc::clone(&meet), meet);
    watchdog::within_default(
        "the two stages to meet at a barrier, which they do only when both run at the same \
         time: the first stage on item 2 while the second is still on item 1. If this timed \
         out, the stages ran one after the other; give each its own thread",
        move || {
            pipeline(
                1..=3_u32,
                1,
                move |n| {
                    if n == 2 {
                        first_meet.wait();
                    }
                    n
                },
                move |n| {
                    if n == 1 {
                        second_meet.wait();
                    }
                    n
                },
            )
            .iter()
            .collect::<Vec<_>>()
        },
    );
}

/// An input whose item 3 waits at a barrier, shared with the stages, before it is handed out.
struct Meets {
    next: u32,
    meet: Arc<Barrier>,
}

impl Iterator for Meets {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        self.next += 1;
        match self.next {
            3 => {
                self.meet.wait();
                Some(3)
            }
            n if n <= 4 => Some(n),
            _ => None,
        }
    }
}

#[test]
fn pipeline_reads_its_input_while_both_stages_work() {
    let meet = Arc::new(Barrier::new(3));
    let input = Meets {
        next: 0,
        meet: Arc::clone(&meet),
    };
    let (first_meet, second_meet) = (Arc::clone(&meet), meet);
    let results = watchdog::within_default(
        "the input and both stages to meet at a barrier, which they do only when all three run \
         at the same time: the input taking item 3 while the first stage is on item 2 and the \
         second on item 1. If this timed out, the input is read on a stage's thread: give it a \
         thread of its own, which sends every item on the first channel",
        move || {
            pipeline(
                input,
                1,
                move |n| {
                    if n == 2 {
                        first_meet.wait();
                    }
                    n
                },
                move |n| {
                    if n == 1 {
                        second_meet.wait();
                    }
                    n * 10
                },
            )
            .iter()
            .collect::<Vec<_>>()
        },
    );
    assert_eq!(
        results,
        [10, 20, 30, 40],
        "every item went through both stages"
    );
}

/// Sends on its channel when it is dropped.
struct SaysWhenDropped(Sender<&'static str>, &'static str);

impl Drop for SaysWhenDropped {
    fn drop(&mut self) {
        let _ = self.0.send(self.1);
    }
}

/// An endless input that counts how many items were taken from it, tells when more than
/// `allowed` were, and says when it is dropped.
struct Counted {
    taken: Arc<AtomicU64>,
    allowed: Arc<AtomicU64>,
    overrun: Sender<(u64, u64)>,
    _dropped: SaysWhenDropped,
}

impl Iterator for Counted {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        let taken = self.taken.fetch_add(1, Ordering::SeqCst) + 1;
        let allowed = self.allowed.load(Ordering::SeqCst);
        if taken > allowed {
            let _ = self.overrun.send((taken, allowed));
        }
        Some(taken)
    }
}

#[test]
fn pipeline_slows_its_input_down_to_the_pace_of_the_consumer() {
    let capacity = 2;
    let bound = 3 * capacity as u64 + 3;
    let allowed = Arc::new(AtomicU64::new(bound));
    let (overrun, overran) = mpsc::channel();
    let (dropped, gone) = mpsc::channel();
    let input = Counted {
        taken: Arc::default(),
        allowed: Arc::clone(&allowed),
        overrun,
        _dropped: SaysWhenDropped(dropped.clone(), "the input"),
    };
    let first = SaysWhenDropped(dropped.clone(), "the first stage");
    let second = SaysWhenDropped(dropped, "the second stage");
    let results = watchdog::within_default(
        "pipeline to return its receiver at once; the stages run on threads of their own, \
         while the consumer reads",
        move || {
            pipeline(
                input,
                capacity,
                move |n| {
                    let _keep = &first;
                    n
                },
                move |n| {
                    let _keep = &second;
                    n
                },
            )
        },
    );
    let too_many = |received: u64| {
        // Waiting here is only for a wrong pipeline: a bounded one never overruns.
        if let Ok((taken, _)) = overran.recv_timeout(a_moment()) {
            panic!(
                "a consumer that had received {received} items saw {taken} items taken from the \
                 input; with channels of {capacity} items, at most {bound} should be in flight. \
                 Unbounded channels let the first stages run ahead without limit: use \
                 sync_channel(capacity) for every channel, the last one too"
            );
        }
    };
    // The consumer reads nothing at first: a bounded pipeline fills up and waits.
    too_many(0);
    // Then it reads 5 items, which makes room for 5 more, and no more than that.
    allowed.store(bound + 5, Ordering::SeqCst);
    let firsts: Vec<u64> = watchdog::within_default("the first results", move || {
        let firsts = results.iter().take(5).collect();
        drop(results);
        firsts
    });
    assert_eq!(firsts, [1, 2, 3, 4, 5], "the first 5 results, in order");
    // The consumer has hung up; what the input thread takes now is not an overrun.
    allowed.store(u64::MAX, Ordering::SeqCst);
    let ends: Vec<&str> = watchdog::within_default(
        "the input and both stages to be dropped after the consumer hung up. If this timed \
         out, a thread ignored a failed send and kept going: when send fails, nobody is \
         listening any more, so stop",
        move || {
            (0..3)
                .map(|_| gone.recv().expect("each says when it is dropped"))
                .collect()
        },
    );
    assert_eq!(
        ends.len(),
        3,
        "the input and both stages were dropped: {ends:?}"
    );
}

#[test]
fn pipeline_ends_when_the_input_ends() {
    let results = watchdog::within_default(
        "the results to end after the last item. If this timed out, a stage kept a sender \
         alive after its input ended",
        || {
            let none: Vec<u8> = pipeline(Vec::<u8>::new().into_iter(), 1, |n| n, |n| n)
                .iter()
                .collect();
            let one: Vec<u8> = pipeline([7_u8].into_iter(), 0, |n| n + 1, |n| n * 2)
                .iter()
                .collect();
            (none, one)
        },
    );
    assert_eq!(
        results,
        (vec![], vec![16]),
        "an empty input gives no results, and a capacity of 0 (every send waits for its \
         receiver) works too"
    );
}
