//! `junit.xml`: the trials that ran, as CI tools read test results (GitHub's
//! test reporters, GitLab, Jenkins), through quick-junit, cargo-nextest's
//! JUnit model. One test suite per row, holding that row's trials, with the
//! tested image's reference and ID as properties; one more, `harness`, for
//! the trials of no row (the harness's own properties, a program's own). A
//! failure carries its first lines (the subject, the first problems) as the
//! message and the whole text, with its evidence, as the description.

use super::{Report, TrialOutcome, TrialRecord};
use crate::escaping;
use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

/// The file's name in the report directory.
pub const JUNIT_FILE: &str = "junit.xml";

/// The test suite of the trials that are of no row.
pub const HARNESS_SUITE: &str = "harness";

/// The report's trials as JUnit XML.
pub fn junit_xml(report: &Report) -> std::io::Result<String> {
    let mut junit = quick_junit::Report::new("image-claims");
    let rows = report.rows.iter().map(|(name, _)| Some(name.as_str()));
    for row in rows.chain([None]) {
        let trials: Vec<&TrialRecord> = report
            .trials
            .iter()
            .filter(|trial| trial.row.as_deref() == row)
            .collect();
        if trials.is_empty() {
            continue;
        }
        let mut suite = TestSuite::new(row.unwrap_or(HARNESS_SUITE));
        if let Some((_, observed)) = report
            .rows
            .iter()
            .find(|(name, _)| Some(name.as_str()) == row)
        {
            if let Some(reference) = &observed.reference {
                suite.add_property(Property::new(
                    "reference",
                    escaping::value(reference, escaping::MAX_VALUE_CHARS),
                ));
            }
            if let Some(id) = &observed.id {
                suite.add_property(Property::new("image id", id.as_str()));
            }
            suite.add_property(Property::new(
                "negative control",
                observed.negative_control.to_string(),
            ));
        }
        suite.add_test_cases(trials.into_iter().map(test_case));
        suite.set_time(suite.test_cases.iter().filter_map(|case| case.time).sum());
        junit.add_test_suite(suite);
    }
    junit.set_time(report.started.elapsed());
    junit
        .to_string()
        .map(without_skipped_on_the_root)
        .map_err(|error| std::io::Error::other(format!("cannot write JUnit XML: {error}")))
}

/// The schema strict consumers validate against, Jenkins' junit-10.xsd
/// (.ci/read-junit), allows `skipped` on a test suite but not on the root
/// `testsuites`, where quick-junit always writes it. No trial is ever
/// skipped here, so it says `0` and goes.
fn without_skipped_on_the_root(xml: String) -> String {
    const NONE_SKIPPED: &str = r#" skipped="0""#;
    let Some(start) = xml.find("<testsuites ") else {
        return xml;
    };
    let end = xml[start..].find('>').map_or(xml.len(), |at| start + at);
    match xml[start..end].find(NONE_SKIPPED) {
        Some(at) => {
            let at = start + at;
            format!("{}{}", &xml[..at], &xml[at + NONE_SKIPPED.len()..])
        }
        None => xml,
    }
}

/// Lines of a failure a JUnit message holds: its subject and first problems.
const MESSAGE_LINES: usize = 3;

/// A failure in one line, as dashboards list it: its first lines, joined.
fn summary(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .take(MESSAGE_LINES)
        .collect();
    lines.join("; ")
}

fn test_case(trial: &TrialRecord) -> TestCase {
    let status = match &trial.outcome {
        TrialOutcome::Passed => TestCaseStatus::success(),
        TrialOutcome::Failed(text) => {
            let text = escaping::message(text);
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(summary(&text));
            status.set_description(text);
            status
        }
    };
    let mut case = TestCase::new(trial.name.as_str(), status);
    case.set_classname(trial.row.as_deref().unwrap_or(HARNESS_SUITE));
    case.set_time(trial.time);
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn each_row_is_a_suite_and_a_failure_keeps_its_whole_text() {
        let mut report = Report::new([("scratch".to_owned(), false), ("bloated".to_owned(), true)]);
        report.row("scratch").id = Some(image_probe::ImageId::new("sha256:3eb0"));
        report.trials = vec![
            TrialRecord {
                name: "process_runs_as_the_claimed_user::scratch".to_owned(),
                row: Some("scratch".to_owned()),
                outcome: TrialOutcome::Passed,
                time: Duration::from_millis(120),
            },
            TrialRecord {
                name: "image_has_no_shell_file::scratch".to_owned(),
                row: Some("scratch".to_owned()),
                outcome: TrialOutcome::Failed(
                    "calc:scratch\n  shells: expected none, observed /bin/sh <is> dash".to_owned(),
                ),
                time: Duration::from_millis(80),
            },
            TrialRecord {
                name: "an_abandoned_trial_leaves_no_container_behind".to_owned(),
                row: None,
                outcome: TrialOutcome::Passed,
                time: Duration::from_millis(900),
            },
        ];
        let xml = junit_xml(&report).expect("JUnit XML");
        let root = xml
            .lines()
            .find(|line| line.starts_with("<testsuites "))
            .expect("a root");
        assert!(
            !root.contains("skipped"),
            "junit-10.xsd allows no skipped on the root: {root}"
        );
        assert!(
            xml.contains(r#"<testsuite name="scratch" tests="2" skipped="0""#),
            "{xml}"
        );
        let read = quick_junit::Report::deserialize_from_str(&xml).expect("read back");
        let suites: Vec<(&str, usize, usize)> = read
            .test_suites
            .iter()
            .map(|suite| (suite.name.as_str(), suite.tests, suite.failures))
            .collect();
        assert_eq!(suites, vec![("scratch", 2, 1), ("harness", 1, 0)]);
        assert!(
            xml.contains(r#"<property name="image id" value="sha256:3eb0"/>"#),
            "{xml}"
        );
        assert!(xml.contains("observed /bin/sh &lt;is&gt; dash"), "{xml}");
        assert!(
            xml.contains(
                r#"message="calc:scratch; shells: expected none, observed /bin/sh &lt;is&gt; dash""#
            ),
            "{xml}"
        );
    }
}
