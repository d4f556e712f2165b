//! Resolves `localhost` and two IP literals, and prints every address each one gives, in the
//! order the resolver gave them, for the chapter "TCP/IP in one page".

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

fn main() -> io::Result<()> {
    for host in ["localhost", "127.0.0.1", "::1"] {
        println!("{host}, port 5555, resolves to:");
        for addr in addresses(host)? {
            let family = if addr.is_ipv4() { "IPv4" } else { "IPv6" };
            println!("    {addr:<16} {family}");
        }
    }
    Ok(())
}

// ANCHOR: resolve
fn addresses(host: &str) -> io::Result<Vec<SocketAddr>> {
    let addrs = (host, 5555).to_socket_addrs()?;
    Ok(addrs.collect())
}
// ANCHOR_END: resolve
