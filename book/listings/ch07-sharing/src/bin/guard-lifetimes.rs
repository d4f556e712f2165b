//! Where a lock guard ends: at the end of its statement, at the end of its
//! block, or at the end of a whole `match`. `try_lock` shows whether the lock
//! is still held, without waiting for ever.

use std::collections::HashMap;
use std::sync::Mutex;

type Scores = Mutex<HashMap<&'static str, u32>>;

fn is_free(lock: &Scores) -> &'static str {
    match lock.try_lock() {
        Ok(_) => "free",
        Err(_) => "STILL HELD: locking it again here would wait for ever",
    }
}

// ANCHOR: statement
fn in_a_statement(scores: &Scores) {
    let alice = scores.lock().unwrap().get("alice").copied();
    println!("after a statement:    {} ({alice:?})", is_free(scores));
}
// ANCHOR_END: statement

// ANCHOR: binding
fn bound_to_a_name(scores: &Scores) {
    let guard = scores.lock().unwrap();
    println!("while a guard lives:  {}", is_free(scores));
    drop(guard);
    println!("after drop(guard):    {}", is_free(scores));
}
// ANCHOR_END: binding

// ANCHOR: match
fn in_a_match(scores: &Scores) {
    match scores.lock().unwrap().get("alice") {
        Some(n) => println!("inside the match:     {} ({n})", is_free(scores)),
        None => println!("nobody called alice"),
    }
}
// ANCHOR_END: match

// ANCHOR: match_fixed
fn match_on_a_copy(scores: &Scores) {
    let score = scores.lock().unwrap().get("alice").copied();
    match score {
        Some(n) => println!("match on a copy:      {} ({n})", is_free(scores)),
        None => println!("nobody called alice"),
    }
}
// ANCHOR_END: match_fixed

fn main() {
    let scores = Mutex::new(HashMap::from([("alice", 3)]));
    in_a_statement(&scores);
    bound_to_a_name(&scores);
    in_a_match(&scores);
    match_on_a_copy(&scores);
}
