//! Two threads add one a million times each to a shared counter, once with a
//! load and a store, and once with `fetch_add`. The first loses updates; how
//! many changes from run to run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

const PER_THREAD: u64 = 1_000_000;

/// Runs `add` a million times on each of two threads, on one counter.
fn count(add: fn(&AtomicU64)) -> u64 {
    let total = AtomicU64::new(0);
    thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                for _ in 0..PER_THREAD {
                    add(&total);
                }
            });
        }
    });
    total.into_inner()
}

// ANCHOR: racy
/// Two steps: another thread may store between this load and this store.
fn load_then_store(total: &AtomicU64) {
    let seen = total.load(Ordering::Relaxed);
    total.store(seen + 1, Ordering::Relaxed);
}
// ANCHOR_END: racy

// ANCHOR: atomic
/// One indivisible step.
fn fetch_add(total: &AtomicU64) {
    total.fetch_add(1, Ordering::Relaxed);
}
// ANCHOR_END: atomic

fn main() {
    let racy = count(load_then_store);
    let exact = count(fetch_add);
    let expected = 2 * PER_THREAD;
    println!("expected:          {expected}");
    println!(
        "load, then store:  {racy} ({} updates lost)",
        expected - racy
    );
    println!(
        "fetch_add:         {exact} ({} updates lost)",
        expected - exact
    );
}
