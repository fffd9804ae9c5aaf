//! What a container's main process does with a signal, as the kernel
//! records it: whether a handler is installed (`SigCgt` in
//! `/proc/PID/status`), whether the signal is ignored (`SigIgn`), and the
//! process's state, read through the engine's top endpoint (the host's `ps`
//! reads `/proc`). So a stop that did not end a program is told apart: a
//! handler that did not exit in time, a signal ignored, or a signal sent
//! before any handler existed, which the kernel drops for a container's
//! PID 1.

use crate::engine::Engine;
use crate::error::ProbeError;
use crate::processes::Top;

/// What `docker top` is asked for: the masks as hexadecimal, the state
/// letter (`S`: asleep, waiting), and the pid column the engine needs.
const PS_COLUMNS: &str = "-eo pid,stat,caught,ignored,comm";

/// The main process's view of signals at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalState {
    /// Bit `n - 1` is set where a handler for signal `n` is installed.
    pub caught: u64,
    /// Bit `n - 1` is set where signal `n` is ignored.
    pub ignored: u64,
    /// `ps`'s state: its first letter is `R` running, `S` asleep, `D` in
    /// the kernel, `Z` exited.
    pub state: String,
    pub command: String,
}

/// What the main process does with one signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// A handler is installed.
    Caught,
    /// It is ignored.
    Ignored,
    /// Neither: the default action, which the kernel does not take for a
    /// container's PID 1 (a signal it does not handle is dropped).
    Default,
}

impl SignalState {
    /// What it does with `signal` (a name such as `SIGTERM`); `None` for a
    /// name this module does not number.
    pub fn disposition(&self, signal: &str) -> Option<Disposition> {
        let bit = 1u64 << (signal_number(signal)? - 1);
        Some(if self.caught & bit != 0 {
            Disposition::Caught
        } else if self.ignored & bit != 0 {
            Disposition::Ignored
        } else {
            Disposition::Default
        })
    }

    /// Asleep, waiting for something: input, a child, a timer.
    pub fn is_asleep(&self) -> bool {
        self.state.starts_with('S')
    }
}

/// Linux's number of a signal named as `docker kill` takes it (`SIGTERM`,
/// `TERM`, or a number), for the signals a stop may send.
pub fn signal_number(signal: &str) -> Option<u32> {
    if let Ok(number) = signal.parse::<u32>() {
        return (1..=64).contains(&number).then_some(number);
    }
    let name = signal.strip_prefix("SIG").unwrap_or(signal);
    let number = match name {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "ILL" => 4,
        "TRAP" => 5,
        "ABRT" | "IOT" => 6,
        "BUS" => 7,
        "FPE" => 8,
        "KILL" => 9,
        "USR1" => 10,
        "SEGV" => 11,
        "USR2" => 12,
        "PIPE" => 13,
        "ALRM" => 14,
        "TERM" => 15,
        "STKFLT" => 16,
        "CHLD" => 17,
        "CONT" => 18,
        "STOP" => 19,
        "TSTP" => 20,
        "TTIN" => 21,
        "TTOU" => 22,
        "URG" => 23,
        "XCPU" => 24,
        "XFSZ" => 25,
        "VTALRM" => 26,
        "PROF" => 27,
        "WINCH" => 28,
        "IO" | "POLL" => 29,
        "PWR" => 30,
        "SYS" => 31,
        _ => return realtime_number(name),
    };
    Some(number)
}

/// `RTMIN`, `RTMIN+N`, `RTMAX-N`, `RTMAX`, as Docker names them (34 to 64).
fn realtime_number(name: &str) -> Option<u32> {
    const RTMIN: u32 = 34;
    const RTMAX: u32 = 64;
    let number = match name {
        "RTMIN" => RTMIN,
        "RTMAX" => RTMAX,
        _ => {
            if let Some(offset) = name.strip_prefix("RTMIN+") {
                RTMIN + offset.parse::<u32>().ok()?
            } else {
                RTMAX.checked_sub(name.strip_prefix("RTMAX-")?.parse::<u32>().ok()?)?
            }
        }
    };
    (RTMIN..=RTMAX).contains(&number).then_some(number)
}

impl Engine {
    /// The signal state of the container's main process, the one the
    /// engine signals (its `State.Pid`).
    pub async fn main_process_signals(&self, container: &str) -> Result<SignalState, ProbeError> {
        let inspected = self
            .docker()
            .inspect_container(container, None)
            .await
            .map_err(|e| ProbeError::engine("inspect a container for its main process", e))?;
        let pid = inspected
            .state
            .and_then(|state| state.pid)
            .filter(|pid| *pid > 0)
            .ok_or_else(|| ProbeError::missing("a main process: the container is not running"))?;
        let top = self.top(container, PS_COLUMNS).await?;
        read_main_process(&top, &pid.to_string())
    }
}

/// The row of `pid` in a `docker top` listing of [`PS_COLUMNS`].
fn read_main_process(top: &Top, pid: &str) -> Result<SignalState, ProbeError> {
    let (pid_at, stat_at, caught_at, ignored_at, command_at) = (
        top.column("PID")?,
        top.column("STAT")?,
        top.column("CAUGHT")?,
        top.column("IGNORED")?,
        top.column("COMMAND")?,
    );
    let row = top
        .rows
        .iter()
        .find(|row| row.get(pid_at).is_some_and(|value| value == pid))
        .ok_or_else(|| ProbeError::missing(format!("the main process {pid} in docker top")))?;
    let mask = |index: usize| {
        row.get(index)
            .and_then(|value| u64::from_str_radix(value, 16).ok())
            .ok_or_else(|| {
                ProbeError::unreadable(
                    format!("docker top's row \"{}\"", row.join(" ")),
                    format!("no hexadecimal mask in column {index}"),
                )
            })
    };
    Ok(SignalState {
        caught: mask(caught_at)?,
        ignored: mask(ignored_at)?,
        state: row.get(stat_at).cloned().unwrap_or_default(),
        command: row.get(command_at).cloned().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|word| (*word).to_owned()).collect()
    }

    #[test]
    fn signals_are_numbered_as_linux_numbers_them() {
        assert_eq!(signal_number("SIGTERM"), Some(15));
        assert_eq!(signal_number("INT"), Some(2));
        assert_eq!(signal_number("9"), Some(9));
        assert_eq!(signal_number("SIGRTMIN+3"), Some(37));
        assert_eq!(signal_number("SIGRTMAX-1"), Some(63));
        assert_eq!(signal_number("SIGTREM"), None);
        assert_eq!(signal_number("65"), None);
        assert_eq!(signal_number("SIGRTMIN+31"), None);
    }

    #[test]
    fn the_main_process_is_read_by_its_pid_and_its_masks_tell_the_disposition() {
        let top = Top {
            titles: words(&["PID", "STAT", "CAUGHT", "IGNORED", "COMMAND"]),
            rows: vec![
                words(&["4120", "Ss", "0000000000000000", "0000000000000000", "sh"]),
                words(&["4121", "S", "0000000000004002", "0000000000001000", "calc"]),
            ],
        };
        let child = read_main_process(&top, "4121").expect("its row");
        assert_eq!(child.disposition("SIGTERM"), Some(Disposition::Caught));
        assert_eq!(child.disposition("SIGINT"), Some(Disposition::Caught));
        assert_eq!(child.disposition("SIGPIPE"), Some(Disposition::Ignored));
        assert_eq!(child.disposition("SIGHUP"), Some(Disposition::Default));
        let shell = read_main_process(&top, "4120").expect("its row");
        assert_eq!(shell.disposition("SIGTERM"), Some(Disposition::Default));
        assert!(shell.is_asleep());
        assert!(read_main_process(&top, "1").is_err());
    }
}
