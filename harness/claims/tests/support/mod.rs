//! The `image-claims` binary run on a rows file, for the tests that show
//! what a rows file of the examples cannot: its exit code, its stdout and
//! the report it wrote.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// What one run gave.
pub struct Checked {
    pub code: Option<i32>,
    pub stdout: String,
    pub report: PathBuf,
}

/// `rows` (its `{examples}` the examples' directory) checked by the binary,
/// in a directory of its own named `name`.
pub fn check(name: &str, rows: &str) -> Checked {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let examples = examples.canonicalize().expect("examples");
    let directory = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&directory).expect("the run's directory");
    let rows_file = directory.join("rows.toml");
    let rows = rows.replace("{examples}", &examples.to_string_lossy());
    std::fs::write(&rows_file, rows).expect("the rows file");
    let report = directory.join("report");
    let output = Command::new(env!("CARGO_BIN_EXE_image-claims"))
        .arg("check")
        .arg(&rows_file)
        .arg("--report")
        .arg(&report)
        .output()
        .expect("image-claims runs");
    Checked {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        report,
    }
}
