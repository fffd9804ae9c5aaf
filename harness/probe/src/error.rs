//! Why an observation could not be made, as a typed value: each variant is
//! one situation a user can act on, and its message says how.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use testcontainers::bollard::errors::Error as BollardError;

#[derive(Debug)]
pub enum ProbeError {
    /// No engine answers where the client looks for one.
    NoEngine { address: String, reason: String },
    /// The engine answered a request with an error.
    Engine {
        doing: String,
        error: Box<BollardError>,
    },
    /// An image is neither in the engine nor pullable.
    ImageMissing {
        reference: String,
        address: String,
        reason: String,
    },
    /// A container was created but did not start. `runtime_said` is the
    /// first line the runtime wrote (runc's init writes its own error to the
    /// container's stderr), which says why; the engine's answer may name only
    /// a consequence.
    StartRefused {
        image: String,
        runtime_said: Option<String>,
        engine_said: String,
    },
    /// A run still going at its deadline. `left` names what the engine could
    /// not remove afterwards: a start wedged in the runtime.
    StillRunning {
        after: Duration,
        left: Option<String>,
    },
    /// A build that failed, with the failing step and its output.
    Build {
        tag: String,
        dockerfile: String,
        explanation: String,
    },
    /// What the engine sent could not be read as expected.
    Unreadable { what: String, reason: String },
    /// The engine's answer lacks something every engine gives.
    Missing { what: String },
    /// A network exchange with a container failed.
    Network { address: String, reason: String },
    /// A resident container is no longer running: its program exited
    /// instead of waiting, so nothing can be exec'd into it or listed.
    NotRunning {
        exit_code: Option<i64>,
        said: Option<String>,
    },
    /// What the image controls crossed a bound the harness reads it within:
    /// output without end, a file system of too many entries, a read that
    /// takes too long. `what` says what, `bound` the limit.
    Bound { what: String, bound: String },
    /// A server that was not ready, as its readiness condition says, in time.
    /// `last` is the last thing the wait saw (an exec probe's exit and
    /// output), where it saw one.
    NotReady {
        condition: String,
        after: Duration,
        last: Option<String>,
    },
    /// A container that exited before it was ready, with its exit code and
    /// the last line of its log, which usually says why.
    EndedBeforeReady {
        condition: String,
        exit_code: Option<i64>,
        last_line: Option<String>,
    },
    /// The same failure as an earlier attempt at the same work, which is
    /// done once per run (such as starting a resident container).
    Earlier(Arc<ProbeError>),
}

/// Whether a request failed on its way, not in the engine's answer: the
/// engine stopped answering (killed, restarting, its socket gone).
pub(crate) fn is_transport(error: &BollardError) -> bool {
    matches!(
        error,
        BollardError::HyperLegacyError { .. }
            | BollardError::IOError { .. }
            | BollardError::HyperResponseError { .. }
            | BollardError::RequestTimeoutError
            | BollardError::SocketNotFoundError(_)
    )
}

impl ProbeError {
    /// An engine request's error, with what was being done.
    pub fn engine(doing: impl Into<String>, error: BollardError) -> Self {
        ProbeError::Engine {
            doing: doing.into(),
            error: Box::new(error),
        }
    }

    /// The engine's refusal to start a container: the runtime's words where
    /// it left any; a request cut on its way says the engine stopped answering.
    pub fn start_refused(image: &str, runtime_said: Option<String>, error: BollardError) -> Self {
        if is_transport(&error) {
            return ProbeError::engine(format!("start a container of {image}"), error);
        }
        ProbeError::StartRefused {
            image: image.to_owned(),
            runtime_said,
            engine_said: error.to_string(),
        }
    }

    /// Whether the engine stopped answering, or never did: an error that is
    /// no observation of the image, never to be read as one.
    pub fn is_engine_gone(&self) -> bool {
        match self {
            ProbeError::Engine { error, .. } => is_transport(error),
            ProbeError::NoEngine { .. } => true,
            _ => false,
        }
    }

    pub fn unreadable(what: impl Into<String>, reason: impl fmt::Display) -> Self {
        ProbeError::Unreadable {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    pub fn missing(what: impl Into<String>) -> Self {
        ProbeError::Missing { what: what.into() }
    }
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::NoEngine { address, reason } => write!(
                f,
                "no Docker engine answers at {address}: {reason}. Start one (`sudo systemctl \
                 start docker`, or `sudo dockerd &`), or point DOCKER_HOST at one, then run \
                 again."
            ),
            ProbeError::Engine { doing, error } if is_transport(error) => write!(
                f,
                "cannot {doing}: the engine at {} stopped answering ({error})",
                crate::engine::address()
            ),
            ProbeError::Engine { doing, error } => write!(f, "cannot {doing}: {error}"),
            ProbeError::ImageMissing {
                reference,
                address,
                reason,
            } => write!(
                f,
                "{reference} is not in the engine at {address} and cannot be pulled: {reason}"
            ),
            ProbeError::StartRefused {
                image,
                runtime_said,
                engine_said,
            } => match runtime_said {
                Some(said) => write!(
                    f,
                    "a container of {image} did not start: the runtime said \"{said}\" (the \
                     engine: {engine_said})"
                ),
                None => write!(f, "a container of {image} did not start: {engine_said}"),
            },
            ProbeError::StillRunning { after, left } => {
                write!(f, "still running after {} s", after.as_secs())?;
                match left {
                    None => write!(f, " (removed)"),
                    Some(left) => write!(f, ", and {left}"),
                }
            }
            ProbeError::Build {
                tag,
                dockerfile,
                explanation,
            } => write!(f, "building {tag} from {dockerfile} failed: {explanation}"),
            ProbeError::Unreadable { what, reason } => write!(f, "cannot read {what}: {reason}"),
            ProbeError::Missing { what } => write!(f, "the engine gives no {what}"),
            ProbeError::Network { address, reason } => {
                write!(f, "no exchange with {address}: {reason}")
            }
            ProbeError::Earlier(error) => write!(f, "{error}"),
            ProbeError::Bound { what, bound } => write!(
                f,
                "{what}, past the harness's bound of {bound}: an image's program or files are \
                 read within bounds, so that no image can exhaust the machine that checks it"
            ),
            ProbeError::NotReady {
                condition,
                after,
                last,
            } => {
                write!(
                    f,
                    "not ready within {} ms: waited for {condition}",
                    after.as_millis()
                )?;
                match last {
                    Some(last) => write!(f, " (the last try: {last})"),
                    None => Ok(()),
                }
            }
            ProbeError::EndedBeforeReady {
                condition,
                exit_code,
                last_line,
            } => {
                let code = exit_code.map_or_else(|| "unknown".to_owned(), |code| code.to_string());
                write!(f, "it exited (code {code}) before {condition}")?;
                match last_line {
                    Some(line) => write!(f, "; the last line of its log: {line:?}"),
                    None => Ok(()),
                }
            }
            ProbeError::NotRunning { exit_code, said } => {
                write!(
                    f,
                    "its resident container is not running: its program exited (code {})",
                    exit_code.map_or_else(|| "unknown".to_owned(), |code| code.to_string())
                )?;
                if let Some(said) = said {
                    write!(f, ", saying \"{said}\"")?;
                }
                write!(
                    f,
                    ". A resident must stay running: its program waits on standard input \
                     (residence = \"stdin\") or runs until stopped (residence = \"own-command\"), \
                     started with resident_args if its default command ends at once; an image \
                     whose program does neither cannot be checked for its user or an exec'd shell"
                )
            }
        }
    }
}

impl std::error::Error for ProbeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_that_fails_on_its_way_says_the_engine_stopped_answering() {
        let lost = ProbeError::engine(
            "create a container of calc:scratch",
            BollardError::RequestTimeoutError,
        );
        let said = lost.to_string();
        assert!(
            said.starts_with("cannot create a container of calc:scratch: the engine at ")
                && said.contains(" stopped answering (Timeout error)"),
            "{said}"
        );
        let refused = ProbeError::engine(
            "create a container of calc:scratch",
            BollardError::DockerResponseServerError {
                status_code: 404,
                message: "No such image".to_owned(),
            },
        );
        assert!(
            !refused.to_string().contains("stopped answering"),
            "{refused}"
        );
    }

    #[test]
    fn a_start_cut_on_its_way_says_the_engine_stopped_answering_not_that_it_refused() {
        let cut =
            ProbeError::start_refused("calc:scratch", None, BollardError::RequestTimeoutError);
        let said = cut.to_string();
        assert!(
            said.starts_with("cannot start a container of calc:scratch: the engine at ")
                && said.contains(" stopped answering"),
            "{said}"
        );
        let refused = ProbeError::start_refused(
            "calc:scratch",
            Some("operation not permitted".to_owned()),
            BollardError::DockerResponseServerError {
                status_code: 500,
                message: "OCI runtime create failed".to_owned(),
            },
        );
        assert!(
            matches!(refused, ProbeError::StartRefused { .. }),
            "{refused}"
        );
    }
}
