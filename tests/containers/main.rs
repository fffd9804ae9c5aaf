//! The container suite: builds every image of the table in `images.rs` on
//! the real Docker engine, or takes it as given by reference, and proves
//! from the outside what each one does.
//!
//! Run it with `cargo test --test containers` (the README's test command runs
//! it with everything else). Its layers, each knowing less of calc than the
//! one above:
//!
//! - `images.rs`, `properties/arithmetic.rs`, `report.rs` and the
//!   specification in `tests/spec`: calc's own part;
//! - `properties/`: one test per property, applied to every row;
//! - `row.rs` and `subject.rs`: what a row says, and its image made ready;
//! - `checks/`: pure functions from an observation to a verdict;
//! - `probe/`: the engine, for any image by reference.
//!
//! Every test runs on one process-wide runtime (see [`block_on`]): the images
//! are built once per run and shared, so the client and containers that serve
//! them must outlive any single test.

#[path = "../spec/mod.rs"]
mod spec;

mod checks;
mod images;
mod probe;
mod properties;
mod report;
mod row;
mod subject;

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
            probe::engine::abort_run(&format!("cannot start a tokio runtime: {error}"))
        })
});

/// Runs a test body on the suite's runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    RUNTIME.block_on(future)
}
