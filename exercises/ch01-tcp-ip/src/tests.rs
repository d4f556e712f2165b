//! The tests of "TCP/IP in one page". The same file grades your exercise and the reference
//! solution.
//!
//! What these tests cannot check, and why:
//!
//! - that `request` sends with `write_all` rather than one `write`: on a blocking socket one
//!   `write` of a few kilobytes sends them all, so the mistake shows only under load (the tests
//!   of "Sockets" catch it with a writer that takes a few bytes at a time);
//! - what `request` returns when the connection breaks in the middle of the reply: a reset is
//!   the subject of "Disconnects and blocking".

use super::*;

use std::collections::BTreeSet;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6, ToSocketAddrs};
use std::time::Duration;

use testkit::assert_same;
use testkit::net::{self, OneShot};
use testkit::peer::{self, Cut};
use testkit::seed;
use testkit::watchdog;

#[test]
fn tcp_delivers_every_byte_once_and_in_order() {
    for property in [
        Property::ByteStream,
        Property::Reliable,
        Property::InOrder,
        Property::ExactlyOnce,
    ] {
        assert!(
            tcp_promises(property),
            "TCP does promise {property:?}: that is what makes it a reliable byte stream"
        );
    }
}

#[test]
fn tcp_keeps_no_message_boundaries_and_no_deadlines() {
    assert!(
        !tcp_promises(Property::MessageBoundaries),
        "TCP does not promise MessageBoundaries: three writes may arrive as one read, or one \
         write as three reads; the chapter \"Stream framing\" is all about this"
    );
    assert!(
        !tcp_promises(Property::BoundedDelay),
        "TCP does not promise BoundedDelay: it resends lost data for as long as it takes, so a \
         read can wait for ever"
    );
}

#[test]
fn parses_an_ipv4_endpoint() {
    assert_same!(
        parse_endpoint("127.0.0.1:5555"),
        Ok(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 5555)))
    );
    assert_same!(
        parse_endpoint("0.0.0.0:0"),
        Ok(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))),
        "port 0 is a valid port: it means any free port"
    );
    assert_same!(
        parse_endpoint("255.255.255.255:65535"),
        Ok(SocketAddr::V4(SocketAddrV4::new(
            Ipv4Addr::BROADCAST,
            65535
        ))),
        "65535 is the largest port (a port is 16 bits), and 255 the largest part of an IPv4 \
         address: both are valid"
    );
}

#[test]
fn parses_an_ipv6_endpoint_in_square_brackets() {
    assert_same!(
        parse_endpoint("[::1]:5555"),
        Ok(SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::LOCALHOST,
            5555,
            0,
            0
        )))
    );
    let long = "[2001:db8:0:0:0:0:0:1]:443";
    assert_same!(
        parse_endpoint(long),
        Ok(SocketAddr::new(
            IpAddr::V6("2001:db8::1".parse().unwrap()),
            443
        )),
        "{long} is the full form of 2001:db8::1"
    );
    assert_same!(
        parse_endpoint("[::1]:65535"),
        Ok(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 65535)),
        "65535 is the largest port, and a valid one"
    );
}

#[test]
fn refuses_an_ipv6_endpoint_without_brackets() {
    for text in ["::1:5555", "2001:db8::1:443", "::1"] {
        assert_same!(
            parse_endpoint(text),
            Err(EndpointError::Ipv6WithoutBrackets),
            "in {text:?} nobody can tell which colon starts the port; IPv6 endpoints are \
             written [address]:port"
        );
    }
}

#[test]
fn refuses_an_endpoint_without_a_port() {
    for text in ["127.0.0.1", "[::1]"] {
        assert_same!(
            parse_endpoint(text),
            Err(EndpointError::MissingPort),
            "{text:?} has no port"
        );
    }
}

#[test]
fn refuses_a_port_that_is_not_a_16_bit_number() {
    for text in [
        "127.0.0.1:65536",
        "127.0.0.1:99999",
        "127.0.0.1:",
        "127.0.0.1:http",
        "[::1]:-1",
        "[::1]:65536",
        "[::1]:",
    ] {
        assert_same!(
            parse_endpoint(text),
            Err(EndpointError::BadPort),
            "{text:?}: a port is a whole number from 0 to 65535"
        );
    }
}

#[test]
fn refuses_a_host_name_because_parsing_is_not_resolving() {
    for text in [
        "localhost:5555",
        "300.1.2.3:80",
        "256.0.0.1:80",
        "1.2.3:80",
        "[127.0.0.1]:80",
        "[::1]x:80",
        "[::1]]:80",
        "example.org:80",
        ":80",
    ] {
        assert_same!(
            parse_endpoint(text),
            Err(EndpointError::BadAddress),
            "{text:?} is not an IP address (and brackets are only for IPv6); names are \
             resolved, not parsed"
        );
    }
}

#[test]
fn sorts_ports_into_their_ranges() {
    let expected = [
        (0, PortRange::Any),
        (1, PortRange::System),
        (80, PortRange::System),
        (1023, PortRange::System),
        (1024, PortRange::Registered),
        (5555, PortRange::Registered),
        (49151, PortRange::Registered),
        (49152, PortRange::Dynamic),
        (65535, PortRange::Dynamic),
    ];
    for (port, range) in expected {
        assert_same!(port_range(port), range, "port {port}");
    }
}

#[test]
fn resolves_localhost_to_its_loopback_addresses() {
    let resolved = watchdog::within_default("resolve(\"localhost\", 5555) to return", || {
        resolve("localhost", 5555)
    })
    .unwrap_or_else(|error| {
        panic!("resolve(\"localhost\", 5555) failed: {error}; localhost always resolves")
    });
    let expected: Vec<SocketAddr> = ("localhost", 5555)
        .to_socket_addrs()
        .expect("this machine cannot resolve localhost")
        .collect();
    assert_same!(
        resolved.iter().copied().collect::<BTreeSet<_>>(),
        expected.iter().copied().collect::<BTreeSet<_>>(),
        "resolve should return every address localhost has on this machine (IPv4, IPv6 or both), \
         each with the port"
    );
    assert_same!(
        resolved,
        expected,
        "resolve should keep the resolver's order (a client tries the addresses in that order): \
         collect them as they come, without sorting or removing any"
    );
}

#[test]
fn resolves_an_ip_literal_to_itself() {
    for (host, port, expected) in [
        ("127.0.0.1", 80, "127.0.0.1:80"),
        ("::1", 0, "[::1]:0"),
        ("::1", 65535, "[::1]:65535"),
    ] {
        let resolved = watchdog::within_default("resolve to return", move || resolve(host, port))
            .unwrap_or_else(|error| {
                panic!(
                    "resolve({host:?}, {port}) failed: {error}; an IP address resolves to itself \
                     (an IPv6 host is given without brackets: the port is separate)"
                )
            });
        assert_same!(
            resolved,
            vec![expected.parse::<SocketAddr>().unwrap()],
            "resolve({host:?}, {port}) should give the address itself, with the port"
        );
    }
}

#[test]
fn connects_to_the_first_address_that_answers() {
    let listener = net::listener();
    let open = net::addr_of(&listener);
    let closed = net::closed_port();
    let stream = watchdog::within_default("connect_first to return", move || {
        connect_first(&[closed, open])
    })
    .unwrap_or_else(|error| {
        panic!(
            "connect_first(&[{closed}, {open}]) returned the error \"{error}\", but the second \
             address accepts connections; when one address refuses, try the next"
        )
    });
    assert_same!(
        stream.peer_addr().ok(),
        Some(open),
        "connect_first should move on from the refused address to the open one"
    );
}

#[test]
fn stops_at_the_first_address_that_accepts() {
    let first = net::listener();
    let second = net::listener();
    let (first_addr, second_addr) = (net::addr_of(&first), net::addr_of(&second));
    let stream = watchdog::within_default("connect_first to return", move || {
        connect_first(&[first_addr, second_addr])
    })
    .unwrap_or_else(|error| {
        panic!(
            "both {first_addr} and {second_addr} accept connections, but connect_first returned \
             the error \"{error}\""
        )
    });
    assert_same!(
        stream.peer_addr().ok(),
        Some(first_addr),
        "both addresses accept connections: connect_first should try them in the order given \
         and keep the first that accepts"
    );
    // A connection that connect returned is already waiting in the listener's queue, so a
    // listener that is not asked to wait tells at once whether anyone connected to it.
    second
        .set_nonblocking(true)
        .expect("could not make the test's listener non-blocking");
    match second.accept() {
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!(
            "connect_first also connected to {second_addr} (from {from}), after {first_addr} had \
             already accepted; stop at the first address that accepts"
        ),
        Err(error) => panic!("the test's second listener failed: {error}"),
    }
}

/// An address to which a connection fails at once, with an error of another kind than
/// `ConnectionRefused`, and that kind. Which addresses do that differs between systems (a
/// multicast address on Linux and macOS, the unspecified address `0.0.0.0` on Windows), so this
/// tries a few and keeps the first that fails in another way, each attempt bounded by a timeout.
fn address_that_fails_otherwise() -> (SocketAddr, io::ErrorKind) {
    let port = net::closed_port().port();
    let candidates = [
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
        SocketAddr::from((Ipv4Addr::new(224, 0, 0, 1), port)),
        SocketAddr::from((Ipv4Addr::BROADCAST, port)),
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        SocketAddr::new(IpAddr::V6("fe80::1".parse().unwrap()), port),
    ];
    for candidate in candidates {
        let probe =
            TcpStream::connect_timeout(&candidate, watchdog::scaled(Duration::from_secs(1)));
        let Err(probed) = probe else { continue };
        if probed.kind() == io::ErrorKind::ConnectionRefused || net::is_timeout(&probed) {
            continue;
        }
        // The code under test calls the blocking connect; keep the address only if that fails
        // in the same way, at once.
        let blocking = watchdog::within_default("the test's own connect to fail", move || {
            TcpStream::connect(candidate).map(drop)
        });
        if blocking.is_err_and(|error| error.kind() == probed.kind()) {
            return (candidate, probed.kind());
        }
    }
    panic!(
        "this machine refuses every test address in the same way, so the test cannot tell one \
         failure from another; this is a problem of the test, not of your code"
    )
}

#[test]
fn returns_the_error_of_the_last_address_tried() {
    let refused = net::closed_port();
    let (other, other_kind) = address_that_fails_otherwise();
    let error = watchdog::within_default("connect_first to give up", move || {
        connect_first(&[refused, other])
    })
    .err()
    .unwrap_or_else(|| panic!("connect_first(&[{refused}, {other}]) cannot connect to either"));
    assert_same!(
        error.kind(),
        other_kind,
        "connect_first tried {refused} (refused) and then {other} (which fails with \
         {other_kind:?}): it should return the error of the last address tried; \
         ConnectionRefused is the first one's. Keep each new error in place of the one before"
    );
    let error = watchdog::within_default("connect_first to give up", move || {
        connect_first(&[other, refused])
    })
    .err()
    .unwrap_or_else(|| panic!("connect_first(&[{other}, {refused}]) cannot connect to either"));
    assert_same!(
        error.kind(),
        io::ErrorKind::ConnectionRefused,
        "connect_first tried {other} (which fails with {other_kind:?}) and then {refused} \
         (refused): it should return the error of the last address tried, ConnectionRefused"
    );
}

#[test]
fn reports_an_error_when_no_address_answers() {
    let closed = [net::closed_port(), net::closed_port()];
    let error =
        watchdog::within_default("connect_first to give up", move || connect_first(&closed))
            .expect_err("nothing listens on these ports, so connecting must fail");
    assert_same!(
        error.kind(),
        io::ErrorKind::ConnectionRefused,
        "when every address refuses, return the last error, as connect returned it"
    );
}

#[test]
fn refuses_an_empty_list_of_addresses_as_invalid_input() {
    let error = watchdog::within_default("connect_first to give up", || connect_first(&[]))
        .expect_err("with no addresses there is nothing to connect to, so it must be an error");
    assert_same!(
        error.kind(),
        io::ErrorKind::InvalidInput,
        "no addresses at all is an error of kind InvalidInput: \
         io::Error::new(io::ErrorKind::InvalidInput, \"…\")"
    );
}

/// What the test's server saw: the request it read, and whether the whole reply went out.
struct Served {
    request: io::Result<Vec<u8>>,
    replied: io::Result<()>,
}

/// A server that reads the whole request (until the client half-closes), then replies in
/// pieces with pauses, so the reply cannot arrive in one read.
fn replying_server(listener: std::net::TcpListener, reply: Vec<u8>) -> OneShot<Served> {
    OneShot::on(listener, move |mut stream| {
        let mut request = Vec::new();
        let read = stream
            .set_read_timeout(Some(watchdog::scaled(Duration::from_secs(2))))
            .and_then(|()| stream.read_to_end(&mut request));
        if let Err(error) = read {
            return Served {
                request: Err(error),
                replied: Ok(()),
            };
        }
        peer::no_delay(&stream);
        // A client that stops reading early makes this fail (a broken pipe, a reset): that is
        // the client's mistake, and the test reports it by what the client returned.
        let replied = peer::send_cut(
            &mut stream,
            &reply,
            Cut::Fixed(4096),
            Duration::from_millis(1),
        );
        Served {
            request: Ok(request),
            replied,
        }
    })
}

fn check_exchange(listener: std::net::TcpListener) {
    let message = b"GET the whole reply, please\n".repeat(500);
    let reply = seed::Rng::new(1).bytes(64 * 1024);
    let server = replying_server(listener, reply.clone());
    let addr = server.addr();
    let sent = message.clone();
    let answer =
        watchdog::within_default("request to return the reply", move || request(addr, &sent));

    let served = server.finish();
    match served.request {
        Ok(received) => assert!(
            received == message,
            "the server received {} bytes, but the request was {} bytes long; write_all sends them all",
            received.len(),
            message.len()
        ),
        Err(error) if net::is_timeout(&error) => panic!(
            "the server waited for the end of your request and never saw it; after write_all, \
             call shutdown(Shutdown::Write) so that the server's read returns Ok(0)"
        ),
        Err(error) => panic!("the server could not read your request: {error}"),
    }
    let answer = answer.unwrap_or_else(|error| {
        panic!("request returned the error \"{error}\" instead of the server's reply")
    });
    assert!(
        answer == reply,
        "request returned {} bytes, but the server sent {}; one read returns only what has \
         arrived so far, so keep reading until read returns Ok(0)",
        answer.len(),
        reply.len()
    );
    if let Err(error) = served.replied {
        panic!("the server could not send its whole reply: {error}");
    }
}

#[test]
fn request_sends_everything_and_reads_the_whole_reply() {
    check_exchange(net::listener());
}

#[test]
fn request_works_over_ipv6_too() {
    match net::listener_v6() {
        Some(listener) => check_exchange(listener),
        None => {
            eprintln!("this machine has no IPv6 loopback; testing over IPv4 instead");
            check_exchange(net::listener());
        }
    }
}

#[test]
fn request_returns_an_error_when_nobody_listens() {
    let closed = net::closed_port();
    let outcome = watchdog::within_default("request to give up", move || request(closed, b"hello"));
    let error =
        outcome.expect_err("nothing listens there, so request must return an error, not a reply");
    assert_same!(
        error.kind(),
        io::ErrorKind::ConnectionRefused,
        "nothing listens at {closed}: request should return connect's error as it is (with ?)"
    );
}
