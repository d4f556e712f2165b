//! Your threaded echo server as a program: `cargo run -p ch06-threads --bin echo-server` listens
//! on a free port of 127.0.0.1 and prints it (`-- 127.0.0.1:5555` chooses the port). The program
//! is in `src/programs/echo_server.rs`; it runs the `serve` of your `src/lib.rs`.

use ch06_threads as chapter;

#[path = "../programs/echo_server.rs"]
mod program;

fn main() -> std::process::ExitCode {
    program::main()
}
