//! Errors are values: each names what went wrong, where, and maps to an exit code.

use std::fmt;

/// Exit code for an arithmetic error (division by zero, overflow, negative exponent).
pub const EXIT_ARITHMETIC: u8 = 1;
/// Exit code for a usage or syntax error.
pub const EXIT_SYNTAX: u8 = 2;

/// Why an expression has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The text is not a well-formed expression.
    Syntax(SyntaxError),
    /// The expression is well formed but its value does not exist in i64.
    Arithmetic(ArithmeticError),
}

/// A malformed expression. Columns count characters from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxError {
    /// Nothing but white space.
    Empty,
    /// A character that is no digit, operator, parenthesis or white space.
    UnknownCharacter { character: char, column: usize },
    /// A `.` or `,`: calc computes with integers only.
    DecimalPoint { character: char, column: usize },
    /// An operator or `)` where a number, `(` or a sign must come.
    MissingOperandBefore { token: String, column: usize },
    /// The expression ends where a number, `(` or a sign must come.
    MissingOperandAfter { token: String, column: usize },
    /// A number or `(` right after a complete operand, as in `1 2` or `2(3)`.
    MissingOperatorBefore { token: String, column: usize },
    /// A `(` that is never closed.
    UnclosedParenthesis { column: usize },
    /// A `)` with no `(` to close.
    UnmatchedParenthesis { column: usize },
}

/// A well-formed expression whose value is not a signed 64-bit integer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArithmeticError {
    /// `/` or `%` with a zero right operand.
    DivisionByZero { operator: char, column: usize },
    /// A result outside i64, as in `9223372036854775807 + 1`.
    Overflow { operator: char, column: usize },
    /// A literal outside i64, as in `9223372036854775808`.
    LiteralTooLarge { literal: String, column: usize },
    /// `^` with a negative exponent: the result would be a fraction.
    NegativeExponent { column: usize },
}

impl Error {
    /// The process exit code this error stands for.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Syntax(_) => EXIT_SYNTAX,
            Error::Arithmetic(_) => EXIT_ARITHMETIC,
        }
    }
}

impl From<SyntaxError> for Error {
    fn from(error: SyntaxError) -> Self {
        Error::Syntax(error)
    }
}

impl From<ArithmeticError> for Error {
    fn from(error: ArithmeticError) -> Self {
        Error::Arithmetic(error)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Syntax(error) => error.fmt(f),
            Error::Arithmetic(error) => error.fmt(f),
        }
    }
}

// No `source()`: `Error` displays its inner error's message as its own, so
// naming that error as the source too would print the message twice in a chain.
impl std::error::Error for Error {}

impl std::error::Error for SyntaxError {}

impl std::error::Error for ArithmeticError {}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyntaxError::Empty => write!(f, "empty expression"),
            SyntaxError::UnknownCharacter { character, column } => {
                write!(f, "unknown character {character:?} at column {column}")
            }
            SyntaxError::DecimalPoint { character, column } => write!(
                f,
                "decimal point {character:?} at column {column}: calc computes with integers only"
            ),
            SyntaxError::MissingOperandBefore { token, column } => {
                write!(f, "missing operand before '{token}' at column {column}")
            }
            SyntaxError::MissingOperandAfter { token, column } => {
                write!(f, "missing operand after '{token}' at column {column}")
            }
            SyntaxError::MissingOperatorBefore { token, column } => {
                write!(f, "missing operator before '{token}' at column {column}")
            }
            SyntaxError::UnclosedParenthesis { column } => {
                write!(f, "unclosed '(' at column {column}")
            }
            SyntaxError::UnmatchedParenthesis { column } => {
                write!(f, "unmatched ')' at column {column}")
            }
        }
    }
}

impl fmt::Display for ArithmeticError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArithmeticError::DivisionByZero { operator, column } => {
                write!(f, "division by zero: '{operator}' at column {column}")
            }
            ArithmeticError::Overflow { operator, column } => write!(
                f,
                "overflow: the result of '{operator}' at column {column} does not fit in a signed 64-bit integer"
            ),
            ArithmeticError::LiteralTooLarge { literal, column } => write!(
                f,
                "overflow: the number {literal} at column {column} does not fit in a signed 64-bit integer"
            ),
            ArithmeticError::NegativeExponent { column } => write!(
                f,
                "negative exponent: '^' at column {column} would give a fraction; calc computes with integers only"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::evaluate;

    #[test]
    fn errors_travel_as_std_errors_with_their_message_once() {
        let error: Box<dyn std::error::Error> = Box::new(evaluate("1/0").unwrap_err());
        assert_eq!(error.to_string(), "division by zero: '/' at column 2");
        assert!(
            error.source().is_none(),
            "the message would repeat in a chain"
        );
        let syntax: Box<dyn std::error::Error> = Box::new(evaluate("1 +").unwrap_err());
        assert_eq!(syntax.to_string(), "missing operand after '+' at column 3");
    }
}
