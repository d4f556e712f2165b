//! Your chat server as a program: `cargo run -p ch08-chat-server --bin chat-server` listens on a
//! free port of 127.0.0.1 and prints it (`-- 127.0.0.1:5555` chooses the port). The program is in
//! `src/programs/chat_server.rs`; it runs the `Server` of your `src/lib.rs`.

use ch08_chat_server as chapter;

#[path = "../programs/chat_server.rs"]
mod program;

fn main() -> std::process::ExitCode {
    program::main()
}
