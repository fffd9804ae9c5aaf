//! The host binary against the specification table in `tests/spec`, plus the
//! behaviour no table row can express: help text, and a failing stdout.

mod spec;

use assert_cmd::Command;
use predicates::prelude::*;
// The specification template expands to #[rstest] at the apply site.
use rstest::rstest;
use rstest_reuse::apply;
use spec::{Case, specification};
use std::fs::File;
use std::time::Duration;

/// A run that takes longer has hung: calc must stop at end of input.
const HANG_TIMEOUT: Duration = Duration::from_secs(20);

fn calc() -> Command {
    let mut command = Command::cargo_bin("calc").expect("cargo builds the calc binary for tests");
    command.timeout(HANG_TIMEOUT);
    command
}

/// Runs the host binary for one case and returns (stdout, stderr, exit code).
fn run_host(case: &Case) -> (String, String, i32) {
    let mut command = calc();
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

#[test]
fn help_names_every_operator_and_exit_code() {
    calc()
        .arg("--help")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("* x / %")
                .and(predicate::str::contains("^ "))
                .and(predicate::str::contains(
                    "Exit status: 0 success, 1 arithmetic error, 2 usage or syntax error, 3 input/output error.",
                )),
        )
        .stderr(predicate::str::is_empty());
}

/// /dev/full fails every write, as a full disk or a closed pipe would.
#[cfg(target_os = "linux")]
fn dev_full() -> File {
    File::options()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux")
}

#[cfg(target_os = "linux")]
#[test]
fn a_failing_stdout_is_an_input_output_error_not_a_crash() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_calc"))
        .arg("1")
        .stdout(dev_full())
        .output()
        .expect("the calc binary runs");
    assert_eq!(
        output.status.code(),
        Some(3),
        "exit status for a failing stdout"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("calc: cannot write to standard output:"),
        "stderr {stderr:?}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_failing_stderr_does_not_crash() {
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_calc"))
        .args(["5", "/", "0"])
        .stderr(dev_full())
        .status()
        .expect("the calc binary runs");
    assert_eq!(
        status.code(),
        Some(1),
        "division by zero with a failing stderr"
    );
}
