//! An awkward peer: the ways a real network delivers bytes that naive code does not expect.
//!
//! TCP keeps the order of bytes but not the size of writes. A peer here can send a message one
//! byte at a time, in fixed or seeded random pieces, several messages in one write, with pauses
//! between pieces; it can half-close (no more bytes, but still listening) or reset the connection
//! (an abrupt end that the other side sees as an error, not as end of stream).

use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::Duration;

use crate::seed::Rng;

/// How a peer cuts a byte stream into writes (or a faulty reader into reads).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// Everything in one piece.
    Whole,
    /// Pieces of exactly this many bytes (the last may be shorter); `Fixed(1)` is byte by byte.
    Fixed(usize),
    /// Pieces of 1 to `max` bytes, chosen by a generator seeded with `seed`.
    Random { seed: u64, max: usize },
}

impl Cut {
    /// One byte at a time.
    pub const BYTE_BY_BYTE: Cut = Cut::Fixed(1);

    /// The cuts a test should try: whole, byte by byte, pieces of `fixed` bytes, and random
    /// pieces of 1 to `max` bytes for each seed of [`seed::seeds`]`(random)`.
    ///
    /// [`seed::seeds`]: crate::seed::seeds
    pub fn variety(fixed: usize, random: u64, max: usize) -> Vec<Cut> {
        let mut cuts = vec![Cut::Whole, Cut::BYTE_BY_BYTE, Cut::Fixed(fixed)];
        cuts.extend(
            crate::seed::seeds(random)
                .into_iter()
                .map(|seed| Cut::Random { seed, max }),
        );
        cuts
    }

    /// The seed of a random cut, for [`seed::with_seed`]; 0 for the others, which use none.
    ///
    /// [`seed::with_seed`]: crate::seed::with_seed
    pub fn seed(self) -> u64 {
        match self {
            Cut::Random { seed, .. } => seed,
            Cut::Whole | Cut::Fixed(_) => 0,
        }
    }

    /// The lengths of the pieces this cut makes of `total` bytes; they add up to `total`.
    pub fn lengths(self, total: usize) -> Vec<usize> {
        let mut lengths = Vec::new();
        let mut left = total;
        let mut rng = match self {
            Cut::Random { seed, .. } => Some(Rng::new(seed)),
            _ => None,
        };
        while left > 0 {
            let next = match self {
                Cut::Whole => left,
                Cut::Fixed(size) => size.max(1).min(left),
                Cut::Random { max, .. } => {
                    let rng = rng.as_mut().expect("a random cut always has a generator");
                    rng.between(1, max.max(1)).min(left)
                }
            };
            lengths.push(next);
            left -= next;
        }
        lengths
    }

    /// `data` cut into pieces.
    pub fn pieces(self, data: &[u8]) -> Vec<&[u8]> {
        let mut rest = data;
        self.lengths(data.len())
            .into_iter()
            .map(|len| {
                let (piece, after) = rest.split_at(len);
                rest = after;
                piece
            })
            .collect()
    }
}

/// Joins messages into one buffer, so a single write carries all of them.
pub fn coalesce<M: AsRef<[u8]>>(messages: &[M]) -> Vec<u8> {
    messages
        .iter()
        .flat_map(|m| m.as_ref().iter().copied())
        .collect()
}

/// Writes `data` cut as `cut` says, one `write_all` per piece, flushing after each and waiting
/// `pause` between pieces. On a `TcpStream` call [`no_delay`] first, or the kernel may merge
/// small pieces back together before they leave.
pub fn send_cut(out: &mut impl Write, data: &[u8], cut: Cut, pause: Duration) -> io::Result<()> {
    let pieces = cut.pieces(data);
    let last = pieces.len().saturating_sub(1);
    for (index, piece) in pieces.into_iter().enumerate() {
        out.write_all(piece)?;
        out.flush()?;
        if index != last && !pause.is_zero() {
            // Pacing the peer, not waiting for anything: the pause is the behaviour under test.
            thread::sleep(pause);
        }
    }
    Ok(())
}

/// Turns off Nagle's algorithm so every small write leaves at once, as its own segment.
pub fn no_delay(stream: &TcpStream) {
    stream
        .set_nodelay(true)
        .expect("could not set TCP_NODELAY on the test's socket");
}

/// Says "I will send no more" but keeps reading: the other side's `read` returns `Ok(0)`.
pub fn half_close(stream: &TcpStream) {
    stream
        .shutdown(Shutdown::Write)
        .expect("could not shut down the writing half of the test's socket");
}

/// Ends the connection abruptly. With `SO_LINGER` set to zero, closing sends a reset (RST)
/// instead of the orderly end (FIN), so the other side's next read or write fails with
/// `ConnectionReset` (or `ConnectionAborted`, or `BrokenPipe`) rather than returning `Ok(0)`.
pub fn reset(stream: TcpStream) {
    let socket = socket2::Socket::from(stream);
    socket
        .set_linger(Some(Duration::ZERO))
        .expect("could not set SO_LINGER to zero on the test's socket");
    drop(socket);
}

/// True for the errors that an abrupt end of a connection produces.
pub fn is_reset(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{OneShot, connect};
    use std::io::Read;

    #[test]
    fn a_variety_has_every_kind_of_cut_and_random_cuts_know_their_seed() {
        let cuts = Cut::variety(7, 3, 9);
        assert_eq!(&cuts[..3], &[Cut::Whole, Cut::Fixed(1), Cut::Fixed(7)]);
        let seeds: Vec<u64> = cuts[3..].iter().map(|cut| cut.seed()).collect();
        assert_eq!(seeds, crate::seed::seeds(3));
    }

    #[test]
    fn every_cut_keeps_every_byte_in_order() {
        let data: Vec<u8> = (0..=255).collect();
        for cut in [
            Cut::Whole,
            Cut::Fixed(1),
            Cut::Fixed(7),
            Cut::Random { seed: 3, max: 10 },
        ] {
            assert_eq!(cut.pieces(&data).concat(), data, "{cut:?}");
        }
        assert_eq!(Cut::Fixed(1).lengths(3), vec![1, 1, 1]);
        assert_eq!(Cut::Fixed(4).lengths(10), vec![4, 4, 2]);
        assert!(Cut::Whole.lengths(0).is_empty());
    }

    #[test]
    fn a_reset_is_an_error_not_an_end_of_stream() {
        let server = OneShot::start(|stream| {
            let mut byte = [0; 1];
            (&stream).read_exact(&mut byte).unwrap();
            reset(stream);
        });
        let mut client = connect(server.addr());
        client.write_all(b"x").unwrap();
        server.finish();
        let mut buffer = [0; 16];
        let error = client
            .read(&mut buffer)
            .expect_err("a reset must be an error");
        assert!(is_reset(&error), "{error:?}");
    }
}
