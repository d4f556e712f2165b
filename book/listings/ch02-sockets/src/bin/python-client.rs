//! Runs the lecture's Python client against a Rust echo server, for the chapter "Sockets": the two
//! languages speak the same TCP.
//!
//! The server binds port 0 and hands the chosen port to the Python script on its command line;
//! only the script's own output is printed.

use std::io;
use std::path::Path;
use std::process::Command;
use std::thread;

use ch02_sockets_listings::echo;
use std::net::TcpListener;

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let server = thread::spawn(move || -> io::Result<u64> {
        let (stream, _) = listener.accept()?;
        echo(&stream)
    });

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/echo_client.py");
    // `python3` on Linux and macOS; on Windows the launcher is usually `py`.
    let output = Command::new("python3")
        .arg(&script)
        .arg(port.to_string())
        .output()?;
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        // The server may still be waiting in accept; returning ends the program, and it with it.
        return Err(io::Error::other(format!(
            "the Python client failed ({})",
            output.status
        )));
    }
    let echoed = server.join().expect("the server thread panicked")?;
    println!("(the Rust server echoed {echoed} bytes)");
    Ok(())
}
