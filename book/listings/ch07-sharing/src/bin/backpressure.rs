//! A bounded channel pushes back: once it holds `capacity` messages, the next
//! send has to wait (or, with `try_send`, is refused) until the receiver takes
//! one.

// ANCHOR: bounded
use std::sync::mpsc::{self, TrySendError};
use std::thread;

fn main() {
    let (sender, receiver) = mpsc::sync_channel::<u32>(2);
    for job in 1..=3 {
        match sender.try_send(job) {
            Ok(()) => println!("job {job}: queued"),
            Err(TrySendError::Full(job)) => {
                println!("job {job}: refused, the queue is full");
            }
            Err(TrySendError::Disconnected(_)) => {
                unreachable!("the receiver is still here")
            }
        }
    }
    // A consumer takes jobs at its own pace; `send` waits whenever the queue
    // is full.
    let consumer = thread::spawn(move || receiver.iter().collect::<Vec<_>>());
    for job in 4..=6 {
        sender.send(job).unwrap();
    }
    // No more jobs: the consumer's loop ends once the queue is empty.
    drop(sender);
    println!("the consumer got {:?}", consumer.join().unwrap());
}
// ANCHOR_END: bounded
