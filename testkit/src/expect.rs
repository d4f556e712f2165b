//! Assertions whose failure says which value came from the code under test.
//!
//! `assert_eq!` prints `left` and `right`, and a student has to work out which is theirs.
//! [`assert_same!`](crate::assert_same) prints `got` (what the code returned) and `expected`.

use std::fmt::{self, Debug};

/// Fails the test, saying `what`, when `got` is not `expected`. Use [`assert_same!`].
///
/// [`assert_same!`]: crate::assert_same
#[track_caller]
pub fn same<T: PartialEq + Debug + ?Sized>(got: &T, expected: &T, what: fmt::Arguments) {
    if got != expected {
        let what = what.to_string();
        let what = if what.is_empty() {
            "the value is wrong".to_owned()
        } else {
            what
        };
        panic!("{what}\n     got: {got:?}\nexpected: {expected:?}");
    }
}

/// `assert_same!(got, expected, "what it is about {x}")`: like `assert_eq!`, but the failure
/// says `got` and `expected` instead of `left` and `right`.
#[macro_export]
macro_rules! assert_same {
    ($got:expr, $expected:expr $(,)?) => {
        $crate::expect::same(&$got, &$expected, format_args!(""))
    };
    ($got:expr, $expected:expr, $($what:tt)+) => {
        $crate::expect::same(&$got, &$expected, format_args!($($what)+))
    };
}

#[cfg(test)]
mod tests {
    use crate::watchdog::panic_message;

    #[test]
    fn says_which_value_came_from_the_code() {
        let outcome = std::panic::catch_unwind(|| crate::assert_same!(1 + 1, 3, "adding {}", "up"));
        let message = panic_message(&*outcome.unwrap_err());
        assert_eq!(message, "adding up\n     got: 2\nexpected: 3");
    }

    #[test]
    fn equal_values_pass() {
        crate::assert_same!("a", "a");
    }
}
