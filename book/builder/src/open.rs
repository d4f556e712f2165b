//! Opens a file or URL in the reader's browser, with the tool each system provides.

use std::process::{Command, Stdio};

/// Opens `target` in the default browser; says where the book is when that is not possible.
pub fn in_browser(target: &str) {
    let mut command = if cfg!(target_os = "macos") {
        Command::new("open")
    } else if cfg!(windows) {
        // `start` is built into cmd; its first quoted argument is a window title.
        let mut command = Command::new("cmd");
        command.args(["/C", "start", ""]);
        command
    } else {
        Command::new("xdg-open")
    };
    command
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match command.status() {
        Ok(status) if status.success() => println!("Opened {target}"),
        _ => println!("Could not open a browser; open {target} yourself"),
    }
}
