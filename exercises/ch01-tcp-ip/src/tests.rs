//! The tests of chapter 1. The same file grades your exercise and the reference solution.

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
         write as three reads; chapter 3 is all about this"
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
        "[127.0.0.1]:80",
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
    let resolved = resolve("localhost", 5555).expect("localhost should always resolve");
    let expected: BTreeSet<SocketAddr> = ("localhost", 5555)
        .to_socket_addrs()
        .expect("this machine cannot resolve localhost")
        .collect();
    assert_same!(
        resolved.iter().copied().collect::<BTreeSet<_>>(),
        expected,
        "resolve should return every address localhost has on this machine (IPv4, IPv6 or both)"
    );
    assert!(
        resolved
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 5555),
        "{resolved:?}"
    );
}

#[test]
fn resolves_an_ip_literal_to_itself() {
    assert_same!(
        resolve("127.0.0.1", 80).unwrap(),
        vec!["127.0.0.1:80".parse().unwrap()]
    );
    assert_same!(
        resolve("::1", 0).unwrap(),
        vec!["[::1]:0".parse().unwrap()],
        "an IPv6 host is given without brackets when the port is separate"
    );
}

#[test]
fn connects_to_the_first_address_that_answers() {
    let listener = net::listener();
    let open = net::addr_of(&listener);
    let closed = net::closed_port();
    let stream = watchdog::within_default("connect_first to return", move || {
        connect_first(&[closed, open])
    })
    .expect("the second address accepts connections, so connect_first should succeed");
    assert_same!(
        stream.peer_addr().unwrap(),
        open,
        "connect_first should move on from the refused address to the open one"
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
        "when every address refuses, return the last error"
    );
    let error = connect_first(&[]).expect_err("with no addresses there is nothing to connect to");
    assert_same!(
        error.kind(),
        io::ErrorKind::InvalidInput,
        "no addresses at all is invalid input"
    );
}

/// A server that reads the whole request (until the client half-closes), then replies in
/// pieces with pauses, so the reply cannot arrive in one read.
/// What the test's server saw: the request it read, and whether the whole reply went out.
struct Served {
    request: io::Result<Vec<u8>>,
    replied: io::Result<()>,
}

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
    let answer = answer.expect("request should return the reply, not an error");
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
    assert_same!(error.kind(), io::ErrorKind::ConnectionRefused);
}
