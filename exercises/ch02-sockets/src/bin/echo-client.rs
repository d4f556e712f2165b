//! Your echo client as a program: `cargo run -p ch02-sockets --bin echo-client -- ADDRESS:PORT
//! "hello"` sends the text to an echo server and prints the echo. The program is in
//! `src/programs/echo_client.rs`; it runs the `echo_client` of your `src/lib.rs`.

use ch02_sockets as chapter;

#[path = "../programs/echo_client.rs"]
mod program;

fn main() -> std::process::ExitCode {
    program::main()
}
