//! The tests of chapter 4. The same file grades your exercise and the reference solution.

use super::*;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;

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
        None => format!(
            "{} bytes arrived, {} more than were sent",
            got.len(),
            got.len() - expected.len()
        ),
    }
}

/// A connected pair: the student's end (no timeouts set) and the test's end, the peer.
fn connected_pair() -> (TcpStream, TcpStream) {
    let listener = net::listener();
    let ours = TcpStream::connect(net::addr_of(&listener)).expect("could not connect");
    let peer = net::accept(&listener);
    (ours, peer)
}

// --- read_to_end_limited ---

#[test]
fn read_to_end_limited_reads_every_piece_and_stops_at_ok_0() {
    let data = every_byte_value();
    for seed in seed::seeds(3) {
        seed::with_seed(seed, |rng| {
            let mut input = FaultyReader::new(&data[..])
                .cut(Cut::Random {
                    seed: rng.next_u64(),
                    max: 200,
                })
                .call_limit(data.len() + 3);
            let got = read_to_end_limited(&mut input, 1 << 20).expect("reading memory cannot fail");
            assert!(
                got == data,
                "{}; keep reading until read returns Ok(0)",
                describe_difference(&got, &data)
            );
            assert_eq!(
                input.calls_at_end(),
                1,
                "read returned Ok(0) {} times; Ok(0) is the end of the stream: stop at the \
                 first one",
                input.calls_at_end()
            );
        });
    }
}

#[test]
fn read_to_end_limited_tries_an_interrupted_read_again() {
    let data = every_byte_value();
    let mut input = FaultyReader::new(&data[..])
        .cut(Cut::Fixed(64))
        .interrupt_every(2)
        .call_limit(2 * data.len() + 4);
    match read_to_end_limited(&mut input, 1 << 20) {
        Ok(got) => assert!(got == data, "{}", describe_difference(&got, &data)),
        Err(error) if error.kind() == io::ErrorKind::Interrupted => panic!(
            "read_to_end_limited returned the Interrupted error; an interrupted read did \
             nothing (a signal arrived), so call read again"
        ),
        Err(error) => panic!("read_to_end_limited failed: {error}"),
    }
}

#[test]
fn read_to_end_limited_returns_a_reset_as_an_error_not_as_the_end() {
    let data = every_byte_value();
    let mut input = FaultyReader::new(&data[..])
        .cut(Cut::Fixed(100))
        .fail_after(300, io::ErrorKind::ConnectionReset)
        .call_limit(20);
    match read_to_end_limited(&mut input, 1 << 20) {
        Err(error) => assert_eq!(
            error.kind(),
            io::ErrorKind::ConnectionReset,
            "return the reader's own error"
        ),
        Ok(got) => panic!(
            "read_to_end_limited returned {} bytes as if the peer had finished, but the \
             connection was reset; only Ok(0) is a clean end, an error is not",
            got.len()
        ),
    }
}

#[test]
fn read_to_end_limited_refuses_more_than_the_limit() {
    let exactly = vec![7u8; 1000];
    let mut input = FaultyReader::new(&exactly[..]).call_limit(10);
    let got = read_to_end_limited(&mut input, 1000).expect("1000 bytes fit a limit of 1000");
    assert_eq!(got.len(), 1000);

    let outcome = watchdog::within_default("read_to_end_limited to refuse an endless peer", || {
        // A peer that never stops sending: without the limit this would fill memory.
        read_to_end_limited(&mut io::repeat(7), 10_000).map(|got| got.len())
    });
    match outcome {
        Err(error) => assert_eq!(
            error.kind(),
            io::ErrorKind::InvalidData,
            "too much data is an InvalidData error"
        ),
        Ok(length) => panic!("read_to_end_limited returned {length} bytes from an endless peer"),
    }
}

// --- receive ---

#[test]
fn receive_returns_the_bytes_that_arrived() {
    let (ours, mut peer) = connected_pair();
    peer.write_all(b"hello").unwrap();
    let (outcome, buffer) = watchdog::within_default("receive to return the data", move || {
        let mut buffer = [0u8; 64];
        let outcome = receive(&ours, &mut buffer, Duration::from_secs(5));
        (outcome, buffer)
    });
    match outcome.expect("receive should not fail") {
        Received::Data(n) => assert_eq!(
            &buffer[..n],
            b"hello",
            "the bytes read go first in the buffer"
        ),
        other => panic!("the peer sent hello, but receive said {other:?}"),
    }
}

#[test]
fn receive_tells_a_clean_close_from_a_reset() {
    let (ours, peer) = connected_pair();
    peer::half_close(&peer);
    let closed = watchdog::within_default("receive to see the clean close", move || {
        receive(&ours, &mut [0u8; 64], Duration::from_secs(5))
    });
    assert_eq!(
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
    assert_eq!(first.expect("a timeout is not an error"), Received::Silent);
    peer.write_all(b"late").unwrap();
    let (second, buffer) = watchdog::within_default("receive to get the late data", move || {
        let mut buffer = [0u8; 16];
        (receive(&ours, &mut buffer, Duration::from_secs(5)), buffer)
    });
    match second.expect("the connection is still open") {
        Received::Data(n) => assert_eq!(&buffer[..n], b"late"),
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
        peer::send_cut(&mut peer, &sent, Cut::Fixed(7), Duration::from_millis(1))
    });
    let (outcome, buffer) =
        watchdog::within_default("read_exact_before to fill the buffer", move || {
            let mut buffer = vec![0u8; 300];
            let deadline = Instant::now() + watchdog::scaled(Duration::from_secs(8));
            (read_exact_before(&ours, &mut buffer, deadline), buffer)
        });
    outcome.expect("every byte arrived well before the deadline");
    assert!(buffer == data, "{}", describe_difference(&buffer, &data));
    sender.join().unwrap().unwrap();
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
        Err(error) => assert_eq!(
            error.kind(),
            io::ErrorKind::TimedOut,
            "a missed deadline is reported as TimedOut on every platform; a read timeout \
             itself says WouldBlock on Unix, so turn it into TimedOut"
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
        Err(error) => panic!("read_exact_before failed with {error} instead of TimedOut"),
        Ok(()) => panic!(
            "read_exact_before waited 4 s for bytes that had a 300 ms deadline; a timeout on \
             each read is not a deadline: set each read's timeout to the time left"
        ),
    }
    // The dribbler stops when it notices that the connection is gone.
    let _ = dribbler.join();
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
        Err(error) => assert_eq!(
            error.kind(),
            io::ErrorKind::UnexpectedEof,
            "the peer closed after 3 of 10 bytes: that is UnexpectedEof, not \"{error}\""
        ),
        Ok(()) => panic!("only 3 of 10 bytes arrived, yet read_exact_before returned Ok"),
    }
}

// --- accept_until_stopped ---

#[test]
fn accept_until_stopped_stops_when_asked_even_if_no_client_comes() {
    let listener = net::listener();
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || accept_until_stopped(&listener, &stop, drop))
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
        Ok(Ok(handled)) => assert_eq!(handled, 0, "no client came, so none was handled"),
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

#[test]
fn accept_until_stopped_hands_each_client_over_in_blocking_mode() {
    let listener = net::listener();
    let addr = net::addr_of(&listener);
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut served = 0;
            accept_until_stopped(&listener, &stop, |stream| {
                let mut request = [0u8; 4];
                // A stream left in non-blocking mode fails here with WouldBlock.
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
    watchdog::within_default("three clients to be served one after another", move || {
        for client in 0..3u8 {
            let mut stream = net::connect(addr);
            let request = [b'c', client, b'?', b'\n'];
            stream.write_all(&request).unwrap();
            let mut reply = [0u8; 4];
            stream
                .read_exact(&mut reply)
                .unwrap_or_else(|error| panic!("client {client} got no reply: {error}"));
            assert_eq!(reply, request);
        }
    });
    match watchdog::join(
        server,
        Duration::from_secs(5),
        "accept_until_stopped to stop",
    ) {
        Ok(Ok(handled)) => assert_eq!(handled, 3, "three clients were handled"),
        Ok(Err(error)) => panic!("accept_until_stopped failed: {error}"),
        Err(payload) => panic!("{}", watchdog::panic_message(&*payload)),
    }
}

// --- echo_exchange ---

/// A test's own echo server: echoes as it reads, `chunk` bytes at a time, then closes.
///
/// Its socket buffers are kept small (Linux would otherwise grow them to many megabytes), so a
/// client that writes everything before reading gets stuck on every system, as it would with a
/// busy server.
fn echo_server(chunk: usize, cut: Cut) -> OneShot<io::Result<u64>> {
    OneShot::start(move |mut stream| {
        peer::no_delay(&stream);
        let socket = socket2::SockRef::from(&stream);
        socket.set_recv_buffer_size(64 * 1024)?;
        socket.set_send_buffer_size(64 * 1024)?;
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
        Ok(echoed) => assert_eq!(echoed, payload.len() as u64),
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
