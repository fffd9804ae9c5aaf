//! Any text, as a rows file: `rows_file::parse` must refuse it with a
//! reason or give rows, never panic or hang. A file of commands it names
//! is looked for under a directory that does not exist.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = image_claims::rows_file::parse(text, Path::new("fuzz.toml"), Path::new("/nonexistent"));
});
