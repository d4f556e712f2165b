//! The book's tokio server (`book/listings/ch09-one-thread/src/tokio_chat.rs`): a task per connection on a current-thread runtime, `async` and `.await` instead of a hand-written event loop.
//!
//! It is written once, as a listing the chapter shows; this variant grades it with the chapter's
//! tests, exactly as the reference, so the three styles of the same server (a thread per client,
//! an event loop, async tasks) are held to the same protocol.

pub use ch09_one_thread_listings::tokio_chat::{
    MAX_LINE_BYTES, NAME_TIMEOUT, QUEUE_GRACE, QUEUE_LINES, Server, WELCOME,
};

#[cfg(test)]
#[path = "../../../exercises/ch09-one-thread/src/tests.rs"]
mod tests;
