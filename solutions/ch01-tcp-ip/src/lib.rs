//! The reference solution of "TCP/IP in one page": what TCP promises, addresses and ports, name
//! resolution, and a first exchange over a real connection.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpStream, ToSocketAddrs};

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
    match property {
        Property::ByteStream | Property::Reliable | Property::InOrder | Property::ExactlyOnce => {
            true
        }
        Property::MessageBoundaries | Property::BoundedDelay => false,
    }
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
    if let Some(bracketed) = text.strip_prefix('[') {
        let (address, rest) = bracketed.split_once(']').ok_or(EndpointError::BadAddress)?;
        let address: Ipv6Addr = address.parse().map_err(|_| EndpointError::BadAddress)?;
        let port = match rest.strip_prefix(':') {
            Some(port) => parse_port(port)?,
            None if rest.is_empty() => return Err(EndpointError::MissingPort),
            None => return Err(EndpointError::BadAddress),
        };
        return Ok(SocketAddr::new(address.into(), port));
    }
    match text.matches(':').count() {
        0 => Err(EndpointError::MissingPort),
        1 => {
            let (address, port) = text.split_once(':').expect("there is one colon");
            let address: Ipv4Addr = address.parse().map_err(|_| EndpointError::BadAddress)?;
            Ok(SocketAddr::new(address.into(), parse_port(port)?))
        }
        _ => Err(EndpointError::Ipv6WithoutBrackets),
    }
}

fn parse_port(text: &str) -> Result<u16, EndpointError> {
    text.parse().map_err(|_| EndpointError::BadPort)
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
    match port {
        0 => PortRange::Any,
        1..=1023 => PortRange::System,
        1024..=49151 => PortRange::Registered,
        49152..=u16::MAX => PortRange::Dynamic,
    }
}

/// Every address that `host` resolves to, each with `port`, as the resolver orders them.
/// `host` is a name (`localhost`) or an IP address (`127.0.0.1`, `::1`, without brackets).
pub fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok((host, port).to_socket_addrs()?.collect())
}

/// Connects to the first of `addrs` that accepts, trying them in order, as a client does with
/// the addresses a name resolves to. When none accepts, returns the error of the last one tried;
/// with no addresses at all, an error of kind `InvalidInput`.
pub fn connect_first(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last_error = io::Error::new(io::ErrorKind::InvalidInput, "no addresses to connect to");
    for addr in addrs {
        match TcpStream::connect(addr) {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = error,
        }
    }
    Err(last_error)
}

/// One exchange with a server: connects to `server`, sends all of `request`, tells the server
/// that the request is complete, and returns the server's whole reply (everything it sends
/// until it closes the connection).
pub fn request(server: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(server)?;
    stream.write_all(request)?;
    // "I have nothing more to send": the server's read now returns Ok(0), so it knows the
    // request is complete, while our reading half stays open for the reply.
    stream.shutdown(Shutdown::Write)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(reply)
}

#[cfg(test)]
#[path = "../../../exercises/ch01-tcp-ip/src/tests.rs"]
mod tests;
