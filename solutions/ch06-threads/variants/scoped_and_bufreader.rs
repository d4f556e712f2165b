//! Runs the threads inside `thread::scope`, cuts chunks of `ceil(rest / threads left)` from the front, and echoes through a `BufReader`'s buffer.

use std::any::Any;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// Starts `count` threads, all at once: thread `i` runs `work(i)`. Returns what each returned,
/// in start order, or the message of its panic.
pub fn run_threads<T, F>(count: usize, work: F) -> Vec<Result<T, String>>
where
    T: Send + 'static,
    F: Fn(usize) -> T + Clone + Send + 'static,
{
    thread::scope(|scope| {
        let mut started = Vec::new();
        for i in 0..count {
            let work = work.clone();
            started.push(scope.spawn(move || work(i)));
        }
        // A scoped thread joined by hand does not make the scope panic when it panicked.
        let mut results = Vec::new();
        for handle in started {
            results.push(match handle.join() {
                Ok(value) => Ok(value),
                Err(payload) => Err(message_of(payload.as_ref())),
            });
        }
        results
    })
}

fn message_of(payload: &(dyn Any + Send)) -> String {
    match (
        payload.downcast_ref::<String>(),
        payload.downcast_ref::<&'static str>(),
    ) {
        (Some(text), _) => text.clone(),
        (None, Some(text)) => text.to_string(),
        (None, None) => String::from("a panic without a message"),
    }
}

/// Adds up `work(item)` over every item, on `min(threads, items.len())` scoped threads.
pub fn parallel_sum<T, F>(items: &[T], threads: usize, work: F) -> u64
where
    T: Sync,
    F: Fn(&T) -> u64 + Sync,
{
    if threads == 0 {
        panic!("parallel_sum: threads must be at least 1");
    }
    let work = &work;
    thread::scope(|scope| {
        let mut rest = items;
        let mut left = threads.min(items.len());
        let mut partial_sums = Vec::new();
        while left > 0 {
            // ceil(rest / left): the lengths that follow can only be equal or one shorter.
            let take = rest.len().div_ceil(left);
            let (chunk, after) = rest.split_at(take);
            partial_sums.push(scope.spawn(move || chunk.iter().map(work).sum::<u64>()));
            rest = after;
            left -= 1;
        }
        partial_sums
            .into_iter()
            .map(|handle| handle.join().expect("the work panicked"))
            .sum()
    })
}

/// Sends back every piece as it arrives, until the client shuts down its side.
pub fn echo(stream: TcpStream) -> io::Result<u64> {
    let mut incoming = BufReader::with_capacity(16 * 1024, &stream);
    let mut out = &stream;
    let mut echoed = 0;
    loop {
        let arrived = match incoming.fill_buf() {
            Ok(arrived) => arrived,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if arrived.is_empty() {
            break;
        }
        out.write_all(arrived)?;
        let len = arrived.len();
        incoming.consume(len);
        echoed += len as u64;
    }
    stream.shutdown(Shutdown::Write)?;
    Ok(echoed)
}

/// Where [`serve`] gets its connections. Provided: there is nothing to write here.
pub trait Accept {
    /// Waits for the next connection and returns it, with the client's address, as
    /// [`TcpListener::accept`] does.
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)>;
}

impl Accept for TcpListener {
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        TcpListener::accept(self)
    }
}

/// Serves echo clients for ever, a thread each; pauses 25 ms after an accept error.
pub fn serve(listener: impl Accept) -> ! {
    loop {
        if let Ok((stream, _)) = listener.accept() {
            let _ = thread::Builder::new().spawn(move || echo(stream));
        } else {
            thread::sleep(Duration::from_millis(25));
        }
    }
}

#[cfg(test)]
#[path = "../../../exercises/ch06-threads/src/tests.rs"]
mod tests;
