//! Where a lock guard ends: at the end of its statement, at the end of its block, or at the end
//! of a whole `match`. `try_lock` shows whether the lock is still held, without waiting for ever.

use std::collections::HashMap;
use std::sync::Mutex;

fn is_free(lock: &Mutex<HashMap<&str, u32>>) -> &'static str {
    match lock.try_lock() {
        Ok(_) => "free",
        Err(_) => "STILL HELD: locking it again here would wait for ever",
    }
}

fn main() {
    let scores = Mutex::new(HashMap::from([("alice", 3)]));

    // ANCHOR: statement
    let alice = scores.lock().unwrap().get("alice").copied();
    println!("after a statement:    {}", is_free(&scores));
    // ANCHOR_END: statement

    // ANCHOR: binding
    let guard = scores.lock().unwrap();
    println!("while a guard lives:  {}", is_free(&scores));
    drop(guard);
    println!("after drop(guard):    {}", is_free(&scores));
    // ANCHOR_END: binding

    // ANCHOR: match
    match scores.lock().unwrap().get("alice") {
        Some(score) => println!("inside the match:     {} (score {score})", is_free(&scores)),
        None => println!("nobody called alice"),
    }
    // ANCHOR_END: match

    // ANCHOR: match_fixed
    let score = scores.lock().unwrap().get("alice").copied();
    match score {
        Some(score) => println!("match on a copy:      {} (score {score})", is_free(&scores)),
        None => println!("nobody called alice"),
    }
    // ANCHOR_END: match_fixed
    assert_eq!(alice, Some(3));
}
