//! The tests of "One thread, many sockets". The same file grades your exercise and the reference
//! solution.
//!
//! The protocol and its limits are the chat server chapter's, so its tests are all here (the
//! module `chat` below is its test file, included, not copied). The tests after it are this
//! chapter's own: what only an event loop gets wrong. A write that the socket takes only part
//! of, and whose rest must wait for a writable event; more bytes in one readable event than one
//! read takes; a last line that arrives with the end of the stream, in the same event; and a
//! hundred clients on the one thread.
//!
//! Some promises have no test here, because a test cannot bring them about or see them. That
//! an interrupted `poll`, `accept`, `read` or `write` is tried again: only a signal interrupts a
//! system call, and a test cannot send one on every system. That an error from `accept` never
//! ends the server, and that it accepts again after a pause: `Server::start` binds its own
//! listener, so no test can make its `accept` fail (the chat server chapter says the same).
//! That one client that sends without end cannot keep the loop to itself: whether the loop
//! takes turns shows only in timing, which a loaded machine blurs. That a client's unread bytes
//! and queue stay bounded, that the loop sleeps when it has nothing to do, and that it drops the
//! connections it is done with: no portable test measures a process's memory, CPU time or
//! descriptors. That the server runs on one thread is counted on Linux only, which lists a
//! process's threads in `/proc/self/task`; macOS and Windows need system calls that only
//! `unsafe` code or a crate can make, so there the test serves its hundred clients without
//! counting. And a write cut short needs a client socket that takes little: on Windows a
//! program cannot ask for small segments, so there the server's socket may take all of the
//! slow reader's lines at once, and that test then shows less.

use super::*;

/// Every test of the chat server chapter, on this chapter's server. Its helpers play this
/// chapter's clients too.
#[path = "../../ch08-chat-server/src/tests.rs"]
mod chat;
use chat::{Client, shorten, start, stop, within};

use std::io::Write;
use std::process::Command;
use std::thread;
use std::time::Duration;

use testkit::net;
use testkit::peer;
use testkit::watchdog;

// This chapter's own tests.

#[test]
fn a_line_the_socket_takes_only_part_of_is_finished_when_it_has_room() {
    // Rob's buffers are small, as a client's across a network are (the server's socket for him
    // takes some 50 KB), and he reads nothing until alice's 200 lines of 4000 bytes (800 KB in
    // all, but fewer lines than a queue holds) have all reached bob. By then the server has
    // written to rob what his socket would take, and it took part of a line: the server's
    // `write` returned less than the line, and then `WouldBlock`. The rest waits, and goes out
    // when rob's socket has room again, which a writable event says, once.
    const LINES: usize = 200;
    let server = start();
    let addr = server.local_addr();
    within("rob to get 200 long lines after reading late", move || {
        let (mut alice, _) = Client::join(addr, "alice");
        let (mut bob, _) = Client::join(addr, "bob");
        alice.line("the line saying bob entered");
        let (mut rob, _) = Client::join_on(net::connect_with_small_buffers(addr, 4096), "rob");
        alice.line("the line saying rob entered");
        bob.line("the line saying rob entered");
        let filler = "r".repeat(4000);
        let lines: Vec<String> = (0..LINES).map(|n| format!("{n:03} {filler}\n")).collect();
        alice.send_bytes(&peer::coalesce(&lines));
        for n in 0..LINES {
            let line = bob.message(&format!("alice's line {n} of {LINES}"));
            assert!(
                line.starts_with(&format!("[alice] {n:03} ")),
                "bob expected alice's line {n} next, but got `{}`",
                shorten(&line)
            );
        }
        for n in 0..LINES {
            let expected = format!("[alice] {n:03} {filler}");
            let line = rob.message(&format!(
                "alice's line {n}. Rob's socket took no more for a while, and the rest of his \
                 queue waited: it goes out when the socket is writable again. That event comes \
                 once, so write until the queue is empty or `write` says `WouldBlock` again"
            ));
            assert!(
                line == expected,
                "rob got `{}` where alice's line {n} should be, whole: `{}`. A `write` to a \
                 nearly full socket takes part of a line and returns how much it took; keep the \
                 rest, and how much of the line was written, and write the rest first when the \
                 socket has room again",
                shorten(&line),
                shorten(&expected)
            );
        }
    });
    stop(server);
}

#[test]
fn two_hundred_kib_sent_in_one_write_are_read_to_the_end() {
    // Alice sends 2048 lines of 100 bytes in one write, and then nothing, without leaving. The
    // bytes reach the server in a few large pieces, each announced by one "readable" event
    // however many bytes it holds, and one `read` takes a few kilobytes of them: no event will
    // say that the rest of a piece is waiting.
    const LINES: usize = 2048;
    let server = start();
    let addr = server.local_addr();
    within("bob to get every line alice sent in one write", move || {
        let (alice, _) = Client::join(addr, "alice");
        let (mut bob, _) = Client::join(addr, "bob");
        let filler = "k".repeat(94);
        let lines: Vec<String> = (0..LINES).map(|n| format!("{n:04} {filler}\n")).collect();
        let bytes = peer::coalesce(&lines);
        let mut sending = alice.stream.try_clone().expect("could not clone a socket");
        // On a thread of its own: the server may take alice's bytes only as fast as bob
        // reads them.
        let sender = thread::spawn(move || sending.write_all(&bytes));
        for n in 0..LINES {
            let line = bob.message(&format!(
                "alice's line {n} of {LINES}, all sent in one write of 200 KiB, and then \
                     nothing more. Readiness is reported once per change: read until `read` says \
                     `WouldBlock` (or come back to the socket by yourself), because no event \
                     will say that more bytes wait"
            ));
            assert!(
                line.starts_with(&format!("[alice] {n:04} ")),
                "bob expected alice's line {n} next, but got `{}`",
                shorten(&line)
            );
        }
        sender
            .join()
            .expect("alice's sending thread failed")
            .unwrap_or_else(|error| panic!("alice could not send her 200 KiB: {error}"));
        // Alice goes quiet, she does not leave: only now does her connection close.
        drop(alice);
    });
    stop(server);
}

/// What one of the quick clients of the next test has been heard doing, in order.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Heard {
    Nothing,
    Entered,
    Spoke,
    Left,
}

#[test]
fn a_last_line_that_comes_with_the_end_of_the_stream_is_relayed_before_the_leaving() {
    // Twenty clients each send their name and one line and close their side, all in one go,
    // without waiting for the welcome: the line feeds and the end of the stream arrive together,
    // often before the server has accepted the connection, and its first event then says both
    // "readable" and "closed". What was read comes first: the line is relayed, then the client
    // leaves.
    const CLIENTS: usize = 20;
    let server = start();
    let addr = server.local_addr();
    within(
        "alice to hear twenty quick clients enter, speak and leave",
        move || {
            let (mut alice, _) = Client::join(addr, "alice");
            let mut quick = Vec::new();
            for n in 0..CLIENTS {
                let mut stream = net::connect(addr);
                let said = format!("quick{n:02}\nlast words of quick{n:02}\n");
                stream
                    .write_all(said.as_bytes())
                    .unwrap_or_else(|error| panic!("quick{n:02} could not send: {error}"));
                peer::half_close(&stream);
                // Kept open until the end, unread: closing a socket with unread bytes resets it.
                quick.push(stream);
            }
            let mut heard = [Heard::Nothing; CLIENTS];
            while heard.iter().any(|&what| what != Heard::Left) {
                let count = |wanted| heard.iter().filter(|&&what| what == wanted).count();
                let line = alice.line(&format!(
                    "more of what twenty quick clients did (so far {} have not been heard of, \
                     {} entered and said nothing yet, {} spoke and did not leave, {} left). \
                     Each sent its name and a line and closed its side in one go, so its event \
                     can say both readable and closed: read and act on what is there before \
                     acting on the end of the stream",
                    count(Heard::Nothing),
                    count(Heard::Entered),
                    count(Heard::Spoke),
                    count(Heard::Left)
                ));
                let Some(n) = line
                    .find("quick")
                    .and_then(|at| line.get(at + 5..at + 7))
                    .and_then(|digits| digits.parse::<usize>().ok())
                    .filter(|&n| n < CLIENTS)
                else {
                    panic!("alice got {line:?}, which is about none of the quick clients");
                };
                let name = format!("quick{n:02}");
                heard[n] = match (heard[n], line.starts_with('*')) {
                    (Heard::Nothing, true) => Heard::Entered,
                    (Heard::Entered, false) => {
                        assert!(
                            line == format!("[{name}] last words of {name}"),
                            "alice expected `[{name}] last words of {name}`, but got {line:?}"
                        );
                        Heard::Spoke
                    }
                    (Heard::Entered, true) => panic!(
                        "alice heard {line:?} before {name}'s last line, which was lost: it \
                         came with the end of the stream, in the same event. Read what is \
                         there, and relay every whole line, before you act on the end"
                    ),
                    (Heard::Spoke, true) => Heard::Left,
                    (before, _) => panic!(
                        "alice got {line:?} after hearing that {name} {}",
                        match before {
                            Heard::Nothing => "was not in the room yet",
                            Heard::Entered => "entered",
                            Heard::Spoke => "spoke",
                            Heard::Left => "left",
                        }
                    ),
                };
            }
            drop(quick);
        },
    );
    stop(server);
}

/// Set in the process that [`a_hundred_clients_are_served_without_a_thread_each`] starts to count
/// its threads: there it counts; without it, it starts that process.
const COUNTING_VAR: &str = "WORKBOOK_CH9_COUNT_THREADS";

/// The threads of this process, where a program can count them without a crate: Linux lists
/// them in `/proc/self/task`. `None` elsewhere.
fn threads() -> Option<usize> {
    std::fs::read_dir("/proc/self/task")
        .ok()
        .map(|tasks| tasks.count())
}

#[test]
fn a_hundred_clients_are_served_without_a_thread_each() {
    // Other tests run at the same time in this process, and start servers (and threads) of their
    // own. So on Linux, this test runs again in a process of its own, where it counts threads.
    if cfg!(target_os = "linux") && std::env::var_os(COUNTING_VAR).is_none() {
        return run_again_alone("a_hundred_clients_are_served_without_a_thread_each");
    }
    within("a hundred clients to join and hear a message", || {
        let before = threads();
        let server = start();
        let addr = server.local_addr();
        let mut clients: Vec<Client> = (0..100)
            .map(|n| Client::join(addr, &format!("t{n:03}")).0)
            .collect();
        clients[0].send_bytes(b"one thread for all\n");
        for client in &mut clients[1..] {
            let line = client.message("t000's message");
            assert!(
                line == "[t000] one thread for all",
                "{} got `{}` while waiting for `[t000] one thread for all`",
                client.label,
                shorten(&line)
            );
        }
        if let (Some(before), Some(after)) = (before, threads()) {
            println!("threads: {before} before Server::start, {after} with 100 clients");
            assert!(
                after <= before + 2,
                "the test process had {before} threads before Server::start, and {after} \
                     with a hundred clients in the room: the server should serve them all on the \
                     one thread of its loop, not start threads for its clients"
            );
        }
        stop(server);
    });
}

/// Runs the test program again in a child process, for the test `name` alone, with
/// [`COUNTING_VAR`] set; fails unless the test ran there and passed. The child's panics are
/// passed on as they were printed, so a failure there reads as one here.
fn run_again_alone(name: &str) {
    // The test's full name is its module's path without the crate's name: `tests::name`.
    let module = module_path!()
        .split_once("::")
        .map_or(module_path!(), |(_, path)| path);
    let full_name = format!("{module}::{name}");
    let program = std::env::current_exe().expect("could not find the path of the test program");
    let output = watchdog::within(
        Duration::from_secs(60),
        "the test, run again in a process of its own to count threads, to finish",
        {
            let full_name = full_name.clone();
            move || {
                Command::new(program)
                    .args([&full_name, "--exact", "--test-threads", "1", "--nocapture"])
                    .env(COUNTING_VAR, "1")
                    .output()
            }
        },
    )
    .unwrap_or_else(|error| panic!("could not run the test program again: {error}"));
    // With `--nocapture`, the child's panics are on its stderr, and libtest's own lines on its
    // stdout. Those stay there: they would read as this program's results.
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    if let Some(at) = stdout.find("threads: ") {
        println!("{}", stdout[at..].lines().next().unwrap_or_default());
    }
    assert!(
        output.status.success(),
        "this test ran again in a process of its own, where no other test starts threads, to \
         count the server's threads, and it failed there (its panic is above)"
    );
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "this test ran again in a process of its own to count threads, but no test named \
         {full_name} ran there"
    );
}
