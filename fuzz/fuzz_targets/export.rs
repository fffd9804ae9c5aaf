//! Any bytes, as `docker export`'s tar of a hostile image: the reading of
//! its entries (PAX records and capabilities, names, the kept content of
//! /etc/passwd, its digest) must end with a listing or an error, never
//! panic, hang or run out of memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// As many entries as the fuzzer's inputs can hold, so that the bound is met too.
const MAX_ENTRIES: usize = 64;

fuzz_target!(|data: &[u8]| {
    let kept = ["/etc/passwd".to_owned()].into();
    let _ = image_probe::filesystem::entries_of_export(data, kept, MAX_ENTRIES);
});
