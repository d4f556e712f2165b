//! Runs one of the chapter's Python scripts (`cargo run -p
//! ch06-threads-listings --bin python -- start_join.py`), so the book can show
//! what the Python scripts print on any system.

use std::process::{Command, ExitCode};

use ch06_threads_listings::{find_python, python_scripts};

fn main() -> ExitCode {
    let Some(script) = std::env::args().nth(1) else {
        eprintln!("usage: python SCRIPT (one of the files in python/)");
        return ExitCode::FAILURE;
    };
    let Some(python) = find_python() else {
        println!(
            "(Python 3 is not installed here, so the script did not run.)"
        );
        return ExitCode::SUCCESS;
    };
    let status = Command::new(python)
        .arg(python_scripts().join(&script))
        .status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("{script} ended with {status}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("could not run {script}: {error}");
            ExitCode::FAILURE
        }
    }
}
