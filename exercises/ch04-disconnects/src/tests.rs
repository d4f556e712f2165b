//! The tests of "Disconnects and blocking". The same file grades your exercise and the reference
//! solution.
//!
//! A few promises of `lib.rs` have no test of their own, because no test could check them the
//! same way on Linux, macOS and Windows:
//!
//! - that `receive`, `read_exact_before` and `accept_until_stopped` try an `Interrupted` read
//!   or accept again: on a real socket that happens only when a signal arrives in the middle of
//!   the call, and a test cannot send one on every system. `read_to_end_limited` takes any
//!   reader, so it gets injected `Interrupted` errors instead;
//! - that `accept_until_stopped` notices its flag *within about* `POLL_INTERVAL`: a test that
//!   timed it would fail whenever the machine is busy. The tests give it 5 s, and check the
//!   other half exactly: that it sleeps between two tries instead of spinning;
//! - that a stream is handed over in blocking mode, on Linux: there `accept` gives blocking
//!   streams even from a non-blocking listener, so a missing `set_nonblocking(false)` shows only
//!   on macOS and Windows.

use super::*;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use testkit::assert_same;
use testkit::faulty::FaultyReader;
use testkit::net::{self, OneShot};
use testkit::peer::{self, Cut};
use testkit::seed;
use testkit::watchdog;

/// Every byte value, several times over, in an order that is not sorted.
fn every_byte_value() -> Vec<u8> {
    (0..4u8)
        .flat_map(|round| (0..=255u8).map(move |b| b.wrapping_mul(13).wrapping_add(round)))
        .collect()
}

/// Says where two byte strings first differ.
fn describe_difference(got: &[u8], expected: &[u8]) -> String {
    match got.iter().zip(expected).position(|(a, b)| a != b) {
        Some(at) => format!("byte {at} is {} but should be {}", got[at], expected[at]),
        None if got.len() < expected.len() => {
            format!("only {} of {} bytes arrived", got.len(), expected.len())
        }
        None if got.len() == expected.len() => "every byte is right".to_owned(),
        None => format!(
            "{} bytes arrived, {} more than were sent",
            got.len(),
            got.len() - expected.len()
        ),
    }
}

/// A TCP socket that was never connected (nor bound, nor listening): every read fails at once
/// with `NotConnected` and every accept with `InvalidInput`, on Linux, macOS and Windows alike.
/// The tests use it for an error that is neither a timeout nor a reset, nor an interruption.
fn never_connected() -> socket2::Socket {
    socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
        .expect("could not create the test's socket")
}

/// A connected pair: the student's end (no timeouts set) and the test's end, the peer.
fn connected_pair() -> (TcpStream, TcpStream) {
    let listener = net::listener();
    let ours = TcpStream::connect(net::addr_of(&listener)).expect("could not connect");
    let peer = net::accept(&listener);
    (ours, peer)
}

// --- read_to_end_limited ---

/// How many more reads a reader allows after it returned `Ok(0)`, or failed, before it calls
/// the loop that reads it endless.
const READS_AFTER_THE_END: usize = 10;

/// Wraps a reader, and fails the test when it is read again and again after it returned
/// `Ok(0)` (the end of the stream) or failed with an error other than `Interrupted`: the mistake
/// of a loop that does not stop there. Reads before the end are not counted, so a read buffer of
/// any size is fine.
struct EndWatch<R> {
    inner: R,
    /// How many reads into a non-empty buffer returned `Ok(0)`.
    ends: usize,
    /// How many reads failed with an error other than `Interrupted`, and the last one's kind.
    failures: usize,
    failed_with: Option<io::ErrorKind>,
}

impl<R: Read> EndWatch<R> {
    fn new(inner: R) -> Self {
        EndWatch {
            inner,
            ends: 0,
            failures: 0,
            failed_with: None,
        }
    }
}

impl<R: Read> Read for EndWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ends > READS_AFTER_THE_END {
            panic!(
                "read was called again and again after it returned Ok(0); Ok(0) is the end of \
                 the stream, and every later read returns Ok(0) again, at once, so a loop that \
                 reads on never ends. Stop at the first Ok(0)"
            );
        }
        if let Some(kind) = self
            .failed_with
            .filter(|_| self.failures > READS_AFTER_THE_END)
        {
            panic!(
                "read was called again and again after it failed with {kind:?}; only an \
                 Interrupted read is worth trying again, any other error is final: return it"
            );
        }
        match self.inner.read(buf) {
            Ok(0) if !buf.is_empty() => {
                self.ends += 1;
                Ok(0)
            }
            Err(error) if error.kind() != io::ErrorKind::Interrupted => {
                self.failures += 1;
                self.failed_with = Some(error.kind());
                Err(error)
            }
            other => other,
        }
    }
}

/// Runs `read_to_end_limited` on `reader` under the watchdog; returns its outcome and how many
/// times the reader said `Ok(0)`.
fn read_limited<R: Read + Send + 'static>(
    reader: R,
    limit: usize,
    awaiting: &str,
) -> (io::Result<Vec<u8>>, usize) {
    watchdog::within_default(awaiting, move || {
        let mut input = EndWatch::new(reader);
        let outcome = read_to_end_limited(&mut input, limit);
        (outcome, input.ends)
    })
}

#[test]
fn read_to_end_limited_reads_every_piece_and_stops_at_ok_0() {
    let data = every_byte_value();
    for cut in Cut::variety(64, 3, 200) {
        seed::with_seed(cut.seed(), |_| {
            let reader = FaultyReader::new(io::Cursor::new(data.clone())).cut(cut);
            let (outcome, ends) = read_limited(
                reader,
                1 << 20,
                "read_to_end_limited to return at the end of the stream",
            );
            let got = outcome.unwrap_or_else(|error| {
                panic!("reading 1024 bytes from memory, in reads cut as {cut:?}, failed: {error}")
            });
            assert!(
                got == data,
                "with reads cut as {cut:?}: {}; keep reading until read returns Ok(0)",
                describe_difference(&got, &data)
            );
            assert_same!(
                ends,
                1,
                "read returned Ok(0) {ends} times; Ok(0) is the end of the stream: stop at the \
                 first one"
            );
        });
    }
}

#[test]
fn read_to_end_limited_tries_an_interrupted_read_again() {
    let data = every_byte_value();
    for cut in [Cut::Whole, Cut::BYTE_BY_BYTE, Cut::Fixed(64)] {
        for every in [2, 3] {
            let reader = FaultyReader::new(io::Cursor::new(data.clone()))
                .cut(cut)
                .interrupt_every(every);
            let (outcome, _) = read_limited(
                reader,
                1 << 20,
                "read_to_end_limited to read past the Interrupted reads",
            );
            match outcome {
                Ok(got) if got.len() < data.len() && data.starts_with(&got) => panic!(
                    "read_to_end_limited returned {} of {} bytes, as if the stream had ended at \
                     an Interrupted read; Interrupted means nothing was read (a signal \
                     arrived), so call read again",
                    got.len(),
                    data.len()
                ),
                Ok(got) => assert!(
                    got == data,
                    "with every {every}th read Interrupted and reads cut as {cut:?}: {}",
                    describe_difference(&got, &data)
                ),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => panic!(
                    "read_to_end_limited returned the Interrupted error; an interrupted read \
                     did nothing (a signal arrived), so call read again"
                ),
                Err(error) => panic!(
                    "read_to_end_limited failed with \"{error}\", but the only errors were \
                     Interrupted ones, which mean \"try again\""
                ),
            }
        }
    }
}

#[test]
fn read_to_end_limited_returns_a_reset_as_an_error_not_as_the_end() {
    let data = every_byte_value();
    for cut in [Cut::Whole, Cut::BYTE_BY_BYTE, Cut::Fixed(100)] {
        let reader = FaultyReader::new(io::Cursor::new(data.clone()))
            .cut(cut)
            .fail_after(300, io::ErrorKind::ConnectionReset);
        let (outcome, _) = read_limited(
            reader,
            1 << 20,
            "read_to_end_limited to return after the reset",
        );
        match outcome {
            Err(error) => assert_same!(
                error.kind(),
                io::ErrorKind::ConnectionReset,
                "the connection was reset after 300 bytes: return the reader's own error, \
                 \"{error}\""
            ),
            Ok(got) => panic!(
                "read_to_end_limited returned {} bytes as if the peer had finished, but the \
                 connection was reset after 300; only Ok(0) is a clean end, an error is not",
                got.len()
            ),
        }
    }
}

#[test]
fn read_to_end_limited_refuses_more_than_the_limit() {
    for limit in [0, 1, 1000] {
        for cut in Cut::variety(64, 2, 300) {
            seed::with_seed(cut.seed(), |rng| {
                let exactly = rng.bytes(limit);
                let reader = FaultyReader::new(io::Cursor::new(exactly.clone())).cut(cut);
                let (outcome, _) = read_limited(
                    reader,
                    limit,
                    "read_to_end_limited to read exactly the limit",
                );
                match outcome {
                    Ok(got) => assert!(
                        got == exactly,
                        "{limit} bytes with a limit of {limit}, in reads cut as {cut:?}: {}",
                        describe_difference(&got, &exactly)
                    ),
                    Err(error) if error.kind() == io::ErrorKind::InvalidData => panic!(
                        "read_to_end_limited refused {limit} bytes with a limit of {limit} \
                         (reads cut as {cut:?}); the limit is the most you accept, so refuse \
                         only more than it: total > limit, not total >= limit"
                    ),
                    Err(error) => panic!(
                        "read_to_end_limited failed on {limit} bytes with a limit of {limit}: \
                         {error}"
                    ),
                }

                let one_more = rng.bytes(limit + 1);
                let reader = FaultyReader::new(io::Cursor::new(one_more)).cut(cut);
                let (outcome, _) = read_limited(
                    reader,
                    limit,
                    "read_to_end_limited to refuse one byte more than the limit",
                );
                match outcome {
                    Err(error) => assert_same!(
                        error.kind(),
                        io::ErrorKind::InvalidData,
                        "{} bytes with a limit of {limit} is too much: an InvalidData error, \
                         not \"{error}\"",
                        limit + 1
                    ),
                    Ok(got) => panic!(
                        "the peer sent {} bytes, one more than the limit of {limit}, then \
                         closed, and read_to_end_limited returned {} bytes (reads cut as \
                         {cut:?}); check the total after adding each read's bytes, the last \
                         read before Ok(0) included: received + n > limit",
                        limit + 1,
                        got.len()
                    ),
                }
            });
        }
    }
}

/// A peer that never stops sending: every read fills the whole buffer. Fails the test once it
/// has handed out far more than any limit of the tests, instead of filling the memory.
struct Endless {
    delivered: usize,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.delivered > 64 << 20 {
            panic!(
                "read_to_end_limited has read {} MiB with a limit of 10 000 bytes and still \
                 reads on; return the InvalidData error as soon as the total passes the limit",
                self.delivered >> 20
            );
        }
        buf.fill(7);
        self.delivered += buf.len();
        Ok(buf.len())
    }
}

#[test]
fn read_to_end_limited_stops_reading_a_peer_that_never_stops() {
    let outcome = watchdog::within_default(
        "read_to_end_limited to refuse a peer that never stops sending",
        || read_to_end_limited(&mut Endless { delivered: 0 }, 10_000).map(|got| got.len()),
    );
    match outcome {
        Err(error) => assert_same!(
            error.kind(),
            io::ErrorKind::InvalidData,
            "too much data is an InvalidData error, not \"{error}\""
        ),
        Ok(length) => panic!("read_to_end_limited returned {length} bytes from an endless peer"),
    }
}

// --- receive ---

#[test]
fn receive_returns_the_bytes_that_arrived() {
    let (ours, mut peer) = connected_pair();
    let ours = Arc::new(ours);
    peer.write_all(b"hello").unwrap();
    let (outcome, buffer) = {
        let ours = Arc::clone(&ours);
        watchdog::within_default(
            "receive to return the 5 bytes that had arrived (its timeout is 60 s, but it should \
             return as soon as some bytes are there, not wait for the buffer to fill up)",
            move || {
                let mut buffer = [0u8; 64];
                let outcome = receive(&ours, &mut buffer, Duration::from_secs(60));
                (outcome, buffer)
            },
        )
    };
    match outcome.expect("receive should not fail") {
        Received::Data(n) => assert_same!(
            &buffer[..n],
            &b"hello"[..],
            "receive said Data({n}); the bytes read go first in the buffer"
        ),
        other => panic!("the peer sent hello, but receive said {other:?}"),
    }

    // Then more than the buffer holds, and a clean close: piece after piece, then Closed.
    let data = every_byte_value();
    peer.write_all(&data).unwrap();
    peer::half_close(&peer);
    let (got, end) =
        watchdog::within_default("receive to return every piece, then Closed", move || {
            let mut got = Vec::new();
            let mut buffer = [0u8; 100];
            loop {
                match receive(&ours, &mut buffer, Duration::from_secs(5)) {
                    Ok(Received::Data(n)) if n > 0 && n <= buffer.len() => {
                        got.extend_from_slice(&buffer[..n])
                    }
                    end => return (got, end),
                }
            }
        });
    match end {
        Ok(Received::Closed) => {}
        Ok(Received::Data(n)) => panic!(
            "receive said Data({n}) for a buffer of 100 bytes; Data counts the bytes read, at \
             least 1 and at most the buffer's length"
        ),
        other => panic!(
            "the peer sent 1024 bytes and shut down its sending side; after {} bytes receive \
             said {other:?}, where Closed was due",
            got.len()
        ),
    }
    assert!(
        got == data,
        "reading 1024 bytes into a buffer of 100, one receive at a time: {}",
        describe_difference(&got, &data)
    );
    drop(peer);
}

#[test]
fn receive_waits_for_data_that_comes_later() {
    let (ours, mut peer) = connected_pair();
    peer::no_delay(&peer);
    let timeout = watchdog::scaled(Duration::from_secs(5));
    let started = Instant::now();
    // Pacing the peer: it speaks 100 ms after receive has started waiting.
    let speaker = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        let _ = peer.write_all(b"late");
        peer
    });
    let (outcome, buffer, waited) = watchdog::within_default(
        "receive to return the data that came after 100 ms",
        move || {
            let mut buffer = [0u8; 16];
            let outcome = receive(&ours, &mut buffer, timeout);
            (outcome, buffer, started.elapsed())
        },
    );
    match outcome {
        Ok(Received::Data(n)) => assert_same!(&buffer[..n], &b"late"[..], "the peer sent \"late\""),
        Ok(Received::Silent) if waited < timeout / 2 => panic!(
            "receive said Silent after {waited:?}, but its timeout was {timeout:?} and the peer \
             sent \"late\" after 100 ms; wait for data with a read timeout \
             (set_read_timeout), not in non-blocking mode, which gives up at once"
        ),
        Ok(Received::Silent) => panic!(
            "receive said Silent after {waited:?}, though the peer sent \"late\" after 100 ms: \
             4 bytes, for a buffer of 16. Return what one read brings as soon as it brings \
             something, instead of waiting for the buffer to fill up"
        ),
        other => panic!("the peer sent \"late\" after 100 ms, but receive said {other:?}"),
    }
    drop(speaker.join());
}

#[test]
fn receive_tells_a_clean_close_from_a_reset() {
    let (ours, peer) = connected_pair();
    peer::half_close(&peer);
    let closed = watchdog::within_default("receive to see the clean close", move || {
        receive(&ours, &mut [0u8; 64], Duration::from_secs(5))
    });
    assert_same!(
        closed.expect("a clean close is an answer, not an error"),
        Received::Closed,
        "the peer shut down its sending side, so read returned Ok(0): that is Closed"
    );

    let (ours, peer) = connected_pair();
    peer::reset(peer);
    let reset = watchdog::within_default("receive to see the reset", move || {
        receive(&ours, &mut [0u8; 64], Duration::from_secs(5))
    });
    match reset {
        Ok(Received::Reset) => {}
        Ok(other) => panic!("the peer reset the connection, but receive said {other:?}"),
        Err(error) => panic!(
            "receive returned the error \"{error}\"; a reset ({:?}) is one of the ways a \
             connection ends, so answer Received::Reset",
            error.kind()
        ),
    }
}

#[test]
fn receive_returns_other_failures_as_errors() {
    let outcome = watchdog::within_default(
        "receive to fail on a socket that was never connected",
        move || {
            let stream = TcpStream::from(never_connected());
            receive(&stream, &mut [0u8; 64], Duration::from_secs(5))
        },
    );
    match outcome {
        Err(error) => assert!(
            !net::is_timeout(&error) && !peer::is_reset(&error),
            "receive returned the error \"{error}\" ({:?}) for a socket that was never \
             connected, where the read itself fails with NotConnected",
            error.kind()
        ),
        Ok(Received::Reset) => panic!(
            "receive answered Reset for a socket that was never connected: its read fails with \
             NotConnected, which is no way for a connection to end. Answer Reset only for \
             ConnectionReset, ConnectionAborted and BrokenPipe, and return every other error \
             as it is"
        ),
        Ok(other) => panic!(
            "receive answered {other:?} for a socket that was never connected; its read fails \
             with NotConnected, an error that is neither a timeout nor a reset: return it"
        ),
    }
}

#[test]
fn receive_reports_a_silent_peer_as_silent_not_as_closed() {
    let (ours, peer) = connected_pair();
    let outcome = watchdog::within(
        Duration::from_secs(5),
        "receive to give up on a silent peer after 100 ms (did you set a read timeout?)",
        move || receive(&ours, &mut [0u8; 64], Duration::from_millis(100)),
    );
    match outcome {
        Ok(Received::Silent) => {}
        Ok(Received::Closed) => panic!(
            "receive said Closed, but the peer is still connected, only quiet; a timed-out \
             read fails with WouldBlock (Unix) or TimedOut (Windows), it never returns Ok(0)"
        ),
        Ok(other) => panic!("the peer sent nothing, but receive said {other:?}"),
        Err(error) => panic!(
            "receive returned the error \"{error}\" ({:?}); that is the read timeout \
             (WouldBlock on Unix, TimedOut on Windows), so answer Received::Silent",
            error.kind()
        ),
    }
    drop(peer);
}

#[test]
fn receive_still_works_after_a_silent_spell() {
    let (ours, mut peer) = connected_pair();
    let ours = Arc::new(ours);
    let first = {
        let ours = Arc::clone(&ours);
        watchdog::within_default("receive to time out", move || {
            receive(&ours, &mut [0u8; 16], Duration::from_millis(50))
        })
    };
    assert_same!(
        first.expect("a timeout is not an error"),
        Received::Silent,
        "the peer sent nothing for 50 ms"
    );
    peer.write_all(b"late").unwrap();
    let (second, buffer) = watchdog::within_default("receive to get the late data", move || {
        let mut buffer = [0u8; 16];
        (receive(&ours, &mut buffer, Duration::from_secs(5)), buffer)
    });
    match second.expect("the connection is still open") {
        Received::Data(n) => assert_same!(
            &buffer[..n],
            &b"late"[..],
            "the peer sent \"late\" after the silent spell"
        ),
        other => panic!(
            "after a timeout the connection is still usable, and the peer sent \"late\", but \
             receive said {other:?}"
        ),
    }
}

// --- read_exact_before ---

#[test]
fn read_exact_before_collects_bytes_spread_over_many_reads() {
    let (ours, mut peer) = connected_pair();
    let data = every_byte_value()[..300].to_vec();
    let sent = data.clone();
    peer::no_delay(&peer);
    let sender = thread::spawn(move || {
        peer::send_cut(&mut peer, &sent, Cut::Fixed(7), Duration::from_millis(1)).map(|()| peer)
    });
    let (outcome, buffer) =
        watchdog::within_default("read_exact_before to fill the buffer", move || {
            let mut buffer = vec![0u8; 300];
            let deadline = Instant::now() + watchdog::scaled(Duration::from_secs(8));
            (read_exact_before(&ours, &mut buffer, deadline), buffer)
        });
    if let Err(error) = outcome {
        panic!(
            "the peer sent 300 bytes in pieces of 7, well before the 8 s deadline, but \
             read_exact_before failed: {error} ({:?})",
            error.kind()
        );
    }
    assert!(buffer == data, "{}", describe_difference(&buffer, &data));
    match sender.join() {
        Ok(Ok(peer)) => drop(peer),
        Ok(Err(error)) => panic!("the test's peer could not send: {error}"),
        Err(payload) => panic!("{}", watchdog::panic_message(&*payload)),
    }
}

#[test]
fn read_exact_before_times_out_on_a_silent_peer() {
    let (ours, peer) = connected_pair();
    let outcome = watchdog::within(
        Duration::from_secs(5),
        "read_exact_before to give up at its 200 ms deadline",
        move || {
            read_exact_before(
                &ours,
                &mut [0u8; 10],
                Instant::now() + Duration::from_millis(200),
            )
        },
    );
    match outcome {
        Err(error) if error.kind() == io::ErrorKind::TimedOut => {}
        Err(error) if error.kind() == io::ErrorKind::InvalidInput => panic!(
            "read_exact_before failed with \"{error}\" (InvalidInput) instead of TimedOut: \
             set_read_timeout(Some(Duration::ZERO)) is an error, so when no time is left, \
             return TimedOut before setting the timeout"
        ),
        Err(error) => panic!(
            "read_exact_before failed with \"{error}\" ({:?}); a missed deadline is reported \
             as TimedOut on every platform, and a read timeout itself says WouldBlock on Unix, \
             so turn it into TimedOut",
            error.kind()
        ),
        Ok(()) => panic!("the peer sent nothing, yet read_exact_before returned Ok"),
    }
    drop(peer);
}

#[test]
fn read_exact_before_gives_up_on_a_peer_that_dribbles() {
    let (ours, mut peer) = connected_pair();
    peer::no_delay(&peer);
    // The peer sends 200 bytes, one every 20 ms: 4 s in all, and never 20 ms of silence.
    let dribbler = thread::spawn(move || {
        let _ = peer::send_cut(
            &mut peer,
            &[1u8; 200],
            Cut::BYTE_BY_BYTE,
            Duration::from_millis(20),
        );
    });
    let outcome =
        watchdog::within_default("read_exact_before to give up at its deadline", move || {
            read_exact_before(
                &ours,
                &mut [0u8; 200],
                Instant::now() + Duration::from_millis(300),
            )
        });
    match outcome {
        Err(error) if error.kind() == io::ErrorKind::TimedOut => {}
        Err(error) => panic!(
            "read_exact_before failed with \"{error}\" ({:?}) instead of TimedOut",
            error.kind()
        ),
        Ok(()) => panic!(
            "read_exact_before waited 4 s for bytes that had a 300 ms deadline; a timeout on \
             each read is not a deadline: set each read's timeout to the time left"
        ),
    }
    // The dribbler stops when it notices that the connection is gone.
    let _ = dribbler.join();
}

#[test]
fn read_exact_before_gives_up_at_the_deadline_not_a_whole_timeout_later() {
    let (ours, mut peer) = connected_pair();
    peer::no_delay(&peer);
    let budget = watchdog::scaled(Duration::from_secs(1));
    let started = Instant::now();
    let deadline = started + budget;
    // Pacing the peer: one byte at 0.9 s, then silence.
    let speaker = thread::spawn(move || {
        thread::sleep(budget * 9 / 10);
        let _ = peer.write_all(b"x");
        peer
    });
    let (outcome, took) =
        watchdog::within_default("read_exact_before to give up at its deadline", move || {
            let outcome = read_exact_before(&ours, &mut [0u8; 10], deadline);
            (outcome, started.elapsed())
        });
    match outcome {
        Err(error) if error.kind() == io::ErrorKind::TimedOut => assert!(
            took < budget * 16 / 10,
            "read_exact_before gave up after {took:?}, for a deadline {budget:?} away: one \
             byte came at 0.9 s, and the read after it still waited a whole {budget:?}. Before \
             every read, set the timeout to the time left until the deadline, not to the whole \
             budget"
        ),
        Err(error) => panic!(
            "read_exact_before failed with \"{error}\" ({:?}) instead of TimedOut",
            error.kind()
        ),
        Ok(()) => panic!("the peer sent 1 byte of 10, yet read_exact_before returned Ok"),
    }
    drop(speaker.join());
}

#[test]
fn read_exact_before_reports_an_early_close_as_unexpected_eof() {
    let (ours, mut peer) = connected_pair();
    peer.write_all(b"abc").unwrap();
    peer::half_close(&peer);
    let outcome = watchdog::within_default("read_exact_before to notice the close", move || {
        read_exact_before(
            &ours,
            &mut [0u8; 10],
            Instant::now() + Duration::from_secs(5),
        )
    });
    match outcome {
        Err(error) => assert_same!(
            error.kind(),
            io::ErrorKind::UnexpectedEof,
            "the peer closed after 3 of 10 bytes: that is UnexpectedEof, not \"{error}\""
        ),
        Ok(()) => panic!("only 3 of 10 bytes arrived, yet read_exact_before returned Ok"),
    }
}

#[test]
fn read_exact_before_returns_a_reset_as_it_is() {
    let (ours, peer) = connected_pair();
    peer::reset(peer);
    let outcome = watchdog::within_default("read_exact_before to notice the reset", move || {
        read_exact_before(
            &ours,
            &mut [0u8; 10],
            Instant::now() + watchdog::scaled(Duration::from_secs(5)),
        )
    });
    match outcome {
        Err(error) if peer::is_reset(&error) => {}
        Err(error) => panic!(
            "the peer reset the connection, but read_exact_before failed with \"{error}\" \
             ({:?}); only a timed-out or an Interrupted read goes round the loop again, any \
             other error (a reset, for one) is returned as it is",
            error.kind()
        ),
        Ok(()) => panic!("the peer reset the connection, yet read_exact_before returned Ok"),
    }
}

// --- accept_until_stopped ---

#[test]
fn accept_until_stopped_stops_when_asked_even_if_no_client_comes() {
    let listener = net::listener();
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || accept_until_stopped(&listener, &*stop, drop))
    };
    // Pacing, not waiting for anything: the stop comes while the loop is (most likely) inside
    // accept, as Ctrl-C would. The test is correct whichever comes first.
    thread::sleep(Duration::from_millis(50));
    stop.store(true, Ordering::Relaxed);
    match watchdog::join(
        server,
        Duration::from_secs(5),
        "accept_until_stopped to notice the stop flag (a blocking accept never returns when no \
         client comes)",
    ) {
        Ok(Ok(handled)) => assert_same!(handled, 0, "no client came, so none was handled"),
        Ok(Err(error)) => panic!(
            "accept_until_stopped returned the error \"{error}\" ({:?}); in non-blocking mode \
             WouldBlock only means that nobody is waiting yet",
            error.kind()
        ),
        Err(payload) => panic!(
            "accept_until_stopped panicked: {}",
            watchdog::panic_message(&*payload)
        ),
    }
}

/// A stop flag that says "stop" the `stop_at`-th time it is looked at, and counts the looks.
struct CountingFlag {
    looks: AtomicUsize,
    stop_at: usize,
}

impl StopFlag for CountingFlag {
    fn load(&self, _order: Ordering) -> bool {
        self.looks.fetch_add(1, Ordering::Relaxed) + 1 >= self.stop_at
    }
}

#[test]
fn accept_until_stopped_sleeps_while_no_client_comes() {
    const LOOKS: usize = 40;
    let listener = net::listener();
    let (outcome, took) = watchdog::within_default(
        "accept_until_stopped to stop at the 40th look at its flag (a blocking accept never \
         returns when no client comes)",
        move || {
            let flag = CountingFlag {
                looks: AtomicUsize::new(0),
                stop_at: LOOKS,
            };
            let started = Instant::now();
            let outcome = accept_until_stopped(&listener, &flag, drop);
            (outcome, started.elapsed())
        },
    );
    match outcome {
        Ok(handled) => assert_same!(handled, 0, "no client came, so none was handled"),
        Err(error) => panic!(
            "accept_until_stopped returned the error \"{error}\" ({:?}); in non-blocking mode \
             WouldBlock only means that nobody is waiting yet",
            error.kind()
        ),
    }
    // A loop that sleeps POLL_INTERVAL after each WouldBlock takes about 39 of them; the test
    // asks for a twentieth of that, so any loop that sleeps at all passes, however the machine
    // is loaded, and only a loop that never sleeps fails.
    let least = POLL_INTERVAL * (LOOKS as u32 - 1) / 20;
    assert!(
        took >= least,
        "accept_until_stopped looked at its stop flag {LOOKS} times in {took:?} while no client \
         came: it goes straight back to accept after WouldBlock, a busy loop that keeps a \
         processor core at 100 % for as long as the server is idle. Sleep POLL_INTERVAL after \
         each WouldBlock"
    );
}

#[test]
fn accept_until_stopped_does_not_spin_on_a_failing_accept() {
    const LOOKS: usize = 40;
    let (outcome, took) = watchdog::within_default(
        "accept_until_stopped to return the error, or to stop at the 40th look at its flag",
        move || {
            // Never listening: every accept fails at once, with InvalidInput, as an accept
            // fails again and again when the process runs out of file descriptors.
            let listener = TcpListener::from(never_connected());
            let flag = CountingFlag {
                looks: AtomicUsize::new(0),
                stop_at: LOOKS,
            };
            let started = Instant::now();
            let outcome = accept_until_stopped(&listener, &flag, drop);
            (outcome, started.elapsed())
        },
    );
    // Returning the error is one answer; sleeping before the next try is another. Going
    // straight back to an accept that fails is not.
    let least = POLL_INTERVAL * (LOOKS as u32 - 1) / 20;
    if let Ok(handled) = outcome {
        assert!(
            took >= least,
            "accept_until_stopped looked at its stop flag {LOOKS} times in {took:?} on a \
             listener whose every accept fails (it is not listening), and returned \
             Ok({handled}): it goes straight back to an accept that fails, a busy loop that \
             keeps a processor core at 100 %. Return an error other than WouldBlock and \
             Interrupted as it is (or at least sleep before the next try)"
        );
    }
}

#[test]
fn accept_until_stopped_hands_each_client_over_in_blocking_mode() {
    let listener = net::listener();
    let addr = net::addr_of(&listener);
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut served = 0;
            accept_until_stopped(&listener, &*stop, |stream| {
                let mut request = [0u8; 4];
                // A stream left in non-blocking mode fails here with WouldBlock, since the
                // client waits a little before it sends its request.
                let outcome = (&stream)
                    .read_exact(&mut request)
                    .and_then(|()| (&stream).write_all(&request));
                if let Err(error) = outcome {
                    panic!(
                        "the handler could not use its stream: {error} ({:?}); hand streams \
                         over in blocking mode (set_nonblocking(false))",
                        error.kind()
                    );
                }
                served += 1;
                if served == 3 {
                    stop.store(true, Ordering::Relaxed);
                }
            })
        })
    };
    // A client that gets no reply stops the clients; the server's own failure, if any, is
    // reported first, because it says why.
    let clients =
        watchdog::within_default("three clients to be served one after another", move || {
            for client in 0..3u8 {
                let mut stream = net::connect(addr);
                // Pacing the client: the request comes after the handler has started reading.
                thread::sleep(Duration::from_millis(50));
                let request = [b'c', client, b'?', b'\n'];
                let mut reply = [0u8; 4];
                let exchanged = stream
                    .write_all(&request)
                    .and_then(|()| stream.read_exact(&mut reply));
                if let Err(error) = exchanged {
                    return Err(format!(
                        "client {client} got no reply: {error}; is each client handed to handle as \
                     soon as it is accepted?"
                    ));
                }
                if reply != request {
                    return Err(format!(
                        "client {client} sent {request:?} and got {reply:?} back; the test's \
                     handler echoes what it reads, so the stream it was given is not the \
                     client's"
                    ));
                }
            }
            Ok(())
        });
    if clients.is_err() {
        // Lets a server that waits for a third client stop.
        stop.store(true, Ordering::Relaxed);
    }
    let served = watchdog::join(
        server,
        Duration::from_secs(5),
        "accept_until_stopped to stop",
    );
    match served {
        Err(payload) => panic!("{}", watchdog::panic_message(&*payload)),
        Ok(Err(error)) => panic!("accept_until_stopped failed: {error}"),
        Ok(Ok(handled)) => {
            if let Err(message) = clients {
                panic!("{message}");
            }
            assert_same!(handled, 3, "three clients were handled");
        }
    }
}

// --- echo_exchange ---

/// Keeps the socket buffers of a test's stream small (Linux would otherwise grow them to many
/// megabytes), so that a side that stops reading stops the other side's writes on every system.
fn small_buffers(stream: &TcpStream) -> io::Result<()> {
    let socket = socket2::SockRef::from(stream);
    socket.set_recv_buffer_size(64 * 1024)?;
    socket.set_send_buffer_size(64 * 1024)
}

/// A test's own echo server: echoes as it reads, `chunk` bytes at a time, then closes, with
/// small socket buffers, so a client that writes everything before reading gets stuck on every
/// system, as it would with a busy server.
fn echo_server(chunk: usize, cut: Cut) -> OneShot<io::Result<u64>> {
    OneShot::start(move |mut stream| {
        peer::no_delay(&stream);
        small_buffers(&stream)?;
        let mut buffer = vec![0u8; chunk];
        let mut echoed = 0;
        loop {
            let n = stream.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            peer::send_cut(&mut stream, &buffer[..n], cut, Duration::ZERO)?;
            echoed += n as u64;
        }
        stream.shutdown(Shutdown::Both)?;
        Ok(echoed)
    })
}

fn check_exchange(payload: Vec<u8>, server: OneShot<io::Result<u64>>, what: &str) {
    let addr = server.addr();
    let sent = payload.clone();
    let reply = watchdog::within_default(what, move || {
        let stream = net::connect(addr);
        echo_exchange(&stream, &sent)
    });
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) if net::is_timeout(&error) => panic!(
            "echo_exchange gave up waiting ({error}); the server stops reading while it cannot \
             send its echo, so read the echo while you are still writing"
        ),
        Err(error) => panic!("echo_exchange failed: {error}"),
    };
    assert!(
        reply == payload,
        "{}",
        describe_difference(&reply, &payload)
    );
    match server.finish() {
        Ok(echoed) => assert_same!(
            echoed,
            payload.len() as u64,
            "the test's echo server read the whole payload"
        ),
        Err(error) => panic!("the test's echo server failed: {error}"),
    }
}

#[test]
fn echo_exchange_moves_8_mib_through_an_echo_server_without_deadlock() {
    let payload = seed::Rng::new(4).bytes(8 << 20);
    check_exchange(
        payload,
        echo_server(4096, Cut::Whole),
        "echo_exchange to move 8 MiB (writing everything before reading deadlocks)",
    );
}

#[test]
fn echo_exchange_keeps_every_byte_value_from_a_byte_at_a_time_server() {
    check_exchange(
        every_byte_value(),
        echo_server(256, Cut::BYTE_BY_BYTE),
        "echo_exchange with a server that echoes one byte at a time",
    );
}

#[test]
fn echo_exchange_returns_everything_until_the_server_closes() {
    // The server echoes, and after the client's half-close adds a line of its own.
    let server = OneShot::start(|mut stream| {
        let mut buffer = [0u8; 4096];
        let mut echoed = 0;
        loop {
            let n = stream.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            stream.write_all(&buffer[..n])?;
            echoed += n;
        }
        stream.write_all(format!("that was {echoed} bytes\n").as_bytes())?;
        stream.shutdown(Shutdown::Both)?;
        io::Result::Ok(echoed)
    });
    let addr = server.addr();
    let payload = every_byte_value();
    let sent = payload.clone();
    let outcome = watchdog::within_default(
        "echo_exchange to return once the server closed",
        move || echo_exchange(&net::connect(addr), &sent),
    );
    let mut expected = payload.clone();
    expected.extend_from_slice(b"that was 1024 bytes\n");
    match outcome {
        Ok(reply) if reply == payload => panic!(
            "echo_exchange returned the 1024 bytes it sent, but the server sent 20 more before \
             it closed; read until the server closes (Ok(0)), not only as many bytes as you sent"
        ),
        Ok(reply) => assert!(
            reply == expected,
            "the server sent its echo and a line of its own, then closed: {}",
            describe_difference(&reply, &expected)
        ),
        Err(error) => panic!("echo_exchange failed: {error}"),
    }
    match server.finish() {
        Ok(echoed) => assert_same!(echoed, 1024, "the test's server read the whole payload"),
        Err(error) => panic!("the test's server failed: {error}"),
    }
}

#[test]
fn echo_exchange_returns_an_error_when_the_server_resets() {
    let server = OneShot::start(|stream| {
        let mut first = [0u8; 1024];
        let read = (&stream).read_exact(&mut first);
        peer::reset(stream);
        read
    });
    let addr = server.addr();
    let outcome = watchdog::within_default(
        "echo_exchange to return after the server reset the connection",
        move || {
            let stream = net::connect(addr);
            echo_exchange(&stream, &vec![9u8; 8 << 20]).map(|echo| echo.len())
        },
    );
    match outcome {
        Err(error) => assert!(
            peer::is_reset(&error),
            "the server reset the connection, so the error should say so, not \"{error}\" ({:?})",
            error.kind()
        ),
        Ok(length) => panic!(
            "the server reset the connection, yet echo_exchange returned {length} bytes as if \
             all went well"
        ),
    }
    server
        .finish()
        .expect("the test's server reads 1024 bytes first");
}

#[test]
fn echo_exchange_reports_a_failed_write_even_when_the_reply_ended_cleanly() {
    // The server reads 1 KiB of the 8 MiB, answers "ok", closes its sending side (the client's
    // read ends cleanly), and later resets the connection: most of the payload was never sent.
    let server = OneShot::start(|stream| {
        small_buffers(&stream)?;
        let mut first = [0u8; 1024];
        (&stream).read_exact(&mut first)?;
        (&stream).write_all(b"ok")?;
        stream.shutdown(Shutdown::Write)?;
        // Pacing: the client has read "ok" and the end of the stream well before the reset.
        thread::sleep(Duration::from_millis(200));
        peer::reset(stream);
        io::Result::Ok(())
    });
    let addr = server.addr();
    let outcome = watchdog::within_default(
        "echo_exchange to return after the server reset the connection",
        move || {
            let stream = net::connect(addr);
            small_buffers(&stream).expect("could not set the test's socket buffers");
            echo_exchange(&stream, &vec![5u8; 8 << 20])
        },
    );
    if let Ok(reply) = outcome {
        panic!(
            "the server stopped reading after 1 KiB of the 8 MiB and reset the connection, yet \
             echo_exchange returned Ok with {} bytes: the reply ended cleanly, but the write \
             failed. Return the writing thread's error too (join it and use its result)",
            reply.len()
        );
    }
    server
        .finish()
        .expect("the test's server reads 1024 bytes first");
}
