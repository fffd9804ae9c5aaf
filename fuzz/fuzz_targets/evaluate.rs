//! Any bytes, as an expression: `evaluate` must return, never panic or hang,
//! and a value it returns must read back as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(expression) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(value) = calc::evaluate(expression) {
        // i64::MIN has no literal: it can only be written as an expression.
        if value != i64::MIN {
            assert_eq!(calc::evaluate(&value.to_string()), Ok(value));
        }
    }
});
