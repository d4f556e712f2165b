//! The tests of chapter 7. The same file grades your exercise and the reference solution.
//!
//! No test measures time to decide whether threads ran together: they meet at a `Barrier`, which
//! opens only when every thread is there at once, and the watchdog says so when it never opens.

use super::*;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Barrier, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use testkit::seed;
use testkit::watchdog;

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
        let (alice, to_alice) = keep();
        let (bob, to_bob) = keep();
        assert!(registry.join("bob", bob), "bob is a free name");
        assert!(registry.join("alice", alice), "alice is a free name");
        let (again, _) = keep();
        assert!(
            !registry.join("alice", again),
            "alice is taken, so a second alice must be refused"
        );
        assert_eq!(registry.names(), ["alice", "bob"], "names are sorted");

        registry.send("alice", "hello alice").unwrap();
        registry.send("bob", "hi bob").unwrap();
        registry.send("alice", "again").unwrap();
        assert_eq!(text(&to_alice), "hello alice\nagain\n");
        assert_eq!(text(&to_bob), "hi bob\n");
        assert_eq!(registry.delivered(), 3);

        let error = registry
            .send("carol", "anyone?")
            .expect_err("nobody is called carol, so send must fail");
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert_eq!(registry.delivered(), 3, "a failed send delivers nothing");

        assert!(registry.leave("bob"));
        assert!(!registry.leave("bob"), "bob has already left");
        assert_eq!(registry.names(), ["alice"]);
        let (bob_again, _) = keep();
        assert!(
            registry.join("bob", bob_again),
            "a name is free again after leaving"
        );
    });
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
                        assert!(registry.join(&format!("t{t}n{n}"), line));
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
    let threads = 4;
    let rounds = 20_000;
    let registry = Arc::new(Registry::new());
    let shared = Arc::clone(&registry);
    let winners = watchdog::within_default("four threads to race for 20000 names", move || {
        let start = Barrier::new(threads);
        let winners = AtomicUsize::new(0);
        thread::scope(|scope| {
            for _ in 0..threads {
                let (registry, start, winners) = (&shared, &start, &winners);
                scope.spawn(move || {
                    for round in 0..rounds {
                        let (line, _) = keep();
                        let name = format!("name{round}");
                        // All four threads leave the barrier together and ask for the same name.
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
    let threads = 4;
    let per_thread: u64 = 50_000;
    let registry = Arc::new(Registry::new());
    for t in 0..threads {
        assert!(registry.join(&format!("client{t}"), keep().0));
    }
    let shared = Arc::clone(&registry);
    watchdog::within_default("four threads to send 200000 lines", move || {
        let start = Barrier::new(threads);
        thread::scope(|scope| {
            for t in 0..threads {
                let (registry, start) = (&shared, &start);
                scope.spawn(move || {
                    start.wait();
                    for _ in 0..per_thread {
                        registry.send(&format!("client{t}"), "x").unwrap();
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
            shared.send("fast", "you go first").unwrap();
            let (carol, _) = keep();
            assert!(shared.join("carol", carol));
            assert_eq!(shared.names(), ["carol", "fast", "slow"]);
            assert!(shared.leave("carol"));
        },
    );
    assert_eq!(text(&to_fast), "you go first\n");

    release.send(()).unwrap();
    watchdog::join(slow_sender, watchdog::DEFAULT_LIMIT, "the slow send to end")
        .expect("the slow send panicked")
        .expect("the slow send should succeed once its writer is released");
    assert_eq!(registry.delivered(), 2);
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

#[test]
fn pool_runs_every_job_exactly_once() {
    let jobs = 2_000;
    let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..jobs).map(|_| AtomicUsize::new(0)).collect());
    let counted = Arc::clone(&runs);
    let report = watchdog::within_default("the pool to run 2000 jobs and close", move || {
        let pool = Pool::new(3, 4);
        for job in 0..jobs {
            let runs = Arc::clone(&counted);
            pool.execute(move || {
                runs[job].fetch_add(1, Ordering::Relaxed);
            });
        }
        pool.close()
    });
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
        "of {jobs} jobs, {lost} never ran and {twice} ran more than once; each job belongs to \
         exactly one worker"
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
    let (started, running) = mpsc::channel();
    let (open, gate) = mpsc::channel::<()>();
    let report = watchdog::within_default("the pool to close", move || {
        let pool = Pool::new(1, 2);
        pool.execute(move || {
            started.send(()).unwrap();
            let _ = gate.recv();
        });
        // The only worker is now busy, so the next jobs wait in the queue.
        running.recv().expect("the first job never started");
        assert_eq!(pool.try_execute(|| ()), Ok(()), "the queue has room for 2");
        assert_eq!(pool.try_execute(|| ()), Ok(()), "the queue has room for 2");
        assert_eq!(
            pool.try_execute(|| ()),
            Err(Full),
            "a third job does not fit in a queue of 2 while the only worker is busy; an \
             unbounded queue (mpsc::channel) lets work pile up without limit. Use sync_channel"
        );
        open.send(()).unwrap();
        pool.close()
    });
    assert_eq!(report.completed, 3);
}

/// Queues `jobs` jobs that each take a moment, then ends the pool with `end`, and checks that
/// every job had finished by the time `end` returned.
fn check_ending_waits_for_every_job(end: fn(Pool), how: &str) {
    let jobs = 12;
    let finished = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&finished);
    watchdog::within_default(
        &format!(
            "{how} to return. If this timed out, the workers still wait for jobs: drop the \
             sender first, so that their recv returns Err once the queue is empty, then join them"
        ),
        move || {
            let pool = Pool::new(2, jobs);
            for _ in 0..jobs {
                let finished = Arc::clone(&counted);
                pool.execute(move || {
                    // Pacing only: a job that takes a moment, so an ending that does not wait shows.
                    thread::sleep(Duration::from_millis(10));
                    finished.fetch_add(1, Ordering::SeqCst);
                });
            }
            end(pool);
        },
    );
    let done = finished.load(Ordering::SeqCst);
    assert_eq!(
        done, jobs,
        "{how} returned when only {done} of {jobs} queued jobs had finished; it should join \
         every worker, and a worker ends only when the queue is empty"
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
        pool.execute(|| panic!("job 2 failed"));
        pool.execute(|| ());
        pool.execute(|| panic!("job {} failed too", 4));
        pool.execute(|| ());
        pool.close()
    });
    assert_eq!(
        report,
        Report {
            completed: 3,
            panicked: vec!["job 2 failed".to_owned(), "job 4 failed too".to_owned()],
        },
        "a panicking job should be caught (std::panic::catch_unwind), its message reported, \
         and its worker should go on with the next job"
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

/// An endless input that counts how many items were taken from it and says when it is dropped.
struct Counted {
    taken: Arc<AtomicU64>,
    too_many: u64,
    overrun: Sender<u64>,
    dropped: Sender<()>,
}

impl Iterator for Counted {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        let taken = self.taken.fetch_add(1, Ordering::SeqCst) + 1;
        if taken == self.too_many {
            let _ = self.overrun.send(taken);
        }
        Some(taken)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let _ = self.dropped.send(());
    }
}

#[test]
fn pipeline_slows_its_input_down_to_the_pace_of_the_consumer() {
    let capacity = 2;
    let bound = 3 * capacity as u64 + 3;
    let (overrun, overran) = mpsc::channel();
    let (dropped, gone) = mpsc::channel();
    let input = Counted {
        taken: Arc::default(),
        too_many: bound + 1,
        overrun,
        dropped,
    };
    let results = pipeline(input, capacity, |n| n, |n| n);
    // The consumer reads nothing. A bounded pipeline fills up and waits; an unbounded one keeps
    // taking input. Waiting here is only for the unbounded case: a correct pipeline never sends.
    let limit = watchdog::scaled(Duration::from_millis(500));
    if let Ok(taken) = overran.recv_timeout(limit) {
        panic!(
            "a consumer that read nothing saw {taken} items taken from the input; with channels \
             of {capacity} items at most {bound} should be in flight. Unbounded channels let \
             the first stages run ahead without limit: use sync_channel(capacity)"
        );
    }
    let firsts: Vec<u64> = watchdog::within_default("the first results", move || {
        let firsts = results.iter().take(5).collect();
        drop(results);
        firsts
    });
    assert_eq!(firsts, [1, 2, 3, 4, 5]);
    watchdog::within_default(
        "the input to be dropped after the consumer hung up. If this timed out, a stage ignored \
         a failed send and kept going: when send fails, nobody is listening any more, so stop",
        move || gone.recv().expect("the input was dropped"),
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
