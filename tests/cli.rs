//! The host binary against the specification, `tests/specification.toml`
//! (which the container suite runs in every image too), plus the behaviour
//! no case of it can express: help text, signals, and a failing stdout.

use assert_cmd::Command;
use image_claims::command::CommandRun;
use image_claims::rows_file::load_commands;
use image_claims::verdict::Mismatch;
use image_probe::Outcome;
use predicates::prelude::*;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The specification's cases.
const SPECIFICATION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specification.toml");

/// A run that takes longer has hung: calc must stop at end of input.
const HANG_TIMEOUT: Duration = Duration::from_secs(20);

/// Names another binary to put through these tests instead of cargo's, such
/// as the image's own `/calc` under `strace` (`tools/trace-syscalls`).
const BINARY_VARIABLE: &str = "CALC_UNDER_TEST";

/// The binary under test: cargo's, unless [`BINARY_VARIABLE`] names another.
fn calc_path() -> PathBuf {
    std::env::var_os(BINARY_VARIABLE)
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_calc")), PathBuf::from)
}

fn calc() -> Command {
    let mut command = Command::new(calc_path());
    command.timeout(HANG_TIMEOUT);
    command
}

/// The host binary's run of one case: the one host runner of the test suites.
fn run_on_host(case: &CommandRun) -> Outcome {
    let mut command = calc();
    command.args(case.arguments());
    if let Some(input) = case.input() {
        command.write_stdin(input);
    }
    let output = command.output().expect("the calc binary runs");
    Outcome::from_streams(
        &output.stdout,
        &output.stderr,
        i64::from(output.status.code().unwrap_or(-1)),
    )
}

/// Every case of the specification, each failure named by its case.
#[test]
fn host_binary_follows_the_specification() {
    let cases = load_commands(Path::new(SPECIFICATION)).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        cases.len(),
        SPECIFICATION_CASES,
        "the specification's cases"
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let subject = format!(
                "host binary: {}: {}",
                case.name.as_deref().unwrap_or_default(),
                case.describe()
            );
            Mismatch::verdict(subject, case.differences(&run_on_host(case)))
                .err()
                .map(|mismatch| mismatch.to_string())
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// How many cases the specification holds: a case lost from the file fails
/// here rather than passing unseen.
const SPECIFICATION_CASES: usize = 60;

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
    let output = std::process::Command::new(calc_path())
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
    let status = std::process::Command::new(calc_path())
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

/// SIGTERM (`docker stop`) and SIGINT (Ctrl-C) end calc by that signal, as
/// before it handled them (outside PID 1 it takes their default action
/// again, so a parent shell's loop stops on Ctrl-C), and a signal that comes
/// while a line is being written waits for the line. The lines here are
/// 100 KB error messages (a literal of 100,000 digits), longer than a pipe
/// holds, so calc is sent the signal in the middle of writing one, and a
/// write that long is not atomic: without the wait, the line is cut. (As
/// PID 1, where the kernel ignores a default action, calc exits 143 or 130
/// instead: the container suite's stop claim proves that.)
#[cfg(target_os = "linux")]
#[test]
fn a_stop_signal_ends_calc_by_that_signal_after_whole_lines() {
    use std::io::{Read, Write};
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command as Process, Stdio};
    const DIGITS: usize = 100_000;
    let mut line = "9".repeat(DIGITS);
    line.push('\n');
    for (signal, number) in [("TERM", 15), ("INT", 2)] {
        let mut child = Process::new(calc_path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the calc binary runs");
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input = line.repeat(8);
        // Written whole and kept open, so that calc never reads end of input.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
            stdin
        });
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let mut output = vec![0; 4096];
        stderr
            .read_exact(&mut output)
            .expect("calc writes its first error");
        let sent = Process::new("kill")
            .args(["-s", signal, &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -s {signal} failed");
        stderr
            .read_to_end(&mut output)
            .expect("calc's stderr reads to its end");
        let status = child.wait().expect("calc ends");
        drop(writer.join());
        assert_eq!(status.signal(), Some(number), "SIG{signal}: {status:?}");
        let text = String::from_utf8_lossy(&output);
        let cut = text
            .split_inclusive('\n')
            .find(|written| !written.ends_with("does not fit in a signed 64-bit integer\n"));
        assert!(
            cut.is_none(),
            "SIG{signal}: a line was cut after {} bytes",
            cut.map_or(0, str::len)
        );
    }
}

/// A wrong run reads as one problem per line, multi-line values as blocks.
#[test]
fn a_wrong_run_is_reported_field_by_field() {
    let case: CommandRun =
        toml::from_str("stdin = \"1 + 1\\n2 x 3\\n\"\nstdout = \"2\\n6\\n\"").expect("a case");
    let wrong = Outcome::from_streams(b"2\n7\n", b"calc: line 3: boom\n", 1);
    let message = Mismatch::verdict(case.describe(), case.differences(&wrong))
        .expect_err("the run is wrong")
        .to_string();
    assert_eq!(
        message,
        "docker run IMAGE with \"1 + 1\\n2 x 3\\n\" on stdin\n  \
         stdout:\n    expected:\n      | 2\n      | 6\n    observed:\n      | 2\n      | 7\n  \
         stderr: expected nothing, observed \"calc: line 3: boom\"\n  \
         exit code: expected 0, observed 1"
    );
    let one_word: CommandRun =
        toml::from_str("args = [\"9\", \"%\", \"4\"]\nstdout = \"1\\n\"").expect("a case");
    let message = Mismatch::verdict(
        one_word.describe(),
        one_word.differences(&Outcome::from_streams(b"2", b"", 0)),
    )
    .expect_err("the run is wrong")
    .to_string();
    assert_eq!(
        message,
        "docker run IMAGE 9 % 4\n  stdout: expected \"1\", observed \"2\" with no final newline"
    );
}
