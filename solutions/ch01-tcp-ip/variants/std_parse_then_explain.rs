//! Parses an endpoint with std's own `SocketAddr` parser and only works out what is wrong when that fails; keeps the last error in an `Option`; moves the request and the reply with `io::copy`.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpStream, ToSocketAddrs};

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
    !matches!(
        property,
        Property::MessageBoundaries | Property::BoundedDelay
    )
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
    text.parse::<SocketAddr>().map_err(|_| explain(text))
}

/// Why std refused `text` as an endpoint.
fn explain(text: &str) -> EndpointError {
    // The whole text is an address: the port is missing, or it is IPv6 and needed brackets.
    if text.parse::<Ipv6Addr>().is_ok() {
        return EndpointError::Ipv6WithoutBrackets;
    }
    if text.parse::<Ipv4Addr>().is_ok() || bracketed_ipv6(text) {
        return EndpointError::MissingPort;
    }
    let Some((host, _port)) = text.rsplit_once(':') else {
        return EndpointError::MissingPort;
    };
    if host.parse::<Ipv6Addr>().is_ok() {
        EndpointError::Ipv6WithoutBrackets
    } else if host.parse::<Ipv4Addr>().is_ok() || bracketed_ipv6(host) {
        // The address is fine, so std refused the port.
        EndpointError::BadPort
    } else {
        EndpointError::BadAddress
    }
}

/// Is `text` an IPv6 address in square brackets?
fn bracketed_ipv6(text: &str) -> bool {
    text.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .is_some_and(|inside| inside.parse::<Ipv6Addr>().is_ok())
}

/// The ranges that port numbers fall into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortRange {
    /// Port 0: "any free port", chosen by the operating system when you bind.
    Any,
    /// 1 to 1023: well-known services; binding one needs privileges on Linux and most Unix systems.
    System,
    /// 1024 to 49151: where your own servers go (the lecture uses 5555).
    Registered,
    /// 49152 to 65535: the range set aside for short-lived client ports (Linux uses 32768 to 60999).
    Dynamic,
}

/// The range `port` falls into.
pub fn port_range(port: u16) -> PortRange {
    if port == 0 {
        PortRange::Any
    } else if port < 1024 {
        PortRange::System
    } else if port < 49152 {
        PortRange::Registered
    } else {
        PortRange::Dynamic
    }
}

/// Every address that `host` resolves to, each with `port`, as the resolver orders them.
/// `host` is a name (`localhost`) or an IP address (`127.0.0.1`, `::1`, without brackets).
pub fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    // Written as one `host:port` string, an IPv6 address needs its brackets back.
    let endpoint = match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(_)) => format!("[{host}]:{port}"),
        _ => format!("{host}:{port}"),
    };
    Ok(endpoint.to_socket_addrs()?.collect())
}

/// Connects to the first of `addrs` that accepts, trying them in order, as a client does with
/// the addresses a name resolves to. When none accepts, returns the error of the last one tried;
/// with no addresses at all, an error of kind `InvalidInput`.
pub fn connect_first(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last_error = None;
    for attempt in addrs.iter().map(TcpStream::connect) {
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "there is no address to try")
    }))
}

/// One exchange with a server: connects to `server`, sends all of `request`, tells the server
/// that the request is complete, and returns the server's whole reply (everything it sends
/// until it closes the connection).
pub fn request(server: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(server)?;
    io::copy(&mut &request[..], &mut stream)?;
    stream.shutdown(Shutdown::Write)?;
    let mut reply = Vec::new();
    io::copy(&mut stream, &mut reply)?;
    Ok(reply)
}

#[cfg(test)]
#[path = "../../../exercises/ch01-tcp-ip/src/tests.rs"]
mod tests;
