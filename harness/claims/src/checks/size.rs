//! Image sizes against budgets.

use crate::units::thousands;
use crate::verdict::{Mismatch, Problem, plain};

/// A bound on a number of bytes.
#[derive(Clone, Copy)]
pub enum Bound {
    AtMost(u64),
    AtLeast(u64),
}

impl Bound {
    fn holds_for(self, bytes: u64) -> bool {
        match self {
            Bound::AtMost(limit) => bytes <= limit,
            Bound::AtLeast(minimum) => bytes >= minimum,
        }
    }
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::AtMost(limit) => write!(f, "at most {} bytes", thousands(*limit)),
            Bound::AtLeast(minimum) => write!(f, "at least {} bytes", thousands(*minimum)),
        }
    }
}

/// `what` (the image, or what it adds to its base) is `bytes` long, within `bound`.
pub fn within(image: &str, what: &str, bytes: u64, bound: Bound) -> Result<(), Mismatch> {
    let problems = if bound.holds_for(bytes) {
        vec![]
    } else {
        vec![Problem::new(
            what,
            plain(bound),
            plain(format!("{} bytes", thousands(bytes))),
        )]
    };
    Mismatch::verdict(image, problems)
}
