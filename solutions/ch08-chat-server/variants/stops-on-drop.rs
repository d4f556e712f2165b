//! Stops when dropped; one room thread owns the room and takes events from a channel (an actor, no `Mutex<Room>`), each client's queue is a `VecDeque` under a `Condvar` whose lines wait only while the writer's current write is within its deadline, and lines are cut from a fixed buffer of its own instead of a `BufReader`.
//!
//! The threads: an acceptor; a room thread, the only one that sees who is in the room; for every
//! connection a reader (which runs the conversation) and, once it has a legal name, a writer.
//! Readers tell the room what happened (a connection arrived, a name, a line, a departure) over a
//! bounded channel; the room puts lines in the queues of the members, in one order for all.
//!
//! A full queue holds the room up only while that client's writer is inside a write that has
//! not yet run past its deadline ([`QUEUE_GRACE`] from when the write began). A client that has
//! stopped reading is found out by its own writer's clock, which runs while the room waits for
//! someone else: clients that stop reading together cost the others one grace period in all.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
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

/// How long one wait on a socket or a queue lasts before the waiting thread looks at its flags.
const TICK: Duration = Duration::from_millis(250);

/// How long a closing connection reads and discards what its client still sends.
const LINGER: Duration = Duration::from_secs(2);

/// The most members of the room.
const MAX_MEMBERS: usize = 1000;

/// The most connections waiting for a name; one more evicts the one that has waited longest.
const MAX_UNNAMED: usize = 64;

/// The most connection threads at once: members, those waiting for a name, and as many again
/// on their way out.
const MAX_CONNECTIONS: usize = MAX_MEMBERS + 2 * MAX_UNNAMED;

/// The most bytes a writer takes from its queue for one write.
const BATCH_BYTES: usize = 64 * 1024;

/// The most events waiting for the room: a reader that finds them all taken waits.
const EVENTS: usize = 64;

/// The most lines a reader hands over in one event.
const BURST: usize = 64;

/// How long the acceptor pauses after `accept` fails (out of descriptors, usually).
const BACKOFF: Duration = Duration::from_millis(20);

/// The buffer a reader cuts lines from: room for a line at the limit, its `\r\n`, and a read.
const BUFFER_BYTES: usize = 2 * MAX_LINE_BYTES;

/// What a client that the server has no thread or descriptor for is told.
const NO_ROOM: &str = "* error: the server cannot take another client now; try again later\n";

/// A running chat server. Dropping it stops it, as [`Server::shutdown`] does.
pub struct Server {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    /// `None` once stopped.
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` (any address, IPv6 and port 0 included) and starts serving on a thread of its
    /// own; returns as soon as the server accepts connections.
    pub fn start(addr: SocketAddr) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stopping = Arc::new(AtomicBool::new(false));
        let (events, inbox) = mpsc::sync_channel(EVENTS);
        let room = thread::Builder::new().name("chat-room".into()).spawn({
            let room = Room::new(Arc::clone(&stopping));
            move || room.run(inbox)
        })?;
        // Should this fail, the events' sender goes with the closure, and the room ends.
        let acceptor = thread::Builder::new().name("chat-acceptor".into()).spawn({
            let stopping = Arc::clone(&stopping);
            move || accept_loop(listener, &stopping, events, room)
        })?;
        Ok(Server {
            addr,
            stopping,
            acceptor: Some(acceptor),
        })
    }

    /// The address the server listens on, with the port the operating system chose for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server. When it returns, new connections are refused, every client has seen the
    /// end of the stream, and every thread the server started has been joined.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(acceptor) = self.acceptor.take() else {
            return;
        };
        self.stopping.store(true, Ordering::SeqCst);
        // The acceptor waits in `accept`: a connection of our own wakes it to see the flag.
        let _ = TcpStream::connect_timeout(&loopback_for(self.addr), Duration::from_secs(1));
        let _ = acceptor.join();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where to connect to reach a listener bound to `addr` (`0.0.0.0` and `::` are not addresses
/// one can connect to everywhere).
fn loopback_for(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
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

/// Accepts connections until the server stops, then joins every connection and the room.
fn accept_loop(
    listener: TcpListener,
    stopping: &Arc<AtomicBool>,
    events: SyncSender<Event>,
    room: JoinHandle<()>,
) {
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    let mut next_id: u64 = 0;
    while !stopping.load(Ordering::SeqCst) {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(_) => {
                thread::sleep(BACKOFF);
                continue;
            }
        };
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        let (finished, running) = connections
            .into_iter()
            .partition::<Vec<_>, _>(|connection| connection.is_finished());
        connections = running;
        for connection in finished {
            let _ = connection.join();
        }
        if stream.set_read_timeout(Some(TICK)).is_err()
            || stream.set_write_timeout(Some(QUEUE_GRACE)).is_err()
        {
            continue;
        }
        let _ = stream.set_nodelay(true);
        if connections.len() >= MAX_CONNECTIONS {
            let _ = (&stream).write_all(NO_ROOM.as_bytes());
            continue;
        }
        let id = next_id;
        next_id += 1;
        let evicted = Arc::new(AtomicBool::new(false));
        let arrived = Event::Arrived {
            id,
            evicted: Arc::clone(&evicted),
        };
        if events.send(arrived).is_err() {
            break;
        }
        // The thread gets its socket through a channel once it runs: if no thread can be had,
        // the socket is still here to say so.
        let (handing, handed) = mpsc::channel::<TcpStream>();
        let spawned = thread::Builder::new()
            .name(format!("chat-client-{id}"))
            .spawn({
                let (events, stopping) = (events.clone(), Arc::clone(stopping));
                move || {
                    if let Ok(stream) = handed.recv() {
                        serve(&stream, id, &evicted, &events, &stopping);
                    }
                }
            });
        match spawned {
            Ok(connection) => {
                let _ = handing.send(stream);
                connections.push(connection);
            }
            Err(_) => {
                let _ = events.send(Event::Named { id });
                let _ = (&stream).write_all(NO_ROOM.as_bytes());
            }
        }
    }
    drop(listener);
    for connection in connections {
        let _ = connection.join();
    }
    // The room ends when the last sender of events is gone: ours, and the connections'.
    drop(events);
    let _ = room.join();
}

/// What a reader tells the room.
enum Event {
    /// A new connection waits for its name; `evicted` ends its wait.
    Arrived { id: u64, evicted: Arc<AtomicBool> },
    /// The connection no longer waits for a name (it sent a line, or is gone).
    Named { id: u64 },
    /// A client with a legal name asks to join.
    Join {
        id: u64,
        name: String,
        mailbox: Arc<Mailbox>,
        answer: Sender<Verdict>,
    },
    /// Lines a member sent, to relay to the others.
    Said { id: u64, lines: Vec<String> },
    /// The connection is ending; the answer comes once nothing more is queued for it.
    Left { id: u64, answer: Sender<()> },
}

/// The room's answer to [`Event::Join`].
enum Verdict {
    Joined,
    Taken,
    Full,
    Closing,
}

/// The room's state, owned by the room thread alone.
struct Room {
    /// In the order they joined.
    members: Vec<Member>,
    /// The connections waiting for a name, the longest-waiting first.
    unnamed: VecDeque<(u64, Arc<AtomicBool>)>,
    stopping: Arc<AtomicBool>,
}

struct Member {
    id: u64,
    name: String,
    mailbox: Arc<Mailbox>,
}

impl Room {
    fn new(stopping: Arc<AtomicBool>) -> Room {
        Room {
            members: Vec::new(),
            unnamed: VecDeque::new(),
            stopping,
        }
    }

    /// Handles events until every sender of events is gone.
    fn run(mut self, inbox: Receiver<Event>) {
        for event in inbox {
            self.handle(event);
        }
    }

    fn handle(&mut self, event: Event) {
        if self.stopping.load(Ordering::SeqCst) {
            // Nobody is told that everybody else left: the room is emptied without a word.
            self.members.clear();
        }
        match event {
            Event::Arrived { id, evicted } => {
                self.unnamed.push_back((id, evicted));
                while self.unnamed.len() > MAX_UNNAMED {
                    if let Some((_, oldest)) = self.unnamed.pop_front() {
                        oldest.store(true, Ordering::SeqCst);
                    }
                }
            }
            Event::Named { id } => self.unnamed.retain(|(waiting, _)| *waiting != id),
            Event::Join {
                id,
                name,
                mailbox,
                answer,
            } => self.join(id, name, mailbox, &answer),
            Event::Said { id, lines } => {
                let Some(member) = self.members.iter().find(|member| member.id == id) else {
                    return;
                };
                let lines: Vec<Arc<str>> = lines
                    .iter()
                    .map(|text| Arc::from(format!("[{}] {text}\n", member.name)))
                    .collect();
                self.broadcast(Some(id), &lines);
            }
            Event::Left { id, answer } => {
                let at = self.members.iter().position(|member| member.id == id);
                let gone = at.map(|at| self.members.remove(at));
                let _ = answer.send(());
                if let Some(gone) = gone {
                    let line = Arc::from(format!("* {} has left the room\n", gone.name));
                    self.broadcast(None, &[line]);
                }
            }
        }
    }

    fn join(&mut self, id: u64, name: String, mailbox: Arc<Mailbox>, answer: &Sender<Verdict>) {
        let verdict = if self.stopping.load(Ordering::SeqCst) {
            Verdict::Closing
        } else if self
            .members
            .iter()
            .any(|member| member.name.eq_ignore_ascii_case(&name))
        {
            Verdict::Taken
        } else if self.members.len() >= MAX_MEMBERS {
            Verdict::Full
        } else {
            Verdict::Joined
        };
        if !matches!(verdict, Verdict::Joined) {
            let _ = answer.send(verdict);
            return;
        }
        let mut contains = String::from("* The room contains:");
        for (at, member) in self.members.iter().enumerate() {
            contains.push_str(if at == 0 { " " } else { ", " });
            contains.push_str(&member.name);
        }
        contains.push('\n');
        // The queue is new and empty: the room line is its first.
        mailbox.post(&Arc::from(contains));
        let entered = Arc::from(format!("* {name} has entered the room\n"));
        self.members.push(Member { id, name, mailbox });
        let _ = answer.send(Verdict::Joined);
        self.broadcast(Some(id), &[entered]);
    }

    /// Queues `lines` for every member but `except`: first for all with room, then, waiting,
    /// for those whose queue was full. A queue whose writer is stuck past its deadline is given
    /// up on: its reader then leaves the room, and the others hear of it.
    fn broadcast(&self, except: Option<u64>, lines: &[Arc<str>]) {
        let mut behind = Vec::new();
        for member in self.members.iter().filter(|m| Some(m.id) != except) {
            for (at, line) in lines.iter().enumerate() {
                match member.mailbox.post(line) {
                    Posted::Queued => {}
                    Posted::Gone => break,
                    Posted::Full => {
                        behind.push((member, at));
                        break;
                    }
                }
            }
        }
        for (member, from) in behind {
            for line in &lines[from..] {
                if !member.mailbox.post_waiting(line, &self.stopping) {
                    break;
                }
            }
        }
    }
}

/// One client's queue, between the room (and its own reader) and its writer.
#[derive(Default)]
struct Mailbox {
    queue: Mutex<Queue>,
    /// Signalled when lines are added, taken or written, and when the queue ends.
    changed: Condvar,
}

#[derive(Default)]
struct Queue {
    lines: VecDeque<Arc<str>>,
    /// Lines the writer has taken and not yet written: they count against the bound too.
    writing: usize,
    /// When the writer's current write must be done by; `None` between writes.
    busy_until: Option<Instant>,
    /// No more lines will come: the writer sends what is left and ends.
    finished: bool,
    /// The client is gone or too slow: nothing more is sent, and its reader ends.
    dead: bool,
}

enum Posted {
    Queued,
    Full,
    Gone,
}

impl Queue {
    fn waiting(&self) -> usize {
        self.lines.len() + self.writing
    }

    fn kill(&mut self) {
        self.dead = true;
        self.lines.clear();
    }
}

impl Mailbox {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Every change is a single step: a poisoned queue is still a consistent one.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_dead(&self) -> bool {
        self.lock().dead
    }

    /// Adds `line` if there is room, without waiting.
    fn post(&self, line: &Arc<str>) -> Posted {
        let mut queue = self.lock();
        if queue.dead {
            return Posted::Gone;
        }
        if queue.waiting() >= QUEUE_LINES {
            return Posted::Full;
        }
        queue.lines.push_back(Arc::clone(line));
        drop(queue);
        self.changed.notify_all();
        Posted::Queued
    }

    /// Adds `line`, waiting for room while the writer's write is within its deadline (or, if
    /// the writer is between writes, for at most the grace period). Kills the queue when the
    /// deadline passes with no room. True if the line was queued.
    fn post_waiting(&self, line: &Arc<str>, stopping: &AtomicBool) -> bool {
        let began = Instant::now();
        let mut queue = self.lock();
        loop {
            if queue.dead || stopping.load(Ordering::SeqCst) {
                return false;
            }
            if queue.waiting() < QUEUE_LINES {
                queue.lines.push_back(Arc::clone(line));
                drop(queue);
                self.changed.notify_all();
                return true;
            }
            let deadline = queue.busy_until.unwrap_or(began + QUEUE_GRACE);
            let now = Instant::now();
            if now >= deadline {
                queue.kill();
                drop(queue);
                self.changed.notify_all();
                return false;
            }
            queue = match self.changed.wait_timeout(queue, (deadline - now).min(TICK)) {
                Ok((queue, _)) => queue,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// No more lines will be added: the writer ends once it has sent the rest.
    fn finish(&self) {
        self.lock().finished = true;
        self.changed.notify_all();
    }

    /// For the writer: waits for lines, moves up to [`BATCH_BYTES`] of them into `bytes`, and
    /// returns the deadline for writing them; `None` when the writer should end.
    fn take(&self, bytes: &mut Vec<u8>, stopping: &AtomicBool) -> Option<Instant> {
        let mut queue = self.lock();
        loop {
            if queue.dead || stopping.load(Ordering::SeqCst) {
                return None;
            }
            if !queue.lines.is_empty() {
                break;
            }
            if queue.finished {
                return None;
            }
            queue = match self.changed.wait_timeout(queue, TICK) {
                Ok((queue, _)) => queue,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        bytes.clear();
        while let Some(line) = queue.lines.front() {
            if !bytes.is_empty() && bytes.len() + line.len() > BATCH_BYTES {
                break;
            }
            bytes.extend_from_slice(line.as_bytes());
            queue.lines.pop_front();
            queue.writing += 1;
        }
        let deadline = Instant::now() + QUEUE_GRACE;
        queue.busy_until = Some(deadline);
        Some(deadline)
    }

    /// For the writer: its write is over, successfully or not.
    fn written(&self, ok: bool) {
        let mut queue = self.lock();
        queue.writing = 0;
        queue.busy_until = None;
        if !ok {
            queue.kill();
        }
        drop(queue);
        self.changed.notify_all();
    }
}

/// The writer: sends the queue's lines until it ends, the server stops, or a write fails or
/// misses its deadline (then the client is gone or has stopped reading, and its reader ends).
fn write_out(stream: &TcpStream, mailbox: &Mailbox, stopping: &AtomicBool) {
    let mut bytes = Vec::with_capacity(BATCH_BYTES);
    while let Some(deadline) = mailbox.take(&mut bytes, stopping) {
        let sent = write_before(stream, &bytes, deadline);
        mailbox.written(sent.is_ok());
        if sent.is_err() {
            return;
        }
    }
}

/// Writes all of `bytes` before `deadline`. One deadline for the whole, not a timeout per
/// `write`: a client that has stopped reading still takes a few bytes now and then.
fn write_before(mut stream: &TcpStream, mut bytes: &[u8], deadline: Instant) -> io::Result<()> {
    while !bytes.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_write_timeout(Some(left))?;
        match stream.write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => bytes = &bytes[written..],
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Why a reader stopped waiting for its client.
enum End {
    /// End of stream, or the connection failed.
    Closed,
    /// The server is stopping.
    Stopping,
    /// Evicted while waiting for a name, or found too slow.
    HungUp,
    /// The deadline (for the name) passed.
    TimedOut,
}

/// What a reader looks at each time a wait on its socket times out.
struct Watch<'a> {
    stopping: &'a AtomicBool,
    hung_up: &'a dyn Fn() -> bool,
    deadline: Option<Instant>,
}

impl Watch<'_> {
    /// Waits until the socket has something to read (data or the end of the stream). Waits with
    /// `peek`, which takes nothing: on Windows a receive that times out may lose data.
    fn wait(&self, stream: &TcpStream) -> Result<(), End> {
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                return Err(End::Stopping);
            }
            if (self.hung_up)() {
                return Err(End::HungUp);
            }
            if self
                .deadline
                .is_some_and(|deadline| Instant::now() >= deadline)
            {
                return Err(End::TimedOut);
            }
            match stream.peek(&mut [0]) {
                Ok(_) => return Ok(()),
                Err(error) if is_timeout(&error) || error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(End::Closed),
            }
        }
    }
}

/// Why a line was refused.
enum Refusal {
    TooLong,
    NotUtf8,
}

impl Refusal {
    fn line(&self) -> String {
        match self {
            Refusal::TooLong => format!("* error: lines are at most {MAX_LINE_BYTES} bytes\n"),
            Refusal::NotUtf8 => "* error: lines must be UTF-8\n".to_owned(),
        }
    }
}

enum Next {
    Line(String),
    Ended(End),
    Refused(Refusal),
}

/// Cuts lines out of a byte stream, in a fixed buffer: it never holds more than
/// [`BUFFER_BYTES`], whatever the client sends.
struct LineCutter {
    buffer: Box<[u8]>,
    /// The bytes not yet cut are `buffer[start..end]`.
    start: usize,
    end: usize,
}

impl LineCutter {
    fn new() -> LineCutter {
        LineCutter {
            buffer: vec![0; BUFFER_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    /// True when a whole line is buffered, so that [`LineCutter::next`] will not wait.
    fn has_line(&self) -> bool {
        self.buffer[self.start..self.end].contains(&b'\n')
    }

    fn next(&mut self, stream: &TcpStream, watch: &Watch) -> Next {
        loop {
            let pending = &self.buffer[self.start..self.end];
            if let Some(at) = pending.iter().position(|&byte| byte == b'\n') {
                let line = pending[..at].strip_suffix(b"\r").unwrap_or(&pending[..at]);
                let next = if line.len() > MAX_LINE_BYTES {
                    Next::Refused(Refusal::TooLong)
                } else {
                    match std::str::from_utf8(line) {
                        Ok(text) => Next::Line(text.to_owned()),
                        Err(_) => Next::Refused(Refusal::NotUtf8),
                    }
                };
                self.start += at + 1;
                return next;
            }
            // No line feed yet: the line may still end in `\r\n`, one byte past the limit.
            if pending.len() > MAX_LINE_BYTES + 1 {
                return Next::Refused(Refusal::TooLong);
            }
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if let Err(end) = watch.wait(stream) {
                return Next::Ended(end);
            }
            match (&*stream).read(&mut self.buffer[self.end..]) {
                // Bytes after the last line feed are not a line: they are dropped.
                Ok(0) => return Next::Ended(End::Closed),
                Ok(read) => self.end += read,
                Err(error) if is_timeout(&error) || error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Next::Ended(End::Closed),
            }
        }
    }
}

/// True for 1 to 16 ASCII letters and digits.
fn is_legal(name: &str) -> bool {
    (1..=16).contains(&name.len()) && name.bytes().all(|byte| byte.is_ascii_alphanumeric())
}

/// One connection, on its own thread: welcome, name, then its lines until it leaves.
fn serve(
    stream: &TcpStream,
    id: u64,
    evicted: &AtomicBool,
    events: &SyncSender<Event>,
    stopping: &Arc<AtomicBool>,
) {
    let mut cutter = LineCutter::new();
    let naming = Watch {
        stopping,
        hung_up: &|| evicted.load(Ordering::SeqCst),
        deadline: Some(Instant::now() + NAME_TIMEOUT),
    };
    let first = match (&*stream).write_all(format!("{WELCOME}\n").as_bytes()) {
        Ok(()) => cutter.next(stream, &naming),
        Err(_) => Next::Ended(End::Closed),
    };
    let _ = events.send(Event::Named { id });
    let name = match first {
        Next::Line(name) => name,
        Next::Ended(End::Closed | End::Stopping) => return,
        Next::Ended(End::HungUp) => {
            let line = "* error: too many connections are waiting for a name; try again\n";
            return refuse(stream, line, stopping);
        }
        Next::Ended(End::TimedOut) => {
            let line = format!(
                "* error: no name within {} seconds; goodbye\n",
                NAME_TIMEOUT.as_secs()
            );
            return refuse(stream, &line, stopping);
        }
        Next::Refused(refusal) => return refuse(stream, &refusal.line(), stopping),
    };
    if !is_legal(&name) {
        let line = "* error: a name is 1 to 16 ASCII letters or digits\n";
        return refuse(stream, line, stopping);
    }
    // The writer starts before the client joins: once it is in the room, nothing may fail
    // without telling it.
    let Ok(writer_stream) = stream.try_clone() else {
        return refuse(stream, NO_ROOM, stopping);
    };
    let mailbox = Arc::new(Mailbox::default());
    let writer = thread::Builder::new()
        .name(format!("chat-writer-{id}"))
        .spawn({
            let (mailbox, stopping) = (Arc::clone(&mailbox), Arc::clone(stopping));
            move || write_out(&writer_stream, &mailbox, &stopping)
        });
    let Ok(writer) = writer else {
        return refuse(stream, NO_ROOM, stopping);
    };
    let (answer, answered) = mpsc::channel();
    let join = Event::Join {
        id,
        name: name.clone(),
        mailbox: Arc::clone(&mailbox),
        answer,
    };
    let verdict = match events.send(join) {
        Ok(()) => answered.recv().unwrap_or(Verdict::Closing),
        Err(_) => Verdict::Closing,
    };
    if !matches!(verdict, Verdict::Joined) {
        mailbox.finish();
        let _ = writer.join();
        match verdict {
            Verdict::Taken => {
                let line = format!("* error: the name {name} is taken\n");
                refuse(stream, &line, stopping);
            }
            Verdict::Full => {
                let line = "* error: the room is full; try again later\n";
                refuse(stream, line, stopping);
            }
            Verdict::Joined | Verdict::Closing => {}
        }
        return;
    }

    let chatting = Watch {
        stopping,
        hung_up: &|| mailbox.is_dead(),
        deadline: None,
    };
    let refused = loop {
        let mut said = Vec::new();
        let ending = loop {
            match cutter.next(stream, &chatting) {
                Next::Line(text) => said.push(text),
                Next::Ended(_) => break Some(None),
                Next::Refused(refusal) => break Some(Some(refusal)),
            }
            if said.len() == BURST || !cutter.has_line() {
                break None;
            }
        };
        if !said.is_empty() && events.send(Event::Said { id, lines: said }).is_err() {
            break None;
        }
        if let Some(refused) = ending {
            break refused;
        }
    };
    // Once the room has answered, it queues nothing more for us: our error line is the last.
    let (answer, answered) = mpsc::channel();
    if events.send(Event::Left { id, answer }).is_ok() {
        let _ = answered.recv();
    }
    let Some(refusal) = refused else {
        mailbox.finish();
        let _ = writer.join();
        return;
    };
    mailbox.post(&Arc::from(refusal.line()));
    mailbox.finish();
    // Keep reading while the writer sends the rest: a client that still sends before it reads
    // would otherwise wait for us while we wait for it.
    let ended = discard(
        stream,
        &|| writer.is_finished(),
        stopping,
        Instant::now() + QUEUE_GRACE + TICK,
    );
    let _ = writer.join();
    let _ = stream.shutdown(Shutdown::Write);
    if !ended {
        discard(stream, &|| false, stopping, Instant::now() + LINGER);
    }
}

/// Sends a last line to a client that has no writer, and closes gracefully.
fn refuse(stream: &TcpStream, line: &str, stopping: &AtomicBool) {
    let _ = (&*stream).write_all(line.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
    discard(stream, &|| false, stopping, Instant::now() + LINGER);
}

/// Reads and throws away what the client sends, until `done`, the server stops, or `until`.
/// Closing a socket with unread bytes sends a reset, which can destroy the last lines before the
/// client reads them. True when the client has ended its side (or the connection failed).
fn discard(
    stream: &TcpStream,
    done: &dyn Fn() -> bool,
    stopping: &AtomicBool,
    until: Instant,
) -> bool {
    // Short waits: `done` is looked at between them. A read that times out may lose data on
    // Windows, but this data is thrown away anyway.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
    let mut scratch = [0; 4096];
    while !done() && !stopping.load(Ordering::SeqCst) && Instant::now() < until {
        match (&*stream).read(&mut scratch) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(error) if is_timeout(&error) || error.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
    false
}

#[cfg(test)]
#[path = "../../../exercises/ch08-chat-server/src/tests.rs"]
mod tests;
