//! Builds the workbook's book with mdBook and mdbook-cmdrun embedded, and checks the result.
//!
//! `book-builder` builds `book/` into `book/build/` and fails, naming the page, when a command
//! run by cmdrun failed, a directive survived into the HTML, or an internal link or anchor is
//! broken. `--watch` serves the book on 127.0.0.1 and rebuilds it on every change; `--check`
//! also loads pages in headless Chromium; `--open` opens the result in the browser.
//!
//! It is run by `cargo xtask book`, from anywhere inside the workbook.

mod browser;
mod checks;
mod commands;
mod logger;
mod manifest;
mod open;
mod render;
mod serve;
mod watch;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: book-builder [--open] [--watch] [--check] [--port PORT]

  (no option)   build the book into book/build/ and check its pages and links
  --open        open the built book in your browser
  --watch       serve the book on http://127.0.0.1:PORT/ and rebuild it on every change
  --check       also load pages in headless Chromium and check what a reader sees
  --port PORT   the port for --watch (default 3000)";

/// What the command line asked for.
struct Options {
    open: bool,
    watch: bool,
    check: bool,
    port: u16,
}

fn parse_args() -> Result<Options> {
    let mut options = Options {
        open: false,
        watch: false,
        check: false,
        port: 3000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--open" => options.open = true,
            "--watch" | "--serve" => options.watch = true,
            "--check" => options.check = true,
            "--port" => {
                let port = args.next().context("--port needs a number")?;
                options.port = port
                    .parse()
                    .with_context(|| format!("--port {port}: not a port number"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    if options.watch && options.check {
        bail!("--watch and --check do not go together: --check builds once and exits");
    }
    Ok(options)
}

/// The `book/` folder: found from the current folder, which is anywhere inside the workbook.
fn find_book_dir() -> Result<PathBuf> {
    let here = std::env::current_dir().context("cannot read the current folder")?;
    here.ancestors()
        .flat_map(|folder| [folder.to_path_buf(), folder.join("book")])
        .find(|candidate| candidate.join("book.toml").is_file())
        .with_context(|| {
            format!(
                "no book/book.toml in {} or any folder above it; run this inside the workbook",
                here.display()
            )
        })
}

/// Set in the builder's own second run, which builds the book's programs in a target folder of
/// their own.
const OWN_TARGET: &str = "BOOK_BUILDER_OWN_TARGET";

/// Runs this builder again with `CARGO_TARGET_DIR` set to a folder for the book's programs
/// alone (`target/book/`), and returns its exit status.
///
/// The pages run `cargo run -p …-listings --bin …`, and cargo runs whichever binary it last
/// copied to `target/debug/`. When another copy of the workbook (a student copy that the
/// runner's own tests build, say) shares the target folder, that binary can be the copy's, with
/// the copy's paths compiled in: the book would show its output, or fail. A folder of their own
/// avoids that, and the book's builds never wait for the lock of a `cargo xtask check` either.
fn rerun_with_own_target(book_dir: &Path) -> Result<ExitCode> {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => std::path::absolute(PathBuf::from(dir))?,
        None => book_dir.join("../target"),
    };
    let status = Command::new(std::env::current_exe()?)
        .args(std::env::args_os().skip(1))
        .env(OWN_TARGET, "1")
        .env(manifest::OUTER_TARGET, &target)
        .env("CARGO_TARGET_DIR", target.join("book"))
        .status()
        .context("cannot run the book builder again")?;
    Ok(ExitCode::from(
        status
            .code()
            .and_then(|code| u8::try_from(code).ok())
            .unwrap_or(1),
    ))
}

fn run() -> Result<ExitCode> {
    let options = parse_args()?;
    let book_dir = find_book_dir()?;
    if std::env::var_os(OWN_TARGET).is_none() {
        return rerun_with_own_target(&book_dir);
    }
    logger::install();
    // mdbook-cmdrun reads `book.toml` from the current folder and runs each command from the
    // folder of its page, relative to here: it must run from inside `book/`.
    std::env::set_current_dir(&book_dir)
        .with_context(|| format!("cannot enter {}", book_dir.display()))?;
    let book_dir = Path::new(".");

    if options.watch {
        watch::run(book_dir, options.port, options.open)?;
        return Ok(ExitCode::SUCCESS);
    }
    let chapters = manifest::chapters(book_dir)?;
    let build_dir = render::build_and_check(book_dir, &chapters)?;
    // A chapter still being written may not link to its exercise yet: a warning while you
    // work, an error in the full check that CI runs.
    let links = checks::chapters_link_their_exercises(&chapters, &book_dir.join("src"));
    // So may a chapter still without its recap, or a listing still too wide.
    let endings =
        checks::chapters_end_with_recap_questions_and_reading(&chapters, &book_dir.join("src"));
    let widths = checks::listings_fit(&build_dir);
    for outcome in [links, endings, widths] {
        match outcome {
            Err(error) if options.check => return Err(error),
            Err(error) => eprintln!("warning: {error:#}"),
            Ok(()) => {}
        }
    }
    if options.check {
        browser::check(book_dir, &build_dir, &chapters)?;
    }
    if options.open {
        open::in_browser(
            &build_dir
                .join("index.html")
                .canonicalize()?
                .display()
                .to_string(),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
