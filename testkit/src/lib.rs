//! Test fixtures shared by every chapter's tests; students never need to edit this crate.
//!
//! Every networked test in the workbook is built from these pieces so that it binds port 0,
//! finishes in bounded time even when the code under test blocks forever, and replays exactly
//! when it uses randomness:
//!
//! - [`watchdog`] runs a test body on its own thread and fails the test, naming what it was
//!   waiting for, when the body does not finish in time;
//! - [`net`] binds loopback listeners on port 0 and connects with timeouts set;
//! - [`peer`] plays an awkward peer: it cuts writes into pieces, coalesces messages, pauses,
//!   half-closes or resets the connection;
//! - [`faulty`] wraps any `Read` or `Write` to inject short reads and writes, `Interrupted` and
//!   `WouldBlock`, and counts calls so a busy loop can be caught;
//! - [`seed`] gives seeded randomness and prints the seed when a test fails;
//! - [`compile`] compiles a program that must fail and returns rustc's messages, for the pages
//!   that show a compiler error on purpose (its `compile-error` program prints them);
//! - [`assert_same!`] fails with `got` and `expected`, not `left` and `right`.

pub mod compile;
pub mod expect;
pub mod faulty;
pub mod net;
pub mod peer;
pub mod seed;
pub mod watchdog;

pub use watchdog::{within, within_default};
