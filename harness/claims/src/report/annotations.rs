//! `github-annotations.txt`: each failed trial as a GitHub Actions workflow
//! command, `::error title=…::…`, which the Action prints so that the
//! failures show beside the pull request. Written for every run (a few
//! lines, none when all passed); outside GitHub it is a plain list of the
//! failures.

use super::{Report, TrialOutcome};
use crate::escaping;

/// The file's name in the report directory.
pub const ANNOTATIONS_FILE: &str = "github-annotations.txt";

/// The report's failures, one workflow command a line.
pub fn github_annotations(report: &Report) -> String {
    let mut lines = String::new();
    for trial in &report.trials {
        let TrialOutcome::Failed(text) = &trial.outcome else {
            continue;
        };
        let title = match &trial.row {
            Some(row) => format!("image-claims: {row}: {}", trial.name),
            None => format!("image-claims: {}", trial.name),
        };
        lines.push_str(&format!(
            "::error title={}::{}\n",
            escape_property(&title),
            escape_data(text.trim_end())
        ));
    }
    lines
}

/// A message in one line, escaped as the runner reads it back (`%`, CR and
/// LF), after the one rule of [`escaping`] for what an image names.
fn escape_data(text: &str) -> String {
    escaping::message(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property's value: as a message, and `:` and `,`, which end it.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::TrialRecord;
    use std::time::Duration;

    fn trial(name: &str, row: Option<&str>, outcome: TrialOutcome) -> TrialRecord {
        TrialRecord {
            name: name.to_owned(),
            row: row.map(str::to_owned),
            outcome,
            time: Duration::from_millis(5),
        }
    }

    #[test]
    fn each_failure_is_one_error_command_with_its_lines_escaped() {
        let mut report = Report::new([("scratch".to_owned(), false)]);
        report.trials = vec![
            trial("smoke::scratch", Some("scratch"), TrialOutcome::Passed),
            trial(
                "user::scratch",
                Some("scratch"),
                TrialOutcome::Failed(
                    "calc:scratch\n  user: expected 65532:65532, 100% not 0:0\n".to_owned(),
                ),
            ),
            trial(
                "hygiene",
                None,
                TrialOutcome::Failed("left: a, b".to_owned()),
            ),
        ];
        assert_eq!(
            github_annotations(&report),
            "::error title=image-claims%3A scratch%3A user%3A%3Ascratch::calc:scratch%0A  user: expected 65532:65532, 100%25 not 0:0\n\
             ::error title=image-claims%3A hygiene::left: a, b\n"
        );
    }

    #[test]
    fn a_run_that_passed_has_no_annotation() {
        let mut report = Report::new([("scratch".to_owned(), false)]);
        report.trials = vec![trial(
            "smoke::scratch",
            Some("scratch"),
            TrialOutcome::Passed,
        )];
        assert_eq!(github_annotations(&report), "");
    }
}
