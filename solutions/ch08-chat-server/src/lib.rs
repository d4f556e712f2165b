//! The capstone's reference solution: a multi-client chat server that speaks the Budget Chat
//! protocol (as the book's capstone chapter states it), with a bounded queue per client and a
//! graceful shutdown.
//!
//! The threads: one acceptor; for every connection a reader (which also runs the conversation)
//! and, once the client has joined, a writer. The room is the only shared state, behind one
//! mutex. Lines reach a client only through its bounded queue, and the room's lock is held only
//! to see who is in the room, never while writing to a socket or waiting for a queue. A sender
//! whose line finds a queue full waits for its writer to make room, for at most
//! [`QUEUE_GRACE`]; a client whose queue stays full that long has stopped reading, and is
//! disconnected.
//!
//! Stopping is portable: no thread relies on another to wake it from a blocking call. On Linux
//! and macOS, `shutdown` on a socket wakes a `read` blocked on it in another thread; on Windows it
//! does not (rust-lang/rust#121594). So every socket has a read timeout of [`TICK`], and a reader
//! waiting for its client looks at two flags each tick: the server's "stopping" and its own
//! connection's "hung up". Every write has a timeout of [`QUEUE_GRACE`]: a client that takes no
//! bytes for that long has stopped reading, and its connection is hung up.

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The longest line a client may send, in bytes, without its line feed (and an optional `\r`).
pub const MAX_LINE_BYTES: usize = 4096;

/// The most lines waiting for one client. A line that finds the queue full waits for room.
pub const QUEUE_LINES: usize = 256;

/// How long a line waits for room in a full queue before its client is disconnected as too
/// slow. A client that reads, however fast the others send, makes room within milliseconds; one
/// that has stopped reading never does, and holds up the sender for this long, once.
pub const QUEUE_GRACE: Duration = Duration::from_secs(2);

/// The most clients in the room at once; each costs two threads and two descriptors, so this
/// bounds those too.
pub const MAX_CLIENTS: usize = 1000;

/// How long a new connection may take to send a valid name before it is told so and closed.
pub const NAME_TIMEOUT: Duration = Duration::from_secs(10);

/// The most connections waiting to send their name, apart from the joined clients' places. When
/// one more arrives, the one that has waited longest is told so and closed: a flood of silent
/// connections cannot keep a real client out, nor take the places of the joined ones.
pub const MAX_UNNAMED: usize = 100;

/// The first line every client receives.
pub const WELCOME: &str = "Welcome to budgetchat! What shall I call you?";

/// How long a reader waits in one `read` before it looks at the stop flags again: the most a
/// shutdown waits for a reader whose client is silent.
const TICK: Duration = Duration::from_millis(250);

/// How long a closing connection keeps reading (and discarding) what the client still sends, so
/// that its last line is not destroyed by a reset.
const LINGER: Duration = Duration::from_secs(2);

/// The most bytes the writer gathers from its queue into one `write_all`.
const BATCH_BYTES: usize = 64 * 1024;

/// The most lines from one client that are relayed as one batch.
const BURST_LINES: usize = 64;

/// One or more lines on their way to clients, each with its line feed. Shared, because a
/// broadcast puts the same batch in every queue; several lines that arrived together travel as
/// one batch, so a writer can send them in one write.
#[derive(Clone)]
struct Batch {
    text: Arc<str>,
    lines: usize,
}

impl Batch {
    fn line(text: String) -> Batch {
        Batch {
            text: text.into(),
            lines: 1,
        }
    }
}

/// The sending end of a client's queue, with the count of lines waiting in it.
#[derive(Clone)]
struct Outbox {
    sender: SyncSender<Batch>,
    space: Arc<Space>,
}

/// What the senders to one client and its writer share: how many lines wait, and a way to wait
/// for fewer.
struct Space {
    lines: Mutex<Waiting>,
    /// Signalled by the writer whenever it has sent lines, or has ended.
    freed: Condvar,
    /// Set to end the connection: its reader sees it within a [`TICK`] and leaves.
    hung_up: Arc<AtomicBool>,
    /// The writer's handle of the client's socket.
    stream: TcpStream,
}

/// The lines in a client's queue and in its writer's hands, not yet written.
struct Waiting {
    lines: usize,
    /// False once the writer has ended: nothing queued from then on would be sent.
    open: bool,
    /// Since when the queue has been full: from when a sender first found it too full, until
    /// the writer has brought it back to half empty. The grace period runs from here, however
    /// many senders wait, one after the other.
    full_since: Option<Instant>,
}

/// What became of a batch offered to a queue.
#[derive(PartialEq)]
enum Offered {
    Queued,
    /// The queue stayed too full for the batch for as long as the sender would wait.
    Full,
    /// The writer has ended: the client is gone, or going.
    Gone,
}

impl Space {
    fn lines(&self) -> MutexGuard<'_, Waiting> {
        // The count is updated in single steps, so a poisoned lock still holds a true count.
        self.lines.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts `sent` lines as written (or, when the writer ends, every line as dead), and wakes
    /// the senders waiting for room.
    fn free(&self, sent: usize, open: bool) {
        let mut waiting = self.lines();
        waiting.lines -= sent;
        waiting.open &= open;
        if waiting.lines <= QUEUE_LINES / 2 {
            // The client reads: its grace period starts again. Not at the first line sent: a
            // client that has stopped reading still takes a few bytes now and then (its system
            // squeezes what it holds to make room), and those must not reset the clock.
            waiting.full_since = None;
        }
        drop(waiting);
        self.freed.notify_all();
    }

    /// Ends the connection: nothing more is queued for it, the senders waiting for room stop
    /// waiting, and its reader leaves the room within a [`TICK`]. Its writer, if it is blocked in
    /// a write, gives up when that write times out.
    fn hang_up(&self) {
        self.hung_up.store(true, Ordering::SeqCst);
        self.free(0, false);
    }
}

impl Outbox {
    /// A new, empty queue for the client on `stream`, whose connection ends when `hung_up` is
    /// set: the outbox for the room, the receiving end for the writer thread.
    fn new(stream: TcpStream, hung_up: Arc<AtomicBool>) -> (Outbox, Receiver<Batch>) {
        // Every batch holds at least one line, so the count of lines is the bound that bites.
        let (sender, receiver) = mpsc::sync_channel(QUEUE_LINES);
        let space = Arc::new(Space {
            lines: Mutex::new(Waiting {
                lines: 0,
                open: true,
                full_since: None,
            }),
            freed: Condvar::new(),
            hung_up,
            stream,
        });
        (Outbox { sender, space }, receiver)
    }

    /// Queues `batch` unless that would leave more than [`QUEUE_LINES`] lines waiting; if it
    /// would and `wait` is true, waits for the writer to make room, until the queue has been
    /// full for [`QUEUE_GRACE`] (counted from when it first was, not from when this sender
    /// came). Holds no lock but this client's count while it waits, so nobody else is held up
    /// but the sender.
    fn offer(&self, batch: &Batch, wait: bool) -> Offered {
        let too_full =
            |waiting: &mut Waiting| waiting.open && waiting.lines + batch.lines > QUEUE_LINES;
        let mut waiting = self.space.lines();
        if too_full(&mut waiting) {
            let since = *waiting.full_since.get_or_insert_with(Instant::now);
            let patience = (since + QUEUE_GRACE).saturating_duration_since(Instant::now());
            if wait && !patience.is_zero() {
                waiting = match self
                    .space
                    .freed
                    .wait_timeout_while(waiting, patience, too_full)
                {
                    Ok((waiting, _)) => waiting,
                    Err(poisoned) => poisoned.into_inner().0,
                };
            }
        }
        if !waiting.open {
            return Offered::Gone;
        }
        if too_full(&mut waiting) {
            return Offered::Full;
        }
        // Counted before it is sent, so that two senders cannot both take the last place.
        waiting.lines += batch.lines;
        drop(waiting);
        match self.sender.try_send(batch.clone()) {
            Ok(()) => Offered::Queued,
            Err(_) => {
                // The writer is gone without saying so (it never started): say it for it.
                self.space.free(batch.lines, false);
                Offered::Gone
            }
        }
    }

    /// Disconnects the client: its reader leaves the room within a [`TICK`], telling the others.
    fn disconnect(&self) {
        self.space.hang_up();
    }
}

/// Queues `batch` for every one of `receivers`. Those with room get it at once; then, for each
/// whose queue was full, the sender waits until that queue has been full for [`QUEUE_GRACE`],
/// and disconnects a client whose queue stays full that long. Queues that filled up together
/// run out of grace together, so clients that stopped reading at the same time hold the sender
/// up for one grace period in all, not one each. Called with no lock held.
fn deliver(receivers: &[Outbox], batch: &Batch) {
    let mut full = Vec::new();
    for outbox in receivers {
        if outbox.offer(batch, false) == Offered::Full {
            full.push(outbox);
        }
    }
    for outbox in full {
        if outbox.offer(batch, true) == Offered::Full {
            outbox.disconnect();
        }
    }
}

/// A running chat server. [`Server::shutdown`] stops it; dropping it leaves it running until the
/// process ends.
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
            move || accept_loop(listener, shared)
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
        // `accept` blocks until someone connects, so we connect: the acceptor wakes up, sees
        // the flag, and stops.
        let _ = TcpStream::connect(wake_addr(self.addr));
        let _ = self.acceptor.join();
    }
}

/// Where to connect to reach a listener bound to `addr`: an unspecified address (`0.0.0.0`,
/// `::`) listens on loopback too.
fn wake_addr(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// What every thread of the server shares.
#[derive(Default)]
struct Shared {
    room: Mutex<Room>,
    /// The connections still waiting to send a name, the longest-waiting first, each with the
    /// flag that hangs it up.
    unnamed: Mutex<VecDeque<(u64, Arc<AtomicBool>)>>,
    /// Set by [`Server::shutdown`]: every reader sees it within a [`TICK`] and ends.
    stopping: AtomicBool,
}

impl Shared {
    fn unnamed(&self) -> MutexGuard<'_, VecDeque<(u64, Arc<AtomicBool>)>> {
        // Every change is a single push or removal: a poisoned list is still a true one.
        self.unnamed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new connection among those waiting for a name. When [`MAX_UNNAMED`] already
    /// wait, the one that has waited longest is hung up: its reader tells it so and closes.
    fn awaits_name(&self, id: u64, hung_up: Arc<AtomicBool>) {
        let mut unnamed = self.unnamed();
        if unnamed.len() >= MAX_UNNAMED
            && let Some((_, oldest)) = unnamed.pop_front()
        {
            oldest.store(true, Ordering::SeqCst);
        }
        unnamed.push_back((id, hung_up));
    }

    /// The connection `id` no longer waits for a name: it has one, or it is gone.
    fn named(&self, id: u64) {
        self.unnamed().retain(|(waiting, _)| *waiting != id);
    }

    fn room(&self) -> MutexGuard<'_, Room> {
        // No thread panics while holding the lock, but if one did the room is still consistent:
        // every change to it is a single insert or remove.
        self.room.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `batch` for every member but `from`. The lock is held only to see who is in the
    /// room; the queueing, and any waiting for room, happen after it is released.
    fn broadcast(&self, from: Option<u64>, batch: &Batch) {
        let receivers = self.room().receivers(from);
        deliver(&receivers, batch);
    }
}

/// The joined clients, by connection number.
#[derive(Default)]
struct Room {
    members: HashMap<u64, Member>,
}

/// One joined client, as the room sees it.
struct Member {
    name: String,
    /// The client's bounded queue; its writer thread empties it onto the socket.
    outbox: Outbox,
}

/// Why a client with a valid name could not join.
enum JoinRefusal {
    /// Someone in the room has the same name, ignoring ASCII case.
    Taken,
    /// The room has [`MAX_CLIENTS`] members.
    Full,
}

impl Room {
    /// Adds a client, unless its name is taken (ignoring ASCII case: `Alice` would pass for
    /// `alice`) or the room is full: it gets the list of the others. Returns their outboxes, to
    /// tell them that it entered; taken under the same lock as the insert, so that exactly the
    /// clients in its list hear of it.
    fn join(&mut self, id: u64, name: &str, outbox: Outbox) -> Result<Vec<Outbox>, JoinRefusal> {
        if self
            .members
            .values()
            .any(|member| member.name.eq_ignore_ascii_case(name))
        {
            return Err(JoinRefusal::Taken);
        }
        if self.members.len() >= MAX_CLIENTS {
            return Err(JoinRefusal::Full);
        }
        let mut others: Vec<&str> = self.members.values().map(|m| m.name.as_str()).collect();
        others.sort_unstable();
        let contains = format!("* The room contains:{}\n", list_of(&others));
        // The queue is new and empty, so this line is first in it and cannot fail.
        let _ = outbox.offer(&Batch::line(contains), false);
        let member = Member {
            name: name.to_owned(),
            outbox,
        };
        self.members.insert(id, member);
        Ok(self.receivers(Some(id)))
    }

    /// Removes a client. Returns the line saying it left and the outboxes of those to tell.
    fn leave(&mut self, id: u64) -> Option<(Batch, Vec<Outbox>)> {
        let member = self.members.remove(&id)?;
        let left = Batch::line(format!("* {} has left the room\n", member.name));
        Some((left, self.receivers(None)))
    }

    /// The outboxes of every member but `from`: a copy, so that the lock can be released
    /// before anything is queued.
    fn receivers(&self, from: Option<u64>) -> Vec<Outbox> {
        let mut receivers = Vec::with_capacity(self.members.len());
        for (&id, member) in &self.members {
            if Some(id) == from {
                continue;
            }
            receivers.push(member.outbox.clone());
        }
        receivers
    }
}

/// The names after the colon of the room line: ` alice, bob`, or nothing for an empty room.
fn list_of(names: &[&str]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        format!(" {}", names.join(", "))
    }
}

/// Accepts connections until shutdown, then closes every connection and joins every thread.
fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut handles: Vec<JoinHandle<()>> = Vec::new();
    let mut next_id: u64 = 0;
    for incoming in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = incoming else {
            // Usually out of file descriptors: give the connections time to end.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        // Joining the finished connections keeps the list as long as the live ones.
        handles.retain(|handle| !handle.is_finished());
        // The room's places, the allowance of unnamed connections, and as many again for
        // connections on their way out (hung up, lingering): a bound on the threads.
        if handles.len() >= MAX_CLIENTS + 2 * MAX_UNNAMED {
            let _ = (&stream).write_all(b"* error: the server is full, try again later\n");
            continue;
        }
        // Lines are written whole, often one at a time: waiting to fill a packet (Nagle's
        // algorithm) would only add delay.
        let _ = stream.set_nodelay(true);
        // The timeouts belong to the socket, so its clones (the writer's) have them too. Without
        // them a silent client could keep its reader, and so `shutdown`, waiting for ever.
        if stream.set_read_timeout(Some(TICK)).is_err()
            || stream.set_write_timeout(Some(QUEUE_GRACE)).is_err()
        {
            continue;
        }
        let id = next_id;
        next_id += 1;
        let hung_up = Arc::new(AtomicBool::new(false));
        shared.awaits_name(id, Arc::clone(&hung_up));
        // Shared with the thread, not cloned: if no thread can be had, we still hold the socket
        // to say so, and a clone would cost a descriptor.
        let stream = Arc::new(stream);
        let spawned = thread::Builder::new()
            .name(format!("chat-client-{id}"))
            .spawn({
                let shared = Arc::clone(&shared);
                let stream = Arc::clone(&stream);
                move || converse(&shared, id, &stream, &hung_up)
            });
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(_) => {
                shared.named(id);
                let _ = (&*stream).write_all(NO_RESOURCES.as_bytes());
            }
        }
    }
    // New connections are refused from here on.
    drop(listener);
    // Emptying the room first means nobody is told that everybody else left. Every reader sees
    // `stopping` within a tick, leaves, and joins its writer; its socket closes when it returns.
    let members = std::mem::take(&mut shared.room().members);
    drop(members);
    for handle in handles {
        let _ = handle.join();
    }
}

/// Why a client's line was refused.
enum Refusal {
    TooLong,
    NotUtf8,
}

impl Refusal {
    fn line(&self) -> String {
        match self {
            Refusal::TooLong => {
                format!("* error: a line may be at most {MAX_LINE_BYTES} bytes; goodbye\n")
            }
            Refusal::NotUtf8 => "* error: lines must be UTF-8 text; goodbye\n".to_owned(),
        }
    }
}

/// What reading the next line gave.
enum Next {
    Line(String),
    /// The client is gone (end of stream or an error); a partial line is discarded.
    Gone,
    Refused(Refusal),
}

/// When a reader stops waiting for its client: the server is stopping, the connection has been
/// hung up, or a deadline has passed.
#[derive(Clone, Copy)]
struct Stop<'a> {
    server: &'a AtomicBool,
    connection: &'a AtomicBool,
    deadline: Option<Instant>,
}

impl Stop<'_> {
    fn now(&self) -> bool {
        self.server.load(Ordering::SeqCst)
            || self.connection.load(Ordering::SeqCst)
            || self
                .deadline
                .is_some_and(|deadline| Instant::now() >= deadline)
    }
}

/// What a client that the server cannot take is told.
const NO_RESOURCES: &str = "* error: the server cannot take another client now; try again later\n";

/// The conversation with one client, on its own thread: welcome, name, then its lines until it
/// leaves. `hung_up` ends it from elsewhere. The socket closes when the caller drops it.
fn converse(shared: &Shared, id: u64, stream: &TcpStream, hung_up: &Arc<AtomicBool>) {
    let stop = Stop {
        server: &shared.stopping,
        connection: hung_up,
        deadline: None,
    };
    let naming = Stop {
        deadline: Some(Instant::now() + NAME_TIMEOUT),
        ..stop
    };
    let welcomed = (&*stream).write_all(format!("{WELCOME}\n").as_bytes());
    let mut lines = Lines::new(stream, naming);
    let first = if welcomed.is_ok() {
        lines.next()
    } else {
        Next::Gone
    };
    // Named or not, this connection no longer waits for a name.
    shared.named(id);
    lines.stop = stop;
    let name = match first {
        Next::Line(name) => name,
        Next::Gone if !stop.now() && naming.now() => {
            return refuse(
                stream,
                &format!(
                    "* error: no name within {} s; goodbye\n",
                    NAME_TIMEOUT.as_secs()
                ),
                stop,
            );
        }
        Next::Gone if hung_up.load(Ordering::SeqCst) => {
            return refuse(
                stream,
                "* error: too many connections are waiting to give a name; goodbye\n",
                stop,
            );
        }
        Next::Gone => return,
        Next::Refused(refusal) => return refuse(stream, &refusal.line(), stop),
    };
    if !is_valid_name(&name) {
        return refuse(
            stream,
            "* error: a name is 1 to 16 ASCII letters or digits\n",
            stop,
        );
    }
    // The writer starts before the client joins: once it is in the room, nothing may fail
    // without telling it.
    let Ok(for_writer) = stream.try_clone() else {
        return refuse(stream, NO_RESOURCES, stop);
    };
    let (outbox, queue) = Outbox::new(for_writer, Arc::clone(hung_up));
    let writer = thread::Builder::new()
        .name(format!("chat-writer-{id}"))
        .spawn({
            let space = Arc::clone(&outbox.space);
            move || write_lines(queue, &space)
        });
    let Ok(writer) = writer else {
        return refuse(stream, NO_RESOURCES, stop);
    };
    let joined = shared.room().join(id, &name, outbox.clone());
    let others = match joined {
        Ok(others) => others,
        Err(refusal) => {
            // Nothing was queued: the writer ends as soon as its queue has no sender.
            drop(outbox);
            let _ = writer.join();
            let line = match refusal {
                JoinRefusal::Full => {
                    format!("* error: the room is full ({MAX_CLIENTS} clients); try again later\n")
                }
                JoinRefusal::Taken => format!("* error: {name} is already here\n"),
            };
            return refuse(stream, &line, stop);
        }
    };
    deliver(
        &others,
        &Batch::line(format!("* {name} has entered the room\n")),
    );
    // Our copies of the others' senders would keep their writers from ending when they leave.
    drop(others);

    let refusal = loop {
        // Lines that arrived together are relayed together: one lock, one batch per queue.
        let mut burst = String::new();
        let mut count = 0;
        let ending = loop {
            match lines.next() {
                Next::Line(text) => {
                    burst.push_str(&format!("[{name}] {text}\n"));
                    count += 1;
                }
                Next::Gone => break Some(None),
                Next::Refused(refusal) => break Some(Some(refusal)),
            }
            if count == BURST_LINES || !lines.has_line() {
                break None;
            }
        };
        if count > 0 {
            let batch = Batch {
                text: burst.into(),
                lines: count,
            };
            shared.broadcast(Some(id), &batch);
        }
        if let Some(refusal) = ending {
            break refusal;
        }
    };
    if let Some(refusal) = &refusal {
        let _ = outbox.offer(&Batch::line(refusal.line()), false);
    }
    let left = shared.room().leave(id);
    if let Some((line, others)) = left {
        deliver(&others, &line);
    }
    // The writer ends once every sender is gone: ours, the room's copy that `leave` dropped, and
    // the copies other readers took for a broadcast, which they drop when it is queued.
    drop(outbox);
    let _ = writer.join();
    if refusal.is_some() {
        linger(stream, stop);
    }
}

/// True for 1 to 16 ASCII letters and digits.
fn is_valid_name(name: &str) -> bool {
    (1..=16).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Sends one last line and closes, letting the client read it.
fn refuse(stream: &TcpStream, line: &str, stop: Stop) {
    let _ = (&*stream).write_all(line.as_bytes());
    linger(stream, stop);
}

/// Closes the sending side, then reads and discards for a while, or until the server stops.
/// Closing a socket that still has unread data sends a reset, which can destroy our last line
/// before the client reads it.
fn linger(stream: &TcpStream, stop: Stop) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER;
    let mut scratch = [0; 4096];
    while Instant::now() < deadline && !stop.now() {
        match (&*stream).read(&mut scratch) {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) if is_timeout(&error) || error.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
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

/// Waits until there is something to read: data, or the end of the stream (true). False when
/// the connection failed, or on `stop`, which it looks at every [`TICK`]. It waits with `peek`,
/// which takes nothing from the socket: Windows' documentation warns that a receive that times
/// out may have lost data, and a peek has nothing to lose.
fn wait_for_data(stream: &TcpStream, stop: Stop) -> bool {
    loop {
        if stop.now() {
            return false;
        }
        match stream.peek(&mut [0]) {
            Ok(_) => return true,
            Err(error) if is_timeout(&error) || error.kind() == io::ErrorKind::Interrupted => {}
            // A reset, usually: the client is gone.
            Err(_) => return false,
        }
    }
}

/// Empties a client's queue onto its socket until the queue closes or the socket fails. Lines
/// waiting together go out in one write; they count as waiting until that write is done. A
/// write that times out (the client took nothing for [`QUEUE_GRACE`]) fails like any other: the
/// bytes already sent are unknown, so the connection cannot go on.
fn write_lines(queue: Receiver<Batch>, space: &Space) {
    let mut bytes = Vec::with_capacity(BATCH_BYTES);
    while let Ok(first) = queue.recv() {
        bytes.clear();
        bytes.extend_from_slice(first.text.as_bytes());
        let mut lines = first.lines;
        while bytes.len() < BATCH_BYTES {
            match queue.try_recv() {
                Ok(more) => {
                    bytes.extend_from_slice(more.text.as_bytes());
                    lines += more.lines;
                }
                Err(_) => break,
            }
        }
        if write_by(&space.stream, &bytes, Instant::now() + QUEUE_GRACE).is_err() {
            // The client is gone or too slow: tell the senders, some of whom may be waiting for
            // room, that nothing more will be taken, and the reader that it is over.
            space.free(lines, false);
            space.hang_up();
            return;
        }
        space.free(lines, true);
    }
}

/// Writes all of `bytes` before `deadline`, or fails. Not `write_all` with a write timeout: the
/// timeout applies to each `write` on its own, and a client that has stopped reading still
/// takes a few bytes now and then (its system squeezes what it holds to make room), so each
/// call would make a little progress and the whole write could last many grace periods.
fn write_by(stream: &TcpStream, mut bytes: &[u8], deadline: Instant) -> io::Result<()> {
    while !bytes.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_write_timeout(Some(left))?;
        match (&*stream).write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => bytes = &bytes[written..],
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Cuts a byte stream into lines of at most [`MAX_LINE_BYTES`], never holding more than that.
struct Lines<'a> {
    reader: BufReader<&'a TcpStream>,
    line: Vec<u8>,
    stop: Stop<'a>,
}

impl<'a> Lines<'a> {
    fn new(stream: &'a TcpStream, stop: Stop<'a>) -> Self {
        Lines {
            reader: BufReader::new(stream),
            line: Vec::new(),
            stop,
        }
    }

    /// True when a whole line is already buffered, so `next` will not block.
    fn has_line(&self) -> bool {
        self.reader.buffer().contains(&b'\n')
    }

    fn next(&mut self) -> Next {
        self.line.clear();
        loop {
            if self.reader.buffer().is_empty() && !wait_for_data(self.reader.get_ref(), self.stop) {
                return Next::Gone;
            }
            let available = match self.reader.fill_buf() {
                Ok([]) => return Next::Gone,
                Ok(available) => available,
                Err(error) if is_timeout(&error) || error.kind() == io::ErrorKind::Interrupted => {
                    continue;
                }
                Err(_) => return Next::Gone,
            };
            let (piece, ends_line) = match available.iter().position(|&b| b == b'\n') {
                Some(at) => (&available[..at], true),
                None => (available, false),
            };
            // One byte of slack for a `\r` that is dropped below.
            if self.line.len() + piece.len() > MAX_LINE_BYTES + 1 {
                return Next::Refused(Refusal::TooLong);
            }
            self.line.extend_from_slice(piece);
            let used = piece.len() + usize::from(ends_line);
            self.reader.consume(used);
            if ends_line {
                if self.line.last() == Some(&b'\r') {
                    self.line.pop();
                }
                if self.line.len() > MAX_LINE_BYTES {
                    return Next::Refused(Refusal::TooLong);
                }
                return match String::from_utf8(std::mem::take(&mut self.line)) {
                    Ok(text) => Next::Line(text),
                    Err(_) => Next::Refused(Refusal::NotUtf8),
                };
            }
        }
    }
}

#[cfg(test)]
#[path = "../../../exercises/ch08-chat-server/src/tests.rs"]
mod tests;
