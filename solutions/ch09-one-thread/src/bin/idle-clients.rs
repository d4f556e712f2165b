//! What idle clients cost three chat servers that speak the same protocol: the chat server
//! chapter's (a thread per client), this chapter's (one thread, `mio`) and the tokio listing's
//! (one thread, async). Each runs in a child process of its own, so what the operating system
//! says about that process is the server's alone.
//!
//! For each server it joins N clients (each reads every "has entered" line the later ones
//! cause), lets them sit idle, and reads the server's resident memory, threads and open
//! descriptors from `/proc` (Linux; "n/a" elsewhere); then it times one line from the first client
//! to all the others, five times, and keeps the median. A server that refuses clients (the
//! thread-per-client server has a bound) is measured with the clients it took, and says so.
//!
//! ```text
//! cargo run --release -p ch09-one-thread-solution --bin idle-clients -- --clients 1000
//! ```
//!
//! Options: `--clients N` (default 200), `--servers threads,mio,tokio` (which, in that order),
//! `--chart` (an SVG bar chart after the table, in the book's style). The clients are driven by
//! one `mio` event loop in this process. On Linux it raises its own descriptor limit to the hard
//! limit first (with `prlimit`, as nothing in std can), and says so: N clients need N descriptors
//! here and one or two each in the server.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

/// How long any one phase may take before the measurement of a server gives up.
const PATIENCE: Duration = Duration::from_secs(300);
/// How many clients connect at a time while joining: well under the servers' allowance of
/// connections that have not sent a name yet (100 in the references), which refuses the rest.
const WAVE: usize = 50;
/// How many lines are timed from the first client to all the others.
const ROUNDS: usize = 5;

/// The servers, by the name the command line and the table use.
const KINDS: [(&str, &str); 3] = [
    ("threads", "a thread per client (chat server chapter)"),
    ("mio", "one thread, mio (this chapter)"),
    ("tokio", "one thread, tokio (listing)"),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        return match serve(args.get(1).map(String::as_str).unwrap_or("")) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("idle-clients serve: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let options = match Options::parse(&args) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("idle-clients: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    println!("{}", raise_descriptor_limit());
    let mut rows = Vec::new();
    for kind in &options.servers {
        match measure(kind, options.clients) {
            Ok(row) => rows.push(row),
            Err(error) => {
                eprintln!("idle-clients: the {kind} server could not be measured: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!();
    print_table(&rows, options.clients);
    if options.chart {
        println!();
        println!("{}", chart(&rows, options.clients));
    }
    ExitCode::SUCCESS
}

const USAGE: &str = "usage: idle-clients [--clients N] [--servers threads,mio,tokio] [--chart]";

struct Options {
    clients: usize,
    servers: Vec<String>,
    chart: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            clients: 200,
            servers: KINDS.iter().map(|(kind, _)| kind.to_string()).collect(),
            chart: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--clients" => {
                    let value = args.next().ok_or("--clients needs a number")?;
                    options.clients = value
                        .parse()
                        .ok()
                        .filter(|n| *n >= 2)
                        .ok_or(format!("--clients {value}: give a number of 2 or more"))?;
                }
                "--servers" => {
                    let value = args.next().ok_or("--servers needs a list")?;
                    options.servers = value.split(',').map(str::to_owned).collect();
                    if let Some(unknown) = options
                        .servers
                        .iter()
                        .find(|s| !KINDS.iter().any(|(kind, _)| kind == s))
                    {
                        return Err(format!("there is no server `{unknown}`"));
                    }
                }
                "--chart" => options.chart = true,
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        Ok(options)
    }
}

/// The child's side: runs the server `kind` on a free port of 127.0.0.1, says where, and stops
/// it when its input ends.
fn serve(kind: &str) -> io::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let stop: Box<dyn FnOnce()>;
    let local = match kind {
        "threads" => {
            let server = ch08_chat_server_solution::Server::start(addr)?;
            let local = server.local_addr();
            stop = Box::new(move || server.shutdown());
            local
        }
        "mio" => {
            let server = ch09_one_thread_solution::Server::start(addr)?;
            let local = server.local_addr();
            stop = Box::new(move || server.shutdown());
            local
        }
        "tokio" => {
            let server = ch09_one_thread_listings::tokio_chat::Server::start(addr)?;
            let local = server.local_addr();
            stop = Box::new(move || server.shutdown());
            local
        }
        other => {
            return Err(io::Error::new(
                ErrorKind::InvalidInput,
                format!("no server `{other}`"),
            ));
        }
    };
    println!("listening on {local}");
    io::stdout().flush()?;
    // Until the measuring process closes our input.
    io::copy(&mut io::stdin(), &mut io::sink())?;
    stop();
    Ok(())
}

/// On Linux, raises this process's descriptor limit to its hard limit (children inherit it), and
/// says what it did.
fn raise_descriptor_limit() -> String {
    if !cfg!(target_os = "linux") {
        return "Descriptor limit: left as it is (raising it needs `ulimit -n` before the run here)"
            .to_owned();
    }
    let limits = |text: &str| -> Option<(String, String)> {
        let line = text.lines().find(|l| l.starts_with("Max open files"))?;
        let mut fields = line["Max open files".len()..].split_whitespace();
        Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
    };
    let before = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| limits(&t));
    let Some((soft, hard)) = before else {
        return "Descriptor limit: unknown (no /proc/self/limits)".to_owned();
    };
    if soft == hard {
        return format!("Descriptor limit: {soft} (already the hard limit)");
    }
    let pid = std::process::id().to_string();
    let raised = Command::new("prlimit")
        .args(["--pid", &pid, &format!("--nofile={hard}:{hard}")])
        .status()
        .is_ok_and(|s| s.success());
    let after = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| limits(&t))
        .map(|(soft, _)| soft);
    match after {
        Some(now) if raised && now == hard => {
            format!("Descriptor limit: raised from {soft} to {hard} (the hard limit) with prlimit")
        }
        _ => format!(
            "Descriptor limit: {soft} (prlimit could not raise it to {hard}; `ulimit -n {hard}` \
             before the run does)"
        ),
    }
}

/// One server's figures.
struct Row {
    kind: String,
    joined: usize,
    refused: bool,
    join_seconds: f64,
    rss_mib: Option<f64>,
    threads: Option<usize>,
    descriptors: Option<usize>,
    latency_ms: f64,
}

/// A server under measurement, in a child process.
struct ServerProcess {
    child: Child,
    input: Option<ChildStdin>,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start(kind: &str) -> io::Result<ServerProcess> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["serve", kind])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let input = child.stdin.take();
        let output = child.stdout.take().ok_or(io::ErrorKind::BrokenPipe)?;
        let mut first = String::new();
        BufReader::new(output).read_line(&mut first)?;
        let addr = first
            .split_whitespace()
            .last()
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| io::Error::other(format!("the server said {first:?}")))?;
        Ok(ServerProcess { child, input, addr })
    }

    fn status(&self, field: &str) -> Option<String> {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = text.lines().find(|l| l.starts_with(field))?;
        Some(line[field.len()..].trim().to_owned())
    }

    fn rss_mib(&self) -> Option<f64> {
        let kib: f64 = self
            .status("VmRSS:")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        Some(kib / 1024.0)
    }

    fn threads(&self) -> Option<usize> {
        self.status("Threads:")?.parse().ok()
    }

    fn descriptors(&self) -> Option<usize> {
        Some(
            std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
                .ok()?
                .count(),
        )
    }

    /// Closes the server's input, so it shuts down, and waits for it.
    fn stop(mut self) {
        drop(self.input.take());
        let _ = self.child.wait();
    }
}

/// One client, as the measuring event loop keeps it.
struct Client {
    stream: TcpStream,
    name: String,
    /// Whether its name has been sent.
    named: bool,
    /// Complete lines received.
    lines: usize,
    /// It got an `* error:` line: the server refused it.
    refused: bool,
    closed: bool,
}

/// The clients of one measurement and the loop that drives them.
struct Clients {
    poll: Poll,
    events: Events,
    clients: HashMap<Token, Client>,
    buffer: Vec<u8>,
}

impl Clients {
    fn new() -> io::Result<Clients> {
        Ok(Clients {
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            clients: HashMap::new(),
            buffer: vec![0; 64 * 1024],
        })
    }

    fn connect(&mut self, addr: SocketAddr, index: usize) -> io::Result<()> {
        let mut stream = TcpStream::connect(addr)?;
        let token = Token(index);
        self.poll.registry().register(
            &mut stream,
            token,
            Interest::READABLE | Interest::WRITABLE,
        )?;
        self.clients.insert(
            token,
            Client {
                stream,
                name: format!("c{index}"),
                named: false,
                lines: 0,
                refused: false,
                closed: false,
            },
        );
        Ok(())
    }

    /// Serves every ready client once: sends names, counts lines.
    fn turn(&mut self, timeout: Duration) -> io::Result<()> {
        match self.poll.poll(&mut self.events, Some(timeout)) {
            Err(error) if error.kind() == ErrorKind::Interrupted => return Ok(()),
            other => other?,
        }
        for event in self.events.iter() {
            let Some(client) = self.clients.get_mut(&event.token()) else {
                continue;
            };
            if event.is_writable() && !client.named && !client.closed {
                let line = format!("{}\n", client.name);
                match client.stream.write(line.as_bytes()) {
                    // A dozen bytes on a fresh connection: all or nothing.
                    Ok(n) if n == line.len() => client.named = true,
                    Ok(_) => return Err(io::Error::other("a name was cut in two")),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == ErrorKind::NotConnected => {}
                    Err(_) => client.closed = true,
                }
            }
            if event.is_readable() || event.is_read_closed() {
                loop {
                    match client.stream.read(&mut self.buffer) {
                        Ok(0) => {
                            client.closed = true;
                            break;
                        }
                        Ok(n) => {
                            let got = &self.buffer[..n];
                            // A refusal is one `* error:` line, the first after the welcome.
                            if client.lines <= 1 && got.windows(8).any(|w| w == b"* error:") {
                                client.refused = true;
                            }
                            client.lines += got.iter().filter(|b| **b == b'\n').count();
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(_) => {
                            client.closed = true;
                            break;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Turns until `done` says so, or gives up after [`PATIENCE`].
    fn until(&mut self, what: &str, done: impl Fn(&Clients) -> bool) -> io::Result<()> {
        let started = Instant::now();
        while !done(self) {
            if started.elapsed() > PATIENCE {
                return Err(io::Error::other(format!("gave up waiting for {what}")));
            }
            self.turn(Duration::from_millis(50))?;
        }
        Ok(())
    }
}

/// Joins up to `wanted` clients to the server `kind`, and measures it.
fn measure(kind: &str, wanted: usize) -> io::Result<Row> {
    let server = ServerProcess::start(kind)?;
    let mut clients = Clients::new()?;
    let started = Instant::now();
    let mut joined = 0;
    let mut refused = false;
    // In waves: each newcomer's room line, then the "has entered" line every earlier client gets.
    while joined < wanted && !refused {
        let wave = WAVE.min(wanted - joined);
        for index in joined..joined + wave {
            clients.connect(server.addr, index)?;
        }
        let target = joined + wave;
        // Each client of the wave has the welcome and the room line, or was refused.
        clients.until("the wave to join", |c| {
            (joined..target).all(|i| {
                let client = &c.clients[&Token(i)];
                client.refused || client.closed || client.lines >= 2
            })
        })?;
        let taken: Vec<usize> = (joined..target)
            .filter(|i| {
                let client = &clients.clients[&Token(*i)];
                !client.refused && !client.closed
            })
            .collect();
        if taken.len() < wave {
            refused = true;
            // Keep the clients that joined; the refused are gone.
            for i in joined..target {
                if !taken.contains(&i) {
                    clients.clients.remove(&Token(i));
                }
            }
        }
        joined += taken.len();
        // Each client has the welcome and the room line, and hears of every client that joined
        // after it: one line for each pair, whatever order the server took them in.
        let expected = 2 * joined + joined * (joined - 1) / 2;
        clients.until("every 'has entered' line", |c| {
            c.clients.values().map(|client| client.lines).sum::<usize>() >= expected
        })?;
    }
    let join_seconds = started.elapsed().as_secs_f64();
    // Idle: nothing moves for a moment, then the operating system's figures.
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_millis(500) {
        clients.turn(Duration::from_millis(100))?;
    }
    let (rss_mib, threads, descriptors) =
        (server.rss_mib(), server.threads(), server.descriptors());

    // One line from client 0 to everyone else, timed until the last one has it.
    let mut times = Vec::new();
    for round in 0..ROUNDS {
        let before: HashMap<Token, usize> = clients
            .clients
            .iter()
            .map(|(token, client)| (*token, client.lines))
            .collect();
        let line = format!("round {round}\n");
        let started = Instant::now();
        let first = clients
            .clients
            .get_mut(&Token(0))
            .ok_or_else(|| io::Error::other("the first client is gone"))?;
        first.stream.write_all(line.as_bytes())?;
        clients.until("the line to reach everyone", |c| {
            c.clients.iter().all(|(token, client)| {
                token.0 == 0 || client.closed || client.lines > before[token]
            })
        })?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let latency_ms = times[times.len() / 2];
    drop(clients);
    server.stop();
    Ok(Row {
        kind: kind.to_owned(),
        joined,
        refused,
        join_seconds,
        rss_mib,
        threads,
        descriptors,
        latency_ms,
    })
}

fn describe(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("", |(_, what)| what)
}

fn show<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| v.to_string())
}

fn print_table(rows: &[Row], wanted: usize) {
    println!(
        "| server | clients joined | joining took | resident memory | threads | descriptors | \
         a line to everyone (median of {ROUNDS}) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for row in rows {
        let joined = if row.refused {
            format!("{} of {wanted} (refused the rest)", row.joined)
        } else {
            row.joined.to_string()
        };
        println!(
            "| {} | {joined} | {:.1} s | {} | {} | {} | {:.1} ms |",
            describe(&row.kind),
            row.join_seconds,
            show(row.rss_mib.map(|m| format!("{m:.1} MiB"))),
            show(row.threads),
            show(row.descriptors),
            row.latency_ms,
        );
    }
}

/// One bar chart: its title, its figure for a server, and the figure's unit.
type Metric = (&'static str, fn(&Row) -> Option<f64>, &'static str);

/// A bar chart of memory, threads and latency, one bar per server, in the book's SVG style (its
/// colours follow the reader's theme).
fn chart(rows: &[Row], wanted: usize) -> String {
    let metrics: [Metric; 3] = [
        ("resident memory", |r| r.rss_mib, "MiB"),
        ("threads", |r| r.threads.map(|t| t as f64), ""),
        ("a line to everyone", |r| Some(r.latency_ms), "ms"),
    ];
    let bar_height = 18;
    let block = 40 + rows.len() * (bar_height + 8);
    let height = 50 + metrics.len() * block;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"idle-clients\" viewBox=\"0 0 740 {height}\" \
         width=\"740\" role=\"img\" aria-labelledby=\"idle-clients-title\" style=\"max-width: 100%; \
         height: auto;\">\n<title id=\"idle-clients-title\">What {wanted} idle clients cost three \
         chat servers: resident memory, threads, and the time for one line to reach everyone.</title>\n\
         <style>\n#idle-clients text {{ font-family: \"Open Sans\", \"Helvetica Neue\", Arial, \
         sans-serif; font-size: 14px; fill: var(--fg, #7a7a7a); }}\n#idle-clients .head {{ \
         font-size: 16px; font-weight: bold; }}\n#idle-clients .bar {{ fill: var(--links, \
         #3d8fd1); }}\n</style>\n<text class=\"head\" x=\"10\" y=\"28\">{wanted} idle clients, \
         measured when the book was built</text>\n"
    );
    for (index, (name, value, unit)) in metrics.iter().enumerate() {
        let top = 50 + index * block;
        svg.push_str(&format!(
            "<text class=\"head\" x=\"10\" y=\"{}\">{name}</text>\n",
            top + 20
        ));
        let largest = rows
            .iter()
            .filter_map(value)
            .fold(0.0_f64, f64::max)
            .max(f64::MIN_POSITIVE);
        for (line, row) in rows.iter().enumerate() {
            let y = top + 32 + line * (bar_height + 8);
            svg.push_str(&format!(
                "<text x=\"10\" y=\"{}\">{}</text>\n",
                y + 14,
                row.kind
            ));
            match value(row) {
                Some(v) => {
                    let width = (v / largest * 480.0).max(1.0);
                    let shown = if unit.is_empty() {
                        format!("{v:.0}")
                    } else {
                        format!("{v:.1} {unit}")
                    };
                    svg.push_str(&format!(
                        "<rect class=\"bar\" x=\"90\" y=\"{y}\" width=\"{width:.1}\" \
                         height=\"{bar_height}\"/>\n<text x=\"{:.1}\" y=\"{}\">{shown}</text>\n",
                        90.0 + width + 8.0,
                        y + 14
                    ));
                }
                None => svg.push_str(&format!(
                    "<text x=\"90\" y=\"{}\">not measured here</text>\n",
                    y + 14
                )),
            }
        }
    }
    svg.push_str("</svg>");
    svg
}
