//! The checks: pure functions from what was observed (and what a row claims)
//! to a verdict. They talk to no engine, so each can be shown to fail on a
//! made-up observation as easily as on a real image.
//!
//! A verdict is `Ok(())` or a [`Mismatch`](crate::verdict::Mismatch) naming
//! the image, then each problem with what was expected and what was observed.

pub mod config;
pub mod files;
pub mod health;
pub mod layers;
pub mod shell;
pub mod size;
pub mod stop;
pub mod user;
