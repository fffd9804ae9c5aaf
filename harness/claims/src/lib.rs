//! image-claims: proves from the outside what a container image claims,
//! from rows of data: the user its processes run as, no shell, its files,
//! no setuid file, its layers and size, a hardened run, a seccomp allowlist
//! that is sufficient and minimal, and reproducibility. A row may be a
//! negative control, on which every check it states must fail, for the
//! right reason: proof that each check can fail.
//!
//! Layers, each knowing less than the one above, the lowest a crate of its
//! own (`image-probe`), so that it cannot name anything here:
//!
//! - [`entry`] and [`suite`]: the entry points and the fixture a run shares;
//! - [`properties`]: one trial per property and row;
//! - [`subject`], [`smoke`], [`seccomp`]: a row's image made ready and run;
//! - [`checks`], [`verdict`], [`judge`]: pure functions from observations to verdicts, and the verdicts judged by the row;
//! - [`row`], [`command`], [`config`], [`file_claim`], [`rows_file`]: what a row says;
//! - `image_probe`: the engine, for any image by reference.

pub mod checks;
pub mod command;
pub mod config;
pub mod entry;
pub mod escaping;
pub mod failure;
pub mod file_claim;
pub mod judge;
pub mod properties;
pub mod report;
pub mod row;
pub mod rows_file;
pub mod seccomp;
pub mod service;
pub mod signals;
pub mod smoke;
pub mod subject;
pub mod suite;
pub mod units;
pub mod users;
pub mod verdict;

pub use failure::Failure;
pub use row::Row;
pub use suite::Suite;
