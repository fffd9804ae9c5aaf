//! The container suite: the rows of `images.toml` through the image-claims
//! harness (`harness/`), which builds each image on the real Docker engine,
//! or takes it as given by reference, and proves from the outside what it
//! claims; then calc's own trials, which no other image could pass:
//!
//! The specification's cases (`tests/specification.toml`) are each row's
//! commands (`commands_from`), which the harness runs in every image.
//!
//! - `entrypoint.rs`: `docker run IMAGE ARGS` and `docker run -i IMAGE`;
//! - `by_reference.rs`: an image the suite did not build, checked the same;
//! - `control_size.rs`: the control is ten thousand times a minimal image;
//! - `report_part.rs`: calc's column of the report, and its chart's references.
//!
//! `cargo test --test containers [FILTER]` runs it: a test target with
//! `harness = false`, taking libtest's options (`--list`, `--exact`, …).

mod by_reference;
mod control_size;
mod entrypoint;
mod report_part;

use image_claims::entry::{check, serve_as_reaper_if_asked};
use image_claims::rows_file;
use image_claims::suite::Suite;
use libtest_mimic::{Arguments, Trial};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// calc's rows.
const ROWS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/images.toml");

fn main() -> ExitCode {
    if serve_as_reaper_if_asked() {
        return ExitCode::SUCCESS;
    }
    let rows = match rows_file::load(Path::new(ROWS_FILE)) {
        Ok(rows) => rows,
        Err(problem) => {
            eprintln!("containers: {problem}");
            return ExitCode::FAILURE;
        }
    };
    check(
        rows,
        &report_directory(),
        &Arguments::from_args(),
        calc_trials,
    )
}

/// calc's own trials, on the suite the harness made.
fn calc_trials(suite: &Arc<Suite>) -> Vec<Trial> {
    report_part::add(suite);
    let mut trials = entrypoint::trials(suite);
    trials.extend(by_reference::trials(suite));
    trials.extend(control_size::trials(suite));
    trials
}

/// `target/containers`, beside the test binaries' own `target/tmp`.
fn report_directory() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .map_or(tmp.clone(), |target| target.join("containers"))
}
