//! The code that the book's chapter "Sharing between threads" shows, included
//! by anchor and compiled (and tested) here.

pub mod car_park;
pub mod worker;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread;

// ANCHOR: arc_mutex
/// Four threads add to one counter: the `Arc` lets them all own it, the
/// `Mutex` lets one at a time change it.
pub fn count_with_a_mutex(per_thread: u64) -> u64 {
    let total = Arc::new(Mutex::new(0_u64));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let total = Arc::clone(&total);
            thread::spawn(move || {
                for _ in 0..per_thread {
                    *total.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    *total.lock().unwrap()
}
// ANCHOR_END: arc_mutex

// ANCHOR: atomic
/// The same count with an atomic: `fetch_add` reads, adds and writes in one
/// indivisible step.
pub fn count_with_an_atomic(per_thread: u64) -> u64 {
    let total = AtomicU64::new(0);
    thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..per_thread {
                    total.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    total.into_inner()
}
// ANCHOR_END: atomic

// ANCHOR: rwlock
/// A phone book that many threads read at once and few change: an `RwLock`
/// lets any number of readers in together, or one writer alone.
#[derive(Default)]
pub struct PhoneBook {
    numbers: RwLock<HashMap<String, String>>,
}

impl PhoneBook {
    pub fn lookup(&self, name: &str) -> Option<String> {
        self.numbers.read().unwrap().get(name).cloned()
    }

    pub fn set(&self, name: &str, number: &str) {
        self.numbers
            .write()
            .unwrap()
            .insert(name.to_owned(), number.to_owned());
    }
}
// ANCHOR_END: rwlock

/// A bank account, for the lock-order example.
pub struct Account {
    pub id: u32,
    pub balance: Mutex<i64>,
}

// ANCHOR: lock_order
/// Moves `amount` from one account to another. Both locks are always taken in
/// the same order (lower id first), whichever way the money goes, so two
/// opposite transfers cannot each hold one lock while waiting for the other.
pub fn transfer(from: &Account, to: &Account, amount: i64) {
    let (first, second) = if from.id < to.id {
        (from, to)
    } else {
        (to, from)
    };
    let mut first_balance = first.balance.lock().unwrap();
    let mut second_balance = second.balance.lock().unwrap();
    if first.id == from.id {
        *first_balance -= amount;
        *second_balance += amount;
    } else {
        *second_balance -= amount;
        *first_balance += amount;
    }
}
// ANCHOR_END: lock_order

#[cfg(test)]
mod tests {
    use super::*;

    use testkit::compile::{expect_compile_error, rustc_runs};

    #[test]
    fn an_rc_moved_into_a_thread_is_refused_with_e0277() {
        if !rustc_runs() {
            eprintln!("skipped: rustc cannot be run on this machine");
            return;
        }
        let file = "book/listings/ch07-sharing/broken/rc.rs";
        let messages = expect_compile_error(file, "E0277").unwrap();
        assert!(
            messages.contains("`Rc<usize>` cannot be sent between threads"),
            "{messages}"
        );
    }

    #[test]
    fn moving_out_of_a_type_with_drop_is_refused_with_e0509() {
        if !rustc_runs() {
            eprintln!("skipped: rustc cannot be run on this machine");
            return;
        }
        let file = "book/listings/ch07-sharing/broken/close_by_value.rs";
        let messages = expect_compile_error(file, "E0509").unwrap();
        assert!(
            messages.contains("cannot move out of type `Worker`"),
            "{messages}"
        );
    }

    #[test]
    fn both_counters_count_every_increment() {
        assert_eq!(count_with_a_mutex(1000), 4000);
        assert_eq!(count_with_an_atomic(1000), 4000);
    }

    #[test]
    fn the_phone_book_remembers() {
        let book = PhoneBook::default();
        book.set("alice", "555-0100");
        assert_eq!(book.lookup("alice").as_deref(), Some("555-0100"));
        assert_eq!(book.lookup("bob"), None);
    }

    #[test]
    fn opposite_transfers_never_deadlock() {
        let a = Account {
            id: 1,
            balance: Mutex::new(1000),
        };
        let b = Account {
            id: 2,
            balance: Mutex::new(1000),
        };
        thread::scope(|scope| {
            scope.spawn(|| (0..10_000).for_each(|_| transfer(&a, &b, 1)));
            scope.spawn(|| (0..10_000).for_each(|_| transfer(&b, &a, 1)));
        });
        assert_eq!(*a.balance.lock().unwrap(), 1000);
        assert_eq!(*b.balance.lock().unwrap(), 1000);
    }
}
