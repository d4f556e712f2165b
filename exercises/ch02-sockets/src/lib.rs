//! The exercise of "Sockets": the lecture's socket calls in Rust, one by one, and an echo server
//! with its client.
//!
//! Read the chapter first: `book/src/ch02-sockets/index.md` (or `cargo xtask book --open`).
//! Then replace each `todo!()` below, one at a time, and run `cargo xtask check ch2` after each.
//! The tests are in `src/tests.rs`; reading them is allowed, and often helps.
//! Stuck? `cargo xtask hint ch2` shows one hint at a time.
//!
//! The echo server serves one client at a time: a second client waits until the first is done.
//! The chapter "Threads" gives each client a thread of its own.

// The `todo!()` bodies do not use their parameters yet; this keeps the compiler quiet until they
// do. Delete it once every function is written.
#![allow(unused_variables)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};

/// The lecture's first three calls: create a socket, set `SO_REUSEADDR`, `bind` it to `addr` and
/// `listen`, using the `socket2` crate so that each call is visible. Works for IPv4 and IPv6
/// addresses, and for port 0 (the operating system picks a free port).
///
/// On Unix, `SO_REUSEADDR` lets a restarted server bind its port again at once, even while
/// connections it closed a moment ago still wait out their `TIME_WAIT`. On Windows that option
/// means something else (another program could take the port over), so set it only on Unix,
/// which is exactly what `TcpListener::bind` does for you.
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    // TODO: `Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))`, then
    // `set_reuse_address(true)` (only `if cfg!(unix)`), `bind(&addr.into())`, `listen(128)`, and
    // turn the socket into a `TcpListener` with `.into()`.
    todo!("create, configure, bind and listen on a socket for {addr}")
}

/// The lecture's `sendall`: writes every byte of `data` to `output`, however many calls to
/// `write` that takes. A write that fails ends it with that error.
pub fn send_all(output: &mut impl Write, data: &[u8]) -> io::Result<()> {
    // TODO: one `write` may take only part of `data`. Which method keeps writing until all of
    // it is gone?
    todo!("send all {} bytes", data.len())
}

/// Reads from `input` until the end of the stream (a read that returns `Ok(0)`) and returns
/// every byte that arrived, in order. Each read asks for at most 512 bytes, like the lecture's
/// `recv(512)`, and may get fewer. A read that fails is not the end of the stream: its error is
/// returned.
pub fn receive_all(input: &mut impl Read) -> io::Result<Vec<u8>> {
    // TODO: a loop around `input.read(&mut buffer)` with a `[0u8; 512]` buffer; append what each
    // read returned (`&buffer[..n]`), and stop when a read returns 0.
    todo!("read until the end of the stream")
}

/// The heart of the echo server: copies every byte read from `input` to `output` as soon as it
/// arrives, until `input` reaches its end. Returns how many bytes were echoed. A read or a
/// write that fails ends the echo with that error: a failed read is not the end of the input.
///
/// "As soon as it arrives" matters: a client may wait for the echo of one byte before it sends
/// the next, so never wait for more input before writing back what you have.
pub fn echo(input: &mut impl Read, output: &mut impl Write) -> io::Result<u64> {
    // TODO: read into a buffer; write back exactly the bytes that read returned; repeat until a
    // read returns 0, counting the bytes.
    todo!("echo until the end of the input")
}

/// Serves one client of `listener`: accepts it, echoes everything it sends until it
/// half-closes, then closes the connection. Returns how many bytes were echoed.
pub fn serve_one(listener: &TcpListener) -> io::Result<u64> {
    // TODO: `listener.accept()` gives `(TcpStream, SocketAddr)`. A `&TcpStream` is both `Read`
    // and `Write`, so `echo(&mut &stream, &mut &stream)` works.
    todo!("accept one client and echo until it is done")
}

/// The echo client: connects to `server`, sends all of `payload`, half-closes (the server's read
/// then returns `Ok(0)`), and returns everything the server sends back until it closes.
///
/// This client sends everything before it reads anything. That is fine for a few kilobytes;
/// "Disconnects and blocking" shows why it deadlocks with megabytes, and how to fix it.
pub fn echo_client(server: SocketAddr, payload: &[u8]) -> io::Result<Vec<u8>> {
    // TODO: `TcpStream::connect`, `send_all`, `shutdown(Shutdown::Write)`, `receive_all`.
    todo!("send {} bytes to {server} and read the echo", payload.len())
}

#[cfg(test)]
mod tests;
