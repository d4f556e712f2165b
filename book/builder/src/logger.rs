//! Shows mdBook's own warnings and errors, and remembers whether an error was logged.
//!
//! mdBook reports some problems only through the `log` crate and carries on: an `{{#include}}`
//! of a missing file, for instance, leaves the directive in the page. Counting the errors lets
//! the build fail on them instead of publishing a broken page.

use std::sync::atomic::{AtomicUsize, Ordering};

use log::{Level, LevelFilter, Log, Metadata, Record};

static ERRORS: AtomicUsize = AtomicUsize::new(0);

struct Logger;

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= Level::Warn
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        if record.level() == Level::Error {
            ERRORS.fetch_add(1, Ordering::SeqCst);
        }
        let level = record.level().as_str().to_ascii_lowercase();
        eprintln!("mdbook {level}: {}", record.args());
    }

    fn flush(&self) {}
}

/// Sends mdBook's log to stderr; call once, first.
pub fn install() {
    static LOGGER: Logger = Logger;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Warn);
    }
}

/// How many errors have been logged so far.
pub fn errors() -> usize {
    ERRORS.load(Ordering::SeqCst)
}
