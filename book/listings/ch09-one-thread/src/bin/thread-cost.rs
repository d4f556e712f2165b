//! What a thousand idle threads cost in memory, for the chapter "One thread,
//! many sockets": the address space their stacks reserve, against the memory
//! they touch. It reads `/proc/self/status`, which only Linux has; elsewhere
//! it says so.
//!
//! The figures depend on the system and change a little from run to run.

use std::fs;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

const THREADS: usize = 1000;

fn main() {
    let Some(before) = Memory::now() else {
        println!("this program reads /proc/self/status, which only Linux has");
        return;
    };
    let release = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for _ in 0..THREADS {
        let release = Arc::clone(&release);
        // Each thread waits, as a thread blocked in `read` waits for a
        // client that says nothing.
        let waiting = thread::Builder::new().spawn(move || {
            while !release.load(Ordering::Acquire) {
                thread::park();
            }
        });
        match waiting {
            Ok(handle) => threads.push(handle),
            Err(error) => {
                println!(
                    "the system refused thread {}: {error}",
                    threads.len()
                );
                break;
            }
        }
    }
    let after =
        Memory::now().expect("/proc/self/status was there a moment ago");
    release.store(true, Ordering::Release);
    for handle in &threads {
        handle.thread().unpark();
    }
    for handle in threads.drain(..) {
        handle.join().expect("a waiting thread panicked");
    }

    let count = THREADS as u64;
    let reserved = after.reserved_kib.saturating_sub(before.reserved_kib);
    let touched = after.resident_kib.saturating_sub(before.resident_kib);
    println!("{THREADS} threads, each waiting:");
    println!(
        "  address space reserved: +{} MiB, {} KiB a thread",
        reserved / 1024,
        reserved / count
    );
    println!(
        "  memory touched (resident): +{} MiB, {} KiB a thread",
        touched / 1024,
        touched / count
    );
}

/// The process's memory, as `/proc/self/status` gives it, in KiB.
struct Memory {
    /// `VmSize`: all the address space the process has reserved.
    reserved_kib: u64,
    /// `VmRSS`: the part of it that is in memory, because it was touched.
    resident_kib: u64,
}

impl Memory {
    fn now() -> Option<Memory> {
        let status = fs::read_to_string("/proc/self/status").ok()?;
        let field = |name: &str| -> Option<u64> {
            let line = status.lines().find(|line| line.starts_with(name))?;
            line[name.len()..]
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        };
        Some(Memory {
            reserved_kib: field("VmSize:")?,
            resident_kib: field("VmRSS:")?,
        })
    }
}
