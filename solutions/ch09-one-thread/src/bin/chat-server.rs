//! The one-thread chat server on the reference solution: the program students run on their own
//! code, from the chat server chapter's `src/programs/chat_server.rs`.

use ch09_one_thread_solution as chapter;

#[path = "../../../../exercises/ch08-chat-server/src/programs/chat_server.rs"]
mod program;

fn main() -> std::process::ExitCode {
    program::main()
}
