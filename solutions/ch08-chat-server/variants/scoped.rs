//! Scoped threads: the acceptor runs each connection in a `thread::scope`, and each connection runs its writer in a scope of its own that borrows the one socket (no `try_clone`, one descriptor per client); the room is a `Mutex<HashMap>` keyed by the lowercased name; lines come from `BufReader::read_until` through `take`, over a reader that waits with `peek`; a queue is a `Vec` that the writer swaps out whole, and its grace runs from the line that filled it.
//!
//! A sender queues its line for each member in turn, with no lock held but that member's queue.
//! A queue remembers when it filled up, and forgets it once its writer has brought it back to
//! half empty; a sender that finds it full waits for room until the grace period, counted from
//! then, has passed, and then hangs the client up. Queues that filled up together run out of
//! grace together, so clients that stop reading at the same time cost the sender one grace
//! period in all.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

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

/// The read timeout of every socket: how often a waiting reader looks at its flags.
const TICK: Duration = Duration::from_millis(250);

/// How long a closing connection reads and discards what its client still sends.
const LINGER: Duration = Duration::from_secs(2);

/// The most members of the room.
const MAX_MEMBERS: usize = 1000;

/// The most connections waiting for a name; one more hangs up the one that has waited longest.
const MAX_UNNAMED: usize = 100;

/// The most connections served at once (members, unnamed ones, and those on their way out):
/// with a writer each for the members, a bound on the threads.
const MAX_CONNECTIONS: usize = MAX_MEMBERS + 2 * MAX_UNNAMED;

/// The most bytes a writer sends in one write (with one deadline).
const CHUNK_BYTES: usize = 64 * 1024;

/// The capacity of a reader's buffer.
const READ_BYTES: usize = 8 * 1024;

/// How long the acceptor pauses after `accept` fails (out of descriptors, usually).
const BACKOFF: Duration = Duration::from_millis(20);

/// What a client the server has no thread for is told.
const NO_ROOM: &str = "* error: the server cannot take another client now; try again later\n";

/// A running chat server. [`Server::shutdown`] stops it; a dropped one serves on.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: JoinHandle<()>,
}

impl Server {
    /// Binds `addr` (any address, IPv6 and port 0 included) and starts serving on a thread of its
    /// own; returns as soon as the server accepts connections.
    pub fn start(addr: SocketAddr) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let acceptor = thread::Builder::new().name("chat-acceptor".into()).spawn({
            let shared = Arc::clone(&shared);
            move || serve_all(listener, &shared)
        })?;
        Ok(Server {
            addr,
            shared,
            acceptor,
        })
    }

    /// The address the server listens on, with the port the operating system chose for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server. When it returns, new connections are refused, every client has seen the
    /// end of the stream, and every thread the server started has been joined.
    pub fn shutdown(self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the acceptor out of `accept`; it sees the flag, and its scope joins the rest.
        let wake = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, self.addr.port()).into(),
            IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, self.addr.port()).into(),
            _ => self.addr,
        };
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        let _ = self.acceptor.join();
    }
}

/// What the acceptor and the connections share.
#[derive(Default)]
struct Shared {
    stopping: AtomicBool,
    /// The members, by their name in lower case: one lookup finds a name taken in any case.
    room: Mutex<HashMap<String, Member>>,
    /// The connections waiting for a name, by order of arrival, each with its hang-up flag.
    unnamed: Mutex<BTreeMap<u64, Arc<AtomicBool>>>,
    /// Connection threads running.
    connections: AtomicUsize,
}

struct Member {
    name: String,
    inbox: Arc<Inbox>,
}

/// Why a client with a legal name was not let in.
enum Refused {
    Taken,
    Full,
    Stopping,
}

impl Shared {
    fn room(&self) -> MutexGuard<'_, HashMap<String, Member>> {
        // Changes are single inserts and removals: a poisoned room is still a consistent one.
        self.room.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn unnamed(&self) -> MutexGuard<'_, BTreeMap<u64, Arc<AtomicBool>>> {
        self.unnamed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts connection `id` among those waiting for a name, hanging up the longest-waiting
    /// ones beyond [`MAX_UNNAMED`].
    fn waits_for_name(&self, id: u64, hang_up: Arc<AtomicBool>) {
        let mut unnamed = self.unnamed();
        unnamed.insert(id, hang_up);
        while unnamed.len() > MAX_UNNAMED {
            if let Some((_, oldest)) = unnamed.pop_first() {
                oldest.store(true, Ordering::SeqCst);
            }
        }
    }

    fn no_longer_waits(&self, id: u64) {
        self.unnamed().remove(&id);
    }

    /// Lets `name` in, unless it is taken (in any case), the room is full or the server stops.
    /// Under the same lock: the room line goes to the newcomer, and the others' queues are
    /// returned, to tell them.
    fn enter(&self, name: &str, inbox: &Arc<Inbox>) -> Result<Vec<Arc<Inbox>>, Refused> {
        let key = name.to_ascii_lowercase();
        let mut room = self.room();
        if self.stopping.load(Ordering::SeqCst) {
            return Err(Refused::Stopping);
        }
        if room.contains_key(&key) {
            return Err(Refused::Taken);
        }
        if room.len() >= MAX_MEMBERS {
            return Err(Refused::Full);
        }
        let mut names: Vec<&str> = room.values().map(|member| member.name.as_str()).collect();
        names.sort_unstable();
        let line = if names.is_empty() {
            "* The room contains nobody else\n".to_owned()
        } else {
            format!("* The room contains: {}\n", names.join(", "))
        };
        // A new queue: there is room for its first line.
        inbox.push(&line.into(), &self.stopping);
        let others = room
            .values()
            .map(|member| Arc::clone(&member.inbox))
            .collect();
        let member = Member {
            name: name.to_owned(),
            inbox: Arc::clone(inbox),
        };
        room.insert(key, member);
        Ok(others)
    }

    /// The queues of every member but the one whose queue is `mine`.
    fn others(&self, mine: &Arc<Inbox>) -> Vec<Arc<Inbox>> {
        self.room()
            .values()
            .filter(|member| !Arc::ptr_eq(&member.inbox, mine))
            .map(|member| Arc::clone(&member.inbox))
            .collect()
    }

    /// Takes the member whose queue is `mine` out of the room; the queues of those to tell, if
    /// it was still in (the room is emptied at shutdown, and then nobody is told).
    fn leave(&self, name: &str, mine: &Arc<Inbox>) -> Option<Vec<Arc<Inbox>>> {
        let key = name.to_ascii_lowercase();
        let mut room = self.room();
        if !room
            .get(&key)
            .is_some_and(|member| Arc::ptr_eq(&member.inbox, mine))
        {
            return None;
        }
        room.remove(&key);
        Some(
            room.values()
                .map(|member| Arc::clone(&member.inbox))
                .collect(),
        )
    }

    /// Queues `line` for each of `to`, one after the other, with no lock held but that one
    /// queue's.
    fn deliver(&self, line: &Arc<str>, to: &[Arc<Inbox>]) {
        for inbox in to {
            inbox.push(line, &self.stopping);
        }
    }
}

/// Accepts connections until the server stops. Every connection runs on a thread of the
/// scope, so when the scope ends, every one of them has been joined.
fn serve_all(listener: TcpListener, shared: &Shared) {
    thread::scope(|scope| {
        let mut arrivals: u64 = 0;
        for incoming in listener.incoming() {
            if shared.stopping.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = incoming else {
                thread::sleep(BACKOFF);
                continue;
            };
            // The timeouts belong to the socket: the writer, which borrows it, has them too.
            if stream.set_read_timeout(Some(TICK)).is_err()
                || stream.set_write_timeout(Some(QUEUE_GRACE)).is_err()
            {
                continue;
            }
            let _ = stream.set_nodelay(true);
            let unserved = Unserved(Some(stream));
            if shared.connections.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                // Dropping it tells the client.
                continue;
            }
            arrivals += 1;
            let id = arrivals;
            let hang_up = Arc::new(AtomicBool::new(false));
            shared.waits_for_name(id, Arc::clone(&hang_up));
            shared.connections.fetch_add(1, Ordering::SeqCst);
            let spawned = thread::Builder::new()
                .name(format!("chat-client-{id}"))
                .spawn_scoped(scope, move || {
                    if let Some(stream) = unserved.take() {
                        converse(&stream, id, hang_up, shared);
                    }
                    shared.connections.fetch_sub(1, Ordering::SeqCst);
                });
            if spawned.is_err() {
                // The closure, and the socket in it, were dropped: the client has been told.
                shared.no_longer_waits(id);
                shared.connections.fetch_sub(1, Ordering::SeqCst);
            }
        }
        // From here on, connecting is refused.
        drop(listener);
        // Emptied without a word, so that nobody hears that everybody else left. Every
        // connection sees the flag within a tick and ends; the scope waits for them.
        shared.room().clear();
    });
}

/// A socket on its way to its thread. If the thread never runs (none could be had), dropping
/// this tells the client why.
struct Unserved(Option<TcpStream>);

impl Unserved {
    fn take(mut self) -> Option<TcpStream> {
        self.0.take()
    }
}

impl Drop for Unserved {
    fn drop(&mut self) {
        if let Some(mut stream) = self.0.take() {
            let _ = stream.write_all(NO_ROOM.as_bytes());
        }
    }
}

/// A read or write that ran into the socket's timeout: `WouldBlock` on Unix, `TimedOut` on
/// Windows.
fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Why a reader stopped waiting.
#[derive(Clone, Copy)]
enum Halt {
    Stopping,
    HungUp,
    OutOfTime,
}

/// The socket as a reader that waits patiently: it waits for data with `peek` (a receive that
/// times out may lose data on Windows; a peek has nothing to lose), looks at its flags at every
/// timeout, and fails once one of them says to stop waiting.
struct Patient<'a> {
    stream: &'a TcpStream,
    stopping: &'a AtomicBool,
    hang_up: Option<Arc<AtomicBool>>,
    deadline: Option<Instant>,
}

impl Patient<'_> {
    fn halt(&self) -> Option<Halt> {
        if self.stopping.load(Ordering::SeqCst) {
            Some(Halt::Stopping)
        } else if self
            .hang_up
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::SeqCst))
        {
            Some(Halt::HungUp)
        } else if self.deadline.is_some_and(|at| Instant::now() >= at) {
            Some(Halt::OutOfTime)
        } else {
            None
        }
    }
}

impl Read for Patient<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.halt().is_some() {
                return Err(io::Error::other("stopped waiting for the client"));
            }
            match self.stream.peek(&mut [0]) {
                Ok(_) => {}
                Err(error) if is_timeout(&error) || error.kind() == io::ErrorKind::Interrupted => {
                    continue;
                }
                Err(error) => return Err(error),
            }
            match { self.stream }.read(buf) {
                Err(error) if is_timeout(&error) => {}
                done => return done,
            }
        }
    }
}

/// What a client sent next.
enum Next {
    Line(String),
    /// The client is gone (a half line is dropped), or `Some` reason stopped the wait.
    Over(Option<Halt>),
    TooLong,
    NotUtf8,
}

/// Reads one line of at most [`MAX_LINE_BYTES`] (and `\r\n`): `take` stops `read_until` one byte
/// past what a legal line may hold, so no client makes the server hold more.
fn next_line(reader: &mut BufReader<Patient>, line: &mut Vec<u8>) -> Next {
    let most = MAX_LINE_BYTES as u64 + 2;
    line.clear();
    if reader.by_ref().take(most).read_until(b'\n', line).is_err() {
        return Next::Over(reader.get_ref().halt());
    }
    if line.last() != Some(&b'\n') {
        return if line.len() as u64 == most {
            Next::TooLong
        } else {
            Next::Over(None)
        };
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if line.len() > MAX_LINE_BYTES {
        return Next::TooLong;
    }
    match std::str::from_utf8(line) {
        Ok(text) => Next::Line(text.to_owned()),
        Err(_) => Next::NotUtf8,
    }
}

/// The `* error:` line for a line that was refused, if it was.
fn refusal(next: &Next) -> Option<String> {
    match next {
        Next::TooLong => Some(format!(
            "* error: a line may hold {MAX_LINE_BYTES} bytes at most\n"
        )),
        Next::NotUtf8 => Some("* error: that line was not UTF-8\n".to_owned()),
        Next::Line(_) | Next::Over(_) => None,
    }
}

/// True for 1 to 16 ASCII letters and digits.
fn legal(name: &str) -> bool {
    !name.is_empty() && name.len() <= 16 && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// One connection: welcome, name, then its lines until it leaves. Its writer runs in a scope of
/// its own and borrows the same socket.
fn converse(stream: &TcpStream, id: u64, hang_up: Arc<AtomicBool>, shared: &Shared) {
    let patient = Patient {
        stream,
        stopping: &shared.stopping,
        hang_up: Some(hang_up),
        deadline: Some(Instant::now() + NAME_TIMEOUT),
    };
    let mut reader = BufReader::with_capacity(READ_BYTES, patient);
    let mut line = Vec::new();
    let first = match { stream }.write_all(format!("{WELCOME}\n").as_bytes()) {
        Ok(()) => next_line(&mut reader, &mut line),
        Err(_) => Next::Over(None),
    };
    shared.no_longer_waits(id);
    let name = match first {
        Next::Line(name) => name,
        Next::Over(Some(Halt::OutOfTime)) => {
            let why = format!(
                "* error: you sent no name in {} seconds\n",
                NAME_TIMEOUT.as_secs()
            );
            return refuse(&mut reader, &why);
        }
        Next::Over(Some(Halt::HungUp)) => {
            let why = "* error: too many connections wait for a name; try again\n";
            return refuse(&mut reader, why);
        }
        Next::Over(_) => return,
        refused => return refuse(&mut reader, &refusal(&refused).unwrap_or_default()),
    };
    if !legal(&name) {
        return refuse(
            &mut reader,
            "* error: names are 1 to 16 letters or digits\n",
        );
    }
    let inbox = Arc::new(Inbox::default());
    reader.get_mut().deadline = None;
    reader.get_mut().hang_up = Some(Arc::clone(&inbox.hung_up));

    thread::scope(|scope| {
        let writer = thread::Builder::new()
            .name(format!("chat-writer-{id}"))
            .spawn_scoped(scope, || pump(stream, &inbox, &shared.stopping));
        if writer.is_err() {
            return refuse(&mut reader, NO_ROOM);
        }
        let others = match shared.enter(&name, &inbox) {
            Ok(others) => others,
            Err(refused) => {
                inbox.close(None);
                let why = match refused {
                    Refused::Taken => format!("* error: {name} is already in the room\n"),
                    Refused::Full => "* error: the room is full; try again later\n".to_owned(),
                    Refused::Stopping => return,
                };
                // The writer has ended, or ends at once: the socket is ours again.
                return refuse(&mut reader, &why);
            }
        };
        shared.deliver(&format!("* {name} has entered the room\n").into(), &others);
        drop(others);

        let ending = loop {
            match next_line(&mut reader, &mut line) {
                Next::Line(text) => {
                    let said: Arc<str> = format!("[{name}] {text}\n").into();
                    shared.deliver(&said, &shared.others(&inbox));
                }
                over => break over,
            }
        };
        if let Some(others) = shared.leave(&name, &inbox)
            && !shared.stopping.load(Ordering::SeqCst)
        {
            shared.deliver(&format!("* {name} has left the room\n").into(), &others);
        }
        let Some(why) = refusal(&ending) else {
            inbox.close(None);
            return;
        };
        // The writer sends the error line last, then shuts our side down; meanwhile we read
        // and discard what the client still sends, until it closes.
        inbox.close(Some(why.into()));
        discard(&mut reader, QUEUE_GRACE + LINGER);
    });
}

/// Tells a client why it is turned away, then closes gracefully: our side first, then whatever
/// it still sends is read and discarded for a while. Closing a socket with unread bytes in it
/// sends a reset, which can destroy the last line before the client has read it.
fn refuse(reader: &mut BufReader<Patient>, why: &str) {
    let stream = reader.get_ref().stream;
    let _ = { stream }.write_all(why.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
    discard(reader, LINGER);
}

/// Reads and throws away what the client sends until it closes, the server stops, or `linger`
/// has passed.
fn discard(reader: &mut BufReader<Patient>, linger: Duration) {
    let patient = reader.get_mut();
    patient.hang_up = None;
    patient.deadline = Some(Instant::now() + linger);
    let _ = io::copy(reader, &mut io::sink());
}

/// One client's queue of lines.
#[derive(Default)]
struct Inbox {
    pending: Mutex<Pending>,
    /// Signalled when lines are added or written, and when the queue closes or is given up.
    moved: Condvar,
    /// Set when the client is given up on (too slow, or gone): its reader sees it and leaves.
    hung_up: Arc<AtomicBool>,
}

#[derive(Default)]
struct Pending {
    lines: Vec<Arc<str>>,
    /// Lines the writer has taken and not yet written; they count against the bound.
    writing: usize,
    /// When the queue last filled up; forgotten once it is back to half empty.
    full_since: Option<Instant>,
    /// No more lines are taken; the writer sends the rest, then ends.
    closed: bool,
    /// The writer shuts the sending side down after the rest (the connection is refused).
    shut_after: bool,
    /// The client has been given up on: nothing more is sent.
    given_up: bool,
}

impl Inbox {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // Every change is a single step: a poisoned queue is still a consistent one.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `line`. A full queue is waited for until it has been full for the grace period
    /// (counted from when it filled up, whoever waited before); then its client is given up on.
    fn push(&self, line: &Arc<str>, stopping: &AtomicBool) {
        let mut pending = self.lock();
        loop {
            if pending.closed || pending.given_up {
                return;
            }
            let waiting = pending.lines.len() + pending.writing;
            if waiting < QUEUE_LINES {
                pending.lines.push(Arc::clone(line));
                if waiting + 1 == QUEUE_LINES {
                    pending.full_since.get_or_insert_with(Instant::now);
                }
                drop(pending);
                self.moved.notify_all();
                return;
            }
            if stopping.load(Ordering::SeqCst) {
                return;
            }
            let since = *pending.full_since.get_or_insert_with(Instant::now);
            let left = (since + QUEUE_GRACE).saturating_duration_since(Instant::now());
            if left.is_zero() {
                drop(pending);
                return self.give_up();
            }
            pending = match self.moved.wait_timeout(pending, left.min(TICK)) {
                Ok((pending, _)) => pending,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Takes no more lines after `last`; the writer ends once it has sent them (and then, if
    /// there is a `last` line, shuts the sending side down).
    fn close(&self, last: Option<Arc<str>>) {
        let mut pending = self.lock();
        if let Some(last) = last {
            pending.lines.push(last);
            pending.shut_after = true;
        }
        pending.closed = true;
        drop(pending);
        self.moved.notify_all();
    }

    /// The client is too slow, or gone: drop its lines, stop its writer and its reader.
    fn give_up(&self) {
        let mut pending = self.lock();
        pending.given_up = true;
        pending.lines.clear();
        drop(pending);
        self.hung_up.store(true, Ordering::SeqCst);
        self.moved.notify_all();
    }

    /// `count` lines have been written.
    fn written(&self, count: usize) {
        let mut pending = self.lock();
        pending.writing -= count;
        if pending.lines.len() + pending.writing <= QUEUE_LINES / 2 {
            pending.full_since = None;
        }
        drop(pending);
        self.moved.notify_all();
    }
}

/// The writer: swaps the queue's lines out, whole, and writes them in chunks, each with one
/// deadline. Ends when the queue closes and is empty, on shutdown, or when a write fails or
/// misses its deadline (the client is gone or has stopped reading).
fn pump(stream: &TcpStream, inbox: &Inbox, stopping: &AtomicBool) {
    let mut bytes = Vec::with_capacity(CHUNK_BYTES);
    loop {
        let mut pending = inbox.lock();
        while pending.lines.is_empty() && !pending.closed && !pending.given_up {
            if stopping.load(Ordering::SeqCst) {
                return;
            }
            pending = match inbox.moved.wait_timeout(pending, TICK) {
                Ok((pending, _)) => pending,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        if pending.given_up || stopping.load(Ordering::SeqCst) {
            return;
        }
        if pending.lines.is_empty() {
            if pending.shut_after {
                let _ = stream.shutdown(Shutdown::Write);
            }
            return;
        }
        let batch = std::mem::take(&mut pending.lines);
        pending.writing = batch.len();
        drop(pending);

        let mut rest = &batch[..];
        while !rest.is_empty() {
            bytes.clear();
            let mut count = 0;
            for line in rest {
                if count > 0 && bytes.len() + line.len() > CHUNK_BYTES {
                    break;
                }
                bytes.extend_from_slice(line.as_bytes());
                count += 1;
            }
            if write_within(stream, &bytes, QUEUE_GRACE).is_err() {
                return inbox.give_up();
            }
            inbox.written(count);
            rest = &rest[count..];
            if stopping.load(Ordering::SeqCst) {
                return;
            }
        }
    }
}

/// Writes all of `bytes` within `grace`, one deadline for the whole: a write timeout alone
/// applies to each `write`, and a client that has stopped reading still takes a few bytes now
/// and then.
fn write_within(stream: &TcpStream, bytes: &[u8], grace: Duration) -> io::Result<()> {
    let deadline = Instant::now() + grace;
    let mut sent = 0;
    while sent < bytes.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::from(io::ErrorKind::TimedOut));
        }
        stream.set_write_timeout(Some(left))?;
        match { stream }.write(&bytes[sent..]) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(count) => sent += count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "../../../exercises/ch08-chat-server/src/tests.rs"]
mod tests;
