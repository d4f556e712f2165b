//! The reference solution of "One thread, many sockets": the chat server of the chapter before,
//! with the same public API and the same protocol, on **one thread**, which never blocks on a
//! client.
//!
//! That thread runs an event loop. Each turn, it asks the operating system which sockets are
//! ready (`mio::Poll`), waiting no longer than until the next deadline; then it serves each ready
//! socket as far as it can go without blocking: it accepts every waiting connection, writes what
//! waits for each client, reads what each client sent and acts on every whole line. Last, it acts
//! on the deadlines that have passed: names that did not come, clients too slow to read,
//! connections whose last line has had its time.
//!
//! Nothing is shared, so nothing is locked: the loop owns every socket and every queue. What a
//! thread per client kept in its local variables (where the conversation is, the half line read
//! so far, the half line written so far) each connection keeps in a `Conn` of its own.
//!
//! Readiness is reported once per change (mio is edge-triggered on every system): "this socket
//! has bytes to read" comes once, however many bytes wait, and not again until more arrive. So
//! the loop reads until `read` says `WouldBlock`, and writes until `write` says it; a socket
//! that said `WouldBlock` is reported again once it can go on. When the loop stops reading a
//! socket before that (a client that has had its share of the turn, or whose line waits for
//! room), it remembers to come back to it without an event: none would come.
//!
//! Slow clients: at most [`QUEUE_LINES`] lines wait for one client. A line goes at once to every
//! client with room; for the others it waits, and so does its sender: its socket is not read any
//! further until that line has reached everyone. A client whose queue is full, and has been more
//! than half full for [`QUEUE_GRACE`], is disconnected as too slow, which lets the line go on.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};

/// The longest line a client may send, in bytes, without its line feed (and an optional `\r`).
pub const MAX_LINE_BYTES: usize = 4096;

/// The most lines waiting for one client. A line that finds the queue full waits for room, and
/// its sender with it.
pub const QUEUE_LINES: usize = 256;

/// How long a client may stay behind before it is disconnected as too slow: a client whose queue
/// is full, and has been more than half full for this long. A client that reads makes room within
/// milliseconds, however fast the others send.
pub const QUEUE_GRACE: Duration = Duration::from_secs(2);

/// How long a new connection may take to send its name. One that has not sent a valid name by
/// then gets one `* error:` line and is closed.
pub const NAME_TIMEOUT: Duration = Duration::from_secs(10);

/// The first line every client receives.
pub const WELCOME: &str = "Welcome to budgetchat! What shall I call you?";

/// The most clients in the room at once: ten thousand, the number this chapter is about, where
/// the threaded server of the chapter before stops at a thousand. A client costs one descriptor
/// and, at most, its inbox and a full queue.
const MAX_CLIENTS: usize = 10_000;

/// The most connections waiting to send their name. When one more arrives, the one that has
/// waited longest is told so and closed: a flood of silent connections cannot keep a real client
/// out, nor take the places of the joined ones.
const MAX_UNNAMED: usize = 100;

/// The most connections at once: the room, the connections waiting for a name, and as many again
/// on their way out. One more is told that the server is full, and closed. (Each connection costs
/// one descriptor, and at most its inbox and its queue in memory.)
const MAX_CONNECTIONS: usize = MAX_CLIENTS + 2 * MAX_UNNAMED;

/// A client's inbox: the longest line, a `\r` and the `\n`. A client never has more bytes read
/// and not yet handled than that.
const INBOX_BYTES: usize = MAX_LINE_BYTES + 2;

/// The most bytes read from one client in one turn. A client that sends faster than the loop
/// reads would otherwise keep it reading that one socket for ever.
const READ_SHARE: usize = 64 * 1024;

/// How long a refused connection stays open once its last line is written: it reads that line
/// and closes its side, while the loop reads and throws away what it still sends. Closing a
/// socket that has unread bytes sends a reset, which can destroy the last line before the client
/// reads it.
const LINGER: Duration = Duration::from_secs(2);

/// How long the loop stops accepting after `accept` failed for want of something (descriptors,
/// usually): connections that end meanwhile give some back.
const ACCEPT_PAUSE: Duration = Duration::from_millis(50);

/// The most events one `poll` returns; more wait for the next turn.
const EVENTS: usize = 1024;

/// The token of the listener's events.
const LISTENER: Token = Token(0);

/// The token of the waker's event, which [`Server::shutdown`] causes.
const WAKER: Token = Token(1);

/// A running chat server: one thread, its event loop. [`Server::shutdown`] stops it; dropping it
/// leaves it running until the process ends.
pub struct Server {
    addr: SocketAddr,
    /// Set by [`Server::shutdown`]; the loop looks at it after every `poll`.
    stopping: Arc<AtomicBool>,
    /// Wakes the loop from `poll`, so that it looks at `stopping` at once.
    waker: Waker,
    thread: JoinHandle<()>,
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
        let listener = std::net::TcpListener::bind(addr)?;
        // `accept` must say `WouldBlock` when nobody waits, never wait itself: the loop has
        // every other client to serve.
        listener.set_nonblocking(true)?;
        let mut listener = TcpListener::from_std(listener);
        let addr = listener.local_addr()?;
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let stopping = Arc::new(AtomicBool::new(false));
        let chat = Chat::new(poll, listener, Arc::clone(&stopping));
        // The listener listens from here on: clients that connect before the loop runs wait in
        // its backlog, and are accepted at the loop's first turn.
        let thread = thread::Builder::new()
            .name("chat-loop".into())
            .spawn(move || chat.run())?;
        Ok(Server {
            addr,
            stopping,
            waker,
            thread,
        })
    }

    /// The address the server listens on, with the port the operating system chose for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server. When it returns, new connections are refused, every client has seen the
    /// end of the stream, and the loop's thread has been joined.
    pub fn shutdown(self) {
        self.stopping.store(true, Ordering::SeqCst);
        // The loop may be waiting in `poll` for a deadline that is far away, or for none: the
        // waker makes `poll` return now. (It fails only if the loop is already gone.)
        let _ = self.waker.wake();
        // The loop drops the listener and every connection before its thread ends.
        let _ = self.thread.join();
    }
}

/// The event loop's state: everything the server knows, owned by its one thread.
struct Chat {
    poll: Poll,
    listener: TcpListener,
    stopping: Arc<AtomicBool>,
    /// Every open connection, by the token its events carry. Tokens are not reused (see
    /// `new_token`), so a token always means the same connection, or one that is gone.
    conns: HashMap<Token, Conn>,
    next_token: usize,
    /// The lines on their way to the room that have not reached everyone yet, oldest first.
    /// A line reaches each client with room at once; it waits here only for clients whose
    /// queue is full, and its sender waits with it.
    undelivered: VecDeque<Undelivered>,
    /// Connections to read at the next turn, though no event will say so: their socket may
    /// still hold bytes (they had had their share of a turn, or a line of theirs has just
    /// reached everyone). Readiness is reported once per change, and this is no change.
    backlog: Vec<Token>,
    /// When `accept` may be tried again, after it failed.
    accept_again_at: Option<Instant>,
}

/// A line on its way from one client to the others.
struct Undelivered {
    /// The client that said it (which may have gone since).
    from: Token,
    line: Arc<str>,
    /// The clients it has not reached yet: in the room when it was said, and full since.
    to: Vec<Token>,
}

/// One connection: where its client is in the conversation, what it sent that has not been
/// handled, and what waits to be written to it.
struct Conn {
    stream: TcpStream,
    phase: Phase,
    inbox: Inbox,
    outbox: Outbox,
    /// The socket may hold bytes (or its end) that the loop has not read yet: set by every
    /// event, cleared when `read` says `WouldBlock`.
    unread: bool,
    /// The client has closed its side (a read returned 0 bytes, or failed).
    ended: bool,
    /// Writing to the socket failed: the connection is dropped at the end of the turn.
    broken: bool,
}

/// Where a client is in the conversation.
enum Phase {
    /// Welcomed; its first line is its name, due by `deadline`.
    Naming { deadline: Instant },
    /// In the room, as `name`.
    Joined { name: String },
    /// Refused: its last line (an `* error:` line) is queued, and whatever it still sends is read
    /// and thrown away. It has until `deadline` to take its lines; once they are written, our
    /// side is shut down, and the connection is dropped when the client closes its side or
    /// [`LINGER`] later.
    Closing { deadline: Instant, flushed: bool },
}

/// Why a client's line was refused.
#[derive(Clone, Copy)]
enum Refusal {
    TooLong,
    NotUtf8,
}

impl Refusal {
    fn line(self) -> String {
        match self {
            Refusal::TooLong => {
                format!("* error: a line may be at most {MAX_LINE_BYTES} bytes; goodbye\n")
            }
            Refusal::NotUtf8 => "* error: lines must be UTF-8 text; goodbye\n".to_owned(),
        }
    }
}

/// The bytes read from one client and not handled yet. Never more than [`INBOX_BYTES`]: lines
/// are cut out of it as soon as they are whole, and a full inbox without a line feed is a line
/// too long.
struct Inbox {
    bytes: Box<[u8]>,
    /// The bytes from `start` to `end` have been read and not handled yet.
    start: usize,
    end: usize,
}

impl Inbox {
    fn new() -> Inbox {
        Inbox {
            bytes: vec![0; INBOX_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    /// Where the next read may put its bytes: what is free after the bytes not handled yet,
    /// which are moved to the front first.
    fn space(&mut self) -> &mut [u8] {
        if self.start > 0 {
            self.bytes.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        &mut self.bytes[self.end..]
    }

    /// Counts `count` bytes that a read put in [`Inbox::space`].
    fn filled(&mut self, count: usize) {
        self.end = (self.end + count).min(self.bytes.len());
    }

    /// Throws away everything read and not handled.
    fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Cuts the next whole line out: its text without the `\n` (and a `\r` before it), or why
    /// it is refused; `None` until its line feed has arrived. The text is checked as UTF-8 only
    /// now that the line is whole: a character may be split between two reads.
    fn next_line(&mut self) -> Option<Result<String, Refusal>> {
        let waiting = &self.bytes[self.start..self.end];
        let Some(at) = waiting.iter().position(|&byte| byte == b'\n') else {
            // No line feed yet. That is fine while there is room for one; a full inbox holds
            // more than the longest line allowed.
            return (waiting.len() == INBOX_BYTES).then_some(Err(Refusal::TooLong));
        };
        let mut line = &waiting[..at];
        self.start += at + 1;
        if let [text @ .., b'\r'] = line {
            line = text;
        }
        if line.len() > MAX_LINE_BYTES {
            return Some(Err(Refusal::TooLong));
        }
        Some(match std::str::from_utf8(line) {
            Ok(text) => Ok(text.to_owned()),
            Err(_) => Err(Refusal::NotUtf8),
        })
    }
}

/// The lines waiting to be written to one client, each with its `\n`.
struct Outbox {
    /// Shared: a line said in the room is one allocation, whatever the number of its readers.
    lines: VecDeque<Arc<str>>,
    /// How many bytes of the first line have been written already.
    written: usize,
    /// Since when more than half of [`QUEUE_LINES`] have been waiting: the client is behind.
    behind_since: Option<Instant>,
}

impl Outbox {
    fn is_full(&self) -> bool {
        self.lines.len() >= QUEUE_LINES
    }
}

impl Conn {
    fn new(stream: TcpStream) -> Conn {
        Conn {
            stream,
            phase: Phase::Naming {
                deadline: Instant::now() + NAME_TIMEOUT,
            },
            inbox: Inbox::new(),
            outbox: Outbox {
                lines: VecDeque::new(),
                written: 0,
                behind_since: None,
            },
            unread: false,
            ended: false,
            broken: false,
        }
    }

    /// True for a client in the room: one that hears what the others say.
    fn is_joined(&self) -> bool {
        matches!(self.phase, Phase::Joined { .. }) && !self.broken
    }

    /// Queues `line` and writes what the socket takes now.
    fn send(&mut self, line: Arc<str>) {
        self.outbox.lines.push_back(line);
        self.flush();
    }

    /// Writes the queue until it is empty or the socket takes no more (`WouldBlock`: the loop
    /// gets a writable event when it can go on). A write may take part of a line: the rest is
    /// written first next time.
    fn flush(&mut self) {
        while !self.broken
            && let Some(line) = self.outbox.lines.front()
        {
            match self.stream.write(&line.as_bytes()[self.outbox.written..]) {
                Ok(0) => self.broken = true,
                Ok(count) => {
                    self.outbox.written += count;
                    if self.outbox.written == line.len() {
                        self.outbox.lines.pop_front();
                        self.outbox.written = 0;
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                // The client is gone (a reset, usually).
                Err(_) => self.broken = true,
            }
        }
        // Lines wait only when the socket took no more. More than half of the queue waiting means
        // the client is behind: its clock runs from the first time it was, until it has caught
        // up to half. A client that reads frees lines by the hundred in milliseconds; one that
        // has stopped reading still takes a few bytes now and then (its system squeezes what it
        // holds to make room), which must not start its clock again. Counted from half full, not
        // from full: clients that stop reading together fall behind together, but fill their
        // queues at different moments (their sockets took different amounts), and a line waits
        // for their full queues one after the other. Ten such clients, with a clock started when
        // each queue filled, held the others up for 8 s instead of 2 when this was measured.
        if self.outbox.lines.len() > QUEUE_LINES / 2 {
            self.outbox.behind_since.get_or_insert_with(Instant::now);
        } else {
            self.outbox.behind_since = None;
        }
        // A refused connection's last line is out: shut our side down, so that the client reads
        // to the end of the stream and closes its own.
        if let Phase::Closing { deadline, flushed } = &mut self.phase
            && !*flushed
            && self.outbox.lines.is_empty()
            && !self.broken
        {
            let _ = self.stream.shutdown(Shutdown::Write);
            *flushed = true;
            *deadline = Instant::now() + LINGER;
        }
    }

    /// When the loop must act on this connection, if it has to; `now` for at once. At once for
    /// one whose writes failed; at its deadline for one naming itself or closing (at once for one
    /// closing that has written everything and whose client has closed); for a joined client
    /// whose queue is full, when it has been behind for [`QUEUE_GRACE`].
    fn deadline(&self, now: Instant) -> Option<Instant> {
        if self.broken {
            return Some(now);
        }
        match &self.phase {
            Phase::Naming { deadline } => Some(*deadline),
            Phase::Closing { flushed: true, .. } if self.ended => Some(now),
            Phase::Closing { deadline, .. } => Some(*deadline),
            // A full queue is more than half full: `flush` has started its clock.
            Phase::Joined { .. } if self.outbox.is_full() => {
                self.outbox.behind_since.map(|since| since + QUEUE_GRACE)
            }
            Phase::Joined { .. } => None,
        }
    }
}

/// True for 1 to 16 ASCII letters and digits.
fn is_valid_name(name: &str) -> bool {
    (1..=16).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The names after the colon of the room line: ` alice, bob`, or nothing for an empty room.
fn list_of(names: &[&str]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!(" {}", names.join(", "))
    }
}

impl Chat {
    fn new(poll: Poll, listener: TcpListener, stopping: Arc<AtomicBool>) -> Chat {
        Chat {
            poll,
            listener,
            stopping,
            conns: HashMap::new(),
            next_token: 2,
            undelivered: VecDeque::new(),
            backlog: Vec::new(),
            accept_again_at: None,
        }
    }

    /// The event loop, until [`Server::shutdown`].
    fn run(mut self) {
        let mut events = Events::with_capacity(EVENTS);
        let mut next_deadline = None;
        while !self.stopping.load(Ordering::SeqCst) {
            // Wait for an event, but no longer than until the next deadline; not at all when
            // connections are waiting to be read again.
            let timeout = if self.backlog.is_empty() {
                next_deadline.map(|at: Instant| at.saturating_duration_since(Instant::now()))
            } else {
                Some(Duration::ZERO)
            };
            match self.poll.poll(&mut events, timeout) {
                Ok(()) => {}
                // A signal arrived while waiting: nothing happened, wait again.
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                // The poll itself is broken: nothing more can be served.
                Err(_) => break,
            }
            // What was on the backlog before this turn's events; whatever this turn puts back
            // waits for the next turn, so that one client cannot keep the loop to itself.
            let mut backlog = std::mem::take(&mut self.backlog);
            for event in &events {
                match event.token() {
                    LISTENER => self.accept_all(),
                    // The loop's condition looks at the flag.
                    WAKER => {}
                    token => self.ready(token),
                }
            }
            backlog.sort_unstable();
            backlog.dedup();
            for token in backlog {
                self.serve(token);
            }
            // Writable events may have made room for lines that were waiting.
            self.deliver();
            next_deadline = self.expire();
        }
        // `self` is dropped here: the listener (new connections are refused) and every
        // connection (each client sees the end of its stream).
    }

    /// A token that no open connection has, nor the listener or the waker. The counter would
    /// have to go round (2^64 connections, or 2^32 on a 32-bit system) before a token came back.
    fn new_token(&mut self) -> Token {
        loop {
            let token = Token(self.next_token);
            self.next_token = self.next_token.wrapping_add(1);
            if token != LISTENER && token != WAKER && !self.conns.contains_key(&token) {
                return token;
            }
        }
    }

    /// Accepts every connection waiting, until `accept` says `WouldBlock`: the listener is
    /// reported ready once per change, so a connection left waiting would wait until the next
    /// one arrives.
    fn accept_all(&mut self) {
        while self.accept_again_at.is_none() {
            match self.listener.accept() {
                Ok((stream, _)) => self.welcome(stream),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
                // A signal, or a client that gave up before it was accepted: go on.
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                // Out of descriptors or memory, usually. Never a reason to stop serving: try
                // again a little later (`expire` does), when connections that ended have given
                // some back. No event will say when.
                Err(_) => self.accept_again_at = Some(Instant::now() + ACCEPT_PAUSE),
            }
        }
    }

    /// Takes a new connection in: registers it, and sends it the welcome line.
    fn welcome(&mut self, mut stream: TcpStream) {
        // A departed client whose last line still waits counts as a connection too: that line
        // and the list of who has yet to hear it take memory like one.
        let departed = self
            .undelivered
            .iter()
            .filter(|line| !self.conns.contains_key(&line.from))
            .count();
        if self.conns.len() + departed >= MAX_CONNECTIONS {
            // One try, without waiting: the socket is new, so its buffer has room for a line.
            let _ = stream.write(b"* error: the server is full; try again later\n");
            return;
        }
        let token = self.new_token();
        // Both directions, once and for all: with edge-triggered readiness an interest that is
        // not needed costs nothing, since an event comes only when a socket that said
        // `WouldBlock` can go on.
        let interests = Interest::READABLE | Interest::WRITABLE;
        if self
            .poll
            .registry()
            .register(&mut stream, token, interests)
            .is_err()
        {
            let _ = stream.write(b"* error: the server cannot take another client now\n");
            return;
        }
        // Lines are written whole, often one at a time: waiting to fill a packet (Nagle's
        // algorithm) would only add delay.
        let _ = stream.set_nodelay(true);
        self.make_room_to_name();
        let mut conn = Conn::new(stream);
        conn.send(format!("{WELCOME}\n").into());
        self.conns.insert(token, conn);
    }

    /// When [`MAX_UNNAMED`] connections already wait for a name, refuses the one that has waited
    /// longest (whose name is due first).
    fn make_room_to_name(&mut self) {
        let mut unnamed = 0;
        let mut oldest: Option<(Instant, Token)> = None;
        for (&token, conn) in &self.conns {
            if let Phase::Naming { deadline } = conn.phase {
                unnamed += 1;
                if oldest.is_none_or(|(first, _)| deadline < first) {
                    oldest = Some((deadline, token));
                }
            }
        }
        if unnamed >= MAX_UNNAMED
            && let Some((_, token)) = oldest
        {
            self.refuse(
                token,
                "* error: too many connections are waiting to give a name; goodbye\n",
            );
        }
    }

    /// Something happened on a client's socket. Whatever the event says, try both directions:
    /// write what waits for the client, then read what it sent. A side that cannot go on says
    /// `WouldBlock`, for the price of one system call, and an end or an error shows in `read`.
    fn ready(&mut self, token: Token) {
        // Gone already: ended earlier in this turn.
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        conn.flush();
        conn.unread = true;
        self.serve(token);
    }

    /// True while a line of the client's has not reached everyone: until it has, the client is
    /// not read any further, and its other bytes wait in its inbox.
    fn is_paused(&self, token: Token) -> bool {
        self.undelivered.iter().any(|line| line.from == token)
    }

    /// Reads what a client sent and acts on every whole line, until its socket has nothing more
    /// (`WouldBlock`), a line of its own waits for room, or it has had its share of this turn
    /// ([`READ_SHARE`] bytes). Then it goes on the backlog: the bytes left in its socket are no
    /// news, and no event will announce them.
    fn serve(&mut self, token: Token) {
        let mut share = READ_SHARE;
        loop {
            // First every whole line already read: those before an end of stream included.
            loop {
                if self.is_paused(token) {
                    return;
                }
                let Some(conn) = self.conns.get_mut(&token) else {
                    return;
                };
                if matches!(conn.phase, Phase::Closing { .. }) {
                    // Nothing a refused client sends matters any more.
                    conn.inbox.clear();
                    break;
                }
                let Some(line) = conn.inbox.next_line() else {
                    break;
                };
                self.handle(token, line);
            }
            let Some(conn) = self.conns.get_mut(&token) else {
                return;
            };
            if !conn.unread {
                return;
            }
            if share == 0 {
                self.backlog.push(token);
                return;
            }
            // The inbox has room: `next_line` refuses a full one without a line feed.
            match conn.stream.read(conn.inbox.space()) {
                // The client closed its side: a partial line left in the inbox is no line.
                Ok(0) => return self.hung_up(token),
                Ok(count) => {
                    conn.inbox.filled(count);
                    share = share.saturating_sub(count);
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    conn.unread = false;
                    return;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                // A reset, usually: the client is gone.
                Err(_) => return self.hung_up(token),
            }
        }
    }

    /// Acts on one line of a client: its name, a message for the others, or a refusal.
    fn handle(&mut self, token: Token, line: Result<String, Refusal>) {
        let Some(conn) = self.conns.get(&token) else {
            return;
        };
        match (&conn.phase, line) {
            (_, Err(refusal)) => self.refuse(token, &refusal.line()),
            (Phase::Naming { .. }, Ok(name)) => self.join(token, name),
            (Phase::Joined { name }, Ok(text)) => {
                let line = format!("[{name}] {text}\n");
                self.broadcast(token, line);
            }
            // `serve` hands no line of a closing connection over.
            (Phase::Closing { .. }, Ok(_)) => {}
        }
    }

    /// Lets a client that sent a name into the room, or refuses it.
    fn join(&mut self, token: Token, name: String) {
        if !is_valid_name(&name) {
            return self.refuse(
                token,
                "* error: a name is 1 to 16 ASCII letters or digits\n",
            );
        }
        // A member whose socket has just failed is still here until the end of the turn, when
        // the room hears that it left: its name is not free yet.
        let mut others: Vec<&str> = self
            .conns
            .values()
            .filter_map(|conn| match &conn.phase {
                Phase::Joined { name } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        // `Alice` would pass for `alice`.
        if others.iter().any(|other| other.eq_ignore_ascii_case(&name)) {
            return self.refuse(token, &format!("* error: {name} is already here\n"));
        }
        if others.len() >= MAX_CLIENTS {
            return self.refuse(
                token,
                &format!("* error: the room is full ({MAX_CLIENTS} clients); try again later\n"),
            );
        }
        others.sort_unstable();
        let room = format!("* The room contains:{}\n", list_of(&others));
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        conn.phase = Phase::Joined { name: name.clone() };
        // Its queue holds at most the welcome line: the room line always fits.
        conn.send(room.into());
        // To the clients in the room line (but one whose socket has just failed): on one thread,
        // nobody joins in between.
        self.broadcast(token, format!("* {name} has entered the room\n"));
    }

    /// Sends `line` to every client in the room but `from`: at once to those with room, and to
    /// the others as soon as they have room, `from` waiting until then.
    fn broadcast(&mut self, from: Token, line: String) {
        let to = self
            .conns
            .iter()
            .filter(|(token, conn)| **token != from && conn.is_joined())
            .map(|(token, _)| *token)
            .collect();
        self.undelivered.push_back(Undelivered {
            from,
            line: line.into(),
            to,
        });
        self.deliver();
    }

    /// Gives every undelivered line, oldest first, to each client it has not reached that has
    /// room now; a client that has left the room is crossed off. The oldest first: so a client
    /// gets every sender's lines in the order they were said. A sender whose line has reached
    /// everyone goes on the backlog, to be read again.
    fn deliver(&mut self) {
        for undelivered in &mut self.undelivered {
            undelivered
                .to
                .retain(|token| match self.conns.get_mut(token) {
                    Some(conn) if conn.is_joined() => {
                        if conn.outbox.is_full() {
                            return true;
                        }
                        conn.send(Arc::clone(&undelivered.line));
                        false
                    }
                    _ => false,
                });
        }
        let mut delivered = Vec::new();
        self.undelivered.retain(|line| {
            if line.to.is_empty() {
                delivered.push(line.from);
            }
            !line.to.is_empty()
        });
        for from in delivered {
            if self.conns.contains_key(&from) && !self.is_paused(from) {
                self.backlog.push(from);
            }
        }
    }

    /// The client closed its side, or its connection failed.
    fn hung_up(&mut self, token: Token) {
        match self.conns.get_mut(&token) {
            // Its last lines may not be written yet: `expire` drops it once they are, or at its
            // deadline.
            Some(conn) if matches!(conn.phase, Phase::Closing { .. }) => conn.ended = true,
            _ => self.end(token),
        }
    }

    /// Queues a client's last line (the one line allowed past its queue's bound) and closes the
    /// connection; the room hears that it left, if it had joined.
    fn refuse(&mut self, token: Token, line: &str) {
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        let closing = Phase::Closing {
            deadline: Instant::now() + QUEUE_GRACE,
            flushed: false,
        };
        let was = std::mem::replace(&mut conn.phase, closing);
        conn.inbox.clear();
        conn.send(line.into());
        if let Phase::Joined { name } = was {
            self.broadcast(token, format!("* {name} has left the room\n"));
        }
    }

    /// Drops a connection, which closes its socket; the room hears that it left, if it had
    /// joined.
    fn end(&mut self, token: Token) {
        let Some(mut conn) = self.conns.remove(&token) else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut conn.stream);
        if let Phase::Joined { name } = conn.phase {
            self.broadcast(token, format!("* {name} has left the room\n"));
        }
    }

    /// Acts on every deadline that has passed, and returns the next one: names that did not come
    /// in time, clients too slow to read, refused connections whose time is up or whose client
    /// has closed, failed ones, and the pause in accepting. It looks at every connection once a
    /// turn: cheap for the [`MAX_CONNECTIONS`] this server allows (a server for a million would
    /// keep its deadlines sorted instead).
    fn expire(&mut self) -> Option<Instant> {
        loop {
            let now = Instant::now();
            if self.accept_again_at.is_some_and(|at| at <= now) {
                self.accept_again_at = None;
                self.accept_all();
            }
            let mut next = self.accept_again_at;
            let mut due = Vec::new();
            for (&token, conn) in &self.conns {
                match conn.deadline(now) {
                    Some(at) if at <= now => due.push(token),
                    Some(at) => next = Some(next.map_or(at, |next| next.min(at))),
                    None => {}
                }
            }
            if due.is_empty() {
                return next;
            }
            // Acting may end other connections (a "left" line whose write fails): look again.
            for token in due {
                self.expired(token);
            }
        }
    }

    /// Acts on a connection whose deadline has passed.
    fn expired(&mut self, token: Token) {
        let Some(conn) = self.conns.get(&token) else {
            return;
        };
        if conn.broken {
            return self.end(token);
        }
        match conn.phase {
            Phase::Naming { .. } => self.refuse(
                token,
                &format!(
                    "* error: no name within {} s; goodbye\n",
                    NAME_TIMEOUT.as_secs()
                ),
            ),
            // Done, or out of time.
            Phase::Closing { .. } => self.end(token),
            // Too slow: its queue is full, and has been more than half full for the grace
            // period. Its lines go with it, and the lines waiting for it go on.
            Phase::Joined { .. } => self.end(token),
        }
    }
}

#[cfg(test)]
#[path = "../../../exercises/ch09-one-thread/src/tests.rs"]
mod tests;
