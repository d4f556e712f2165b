//! Timers in an event loop: no thread sleeps until a deadline, so the loop
//! tells `poll` how long it may sleep, and looks at the clock when it wakes.

use std::time::{Duration, Instant};

// ANCHOR: poll_timeout
/// How long `poll` may sleep: until the earliest deadline, or with no limit
/// when there is none (`None`). A deadline that has passed gives zero, and
/// `poll` then returns at once with whatever is ready.
pub fn poll_timeout(
    now: Instant,
    deadlines: impl IntoIterator<Item = Instant>,
) -> Option<Duration> {
    let earliest = deadlines.into_iter().min()?;
    Some(earliest.saturating_duration_since(now))
}
// ANCHOR_END: poll_timeout

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_deadline_means_no_limit() {
        assert_eq!(poll_timeout(Instant::now(), []), None);
    }

    #[test]
    fn the_earliest_deadline_wins() {
        let now = Instant::now();
        let deadlines = [
            now + Duration::from_secs(10),
            now + Duration::from_millis(250),
            now + Duration::from_secs(2),
        ];
        assert_eq!(
            poll_timeout(now, deadlines),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn a_deadline_already_passed_means_do_not_sleep() {
        let now = Instant::now() + Duration::from_secs(1);
        let passed = now - Duration::from_millis(5);
        let later = now + Duration::from_secs(1);
        assert_eq!(poll_timeout(now, [later, passed]), Some(Duration::ZERO));
    }
}
