//! The tests of "Capstone: a multi-client chat server". The same file grades your exercise and
//! the reference solution.
//!
//! Every test talks to your server over real loopback sockets, as `nc` would, and follows the
//! protocol in the chapter (the Budget Chat problem plus our limits). They come in the order of
//! the steps: naming and joining, relaying, leaving, limits, slow clients, shutdown.
//!
//! Some promises of the protocol have no test here, because a test cannot bring them about or see
//! them. The bound of 256 lines per queue: a client that stops reading is cut off by its writer's
//! deadline however long its queue may grow, so the bound shows only in the server's memory, which
//! no portable test can measure. That an error from `accept` never ends the server (`Server::start`
//! binds its own listener, so no test can make its `accept` fail; "Threads" tests the same loop
//! through a listener that fails on purpose). That a client costs at most two file descriptors, and
//! that a client the server has no descriptor or thread for is told so (no portable test can lower
//! the limits or count the descriptors; the benchmark `benches/hostile.rs` counts them). That the
//! threads are bounded (the bound must allow a thousand clients, more connections than a test may
//! open), and that `shutdown` has joined every one of them when it returns (a thread left running
//! still closes its connection a moment later, and no portable test counts threads). That an
//! interrupted read or write is tried again (only a signal interrupts a socket call, and a test
//! cannot send one on every system). Shutting a socket down from another thread does not wake a
//! blocked read on Windows, but does on Linux and macOS, so on those systems no test can tell a
//! server that relies on it from one that does not; the Windows run of these tests does.

use super::*;

use std::collections::BTreeSet;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use testkit::net;
use testkit::peer::{self, Cut};
use testkit::watchdog;

/// The longest line the protocol allows, in bytes, without its line feed.
const LINE_LIMIT: usize = 4096;

// The helpers below are `pub(super)`: "One thread, many sockets" includes this file as a module,
// and its own tests play their clients with them too.

/// How a test waits for the server to do what it should: long, because it takes milliseconds.
pub(super) fn within<T: Send + 'static>(
    awaiting: &str,
    body: impl FnOnce() -> T + Send + 'static,
) -> T {
    watchdog::within_default(awaiting, body)
}

/// Starts the student's server on `127.0.0.1:0`. Every test holds its server until its end and
/// then stops it with [`stop`], so a server that stops when dropped and one that runs until
/// `shutdown` both pass.
pub(super) fn start() -> Server {
    within(
        "Server::start to return (bind, start the server's thread, whether it runs an accept \
         loop or an event loop, and return at once)",
        || {
            Server::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                .unwrap_or_else(|error| panic!("Server::start(127.0.0.1:0) failed: {error}"))
        },
    )
}

/// Stops a server the test has finished with.
pub(super) fn stop(server: Server) {
    within(
        "Server::shutdown to return at the end of the test (close every connection, wake \
         whatever waits in `accept` or `poll`, and join every thread)",
        move || server.shutdown(),
    );
}

/// One client of the chat, as a test plays it.
pub(super) struct Client {
    pub(super) label: String,
    pub(super) stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    /// Connects, without reading anything.
    fn connect(addr: SocketAddr, label: &str) -> Client {
        Client::on(net::connect(addr), label)
    }

    /// A client on a socket the test connected itself.
    pub(super) fn on(stream: TcpStream, label: &str) -> Client {
        let reader = BufReader::new(stream.try_clone().expect("could not clone a socket"));
        Client {
            label: label.to_owned(),
            stream,
            reader,
        }
    }

    /// Connects and reads the welcome line.
    fn welcomed(addr: SocketAddr, label: &str) -> Client {
        let mut client = Client::connect(addr, label);
        client.read_welcome();
        client
    }

    /// Reads the welcome line.
    fn read_welcome(&mut self) {
        let welcome = self.line("the welcome line that asks for a name");
        assert!(
            !welcome.is_empty(),
            "the first line a client receives should ask for a name; {} got an empty line",
            self.label
        );
    }

    /// Connects, reads the welcome, sends `name`, and returns the room line that follows.
    pub(super) fn join(addr: SocketAddr, name: &str) -> (Client, String) {
        Client::join_on(net::connect(addr), name)
    }

    /// The same on a socket the test connected itself.
    pub(super) fn join_on(stream: TcpStream, name: &str) -> (Client, String) {
        let mut client = Client::on(stream, name);
        client.read_welcome();
        client.send(name);
        let room = client.line("the line that lists who is in the room, after sending a name");
        assert!(
            room.starts_with('*'),
            "after sending the legal name {name:?}, a client should get a line starting with `*` \
             that lists who is in the room, but got {room:?}"
        );
        (client, room)
    }

    /// The next line, without its `\n` (and without a `\r` before it), or `None` at the end of
    /// the stream.
    fn next_line(&mut self) -> io::Result<Option<String>> {
        let mut bytes = Vec::new();
        self.reader.read_until(b'\n', &mut bytes)?;
        if bytes.last() != Some(&b'\n') {
            return Ok(None);
        }
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// The next line; fails the test, saying what was expected, if none comes.
    pub(super) fn line(&mut self, expecting: &str) -> String {
        let outcome = self.next_line();
        let label = &self.label;
        match outcome {
            Ok(Some(line)) => line,
            Ok(None) => {
                panic!("{label} expected {expecting}, but the server closed the connection instead")
            }
            Err(error) if net::is_timeout(&error) => panic!(
                "{label} waited {} for {expecting}, and nothing came",
                watchdog::describe(watchdog::scaled(net::IO_TIMEOUT))
            ),
            Err(error) if peer::is_reset(&error) => panic!(
                "{label} expected {expecting}, but the server reset the connection ({error}): \
                 it closed the socket abruptly, or while bytes from {label} were still unread, \
                 which throws away what had not been delivered"
            ),
            Err(error) => panic!("{label} expected {expecting}, but reading failed: {error}"),
        }
    }

    /// Reads the next line and fails, naming what came and what was awaited, unless it is
    /// `expected`; `why` says what usually makes the difference.
    fn expect(&mut self, expected: &str, why: &str) {
        let got = self.line(&format!("`{}` ({why})", shorten(expected)));
        assert_line(&self.label, &got, expected, why);
    }

    /// Reads lines until one starting with `[` (a message), skipping `*` lines.
    pub(super) fn message(&mut self, expecting: &str) -> String {
        loop {
            let line = self.line(expecting);
            if !line.starts_with('*') {
                return line;
            }
        }
    }

    /// Sends `text` and a line feed.
    fn send(&mut self, text: &str) {
        self.send_bytes(format!("{text}\n").as_bytes());
    }

    pub(super) fn send_bytes(&mut self, bytes: &[u8]) {
        let label = &self.label;
        self.stream
            .write_all(bytes)
            .unwrap_or_else(|error| panic!("{label} could not send to the server: {error}"));
    }

    /// Reads (and ignores) lines until the server closes the connection, by an orderly end of
    /// stream or a reset; fails if it stays open.
    fn expect_closed(&mut self, why: &str) {
        loop {
            match self.next_line() {
                Ok(Some(_)) => {}
                Ok(None) => return,
                Err(error) if peer::is_reset(&error) => return,
                Err(error) if net::is_timeout(&error) => {
                    panic!("{}'s connection stayed open, but {why}", self.label)
                }
                Err(error) => panic!("{} could not read: {error}", self.label),
            }
        }
    }

    /// Says "I am done" (half-close) and waits for the server to close its side, so whatever
    /// the server does when this client leaves has been done when this returns.
    fn leave(mut self) {
        peer::half_close(&self.stream);
        self.expect_closed("it had ended its side: on `Ok(0)` the server should close too");
    }
}

/// A line as a message shows it: whole if short, else its start and its length.
pub(super) fn shorten(line: &str) -> String {
    if line.chars().count() <= 80 {
        line.to_owned()
    } else {
        let start: String = line.chars().take(60).collect();
        format!("{start}… ({} bytes)", line.len())
    }
}

/// Fails unless `got` is `expected`: "bob got `…` while waiting for `…` (why)".
fn assert_line(label: &str, got: &str, expected: &str, why: &str) {
    assert!(
        got == expected,
        "{label} got `{}` while waiting for `{}` ({why})",
        shorten(got),
        shorten(expected)
    );
}

/// The names a `*` line mentions: its words of ASCII letters and digits.
fn words(line: &str) -> BTreeSet<&str> {
    line.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect()
}

/// Asserts that `line` is a `*` line that mentions `name`.
fn assert_mentions(line: &str, name: &str, event: &str) {
    assert!(
        line.starts_with('*') && words(line).contains(name),
        "expected a line starting with `*` that says {name} {event}, but got {line:?}"
    );
}

/// Proves that `watcher` heard nothing since its last line: a newcomer joins, and the very next
/// line `watcher` gets must be the one announcing it.
fn assert_heard_nothing_more(addr: SocketAddr, watcher: &mut Client, newcomer: &str, what: &str) {
    let (_newcomer, _) = Client::join(addr, newcomer);
    let line = watcher.line(&format!("the line saying {newcomer} entered"));
    assert!(
        line.starts_with('*') && words(&line).contains(newcomer),
        "{} should have heard nothing about {what}; its next line should have announced \
         {newcomer}, but it was {line:?}",
        watcher.label
    );
}

// Step 1: naming and joining.

#[test]
fn starts_on_port_0_and_reports_the_bound_address() {
    within("a client to be welcomed", || {
        let server = start();
        let addr = server.local_addr();
        assert!(
            addr.port() != 0 && addr.ip() == Ipv4Addr::LOCALHOST,
            "local_addr should be 127.0.0.1 with the port the system chose for port 0, not {addr}"
        );
        Client::welcomed(addr, "a client");
        stop(server);
    });
}

#[test]
fn starts_on_ipv6_too() {
    within("a client to be welcomed over IPv6", || {
        let Some(probe) = net::listener_v6() else {
            eprintln!("this machine has no IPv6 loopback; testing over IPv4 instead");
            let server = start();
            Client::welcomed(server.local_addr(), "a client");
            stop(server);
            return;
        };
        drop(probe);
        let server = Server::start(SocketAddr::from((Ipv6Addr::LOCALHOST, 0)))
            .unwrap_or_else(|error| panic!("Server::start([::1]:0) failed: {error}"));
        let addr = server.local_addr();
        assert!(
            addr.is_ipv6() && addr.port() != 0,
            "started on [::1]:0, local_addr should be [::1] with a real port, not {addr}"
        );
        Client::join(addr, "alice");
        stop(server);
    });
}

#[test]
fn a_named_client_joins_and_hears_who_is_in_the_room() {
    let server = start();
    let addr = server.local_addr();
    within("three clients to join", move || {
        let (mut alice, first) = Client::join(addr, "alice");
        assert!(
            words(&first).is_disjoint(&BTreeSet::from(["alice", "bob", "carol"])),
            "alice is first: her room line should name nobody (it lists everyone else, not the \
             newcomer), but it was {first:?}"
        );
        let (mut bob, second) = Client::join(addr, "bob");
        assert_mentions(
            &second,
            "alice",
            "is in the room (in the line bob gets on joining)",
        );
        assert!(
            !words(&second).contains("bob"),
            "bob's room line should list everyone else in the room, not bob himself, but it \
             was {second:?}"
        );
        assert_mentions(&alice.line("the line saying bob entered"), "bob", "entered");
        let (_carol, third) = Client::join(addr, "carol");
        assert_mentions(&third, "alice", "is in the room (in carol's room line)");
        assert_mentions(&third, "bob", "is in the room (in carol's room line)");
        assert!(
            !words(&third).contains("carol"),
            "carol's room line should list everyone else in the room, not carol herself, but \
             it was {third:?}"
        );
        assert_mentions(
            &alice.line("the line saying carol entered"),
            "carol",
            "entered",
        );
        assert_mentions(
            &bob.line("the line saying carol entered"),
            "carol",
            "entered",
        );
    });
    stop(server);
}

#[test]
fn names_of_1_to_16_letters_and_digits_are_legal() {
    let server = start();
    let addr = server.local_addr();
    within("clients with legal names to join", move || {
        let names = ["q", "Z", "7", "abcdefghijklmnop", "R2D2"];
        let mut joined = Vec::new();
        for (index, name) in names.into_iter().enumerate() {
            let (client, room) = Client::join(addr, name);
            for earlier in &names[..index] {
                assert_mentions(&room, earlier, &format!("is in the room when {name} joins"));
            }
            joined.push(client);
        }
    });
    stop(server);
}

#[test]
fn an_illegal_name_gets_a_line_and_a_close_and_nobody_hears_of_it() {
    let server = start();
    let addr = server.local_addr();
    within("clients with illegal names to be turned away", move || {
        let (mut alice, _) = Client::join(addr, "alice");
        let illegal = [
            "",
            "two words",
            "abcdefghijklmnopq",
            "dash-ed",
            "under_score",
            "émile",
            "名前",
        ];
        for name in illegal {
            let mut client = Client::welcomed(addr, &format!("a client named {name:?}"));
            client.send(name);
            let reply = client.line("a line saying why the name is refused");
            assert!(
                !reply.is_empty(),
                "the name {name:?} is illegal: the server should say so in a line"
            );
            client.expect_closed(&format!(
                "the name {name:?} is illegal (1 to 16 ASCII letters or digits), so the server \
                 should close the connection after saying so"
            ));
        }
        assert_heard_nothing_more(addr, &mut alice, "zed", "clients with illegal names");
    });
    stop(server);
}

#[test]
fn a_name_already_in_the_room_is_illegal() {
    let server = start();
    let addr = server.local_addr();
    within("a second alice to be turned away", move || {
        let (mut alice, _) = Client::join(addr, "alice");
        let mut again = Client::welcomed(addr, "a second alice");
        again.send("alice");
        again.line("a line saying the name is taken");
        again.expect_closed("alice is already in the room, so the second alice must be refused");
        assert_heard_nothing_more(addr, &mut alice, "zed", "the second alice");
    });
    stop(server);
}

#[test]
fn names_are_unique_ignoring_ascii_case() {
    let server = start();
    let addr = server.local_addr();
    within(
        "names that differ only in case to be turned away",
        move || {
            let (mut alice, _) = Client::join(addr, "alice");
            for name in ["Alice", "ALICE"] {
                let mut again = Client::welcomed(addr, name);
                again.send(name);
                again.line("a line saying the name is taken");
                again.expect_closed(&format!(
                    "alice is in the room, so {name} must be refused: names are compared \
                     ignoring ASCII case (eq_ignore_ascii_case), or one client could pose as \
                     another"
                ));
            }
            assert_heard_nothing_more(addr, &mut alice, "zed", "Alice or ALICE");
        },
    );
    stop(server);
}

/// The protocol's name timeout.
const NAME_TIMEOUT: Duration = Duration::from_secs(10);

#[test]
fn a_connection_that_sends_no_name_is_told_and_closed_after_ten_seconds() {
    // The name timeout, then the time to see the close.
    let limit = NAME_TIMEOUT + Duration::from_secs(10);
    watchdog::within(limit, "a silent connection to be told and closed", || {
        let server = start();
        let addr = server.local_addr();
        let mut silent = Client::welcomed(addr, "a client that never sends a name");
        let mut slow = Client::welcomed(addr, "slow, a client that takes two seconds to type");
        let mut dribbler = Client::welcomed(addr, "a client that sends one letter a second");
        let patience = Some(watchdog::scaled(NAME_TIMEOUT + Duration::from_secs(5)));
        silent.stream.set_read_timeout(patience).unwrap();
        dribbler.stream.set_read_timeout(patience).unwrap();
        // Twelve letters, one a second and no line feed: each letter is news, but the
        // name is never done, so the name timeout must not start again with each one.
        let mut dribbling = dribbler.stream.try_clone().unwrap();
        let dribble = thread::spawn(move || {
            for _ in 0..12 {
                if dribbling.write_all(b"a").is_err() {
                    return;
                }
                // Pacing a very slow typist.
                thread::sleep(Duration::from_secs(1));
            }
        });
        // Pacing a person at a keyboard, not waiting for the server: two seconds is well within
        // the name timeout, so slow must be let in.
        thread::sleep(Duration::from_secs(2));
        slow.send("slow");
        let room = slow.line("the room line: a name sent after two seconds is in time");
        assert!(
            room.starts_with('*'),
            "slow sent its name two seconds after the welcome and got {room:?}; a client has \
             ten seconds to send its name"
        );
        let line = silent.line(
            "a `* error:` line: a connection that sends no name for ten seconds is told so and \
             closed (a read timeout or a deadline on the first line; otherwise silent \
             connections keep their places for ever)",
        );
        assert!(
            line.starts_with("* error:"),
            "a connection that sent no name got {line:?}; after ten seconds it should get one \
             line starting with `* error:`"
        );
        silent.expect_closed("it had been told that it sent no name in time");
        let line = dribbler.line(
            "a `* error:` line: a name that comes one letter a second is not done after ten \
             seconds either (count the timeout from the welcome, not from the last byte)",
        );
        assert!(
            line.starts_with("* error:"),
            "a client that sent one letter a second and no line feed got {line:?}; after ten \
             seconds it should get one line starting with `* error:`"
        );
        dribbler.expect_closed("it had been told that it sent no name in time");
        dribble.join().expect("the dribbling thread failed");
        stop(server);
    });
}

/// True once the server has closed `stream` (an end of stream or a reset); reads and discards
/// whatever it sent before. Never blocks.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    stream
        .set_nonblocking(true)
        .expect("could not make a test socket non-blocking");
    let mut scratch = [0; 1024];
    let closed = loop {
        match stream.read(&mut scratch) {
            Ok(0) => break true,
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => break false,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break true,
        }
    };
    stream
        .set_nonblocking(false)
        .expect("could not make a test socket blocking again");
    closed
}

#[test]
fn a_flood_of_silent_connections_does_not_keep_a_real_client_out() {
    // The flood is 120 connections: more than a server should let wait for a name beside its
    // members, fewer than a test process may open on any system. (How many the server lets wait
    // is its own choice, so no test can ask for one number.) It is sustained: before each of
    // ruth's tries, every silent connection the server has closed is opened again, as an
    // attacker's script would, so whenever ruth knocks the allowance is as full as the flood can
    // make it. A server that turns the newest connection away while the allowance is full
    // keeps ruth out for as long as the flood goes on; the protocol allows the name timeout,
    // and a little more.
    const SILENT: usize = 120;
    let most = watchdog::scaled(NAME_TIMEOUT + Duration::from_secs(5));
    watchdog::within(
        most + Duration::from_secs(20),
        "a real client to join during a flood of silent ones",
        move || {
            let server = start();
            let addr = server.local_addr();
            // The first of them is kept apart, to see how it ends.
            let mut first = Client::connect(addr, "the first silent connection");
            let mut flood: Vec<TcpStream> = (1..SILENT).map(|_| net::connect(addr)).collect();
            let first_try = Instant::now();
            let mut tries = 0;
            let ruth = loop {
                for silent in &mut flood {
                    if closed_by_server(silent) {
                        *silent = net::connect(addr);
                    }
                }
                tries += 1;
                let mut real = Client::connect(addr, "ruth, a real client");
                let turned_away = match real.next_line() {
                    Ok(Some(welcome)) if !welcome.starts_with("* error:") => {
                        real.send("ruth");
                        match real.next_line() {
                            Ok(Some(room))
                                if room.starts_with('*') && !room.starts_with("* error:") =>
                            {
                                break real;
                            }
                            Ok(Some(line)) => format!("{line:?} after her name"),
                            Ok(None) => "a close after her name".to_owned(),
                            Err(error) => format!("{error} after her name"),
                        }
                    }
                    Ok(Some(line)) => format!("{line:?}"),
                    Ok(None) => "a close before any welcome".to_owned(),
                    Err(error) => format!("{error} before any welcome"),
                };
                assert!(
                    first_try.elapsed() < most,
                    "ruth tried {tries} times in {:.0} s to join while {SILENT} silent \
                     connections were kept open, and was turned away each time (last: \
                     {turned_away}); a flood of silent connections may keep a real client out \
                     for the name timeout (10 s), and a little more. Usual cause: turning the \
                     newest connection away when too many wait for a name (a flood that keeps \
                     reconnecting then holds every place for ever); hang up the one that has \
                     waited longest instead",
                    first_try.elapsed().as_secs_f64()
                );
                // Pacing a person who tries again, not waiting for the server.
                thread::sleep(Duration::from_millis(250));
            };
            // The first silent connection has waited longest: it is closed to make room for
            // newer ones, or else when its name timeout runs out. Either way it is told why.
            first
                .stream
                .set_read_timeout(Some(most))
                .expect("could not set a read timeout");
            let mut told = false;
            loop {
                match first.next_line() {
                    Ok(Some(line)) => told |= line.starts_with("* error:"),
                    Ok(None) => break,
                    Err(error) if peer::is_reset(&error) => break,
                    Err(error) if net::is_timeout(&error) => panic!(
                        "the first of {SILENT} silent connections was still open {:.0} s after \
                         it was welcomed; a connection that sends no name is closed after the \
                         name timeout (10 s) at the latest",
                        first_try.elapsed().as_secs_f64()
                    ),
                    Err(error) => panic!("the first silent connection could not read: {error}"),
                }
            }
            assert!(
                told,
                "the first of {SILENT} silent connections was closed without an `* error:` \
                 line. A connection that waited too long for its name, or that is closed to \
                 make room for newer ones, is told so in one `* error:` line before the close \
                 (usual cause: the reader of a connection that was hung up returns without a \
                 word)"
            );
            drop(ruth);
            drop(flood);
            stop(server);
        },
    );
}

#[test]
fn a_flood_of_silent_connections_leaves_the_joined_clients_alone() {
    // More silent connections than a server should let wait for a name; the server must make
    // room among those, never among the clients that have joined.
    const SILENT: usize = 120;
    let server = start();
    let addr = server.local_addr();
    within(
        "alice and bob to chat on after a flood of silent connections",
        move || {
            let (mut alice, _) = Client::join(addr, "alice");
            let (mut bob, _) = Client::join(addr, "bob");
            alice.line("the line saying bob entered");
            // Each is welcomed: by then the server has accepted and counted it.
            let flood: Vec<Client> = (0..SILENT)
                .map(|n| Client::welcomed(addr, &format!("silent connection {n}")))
                .collect();
            let why = "alice and bob joined before 120 silent connections came, and a flood of \
                       connections waiting for a name must never cost a joined client its place. \
                       Usual cause: a client that has joined still counts among the connections \
                       waiting for a name, and is hung up to make room for newer ones";
            // Each speaks twice: a reader that has been hung up may still pass on the line it
            // was waiting for, but not the next one.
            alice.send("one");
            bob.expect("[alice] one", why);
            bob.send("two");
            alice.expect("[bob] two", why);
            alice.send("three");
            bob.expect("[alice] three", why);
            bob.send("four");
            alice.expect("[bob] four", why);
            drop(flood);
        },
    );
    stop(server);
}

#[test]
fn fifty_clients_joining_at_once_see_a_consistent_room() {
    const CLIENTS: usize = 50;
    within("fifty clients to join at once", || {
        let server = start();
        let addr = server.local_addr();
        let names: Vec<String> = (0..CLIENTS).map(|i| format!("user{i:02}")).collect();
        let gate = Arc::new(Barrier::new(CLIENTS));
        let handles: Vec<_> = names
            .iter()
            .map(|name| {
                let (gate, name, names) = (Arc::clone(&gate), name.clone(), names.clone());
                thread::spawn(move || {
                    let mut client = Client::welcomed(addr, &name);
                    gate.wait();
                    client.send(&name);
                    let room = client.line("the room line");
                    assert!(room.starts_with('*'), "{name} got {room:?} on joining");
                    let others: BTreeSet<&str> = names
                        .iter()
                        .map(String::as_str)
                        .filter(|n| *n != name)
                        .collect();
                    let listed: BTreeSet<String> = words(&room)
                        .intersection(&others)
                        .map(|n| n.to_string())
                        .collect();
                    let mut known = listed.clone();
                    while known.len() < others.len() {
                        let line = client.line("lines announcing the clients that joined later");
                        let newcomer = words(&line).intersection(&others).next().copied();
                        match newcomer {
                            Some(newcomer) if line.starts_with('*') => assert!(
                                known.insert(newcomer.to_owned()),
                                "{name} heard about {newcomer} twice (listed in the room or \
                                 announced already): {line:?}"
                            ),
                            _ => panic!("{name} expected a line saying who entered, got {line:?}"),
                        }
                    }
                    (name, listed, client)
                })
            })
            .collect();
        let mut rooms = Vec::new();
        for handle in handles {
            match handle.join() {
                Ok(result) => rooms.push(result),
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        for (a, listed_by_a, _) in &rooms {
            for (b, listed_by_b, _) in &rooms {
                if a < b {
                    assert!(
                        listed_by_a.contains(b) != listed_by_b.contains(a),
                        "{a} and {b} joined at the same time: exactly one of them joined first \
                         and should be in the other's room line (check the name and add to the \
                         room under one lock)"
                    );
                }
            }
        }
        stop(server);
    });
}

// Step 2: relaying.

/// Alice, bob and carol, joined in that order, with every announcement read.
fn three_in_a_room(addr: SocketAddr) -> (Client, Client, Client) {
    let (mut alice, _) = Client::join(addr, "alice");
    let (mut bob, _) = Client::join(addr, "bob");
    alice.line("the line saying bob entered");
    let (carol, _) = Client::join(addr, "carol");
    alice.line("the line saying carol entered");
    bob.line("the line saying carol entered");
    (alice, bob, carol)
}

#[test]
fn a_message_goes_to_every_other_joined_client_but_not_back() {
    let server = start();
    let addr = server.local_addr();
    within("a message to be relayed", move || {
        let (mut alice, mut bob, mut carol) = three_in_a_room(addr);
        alice.send("hello there");
        for client in [&mut bob, &mut carol] {
            client.expect(
                "[alice] hello there",
                "every other joined client gets alice's line as `[alice] text`",
            );
        }
        bob.send("ping");
        alice.expect(
            "[bob] ping",
            "alice should not get her own message back; her next line should be bob's",
        );
    });
    stop(server);
}

#[test]
fn a_client_that_has_not_joined_hears_no_messages() {
    let server = start();
    let addr = server.local_addr();
    within(
        "a message to be relayed to joined clients only",
        move || {
            let (mut alice, _) = Client::join(addr, "alice");
            let (mut bob, _) = Client::join(addr, "bob");
            alice.line("the line saying bob entered");
            let mut dan = Client::welcomed(addr, "dan");
            alice.send("secret");
            bob.expect(
                "[alice] secret",
                "alice's message, relayed to bob who has joined",
            );
            dan.send("dan");
            let room = dan.line("the room line");
            assert!(
                room.starts_with('*') && words(&room).contains("alice"),
                "dan had not joined when alice spoke, so his next line should be the room line, \
             not {room:?}"
            );
        },
    );
    stop(server);
}

#[test]
fn trailing_carriage_returns_are_dropped() {
    let server = start();
    let addr = server.local_addr();
    within("a telnet-style client to chat", move || {
        let (mut alice, _) = Client::join(addr, "alice");
        let mut erin = Client::welcomed(addr, "erin");
        erin.send_bytes(b"erin\r\n");
        let room = erin.line("the room line");
        assert!(
            room.starts_with('*'),
            "`erin\\r\\n` is the name erin (drop the `\\r`), but the server answered {room:?}"
        );
        assert_mentions(
            &alice.line("the line saying erin entered"),
            "erin",
            "entered",
        );
        erin.send_bytes(b"hi\r\n");
        alice.expect(
            "[erin] hi",
            "drop the `\\r` before the `\\n` of a message too",
        );
    });
    stop(server);
}

#[test]
fn a_client_writing_one_byte_at_a_time_is_understood() {
    let server = start();
    let addr = server.local_addr();
    within("a byte-by-byte client to chat", move || {
        let (mut alice, _) = Client::join(addr, "alice");
        let mut frank = Client::welcomed(addr, "frank");
        peer::no_delay(&frank.stream);
        let pause = Duration::from_millis(1);
        peer::send_cut(&mut frank.stream, b"frank\n", Cut::BYTE_BY_BYTE, pause)
            .unwrap_or_else(|error| panic!("frank could not send his name: {error}"));
        assert_mentions(
            &alice.line("the line saying frank entered"),
            "frank",
            "entered",
        );
        let text = b"one byte at a time\n";
        peer::send_cut(&mut frank.stream, text, Cut::BYTE_BY_BYTE, pause)
            .unwrap_or_else(|error| panic!("frank could not send his message: {error}"));
        alice.expect(
            "[frank] one byte at a time",
            "a line can arrive in many reads; keep what you have until the `\\n` comes",
        );
    });
    stop(server);
}

#[test]
fn lines_that_arrive_together_are_still_separate_messages() {
    let server = start();
    let addr = server.local_addr();
    within("a coalescing client to chat", move || {
        let (mut alice, _) = Client::join(addr, "alice");
        let mut gina = Client::welcomed(addr, "gina");
        gina.send_bytes(&peer::coalesce(&[
            "gina\n", "first\n", "second\n", "third\n",
        ]));
        assert_mentions(
            &alice.line("the line saying gina entered"),
            "gina",
            "entered",
        );
        for expected in ["[gina] first", "[gina] second", "[gina] third"] {
            alice.expect(
                expected,
                "one read can hold several lines: the name and three messages came in one write",
            );
        }
    });
    stop(server);
}

#[test]
fn a_utf8_character_split_across_writes_arrives_whole() {
    let server = start();
    let addr = server.local_addr();
    within("a message in several scripts to be relayed", move || {
        let (mut alice, mut bob, _carol) = three_in_a_room(addr);
        let text = "héllo wörld ✓ 🦀 こんにちは";
        peer::no_delay(&alice.stream);
        let bytes = format!("{text}\n").into_bytes();
        peer::send_cut(
            &mut alice.stream,
            &bytes,
            Cut::Fixed(3),
            Duration::from_millis(1),
        )
        .unwrap_or_else(|error| panic!("alice could not send her message: {error}"));
        bob.expect(
            &format!("[alice] {text}"),
            "a character of 2 to 4 bytes can be split between reads: decode whole lines, not \
             each read",
        );
    });
    stop(server);
}

#[test]
fn a_thousand_messages_from_one_sender_arrive_in_order() {
    let server = start();
    let addr = server.local_addr();
    within("a thousand messages to be relayed", move || {
        let (mut alice, _) = Client::join(addr, "alice");
        let (mut bob, _) = Client::join(addr, "bob");
        alice.line("the line saying bob entered");
        // Sent in batches of 100, so that no queue is ever near its limit of 256 lines; the next
        // tests send a thousand at once.
        for batch in 0..10 {
            let lines: Vec<String> = (batch * 100..(batch + 1) * 100)
                .map(|n| format!("message {n:04}\n"))
                .collect();
            alice.send_bytes(&peer::coalesce(&lines));
            for n in batch * 100..(batch + 1) * 100 {
                let expected = format!("[alice] message {n:04}");
                bob.expect(
                    &expected,
                    "bob should get alice's lines in the order she sent them",
                );
            }
        }
    });
    stop(server);
}

#[test]
fn hundreds_of_lines_one_at_a_time_reach_a_reader_that_keeps_up() {
    // More lines than a queue holds (256), each read by bob before alice sends the next: no
    // line ever waits for bob, so however many come he keeps his place.
    const LINES: usize = 300;
    watchdog::within(
        Duration::from_secs(30),
        "300 lines, sent one at a time, to reach bob",
        || {
            let server = start();
            let addr = server.local_addr();
            let (mut alice, _) = Client::join(addr, "alice");
            let (mut bob, _) = Client::join(addr, "bob");
            alice.line("the line saying bob entered");
            for n in 0..LINES {
                alice.send(&format!("one at a time {n:03}"));
                bob.expect(
                    &format!("[alice] one at a time {n:03}"),
                    &format!(
                        "line {n} of {LINES}; bob reads each line before alice sends the next, \
                         so no line ever waits for him, and a client that keeps up keeps its \
                         place. Usual cause: a line still counts as waiting in bob's queue after \
                         his writer has sent it, so the count creeps up to the queue's bound"
                    ),
                );
            }
            stop(server);
        },
    );
}

/// Alice sends a thousand lines at once, cut into writes by `send`, while bob, carol and dave
/// each read on a thread of their own, as fast as they can. Every one of them must get all the
/// lines, in order, and stay connected.
fn a_burst_reaches_every_reader(send: fn(&mut Client, &[String])) {
    const LINES: usize = 1000;
    let server = start();
    let addr = server.local_addr();
    let (mut alice, _) = Client::join(addr, "alice");
    let readers: Vec<Client> = ["bob", "carol", "dave"]
        .into_iter()
        .map(|name| Client::join(addr, name).0)
        .collect();
    for name in ["bob", "carol", "dave"] {
        alice.line(&format!("the line saying {name} entered"));
    }
    let handles: Vec<_> = readers
        .into_iter()
        .map(|mut reader| {
            thread::spawn(move || {
                for n in 0..LINES {
                    let expected = format!("[alice] burst {n:04}");
                    let line = reader.message(&format!(
                        "`{expected}` ({} reads all the time: a full queue is not a reason to \
                         disconnect it; wait for its writer to make room)",
                        reader.label
                    ));
                    assert_line(
                        &reader.label,
                        &line,
                        &expected,
                        "every reader gets alice's lines in the order she sent them",
                    );
                }
            })
        })
        .collect();
    let lines: Vec<String> = (0..LINES).map(|n| format!("burst {n:04}\n")).collect();
    send(&mut alice, &lines);
    for handle in handles {
        if let Err(payload) = handle.join() {
            std::panic::resume_unwind(payload);
        }
    }
    stop(server);
}

#[test]
fn a_thousand_lines_in_one_write_reach_every_reader() {
    within(
        "three readers to get a thousand lines sent in one write",
        || {
            a_burst_reaches_every_reader(|alice, lines| alice.send_bytes(&peer::coalesce(lines)));
        },
    );
}

#[test]
fn a_thousand_lines_in_quick_little_writes_reach_every_reader() {
    within(
        "three readers to get a thousand lines sent one per write",
        || {
            a_burst_reaches_every_reader(|alice, lines| {
                for line in lines {
                    alice.send_bytes(line.as_bytes());
                }
            });
        },
    );
}

#[test]
fn a_reader_that_pauses_now_and_then_survives_burst_after_burst() {
    // Three bursts of 2000 lines of 4 KB, a quiet spell of three seconds between them: 8 MB a
    // burst, more than bob's queue and the server's socket buffers hold, however large the
    // system lets them grow. Bob's receive buffer is small, and he looks away at the start of
    // each burst until alice's sending stalls, which happens when the server stops reading her
    // because his queue is full; then he reads it all. He reads, so each time his queue empties
    // its grace period must start again: a server that counts it from the first time the queue
    // was full ever drops him at the next burst.
    const BURSTS: usize = 3;
    const LINES: usize = 2000;
    watchdog::within(
        Duration::from_secs(60),
        "bob to get three bursts of lines, pausing at the start of each",
        || {
            let server = start();
            let addr = server.local_addr();
            let (mut alice, _) = Client::join(addr, "alice");
            let mut bob = Client::on(net::connect_with_small_window(addr, 4096), "bob");
            bob.line("the welcome line that asks for a name");
            bob.send("bob");
            bob.line("the room line");
            alice.line("the line saying bob entered");
            let filler = "b".repeat(4000);
            for burst in 0..BURSTS {
                let mut sending = alice.stream.try_clone().unwrap();
                let bytes = peer::coalesce(
                    &(0..LINES)
                        .map(|n| format!("{burst} {n:04} {filler}\n"))
                        .collect::<Vec<_>>(),
                );
                let sent = Arc::new(AtomicUsize::new(0));
                let progress = Arc::clone(&sent);
                let sender = thread::spawn(move || -> io::Result<()> {
                    for piece in bytes.chunks(16 * 1024) {
                        sending.write_all(piece)?;
                        progress.fetch_add(piece.len(), Ordering::SeqCst);
                    }
                    Ok(())
                });
                // Pacing a reader that looks away: until alice's sending has stood still for
                // half a second (the server has stopped reading her: bob's queue is full), and
                // never longer than five seconds. Half a second after his queue filled is well
                // within its grace period.
                let looked_away = Instant::now();
                let (mut last, mut still_since) = (usize::MAX, Instant::now());
                while looked_away.elapsed() < Duration::from_secs(5)
                    && still_since.elapsed() < Duration::from_millis(500)
                {
                    thread::sleep(Duration::from_millis(20));
                    let now = sent.load(Ordering::SeqCst);
                    if now != last {
                        (last, still_since) = (now, Instant::now());
                    }
                }
                for n in 0..LINES {
                    let expected = format!("[alice] {burst} {n:04} ");
                    let line = bob.line(&format!(
                        "alice's line {n} of burst {burst} (bob reads every line: each time his \
                         queue empties, its grace period starts again; a clock that is never \
                         reset drops him at the next burst)"
                    ));
                    assert!(
                        line.starts_with(&expected),
                        "in burst {burst}, bob expected alice's line {n} next, but got {:?}",
                        &line[..line.len().min(40)]
                    );
                }
                sender
                    .join()
                    .expect("alice's sending thread failed")
                    .unwrap_or_else(|error| panic!("alice could not send burst {burst}: {error}"));
                if burst + 1 < BURSTS {
                    // Pacing the bursts: a quiet spell longer than the grace period.
                    thread::sleep(Duration::from_secs(3));
                }
            }
            stop(server);
        },
    );
}

#[test]
fn a_broadcast_reaches_a_hundred_clients() {
    let server = start();
    let addr = server.local_addr();
    within("a hundred clients to get one message", move || {
        let mut clients: Vec<Client> = (0..100)
            .map(|i| Client::join(addr, &format!("c{i:03}")).0)
            .collect();
        clients[0].send("hello everyone");
        for client in &mut clients[1..] {
            let line = client.message("c000's message");
            assert_line(
                &client.label,
                &line,
                "[c000] hello everyone",
                "a broadcast reaches every joined client but its sender",
            );
        }
    });
    stop(server);
}

// Step 3: leaving.

#[test]
fn everyone_hears_when_a_joined_client_leaves() {
    let server = start();
    let addr = server.local_addr();
    within("the others to hear that carol left", move || {
        let (mut alice, mut bob, carol) = three_in_a_room(addr);
        carol.leave();
        assert_mentions(&alice.line("the line saying carol left"), "carol", "left");
        assert_mentions(&bob.line("the line saying carol left"), "carol", "left");
    });
    stop(server);
}

#[test]
fn a_client_that_never_joined_leaves_unnoticed() {
    let server = start();
    let addr = server.local_addr();
    within("a client that never joined to leave", move || {
        let (mut alice, _) = Client::join(addr, "alice");
        Client::welcomed(addr, "a client without a name").leave();
        let mut half = Client::welcomed(addr, "a client halfway through its name");
        half.send_bytes(b"hal");
        half.leave();
        assert_heard_nothing_more(addr, &mut alice, "zed", "clients that never joined");
    });
    stop(server);
}

#[test]
fn bytes_after_the_last_line_feed_are_discarded_at_disconnect() {
    let server = start();
    let addr = server.local_addr();
    within("a client with an unfinished line to leave", move || {
        let (mut alice, _) = Client::join(addr, "alice");
        let (mut xena, _) = Client::join(addr, "xena");
        alice.line("the line saying xena entered");
        xena.send_bytes(b"complete\nunfinish");
        xena.leave();
        alice.expect(
            "[xena] complete",
            "xena's last whole line, sent just before she left",
        );
        let line = alice.line("the line saying xena left");
        assert_mentions(
            &line,
            "xena",
            "left (bytes after the last `\\n` are not a line: drop them)",
        );
    });
    stop(server);
}

#[test]
fn an_abrupt_reset_mid_line_frees_the_name() {
    let server = start();
    let addr = server.local_addr();
    within("dave's name to be free again after a reset", move || {
        let (mut alice, _) = Client::join(addr, "alice");
        let (mut dave, _) = Client::join(addr, "dave");
        alice.line("the line saying dave entered");
        dave.send_bytes(b"half a li");
        // The reader holds a second handle on the socket; the reset happens when both are gone.
        let Client { stream, reader, .. } = dave;
        drop(reader);
        peer::reset(stream);
        let line = alice.line("the line saying dave left, after his connection was reset");
        assert_mentions(
            &line,
            "dave",
            "left (a reset is an error from read: leave then too)",
        );
        let (mut dave, _) = Client::join(addr, "dave");
        assert_mentions(
            &alice.line("the line saying dave entered again"),
            "dave",
            "entered",
        );
        dave.send("back");
        alice.expect(
            "[dave] back",
            "the new dave's message: a reset frees the name for the next one who takes it",
        );
    });
    stop(server);
}

// Step 4: limits.

#[test]
fn a_line_of_4096_bytes_is_relayed_and_a_longer_one_refused() {
    let server = start();
    let addr = server.local_addr();
    within("the line limit to be applied", move || {
        let (mut alice, mut bob, _carol) = three_in_a_room(addr);
        let longest = "x".repeat(LINE_LIMIT);
        alice.send(&longest);
        let line = bob.line("alice's 4096-byte message");
        assert!(
            line == format!("[alice] {longest}"),
            "a line of exactly {LINE_LIMIT} bytes is allowed and should be relayed whole; bob \
             got {} bytes",
            line.len()
        );
        alice.send(&"y".repeat(LINE_LIMIT + 1));
        let reply = alice.line("a `* error:` line about the long line");
        assert!(
            reply.starts_with("* error:"),
            "a line of {} bytes is over the limit: the sender should get a `* error:` line, not \
             {reply:?}",
            LINE_LIMIT + 1
        );
        alice.expect_closed("after an over-long line the server should close the connection");
        assert_mentions(&bob.line("the line saying alice left"), "alice", "left");
    });
    stop(server);
}

#[test]
fn the_line_limit_counts_bytes_not_characters_nor_the_carriage_return() {
    let server = start();
    let addr = server.local_addr();
    within("the line limit to be counted in bytes", move || {
        let (mut alice, mut bob, _carol) = three_in_a_room(addr);
        // 1365 euro signs of 3 bytes and one `a`: 4096 bytes, 1366 characters, and a `\r`
        // that telnet adds and the server drops.
        let longest = format!("{}a", "€".repeat(1365));
        alice.send_bytes(format!("{longest}\r\n").as_bytes());
        let line = bob.line("alice's line of 4096 bytes in 1366 characters, sent with `\\r\\n`");
        assert!(
            line == format!("[alice] {longest}"),
            "a line of 4096 bytes (1366 characters) followed by `\\r\\n` is within the limit: \
             the `\\r` is dropped, not counted; bob got {} bytes instead of the line",
            line.len()
        );
        // 1366 euro signs: 4098 bytes, though only 1366 characters.
        alice.send(&"€".repeat(1366));
        let reply = alice.line(
            "a `* error:` line: 1366 euro signs are 4098 bytes, over the limit of 4096 (count \
             bytes, not characters)",
        );
        assert!(
            reply.starts_with("* error:"),
            "a line of 1366 characters is 4098 bytes in UTF-8, over the limit of 4096 bytes: \
             the sender should get a `* error:` line, not {:?} (count bytes, not characters)",
            &reply[..reply.len().min(60)]
        );
        alice.expect_closed("after an over-long line the server should close the connection");
        assert_mentions(&bob.line("the line saying alice left"), "alice", "left");
    });
    stop(server);
}

#[test]
fn invalid_utf8_gets_an_error_line_and_a_close() {
    let server = start();
    let addr = server.local_addr();
    within("invalid UTF-8 to be refused", move || {
        let (mut alice, mut bob, _carol) = three_in_a_room(addr);
        // "café" in Latin-1: the é is one byte, 0xE9, which UTF-8 does not allow there.
        alice.send_bytes(b"caf\xe9\n");
        let reply = alice.line("a `* error:` line about the invalid text");
        assert!(
            reply.starts_with("* error:"),
            "b\"caf\\xe9\" is not UTF-8: the sender should get a `* error:` line, not {reply:?}"
        );
        alice.expect_closed("after invalid UTF-8 the server should close the connection");
        let line = bob.line("the line saying alice left");
        assert_mentions(
            &line,
            "alice",
            "left (and her invalid line must not be relayed)",
        );
    });
    stop(server);
}

/// What a client that reads late and finds no `* error:` line is told.
const LOST_ERROR_LINE: &str = "the connection ended without the `* error:` line. Either the \
    server closed without a word, or it closed while the client's bytes still arrived: that \
    resets the connection, and a reset throws away whatever was not delivered yet. After the \
    last line, shut down the writing side, then read and discard what still comes, for a \
    moment, before closing";

#[test]
fn ten_mebibytes_without_a_newline_are_refused_and_others_are_still_served() {
    within("a 10 MiB line to be refused while others chat", || {
        let server = start();
        let addr = server.local_addr();
        let (mut alice, mut bob, _carol) = three_in_a_room(addr);
        // Flo reads only once its flood is over, as a client that sends before it reads does,
        // and its receive buffer is small: the lines that come for it meanwhile fill it, and
        // the rest, the `* error:` line last, wait in the server's buffers. A server that closes
        // the socket while flo's bytes still arrive sends a reset, and a reset throws away what
        // the server had not sent yet.
        let mut flo = Client::on(net::connect_with_small_window(addr, 4096), "flo");
        flo.line("the welcome line that asks for a name");
        flo.send("flo");
        flo.line("the room line");
        alice.line("the line saying flo entered");
        bob.line("the line saying flo entered");
        const FILLER: usize = 16;
        let filler = "f".repeat(1000);
        for _ in 0..FILLER {
            alice.send(&filler);
        }
        for n in 0..FILLER {
            let line = bob.line(&format!("alice's line {n} of {FILLER}"));
            assert!(
                line == format!("[alice] {filler}"),
                "bob expected alice's line {n} of 1000 f's, but got {:?}",
                &line[..line.len().min(40)]
            );
        }

        let mut flood = flo.stream.try_clone().unwrap();
        let flooder = thread::spawn(move || {
            let chunk = vec![b'a'; 64 * 1024];
            for _ in 0..160 {
                // The server may close the connection at any moment: that ends the flood.
                if flood.write_all(&chunk).is_err() {
                    return;
                }
            }
            let _ = flood.shutdown(Shutdown::Write);
        });
        alice.send("still here?");
        flooder.join().expect("the flooding thread failed");
        loop {
            let line = match flo.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => {
                    panic!("flo sent 10 MiB without a line feed, then read: {LOST_ERROR_LINE}")
                }
                Err(error) if peer::is_reset(&error) => {
                    panic!(
                        "flo sent 10 MiB without a line feed, then read ({error}): {LOST_ERROR_LINE}"
                    )
                }
                Err(error) => panic!(
                    "flo expected a `* error:` line (10 MiB without a line feed is over the \
                     limit), but reading failed: {error}"
                ),
            };
            if line.starts_with("* error:") {
                break;
            }
        }
        flo.expect_closed("after an over-long line the server should close the connection");
        // Bob hears both, in an order that depends on the timing.
        let (mut heard_alice, mut heard_flo_leave) = (false, false);
        while !(heard_alice && heard_flo_leave) {
            let line = bob.line(if heard_alice {
                "the line saying flo left"
            } else {
                "alice's message, sent while flo floods (one client sending a huge line must \
                 not stop the others)"
            });
            if line.starts_with('*') {
                assert_mentions(&line, "flo", "left");
                heard_flo_leave = true;
            } else {
                assert_line(
                    "bob",
                    &line,
                    "[alice] still here?",
                    "alice's message, sent while flo floods",
                );
                heard_alice = true;
            }
        }
        stop(server);
    });
}

// Step 5: slow clients.

/// How far the flood of the slow-client tests went.
struct Flood {
    lines_bob_got: usize,
    /// How long bob waited in all for lines that took more than half a second to come: the
    /// delay that the clients that never read cost the others.
    bob_waited: Duration,
    /// True once bob has heard that every client that never reads has left.
    all_left: bool,
    /// The clients that never read, still connected as far as the test is concerned.
    stalled: Vec<Client>,
    server: Server,
}

/// The clients named in `stalled` join and never read. Alice sends long lines in batches, one
/// every 20 ms, and bob reads every one before the next batch, until bob has heard that all of
/// them left or 32 MiB have gone by. The pace makes the flood last long enough for the grace
/// period to run out on any machine: a fast one would otherwise send the 32 MiB before. Once
/// their queues are full, alice's next line may wait for the grace period before it reaches
/// bob: well within bob's patience, if the grace period is waited once for all of them, not
/// once for each.
fn flood_past_clients_that_never_read(stalled: &[&str]) -> Flood {
    const BATCH: usize = 32;
    const MOST: usize = 8192;
    let server = start();
    let addr = server.local_addr();
    let (mut alice, _) = Client::join(addr, "alice");
    let (mut bob, _) = Client::join(addr, "bob");
    alice.line("the line saying bob entered");
    let mut silent = Vec::new();
    for name in stalled {
        silent.push(Client::join(addr, name).0);
        alice.line(&format!("the line saying {name} entered"));
        bob.line(&format!("the line saying {name} entered"));
    }
    let who = stalled.join(" and ");
    let filler = "z".repeat(4000);
    let mut sent = 0;
    let mut left = BTreeSet::new();
    // Alice reads nothing either; her queue only gets the lines saying they left.
    let mut flood = Flood {
        lines_bob_got: 0,
        bob_waited: Duration::ZERO,
        all_left: false,
        stalled: silent,
        server,
    };
    while sent < MOST && !flood.all_left {
        let batch: Vec<String> = (sent..sent + BATCH)
            .map(|n| format!("{n:05} {filler}\n"))
            .collect();
        alice.send_bytes(&peer::coalesce(&batch));
        sent += BATCH;
        // Pacing the sender (see above), not waiting for the server.
        thread::sleep(Duration::from_millis(20));
        while flood.lines_bob_got < sent {
            let expecting = format!(
                "alice's line {} ({who}, who never read, must not hold up the others for long: \
                 never write to a socket while holding the room's lock, queue the line instead, \
                 and wait for room in a full queue only until it has been full for the grace \
                 period, once for all of them)",
                flood.lines_bob_got
            );
            let asked = Instant::now();
            let line = bob.line(&expecting);
            let waited = asked.elapsed();
            if waited > Duration::from_millis(500) {
                flood.bob_waited += waited;
            }
            if line.starts_with('*') {
                let name = stalled
                    .iter()
                    .find(|name| words(&line).contains(**name))
                    .unwrap_or_else(|| panic!("bob got {line:?} while waiting for {expecting}"));
                assert_mentions(&line, name, "left");
                left.insert(*name);
                flood.all_left = left.len() == stalled.len();
                continue;
            }
            let expected = format!("[alice] {:05} ", flood.lines_bob_got);
            assert!(
                line.starts_with(&expected),
                "bob expected alice's line {} next, but got {:?}",
                flood.lines_bob_got,
                &line[..line.len().min(40)]
            );
            flood.lines_bob_got += 1;
        }
    }
    flood
}

#[test]
fn a_client_that_never_reads_does_not_delay_the_others() {
    within("bob to get every line while sam does not read", || {
        let flood = flood_past_clients_that_never_read(&["sam"]);
        // Whether sam was disconnected is the next tests' business: this one asks only that
        // bob got every line in time, which the flood has checked line by line.
        assert!(
            flood.lines_bob_got > 0,
            "bob got none of alice's lines while sam did not read"
        );
        stop(flood.server);
    });
}

#[test]
fn ten_clients_that_stop_reading_together_delay_the_others_once() {
    const STALLED: [&str; 10] = [
        "sam0", "sam1", "sam2", "sam3", "sam4", "sam5", "sam6", "sam7", "sam8", "sam9",
    ];
    // Ten times the grace period, waited one client after the other, is 20 s; once for all of
    // them, it is 2 s, and the flood a few seconds more.
    watchdog::within(
        Duration::from_secs(15),
        "bob to get every line while ten clients do not read (a sender that waits the grace \
         period for each full queue in turn holds everyone up for ten grace periods)",
        || {
            let flood = flood_past_clients_that_never_read(&STALLED);
            assert!(
                flood.all_left,
                "after {} lines of 4 KB, not every client that never reads had been \
                 disconnected",
                flood.lines_bob_got
            );
            // One grace period of 2 s, and room for a busy machine; two would be 4 s.
            let most = watchdog::scaled(Duration::from_millis(3800));
            assert!(
                flood.bob_waited <= most,
                "while ten clients did not read, bob waited {:.1} s in all for alice's lines; \
                 clients that stop reading together may delay the others by one grace period \
                 (2 s) in all. Usual causes: each full queue's grace counted from when a \
                 sender started waiting for it, not from when it filled up; or a writer whose \
                 write_all to a stalled client lasts longer than the grace period, because \
                 the write timeout applies to each write on its own and the stalled client \
                 still takes a few bytes now and then (give the whole write one deadline)",
                flood.bob_waited.as_secs_f64()
            );
            stop(flood.server);
        },
    );
}

#[test]
fn a_client_that_never_reads_is_disconnected() {
    // Longer than the default: the flood, a shutdown, then sam reads what was sent to it.
    let limit = Duration::from_secs(20);
    watchdog::within(limit, "sam to be disconnected for not reading", || {
        let Flood {
            lines_bob_got,
            all_left: sam_left,
            mut stalled,
            server,
            ..
        } = flood_past_clients_that_never_read(&["sam"]);
        let mut sam = stalled.remove(0);
        assert!(
            sam_left,
            "sam never read a line, and after {lines_bob_got} lines of 4 KB sam was still in the \
             room; keep at most 256 lines for each client, and disconnect one whose queue stays \
             full for the grace period"
        );
        // Sam still reads nothing: whatever served sam must have given up by itself.
        watchdog::within(
            Duration::from_secs(5),
            "Server::shutdown to return after sam was disconnected, while sam still reads \
             nothing. A writer blocked in write_all to a client that reads nothing returns only \
             when the write times out (set a write timeout: that works on every system) or when \
             the socket is shut down from another thread (which wakes it on Linux and macOS, \
             not on Windows)",
            move || server.shutdown(),
        );
        // Sam reads at last: what was sent to it, then the end of the stream.
        sam.expect_closed("the server had shut down");
    });
}

// Step 6: shutdown.

#[test]
fn shutdown_closes_every_connection_and_refuses_new_ones() {
    within("the server to shut down", || {
        let server = start();
        let addr = server.local_addr();
        let (alice, mut bob, carol) = three_in_a_room(addr);
        bob.send_bytes(b"half a li");
        // The silent client connects first: the welcome of the next one then shows that the
        // server has accepted both, so shutdown must wake an acceptor that is waiting.
        let silent = Client::connect(addr, "a client that never reads");
        let unnamed = Client::welcomed(addr, "a client without a name");
        watchdog::within(
            Duration::from_secs(2),
            "Server::shutdown to return (with a thread per client, every thread must end by \
             itself: a reader blocked in read looks at the stop flag when its read times out; \
             shutting a socket down from another thread wakes that read on Linux and macOS, but \
             not on Windows. With one event loop, shutdown must wake the loop's poll)",
            move || server.shutdown(),
        );
        let refused = TcpStream::connect(addr);
        assert!(
            refused.is_err(),
            "after shutdown returned, a new client could still connect to {addr}: drop the \
             listener"
        );
        for mut client in [alice, bob, carol, unnamed, silent] {
            client.expect_closed("shutdown had returned: every client should see the end");
        }
    });
}

#[test]
fn shutdown_of_an_idle_server_is_quick() {
    within("an idle server to shut down", || {
        let server = start();
        let addr = server.local_addr();
        // Idle means waiting for a client, not still starting: one client comes and goes first
        // (so whatever accepts is certainly running), then nothing happens for a moment, the time
        // a server needs to be back to waiting. Nothing in the test waits on that pause to be
        // right: a correct server stops whenever it is asked. The pause only makes sure that a
        // server whose waiting nothing interrupts is asked while it waits.
        drop(Client::welcomed(addr, "a client that comes and goes"));
        thread::sleep(Duration::from_millis(200));
        watchdog::within(
            Duration::from_secs(2),
            "Server::shutdown to return on a server without clients (the server waits for one, in \
             `accept` or in `poll`: shutdown must wake it)",
            move || server.shutdown(),
        );
        assert!(
            TcpStream::connect(addr).is_err(),
            "after shutdown returned, a new client could still connect to {addr}"
        );
    });
}
