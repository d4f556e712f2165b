//! The code that the book's capstone shows, included by anchor and compiled
//! here: the pieces of a chat server's design, and the naive server (built
//! from the lecture's calls) whose broadcast stalls. The programs in `src/bin`
//! also run the reference server, as a program of its own (see
//! [`reference`]).

pub mod duplex;
pub mod lifecycle;
pub mod naive;
pub mod reference;

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};

// ANCHOR: state
/// One joined client, as the room sees it.
pub struct Member {
    pub name: String,
    /// The sending end of the client's bounded queue; its writer thread holds
    /// the other end.
    pub outbox: SyncSender<Arc<str>>,
    /// Set to disconnect the client: its reader looks at it whenever its read
    /// times out, and leaves.
    pub hung_up: Arc<AtomicBool>,
}

/// Everything the clients share: who is in the room. It lives in an
/// `Arc<Mutex<Room>>`.
#[derive(Default)]
pub struct Room {
    pub members: HashMap<u64, Member>,
}
// ANCHOR_END: state

impl Room {
    // ANCHOR: broadcast
    /// Queues `line` for every member but `from`. Never blocks, whatever the
    /// clients do.
    pub fn broadcast(&mut self, from: u64, line: &str) -> Vec<String> {
        let line: Arc<str> = line.into();
        let mut too_slow = Vec::new();
        for (&id, member) in &self.members {
            if id == from {
                continue;
            }
            match member.outbox.try_send(Arc::clone(&line)) {
                Ok(()) => {}
                // 256 lines are waiting: this client has stopped reading.
                Err(TrySendError::Full(_)) => too_slow.push(id),
                // Its writer thread has ended: the client is gone.
                Err(TrySendError::Disconnected(_)) => too_slow.push(id),
            }
        }
        let mut gone = Vec::new();
        for id in too_slow {
            if let Some(member) = self.members.remove(&id) {
                // Its reader sees the flag within a tick and ends; its writer
                // ends when its queue has no sender left.
                member.hung_up.store(true, Ordering::SeqCst);
                gone.push(member.name);
            }
        }
        gone // The caller tells the others that these left.
    }
    // ANCHOR_END: broadcast
}

// ANCHOR: writer
/// A client's writer thread: empties its queue onto its socket. It is the only
/// thread that writes to this socket, and it holds no lock while it does. The
/// socket has a write timeout, so a client that reads nothing cannot keep it
/// in `write_all` for ever.
pub fn write_lines(
    mut stream: TcpStream,
    queue: Receiver<Arc<str>>,
    hung_up: &AtomicBool,
) {
    // The loop ends when every sender has been dropped: the room's and the
    // reader's.
    for line in queue {
        if stream.write_all(line.as_bytes()).is_err() {
            // Gone, or too slow: make the reader notice too.
            hung_up.store(true, Ordering::SeqCst);
            return;
        }
    }
}
// ANCHOR_END: writer

/// Why a line was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    TooLong,
    NotUtf8,
}

// ANCHOR: limited
/// Reads one line of at most `limit` bytes. `Ok(None)` is the end of the stream
/// (a partial line is dropped); at no point does it hold more than `limit`
/// bytes plus one read's worth.
pub fn read_limited(
    reader: &mut impl BufRead,
    limit: usize,
) -> io::Result<Option<Result<String, Refused>>> {
    let mut line = Vec::new();
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(None);
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let piece = &available[..newline.unwrap_or(available.len())];
        if line.len() + piece.len() > limit + 1 {
            // Stop reading: do not wait for a `\n` that may never come.
            return Ok(Some(Err(Refused::TooLong)));
        }
        line.extend_from_slice(piece);
        let used = piece.len() + usize::from(newline.is_some());
        reader.consume(used);
        if newline.is_some() {
            if line.last() == Some(&b'\r') {
                line.pop(); // telnet sends `\r\n`
            }
            if line.len() > limit {
                return Ok(Some(Err(Refused::TooLong)));
            }
            // The whole line at once: a character split between two reads is
            // whole again here.
            return Ok(Some(
                String::from_utf8(line).map_err(|_| Refused::NotUtf8),
            ));
        }
    }
}
// ANCHOR_END: limited

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Cursor};
    use testkit::faulty;
    use testkit::peer::Cut;

    fn lines(
        input: &[u8],
        limit: usize,
    ) -> Vec<Option<Result<String, Refused>>> {
        // One byte per read: the hardest way for a reader to receive a line.
        let reader = faulty::FaultyReader::new(Cursor::new(input.to_vec()))
            .cut(Cut::BYTE_BY_BYTE);
        let mut reader = BufReader::new(reader);
        (0..3)
            .map(|_| read_limited(&mut reader, limit).unwrap())
            .collect()
    }

    #[test]
    fn reads_lines_drops_cr_and_the_unfinished_tail() {
        assert_eq!(
            lines("héllo\r\nwörld\nhalf".as_bytes(), 16),
            vec![
                Some(Ok("héllo".to_owned())),
                Some(Ok("wörld".to_owned())),
                None
            ]
        );
    }

    #[test]
    fn refuses_long_lines_and_invalid_utf8() {
        assert_eq!(lines(b"abcd\n", 4)[0], Some(Ok("abcd".to_owned())));
        assert_eq!(lines(b"abcde\n", 4)[0], Some(Err(Refused::TooLong)));
        assert_eq!(lines(b"abcdefgh", 4)[0], Some(Err(Refused::TooLong)));
        assert_eq!(lines(b"caf\xe9\n", 4)[0], Some(Err(Refused::NotUtf8)));
    }
}
