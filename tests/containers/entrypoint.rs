//! The entrypoint reads standard input as the README documents it, in every
//! image: `docker run -i IMAGE` with lines on stdin. (`docker run IMAGE
//! ARGS` is each row's smoke run, which the harness checks.)

use image_claims::Failure;
use image_claims::entry::verdict_of;
use image_claims::row::Row;
use image_claims::suite::Suite;
use image_claims::verdict::{Mismatch, outcome_differences};
use image_probe::Outcome;
use image_probe::run::RunRequest;
use libtest_mimic::Trial;
use std::sync::Arc;

/// calc's exit status after an arithmetic error.
const ARITHMETIC_ERROR: i64 = 1;

/// What `docker run -i` is given: a blank line, then an error on line 4.
const STDIN_LINES: &str = "1 + 1\n\n2 x 3\n5 / 0\n9 % 4\n";

pub fn trials(suite: &Arc<Suite>) -> Vec<Trial> {
    suite
        .rows()
        .iter()
        .map(|row| {
            let (suite, row) = (Arc::clone(suite), Arc::clone(row));
            let name = format!("docker_run_interactive_evaluates_stdin_lines::{}", row.name);
            Trial::test(name.clone(), move || {
                verdict_of(&suite, &name, evaluates_stdin_lines(&suite, &row))
            })
        })
        .collect()
}

async fn evaluates_stdin_lines(suite: &Suite, row: &Arc<Row>) -> Result<(), Failure> {
    let subject = suite.subject(row).await?;
    let request = RunRequest::new(subject.image(), &[]).with_stdin(STDIN_LINES);
    let observed = suite
        .engine()
        .run(&request)
        .await
        .map_err(|error| Failure::probe(&subject, error))?;
    let expected = Outcome::from_streams(
        b"2\n6\n1\n",
        b"calc: line 4: division by zero: '/' at column 3\n",
        ARITHMETIC_ERROR,
    );
    Mismatch::verdict(
        "docker run -i IMAGE",
        outcome_differences(&observed, &expected),
    )
    .map_err(|mismatch| Failure::Refuted(mismatch.within(&subject.label)))
}
