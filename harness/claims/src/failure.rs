//! Why a trial failed, as a typed value with a message a person reads once:
//! it names the image first, then what was expected and what was observed.

use crate::verdict::{Evidence, Mismatch};
use image_probe::ProbeError;
use std::fmt;

#[derive(Debug)]
pub enum Failure {
    /// The image does not do what its row claims.
    Refuted(Mismatch),
    /// A negative control passed a check it must fail: the check cannot
    /// tell a bad image from a good one.
    ControlPassed { image: String, check: String },
    /// A negative control failed a check, but its message does not name
    /// what was observed to refute the claim.
    WrongReason {
        image: String,
        evidence: Evidence,
        message: String,
    },
    /// The observation could not be made.
    Probe { image: String, error: ProbeError },
    /// The row cannot be checked as written.
    Row { image: String, problem: String },
}

impl Failure {
    pub fn probe(image: &impl fmt::Display, error: ProbeError) -> Self {
        Failure::Probe {
            image: image.to_string(),
            error,
        }
    }

    pub fn row(image: &impl fmt::Display, problem: impl Into<String>) -> Self {
        Failure::Row {
            image: image.to_string(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Refuted(mismatch) => write!(f, "{mismatch}"),
            Failure::ControlPassed { image, check } => write!(
                f,
                "{image} is a negative control, so {check} must fail on it, but it passed: the \
                 check cannot tell a bad image from a good one"
            ),
            Failure::WrongReason {
                image,
                evidence,
                message,
            } => write!(
                f,
                "{image} is a negative control: the check failed, but not for the reason \
                 observed ({evidence}). Its message:\n{message}"
            ),
            Failure::Probe { image, error } => write!(f, "{image}: {error}"),
            Failure::Row { image, problem } => write!(f, "{image}: {problem}"),
        }
    }
}

impl std::error::Error for Failure {}
