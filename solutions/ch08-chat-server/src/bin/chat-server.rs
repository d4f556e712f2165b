//! The chat server on the reference solution: the program students run on their own
//! code, from the exercise's `src/programs/chat_server.rs`.

use ch08_chat_server_solution as chapter;

#[path = "../../../../exercises/ch08-chat-server/src/programs/chat_server.rs"]
mod program;

fn main() -> std::process::ExitCode {
    program::main()
}
