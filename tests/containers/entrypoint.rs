//! The entrypoint reads standard input as the book (docs/src/calc.md) documents it, in every
//! image: `docker run -i IMAGE` with lines on stdin. (`docker run IMAGE
//! ARGS` is each row's smoke run, which the harness checks.)

use image_claims::Failure;
use image_claims::command::CommandRun;
use image_claims::entry::verdict_of;
use image_claims::row::Row;
use image_claims::smoke::{COMMAND_DEADLINE, run_command};
use image_claims::suite::Suite;
use image_claims::verdict::Mismatch;
use image_probe::Confinement;
use libtest_mimic::Trial;
use std::sync::Arc;

/// `docker run -i IMAGE` given a blank line, then an error on line 4: the
/// other lines' values, the error naming its line, and exit 1.
const STDIN_LINES: &str = r#"
stdin = "1 + 1\n\n2 x 3\n5 / 0\n9 % 4\n"
stdout = "2\n6\n1\n"
stderr = "calc: line 4: division by zero: '/' at column 3\n"
exit_code = 1
"#;

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
    let run: CommandRun = toml::from_str(STDIN_LINES)
        .map_err(|error| Failure::row(&subject, format!("the stdin run: {error}")))?;
    let observed = run_command(
        suite.engine(),
        subject.image(),
        &run,
        &Confinement::NONE,
        COMMAND_DEADLINE,
    )
    .await
    .map_err(|error| Failure::probe(&subject, error))?;
    Mismatch::verdict("docker run -i IMAGE", run.differences(&observed))
        .map_err(|mismatch| Failure::Refuted(mismatch.within(&subject.label)))
}
