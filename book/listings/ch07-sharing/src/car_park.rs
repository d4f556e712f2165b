//! A `Condvar`: a thread waits, with no lock held and no busy loop, until
//! another thread changes the data behind a `Mutex`, or until it runs out of
//! patience.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

// ANCHOR: car_park
/// A car park with a fixed number of spaces, shared by many threads.
pub struct CarPark {
    free: Mutex<usize>,
    /// Signalled each time a space is freed.
    freed: Condvar,
}

impl CarPark {
    pub fn new(spaces: usize) -> CarPark {
        CarPark {
            free: Mutex::new(spaces),
            freed: Condvar::new(),
        }
    }

    /// Takes a space, waiting at most `patience` for one to be freed; false
    /// when none was.
    pub fn park(&self, patience: Duration) -> bool {
        let free = self.free.lock().unwrap();
        // Unlocks, sleeps until notified or out of time, locks again, and
        // checks again: a wake-up is a hint, never a promise.
        let (mut free, _timeout) = self
            .freed
            .wait_timeout_while(free, patience, |free| *free == 0)
            .unwrap();
        if *free == 0 {
            return false; // Out of time, and still full.
        }
        *free -= 1;
        true
    }

    /// Frees a space, and wakes one thread that waits for it.
    pub fn leave(&self) {
        *self.free.lock().unwrap() += 1;
        self.freed.notify_one();
    }
}
// ANCHOR_END: car_park

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::thread;

    /// Long enough never to run out in a test that expects a space.
    const FOR_EVER: Duration = Duration::from_secs(30);

    #[test]
    fn a_full_car_park_refuses_once_patience_runs_out() {
        let park = CarPark::new(1);
        assert!(park.park(FOR_EVER));
        assert!(!park.park(Duration::from_millis(20)));
    }

    #[test]
    fn a_waiting_driver_gets_the_space_freed_by_another_thread() {
        let park = CarPark::new(1);
        assert!(park.park(FOR_EVER));
        let (waiting, started) = mpsc::channel();
        thread::scope(|scope| {
            let driver = scope.spawn(|| {
                waiting.send(()).unwrap();
                park.park(FOR_EVER)
            });
            started.recv().unwrap();
            park.leave();
            assert!(driver.join().unwrap(), "the freed space was not taken");
        });
    }

    #[test]
    fn many_drivers_share_few_spaces_and_never_more() {
        let park = CarPark::new(3);
        let inside = Mutex::new(0_usize);
        thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        assert!(park.park(FOR_EVER));
                        let mut count = inside.lock().unwrap();
                        *count += 1;
                        assert!(*count <= 3, "more cars than spaces");
                        *count -= 1;
                        drop(count);
                        park.leave();
                    }
                });
            }
        });
        assert_eq!(*park.free.lock().unwrap(), 3);
    }
}
