//! Stopping when asked: SIGTERM (`docker stop`) and SIGINT (Ctrl-C, `docker
//! kill -s INT`) end calc at once, with the status a shell reports for them,
//! 143 and 130, and never in the middle of a line.
//!
//! The kernel drops a signal that PID 1 of a PID namespace has not asked to
//! handle, so without a handler calc in a container ignored `docker stop`
//! until the engine's SIGKILL, 10 s later (2026-12-03). Outside a container
//! the signal's default action ended calc, and still does: the handler takes
//! that action again, and only where the kernel ignores it (PID 1) does calc
//! exit with 128 + the signal's number instead. So a parent shell still sees
//! a death by SIGINT, which a script's loop needs in order to stop on Ctrl-C.
//!
//! A line of output leaves in one `write` (see `streams.rs`). A signal that
//! comes while a line is being written is held until the write returns, so
//! what calc prints is whole lines only; one that comes at any other moment,
//! waiting on stdin or computing, ends calc where it is: nothing it has
//! printed is lost, since it is in the pipe already.
//!
//! No system call is added to `seccomp.json`: the handler is installed with
//! `rt_sigaction`, which std's start-up needs already; `getpid` and the
//! `tkill` that takes the default action again are refused there, which
//! changes nothing: PID 1 exits by itself either way.

use std::ffi::c_int;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

const SIGINT: c_int = 2;
const SIGTERM: c_int = 15;

/// The signals that stop calc. (A shell reports a death by one as 128 + it.)
const STOP_SIGNALS: [c_int; 2] = [SIGTERM, SIGINT];

// Linux's flags, the same on x86_64 and aarch64. SA_RESETHAND: the handler
// runs once, then the default action is back, so that `raise` takes it.
// SA_NODEFER: the signal is not blocked inside its own handler, so that
// `raise` there is not held. SA_RESTART: a write the handler interrupts
// goes on, whole.
const SA_RESTART: c_int = 0x1000_0000;
const SA_NODEFER: c_int = 0x4000_0000;
const SA_RESETHAND: c_int = 0x8000_0000_u32 as c_int;

/// `struct sigaction` as musl and glibc lay it out on Linux x86_64 and
/// aarch64: the handler, a 1,024-bit signal mask, the flags, the restorer
/// (which libc sets itself).
#[repr(C)]
struct SigAction {
    handler: extern "C" fn(c_int),
    mask: [u64; 16],
    flags: c_int,
    restorer: usize,
}

#[allow(unsafe_code)]
unsafe extern "C" {
    fn sigaction(signal: c_int, action: *const SigAction, old: *mut SigAction) -> c_int;
    // All three are async-signal-safe, and take no pointer: safe to call.
    safe fn getpid() -> c_int;
    safe fn raise(signal: c_int) -> c_int;
    safe fn _exit(status: c_int) -> !;
}

/// Set while a line is being written, so that a stop waits for it.
static WRITING: AtomicBool = AtomicBool::new(false);
/// A stop signal that came while a line was being written; 0 if none.
static HELD: AtomicI32 = AtomicI32::new(0);

/// Makes SIGTERM and SIGINT stop calc, as PID 1 too. Called first thing in
/// `main`: until then, PID 1 drops them.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub fn stop_on_signals() {
    let action = SigAction {
        handler: on_stop_signal,
        mask: [0; 16],
        flags: SA_RESTART | SA_NODEFER | SA_RESETHAND,
        restorer: 0,
    };
    for signal in STOP_SIGNALS {
        // SAFETY: `action` is a valid `struct sigaction` for the whole call,
        // and the old action is not asked for. A failure (a seccomp profile
        // that refuses the call) leaves the default action: calc still
        // computes, as before.
        #[allow(unsafe_code)]
        unsafe {
            sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// Elsewhere the layout of `struct sigaction` is another: the signals keep
/// their default action.
#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
pub fn stop_on_signals() {}

/// Runs `write` with stops held until it returns: a whole line leaves, or
/// none of it. Then a stop that came meanwhile ends calc.
pub fn whole<T>(write: impl FnOnce() -> T) -> T {
    WRITING.store(true, Ordering::SeqCst);
    let written = write();
    WRITING.store(false, Ordering::SeqCst);
    let held = HELD.load(Ordering::SeqCst);
    if held != 0 {
        stop(held);
    }
    written
}

extern "C" fn on_stop_signal(signal: c_int) {
    if WRITING.load(Ordering::SeqCst) {
        HELD.store(signal, Ordering::SeqCst);
    } else {
        stop(signal);
    }
}

/// Ends calc by `signal`: its default action where the kernel takes it,
/// else (PID 1, or a profile that refuses `tkill`) an exit with the status
/// a shell reports for that death. PID 1 does not even try the default
/// action: under qemu, which runs another architecture's image as PID 1,
/// qemu takes a guest's default action by killing itself and waits for a
/// death the kernel never delivers to PID 1 (`docker stop` of the arm64
/// image on x86_64 waited for SIGKILL, 2026-12-03). Where a profile refuses
/// `getpid`, it answers -1, and the default action is tried first.
fn stop(signal: c_int) -> ! {
    if getpid() != 1 {
        raise(signal);
    }
    _exit(128 + signal)
}
