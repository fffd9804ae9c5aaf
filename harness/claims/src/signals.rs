//! image-claims ends at once on SIGINT and SIGTERM, also as PID 1 of its
//! own image, where the kernel drops every signal no handler asked for:
//! without this, Ctrl-C on `docker run … image-claims` did nothing and
//! `docker stop` waited for its SIGKILL. It exits with the status a shell
//! reports for the signal (130, 143). Its containers go with it: the
//! reaper, a process of its own, removes them once this one is gone.

use std::io;
use tokio::signal::unix::{SignalKind, signal};

/// The exit status of a program ended by signal `number`, as a shell reports it.
const fn status_of_signal(number: i32) -> i32 {
    128 + number
}

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

/// Handles SIGINT and SIGTERM from now on, on a thread of its own: the
/// process exits at the first of them.
pub fn exit_on_interrupt_or_terminate() -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Registered here, before this returns, so that no signal comes between.
    let (mut interrupt, mut terminate) = runtime.block_on(async {
        io::Result::Ok((
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        ))
    })?;
    std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            let number = runtime.block_on(async {
                tokio::select! {
                    _ = interrupt.recv() => SIGINT,
                    _ = terminate.recv() => SIGTERM,
                }
            });
            // The one exit not through main: the process ends as the
            // signal's default action would end it outside PID 1.
            std::process::exit(status_of_signal(number));
        })?;
    Ok(())
}
