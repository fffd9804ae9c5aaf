//! No shell, and no interpreter: none found in the image by what its files
//! are (see `image_probe::inventory`), and none that runs a script when
//! the container is asked to, by the found file's real path and under the
//! name it answers to.

use crate::verdict::{Mismatch, Problem, listed, plain};
use image_probe::offers::MARKER;
use image_probe::signatures::{PROOF_EXIT, ProgramKind};
use std::fmt;

/// What `docker exec` is asked to run besides what was found: the shell
/// most programs look for, whatever it is.
pub const PLAIN_SHELL: &str = "/bin/sh";

/// A file of the image that is a shell or an interpreter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub path: String,
    pub program: String,
    pub because: String,
}

impl fmt::Display for Found {
    /// `/httpd is BusyBox v1.35.0 (…): it holds the applets ash and sh`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is {}: {}", self.path, self.program, self.because)
    }
}

/// One exec into the running container, and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tried {
    pub path: String,
    /// The command line as the program saw it: `sh -c 'exit 42'`.
    pub command: String,
    /// `None` when the engine could not start it.
    pub code: Option<i64>,
    /// Whether it wrote the offer's marker, for a script offered to a
    /// program no signature names; `None` for a found program's proof,
    /// whose code alone proves it.
    pub marked: Option<bool>,
}

impl Tried {
    pub fn ran_the_script(&self) -> bool {
        self.code == Some(PROOF_EXIT) && self.marked != Some(false)
    }
}

/// The image holds no program of `kind`. `complete`: whether the whole
/// file system was read.
pub fn none_found(
    image: &str,
    kind: ProgramKind,
    found: &[Found],
    complete: bool,
) -> Result<(), Mismatch> {
    let mut problems = Vec::new();
    if !found.is_empty() {
        let mut shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        if !complete {
            shown.push("(reading stopped there)".to_owned());
        }
        problems.push(Problem::new(
            format!("{}s, found by what the files are or do", kind.as_str()),
            plain("none"),
            listed(&shown),
        ));
    }
    Mismatch::verdict(image, problems)
}

/// No exec of a program of `kind` ran its script.
pub fn none_runs(image: &str, kind: ProgramKind, tried: &[Tried]) -> Result<(), Mismatch> {
    let problems = tried
        .iter()
        .filter(|tried| tried.ran_the_script())
        .map(|tried| {
            Problem::new(
                format!("docker exec of {} as {}", tried.path, tried.command),
                plain(format!("no {} to run it", kind.as_str())),
                plain(match tried.marked {
                    Some(_) => format!("exit code {PROOF_EXIT} and {MARKER}: it ran the script"),
                    None => format!("exit code {PROOF_EXIT}: it ran the script"),
                }),
            )
        })
        .collect();
    Mismatch::verdict(image, problems)
}

/// `sh -c 'exit 42'`: words with a space are quoted.
pub fn command_words(words: &[&str]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renamed_busybox_is_named_with_its_version_and_applets() {
        let found = [Found {
            path: "/httpd".to_owned(),
            program: "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)".to_owned(),
            because: "it holds the applets ash and sh".to_owned(),
        }];
        let refuted = none_found("httpd:1", ProgramKind::Shell, &found, true);
        assert_eq!(
            refuted
                .err()
                .map(|mismatch| mismatch.to_string())
                .as_deref(),
            Some(
                "httpd:1\n  shells, found by what the files are or do: expected none, observed \
                 /httpd is BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1): it holds the \
                 applets ash and sh"
            )
        );
        assert!(none_found("calc:scratch", ProgramKind::Shell, &[], true).is_ok());
    }

    #[test]
    fn only_an_exec_that_ran_the_script_refutes_the_claim() {
        let refused = Tried {
            path: "/bin/sh".to_owned(),
            command: command_words(&["/bin/sh", "-c", "exit 42"]),
            code: None,
            marked: None,
        };
        let other = Tried {
            code: Some(127),
            ..refused.clone()
        };
        assert!(none_runs("image", ProgramKind::Shell, &[refused, other]).is_ok());
        let ran = Tried {
            path: "/httpd".to_owned(),
            command: command_words(&["sh", "-c", "exit 42"]),
            code: Some(42),
            marked: None,
        };
        let message = none_runs("image", ProgramKind::Shell, &[ran])
            .err()
            .map(|mismatch| mismatch.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "image\n  docker exec of /httpd as sh -c 'exit 42': expected no shell to run \
                 it, observed exit code 42: it ran the script"
            )
        );
    }

    #[test]
    fn an_offered_script_proves_itself_only_with_its_marker() {
        let offered = |marked| Tried {
            path: "/usr/local/bin/agent".to_owned(),
            command: command_words(&["/usr/local/bin/agent", "-c", "echo …; exit 42"]),
            code: Some(42),
            marked: Some(marked),
        };
        assert!(none_runs("image", ProgramKind::Shell, &[offered(false)]).is_ok());
        let message = none_runs("image", ProgramKind::Shell, &[offered(true)])
            .err()
            .map(|mismatch| mismatch.to_string())
            .unwrap_or_default();
        assert!(
            message.contains("exit code 42 and image-claims-ran-it: it ran the script"),
            "{message}"
        );
    }
}
