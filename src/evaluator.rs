//! Runs a postfix program with checked i64 arithmetic: every intermediate
//! result must fit, or the first one that does not is the error.

use crate::error::ArithmeticError;
use crate::parser::{BinaryOperator, Instruction, Program, UnaryOperator};

/// Evaluates a program produced by [`crate::parser::parse`].
///
/// Instructions run left to right, so when several operations fail, the error
/// is the one a left-to-right, innermost-first evaluation meets first.
pub fn run(program: &Program<'_>) -> Result<i64, ArithmeticError> {
    let mut stack: Vec<i64> = Vec::new();
    for instruction in program.instructions() {
        let value = match *instruction {
            Instruction::Literal {
                value,
                text,
                column,
            } => value.ok_or_else(|| ArithmeticError::LiteralTooLarge {
                literal: text.to_owned(),
                column,
            })?,
            Instruction::Unary { operator, column } => {
                let operand = pop(&mut stack);
                apply_unary(operator, operand, column)?
            }
            Instruction::Binary { operator, column } => {
                let right = pop(&mut stack);
                let left = pop(&mut stack);
                apply_binary(operator, left, right, column)?
            }
        };
        stack.push(value);
    }
    Ok(pop(&mut stack))
}

/// A [`Program`] gives every operator its operands, so the stack is never
/// empty here; 0 instead of a panic keeps even a parser bug from aborting.
fn pop(stack: &mut Vec<i64>) -> i64 {
    stack.pop().unwrap_or_default()
}

fn apply_unary(
    operator: UnaryOperator,
    operand: i64,
    column: usize,
) -> Result<i64, ArithmeticError> {
    match operator {
        UnaryOperator::Plus => Ok(operand),
        UnaryOperator::Negate => operand.checked_neg().ok_or(ArithmeticError::Overflow {
            operator: '-',
            column,
        }),
    }
}

fn apply_binary(
    operator: BinaryOperator,
    left: i64,
    right: i64,
    column: usize,
) -> Result<i64, ArithmeticError> {
    let symbol = operator.symbol();
    let overflow = ArithmeticError::Overflow {
        operator: symbol,
        column,
    };
    let division_by_zero = ArithmeticError::DivisionByZero {
        operator: symbol,
        column,
    };
    match operator {
        BinaryOperator::Add => left.checked_add(right).ok_or(overflow),
        BinaryOperator::Subtract => left.checked_sub(right).ok_or(overflow),
        BinaryOperator::Multiply => left.checked_mul(right).ok_or(overflow),
        BinaryOperator::Divide if right == 0 => Err(division_by_zero),
        // Truncates toward zero; only i64::MIN / -1 can overflow.
        BinaryOperator::Divide => left.checked_div(right).ok_or(overflow),
        BinaryOperator::Remainder if right == 0 => Err(division_by_zero),
        // Sign of the dividend. The one case checked_rem refuses, i64::MIN % -1,
        // is mathematically 0, which is what wrapping_rem gives.
        BinaryOperator::Remainder => Ok(left.wrapping_rem(right)),
        BinaryOperator::Power => power(left, right).ok_or(if right < 0 {
            ArithmeticError::NegativeExponent { column }
        } else {
            overflow
        }),
    }
}

/// `base ^ exponent`, or `None` when the exponent is negative or the result
/// does not fit. `0 ^ 0` is 1, as in `bc` and most languages.
fn power(base: i64, exponent: i64) -> Option<i64> {
    if exponent < 0 {
        return None;
    }
    match base {
        // These never overflow, however large the exponent.
        0 => Some(i64::from(exponent == 0)),
        1 => Some(1),
        -1 => Some(if exponent % 2 == 0 { 1 } else { -1 }),
        // Any other base overflows long before the exponent leaves u32.
        _ => base.checked_pow(u32::try_from(exponent).ok()?),
    }
}

#[cfg(test)]
mod tests {
    use crate::{ArithmeticError, Error, evaluate};

    fn value(expression: &str) -> i64 {
        match evaluate(expression) {
            Ok(value) => value,
            Err(error) => panic!("{expression:?} failed: {error}"),
        }
    }

    fn arithmetic_error(expression: &str) -> ArithmeticError {
        match evaluate(expression) {
            Err(Error::Arithmetic(error)) => error,
            other => panic!("{expression:?} gave {other:?}, not an arithmetic error"),
        }
    }

    #[test]
    fn division_truncates_toward_zero() {
        assert_eq!(value("-9 / 4"), -2);
        assert_eq!(value("9 / -4"), -2);
        assert_eq!(value("7 / 2"), 3);
    }

    #[test]
    fn remainder_takes_the_sign_of_the_dividend() {
        assert_eq!(value("-9 % 4"), -1);
        assert_eq!(value("9 % -4"), 1);
        assert_eq!(value("(-9223372036854775807 - 1) % -1"), 0);
    }

    #[test]
    fn division_and_remainder_by_zero_are_errors() {
        assert_eq!(
            arithmetic_error("1 / 0"),
            ArithmeticError::DivisionByZero {
                operator: '/',
                column: 3
            }
        );
        assert_eq!(
            arithmetic_error("1 % (2 - 2)"),
            ArithmeticError::DivisionByZero {
                operator: '%',
                column: 3
            }
        );
    }

    #[test]
    fn the_only_overflowing_division_is_min_by_minus_one() {
        assert_eq!(
            arithmetic_error("(-9223372036854775807 - 1) / -1"),
            ArithmeticError::Overflow {
                operator: '/',
                column: 28
            }
        );
    }

    #[test]
    fn every_overflow_is_an_error() {
        for expression in [
            "9223372036854775807 + 1",
            "-9223372036854775807 - 2",
            "4611686018427387904 * 2",
            "-(-9223372036854775807 - 1)",
            "2 ^ 63",
            "3 ^ 4294967296",
        ] {
            assert!(
                matches!(
                    arithmetic_error(expression),
                    ArithmeticError::Overflow { .. }
                ),
                "{expression}"
            );
        }
    }

    #[test]
    fn a_literal_beyond_i64_is_an_error_even_when_negated() {
        assert_eq!(
            arithmetic_error("-9223372036854775808"),
            ArithmeticError::LiteralTooLarge {
                literal: "9223372036854775808".into(),
                column: 2
            }
        );
    }

    #[test]
    fn powers_of_zero_one_and_minus_one_never_overflow() {
        assert_eq!(value("0 ^ 0"), 1);
        assert_eq!(value("0 ^ 9223372036854775807"), 0);
        assert_eq!(value("1 ^ 9223372036854775807"), 1);
        assert_eq!(value("(-1) ^ 9223372036854775807"), -1);
        assert_eq!(value("(-1) ^ 9223372036854775806"), 1);
        assert_eq!(value("(-2) ^ 63"), i64::MIN);
    }

    #[test]
    fn a_negative_exponent_is_an_error() {
        assert_eq!(
            arithmetic_error("2 ^ -1"),
            ArithmeticError::NegativeExponent { column: 3 }
        );
        assert_eq!(
            arithmetic_error("1 ^ -1"),
            ArithmeticError::NegativeExponent { column: 3 }
        );
    }

    #[test]
    fn the_first_failing_operation_from_the_left_is_reported() {
        assert_eq!(
            arithmetic_error("(1 / 0) + (2 ^ -1)"),
            ArithmeticError::DivisionByZero {
                operator: '/',
                column: 4
            }
        );
    }

    #[test]
    fn syntax_errors_win_over_arithmetic_errors() {
        assert!(matches!(evaluate("1 / 0 +"), Err(Error::Syntax(_))));
    }

    #[test]
    fn deep_nesting_evaluates() {
        let depth = 100_000;
        let expression = format!("{}1 + 2{}", "(".repeat(depth), ")".repeat(depth));
        assert_eq!(value(&expression), 3);
    }
}
