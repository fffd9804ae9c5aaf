//! The kernel's seccomp audit records: with a profile whose action is
//! `SCMP_ACT_LOG`, every call a container makes is allowed and logged, one
//! record each, naming the executable that made it. Read from `/dev/kmsg`
//! (root only), from where it stood when the reader was opened.
//!
//! Without an audit daemon the kernel prints these records through printk,
//! which is rate-limited (10 records per 5 s by default); [`RateLimitLifted`]
//! lifts the limit while it lives and restores it after.

use crate::error::ProbeError;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const KMSG: &str = "/dev/kmsg";
const RATE_LIMIT_BURST: &str = "/proc/sys/kernel/printk_ratelimit_burst";
/// Records allowed per interval while the limit is lifted: more than any run logs.
const LIFTED_BURST: &str = "1000000";
/// The longest record the kernel writes.
const MAX_RECORD: usize = 8192;
/// `O_NONBLOCK`: a read with no new record returns at once.
const O_NONBLOCK: i32 = 0o4000;
/// What a read of /dev/kmsg fails with when records it had not read yet were overwritten.
const EPIPE: i32 = 32;

/// The `arch=` values of audit records (`AUDIT_ARCH_*`).
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const AUDIT_ARCH_AARCH64: u32 = 0xc000_00b7;

/// One call a container made, as its audit record names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeccompRecord {
    /// The executable that made it, such as `/calc`; runc's init shows as `/`.
    pub exe: String,
    /// The process's name, such as `calc` or `runc:[2:INIT]`.
    pub comm: String,
    /// The call's name, or `syscall N` for a number this build does not know.
    pub call: String,
}

/// The seccomp records the kernel logs from now on, read as they come by a
/// thread of their own: a busy program logs tens of thousands of calls,
/// more than the kernel's ring buffer holds, so reading only at the end
/// would lose the first ones (the runtime's, and the program's start).
pub struct KernelLog {
    stop: Arc<AtomicBool>,
    reader: std::thread::JoinHandle<Result<Vec<SeccompRecord>, ProbeError>>,
}

/// The most seccomp records one derivation keeps: a derivation of calc
/// logs a few hundred; a program refused a call in a loop logs without end.
const MAX_RECORDS: usize = 1_000_000;

/// How long the reader waits when the log has nothing new.
const IDLE_POLL: Duration = Duration::from_millis(5);

impl KernelLog {
    /// Starts reading at the log's end: only records written afterwards count.
    pub fn start() -> Result<KernelLog, ProbeError> {
        let unreadable = |error: std::io::Error| {
            ProbeError::unreadable(
                "the kernel's log (/dev/kmsg)",
                format!("{error}; reading it needs root"),
            )
        };
        let mut file = OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(KMSG)
            .map_err(unreadable)?;
        file.seek(SeekFrom::End(0)).map_err(unreadable)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let reader = std::thread::spawn(move || read_until(file, &stopped));
        Ok(KernelLog { stop, reader })
    }

    /// Stops reading and returns every seccomp record read, with how many
    /// the kernel overwrote before they could be read.
    pub fn finish(self) -> Result<Vec<SeccompRecord>, ProbeError> {
        self.stop.store(true, Ordering::Relaxed);
        self.reader
            .join()
            .map_err(|_| ProbeError::unreadable("the kernel's log", "its reader panicked"))?
    }
}

/// Reads records until `stop` is set and nothing new is left.
fn read_until(mut file: File, stop: &AtomicBool) -> Result<Vec<SeccompRecord>, ProbeError> {
    let mut records = Vec::new();
    let mut buffer = vec![0; MAX_RECORD];
    loop {
        match file.read(&mut buffer) {
            Ok(length) if length > 0 => {
                let line = String::from_utf8_lossy(&buffer[..length]);
                // Records the kernel suppressed may be stale (queued before
                // the limit was lifted) or this run's: said, not fatal. A
                // call that mattered and was missed fails the derivation's
                // run under the allowlist of every call seen.
                if line.contains("kauditd_printk_skb") && line.contains("suppressed") {
                    crate::progress::say(&format!("the kernel's log: {}", line.trim()));
                }
                records.extend(parse_record(&line));
                if records.len() > MAX_RECORDS {
                    return Err(ProbeError::Bound {
                        what: format!(
                            "the kernel's log gave more than {MAX_RECORDS} seccomp records in one \
                             derivation"
                        ),
                        bound: format!("{MAX_RECORDS} records"),
                    });
                }
            }
            Err(error) if error.raw_os_error() == Some(EPIPE) => {
                return Err(ProbeError::unreadable(
                    "the kernel's log (/dev/kmsg)",
                    "records were overwritten before they could be read",
                ));
            }
            Err(error) if error.kind() != ErrorKind::WouldBlock => {
                return Err(ProbeError::unreadable(
                    "the kernel's log (/dev/kmsg)",
                    error,
                ));
            }
            _ if stop.load(Ordering::Relaxed) => return Ok(records),
            _ => std::thread::sleep(IDLE_POLL),
        }
    }
}

/// A seccomp audit record (`type=1326`) to the call and its executable.
pub fn parse_record(line: &str) -> Option<SeccompRecord> {
    let message = line.split_once(';').map_or(line, |(_, message)| message);
    if !message.contains("type=1326") {
        return None;
    }
    let field = |name: &str| {
        message
            .split_whitespace()
            .find_map(|word| word.strip_prefix(name))
            .map(|value| value.trim_matches('"').to_owned())
    };
    let arch = u32::from_str_radix(&field("arch=")?, 16).ok()?;
    let number: usize = field("syscall=")?.parse().ok()?;
    let call = call_name(arch, number).map_or_else(|| format!("syscall {number}"), str::to_owned);
    Some(SeccompRecord {
        exe: field("exe=")?,
        comm: field("comm=")?,
        call,
    })
}

/// A system call's name from its number on an audit architecture.
fn call_name(arch: u32, number: usize) -> Option<&'static str> {
    match arch {
        AUDIT_ARCH_X86_64 => syscalls::x86_64::Sysno::new(number).map(|call| call.name()),
        AUDIT_ARCH_AARCH64 => syscalls::aarch64::Sysno::new(number).map(|call| call.name()),
        _ => None,
    }
}

/// printk's rate limit, lifted until dropped.
pub struct RateLimitLifted {
    before: String,
}

/// Where the value before a lift is kept while it is lifted: a run killed
/// before it could restore it leaves this file, and the next lift takes
/// the value from it, not from the lifted setting it finds.
fn lift_record() -> std::path::PathBuf {
    std::env::temp_dir().join("image-claims-printk-ratelimit-burst")
}

impl RateLimitLifted {
    pub fn lift() -> Result<RateLimitLifted, ProbeError> {
        let current = std::fs::read_to_string(RATE_LIMIT_BURST)
            .map_err(|error| ProbeError::unreadable(RATE_LIMIT_BURST, error))?;
        let record = lift_record();
        let before = match std::fs::read_to_string(&record) {
            Ok(left) => {
                crate::progress::say(&format!(
                    "{RATE_LIMIT_BURST} was {}, left lifted by a run that was killed; it was {} \
                     before, and goes back to that at the end",
                    current.trim(),
                    left.trim()
                ));
                left
            }
            Err(_) => {
                std::fs::write(&record, &current)
                    .map_err(|error| ProbeError::unreadable(record.display().to_string(), error))?;
                current
            }
        };
        std::fs::write(RATE_LIMIT_BURST, LIFTED_BURST).map_err(|error| {
            ProbeError::unreadable(RATE_LIMIT_BURST, format!("cannot raise it: {error}"))
        })?;
        Ok(RateLimitLifted {
            before: before.trim().to_owned(),
        })
    }
}

impl Drop for RateLimitLifted {
    fn drop(&mut self) {
        // Nothing to do if it fails: the value was writable a moment ago.
        if std::fs::write(RATE_LIMIT_BURST, &self.before).is_ok() {
            let _ = std::fs::remove_file(lift_record());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seccomp_record_names_its_call_and_executable() {
        let line = "5,1234,99;audit: type=1326 audit(1700000000.123:42): auid=4294967295 \
                    uid=65532 gid=65532 ses=4294967295 pid=77 comm=\"calc\" exe=\"/calc\" \
                    sig=0 arch=c000003e syscall=1 compat=0 ip=0x401234 code=0x7ffc0000";
        assert_eq!(
            parse_record(line),
            Some(SeccompRecord {
                exe: "/calc".to_owned(),
                comm: "calc".to_owned(),
                call: "write".to_owned()
            })
        );
    }

    #[test]
    fn other_records_are_not_seccomp_records() {
        assert_eq!(parse_record("6,1,2,-;eth0: link up"), None);
    }
}
