//! Your one-thread chat server as a program: `cargo run -p ch09-one-thread --bin chat-server --
//! 127.0.0.1:0` listens on a free port of 127.0.0.1 and prints it. It is the same program as the
//! chat server chapter's (`exercises/ch08-chat-server/src/programs/chat_server.rs`), running the
//! `Server` of your `src/lib.rs`.

use ch09_one_thread as chapter;

#[path = "../../../ch08-chat-server/src/programs/chat_server.rs"]
mod program;

fn main() -> std::process::ExitCode {
    program::main()
}
