//! Any text an image can name (a file name, a label, a user), as a failure's
//! message and as an observed user: no output may hold a second workflow
//! command, a character the one escaping rule hides, or a character XML may
//! not hold.
#![no_main]

use image_claims::escaping::is_hidden;
use image_claims::report::{Report, TrialOutcome, TrialRecord};
use image_claims::report::{annotations, junit, markdown};
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

/// Whether `line`, as the runner trims it, is a workflow command.
fn is_command(line: &str) -> bool {
    line.trim_start().starts_with("::")
}

/// The characters XML 1.0 allows in a document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let mut report = Report::new([("row".to_owned(), false)]);
    report.row("row").user = Some(text.clone());
    report.trials.push(TrialRecord {
        name: "user::row".to_owned(),
        row: Some("row".to_owned()),
        outcome: TrialOutcome::Failed(image_claims::escaping::message(&text)),
        time: Duration::ZERO,
    });

    let lines = annotations::github_annotations(&report);
    assert_eq!(lines.matches('\n').count(), 1, "one annotation, one line");
    assert!(lines.starts_with("::error title="));
    assert!(!lines.contains('\r'));

    let TrialOutcome::Failed(shown) = &report.trials[0].outcome else {
        unreachable!()
    };
    for output in [shown.as_str(), &markdown::markdown(&report)] {
        assert!(!output.chars().any(|c| c != '\n' && is_hidden(c)), "{output:?}");
        assert!(!output.lines().any(is_command), "{output:?}");
    }

    let xml = junit::junit_xml(&report).expect("the report is written");
    assert!(xml.chars().all(is_xml_char), "{xml:?}");
});
