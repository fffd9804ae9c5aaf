//! The reports CI tools read, from the `image-claims` binary itself on a
//! real engine: a rows file whose one row passes a command and fails
//! another gives a failing exit, `--format json` events on stdout, and a
//! JUnit file (`--junit`) holding the row as a test suite, with the tested
//! image's ID, and the failure's first lines as its message and its whole
//! text.
//!
//! The run's JUnit file stays in `target/tmp/a-failing-run/` for `.ci/run`
//! and the workflow, which read it back with a JUnit parser from PyPI.

use quick_junit::{NonSuccessKind, Report, TestCaseStatus};
use std::path::PathBuf;
use std::process::Command;

/// Debian's slim image, which `tools/seed-base-images` makes present: its
/// `/bin/echo` answers, and 2 + 2 is not 5.
const ROWS: &str = r#"
[[image]]
name = "debian"
reference = "debian:bookworm-slim"
smoke = { entrypoint = ["/bin/echo"], args = ["hello"], stdout = "hello\n" }
commands = [
    { name = "adds", entrypoint = ["/usr/bin/expr"], args = ["2", "+", "2"], stdout = "4\n" },
    { name = "adds wrongly", entrypoint = ["/usr/bin/expr"], args = ["2", "+", "2"], stdout = "5\n" },
]
"#;

/// Where the run leaves its files.
fn run_directory() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("a-failing-run")
}

#[test]
fn a_failing_run_gives_json_events_and_a_junit_file_with_the_failure() {
    let directory = run_directory();
    std::fs::create_dir_all(&directory).expect("the run's directory");
    let rows = directory.join("rows.toml");
    std::fs::write(&rows, ROWS).expect("the rows file");
    let junit = directory.join("junit.xml");
    let output = Command::new(env!("CARGO_BIN_EXE_image-claims"))
        .arg("check")
        .arg(&rows)
        .arg("--report")
        .arg(directory.join("report"))
        .arg("--junit")
        .arg(&junit)
        .args(["--format", "json", "--test-threads", "2"])
        .output()
        .expect("image-claims runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");

    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let failed: Vec<&str> = events
        .iter()
        .filter(|event| event["type"] == "test" && event["event"] == "failed")
        .filter_map(|event| event["name"].as_str())
        .collect();
    assert_eq!(
        failed,
        vec!["command_gives_its_expected_output::debian::adds wrongly"]
    );

    let xml = std::fs::read_to_string(&junit).expect("the JUnit file");
    let report = Report::deserialize_from_str(&xml).expect("JUnit XML that reads back");
    let suite = report
        .test_suites
        .iter()
        .find(|suite| suite.name.as_str() == "debian")
        .expect("a test suite for the row");
    assert_eq!((suite.tests, suite.failures), (3, 1), "{xml}");
    assert!(
        suite
            .properties
            .iter()
            .any(|property| property.name.as_str() == "image id"
                && property.value.as_str().starts_with("sha256:")),
        "{xml}"
    );
    let failure = suite
        .test_cases
        .iter()
        .find(|case| case.name.as_str().ends_with("adds wrongly"))
        .expect("the failing command's test case");
    let TestCaseStatus::NonSuccess {
        kind: NonSuccessKind::Failure,
        message,
        description,
        ..
    } = &failure.status
    else {
        panic!("the failing command is a failure: {xml}");
    };
    assert_eq!(
        message.as_ref().map(|message| message.as_str()),
        Some(
            "debian:bookworm-slim: docker run --entrypoint /usr/bin/expr IMAGE 2 + 2; stdout: \
             expected \"5\", observed \"4\""
        )
    );
    assert!(
        description.as_ref().is_some_and(|text| text
            .as_str()
            .contains("stdout: expected \"5\", observed \"4\"")),
        "{xml}"
    );
    assert!(failure.time.is_some(), "{xml}");
}
