//! The code that the book's chapter "One thread, many sockets" shows, included
//! by anchor and compiled here: an echo server on one thread with mio
//! ([`echo`]), the state a connection keeps between events ([`lines`],
//! [`outbox`]), how long the loop may sleep ([`timers`]), and the chat server
//! once more with tokio ([`tokio_chat`]). The programs in `src/bin` run while
//! the book is built: a write that meets a full socket, readiness reported
//! once, and what a thousand idle threads cost.
//!
//! Every line the book shows is at most 80 columns wide, so no listing scrolls
//! sideways.

pub mod echo;
pub mod lines;
pub mod outbox;
pub mod timers;
pub mod tokio_chat;

/// What the programs `full-buffer` and `edge-triggered` show, checked: the
/// readiness rules the book's event loops rely on.
#[cfg(test)]
mod readiness {
    use std::io::{ErrorKind, Read, Write};
    use std::net;
    use std::time::Duration;

    use mio::net::TcpStream;
    use mio::{Events, Interest, Poll, Token};
    use testkit::watchdog;

    const SOCKET: Token = Token(0);

    /// A connected pair: a mio stream registered with `interest`, and its
    /// peer, a blocking std stream.
    fn pair(interest: Interest) -> (Poll, TcpStream, net::TcpStream) {
        let listener = testkit::net::listener();
        let ours = net::TcpStream::connect(listener.local_addr().unwrap())
            .expect("could not connect to the test's own listener");
        let peer = testkit::net::accept(&listener);
        ours.set_nonblocking(true).unwrap();
        let mut ours = TcpStream::from_std(ours);
        let poll = Poll::new().unwrap();
        poll.registry()
            .register(&mut ours, SOCKET, interest)
            .unwrap();
        (poll, ours, peer)
    }

    /// Whether one `poll` of at most `timeout` reports the socket.
    fn reported(poll: &mut Poll, timeout: Duration) -> bool {
        let mut events = Events::with_capacity(8);
        poll.poll(&mut events, Some(timeout)).unwrap();
        events.iter().any(|event| event.token() == SOCKET)
    }

    /// Reads until `WouldBlock`, and returns what was read.
    fn read_all(ours: &mut TcpStream) -> Vec<u8> {
        let mut read = Vec::new();
        let mut buffer = [0u8; 4];
        loop {
            match ours.read(&mut buffer) {
                Ok(0) => panic!("the peer closed; it should not have"),
                Ok(n) => read.extend_from_slice(&buffer[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return read,
                Err(e) => panic!("read failed: {e}"),
            }
        }
    }

    #[test]
    fn a_full_socket_says_would_block_and_is_writable_once_the_peer_reads() {
        watchdog::within_default("the writes and polls to finish", || {
            let (mut poll, mut ours, mut peer) = pair(Interest::WRITABLE);
            let chunk = [b'x'; 64 * 1024];
            let mut total = 0;
            let mut rounds = 0;
            // Write until WouldBlock, and again for as long as a poll says
            // writable: space may free up as the bytes move to the peer.
            loop {
                loop {
                    match ours.write(&chunk) {
                        Ok(n) => total += n,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => panic!("write failed: {e}"),
                    }
                }
                rounds += 1;
                assert!(rounds < 100, "the socket never stays full");
                if !reported(&mut poll, Duration::from_millis(200)) {
                    break;
                }
            }
            assert!(total > 0, "not one byte was written");
            let mut taken = vec![0u8; total];
            peer.read_exact(&mut taken).unwrap();
            assert!(
                reported(&mut poll, Duration::from_secs(5)),
                "no writable event after the peer read everything"
            );
            assert!(ours.write(&chunk).unwrap() > 0);
        });
    }

    #[test]
    fn bytes_that_arrive_after_a_would_block_bring_a_new_event() {
        watchdog::within_default("the reads and polls to finish", || {
            let (mut poll, mut ours, mut peer) = pair(Interest::READABLE);
            peer.write_all(b"one\ntwo\nthree\n").unwrap();
            assert!(reported(&mut poll, Duration::from_secs(5)));
            assert_eq!(read_all(&mut ours), b"one\ntwo\nthree\n");
            peer.write_all(b"four\n").unwrap();
            assert!(
                reported(&mut poll, Duration::from_secs(5)),
                "no readable event for bytes sent after a WouldBlock"
            );
            assert_eq!(read_all(&mut ours), b"four\n");
        });
    }

    /// epoll(7), "edge-triggered": after a read that leaves data in the
    /// buffer, the next `epoll_wait` may wait although data is there. mio
    /// registers with EPOLLET on Linux; other systems promise nothing either
    /// way, so the test runs on Linux only.
    #[cfg(target_os = "linux")]
    #[test]
    fn on_linux_bytes_left_unread_are_not_reported_again() {
        watchdog::within_default("the reads and polls to finish", || {
            let (mut poll, mut ours, mut peer) = pair(Interest::READABLE);
            peer.write_all(b"one\ntwo\nthree\n").unwrap();
            assert!(reported(&mut poll, Duration::from_secs(5)));
            let mut first = [0u8; 4];
            assert_eq!(ours.read(&mut first).unwrap(), 4);
            assert!(
                !reported(&mut poll, Duration::from_millis(200)),
                "bytes left unread were reported again"
            );
            assert_eq!(read_all(&mut ours), b"two\nthree\n");
        });
    }
}
