//! Benchmark of the chat server under clients that misbehave together, and the resources each
//! client costs:
//!
//! - the delay the others see in all (and its longest stretch) while 1, 5 or 10 clients stop
//!   reading at once;
//! - how long a real client takes to join during a flood of 600 silent connections;
//! - the descriptors and threads each joined client costs;
//! - resident memory and CPU with 1000 idle clients joined.
//!
//! The server is this package's `chat-server` (`cargo bench -p ch08-chat-server --bench
//! hostile`); with `CHAT_SERVER_BASELINE` set to another `chat-server` binary, that one is
//! measured too, in the same run. Descriptors, threads, memory and CPU come from `/proc`: "n/a"
//! off Linux. The benchmark opens about 2000 connections: raise `ulimit -n` if it fails to.

use std::collections::BTreeSet;
use std::io::BufRead;
use std::thread;
use std::time::{Duration, Instant};

#[allow(dead_code)] // Each benchmark uses its own part of it.
mod common;

use common::{Client, Server, show};

/// How long a measurement may wait for the server before it gives up on it.
const PATIENCE: Duration = Duration::from_secs(60);

/// How long bob waited in all, in seconds, in gaps of more than 100 ms between two lines, while
/// alice floods (32 lines of 4 KB every 20 ms) and the `stalled` clients read nothing, until bob
/// hears that all of them left, and the longest of those gaps; `None` when they are still in
/// the room after [`PATIENCE`].
fn delays(server: &Server, stalled: usize) -> Option<(f64, f64)> {
    let mut alice = Client::join(server.addr, "alice");
    let mut bob = Client::join(server.addr, "bob");
    alice.line();
    let names: Vec<String> = (0..stalled).map(|n| format!("sam{n}")).collect();
    let silent: Vec<Client> = names
        .iter()
        .map(|name| {
            let client = Client::join(server.addr, name);
            alice.line();
            bob.line();
            client
        })
        .collect();
    let filler = "z".repeat(4000);
    let (mut sent, mut got) = (0, 0);
    let (mut worst, mut total) = (Duration::ZERO, Duration::ZERO);
    let mut left = BTreeSet::new();
    let started = Instant::now();
    let mut last = Instant::now();
    while left.len() < stalled {
        if started.elapsed() > PATIENCE {
            return None;
        }
        let batch: String = (sent..sent + 32)
            .map(|n| format!("{n:05} {filler}\n"))
            .collect();
        alice.send(&batch);
        sent += 32;
        // Pacing alice, so that the gaps bob sees are the server's.
        thread::sleep(Duration::from_millis(20));
        while got < sent {
            let line = bob.line();
            let gap = last.elapsed();
            worst = worst.max(gap);
            if gap > Duration::from_millis(100) {
                total += gap;
            }
            last = Instant::now();
            if line.starts_with('*') {
                left.insert(line);
            } else {
                got += 1;
            }
        }
    }
    drop(silent);
    Some((total.as_secs_f64(), worst.as_secs_f64()))
}

/// Seconds from a real client's first try to its joining, while `silent` connections that never
/// send a name are open; the client tries again every 100 ms. `None` after [`PATIENCE`].
fn join_during_flood(server: &Server, silent: usize) -> Option<f64> {
    let flood: Vec<Client> = (0..silent).map(|_| Client::connect(server.addr)).collect();
    let started = Instant::now();
    while started.elapsed() < PATIENCE {
        let mut real = Client::connect(server.addr);
        let mut welcome = String::new();
        let welcomed = real.reader.read_line(&mut welcome).is_ok_and(|n| n > 0);
        if welcomed && !welcome.starts_with("* error") {
            real.send("ruth\n");
            let mut room = String::new();
            if real.reader.read_line(&mut room).is_ok_and(|n| n > 0)
                && room.starts_with('*')
                && !room.starts_with("* error")
            {
                drop(flood);
                return Some(started.elapsed().as_secs_f64());
            }
        }
        // Pacing a person who tries again.
        thread::sleep(Duration::from_millis(100));
    }
    None
}

/// Up to `clients` idle clients, joined: fewer if the server turns some away.
fn idle_clients(server: &Server, clients: usize) -> Vec<Client> {
    (0..clients)
        .map_while(|n| Client::try_join(server.addr, &format!("idle{n:04}")))
        .collect()
}

/// Descriptors and threads per joined client: the server's counts with `clients` idle clients,
/// less its counts with none, divided by `clients`.
fn per_client(server: &Server, clients: usize) -> (Option<f64>, Option<f64>) {
    settle(server);
    let (fds, threads) = (server.descriptors(), server.threads());
    let idle = idle_clients(server, clients);
    let clients = idle.len().max(1);
    let per = |before: Option<usize>, after: Option<usize>| {
        Some((after? as f64 - before? as f64) / clients as f64)
    };
    let figures = (
        per(fds, server.descriptors()),
        per(threads, server.threads()),
    );
    drop(idle);
    figures
}

/// Waits, for at most 15 s, until the server's descriptors and threads have stayed the same for a
/// second: connections of an earlier step may still be closing, and would count as the
/// starting point otherwise.
fn settle(server: &Server) {
    let started = Instant::now();
    let mut last = (server.descriptors(), server.threads());
    let mut steady = Instant::now();
    while started.elapsed() < Duration::from_secs(15) && steady.elapsed() < Duration::from_secs(1) {
        // Sampling the server's counts; nothing to wait on but time.
        thread::sleep(Duration::from_millis(100));
        let now = (server.descriptors(), server.threads());
        if now != last {
            last = now;
            steady = Instant::now();
        }
    }
}

/// Resident memory in MiB, and CPU use in per cent of one core over five seconds, with up to
/// `clients` idle clients joined, and how many joined.
fn idle_cost(server: &Server, clients: usize) -> (Option<f64>, Option<f64>, usize) {
    let idle = idle_clients(server, clients);
    let before = server.cpu();
    // Measuring what idleness costs: there is nothing to wait for.
    thread::sleep(Duration::from_secs(5));
    let cpu = before
        .zip(server.cpu())
        .map(|(before, after)| (after - before) / 5.0 * 100.0);
    let rss = server.memory("VmRSS:");
    let joined = idle.len();
    drop(idle);
    (rss, cpu, joined)
}

fn main() {
    let mut servers = vec![Server::ours()];
    servers.extend(Server::baseline());
    let labels: Vec<&str> = servers.iter().map(|s| s.label.as_str()).collect();
    let row = |name: &str, figures: &[String]| {
        print!("{name:<52}");
        for figure in figures {
            print!(" {figure:>24}");
        }
        println!();
    };
    row(
        "",
        &labels.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
    );

    for stalled in [1, 5, 10] {
        let figures: Vec<String> = servers
            .iter()
            .map(|server| {
                delays(server, stalled).map_or_else(
                    || "never cut off".to_owned(),
                    |(total, worst)| format!("{total:.2} s ({worst:.2} s)"),
                )
            })
            .collect();
        row(
            &format!("others' delay (longest), {stalled:>2} stop reading at once"),
            &figures,
        );
    }
    let figures: Vec<String> = servers
        .iter()
        .map(|server| {
            join_during_flood(server, 600).map_or_else(
                || format!("not in {} s", PATIENCE.as_secs()),
                |s| format!("{s:.2} s"),
            )
        })
        .collect();
    row("a real client joins, 600 silent connections open", &figures);
    let costs: Vec<(Option<f64>, Option<f64>)> = servers
        .iter()
        .map(|server| per_client(server, 100))
        .collect();
    row(
        "descriptors per joined client (100 clients)",
        &costs
            .iter()
            .map(|c| show(c.0.map(|v| format!("{v:.2}"))))
            .collect::<Vec<_>>(),
    );
    row(
        "threads per joined client (100 clients)",
        &costs
            .iter()
            .map(|c| show(c.1.map(|v| format!("{v:.2}"))))
            .collect::<Vec<_>>(),
    );
    let idle: Vec<(Option<f64>, Option<f64>, usize)> = servers
        .iter()
        .map(|server| idle_cost(server, 1000))
        .collect();
    row(
        "idle clients that could join (of 1000)",
        &idle.iter().map(|c| c.2.to_string()).collect::<Vec<_>>(),
    );
    row(
        "resident memory with them",
        &idle
            .iter()
            .map(|c| show(c.0.map(|v| format!("{v:.1} MiB"))))
            .collect::<Vec<_>>(),
    );
    row(
        "CPU while they are idle (one core = 100 %)",
        &idle
            .iter()
            .map(|c| show(c.1.map(|v| format!("{v:.1} %"))))
            .collect::<Vec<_>>(),
    );
}
