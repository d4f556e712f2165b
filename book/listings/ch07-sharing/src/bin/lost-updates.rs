//! Two threads add one a million times each to a shared counter, once with a load and a store,
//! and once with `fetch_add`. The first loses updates; how many changes from run to run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

const PER_THREAD: u64 = 1_000_000;

fn count(add: impl Fn(&AtomicU64) + Sync) -> u64 {
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

fn main() {
    // ANCHOR: racy
    let racy = count(|total| {
        // Two steps: another thread may store between this load and this store.
        let seen = total.load(Ordering::Relaxed);
        total.store(seen + 1, Ordering::Relaxed);
    });
    // ANCHOR_END: racy
    // ANCHOR: atomic
    let exact = count(|total| {
        // One indivisible step.
        total.fetch_add(1, Ordering::Relaxed);
    });
    // ANCHOR_END: atomic
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
