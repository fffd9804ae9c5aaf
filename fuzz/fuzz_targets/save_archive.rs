//! Any bytes, as `docker save`'s archive: counting its layers' bytes
//! (manifest.json, blobs, gzip-compressed layers and the tars in them) must
//! end with counts or an error, never panic, hang or run out of memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = image_probe::layer_bytes::count_archive(data);
});
