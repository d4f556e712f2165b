//! Keeps one byte buffer per client for what it is sent, instead of a queue of lines, and bounds it
//! by counting the line feeds in it; connections live in a `HashMap` by token, lines that wait for
//! room sit in one list for the whole server, and each turn of the loop finds its next deadline by
//! looking at every connection.
//!
//! The loop: `poll` until an event or the nearest deadline; accept, read and cut lines, queue
//! them; then write what every client has waiting, deliver the lines that waited for the room
//! this made, and read on from the senders they held up, until nothing more can be done without
//! waiting. A client is too slow when its buffer has held [`QUEUE_LINES`] lines for
//! [`QUEUE_GRACE`] without getting back to half, or when the line at the head of its buffer has
//! taken that long to go out: clients that stop reading together are then cut off together, even
//! those whose buffers had not quite filled when a sender began to wait for another's.

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

/// The most lines waiting for one client. A line that finds the queue full waits for room.
pub const QUEUE_LINES: usize = 256;

/// How long a queue may stay full before its client is disconnected as too slow. A client that
/// reads makes room within milliseconds, however fast the others send.
pub const QUEUE_GRACE: Duration = Duration::from_secs(2);

/// How long a new connection may take to send its name. One that has not sent a valid name by
/// then gets one `* error:` line and is closed.
pub const NAME_TIMEOUT: Duration = Duration::from_secs(10);

/// The first line every client receives.
pub const WELCOME: &str = "Welcome to budgetchat! What shall I call you?";

/// The most connections waiting for their name; when one more comes, the one that has waited
/// longest is told so and closed.
const MAX_UNNAMED: usize = 100;

/// The most connections at once: ten thousand members, the unnamed ones, and as many again on
/// their way out. It bounds the memory and the descriptors.
const MAX_CONNECTIONS: usize = 10_000 + 2 * MAX_UNNAMED;

/// How long a connection that is closed with an `* error:` line keeps reading and discarding what
/// its client still sends after the line is out, so that a reset does not destroy the line.
const LINGER: Duration = Duration::from_secs(2);

/// How long to wait before accepting again after `accept` failed (usually for want of a
/// descriptor).
const BACK_OFF: Duration = Duration::from_millis(10);

/// The most bytes one `read` takes.
const CHUNK: usize = 4096;

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);

/// A running chat server: one thread, its event loop.
pub struct Server {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
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
        let mut listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let stopping = Arc::new(AtomicBool::new(false));
        let chat = Chat {
            poll,
            listener,
            stopping: Arc::clone(&stopping),
            clients: HashMap::new(),
            next_token: 2,
            unnamed: VecDeque::new(),
            waiting: VecDeque::new(),
            dirty: Vec::new(),
            accept_again: None,
        };
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
        // If waking fails, the loop is gone already.
        let _ = self.waker.wake();
        let _ = self.thread.join();
    }
}

/// Where a connection is in its life.
enum Phase {
    /// Welcomed, waiting for a name until `deadline`.
    Naming { deadline: Instant },
    /// In the room.
    Joined { name: String },
    /// On its way out: what is in its buffer goes out, then the end of the stream; what the
    /// client still sends is discarded; it is dropped when the client has closed too, or at
    /// `until`.
    Closing { until: Instant },
}

/// One connection and everything the loop keeps for it.
struct Client {
    stream: TcpStream,
    phase: Phase,
    /// Bytes read and not yet cut into lines: never more than one line and one read.
    input: Vec<u8>,
    /// Bytes to send; those before `written` are sent already.
    output: Vec<u8>,
    written: usize,
    /// The line feeds in `output[written..]`: the lines waiting for this client.
    lines: usize,
    /// Since when the buffer has held [`QUEUE_LINES`] lines, until it gets back to half.
    full_since: Option<Instant>,
    /// Since when the first line still to send has waited to go out.
    head_since: Instant,
    /// True while a line this client sent waits for room in another's buffer: it is not read.
    held: bool,
    /// True while the client is in `Chat::dirty`.
    dirty: bool,
    /// The client has ended its side (read returned 0).
    ended: bool,
    /// Our side is shut down.
    shut: bool,
}

impl Client {
    /// Appends one line, with its line feed, to what this client is sent. Nothing checks the
    /// bound here: the callers do, but for a last `* error:` line.
    fn push(&mut self, line: &[u8]) {
        if self.written == self.output.len() {
            self.head_since = Instant::now();
        }
        self.output.extend_from_slice(line);
        self.lines += 1;
        if self.lines >= QUEUE_LINES && self.full_since.is_none() {
            self.full_since = Some(Instant::now());
        }
    }

    fn has_room(&self) -> bool {
        self.lines < QUEUE_LINES
    }

    fn is_member(&self) -> bool {
        matches!(self.phase, Phase::Joined { .. })
    }

    /// Cuts the next whole line out of `input`: `None` when there is none yet.
    fn next_line(&mut self) -> Option<Result<String, &'static str>> {
        let Some(end) = self.input.iter().position(|&byte| byte == b'\n') else {
            // One byte more than a line may hold, for a `\r`, and still no line feed.
            return (self.input.len() > MAX_LINE_BYTES + 1).then_some(Err(TOO_LONG));
        };
        let mut line: Vec<u8> = self.input.drain(..=end).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.len() > MAX_LINE_BYTES {
            return Some(Err(TOO_LONG));
        }
        Some(String::from_utf8(line).map_err(|_| NOT_UTF8))
    }
}

const TOO_LONG: &str = "* error: a line may be at most 4096 bytes; goodbye\n";
const NOT_UTF8: &str = "* error: lines must be UTF-8 text; goodbye\n";
const BAD_NAME: &str = "* error: a name is 1 to 16 ASCII letters or digits\n";
const NO_NAME: &str = "* error: no name within 10 s; goodbye\n";
const EVICTED: &str = "* error: too many connections are waiting to give a name; goodbye\n";
const FULL: &str = "* error: the server is full; try again later\n";

/// A line that found a buffer full: it waits for room in the buffers of `clients`. While it
/// waits, its sender (if it is still connected) is held: not read.
struct Waiting {
    from: Option<Token>,
    line: Vec<u8>,
    clients: Vec<Token>,
}

/// The event loop and all its state.
struct Chat {
    poll: Poll,
    listener: TcpListener,
    stopping: Arc<AtomicBool>,
    clients: HashMap<Token, Client>,
    next_token: usize,
    /// The connections waiting for their name, the longest-waiting first.
    unnamed: VecDeque<Token>,
    /// The lines waiting for room, oldest first. A line never passes an older one on its way to
    /// the same client.
    waiting: VecDeque<Waiting>,
    /// The clients with bytes to write since their last write.
    dirty: Vec<Token>,
    /// When to accept again after `accept` failed.
    accept_again: Option<Instant>,
}

impl Chat {
    /// Runs the loop until [`Server::shutdown`]; dropping `self` then closes the listener and
    /// every connection.
    fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        while !self.stopping.load(Ordering::SeqCst) {
            let timeout = self
                .next_deadline()
                .map(|deadline| deadline.saturating_duration_since(Instant::now()));
            match self.poll.poll(&mut events, timeout) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_all(),
                    WAKER => {}
                    token => {
                        if event.is_writable() {
                            self.mark_dirty(token);
                        }
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            self.serve(token);
                        }
                    }
                }
            }
            self.expire(Instant::now());
            self.catch_up();
        }
    }

    /// The nearest moment at which something must happen without an event.
    fn next_deadline(&self) -> Option<Instant> {
        let mut nearest = self.accept_again;
        let mut consider = |moment: Instant| {
            nearest = Some(nearest.map_or(moment, |n| n.min(moment)));
        };
        for client in self.clients.values() {
            match client.phase {
                Phase::Naming { deadline } => consider(deadline),
                Phase::Closing { until } => consider(until),
                Phase::Joined { .. } => {}
            }
            if client.written < client.output.len() {
                consider(client.head_since + QUEUE_GRACE);
            }
            if let Some(since) = client.full_since {
                consider(since + QUEUE_GRACE);
            }
        }
        nearest
    }

    /// Does what the deadlines up to `now` ask: names not sent in time, clients too slow,
    /// closing connections done lingering, accepting again.
    fn expire(&mut self, now: Instant) {
        if self.accept_again.is_some_and(|moment| moment <= now) {
            self.accept_again = None;
            self.accept_all();
        }
        let mut no_name = Vec::new();
        let mut cut = Vec::new();
        for (&token, client) in &self.clients {
            let stuck =
                client.written < client.output.len() && client.head_since + QUEUE_GRACE <= now;
            let full = client
                .full_since
                .is_some_and(|since| since + QUEUE_GRACE <= now);
            match client.phase {
                Phase::Closing { until } if until <= now => cut.push(token),
                _ if stuck || full => cut.push(token),
                Phase::Naming { deadline } if deadline <= now => no_name.push(token),
                _ => {}
            }
        }
        for token in no_name {
            self.refuse(token, NO_NAME);
        }
        for token in cut {
            self.close(token);
        }
    }

    /// Accepts until the listener has nobody more waiting.
    fn accept_all(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => self.admit(stream),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    // Never the end of the server: try again in a moment.
                    self.accept_again = Some(Instant::now() + BACK_OFF);
                    return;
                }
            }
        }
    }

    /// Welcomes a new connection, and makes room among the unnamed ones if it must.
    fn admit(&mut self, mut stream: TcpStream) {
        if self.clients.len() >= MAX_CONNECTIONS {
            // A new socket has room for one short line; if not, there is nothing to be done.
            let _ = stream.write(FULL.as_bytes());
            return;
        }
        let token = Token(self.next_token);
        self.next_token += 1;
        let interest = Interest::READABLE | Interest::WRITABLE;
        if self
            .poll
            .registry()
            .register(&mut stream, token, interest)
            .is_err()
        {
            return;
        }
        let _ = stream.set_nodelay(true);
        let now = Instant::now();
        let mut client = Client {
            stream,
            phase: Phase::Naming {
                deadline: now + NAME_TIMEOUT,
            },
            input: Vec::new(),
            output: Vec::new(),
            written: 0,
            lines: 0,
            full_since: None,
            head_since: now,
            held: false,
            dirty: false,
            ended: false,
            shut: false,
        };
        client.push(format!("{WELCOME}\n").as_bytes());
        self.clients.insert(token, client);
        self.mark_dirty(token);
        self.unnamed.push_back(token);
        if self.unnamed.len() > MAX_UNNAMED
            && let Some(oldest) = self.unnamed.pop_front()
        {
            self.refuse(oldest, EVICTED);
        }
        // Its first bytes may have come before it was registered.
        self.serve(token);
    }

    fn mark_dirty(&mut self, token: Token) {
        if let Some(client) = self.clients.get_mut(&token)
            && !client.dirty
        {
            client.dirty = true;
            self.dirty.push(token);
        }
    }

    /// Reads from a client and acts on each whole line, until the socket has nothing more, the
    /// client is held (a line of its waits for room), or it is gone.
    fn serve(&mut self, token: Token) {
        let mut chunk = [0; CHUNK];
        loop {
            let Some(client) = self.clients.get_mut(&token) else {
                return;
            };
            let closing = matches!(client.phase, Phase::Closing { .. });
            if client.held && !closing {
                return;
            }
            if !closing {
                match client.next_line() {
                    Some(Ok(line)) => {
                        self.on_line(token, line);
                        continue;
                    }
                    Some(Err(refusal)) => {
                        self.refuse(token, refusal);
                        continue;
                    }
                    None => {}
                }
            }
            match client.stream.read(&mut chunk) {
                Ok(0) => return self.on_end(token),
                // A closing connection only discards.
                Ok(_) if closing => {}
                Ok(read) => client.input.extend_from_slice(&chunk[..read]),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return self.close(token),
            }
        }
    }

    /// The client ended its side. Bytes after its last line feed are not a line.
    fn on_end(&mut self, token: Token) {
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        client.ended = true;
        client.input.clear();
        match client.phase {
            // Never joined: nobody hears of it.
            Phase::Naming { .. } => self.close(token),
            // What is in its buffer still goes out, for as long as a line may take.
            Phase::Joined { .. } => {
                self.leave(token, Instant::now() + QUEUE_GRACE);
                self.finish_if_done(token);
            }
            Phase::Closing { .. } => self.finish_if_done(token),
        }
    }

    fn on_line(&mut self, token: Token, text: String) {
        let Some(client) = self.clients.get(&token) else {
            return;
        };
        match &client.phase {
            Phase::Naming { .. } => self.name(token, text),
            Phase::Joined { name } => {
                let line = format!("[{name}] {text}\n").into_bytes();
                let others = self.members_but(Some(token));
                self.deliver(Some(token), line, others);
            }
            Phase::Closing { .. } => {}
        }
    }

    /// The first line of a connection: its name.
    fn name(&mut self, token: Token, name: String) {
        self.unnamed.retain(|&waiting| waiting != token);
        let legal =
            (1..=16).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric());
        if !legal {
            return self.refuse(token, BAD_NAME);
        }
        let mut names: Vec<&str> = Vec::new();
        for client in self.clients.values() {
            if let Phase::Joined { name: other } = &client.phase {
                if other.eq_ignore_ascii_case(&name) {
                    let taken = format!("* error: {name} is already here\n");
                    return self.refuse(token, &taken);
                }
                names.push(other);
            }
        }
        names.sort_unstable();
        let mut room = String::from("* The room contains:");
        if !names.is_empty() {
            room = format!("{room} {}", names.join(", "));
        }
        room.push('\n');
        let others = self.members_but(Some(token));
        let entered = format!("* {name} has entered the room\n").into_bytes();
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        // Its buffer holds the welcome at most: there is room.
        client.push(room.as_bytes());
        client.phase = Phase::Joined { name };
        self.mark_dirty(token);
        self.deliver(Some(token), entered, others);
    }

    /// Every member but `token`.
    fn members_but(&self, token: Option<Token>) -> Vec<Token> {
        let members = self.clients.iter().filter(|(_, client)| client.is_member());
        members
            .map(|(&other, _)| other)
            .filter(|&other| Some(other) != token)
            .collect()
    }

    /// Appends `line` to the buffers of `to` that have room and no older line waiting for them;
    /// for the others it waits, holding its sender.
    fn deliver(&mut self, from: Option<Token>, line: Vec<u8>, to: Vec<Token>) {
        let mut later = Vec::new();
        for token in to {
            let behind = self.waiting.iter().any(|w| w.clients.contains(&token));
            let Some(client) = self.clients.get_mut(&token) else {
                continue;
            };
            if client.has_room() && !behind {
                client.push(&line);
                self.mark_dirty(token);
            } else {
                later.push(token);
            }
        }
        if later.is_empty() {
            return;
        }
        if let Some(client) = from.and_then(|from| self.clients.get_mut(&from)) {
            client.held = true;
        }
        self.waiting.push_back(Waiting {
            from,
            line,
            clients: later,
        });
    }

    /// Writes what is buffered for every dirty client, delivers the lines that waited for the
    /// room this made, and reads on from the senders they held; again, until nothing moves.
    fn catch_up(&mut self) {
        loop {
            while let Some(token) = self.dirty.pop() {
                self.flush(token);
            }
            if !self.settle() {
                return;
            }
        }
    }

    /// Writes as much of a client's buffer as its socket takes now.
    fn flush(&mut self, token: Token) {
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        client.dirty = false;
        let mut failed = false;
        while client.written < client.output.len() {
            match client.stream.write(&client.output[client.written..]) {
                Ok(0) => failed = true,
                Ok(sent) => {
                    let out = &client.output[client.written..client.written + sent];
                    let lines = out.iter().filter(|&&byte| byte == b'\n').count();
                    client.written += sent;
                    if lines > 0 {
                        client.lines = client.lines.saturating_sub(lines);
                        client.head_since = Instant::now();
                    }
                    continue;
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => failed = true,
            }
            break;
        }
        if failed {
            return self.close(token);
        }
        if client.written == client.output.len() {
            client.output.clear();
            client.written = 0;
        } else if client.written > client.output.len() / 2 {
            // Moving the rest to the front costs no more than the bytes already sent.
            client.output.drain(..client.written);
            client.written = 0;
        }
        if client.lines <= QUEUE_LINES / 2 {
            // It reads: when it fills up again, its grace period starts again.
            client.full_since = None;
        }
        self.finish_if_done(token);
    }

    /// Delivers waiting lines where there is room now, forgets clients that are gone, and reads
    /// on from every sender that is no longer held. True if anything changed.
    fn settle(&mut self) -> bool {
        let mut changed = false;
        let mut released = Vec::new();
        // Clients that had no room for an older line: a newer one may not pass it.
        let mut full: Vec<Token> = Vec::new();
        let mut index = 0;
        while index < self.waiting.len() {
            let waiting = &mut self.waiting[index];
            let before = waiting.clients.len();
            waiting.clients.retain(|&token| {
                let Some(client) = self.clients.get_mut(&token) else {
                    return false;
                };
                if !client.is_member() {
                    return false;
                }
                if full.contains(&token) || !client.has_room() {
                    full.push(token);
                    return true;
                }
                client.push(&waiting.line);
                if !client.dirty {
                    client.dirty = true;
                    self.dirty.push(token);
                }
                false
            });
            changed |= waiting.clients.len() != before;
            if waiting.clients.is_empty() {
                if let Some(done) = self.waiting.remove(index)
                    && let Some(from) = done.from
                {
                    released.push(from);
                }
            } else {
                index += 1;
            }
        }
        for token in released {
            if let Some(client) = self.clients.get_mut(&token) {
                client.held = false;
                changed = true;
                self.serve(token);
            }
        }
        changed
    }

    /// Ends a connection with one `* error:` line: the line goes out after what is buffered,
    /// then the end of the stream, then the connection lingers.
    fn refuse(&mut self, token: Token, line: &str) {
        self.unnamed.retain(|&waiting| waiting != token);
        self.leave(token, Instant::now() + QUEUE_GRACE + LINGER);
        if let Some(client) = self.clients.get_mut(&token) {
            client.input.clear();
            client.push(line.as_bytes());
            self.mark_dirty(token);
        }
    }

    /// Puts a connection in its closing phase, until `until`; if it was in the room, the others
    /// hear that it left.
    fn leave(&mut self, token: Token, until: Instant) {
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        if let Phase::Closing { .. } = client.phase {
            return;
        }
        if let Phase::Joined { name } =
            std::mem::replace(&mut client.phase, Phase::Closing { until })
        {
            self.announce_left(&name);
        }
    }

    fn announce_left(&mut self, name: &str) {
        let line = format!("* {name} has left the room\n").into_bytes();
        let members = self.members_but(None);
        self.deliver(None, line, members);
    }

    /// A closing connection whose buffer is out: shut our side down, and drop it once the client
    /// has ended its side too.
    fn finish_if_done(&mut self, token: Token) {
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        if !matches!(client.phase, Phase::Closing { .. }) || client.written < client.output.len() {
            return;
        }
        if !client.shut {
            client.shut = true;
            let _ = client.stream.shutdown(Shutdown::Write);
        }
        if client.ended {
            self.close(token);
        }
    }

    /// Drops a connection at once; if it was in the room, the others hear that it left.
    fn close(&mut self, token: Token) {
        let Some(mut client) = self.clients.remove(&token) else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut client.stream);
        self.unnamed.retain(|&waiting| waiting != token);
        if let Phase::Joined { name } = client.phase {
            self.announce_left(&name);
        }
    }
}

#[cfg(test)]
#[path = "../../../exercises/ch09-one-thread/src/tests.rs"]
mod tests;
