//! The exercise of "One thread, many sockets": the chat server of the chapter before, again,
//! with the same public API and the same protocol, on **one thread**: an event loop that asks
//! the operating system which sockets are ready (`mio::Poll`) and serves each as far as it can
//! go without blocking.
//!
//! Read the chapter first: `book/src/ch09-one-thread/index.md` (or `cargo xtask book --open`).
//! It has the loop, the state each connection keeps, and a picture. The tests are the chat
//! server chapter's, every one of them (`src/tests.rs` includes its test file), and a few of
//! this chapter's own for what only an event loop gets wrong. Build it in this order, running
//! `cargo xtask check ch9` after each step:
//!
//! 1. the loop: a non-blocking listener and a `mio::Poll` on a thread of its own, a `Waker` so
//!    that `shutdown` can wake the loop, and `accept` until it says `WouldBlock` (readiness
//!    is reported once per change: what you leave unread is not reported again);
//! 2. naming and joining, then relaying: each connection keeps its own bytes read so far, and
//!    cuts lines out of them itself; a read may hold half a line, or many lines, or a
//!    character split in two;
//! 3. writing: each connection keeps the lines waiting for it and how much of the first one
//!    was written; a `write` may take only part of a line, or say `WouldBlock`, and then the
//!    rest waits for the socket to be writable again;
//! 4. leaving and limits: a read of 0 bytes, an error, a line too long, or text that is not
//!    UTF-8 ends the connection (and lines read before the end are still relayed);
//! 5. slow clients: at most [`QUEUE_LINES`] lines wait for one client. A line that finds a
//!    queue full waits with its sender (the sender is not read any further) until the queue has
//!    room. A client that has stopped reading is disconnected as too slow within
//!    [`QUEUE_GRACE`], and clients that stop together are disconnected together: start a
//!    client's clock when its queue falls behind (more than half full), not when it is full, or
//!    give the first line of its queue a deadline of its own as well (the chapter explains both).
//!    The name timeout and the grace are deadlines the loop's `poll` timeout wakes it for;
//! 6. shutdown: the waker stops the loop, which closes every connection; `shutdown` joins the
//!    loop's thread.
//!
//! The tests are in `src/tests.rs`; reading them is allowed, and often helps.
//! Stuck? `cargo xtask hint ch9` shows one hint at a time.
//!
//! Only the three methods of [`Server`] are fixed (the tests drive the server through them);
//! add whatever private types, functions and fields you need.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// The longest line a client may send, in bytes, without its line feed (and an optional `\r`).
pub const MAX_LINE_BYTES: usize = 4096;

/// The most lines waiting for one client. A line that finds the queue full waits for room.
pub const QUEUE_LINES: usize = 256;

/// How long a client may stay behind (its queue more than half full, and then full) before it is
/// disconnected as too slow. A client that reads makes room within milliseconds, however fast the
/// others send.
pub const QUEUE_GRACE: Duration = Duration::from_secs(2);

/// How long a new connection may take to send its name. One that has not sent a valid name by
/// then gets one `* error:` line and is closed.
pub const NAME_TIMEOUT: Duration = Duration::from_secs(10);

/// The first line every client receives.
pub const WELCOME: &str = "Welcome to budgetchat! What shall I call you?";

/// A running chat server: one thread, its event loop.
pub struct Server {
    // TODO: what must `local_addr` and `shutdown` reach? The bound address, the loop's
    // `JoinHandle`, and a way to tell the loop to stop (a flag and a `mio::Waker`).
}

impl Server {
    /// Binds `addr` (any address, IPv6 and port 0 included) and starts the event loop on a thread
    /// of its own; returns as soon as the server accepts connections.
    ///
    /// The protocol is the chat server chapter's: the welcome line, a name (1 to 16 ASCII letters
    /// or digits, unique ignoring ASCII case, within [`NAME_TIMEOUT`]), the room line, "has
    /// entered", `[name] text` to every other joined client, "has left" when a joined client
    /// goes; an `* error:` line and a close for an illegal name, a line over
    /// [`MAX_LINE_BYTES`] or text that is not UTF-8. Every client is served by the same one
    /// thread, which never blocks on a client.
    pub fn start(addr: SocketAddr) -> io::Result<Server> {
        // TODO: bind a `mio::net::TcpListener`, make a `Poll`, register the listener, make a
        // `Waker`, then spawn the thread that runs the loop. Start with accepting and naming.
        todo!("start a one-thread chat server on {addr}")
    }

    /// The address the server listens on, with the port the operating system chose for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        // TODO: keep `listener.local_addr()` from `start` in a field.
        todo!("return the address the server is bound to")
    }

    /// Stops the server. When it returns, new connections are refused, every client has seen the
    /// end of the stream, and the loop's thread has been joined.
    pub fn shutdown(self) {
        // TODO: set the flag, `wake` the loop, and join its thread. The loop sees the flag when
        // `poll` returns, drops the listener and every connection, and ends.
        todo!("shut the server down")
    }
}

#[cfg(test)]
mod tests;
