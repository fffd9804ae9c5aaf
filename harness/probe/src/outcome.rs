//! What a run of a program gave: its output and exit code.

/// stdout and stderr as text (invalid UTF-8 replaced), and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i64,
}

impl Outcome {
    pub fn from_streams(stdout: &[u8], stderr: &[u8], code: i64) -> Self {
        Outcome {
            stdout: String::from_utf8_lossy(stdout).into_owned(),
            stderr: String::from_utf8_lossy(stderr).into_owned(),
            code,
        }
    }
}
