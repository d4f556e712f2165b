//! The capstone's reference chat server, run as a program of its own by the
//! programs that show it at work (`session` and `stalled-reader`).
//!
//! This crate does not depend on the reference solution, so that it builds in
//! a student's copy of the workbook too, which has no `solutions/` folder.
//! The book's pages mark the commands that run these programs, and
//! `cargo xtask export` writes their output into the copy's pages.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{self, Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// The reference solution's package.
const PACKAGE: &str = "ch08-chat-server-solution";

/// The reference solution's folder, from the workspace root.
const FOLDER: &str = "solutions/ch08-chat-server";

/// What the server's first line says before its address.
const LISTENING: &str = "chat server listening on ";

/// How long the server may take to say where it listens: long enough for
/// cargo to compile it first, short enough that a broken server ends the
/// program instead of hanging the book.
const STARTUP: Duration = Duration::from_secs(300);

/// The workspace root: this crate is `book/listings/ch08-chat-server` in it.
fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(3)
        .expect("the crate is three folders below the workspace root")
}

/// Ends the program with a failure, saying why in one line, when this copy
/// of the workbook has no reference server. A student's copy never runs it:
/// `cargo xtask export` writes this program's output into the copy's page.
pub fn exit_unless_available(what: &str) {
    if !workspace_root().join(FOLDER).is_dir() {
        eprintln!(
            "this copy of the workbook has no reference server ({FOLDER}), \
             so it cannot show this {what}; a student copy's book has it as \
             it was when the copy was exported"
        );
        process::exit(1);
    }
}

/// Starts the reference server, or ends the program with a failure status
/// and the reason: where the server exists, a book page must not quietly
/// show less than it should.
pub fn start_or_exit() -> Server {
    match Server::start() {
        Ok(server) => server,
        Err(problem) => {
            eprintln!("cannot start the reference chat server: {problem}");
            process::exit(1);
        }
    }
}

/// A child process that is killed and waited for when dropped, so that the
/// server stops on every path out of the program, a panic included.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // `cargo run` replaces itself with the server on Unix, and takes it
        // down with itself on Windows: killing the child stops the server.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The reference server, running as a child process on a port of its own.
pub struct Server {
    addr: SocketAddr,
    _process: KillOnDrop,
}

impl Server {
    /// Runs the reference server on `127.0.0.1:0` with cargo, and returns once
    /// it has said where it listens.
    pub fn start() -> Result<Server, String> {
        // Cargo sets `CARGO` for the programs it runs: the same cargo, with
        // the same toolchain, builds the server.
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut child = Command::new(&cargo)
            .current_dir(workspace_root())
            .args(["run", "--quiet", "--package", PACKAGE])
            .args(["--bin", "chat-server", "--", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // Cargo's errors, if any, go where this program's go.
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|error| {
                format!("cannot run {}: {error}", cargo.to_string_lossy())
            })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut process = KillOnDrop(child);
        let line = first_line(stdout)?;
        if line.is_empty() {
            let status = process
                .0
                .wait()
                .map_or_else(|error| error.to_string(), |s| s.to_string());
            return Err(format!(
                "it ended before saying where it listens ({status}); \
                 cargo's errors, if any, are above"
            ));
        }
        let addr = listening_on(&line).ok_or_else(|| {
            format!("its first line is not `{LISTENING}ADDRESS` but {line:?}")
        })?;
        Ok(Server {
            addr,
            _process: process,
        })
    }

    /// The address the server listens on, with the port the system chose.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server: the system closes its connections, and every client
    /// reads the end of its stream.
    pub fn shutdown(self) {
        drop(self);
    }
}

/// The first line of the server's output, empty if it ended without one. A
/// thread of its own reads it, so that a server that says nothing is given
/// up on.
fn first_line(stdout: ChildStdout) -> Result<String, String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(read.map(|_| line));
    });
    match receiver.recv_timeout(STARTUP) {
        Ok(Ok(line)) => Ok(line),
        Ok(Err(error)) => Err(format!("cannot read its output: {error}")),
        Err(_) => Err(format!(
            "it has not said where it listens after {} s",
            STARTUP.as_secs()
        )),
    }
}

/// The address in the server's first line, `chat server listening on ADDR`.
fn listening_on(line: &str) -> Option<SocketAddr> {
    line.trim_end().strip_prefix(LISTENING)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_gives_the_address() {
        assert_eq!(
            listening_on("chat server listening on 127.0.0.1:40123\n"),
            Some(SocketAddr::from(([127, 0, 0, 1], 40123)))
        );
        assert_eq!(
            listening_on("chat server listening on [::1]:5555\r\n"),
            Some("[::1]:5555".parse().unwrap())
        );
        assert_eq!(listening_on("error: could not compile\n"), None);
        assert_eq!(listening_on("chat server listening on nowhere\n"), None);
    }

    #[test]
    fn the_workspace_root_holds_this_crate() {
        assert!(
            workspace_root()
                .join("book/listings/ch08-chat-server/Cargo.toml")
                .is_file()
        );
    }
}
