//! The entrypoint works as the README documents it, in every image:
//! `docker run IMAGE 9 % 4` and `docker run -i IMAGE` with lines on stdin.

use crate::spec::{ARITHMETIC_ERROR, Outcome};
use image_claims::Failure;
use image_claims::entry::verdict_of;
use image_claims::row::Row;
use image_claims::suite::Suite;
use image_claims::verdict::{Mismatch, outcome_differences};
use image_probe::run::RunRequest;
use libtest_mimic::Trial;
use std::sync::Arc;

/// What `docker run -i` is given: a blank line, then an error on line 4.
const STDIN_LINES: &str = "1 + 1\n\n2 x 3\n5 / 0\n9 % 4\n";

pub fn trials(suite: &Arc<Suite>) -> Vec<Trial> {
    let mut trials = Vec::new();
    for row in suite.rows() {
        for (property, run) in [
            (
                "docker_run_passes_arguments_to_the_entrypoint",
                arguments as Run,
            ),
            ("docker_run_interactive_evaluates_stdin_lines", stdin_lines),
        ] {
            let (suite, row) = (Arc::clone(suite), Arc::clone(row));
            let name = format!("{property}::{}", row.name);
            trials.push(Trial::test(name, move || {
                verdict_of(&suite, expect(&suite, &row, run()))
            }));
        }
    }
    trials
}

/// A run: what is shown, its arguments and stdin, and what it must give.
type Run = fn() -> (
    &'static str,
    Vec<&'static str>,
    Option<&'static str>,
    Outcome,
);

fn arguments() -> (
    &'static str,
    Vec<&'static str>,
    Option<&'static str>,
    Outcome,
) {
    let expected = Outcome::from_streams(b"1\n", b"", 0);
    (
        "docker run IMAGE 9 % 4",
        vec!["9", "%", "4"],
        None,
        expected,
    )
}

fn stdin_lines() -> (
    &'static str,
    Vec<&'static str>,
    Option<&'static str>,
    Outcome,
) {
    let expected = Outcome::from_streams(
        b"2\n6\n1\n",
        b"calc: line 4: division by zero: '/' at column 3\n",
        i64::from(ARITHMETIC_ERROR),
    );
    ("docker run -i IMAGE", vec![], Some(STDIN_LINES), expected)
}

async fn expect(
    suite: &Suite,
    row: &Arc<Row>,
    (what, args, stdin, expected): (&str, Vec<&str>, Option<&str>, Outcome),
) -> Result<(), Failure> {
    let subject = suite.subject(row).await?;
    let mut request = RunRequest::new(subject.image(), &args);
    if let Some(stdin) = stdin {
        request = request.with_stdin(stdin);
    }
    let observed = suite
        .engine()
        .run(&request)
        .await
        .map_err(|error| Failure::probe(&subject, error))?;
    Mismatch::verdict(what, outcome_differences(&observed, &expected))
        .map_err(|mismatch| Failure::Refuted(mismatch.within(&subject.label)))
}
