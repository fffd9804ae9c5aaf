//! The properties: one file each, one test per property applied to every row
//! of the image table with `#[apply(every_image)]`. A test observes through
//! the probe layer, asks a pure check for the verdict, and [`judge`]s it by
//! the row: an image must pass; a negative control must fail, and fail for
//! the right reason.

/// Declares, in a module `for_every_image`, one test per property function
/// named, applied to every row of the image table: `image_has_no_setuid_file`
/// becomes `for_every_image::image_has_no_setuid_file::case_1_scratch`, ….
macro_rules! tests_for_every_image {
    ($($property:ident),+ $(,)?) => {
        mod for_every_image {
            use crate::images::every_image;
            use crate::row::ImageRow;
            use rstest::rstest;
            use rstest_reuse::apply;
            $(
                #[apply(every_image)]
                fn $property(image: &'static ImageRow) {
                    crate::block_on(super::$property(image));
                }
            )+
        }
    };
}

pub mod arithmetic;
pub mod by_reference;
pub mod files;
pub mod hardening;
pub mod hygiene;
pub mod reproducibility;
pub mod seccomp;
pub mod shell;
pub mod size;
pub mod user;

use crate::checks::Mismatch;
use crate::spec::Outcome;
use crate::subject::Subject;

/// Fails the test unless the verdict is what the row calls for. A negative
/// control must fail the check with a message that names the image and
/// every fact in `evidence`, each something observed that refutes the claim.
pub fn judge(subject: &Subject, verdict: Result<(), Mismatch>, evidence: &[String]) {
    match (verdict, subject.row.negative_control) {
        (Ok(()), false) => {}
        (Err(mismatch), false) => panic!("{mismatch}"),
        (Ok(()), true) => panic!(
            "{subject} is a negative control, so this check must fail on it, but it passed: \
             the check cannot tell a bad image from a good one"
        ),
        (Err(mismatch), true) => {
            let message = mismatch.to_string();
            let unnamed: Vec<&String> = evidence
                .iter()
                .filter(|fact| !message.contains(fact.as_str()))
                .collect();
            assert!(
                message.starts_with(&subject.label) && unnamed.is_empty() && !evidence.is_empty(),
                "{subject} is a negative control: the check failed, but not for the reason \
                 observed ({}). Its message:\n{message}",
                evidence.join(", ")
            );
        }
    }
}

/// Ends the test when an observation cannot be made, naming the image.
pub trait OrFail<T> {
    fn or_fail(self, subject: &Subject) -> T;
}

impl<T> OrFail<T> for Result<T, String> {
    fn or_fail(self, subject: &Subject) -> T {
        self.unwrap_or_else(|problem| panic!("{subject}: {problem}"))
    }
}

/// Fails the test unless a run of the image gave exactly the expected outcome.
pub fn expect_outcome(subject: &Subject, what: &str, observed: &Outcome, expected: &Outcome) {
    if let Err(mismatch) = Mismatch::verdict(what, observed.differences(expected)) {
        panic!("{}", mismatch.within(&subject.label));
    }
}
