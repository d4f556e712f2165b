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
mod logger;
mod open;
mod render;
mod serve;
mod watch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

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

fn run() -> Result<()> {
    let options = parse_args()?;
    logger::install();
    let book_dir = find_book_dir()?;
    // mdbook-cmdrun reads `book.toml` from the current folder and runs each command from the
    // folder of its page, relative to here: it must run from inside `book/`.
    std::env::set_current_dir(&book_dir)
        .with_context(|| format!("cannot enter {}", book_dir.display()))?;
    let book_dir = Path::new(".");

    if options.watch {
        return watch::run(book_dir, options.port, options.open);
    }
    let build_dir = render::build_and_check(book_dir)?;
    // A chapter still being written may not link to its exercise yet: a warning while you
    // work, an error in the full check that CI runs.
    let links = checks::chapters_link_their_exercises(
        &book_dir.join("../chapters.toml"),
        &book_dir.join("src"),
    );
    match links {
        Err(error) if options.check => return Err(error),
        Err(error) => eprintln!("warning: {error:#}"),
        Ok(()) => {}
    }
    if options.check {
        browser::check(book_dir, &build_dir)?;
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
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
