//! Runs the lecture's Python server and client against each other, for the chapter "TCP/IP in one
//! page", and prints what each one printed.
//!
//! The server binds port 0 and prints the port the system chose; this program hands that port
//! to the client, and prints `<port>` in its place, so the book's copy of the output never goes
//! stale.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

fn main() -> io::Result<()> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
    // `python3` on Linux and macOS; on Windows the launcher is usually `py`.
    let mut server = Command::new("python3")
        .arg(python.join("server.py"))
        .arg("0")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut server_out = BufReader::new(server.stdout.take().expect("a piped stdout"));
    let mut first = String::new();
    server_out.read_line(&mut first)?;
    let Some(port) = first.trim().strip_prefix("listening on port ") else {
        let _ = server.kill();
        return Err(io::Error::other(format!(
            "the server printed {first:?} instead of its port"
        )));
    };
    let port = port.to_owned();

    let client = Command::new("python3")
        .arg(python.join("client.py"))
        .arg(&port)
        .output()?;
    if !client.status.success() {
        // The server may still be waiting in accept: end it too.
        let _ = server.kill();
        eprint!("{}", String::from_utf8_lossy(&client.stderr));
        return Err(io::Error::other(format!(
            "the Python client failed ({})",
            client.status
        )));
    }
    let mut rest = String::new();
    server_out.read_to_string(&mut rest)?;
    let status = server.wait()?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "the Python server failed ({status})"
        )));
    }

    println!("$ python3 server.py 0");
    print!("{}", first.replace(&port, "<port>"));
    print!("{rest}");
    println!("$ python3 client.py <port>");
    print!("{}", String::from_utf8_lossy(&client.stdout));
    Ok(())
}
