//! The tests of "Sockets". The same file grades your exercise and the reference solution.
//!
//! What these tests cannot check, and why:
//!
//! - that `listen` makes its calls with `socket2`, one by one: `TcpListener::bind` makes the same
//!   calls, and a listener made either way behaves the same; the tests check the behaviour (a
//!   free port, IPv6, a second listener refused, a restart that binds the port again);
//! - the backlog given to `listen`: nothing a test can do tells 128 from another number;
//! - `echo_client` sending with `write_all` rather than one `write`: on a blocking socket one
//!   `write` of a few kilobytes sends them all; `send_all`'s tests catch the mistake with a
//!   writer that takes a few bytes at a time.
//!
//! `Interrupted` is the subject of "Disconnects and blocking": no test here injects it.

use super::*;

use std::cell::RefCell;
use std::io::Read;
use std::net::{Ipv4Addr, Shutdown, TcpStream};
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use testkit::assert_same;
use testkit::faulty::{FaultyReader, FaultyWriter};
use testkit::net;
use testkit::peer::{self, Cut};
use testkit::seed;
use testkit::watchdog;

/// Every byte value, several times over, in an order that is not sorted.
fn every_byte_value() -> Vec<u8> {
    (0..4u32)
        .flat_map(|round| (0..=255u8).map(move |b| b.wrapping_mul(7).wrapping_add(round as u8)))
        .collect()
}

/// Says which byte first differs, so a student sees where an echo went wrong.
fn describe_difference(got: &[u8], expected: &[u8]) -> String {
    match got.iter().zip(expected).position(|(a, b)| a != b) {
        Some(at) => format!("byte {at} is {} but should be {}", got[at], expected[at]),
        None if got.len() < expected.len() => {
            format!("only {} of {} bytes came back", got.len(), expected.len())
        }
        None => format!(
            "{} bytes came back, {} more than were sent",
            got.len(),
            got.len() - expected.len()
        ),
    }
}

/// How many times a reader lets itself be called after it returned `Ok(0)` before it fails the
/// test: a correct loop stops at the first `Ok(0)`, and a loop that does not never ends.
const CALLS_AFTER_THE_END: usize = 100;

/// Wraps a reader: remembers the largest buffer a `read` was given, and fails the test when
/// `read` is called again and again after it returned `Ok(0)`.
struct Watched<R> {
    inner: R,
    /// Which function is reading, for the messages.
    reader: &'static str,
    largest: usize,
    ended: bool,
    calls_after_end: usize,
}

impl<R: Read> Watched<R> {
    fn new(inner: R, reader: &'static str) -> Self {
        Watched {
            inner,
            reader,
            largest: 0,
            ended: false,
            calls_after_end: 0,
        }
    }
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.largest = self.largest.max(buf.len());
        if self.ended {
            self.calls_after_end += 1;
            assert!(
                self.calls_after_end <= CALLS_AFTER_THE_END,
                "{} called read {} more times after it returned Ok(0); Ok(0) means the stream \
                 has ended, and every later read returns Ok(0) again: stop at the first one",
                self.reader,
                self.calls_after_end
            );
        }
        let read = self.inner.read(buf)?;
        if read == 0 && !buf.is_empty() {
            self.ended = true;
        }
        Ok(read)
    }
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// Listens with the student's `listen`, failing the test with a readable message on error.
fn listen_or_fail(addr: SocketAddr) -> TcpListener {
    listen(addr).unwrap_or_else(|error| panic!("listen({addr}) failed: {error}"))
}

#[test]
fn listen_on_port_0_gets_a_free_port_that_accepts_connections() {
    let listener = listen_or_fail(local(0));
    let addr = net::addr_of(&listener);
    assert!(
        addr.port() != 0,
        "after binding port 0, local_addr() should show the port the system chose"
    );
    watchdog::within_default("a client to connect to the new listener", move || {
        let _client = net::connect(addr);
        let (_server_side, _) = listener
            .accept()
            .expect("the listener should accept the connection");
    });
}

#[test]
fn listen_works_with_an_ipv6_address() {
    let Some(probe) = net::listener_v6() else {
        eprintln!("this machine has no IPv6 loopback; nothing to test");
        // Still exercise the student's code, so the stub does not pass by doing nothing.
        listen_or_fail(local(0));
        return;
    };
    drop(probe);
    let listener = listen_or_fail("[::1]:0".parse().unwrap());
    let addr = net::addr_of(&listener);
    assert!(
        addr.is_ipv6(),
        "listen([::1]:0) gave a listener on {addr}; create the socket with \
         Domain::for_address(addr) so an IPv6 address gets an IPv6 socket"
    );
    watchdog::within_default("a client to connect over IPv6", move || {
        let _client = net::connect(addr);
        listener.accept().expect("the IPv6 listener should accept");
    });
}

#[test]
fn listen_refuses_a_port_that_another_listener_holds() {
    let first = listen_or_fail(local(0));
    let addr = net::addr_of(&first);
    match listen(addr) {
        Err(error) if error.kind() == io::ErrorKind::AddrInUse => {}
        Err(error) => panic!(
            "a second listen({addr}), while the first listener still holds the port, failed with \
             \"{error}\" ({:?}); the system says AddrInUse here, and listen should pass that on \
             as it is",
            error.kind()
        ),
        Ok(second) => panic!(
            "a second listen({addr}) succeeded while the first listener still holds the port (it \
             listens on {}), so two servers would share it. SO_REUSEADDR must not allow that: on \
             Windows it does, so set it only on Unix (if cfg!(unix)), and do not set \
             SO_REUSEPORT",
            net::addr_of(&second)
        ),
    }
    drop(first);
}

#[test]
fn listen_can_take_the_same_port_again_right_after_a_server_closed_a_connection() {
    let listener = listen_or_fail(local(0));
    let addr = net::addr_of(&listener);
    let mut client = net::connect(addr);
    let (server_side, _) = listener.accept().expect("the listener should accept");
    // The server closes first, so its end of the connection waits out TIME_WAIT on this port.
    drop(server_side);
    let mut rest = Vec::new();
    client
        .read_to_end(&mut rest)
        .expect("the client should see the server's close as Ok(0)");
    drop(client);
    drop(listener);
    // A server restarted at once binds the same port again.
    if let Err(error) = listen(addr) {
        panic!(
            "listen({addr}) failed with \"{error}\" just after the previous server on that port \
             stopped; that is what SO_REUSEADDR is for: set it before bind on Unix (on \
             Windows the option means something else, and TIME_WAIT does not block a bind)"
        );
    }
}

#[test]
fn send_all_sends_every_byte_even_when_each_write_takes_only_a_few() {
    let data = every_byte_value();
    for cut in [Cut::Fixed(3), Cut::BYTE_BY_BYTE] {
        let mut output = FaultyWriter::new(Vec::new()).cut(cut);
        send_all(&mut output, &data).expect("writing into memory cannot fail");
        let sent = output.get_ref();
        assert!(
            sent == &data,
            "with a writer that takes {cut:?} per call, {}; one write may accept only part of \
             the buffer and returns how much it took, so write is not sendall",
            describe_difference(sent, &data)
        );
    }
}

#[test]
fn send_all_reports_a_writer_that_fails() {
    let data = every_byte_value();
    let mut output = FaultyWriter::new(Vec::new())
        .cut(Cut::Fixed(100))
        .fail_after(300, io::ErrorKind::BrokenPipe);
    match send_all(&mut output, &data) {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {}
        Err(error) => panic!(
            "the writer failed with BrokenPipe after 300 bytes, but send_all returned another \
             error: {error} ({:?}); pass the writer's error on as it is",
            error.kind()
        ),
        Ok(()) => panic!(
            "the writer failed with BrokenPipe after 300 of {} bytes, but send_all returned \
             Ok(()): the caller believes everything was sent. Return the error (with ?)",
            data.len()
        ),
    }
}

#[test]
fn receive_all_reads_until_the_end_of_the_stream() {
    let data = every_byte_value();
    seed::with_seed(1, |rng| {
        let cut = Cut::Random {
            seed: rng.next_u64(),
            max: 700,
        };
        let mut input = Watched::new(
            FaultyReader::new(io::Cursor::new(data.clone())).cut(cut),
            "receive_all",
        );
        let received =
            watchdog::within_default("receive_all to return", move || receive_all(&mut input))
                .expect("reading from memory cannot fail");
        assert!(
            received == data,
            "reading a stream that arrives in pieces of 1 to 700 bytes: {}; one read returns \
             only what has arrived so far, so keep reading until read returns Ok(0)",
            describe_difference(&received, &data)
        );
    });
}

#[test]
fn receive_all_gets_every_byte_from_a_peer_that_sends_one_at_a_time() {
    let data = b"one byte at a time".to_vec();
    let mut input = Watched::new(
        FaultyReader::new(io::Cursor::new(data.clone())).cut(Cut::BYTE_BY_BYTE),
        "receive_all",
    );
    let received =
        watchdog::within_default("receive_all to return", move || receive_all(&mut input))
            .expect("reading from memory cannot fail");
    assert!(
        received == data,
        "{}; a read of 512 bytes may return a single byte",
        describe_difference(&received, &data)
    );
}

#[test]
fn receive_all_asks_each_read_for_at_most_512_bytes() {
    let data = seed::Rng::new(2).bytes(64 * 1024);
    let (received, largest) = watchdog::within_default("receive_all to return", move || {
        let mut input = Watched::new(&data[..], "receive_all");
        let received = receive_all(&mut input);
        (received.map(|r| r.len()), input.largest)
    });
    let received = received.expect("reading from memory cannot fail");
    assert!(
        largest <= 512,
        "receive_all gave one read a buffer of {largest} bytes; like the lecture's recv(512), \
         each read asks for at most 512 bytes (a [0u8; 512] buffer), and the loop collects them"
    );
    assert_same!(
        received,
        64 * 1024,
        "receive_all returned {received} of the 65536 bytes in the stream"
    );
}

#[test]
fn receive_all_reports_a_failed_read_instead_of_ending() {
    let data = every_byte_value();
    let outcome = watchdog::within_default("receive_all to return", move || {
        let mut input = FaultyReader::new(&data[..])
            .cut(Cut::Fixed(100))
            .fail_after(300, io::ErrorKind::ConnectionReset);
        receive_all(&mut input)
    });
    match outcome {
        Err(error) if error.kind() == io::ErrorKind::ConnectionReset => {}
        Err(error) => panic!(
            "a read failed with ConnectionReset, but receive_all returned another error: {error} \
             ({:?}); pass the read's error on as it is",
            error.kind()
        ),
        Ok(received) => panic!(
            "a read failed with ConnectionReset after 300 bytes, but receive_all returned \
             Ok({} bytes) as if the stream had ended; only Ok(0) is the end of the stream, an \
             error goes back to the caller (with ?)",
            received.len()
        ),
    }
}

#[test]
fn echo_sends_back_every_byte_value_unchanged() {
    let data = every_byte_value();
    for seed in seed::seeds(4) {
        seed::with_seed(seed, |rng| {
            let mut input = Watched::new(
                FaultyReader::new(&data[..]).cut(Cut::Random {
                    seed: rng.next_u64(),
                    max: 300,
                }),
                "echo",
            );
            let mut output = FaultyWriter::new(Vec::new()).cut(Cut::Random {
                seed: rng.next_u64(),
                max: 100,
            });
            let echoed = echo(&mut input, &mut output).expect("echoing in memory cannot fail");
            let got = output.get_ref();
            assert!(
                got == &data,
                "echo through short reads and short writes: {}; write back exactly the bytes \
                 each read returned (&buffer[..n]), with write_all",
                describe_difference(got, &data)
            );
            assert_same!(
                echoed,
                data.len() as u64,
                "echo should return how many bytes it echoed: the sum of what the reads returned"
            );
        });
    }
}

#[test]
fn echo_stops_when_the_input_ends() {
    let input = Watched::new(&b"bye"[..], "echo");
    let (echoed, output) =
        watchdog::within_default("echo to return at the end of the input", move || {
            let mut input = input;
            let mut output = Vec::new();
            let echoed = echo(&mut input, &mut output);
            (echoed, output)
        });
    assert_same!(
        echoed.expect("echo should return Ok at the end of the input"),
        3,
        "the input was \"bye\": echo should return 3, the number of bytes it echoed"
    );
    assert!(
        output == b"bye",
        "the input was \"bye\", and echo wrote \"{}\"",
        output.escape_ascii()
    );
}

/// The writing end of [`echo_writes_back_each_piece_before_reading_the_next`]: everything
/// written lands in a buffer that the reader can see.
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A client that waits for each echo: before each read after the first, it checks that every
/// byte it handed out has been written back already.
struct WaitsForTheEcho {
    pieces: Vec<Vec<u8>>,
    handed: usize,
    next: usize,
    echoed: Rc<RefCell<Vec<u8>>>,
}

impl Read for WaitsForTheEcho {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let echoed = self.echoed.borrow().len();
        assert!(
            echoed >= self.handed,
            "echo read again after it had read {} bytes but written back only {echoed}; write \
             back what each read returned before reading again (and do not buffer the output), \
             because a client may wait for that echo before it sends more",
            self.handed
        );
        let Some(piece) = self.pieces.get(self.next) else {
            return Ok(0);
        };
        let len = piece.len().min(buf.len());
        buf[..len].copy_from_slice(&piece[..len]);
        if len == piece.len() {
            self.next += 1;
        } else {
            self.pieces[self.next].drain(..len);
        }
        self.handed += len;
        Ok(len)
    }
}

#[test]
fn echo_writes_back_each_piece_before_reading_the_next() {
    let (echoed, count) = watchdog::within_default("echo to return", || {
        let written = Rc::new(RefCell::new(Vec::new()));
        let mut input = Watched::new(
            WaitsForTheEcho {
                pieces: vec![b"ping\n".to_vec(), b"p".to_vec(), b"ong\n".to_vec()],
                handed: 0,
                next: 0,
                echoed: Rc::clone(&written),
            },
            "echo",
        );
        let count = echo(&mut input, &mut Shared(Rc::clone(&written)));
        let echoed = written.borrow().clone();
        (echoed, count.map_err(|error| error.to_string()))
    });
    assert!(
        echoed == b"ping\npong\n",
        "echo wrote \"{}\" for the input \"ping\\npong\\n\"",
        echoed.escape_ascii()
    );
    assert_same!(
        count,
        Ok(10),
        "echo should return Ok with the number of bytes it echoed"
    );
}

#[test]
fn echo_reports_a_failing_input_or_output() {
    let data = every_byte_value();
    let sent = data.clone();
    let outcome = watchdog::within_default("echo to return", move || {
        let mut input = FaultyReader::new(&sent[..])
            .cut(Cut::Fixed(100))
            .fail_after(300, io::ErrorKind::ConnectionReset);
        echo(&mut input, &mut Vec::new())
    });
    match outcome {
        Err(error) if error.kind() == io::ErrorKind::ConnectionReset => {}
        Err(error) => panic!(
            "a read failed with ConnectionReset, but echo returned another error: {error} \
             ({:?}); pass the read's error on as it is",
            error.kind()
        ),
        Ok(echoed) => panic!(
            "a read failed with ConnectionReset after 300 bytes, but echo returned Ok({echoed}) \
             as if the input had ended; only Ok(0) is the end of the input, an error goes back \
             to the caller (with ?)"
        ),
    }
    let outcome = watchdog::within_default("echo to return", move || {
        let mut output = FaultyWriter::new(Vec::new())
            .cut(Cut::Fixed(100))
            .fail_after(300, io::ErrorKind::BrokenPipe);
        echo(&mut &data[..], &mut output)
    });
    match outcome {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {}
        Err(error) => panic!(
            "a write failed with BrokenPipe, but echo returned another error: {error} ({:?}); \
             pass the write's error on as it is",
            error.kind()
        ),
        Ok(echoed) => panic!(
            "a write failed with BrokenPipe after 300 bytes, but echo returned Ok({echoed}): the \
             echo never arrived, so say so by returning the error (with ?)"
        ),
    }
}

/// The student's `serve_one`, on a thread of its own with a listener of its own, for the whole
/// test. `finish` waits for it and says what it returned. Dropped without `finish` (the test
/// failed), it connects once, so a `serve_one` still waiting in `accept` returns, and waits a
/// while for the thread to end, so that no test leaves a server behind.
struct StudentServer {
    addr: SocketAddr,
    handle: Option<thread::JoinHandle<io::Result<u64>>>,
    /// Disconnected once the thread has ended, whether `serve_one` returned or panicked.
    ended: mpsc::Receiver<()>,
}

impl StudentServer {
    /// Runs `serve_one` on a listener of the test's own, on `127.0.0.1:0`.
    fn start() -> Self {
        Self::on(net::listener())
    }

    /// Runs `serve_one` on `listener`.
    fn on(listener: TcpListener) -> Self {
        let addr = net::addr_of(&listener);
        let (alive, ended) = mpsc::channel::<()>();
        let handle = thread::spawn(move || {
            let _alive = alive;
            serve_one(&listener)
        });
        StudentServer {
            addr,
            handle: Some(handle),
            ended,
        }
    }

    /// Connects a client with the test's timeouts; fails the test, naming the server's own
    /// failure when there is one, when that is impossible.
    fn connect(&mut self) -> TcpStream {
        match TcpStream::connect_timeout(&self.addr, watchdog::scaled(net::IO_TIMEOUT)) {
            Ok(stream) => {
                net::set_timeouts(&stream);
                peer::no_delay(&stream);
                stream
            }
            Err(error) => self.fail(format!(
                "the test could not connect to serve_one's listener at {}: {error}",
                self.addr
            )),
        }
    }

    /// Fails the test with `problem`, seen by the client, unless `serve_one` itself has
    /// panicked or returned an error: that is the real cause, so it is named instead.
    fn fail(&mut self, problem: String) -> ! {
        if self.ended.recv_timeout(Duration::from_secs(1)) != Err(mpsc::RecvTimeoutError::Timeout)
            && let Some(handle) = self.handle.take()
        {
            match handle.join() {
                Err(payload) => {
                    panic!("serve_one panicked: {}", watchdog::panic_message(&*payload))
                }
                Ok(Err(error)) => panic!(
                    "serve_one returned an error: {error} ({:?}); meanwhile {problem}",
                    error.kind()
                ),
                Ok(Ok(_)) => {}
            }
        }
        panic!("{problem}")
    }

    /// Waits for `serve_one` to return, and returns how many bytes it said it echoed.
    fn finish(mut self) -> u64 {
        let handle = self.handle.take().expect("finish is called once");
        match watchdog::join(
            handle,
            watchdog::DEFAULT_LIMIT,
            "serve_one to return after its client half-closed or closed (from then on, read \
             returns Ok(0))",
        ) {
            Ok(Ok(echoed)) => echoed,
            Ok(Err(error)) => panic!("serve_one returned an error: {error}"),
            Err(payload) => panic!("serve_one panicked: {}", watchdog::panic_message(&*payload)),
        }
    }
}

impl Drop for StudentServer {
    fn drop(&mut self) {
        let Some(handle) = self.handle.take() else {
            return;
        };
        // A serve_one still waiting for its client gets one that closes at once.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if self.ended.recv_timeout(watchdog::scaled(net::IO_TIMEOUT))
            != Err(mpsc::RecvTimeoutError::Timeout)
        {
            let _ = handle.join();
        }
    }
}

#[test]
fn serve_one_echoes_a_client_and_closes_after_the_client_half_closes() {
    let mut server = StudentServer::start();
    let mut client = server.connect();
    let data = every_byte_value();
    let sent = data.clone();
    let reply = watchdog::within_default("the echo and the server's close", move || {
        client.write_all(&sent)?;
        peer::half_close(&client);
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).map(|_| reply)
    });
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) if net::is_timeout(&error) => server.fail(
            "the client sent its bytes and half-closed, but the server never closed the \
             connection (no answer within 5 s); when read returns Ok(0), stop echoing, return, \
             and let the stream be dropped"
                .to_owned(),
        ),
        Err(error) => server.fail(format!("the client's read or write failed: {error}")),
    };
    assert!(
        reply == data,
        "the echo differs from what was sent: {}",
        describe_difference(&reply, &data)
    );
    assert_same!(
        server.finish(),
        data.len() as u64,
        "serve_one should return how many bytes it echoed"
    );
}

#[test]
fn serve_one_echoes_each_byte_before_the_next_one_is_sent() {
    let mut server = StudentServer::start();
    let mut client = server.connect();
    let message = b"ping, one byte at a time".to_vec();
    let outcome = watchdog::within_default("each byte's echo", move || {
        for (index, byte) in message.iter().enumerate() {
            if let Err(error) = client.write_all(&[*byte]) {
                return Err(format!("the client could not send byte {index}: {error}"));
            }
            let mut echoed = [0u8; 1];
            if let Err(error) = client.read_exact(&mut echoed) {
                let why = if net::is_timeout(&error) {
                    "no answer within 5 s".to_owned()
                } else {
                    error.to_string()
                };
                return Err(format!(
                    "the echo of byte {index} never came ({why}); the server must write back \
                     what it has read at once, not wait for more input or for the end"
                ));
            }
            if echoed[0] != *byte {
                return Err(format!(
                    "byte {index} came back as {} instead of {}",
                    echoed[0], byte
                ));
            }
        }
        peer::half_close(&client);
        Ok(client)
    });
    match outcome {
        // The client stays open until serve_one has returned: the half-close is all it needs.
        Ok(client) => {
            server.finish();
            drop(client);
        }
        Err(problem) => server.fail(problem),
    }
}

#[test]
fn serve_one_echoes_8_mib_exactly() {
    let mut server = StudentServer::start();
    let client = server.connect();
    let data = seed::Rng::new(8).bytes(8 << 20);
    let sent = data.clone();
    let length = data.len();
    let reply = watchdog::within_default("an 8 MiB echo", move || {
        // The test writes and reads at the same time, so neither side ever waits for the other.
        let writer = {
            let client = client.try_clone()?;
            thread::spawn(move || {
                (&client).write_all(&sent)?;
                client.shutdown(Shutdown::Write)
            })
        };
        let mut reply = Vec::with_capacity(length);
        let read = (&client).read_to_end(&mut reply);
        let written = writer.join().expect("the test's writer panicked");
        written.and(read).map(|_| reply)
    });
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) if net::is_timeout(&error) => server.fail(
            "the 8 MiB echo stalled: nothing came back for 5 s, before the whole echo had \
             arrived and the server had closed the connection; write back every byte you read, \
             and return once read returns Ok(0)"
                .to_owned(),
        ),
        Err(error) => server.fail(format!("the 8 MiB exchange failed: {error}")),
    };
    assert!(
        reply == data,
        "8 MiB echoed: {}",
        describe_difference(&reply, &data)
    );
    assert_same!(
        server.finish(),
        data.len() as u64,
        "serve_one should return how many bytes it echoed"
    );
}

#[test]
fn serve_one_survives_a_client_that_sends_nothing_and_closes() {
    let mut server = StudentServer::start();
    let client = server.connect();
    drop(client);
    assert_same!(
        server.finish(),
        0,
        "a client that closes at once had nothing echoed: serve_one should return Ok(0)"
    );
}

/// A test's own echo server, to check the client against something known to work.
fn reference_echo_server(listener: TcpListener) -> thread::JoinHandle<io::Result<Vec<u8>>> {
    thread::spawn(move || {
        let mut stream = net::accept(&listener);
        let mut received = Vec::new();
        let mut buffer = [0u8; 1000];
        loop {
            let n = stream.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            received.extend_from_slice(&buffer[..n]);
            // Replying in small pieces makes the echo arrive in many reads.
            peer::send_cut(
                &mut stream,
                &buffer[..n],
                Cut::Fixed(100),
                std::time::Duration::ZERO,
            )?;
        }
        stream.shutdown(Shutdown::Both)?;
        Ok(received)
    })
}

fn check_client(listener: TcpListener) {
    let addr = net::addr_of(&listener);
    let server = reference_echo_server(listener);
    let data = every_byte_value();
    let sent = data.clone();
    let reply = watchdog::within_default("echo_client to return the echo", move || {
        echo_client(addr, &sent)
    });
    let received = match watchdog::join(server, watchdog::DEFAULT_LIMIT, "the test's server") {
        Ok(Ok(received)) => received,
        Ok(Err(error)) if net::is_timeout(&error) => panic!(
            "the server waited for the end of your payload and never saw it; after sending, \
             call shutdown(Shutdown::Write) so the server's read returns Ok(0)"
        ),
        Ok(Err(error)) => panic!("the test's server failed: {error}"),
        Err(payload) => panic!(
            "the test's server panicked: {}",
            watchdog::panic_message(&*payload)
        ),
    };
    assert!(
        received == data,
        "the server received something else than the payload: {}",
        describe_difference(&received, &data)
    );
    let reply = reply.unwrap_or_else(|error| {
        panic!("echo_client returned the error \"{error}\" instead of the echo")
    });
    assert!(
        reply == data,
        "echo_client returned something else than the server sent: {}",
        describe_difference(&reply, &data)
    );
}

#[test]
fn echo_client_sends_the_payload_half_closes_and_returns_the_whole_echo() {
    check_client(net::listener());
}

#[test]
fn echo_client_works_over_ipv6_too() {
    match net::listener_v6() {
        Some(listener) => check_client(listener),
        None => {
            eprintln!("this machine has no IPv6 loopback; testing over IPv4 instead");
            check_client(net::listener());
        }
    }
}

#[test]
fn echo_client_and_serve_one_talk_to_each_other() {
    let mut server = StudentServer::on(listen_or_fail(local(0)));
    let addr = server.addr;
    let payload = b"hello from the lecture\n".to_vec();
    let sent = payload.clone();
    let reply = watchdog::within_default("echo_client against serve_one", move || {
        echo_client(addr, &sent)
    });
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) => server.fail(format!(
            "echo_client should get the echo from serve_one, but returned the error: {error}"
        )),
    };
    assert!(
        reply == payload,
        "echo_client sent \"{}\" to serve_one and returned \"{}\"",
        payload.escape_ascii(),
        reply.escape_ascii()
    );
    server.finish();
}

#[test]
fn echo_client_reports_an_error_when_nobody_listens() {
    let closed = net::closed_port();
    let outcome = watchdog::within_default("echo_client to give up", move || {
        echo_client(closed, b"hello")
    });
    let error = outcome.expect_err("nothing listens there, so echo_client must return an error");
    assert_same!(
        error.kind(),
        io::ErrorKind::ConnectionRefused,
        "nothing listens at {closed}: echo_client should return connect's error as it is (with ?)"
    );
}
