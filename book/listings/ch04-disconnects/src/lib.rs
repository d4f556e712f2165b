//! The code that the book's chapter "Disconnects and blocking" shows, included by anchor and
//! compiled here: how a connection ends, what blocks, a deadline, a stop flag, and the 8 MiB
//! deadlock.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Instant;

// ANCHOR: what_happened
/// How a connection's reading side ended.
#[derive(Debug)]
pub enum Ending {
    /// The peer shut down its sending side, or closed: every byte it
    /// sent has arrived.
    Clean,
    /// The connection broke: bytes the peer sent may be lost.
    Abrupt(io::ErrorKind),
}

/// Reads until the peer stops, handing each piece to `piece`, and says
/// how the stream ended.
pub fn read_until_the_end(
    stream: &TcpStream,
    mut piece: impl FnMut(&[u8]),
) -> io::Result<Ending> {
    let mut buffer = [0u8; 512];
    loop {
        match (&*stream).read(&mut buffer) {
            // The lecture's `len(data) == 0`.
            Ok(0) => return Ok(Ending::Clean),
            Ok(n) => piece(&buffer[..n]),
            // A signal came before any byte did: nothing happened.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if is_abrupt(&e) => return Ok(Ending::Abrupt(e.kind())),
            // Anything else: let the caller decide.
            Err(e) => return Err(e),
        }
    }
}

/// The errors of a connection that ended abruptly.
pub fn is_abrupt(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}
// ANCHOR_END: what_happened

// ANCHOR: is_timeout
/// A read or write timeout: `WouldBlock` on Unix, `TimedOut` on Windows.
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
// ANCHOR_END: is_timeout

// ANCHOR: read_before
/// One read that waits at most until `deadline`: what `read` returned,
/// or an error of kind `TimedOut` (on every system) at the deadline.
pub fn read_before(
    stream: &TcpStream,
    buffer: &mut [u8],
    deadline: Instant,
) -> io::Result<usize> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        // No time left; and set_read_timeout refuses a zero Duration.
        return Err(io::ErrorKind::TimedOut.into());
    }
    stream.set_read_timeout(Some(left))?;
    match (&*stream).read(buffer) {
        Err(e) if is_timeout(&e) => Err(io::ErrorKind::TimedOut.into()),
        other => other,
    }
}
// ANCHOR_END: read_before

// ANCHOR: stop_flag
/// Calls `step` again and again until another thread sets `stop`, and
/// says how many steps it took. Both threads hold a `&AtomicBool`.
pub fn run_until_stopped(stop: &AtomicBool, mut step: impl FnMut()) -> u64 {
    let mut steps = 0;
    while !stop.load(Ordering::Relaxed) {
        step();
        steps += 1;
    }
    steps
}
// ANCHOR_END: stop_flag

/// A one-client echo server on a thread: echoes until the client half-closes, then closes.
///
/// Its socket buffers are fixed at 64 KiB. Linux would otherwise grow them to many megabytes, and
/// how much data fits in flight, and so when the deadlock below starts, would vary from machine
/// to machine.
pub fn start_echo_server()
-> io::Result<(std::net::SocketAddr, thread::JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            let socket = socket2::SockRef::from(&stream);
            // Whatever goes wrong ends this one connection only.
            let _ = socket.set_recv_buffer_size(64 * 1024);
            let _ = socket.set_send_buffer_size(64 * 1024);
            let _ = io::copy(&mut &stream, &mut &stream);
        }
    });
    Ok((addr, server))
}

// ANCHOR: write_then_read
/// Sends everything, then reads the echo. Fine for a little data;
/// deadlocks with a lot.
pub fn write_then_read(
    stream: &TcpStream,
    payload: &[u8],
) -> io::Result<Vec<u8>> {
    (&*stream).write_all(payload)?;
    stream.shutdown(Shutdown::Write)?;
    let mut echo = Vec::new();
    (&*stream).read_to_end(&mut echo)?;
    Ok(echo)
}
// ANCHOR_END: write_then_read

// ANCHOR: write_while_reading
/// Sends on one thread while reading on this one, so neither side
/// ever waits for the other.
pub fn write_while_reading(
    stream: &TcpStream,
    payload: &[u8],
) -> io::Result<Vec<u8>> {
    thread::scope(|scope| {
        let writer = scope.spawn(|| {
            (&*stream).write_all(payload)?;
            stream.shutdown(Shutdown::Write)
        });
        let mut echo = Vec::new();
        let read = (&*stream).read_to_end(&mut echo);
        let written = writer.join().expect("the writer panicked");
        read?;
        written?;
        Ok(echo)
    })
}
// ANCHOR_END: write_while_reading

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::mpsc;
    use std::time::Duration;
    use testkit::{net, peer, watchdog};

    #[test]
    fn a_close_is_clean_and_a_reset_is_abrupt() {
        let listener = net::listener();
        let ours = net::connect(net::addr_of(&listener));
        let theirs = net::accept(&listener);
        drop(theirs);
        let ending = watchdog::within_default("the clean end", move || {
            read_until_the_end(&ours, |_| {}).unwrap()
        });
        assert!(matches!(ending, Ending::Clean), "{ending:?}");

        let ours = net::connect(net::addr_of(&listener));
        peer::reset(net::accept(&listener));
        let ending = watchdog::within_default("the abrupt end", move || {
            read_until_the_end(&ours, |_| {}).unwrap()
        });
        assert!(matches!(ending, Ending::Abrupt(_)), "{ending:?}");
    }

    #[test]
    fn read_before_returns_data_that_arrives_in_time() {
        let (mut theirs, ours) = net::pair();
        theirs.write_all(b"hello").unwrap();
        let got = watchdog::within_default(
            "read_before to return the data",
            move || {
                let mut buffer = [0; 16];
                let deadline = Instant::now() + Duration::from_secs(5);
                let n = read_before(&ours, &mut buffer, deadline).unwrap();
                buffer[..n].to_vec()
            },
        );
        assert!(!got.is_empty() && b"hello".starts_with(&got), "{got:?}");
    }

    #[test]
    fn read_before_gives_up_at_the_deadline_with_timed_out() {
        let (_silent, ours) = net::pair();
        let (error, took) =
            watchdog::within_default("read_before to give up", move || {
                let started = Instant::now();
                let deadline = started + Duration::from_millis(100);
                let error =
                    read_before(&ours, &mut [0; 16], deadline).unwrap_err();
                (error, started.elapsed())
            });
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(took >= Duration::from_millis(90), "gave up after {took:?}");
        // A deadline already passed: TimedOut at once, not an InvalidInput from a zero timeout.
        let (_silent, ours) = net::pair();
        let error =
            read_before(&ours, &mut [0; 16], Instant::now()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }

    #[test]
    fn a_zero_read_timeout_is_refused() {
        let (_theirs, ours) = net::pair();
        let error = ours.set_read_timeout(Some(Duration::ZERO)).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn run_until_stopped_stops_when_another_thread_sets_the_flag() {
        let stop = AtomicBool::new(false);
        let (stepped, steps_seen) = mpsc::channel();
        let steps =
            watchdog::within_default("the worker to see the flag", move || {
                thread::scope(|scope| {
                    let worker = scope.spawn(|| {
                        run_until_stopped(&stop, || {
                            let _ = stepped.send(());
                            thread::yield_now();
                        })
                    });
                    // Set the flag once the worker has taken three steps.
                    for _ in 0..3 {
                        steps_seen.recv().unwrap();
                    }
                    stop.store(true, Ordering::Relaxed);
                    worker.join().unwrap()
                })
            });
        assert!(steps >= 3, "{steps} steps");
        // A flag set before the start: no step at all.
        assert_eq!(run_until_stopped(&AtomicBool::new(true), || {}), 0);
    }

    #[test]
    fn writing_while_reading_moves_8_mib_through_the_echo_server() {
        let payload: Vec<u8> =
            (0..8 << 20).map(|i: usize| (i % 251) as u8).collect();
        let (addr, _server) = start_echo_server().unwrap();
        let sent = payload.clone();
        let echo = watchdog::within_default("8 MiB to come back", move || {
            write_while_reading(&net::connect(addr), &sent).unwrap()
        });
        assert!(echo == payload, "the echo differs from the payload");
    }
}
