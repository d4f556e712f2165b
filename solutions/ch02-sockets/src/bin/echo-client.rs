//! The echo client on the reference solution: the program students run on their own
//! code, from the exercise's `src/programs/echo_client.rs`.

use ch02_sockets_solution as chapter;

#[path = "../../../../exercises/ch02-sockets/src/programs/echo_client.rs"]
mod program;

fn main() -> std::process::ExitCode {
    program::main()
}
