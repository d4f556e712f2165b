//! Seeded randomness that replays: every random choice in a test comes from a seed, and a failing
//! test prints the seed so the same run can be repeated.
//!
//! By default the seeds are fixed (the same on every run and every machine), so a test is
//! deterministic. `WORKBOOK_SEED=N` replaces them with the single seed `N` to replay a failure.

use std::fmt;
use std::thread;

/// The environment variable that replays one seed.
pub const SEED_VAR: &str = "WORKBOOK_SEED";

/// A small, fast pseudo-random generator (SplitMix64). Not for cryptography; plenty for tests.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose whole sequence is decided by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: usize, high: usize) -> usize {
        assert!(low <= high, "empty range {low}..={high}");
        let span = (high - low) as u64 + 1;
        low + (self.next_u64() % span) as usize
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// The seeds a test should try: `0..count`, or only the seed in `WORKBOOK_SEED` when it is set.
pub fn seeds(count: u64) -> Vec<u64> {
    match replay_seed() {
        Some(seed) => vec![seed],
        None => (0..count).collect(),
    }
}

/// The seed in `WORKBOOK_SEED`, if it is set to a number.
pub fn replay_seed() -> Option<u64> {
    std::env::var(SEED_VAR).ok()?.trim().parse().ok()
}

/// Runs `body` with a generator seeded by `seed`; if the body panics, says which seed it was.
pub fn with_seed<T>(seed: u64, body: impl FnOnce(&mut Rng) -> T) -> T {
    let _announce = SeedOnFailure(seed);
    body(&mut Rng::new(seed))
}

/// Prints the seed when dropped during a panic, so the failure report shows it.
struct SeedOnFailure(u64);

impl Drop for SeedOnFailure {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("{}", Replay(self.0));
        }
    }
}

/// The sentence that tells a student which seed a failing case used, that seeds are fixed, and
/// how to replay it.
pub struct Replay(pub u64);

impl fmt::Display for Replay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&replay_sentence(self.0, replay_seed() == Some(self.0)))
    }
}

/// [`Replay`]'s sentence for `seed`, which came from `WORKBOOK_SEED` when `from_variable`.
fn replay_sentence(seed: u64, from_variable: bool) -> String {
    if from_variable {
        format!(
            "failed with seed {seed}, from {SEED_VAR}={seed}. Without {SEED_VAR}, the tests use \
             their fixed seeds, the same on every run."
        )
    } else {
        format!(
            "failed with seed {seed}. The seeds are fixed, not random: every run tries the same \
             ones. To run seed {seed} alone, set {SEED_VAR}={seed}."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let first: Vec<u64> = (0..5)
            .scan(Rng::new(7), |rng, _| Some(rng.next_u64()))
            .collect();
        let again: Vec<u64> = (0..5)
            .scan(Rng::new(7), |rng, _| Some(rng.next_u64()))
            .collect();
        assert_eq!(first, again);
        assert_ne!(
            first,
            (0..5)
                .scan(Rng::new(8), |rng, _| Some(rng.next_u64()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_replay_sentence_says_seeds_are_fixed_and_how_to_replay() {
        let fixed = replay_sentence(4, false);
        assert!(fixed.starts_with("failed with seed 4."), "{fixed}");
        assert!(fixed.contains("The seeds are fixed, not random"), "{fixed}");
        assert!(
            fixed.ends_with("To run seed 4 alone, set WORKBOOK_SEED=4."),
            "{fixed}"
        );
        let chosen = replay_sentence(4, true);
        assert!(
            chosen.starts_with("failed with seed 4, from WORKBOOK_SEED=4."),
            "{chosen}"
        );
        assert!(!chosen.contains("this run"), "{chosen}");
    }

    #[test]
    fn between_stays_in_range_and_reaches_both_ends() {
        let mut rng = Rng::new(1);
        let draws: Vec<usize> = (0..1000).map(|_| rng.between(3, 5)).collect();
        assert!(draws.iter().all(|d| (3..=5).contains(d)));
        assert!(draws.contains(&3) && draws.contains(&5));
    }
}
