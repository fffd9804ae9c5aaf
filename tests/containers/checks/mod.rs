//! The checks: pure functions from what was observed (and what a row claims)
//! to a verdict. They talk to no engine, so each can be shown to fail on a
//! made-up observation as easily as on a real image.
//!
//! A verdict is `Ok(())` or a [`Mismatch`] naming the image, then each
//! problem with what was expected and what was observed.

pub mod files;
pub mod layers;
pub mod shell;
pub mod size;
pub mod user;

pub use crate::spec::mismatch::{Mismatch, Problem, Shown, plain};

/// A list as a message shows it: `a, b, c`, or `none`.
pub fn listed<T: std::fmt::Display>(items: &[T]) -> Shown {
    if items.is_empty() {
        return plain("none");
    }
    let shown: Vec<String> = items.iter().map(ToString::to_string).collect();
    plain(shown.join(", "))
}
