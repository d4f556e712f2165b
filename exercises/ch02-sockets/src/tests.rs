//! The tests of chapter 2. The same file grades your exercise and the reference solution.

use super::*;

use std::io::Read;
use std::net::{Ipv4Addr, Shutdown};
use std::thread;

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
    assert_ne!(
        addr.port(),
        0,
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
fn receive_all_reads_until_the_end_of_the_stream() {
    let data = every_byte_value();
    seed::with_seed(1, |rng| {
        let cut = Cut::Random {
            seed: rng.next_u64(),
            max: 700,
        };
        let mut input = FaultyReader::new(&data[..])
            .cut(cut)
            .call_limit(data.len() + 2);
        let received = receive_all(&mut input).expect("reading from memory cannot fail");
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
    let mut input = FaultyReader::new(&data[..])
        .cut(Cut::BYTE_BY_BYTE)
        .call_limit(data.len() + 2);
    let received = receive_all(&mut input).expect("reading from memory cannot fail");
    assert!(
        received == data,
        "{}; a read of 512 bytes may return a single byte",
        describe_difference(&received, &data)
    );
}

#[test]
fn echo_sends_back_every_byte_value_unchanged() {
    let data = every_byte_value();
    for seed in seed::seeds(4) {
        seed::with_seed(seed, |rng| {
            let mut input = FaultyReader::new(&data[..])
                .cut(Cut::Random {
                    seed: rng.next_u64(),
                    max: 300,
                })
                .call_limit(data.len() + 2);
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
            assert_eq!(
                echoed,
                data.len() as u64,
                "echo should return how many bytes it echoed"
            );
        });
    }
}

#[test]
fn echo_stops_when_the_input_ends() {
    let mut input = FaultyReader::new(&b"bye"[..]).call_limit(10);
    let mut output = Vec::new();
    let echoed = watchdog::within_default("echo to return at the end of the input", move || {
        let echoed = echo(&mut input, &mut output);
        (echoed, output)
    });
    let (echoed, output) = echoed;
    assert_eq!(
        echoed.expect("echo should return Ok at the end of the input"),
        3,
        "echo should count the bytes it echoed"
    );
    assert_eq!(output, b"bye");
}

/// Starts the student's `serve_one` on a listener of its own, on a thread.
fn start_server() -> (SocketAddr, thread::JoinHandle<io::Result<u64>>) {
    let listener = net::listener();
    let addr = net::addr_of(&listener);
    (addr, thread::spawn(move || serve_one(&listener)))
}

/// Waits for the student's server to finish, and fails the test if it did not, or failed.
fn server_result(server: thread::JoinHandle<io::Result<u64>>) -> u64 {
    match watchdog::join(
        server,
        watchdog::DEFAULT_LIMIT,
        "serve_one to return after the client was done",
    ) {
        Ok(Ok(echoed)) => echoed,
        Ok(Err(error)) => panic!("serve_one returned an error: {error}"),
        Err(payload) => panic!("serve_one panicked: {}", watchdog::panic_message(&*payload)),
    }
}

#[test]
fn serve_one_echoes_a_client_and_closes_after_the_client_half_closes() {
    let (addr, server) = start_server();
    let data = every_byte_value();
    let sent = data.clone();
    let reply = watchdog::within_default("the echo and the server's close", move || {
        let mut client = net::connect(addr);
        client.write_all(&sent).unwrap();
        peer::half_close(&client);
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).map(|_| reply)
    });
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) if net::is_timeout(&error) => panic!(
            "the client half-closed, but the server never closed the connection; when read \
             returns Ok(0), stop echoing, return, and let the stream be dropped"
        ),
        Err(error) => panic!("the client's read failed: {error}"),
    };
    assert!(
        reply == data,
        "the echo differs from what was sent: {}",
        describe_difference(&reply, &data)
    );
    assert_eq!(server_result(server), data.len() as u64);
}

#[test]
fn serve_one_echoes_each_byte_before_the_next_one_is_sent() {
    let (addr, server) = start_server();
    let message = b"ping, one byte at a time".to_vec();
    let outcome = watchdog::within_default("each byte's echo", move || {
        let mut client = net::connect(addr);
        peer::no_delay(&client);
        for (index, byte) in message.iter().enumerate() {
            client.write_all(&[*byte]).unwrap();
            let mut echoed = [0u8; 1];
            if let Err(error) = client.read_exact(&mut echoed) {
                return Err(format!(
                    "the echo of byte {index} never came ({error}); the server must write back \
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
        Ok(())
    });
    if let Err(problem) = outcome {
        panic!("{problem}");
    }
    server_result(server);
}

#[test]
fn serve_one_echoes_8_mib_exactly() {
    let (addr, server) = start_server();
    let data = seed::Rng::new(8).bytes(8 << 20);
    let sent = data.clone();
    let length = data.len();
    let reply = watchdog::within_default("an 8 MiB echo", move || {
        let client = net::connect(addr);
        // The test writes and reads at the same time, so neither side ever waits for the other.
        let writer = {
            let client = client.try_clone().unwrap();
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
    let reply = reply.unwrap_or_else(|error| panic!("the 8 MiB exchange failed: {error}"));
    assert!(
        reply == data,
        "8 MiB echoed: {}",
        describe_difference(&reply, &data)
    );
    assert_eq!(server_result(server), data.len() as u64);
}

#[test]
fn serve_one_survives_a_client_that_sends_nothing_and_closes() {
    let (addr, server) = start_server();
    let client = net::connect(addr);
    drop(client);
    assert_eq!(
        server_result(server),
        0,
        "a client that closes at once had nothing echoed"
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
    let reply = reply.expect("echo_client should return the echo");
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
    let listener = listen_or_fail(local(0));
    let addr = net::addr_of(&listener);
    let server = thread::spawn(move || serve_one(&listener));
    let payload = b"hello from the lecture\n".to_vec();
    let sent = payload.clone();
    let reply = watchdog::within_default("echo_client against serve_one", move || {
        echo_client(addr, &sent)
    })
    .expect("echo_client should get the echo from serve_one");
    assert_eq!(reply, payload);
    server_result(server);
}

#[test]
fn echo_client_reports_an_error_when_nobody_listens() {
    let closed = net::closed_port();
    let outcome = watchdog::within_default("echo_client to give up", move || {
        echo_client(closed, b"hello")
    });
    let error = outcome.expect_err("nothing listens there, so echo_client must return an error");
    assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
}
