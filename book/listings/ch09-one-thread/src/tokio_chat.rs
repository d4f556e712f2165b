//! The chat server once more, in async Rust with tokio: the same protocol,
//! limits and public API as the exercise, and again on one thread. That
//! thread runs a tokio runtime of the current-thread kind, whose event loop
//! asks the system which sockets are ready, as `mio::Poll` does, and wakes
//! the tasks that wait for them. Each connection is a task; once its client
//! has joined, a second task empties the client's queue onto its socket,
//! like the reader and writer threads of the threaded server.
//!
//! One thread runs every task, so the room is shared as `Rc<RefCell<Room>>`,
//! with no lock: a task runs until its next `.await`, and no other task runs
//! meanwhile. The one rule is never to hold a borrow of the room across an
//! `.await`, where other tasks run and may want it too.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use tokio::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter,
};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::sync::{Notify, oneshot};
use tokio::task::{self, LocalSet};
use tokio::time::{self, Instant};

/// The longest line a client may send, in bytes, without its line feed (and
/// an optional `\r`).
pub const MAX_LINE_BYTES: usize = 4096;

/// The most lines waiting for one client. A line that finds the queue full
/// waits for room.
pub const QUEUE_LINES: usize = 256;

/// How long a queue may stay full, or one line take to be written, before
/// its client is disconnected as too slow. A client that reads makes room
/// within milliseconds, however fast the others send.
pub const QUEUE_GRACE: Duration = Duration::from_secs(2);

/// How long a new connection may take to send its name. One that has not
/// sent a valid name by then gets one `* error:` line and is closed.
pub const NAME_TIMEOUT: Duration = Duration::from_secs(10);

/// The first line every client receives.
pub const WELCOME: &str = "Welcome to budgetchat! What shall I call you?";

/// The most connections waiting to send their name. When one more comes, the
/// one that has waited longest is told so and closed: a flood of silent
/// connections can neither keep a real client out nor take a member's place.
const MAX_UNNAMED: usize = 100;

/// The most connections at once: ten thousand members (the threaded server
/// stops at a thousand), the connections that wait for a name, and as many
/// again on their way out. It bounds the server's memory and descriptors.
const MAX_CONNECTIONS: usize = 10_000 + 2 * MAX_UNNAMED;

/// How long a connection that is being closed keeps reading (and throwing
/// away) what its client still sends, so that its last line arrives.
const LINGER: Duration = Duration::from_secs(2);

/// How long the accept loop waits after `accept` fails (usually for want of
/// a descriptor) before it tries again.
const BACK_OFF: Duration = Duration::from_millis(10);

/// A running chat server: one thread, its runtime and every task.
/// [`Server::shutdown`] stops it; dropping it stops it too, without waiting.
pub struct Server {
    addr: SocketAddr,
    /// Sending on it, or dropping it, ends the accept loop.
    stop: oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

impl Server {
    // ANCHOR: start
    /// Binds `addr` (any address, IPv6 and port 0 included) and starts the
    /// server on a thread of its own; returns as soon as it accepts
    /// connections.
    ///
    /// The protocol is the chat server chapter's: the welcome line, a name
    /// (1 to 16 ASCII letters or digits, unique ignoring ASCII case, within
    /// [`NAME_TIMEOUT`]), the room line, "has entered", `[name] text` to
    /// every other joined client, "has left" when a joined client goes; an
    /// `* error:` line and a close for an illegal name, a line over
    /// [`MAX_LINE_BYTES`] or text that is not UTF-8. Every client is served
    /// by the same one thread, which never blocks on a client.
    pub fn start(addr: SocketAddr) -> io::Result<Server> {
        let listener = std::net::TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        // tokio waits for readiness itself: its sockets never block.
        listener.set_nonblocking(true)?;
        // One thread runs every task: the current-thread runtime.
        let runtime = runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        // A tokio socket belongs to the runtime it is registered with.
        let listener = {
            let _inside = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let (stop, stopped) = oneshot::channel();
        let serve = move || {
            // The tasks share `Rc`s, which may not cross threads, so they
            // are local tasks: they run on this thread only.
            let tasks = LocalSet::new();
            tasks.block_on(&runtime, accept_loop(listener, stopped));
            // Dropping the tasks drops every socket they hold: each client
            // sees the end of the stream.
            drop(tasks);
        };
        let thread = thread::Builder::new().name("chat-server".into());
        let thread = thread.spawn(serve)?;
        Ok(Server { addr, stop, thread })
    }
    // ANCHOR_END: start

    /// The address the server listens on, with the port the operating
    /// system chose for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server. When it returns, new connections are refused,
    /// every client has seen the end of the stream, and the server's thread
    /// has been joined.
    pub fn shutdown(self) {
        // An error means the loop has ended already.
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

// ANCHOR: accept
/// Accepts connections until `stopped` fires, and starts a task for each.
/// When it returns, the listener is closed.
async fn accept_loop(
    listener: TcpListener,
    mut stopped: oneshot::Receiver<()>,
) {
    let room = Rc::new(RefCell::new(Room::default()));
    // Every connection's task holds a clone: the count is how many live.
    let tickets = Rc::new(());
    let mut next_id: u64 = 0;
    loop {
        let stream = tokio::select! {
            // Sent, or the `Server` was dropped: either way, stop.
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // An error never ends the server: wait, and go on.
                    time::sleep(BACK_OFF).await;
                    continue;
                }
            },
        };
        if Rc::strong_count(&tickets) > MAX_CONNECTIONS {
            // Never blocks: the socket is new, its buffer empty.
            let _ = stream.try_write(b"* error: the server is full\n");
            continue;
        }
        // Lines go out whole: waiting to fill a packet only adds delay.
        let _ = stream.set_nodelay(true);
        next_id += 1;
        let evicted = Rc::new(Notify::new());
        room.borrow_mut().awaits_name(next_id, Rc::clone(&evicted));
        let connection = Connection {
            id: next_id,
            room: Rc::clone(&room),
            evicted,
            _ticket: Rc::clone(&tickets),
        };
        task::spawn_local(converse(stream, connection));
    }
}
// ANCHOR_END: accept

/// What a connection's task gets from the accept loop.
struct Connection {
    id: u64,
    room: Rc<RefCell<Room>>,
    /// Notified when too many connections wait for a name, and this one has
    /// waited longest.
    evicted: Rc<Notify>,
    /// Held as long as the task lives: the accept loop counts them.
    _ticket: Rc<()>,
}

/// What a client's writer task takes from its queue.
enum Out {
    /// A line with its line feed, shared by every queue it is in.
    Line(Rc<str>),
    /// The end: the writer sends what came before, then closes its side.
    End,
}

/// The way to one client's writer task, as the room keeps it.
#[derive(Clone)]
struct Outbox {
    queue: mpsc::Sender<Out>,
    /// Since when the queue has been full: from the line that filled it
    /// until it is back to half empty. The grace period runs from here,
    /// however many senders wait for room in turn.
    full_since: Rc<Cell<Option<Instant>>>,
    /// Notified to disconnect the client as too slow.
    cut: Rc<Notify>,
}

/// One joined client.
struct Member {
    name: String,
    outbox: Outbox,
}

/// Everything the tasks share, in an `Rc<RefCell<Room>>`.
#[derive(Default)]
struct Room {
    /// The joined clients, by connection number.
    members: HashMap<u64, Member>,
    /// The connections waiting to send a name, the longest-waiting first.
    unnamed: VecDeque<(u64, Rc<Notify>)>,
}

impl Room {
    /// Counts a new connection among those waiting for a name. When
    /// [`MAX_UNNAMED`] wait already, the one that has waited longest is
    /// evicted: its task tells it so and closes.
    fn awaits_name(&mut self, id: u64, evicted: Rc<Notify>) {
        if self.unnamed.len() >= MAX_UNNAMED
            && let Some((_, oldest)) = self.unnamed.pop_front()
        {
            oldest.notify_one();
        }
        self.unnamed.push_back((id, evicted));
    }

    /// The connection `id` waits for a name no more: it has one, or is gone.
    fn named(&mut self, id: u64) {
        self.unnamed.retain(|(waiting, _)| *waiting != id);
    }

    /// Adds a client unless its name is taken, ignoring ASCII case (`Alice`
    /// would pass for `alice`), and queues the room line for it. Returns the
    /// outboxes of the others, to tell them: exactly those the line names.
    fn join(
        &mut self,
        id: u64,
        name: &str,
        outbox: Outbox,
    ) -> Option<Vec<Outbox>> {
        let members = self.members.values();
        let mut names: Vec<&str> = members.map(|m| m.name.as_str()).collect();
        if names.iter().any(|other| other.eq_ignore_ascii_case(name)) {
            return None;
        }
        names.sort_unstable();
        let mut line = String::from("* The room contains:");
        if !names.is_empty() {
            line = format!("{line} {}", names.join(", "));
        }
        line.push('\n');
        // The queue is new and empty: this line is first in it.
        let _ = outbox.queue.try_send(Out::Line(line.into()));
        let others = self.others(id);
        let name = name.to_owned();
        self.members.insert(id, Member { name, outbox });
        Some(others)
    }

    /// Removes a client. Returns the line saying it left, and the outboxes
    /// of the others, to tell them; `None` if it was not in the room.
    fn leave(&mut self, id: u64) -> Option<(Rc<str>, Vec<Outbox>)> {
        let member = self.members.remove(&id)?;
        let line = format!("* {} has left the room\n", member.name);
        Some((line.into(), self.others(id)))
    }

    /// The outboxes of every member but `id`: copies, so that the room
    /// need not stay borrowed while lines wait for room in them.
    fn others(&self, id: u64) -> Vec<Outbox> {
        let others = self.members.iter().filter(|(other, _)| **other != id);
        others.map(|(_, member)| member.outbox.clone()).collect()
    }
}

// ANCHOR: broadcast
/// Queues `line` for every one of `outboxes`. Those with room get it at
/// once, before this first waits; then, for each queue that was full, it
/// waits until that queue has been full for [`QUEUE_GRACE`], and cuts off a
/// client whose queue stays full that long. Queues that filled up together
/// run out of grace together: clients that stopped reading at the same time
/// hold the sender up once, not once each.
async fn deliver(outboxes: Vec<Outbox>, line: Rc<str>) {
    let mut full = Vec::new();
    for outbox in outboxes {
        match outbox.queue.try_send(Out::Line(Rc::clone(&line))) {
            Ok(()) => {
                let room = outbox.queue.capacity();
                if room == 0 && outbox.full_since.get().is_none() {
                    // It has just filled up: its grace period starts now.
                    outbox.full_since.set(Some(Instant::now()));
                } else if room >= QUEUE_LINES / 2 {
                    // Back to half empty: its client reads.
                    outbox.full_since.set(None);
                }
            }
            Err(TrySendError::Full(_)) => {
                // Full since it filled up, or at least since now.
                let since =
                    outbox.full_since.get().unwrap_or_else(Instant::now);
                outbox.full_since.set(Some(since));
                full.push((outbox, since + QUEUE_GRACE));
            }
            // Its writer has ended: the client is on its way out.
            Err(TrySendError::Closed(_)) => {}
        }
    }
    for (outbox, deadline) in full {
        let room = outbox.queue.send(Out::Line(Rc::clone(&line)));
        if time::timeout_at(deadline, room).await.is_err() {
            outbox.cut.notify_one();
        }
    }
}
// ANCHOR_END: broadcast

/// Why the server ends a connection with an `* error:` line.
enum Refusal {
    BadName,
    Taken(String),
    NoName,
    Evicted,
    TooLong,
    NotUtf8,
}

impl Refusal {
    fn line(&self) -> String {
        let why = match self {
            Refusal::BadName => {
                "a name is 1 to 16 ASCII letters or digits".into()
            }
            Refusal::Taken(name) => format!("{name} is already here"),
            Refusal::NoName => {
                format!("no name within {} s; goodbye", NAME_TIMEOUT.as_secs())
            }
            Refusal::Evicted => {
                "too many connections are waiting for a name; goodbye".into()
            }
            Refusal::TooLong => {
                format!("a line may be at most {MAX_LINE_BYTES} bytes; goodbye")
            }
            Refusal::NotUtf8 => "lines must be UTF-8 text; goodbye".into(),
        };
        format!("* error: {why}\n")
    }
}

/// How a joined client's connection ended.
enum Ending {
    /// The client closed its side, or its connection failed.
    Left,
    /// It sent a line that is too long or not UTF-8.
    Refused(Refusal),
    /// It stopped reading: its queue stayed full, or a line took too long
    /// to go out. No goodbye: it would not read one.
    Cut,
}

// ANCHOR: connection
/// One connection, from the welcome to the close: asks for a name, joins
/// the room, starts the writer task, and relays the client's lines until it
/// leaves; then tells the others, and says goodbye.
async fn converse(stream: TcpStream, me: Connection) {
    let (reader, mut writer) = stream.into_split();
    let mut lines = Lines::new(reader);
    let asked = time::timeout(NAME_TIMEOUT, ask_name(&mut writer, &mut lines));
    let first = tokio::select! {
        first = asked => first.unwrap_or(Next::Refused(Refusal::NoName)),
        () = me.evicted.notified() => Next::Refused(Refusal::Evicted),
    };
    me.room.borrow_mut().named(me.id);
    let name = match first {
        Next::Line(name) if is_valid_name(&name) => name,
        Next::Line(_) => return refuse(lines, writer, Refusal::BadName).await,
        Next::Refused(refusal) => return refuse(lines, writer, refusal).await,
        Next::Gone => return,
    };

    let (queue, waiting) = mpsc::channel(QUEUE_LINES);
    let cut = Rc::new(Notify::new());
    let outbox = Outbox {
        queue,
        full_since: Rc::default(),
        cut: Rc::clone(&cut),
    };
    let joined = me.room.borrow_mut().join(me.id, &name, outbox.clone());
    let Some(others) = joined else {
        return refuse(lines, writer, Refusal::Taken(name)).await;
    };
    // From here on the writer task is the only one that writes to the
    // client, and nothing this task does waits for it.
    let mut writing = task::spawn_local(write_lines(writer, waiting));
    let entered = format!("* {name} has entered the room\n");
    deliver(others, entered.into()).await;

    let ending = tokio::select! {
        refusal = relay(&mut lines, &name, &me) => match refusal {
            Some(refusal) => Ending::Refused(refusal),
            None => Ending::Left,
        },
        // The writer ends early only when it fails.
        _ = &mut writing => Ending::Cut,
        () = cut.notified() => Ending::Cut,
    };
    let left = me.room.borrow_mut().leave(me.id);
    let tell_the_others = async {
        if let Some((line, others)) = left {
            deliver(others, line).await;
        }
    };
    // Neither waits for the other: each may wait for a client.
    tokio::join!(tell_the_others, goodbye(ending, outbox, writing, lines));
}

/// Ends a joined client's connection. One that left or was refused gets
/// what is still in its queue, then the refusal, if any, and the end of the
/// stream; one that was cut off gets nothing more.
async fn goodbye(
    ending: Ending,
    outbox: Outbox,
    mut writing: task::JoinHandle<io::Result<()>>,
    lines: Lines,
) {
    let refusal = match ending {
        Ending::Left => None,
        Ending::Refused(refusal) => Some(refusal),
        Ending::Cut => {
            writing.abort();
            return;
        }
    };
    // The last lines go through the queue, after those already in it.
    let deadline = Instant::now() + QUEUE_GRACE;
    let last = refusal
        .iter()
        .map(|refusal| Out::Line(refusal.line().into()));
    for out in last.chain([Out::End]) {
        let queued = time::timeout_at(deadline, outbox.queue.send(out)).await;
        if !matches!(queued, Ok(Ok(()))) {
            break;
        }
    }
    if time::timeout_at(deadline, &mut writing).await.is_err() {
        // The client reads nothing: what is still queued is lost.
        writing.abort();
    }
    if refusal.is_some() {
        linger(lines).await;
    }
}
// ANCHOR_END: connection

/// Sends the welcome, then reads the first line: the name.
async fn ask_name(writer: &mut OwnedWriteHalf, lines: &mut Lines) -> Next {
    let welcome = format!("{WELCOME}\n");
    match writer.write_all(welcome.as_bytes()).await {
        Ok(()) => lines.next().await,
        Err(_) => Next::Gone,
    }
}

/// True for 1 to 16 ASCII letters and digits.
fn is_valid_name(name: &str) -> bool {
    (1..=16).contains(&name.len())
        && name.bytes().all(|byte| byte.is_ascii_alphanumeric())
}

/// Relays the client's lines to every other member until the client
/// leaves (`None`) or sends a line that is refused.
async fn relay(
    lines: &mut Lines,
    name: &str,
    me: &Connection,
) -> Option<Refusal> {
    loop {
        let text = match lines.next().await {
            Next::Line(text) => text,
            Next::Gone => return None,
            Next::Refused(refusal) => return Some(refusal),
        };
        let others = me.room.borrow().others(me.id);
        deliver(others, format!("[{name}] {text}\n").into()).await;
    }
}

// ANCHOR: writer
/// A client's writer task: empties its queue onto its socket until the end,
/// then closes its side of the connection. A line leaves the queue when it
/// is taken, which makes room for the next. It fails, and so ends the
/// connection, when the socket does, or when a line takes longer than
/// [`QUEUE_GRACE`] to go out: the client has stopped reading.
async fn write_lines(
    writer: OwnedWriteHalf,
    mut queue: mpsc::Receiver<Out>,
) -> io::Result<()> {
    let mut socket = BufWriter::new(writer);
    while let Some(Out::Line(line)) = queue.recv().await {
        let write = async {
            socket.write_all(line.as_bytes()).await?;
            // Lines that waited together go out together, in one write.
            if queue.is_empty() {
                socket.flush().await?;
            }
            io::Result::Ok(())
        };
        // One deadline for the whole line: a client that has stopped
        // reading still takes a few bytes now and then. Clients that stopped
        // together run out of time together, even those whose queues had
        // not quite filled up when a sender began to wait for another's.
        time::timeout(QUEUE_GRACE, write).await??;
    }
    // What is still buffered, then the end of the stream.
    socket.shutdown().await
}
// ANCHOR_END: writer

/// Sends one `* error:` line, closes the sending side, and lingers.
async fn refuse(lines: Lines, mut writer: OwnedWriteHalf, refusal: Refusal) {
    let line = refusal.line();
    let _ = time::timeout(LINGER, writer.write_all(line.as_bytes())).await;
    let _ = writer.shutdown().await;
    linger(lines).await;
}

/// Reads and throws away what the client still sends, until it closes its
/// side or [`LINGER`] is over. Closing a socket that has unread bytes sends
/// a reset, and a reset destroys what the client has not read yet: here, the
/// line that says why it is closed.
async fn linger(lines: Lines) {
    let (mut reader, mut nowhere) = (lines.reader, tokio::io::sink());
    let discard = tokio::io::copy(&mut reader, &mut nowhere);
    let _ = time::timeout(LINGER, discard).await;
}

/// What reading the next line gave.
enum Next {
    Line(String),
    /// The end of the stream, or an error: the client is gone. Bytes after
    /// its last line feed are not a line, and are dropped.
    Gone,
    Refused(Refusal),
}

// ANCHOR: lines
/// Cuts a client's bytes into lines, never holding more than one line.
struct Lines {
    reader: BufReader<OwnedReadHalf>,
    line: Vec<u8>,
}

impl Lines {
    fn new(reader: OwnedReadHalf) -> Lines {
        Lines {
            reader: BufReader::new(reader),
            line: Vec::new(),
        }
    }

    /// The next line, without its `\n` and an optional `\r` before it.
    async fn next(&mut self) -> Next {
        // The longest line, a `\r` and the `\n`: `take` stops `read_until`
        // there, so a line without end cannot fill the memory.
        const MOST: usize = MAX_LINE_BYTES + 2;
        self.line.clear();
        let mut limited = (&mut self.reader).take(MOST as u64);
        match limited.read_until(b'\n', &mut self.line).await {
            Ok(_) if self.line.last() == Some(&b'\n') => {}
            Ok(_) if self.line.len() == MOST => {
                return Next::Refused(Refusal::TooLong);
            }
            _ => return Next::Gone,
        }
        self.line.pop();
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        if self.line.len() > MAX_LINE_BYTES {
            return Next::Refused(Refusal::TooLong);
        }
        // Whole lines are decoded: a character split between two reads is
        // whole by now.
        match String::from_utf8(std::mem::take(&mut self.line)) {
            Ok(text) => Next::Line(text),
            Err(_) => Next::Refused(Refusal::NotUtf8),
        }
    }
}
// ANCHOR_END: lines

// The chapter's tests. Not formatted here: this crate's 80 columns would
// reformat the exercises' test files.
#[cfg(test)]
#[rustfmt::skip]
#[path = "../../../../exercises/ch09-one-thread/src/tests.rs"]
mod tests;
