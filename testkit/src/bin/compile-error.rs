//! Compiles a program that must fail, and prints rustc's messages, so a page
//! can show a real compiler error: `cargo run --quiet -p testkit --bin
//! compile-error -- E0373 book/listings/chNN-S/broken/FILE.rs` (the path from
//! the workspace's root). It succeeds only when the compiler fails with that
//! error code, so the book's build stops when the program compiles or fails for
//! another reason. The work is [`testkit::compile::expect_compile_error`]'s.

use std::process::ExitCode;

use testkit::compile::expect_compile_error;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [code, file] = args.as_slice() else {
        eprintln!("usage: compile-error CODE FILE (E0373 book/listings/…)");
        return ExitCode::FAILURE;
    };
    match expect_compile_error(file, code) {
        Ok(messages) => {
            print!("{messages}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("{why}");
            ExitCode::FAILURE
        }
    }
}
