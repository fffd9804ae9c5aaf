//! The container suite: builds every image of this repository on the real
//! Docker engine and proves, from the outside, what each one does.
//!
//! Run it with `cargo test --test containers` (the README's test command runs
//! it with everything else). Each property is a `check_*` function that
//! returns `Err` with a message naming the image, what was observed and what
//! was expected; it is applied to the images that must have the property and,
//! as a negative control, to the bloated image, which must not.
//!
//! Every test runs on one process-wide runtime (see [`block_on`]): the images
//! are built once per run and shared, so the client and containers that serve
//! them must outlive any single test.

#[path = "../spec/mod.rs"]
mod spec;

mod engine;
mod filesystem;
mod images;
mod report;
mod run;

mod arithmetic;
mod hardening;
mod hygiene;
mod reproducibility;
mod shell;
mod size;
mod user;

use std::future::Future;
use std::sync::LazyLock;
use tokio::runtime::Runtime;

/// Worker threads: the work is waiting on the engine, not computing.
const RUNTIME_WORKERS: usize = 4;

static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    report::start_clock();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(RUNTIME_WORKERS)
        .enable_all()
        .build()
        .unwrap_or_else(|error| {
            engine::abort_run(&format!("cannot start a tokio runtime: {error}"))
        })
});

/// Runs a test body on the suite's runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    RUNTIME.block_on(future)
}

/// Fails the test with the check's own message when the property does not hold.
pub fn pass(verdict: Result<(), String>) {
    if let Err(problem) = verdict {
        panic!("{problem}");
    }
}
