//! The harness on images no one here wrote: the rows of `examples/images.toml`
//! (a server in a minimal image, and busybox as a small image and as a
//! negative control), checked as any user's rows file is. This file is also
//! the whole of what a user writes to check their own rows file from `cargo
//! test`: a test target with `harness = false`, and these lines.

use image_claims::entry::{check, serve_as_reaper_if_asked};
use image_claims::rows_file;
use libtest_mimic::Arguments;
use std::path::Path;
use std::process::ExitCode;

const ROWS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/images.toml");
const REPORT_DIRECTORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/examples");

fn main() -> ExitCode {
    if serve_as_reaper_if_asked() {
        return ExitCode::SUCCESS;
    }
    match rows_file::load(Path::new(ROWS_FILE)) {
        Ok(rows) => check(
            rows,
            Path::new(REPORT_DIRECTORY),
            &Arguments::from_args(),
            |_| Vec::new(),
        ),
        Err(problem) => {
            eprintln!("examples: {problem}");
            ExitCode::FAILURE
        }
    }
}
