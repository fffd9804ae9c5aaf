//! The host binary against the specification table in `tests/spec`.

mod spec;

use assert_cmd::Command;
use rstest::rstest;
use rstest_reuse::apply;
use spec::{Case, specification};

/// Runs the host binary for one case and returns (stdout, stderr, exit code).
fn run_host(case: &Case) -> (String, String, i32) {
    let mut command = Command::cargo_bin("calc").expect("cargo builds the calc binary for tests");
    command.args(&case.args);
    if let Some(input) = &case.stdin {
        command.write_stdin(input.as_bytes());
    }
    let output = command.output().expect("the calc binary runs");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.code().unwrap_or(-1),
    )
}

#[apply(specification)]
fn host_binary_follows_the_specification(#[case] case: Case) {
    let (stdout, stderr, code) = run_host(&case);
    if let Err(problem) = case.check(&stdout, &stderr, code) {
        panic!("{}: {problem}", case.describe());
    }
}
