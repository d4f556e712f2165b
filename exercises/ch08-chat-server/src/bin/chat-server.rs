//! Your chat server as a program: `cargo run -p ch08-chat-server --bin chat-server -- 127.0.0.1:0`
//! listens on a free port of 127.0.0.1 and prints it (without an address: the protocol's
//! `127.0.0.1:5555`). The program is in
//! `src/programs/chat_server.rs`; it runs the `Server` of your `src/lib.rs`.

use ch08_chat_server as chapter;

#[path = "../programs/chat_server.rs"]
mod program;

fn main() -> std::process::ExitCode {
    program::main()
}
