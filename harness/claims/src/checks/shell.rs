//! No shell: no shell file in the image, and the engine cannot run one in it.

use crate::verdict::{Mismatch, Problem, listed, plain};

/// Where a shell would be: the usual ones, and busybox's in its debug images.
pub const SHELL_PATHS: &[&str] = &["/bin/sh", "/bin/bash", "/bin/busybox", "/busybox/sh"];

/// What `docker exec` is asked to run.
pub const SHELL_EXEC: &[&str] = &["/bin/sh", "-c", "exit 0"];

/// `present`: the shell paths found; `exec_code`: the exit code of
/// [`SHELL_EXEC`], `None` when the engine could not even start it.
pub fn no_shell(image: &str, present: &[&str], exec_code: Option<i64>) -> Result<(), Mismatch> {
    let mut problems = Vec::new();
    if !present.is_empty() {
        problems.push(Problem::new(
            format!("shell files (of {})", SHELL_PATHS.join(", ")),
            plain("none"),
            listed(present),
        ));
    }
    if exec_code == Some(0) {
        problems.push(Problem::new(
            format!("docker exec {}", shell_words(SHELL_EXEC)),
            plain("a failure"),
            plain("exit code 0"),
        ));
    }
    Mismatch::verdict(image, problems)
}

/// `/bin/sh -c 'exit 0'`.
fn shell_words(words: &[&str]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|word| {
            if word.contains(' ') {
                format!("'{word}'")
            } else {
                (*word).to_owned()
            }
        })
        .collect();
    quoted.join(" ")
}
