//! `tested.json`: the images a run tested, for tools that publish them. Each
//! entry has named fields, so tools read it by name (`jq`), never by column:
//!
//! ```json
//! [{"row": "scratch", "reference": "calc:scratch", "id": "sha256:…", "architecture": "amd64",
//!   "given": false, "negative_control": false, "trials": 40, "failed": 0, "passed": true}]
//! ```
//!
//! A row whose image was never made ready has `null` for what is unknown.
//! The file is written by failing runs too, so `passed` says whether the
//! image may be published: it was made, trials of it ran, and none failed.
//! `tools/push-tested` publishes no row without it.

use super::{Report, TrialOutcome};
use serde_json::{Value, json};

pub const TESTED_FILE: &str = "tested.json";

pub fn tested_json(report: &Report) -> String {
    let entries: Vec<Value> = report
        .rows
        .iter()
        .map(|(name, row)| {
            let (trials, failed) = trials_of(report, name);
            json!({
                "row": name,
                "reference": row.reference,
                "id": row.id.as_ref().map(|id| id.as_str().to_owned()),
                "architecture": row.architecture.as_ref().map(|arch| arch.as_str().to_owned()),
                "given": row.given,
                "negative_control": row.negative_control,
                "trials": trials,
                "failed": failed,
                "passed": row.id.is_some() && trials > 0 && failed == 0,
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&entries).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}

/// How many trials of the row ran, and how many of them failed.
fn trials_of(report: &Report, row: &str) -> (usize, usize) {
    let of_row = report
        .trials
        .iter()
        .filter(|trial| trial.row.as_deref() == Some(row));
    of_row.fold((0, 0), |(ran, failed), trial| {
        let failed_now = usize::from(matches!(trial.outcome, TrialOutcome::Failed(_)));
        (ran + 1, failed + failed_now)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::TrialRecord;
    use image_probe::ImageId;
    use std::time::Duration;

    fn report_of(built: bool, outcomes: &[TrialOutcome]) -> Report {
        let mut report = Report::new([("scratch".to_owned(), false)]);
        if built {
            report.row("scratch").id = Some(ImageId::new("sha256:5d37"));
        }
        for outcome in outcomes {
            report.trials.push(TrialRecord {
                name: "a trial::scratch".to_owned(),
                row: Some("scratch".to_owned()),
                outcome: outcome.clone(),
                time: Duration::ZERO,
            });
        }
        report
    }

    fn entry(report: &Report) -> Value {
        let entries: Value =
            serde_json::from_str(&tested_json(report)).expect("tested.json is JSON");
        entries[0].clone()
    }

    #[test]
    fn a_built_image_whose_trials_all_passed_is_passed() {
        let entry = entry(&report_of(
            true,
            &[TrialOutcome::Passed, TrialOutcome::Passed],
        ));
        assert_eq!(
            (entry["trials"].clone(), entry["failed"].clone()),
            (json!(2), json!(0))
        );
        assert_eq!(entry["passed"], json!(true), "{entry}");
    }

    #[test]
    fn an_image_with_a_failed_trial_is_not_passed() {
        let failed = TrialOutcome::Failed("stdout: expected 1, observed 2".to_owned());
        let entry = entry(&report_of(true, &[TrialOutcome::Passed, failed]));
        assert_eq!(entry["failed"], json!(1));
        assert_eq!(entry["passed"], json!(false), "{entry}");
    }

    #[test]
    fn an_image_never_built_is_not_passed() {
        let failed = TrialOutcome::Failed("no space left on device".to_owned());
        let entry = entry(&report_of(false, &[failed]));
        assert_eq!(
            (entry["id"].clone(), entry["passed"].clone()),
            (Value::Null, json!(false))
        );
    }

    #[test]
    fn an_image_no_trial_ran_on_is_not_passed() {
        let entry = entry(&report_of(true, &[]));
        assert_eq!(entry["passed"], json!(false), "{entry}");
    }
}
