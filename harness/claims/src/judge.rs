//! The verdict of a check, judged by the row: an image must pass; a
//! negative control must fail, with a message that names the image and
//! every fact of the evidence, each something observed that refutes the
//! claim. So the same check is the trial of the good images and the
//! control's proof that it can fail, for the right reason.

use crate::failure::Failure;
use crate::subject::Subject;
use crate::verdict::{Evidence, Mismatch};

pub fn judge(
    subject: &Subject,
    check: &str,
    verdict: Result<(), Mismatch>,
    evidence: &Evidence,
) -> Result<(), Failure> {
    match (verdict, subject.row.negative_control) {
        (Ok(()), false) => Ok(()),
        (Err(mismatch), false) => Err(Failure::Refuted(mismatch)),
        (Ok(()), true) => Err(Failure::ControlPassed {
            image: subject.label.clone(),
            check: check.to_owned(),
        }),
        (Err(mismatch), true) => {
            let message = mismatch.to_string();
            let named = evidence.all_named_in(&message);
            if message.starts_with(&subject.label) && named && !evidence.is_empty() {
                Ok(())
            } else {
                Err(Failure::WrongReason {
                    image: subject.label.clone(),
                    evidence: evidence.clone(),
                    message,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subject::made_up;
    use crate::verdict::{Problem, plain};

    fn subject(negative_control: bool) -> Subject {
        let row = format!(
            "name = \"row\"\nreference = \"image:1\"\nnegative_control = {negative_control}\n\
             smoke = {{ stdout = \"\" }}\n"
        );
        made_up(&row, Default::default())
    }

    fn refuted(observed: &str) -> Result<(), Mismatch> {
        let problem = Problem::new("user of process sh", plain("65532:65532"), plain(observed));
        Mismatch::verdict("image:1", vec![problem])
    }

    #[test]
    fn an_image_passes_and_fails_by_its_verdict() {
        assert!(judge(&subject(false), "the user check", Ok(()), &Evidence::none()).is_ok());
        let failure = judge(
            &subject(false),
            "the user check",
            refuted("0:0"),
            &Evidence::none(),
        );
        assert!(matches!(failure, Err(Failure::Refuted(_))), "{failure:?}");
    }

    #[test]
    fn a_control_that_passes_a_check_fails_the_trial() {
        let failure = judge(&subject(true), "the user check", Ok(()), &Evidence::none());
        let Err(failure) = failure else {
            panic!("a control passed and the trial did too");
        };
        assert_eq!(
            failure.to_string(),
            "image:1 is a negative control, so the user check must fail on it, but it passed: \
             the check cannot tell a bad image from a good one"
        );
    }

    #[test]
    fn a_control_must_fail_for_the_reason_observed() {
        let observed = Evidence::of(["0:0"]);
        assert!(judge(&subject(true), "the user check", refuted("0:0"), &observed).is_ok());
        let failure = judge(&subject(true), "the user check", refuted("1:1"), &observed);
        let Err(failure) = failure else {
            panic!("a control failing for another reason passed the trial");
        };
        assert_eq!(
            failure.to_string(),
            "image:1 is a negative control: the check failed, but not for the reason observed \
             (0:0). Its message:\nimage:1\n  user of process sh: expected 65532:65532, observed 1:1"
        );
    }
}
