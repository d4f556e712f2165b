//! The exercise of "Capstone: a multi-client chat server": everything from the earlier chapters
//! in one server that speaks the Budget Chat protocol, so `nc`, `telnet` or a few lines of Python
//! can chat through it.
//!
//! Read the chapter first: `book/src/ch08-chat-server/index.md` (or `cargo xtask book --open`).
//! It has the protocol, the design (the room, a reader and a writer thread per client, a bounded
//! queue each) and a picture of the threads. Then build the server in the order of the tests,
//! running `cargo xtask check ch8` after each step:
//!
//! 1. naming and joining: start, welcome, the name rules (unique ignoring ASCII case, sent
//!    within [`NAME_TIMEOUT`]), the room line, "has entered", and room for real clients
//!    during a flood of silent connections;
//! 2. relaying: `[name] text` to every other joined client, whatever the reads look like;
//! 3. leaving: "has left" on any disconnect of a joined client, and never for the others;
//! 4. limits: 4096-byte lines, UTF-8, an error line and a close otherwise;
//! 5. slow clients: a bounded queue of 256 lines per client, so one that never reads only
//!    fills its own queue. A sender whose line finds a queue full waits for room, holding no
//!    lock anyone else needs, for at most a grace period: a burst of lines must not cost a
//!    client that reads its place, but one whose queue stays full that long has stopped reading
//!    and is disconnected. So clients that stop reading delay the others by at most the grace
//!    period, once for all of them: count a queue's grace from when it filled up, not from
//!    when each sender came, and give each write to a client one deadline, not a timeout per
//!    `write` call (a client that has stopped reading still takes a few bytes now and then);
//! 6. shutdown: refuse new connections, close every client, join every thread.
//!
//! One rule for every step, so that your server works on Linux, macOS and Windows alike: no
//! thread may count on another to wake it from a blocking `read` or `write_all`. Shutting a
//! socket down from another thread does wake them on Linux and macOS, but not on Windows. So give
//! every socket a read timeout and a write timeout, and let a thread whose call times out look
//! at a flag (stopping? hung up?) and decide for itself.
//!
//! The tests are in `src/tests.rs`; reading them is allowed, and often helps.
//! Stuck? `cargo xtask hint ch8` shows one hint at a time.
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

/// How long a line waits for room in a full queue before its client is disconnected as too
/// slow. A client that reads makes room within milliseconds, however fast the others send.
pub const QUEUE_GRACE: Duration = Duration::from_secs(2);

/// How long a new connection may take to send its name. One that has not sent a valid name by
/// then gets one `* error:` line and is closed, so that silent connections cannot keep their
/// places for ever.
pub const NAME_TIMEOUT: Duration = Duration::from_secs(10);

/// The first line every client receives.
pub const WELCOME: &str = "Welcome to budgetchat! What shall I call you?";

/// A running chat server.
pub struct Server {
    // TODO: what must `local_addr` and `shutdown` reach? The bound address, the acceptor
    // thread's `JoinHandle`, and an `Arc` of what the threads share (the room, a "stopping"
    // flag).
}

impl Server {
    /// Binds `addr` (any address, IPv6 and port 0 included) and starts serving on a thread of its
    /// own; returns as soon as the server accepts connections.
    ///
    /// Each connection gets the welcome line, then its first line is its name: 1 to 16 ASCII
    /// letters or digits, and not already in the room, ignoring ASCII case (`Alice` is taken
    /// when `alice` is in). An illegal name gets one line saying why and the connection is
    /// closed; so does a connection that sends no name within [`NAME_TIMEOUT`]. Connections
    /// waiting for a name do not take the places of joined clients: a flood of silent ones never
    /// keeps a real client out for longer than the name timeout. A legal name joins the room:
    /// the client gets a line starting with `*` that lists the others (not the newcomer), and
    /// they get `* name has entered the room`. Each later line goes to every other joined client
    /// as `[name] text`; when a joined client disconnects, the others get
    /// `* name has left the room`.
    pub fn start(addr: SocketAddr) -> io::Result<Server> {
        // TODO: bind a `TcpListener`, then spawn the thread that accepts connections and spawns
        // a thread for each. Start with naming and joining; add the rest step by step.
        todo!("start a chat server on {addr}")
    }

    /// The address the server listens on, with the port the operating system chose for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        // TODO: keep `listener.local_addr()` from `start` in a field.
        todo!("return the address the server is bound to")
    }

    /// Stops the server. When it returns, new connections are refused, every client has seen the
    /// end of the stream, and every thread the server started has been joined.
    ///
    /// The tests hold each server until they are done with it and then call `shutdown`. What a
    /// dropped `Server` does is yours to choose: keep serving, or stop as `shutdown` does.
    pub fn shutdown(self) {
        // TODO: set a flag, wake the acceptor out of `accept` (connect to yourself), let it drop
        // the listener and join all the threads. Each connection's reader sees the flag by
        // itself, when its read times out, and ends; its socket closes when it is dropped.
        todo!("shut the server down")
    }
}

#[cfg(test)]
mod tests;
