//! Splits the port off at the last colon before looking at the address, reads the port digit by digit, tables for the properties and the port ranges, a recursive `connect_first`, and buffered streams for the exchange.

use std::io::{self, BufReader, BufWriter, Read, Write};
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

/// What TCP promises, and nothing else.
const PROMISED: [Property; 4] = [
    Property::ByteStream,
    Property::Reliable,
    Property::InOrder,
    Property::ExactlyOnce,
];

/// Does TCP promise `property`?
pub fn tcp_promises(property: Property) -> bool {
    PROMISED.contains(&property)
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
    // `[…]` with nothing after it: an IPv6 address (or garbage) without a port.
    if text.starts_with('[') && text.ends_with(']') {
        return match ipv6_in_brackets(text) {
            Some(_) => Err(EndpointError::MissingPort),
            None => Err(EndpointError::BadAddress),
        };
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(EndpointError::MissingPort);
    };
    let ip = if host.starts_with('[') {
        IpAddr::V6(ipv6_in_brackets(host).ok_or(EndpointError::BadAddress)?)
    } else if host.contains(':') {
        // A colon left in the host: the text was an IPv6 address, written without brackets.
        return Err(EndpointError::Ipv6WithoutBrackets);
    } else {
        IpAddr::V4(
            host.parse::<Ipv4Addr>()
                .map_err(|_| EndpointError::BadAddress)?,
        )
    };
    Ok(SocketAddr::new(ip, port_number(port)?))
}

/// The address inside `[` and `]`, if it is an IPv6 address.
fn ipv6_in_brackets(text: &str) -> Option<Ipv6Addr> {
    text.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// A port: one or more decimal digits, worth at most 65535.
fn port_number(text: &str) -> Result<u16, EndpointError> {
    if text.is_empty() {
        return Err(EndpointError::BadPort);
    }
    let mut value: u32 = 0;
    for c in text.chars() {
        let digit = c.to_digit(10).ok_or(EndpointError::BadPort)?;
        value = value * 10 + digit;
        if value > u32::from(u16::MAX) {
            return Err(EndpointError::BadPort);
        }
    }
    u16::try_from(value).map_err(|_| EndpointError::BadPort)
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

/// The highest port of each range, in order.
const RANGES: [(u16, PortRange); 4] = [
    (0, PortRange::Any),
    (1023, PortRange::System),
    (49151, PortRange::Registered),
    (u16::MAX, PortRange::Dynamic),
];

/// The range `port` falls into.
pub fn port_range(port: u16) -> PortRange {
    RANGES
        .iter()
        .find(|(highest, _)| port <= *highest)
        .map(|(_, range)| *range)
        .unwrap_or(PortRange::Dynamic)
}

/// Every address that `host` resolves to, each with `port`, as the resolver orders them.
/// `host` is a name (`localhost`) or an IP address (`127.0.0.1`, `::1`, without brackets).
pub fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    // An address needs no resolver.
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    Ok((host, port).to_socket_addrs()?.collect())
}

/// Connects to the first of `addrs` that accepts, trying them in order, as a client does with
/// the addresses a name resolves to. When none accepts, returns the error of the last one tried;
/// with no addresses at all, an error of kind `InvalidInput`.
pub fn connect_first(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    match addrs {
        [] => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an empty list of addresses",
        )),
        [last] => TcpStream::connect(last),
        [first, rest @ ..] => TcpStream::connect(first).or_else(|_| connect_first(rest)),
    }
}

/// One exchange with a server: connects to `server`, sends all of `request`, tells the server
/// that the request is complete, and returns the server's whole reply (everything it sends
/// until it closes the connection).
pub fn request(server: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
    let stream = TcpStream::connect(server)?;
    let mut writer = BufWriter::new(&stream);
    writer.write_all(request)?;
    writer.flush()?;
    drop(writer);
    stream.shutdown(Shutdown::Write)?;
    let mut reply = Vec::new();
    BufReader::new(&stream).read_to_end(&mut reply)?;
    Ok(reply)
}

#[cfg(test)]
#[path = "../../../exercises/ch01-tcp-ip/src/tests.rs"]
mod tests;
