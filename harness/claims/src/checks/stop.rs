//! Stops when asked: sent its stop signal, the main process exits by
//! itself, in time, with the claimed code.

use crate::row::StopClaim;
use crate::verdict::{Mismatch, Problem, plain};
use image_probe::signal_state::Disposition;
use image_probe::stop::{StopOutcome, Stopped};

/// What the claim expects, in words: "exit code 143 within 1000 ms".
fn expected(claim: &StopClaim) -> String {
    format!(
        "exit code {} within {} ms",
        claim.exit_code, claim.within_ms
    )
}

/// What was observed, in words. The engine's share is the time a twin,
/// killed with SIGKILL at the same moment, took to be seen exiting: not the
/// process's time, so not counted against the claim.
pub fn observed(stopped: &Stopped) -> String {
    let share = stopped.engine_share.as_millis();
    match stopped.outcome {
        StopOutcome::Exited { code, after } => format!(
            "exit code {code} after {} ms, {share} ms of it the engine's (a SIGKILLed twin's exit)",
            after.as_millis()
        ),
        StopOutcome::StillRunning { after } => format!(
            "still running {} ms after {} ({share} ms of it the engine's, a SIGKILLed twin's \
             exit): {}, and docker stop would end it with SIGKILL",
            after.as_millis(),
            stopped.signal,
            why_still_running(stopped)
        ),
    }
}

/// What the kernel's record of the main process, read as the signal was
/// sent, says of a process still running: only what was observed.
fn why_still_running(stopped: &Stopped) -> String {
    let signal = &stopped.signal;
    match stopped.disposition {
        Some(Disposition::Caught) => format!(
            "its main process had a handler for {signal} installed (SigCgt) when it was sent, \
             and did not exit in time"
        ),
        Some(Disposition::Ignored) => {
            format!("its main process ignores {signal} (SigIgn)")
        }
        Some(Disposition::Default) => format!(
            "its main process had no handler for {signal} when it was sent, and the kernel \
             drops a signal a container's PID 1 does not handle"
        ),
        None => format!(
            "what its main process did with {signal} could not be read (docker top showed no \
             signal masks)"
        ),
    }
}

/// The same, for the report's column: "exit code 143 after 767 ms (561 ms
/// the engine's)".
pub fn observed_briefly(stopped: &Stopped) -> String {
    let share = stopped.engine_share.as_millis();
    match stopped.outcome {
        StopOutcome::Exited { code, after } => {
            format!(
                "exit code {code} after {} ms ({share} ms the engine's)",
                after.as_millis()
            )
        }
        StopOutcome::StillRunning { after } => {
            format!(
                "still running after {} ms ({share} ms the engine's)",
                after.as_millis()
            )
        }
    }
}

/// Whether the process exited by itself with the claimed code, and whether
/// its own time was within the claim's: `None` if it did not so exit.
fn exited_with_its_code(claim: &StopClaim, stopped: &Stopped) -> Option<bool> {
    match (&stopped.outcome, stopped.own_time()) {
        (StopOutcome::Exited { code, .. }, Some(own)) if *code == claim.exit_code => {
            Some(own.as_millis() <= u128::from(claim.within_ms))
        }
        _ => None,
    }
}

/// Exited with the claimed code but past its time, or still running with a
/// handler for the signal installed: the outcomes that load alone can give
/// a process that handles the signal (calc under emulation, asked while a
/// dozen containers started beside it, was still in its SIGINT handler
/// after 2 s, 2026-12-07). A process that ignores the signal, or exits with
/// another code, is not slow.
pub fn slowed_by_load(stopped: &Stopped, claim: &StopClaim) -> bool {
    match &stopped.outcome {
        StopOutcome::StillRunning { .. } => stopped.disposition == Some(Disposition::Caught),
        StopOutcome::Exited { .. } => exited_with_its_code(claim, stopped) == Some(false),
    }
}

pub fn stops_when_asked(image: &str, claim: &StopClaim, stopped: &Stopped) -> Result<(), Mismatch> {
    let held = exited_with_its_code(claim, stopped) == Some(true);
    let problems = if held {
        Vec::new()
    } else {
        vec![Problem::new(
            format!("asked to stop with {}", stopped.signal),
            plain(expected(claim)),
            plain(observed(stopped)),
        )]
    };
    Mismatch::verdict(image, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn claim() -> StopClaim {
        StopClaim {
            signal: None,
            within_ms: 1000,
            exit_code: 143,
            after_ms: None,
        }
    }

    fn stopped(outcome: StopOutcome) -> Stopped {
        stopped_with_share(outcome, 0)
    }

    fn stopped_with_share(outcome: StopOutcome, engine_share_ms: u64) -> Stopped {
        Stopped {
            signal: "SIGTERM".to_owned(),
            outcome,
            engine_share: Duration::from_millis(engine_share_ms),
            disposition: Some(Disposition::Default),
        }
    }

    #[test]
    fn an_exit_in_time_with_the_claimed_code_holds() {
        let exited = stopped(StopOutcome::Exited {
            code: 143,
            after: Duration::from_millis(12),
        });
        assert!(stops_when_asked("calc:scratch", &claim(), &exited).is_ok());
    }

    #[test]
    fn a_process_that_ignores_the_signal_is_named_with_the_time_it_was_given() {
        let ignored = stopped(StopOutcome::StillRunning {
            after: Duration::from_millis(1000),
        });
        let refuted = stops_when_asked("calc:bloated", &claim(), &ignored);
        let message = refuted.err().map(|mismatch| mismatch.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "calc:bloated\n  asked to stop with SIGTERM: expected exit code 143 \
                 within 1000 ms, observed still running 1000 ms after SIGTERM (0 ms of it \
                 the engine's, a SIGKILLed twin's exit): its main process had no handler for \
                 SIGTERM when it was sent, and the kernel drops a signal a container's PID 1 \
                 does not handle, and docker stop would end it with SIGKILL"
            )
        );
    }

    #[test]
    fn another_exit_code_or_a_late_exit_refutes_the_claim() {
        let other_code = stopped(StopOutcome::Exited {
            code: 2,
            after: Duration::from_millis(5),
        });
        assert!(stops_when_asked("image", &claim(), &other_code).is_err());
        let late = stopped(StopOutcome::Exited {
            code: 143,
            after: Duration::from_millis(1001),
        });
        assert!(stops_when_asked("image", &claim(), &late).is_err());
    }

    #[test]
    fn the_engines_share_of_a_stop_is_not_counted_against_the_process() {
        // A slow engine: the twin took 2 s to be seen exiting, the process 2.5 s.
        let slowed = stopped_with_share(
            StopOutcome::Exited {
                code: 143,
                after: Duration::from_millis(2500),
            },
            2000,
        );
        assert!(stops_when_asked("calc:scratch", &claim(), &slowed).is_ok());
    }

    #[test]
    fn the_engines_share_does_not_excuse_a_late_process() {
        let late = stopped_with_share(
            StopOutcome::Exited {
                code: 143,
                after: Duration::from_millis(3001),
            },
            2000,
        );
        let message = stops_when_asked("image", &claim(), &late)
            .err()
            .map(|mismatch| mismatch.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "image\n  asked to stop with SIGTERM: expected exit code 143 within 1000 ms, \
                 observed exit code 143 after 3001 ms, 2000 ms of it the engine's (a \
                 SIGKILLed twin's exit)"
            )
        );
    }
}
