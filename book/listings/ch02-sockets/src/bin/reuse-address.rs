//! Shows what `SO_REUSEADDR` is for, for the chapter "Sockets": a server that closed a connection
//! and restarts at once can bind its port again only with the option set.
//!
//! Run on Unix, where the option means this; the book is built on Linux.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};

use ch02_sockets_listings::{listen_explicitly, std_sets_reuse_address};
use socket2::{Domain, Socket, Type};

/// Serves one connection and closes it from the server's side, which leaves the server's end of
/// that connection in TIME_WAIT, still holding the port.
fn serve_and_close(listener: TcpListener) -> io::Result<()> {
    let mut client = TcpStream::connect(listener.local_addr()?)?;
    let (server_side, _) = listener.accept()?;
    drop(server_side);
    client.read_to_end(&mut Vec::new())?;
    Ok(())
}

/// Binds `addr` with or without `SO_REUSEADDR`.
fn bind_again(addr: SocketAddr, reuse: bool) -> io::Result<TcpListener> {
    if reuse {
        return listen_explicitly(addr);
    }
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.bind(&addr.into())?;
    socket.listen(128)?;
    Ok(socket.into())
}

fn main() -> io::Result<()> {
    println!(
        "TcpListener::bind set SO_REUSEADDR: {}",
        std_sets_reuse_address()?
    );

    let listener = TcpListener::bind("127.0.0.1:0")?;

    let addr = listener.local_addr()?;
    serve_and_close(listener)?;
    match bind_again(addr, false) {
        Ok(_) => println!("restart without SO_REUSEADDR: bound again"),
        Err(error) => println!("restart without SO_REUSEADDR: {:?}", error.kind()),
    }
    match bind_again(addr, true) {
        Ok(_) => println!("restart with SO_REUSEADDR:    bound again"),
        Err(error) => println!("restart with SO_REUSEADDR:    {:?}", error.kind()),
    }
    Ok(())
}
