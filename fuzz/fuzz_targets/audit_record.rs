//! Any line of the kernel's log: `audit::parse_record` must find a seccomp
//! record's call and executable or nothing, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        let _ = image_probe::audit::parse_record(line);
    }
});
