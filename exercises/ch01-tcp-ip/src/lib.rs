//! The exercise of "TCP/IP in one page": what TCP promises, addresses and ports, name
//! resolution, and a first exchange over a real connection.
//!
//! Read the chapter first: `book/src/ch01-tcp-ip/index.md` (or `cargo xtask book --open`).
//! Then replace each `todo!()` below, one at a time, and run `cargo xtask check ch1` after each.
//! The tests are in `src/tests.rs`; reading them is allowed, and often helps.
//! Stuck? `cargo xtask hint ch1` shows one hint at a time.

use std::io;
use std::net::{SocketAddr, TcpStream};

/// Something a transport protocol might promise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Property {
    /// What one side sends is a sequence of bytes, with no other structure.
    ByteStream,
    /// Lost data is sent again, so every byte arrives, or the connection reports an error.
    Reliable,
    /// Bytes arrive in the order they were sent.
    InOrder,
    /// No byte arrives twice, even when the network duplicated a packet.
    ExactlyOnce,
    /// Each `write` on one side arrives as exactly one `read` on the other.
    MessageBoundaries,
    /// Data arrives within a known, fixed time.
    BoundedDelay,
}

/// Does TCP promise `property`?
pub fn tcp_promises(property: Property) -> bool {
    // TODO: answer for each property, with a `match`. The chapter's "What TCP promises" says.
    todo!("say whether TCP promises {property:?}")
}

/// Why a piece of text is not an endpoint (an IP address and a port).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointError {
    /// There is no `:port` at the end, as in `127.0.0.1` or `[::1]`.
    MissingPort,
    /// The port is not a whole number from 0 to 65535, as in `127.0.0.1:99999` or `127.0.0.1:`.
    BadPort,
    /// An IPv6 address without square brackets, as in `::1:5555`: which colon starts the port?
    Ipv6WithoutBrackets,
    /// The address is not an IP address, as in `localhost:80` or `300.1.2.3:80`.
    BadAddress,
}

/// Parses `127.0.0.1:5555` or `[::1]:5555` into a [`SocketAddr`], explaining what is wrong
/// otherwise. Parsing never looks a name up: `localhost:5555` is a [`EndpointError::BadAddress`].
pub fn parse_endpoint(text: &str) -> Result<SocketAddr, EndpointError> {
    // TODO: tell the bracketed IPv6 form from the IPv4 form, split off the port, and parse each
    // part with `str::parse` (into `Ipv4Addr`, `Ipv6Addr` and `u16`).
    todo!("parse the endpoint {text:?}")
}

/// The ranges that port numbers fall into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortRange {
    /// Port 0: "any free port", chosen by the operating system when you bind.
    Any,
    /// 1 to 1023: well-known services. Binding one needs privileges on Linux (by default), and
    /// on macOS (since 10.14) only to bind a specific address such as `127.0.0.1`, not every
    /// address; Windows never asks.
    System,
    /// 1024 to 49151: where your own servers go (the lecture uses 5555).
    Registered,
    /// 49152 to 65535: the range set aside for short-lived client ports (Linux uses 32768 to 60999).
    Dynamic,
}

/// The range `port` falls into.
pub fn port_range(port: u16) -> PortRange {
    // TODO: a `match` with range patterns such as `1..=1023`.
    todo!("classify port {port}")
}

/// Every address that `host` resolves to, each with `port`, as the resolver orders them.
/// `host` is a name (`localhost`) or an IP address (`127.0.0.1`, `::1`, without brackets).
pub fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    // TODO: `(host, port)` implements `ToSocketAddrs`.
    todo!("resolve {host} with port {port}")
}

/// Connects to the first of `addrs` that accepts, trying them in order, as a client does with
/// the addresses a name resolves to. When none accepts, returns the error of the last one tried;
/// with no addresses at all, an error of kind `InvalidInput`.
pub fn connect_first(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    // TODO: try `TcpStream::connect` on each address in turn.
    todo!(
        "connect to the first of {} addresses that accepts",
        addrs.len()
    )
}

/// One exchange with a server: connects to `server`, sends all of `request`, tells the server
/// that the request is complete, and returns the server's whole reply (everything it sends
/// until it closes the connection).
pub fn request(server: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
    // TODO: connect, `write_all`, `shutdown(Shutdown::Write)`, then read until the end of the
    // stream. The server only replies once it has seen the end of your request.
    todo!(
        "send {} bytes to {server} and read the reply",
        request.len()
    )
}

#[cfg(test)]
mod tests;
