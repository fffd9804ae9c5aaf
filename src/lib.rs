//! `calc`: integer arithmetic on signed 64-bit integers, exact or refused.
//!
//! The pipeline is three small stages, each in its own module:
//! [`tokenizer`] turns text into tokens, [`parser`] turns tokens into postfix
//! order (checking the syntax of the whole expression before anything is
//! computed), and [`evaluator`] runs the postfix program with checked arithmetic.
//! None of them recurses, so no input can overflow the stack.

// The allocator is the one module allowed unsafe code; it argues its safety.
#![deny(unsafe_code)]

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[allow(unsafe_code)]
pub mod allocator;
pub mod error;
pub mod evaluator;
pub mod parser;
pub mod tokenizer;

pub use error::{ArithmeticError, Error, SyntaxError};

/// Evaluates one expression, such as `9 % 4` or `-2 ^ 2`.
///
/// Syntax errors win over arithmetic errors: `1 / 0 +` is a syntax error,
/// because the whole expression is parsed before any of it is computed.
pub fn evaluate(expression: &str) -> Result<i64, Error> {
    let program = parser::parse(expression)?;
    Ok(evaluator::run(&program)?)
}
