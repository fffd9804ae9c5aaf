//! Property: for random well-formed expressions, `calc::evaluate` agrees with
//! an independent reference evaluator over i128 — on the value, and on which
//! kind of arithmetic error comes first when there is no value.

use calc::{ArithmeticError, Error, evaluate};
use proptest::prelude::*;

const I64_MAX: i128 = i64::MAX as i128;
const I64_MIN: i128 = i64::MIN as i128;

#[derive(Debug, Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul { as_x: bool },
    Div,
    Rem,
    Pow,
}

/// An expression tree; literals are non-negative, as in the language itself.
#[derive(Debug, Clone)]
enum Expr {
    Literal(u128),
    Negate(Box<Expr>),
    Plus(Box<Expr>),
    Group(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
}

/// What can go wrong, without positions: the reference does not track columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    DivisionByZero,
    Overflow,
    LiteralTooLarge,
    NegativeExponent,
}

fn in_i64(value: i128) -> Result<i128, Failure> {
    if (I64_MIN..=I64_MAX).contains(&value) {
        Ok(value)
    } else {
        Err(Failure::Overflow)
    }
}

/// Left operand, then right operand, then the operation: the first failure wins.
fn reference(expr: &Expr) -> Result<i128, Failure> {
    match expr {
        Expr::Literal(value) if *value > I64_MAX as u128 => Err(Failure::LiteralTooLarge),
        Expr::Literal(value) => Ok(*value as i128),
        Expr::Negate(inner) => in_i64(-reference(inner)?),
        Expr::Plus(inner) | Expr::Group(inner) => reference(inner),
        Expr::Binary(op, left, right) => {
            let (left, right) = (reference(left)?, reference(right)?);
            match op {
                Op::Add => in_i64(left + right),
                Op::Sub => in_i64(left - right),
                Op::Mul { .. } => in_i64(left * right),
                Op::Div | Op::Rem if right == 0 => Err(Failure::DivisionByZero),
                Op::Div => in_i64(left / right),
                Op::Rem => in_i64(left % right),
                Op::Pow => reference_power(left, right),
            }
        }
    }
}

fn reference_power(base: i128, exponent: i128) -> Result<i128, Failure> {
    if exponent < 0 {
        return Err(Failure::NegativeExponent);
    }
    match base {
        0 if exponent == 0 => Ok(1),
        0 | 1 => Ok(base),
        -1 => Ok(if exponent % 2 == 0 { 1 } else { -1 }),
        _ => {
            // |base| >= 2, so 64 factors always leave i64.
            let mut result: i128 = 1;
            for _ in 0..exponent.min(64) {
                result = in_i64(result * base)?;
            }
            Ok(result)
        }
    }
}

/// Precedence of what `render` returns: an operand needs at least this much
/// binding to stand unparenthesised.
const SUM: u8 = 1;
const PRODUCT: u8 = 2;
const SIGNED: u8 = 3;
const POWER: u8 = 4;
const ATOM: u8 = 5;

/// Renders `expr` so that calc's precedence rules give back the same tree,
/// adding parentheses only where they are needed; returns text and binding.
fn render(expr: &Expr, space: &str) -> (String, u8) {
    match expr {
        Expr::Literal(value) => (value.to_string(), ATOM),
        Expr::Group(inner) => (format!("({space}{}{space})", render(inner, space).0), ATOM),
        Expr::Negate(inner) => (format!("-{space}{}", operand(inner, SIGNED, space)), SIGNED),
        Expr::Plus(inner) => (format!("+{space}{}", operand(inner, SIGNED, space)), SIGNED),
        Expr::Binary(op, left, right) => {
            let (symbol, binding, left_needs, right_needs) = match op {
                Op::Add => ("+", SUM, SUM, PRODUCT),
                Op::Sub => ("-", SUM, SUM, PRODUCT),
                Op::Mul { as_x: false } => ("*", PRODUCT, PRODUCT, SIGNED),
                Op::Mul { as_x: true } => ("x", PRODUCT, PRODUCT, SIGNED),
                Op::Div => ("/", PRODUCT, PRODUCT, SIGNED),
                Op::Rem => ("%", PRODUCT, PRODUCT, SIGNED),
                // Right-associative, and the exponent may carry a sign.
                Op::Pow => ("^", POWER, ATOM, SIGNED),
            };
            let text = format!(
                "{}{space}{symbol}{space}{}",
                operand(left, left_needs, space),
                operand(right, right_needs, space)
            );
            (text, binding)
        }
    }
}

fn operand(expr: &Expr, needs: u8, space: &str) -> String {
    let (text, binding) = render(expr, space);
    if binding >= needs {
        text
    } else {
        format!("({text})")
    }
}

fn literal() -> impl Strategy<Value = u128> {
    let max = I64_MAX as u128;
    prop_oneof![
        6 => 0_u128..=12,
        2 => 0_u128..=max,
        1 => prop::sample::select(vec![
            max,
            max - 1,
            3_037_000_499, // floor(sqrt(i64::MAX))
            3_037_000_500,
            1 << 31,
            1 << 32,
            1 << 62,
            max + 1,
            10_u128.pow(19),
            10_u128.pow(30),
        ]),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Add),
        Just(Op::Sub),
        any::<bool>().prop_map(|as_x| Op::Mul { as_x }),
        Just(Op::Div),
        Just(Op::Rem),
        Just(Op::Pow),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    literal()
        .prop_map(Expr::Literal)
        .prop_recursive(8, 64, 2, |inner| {
            prop_oneof![
                1 => inner.clone().prop_map(|e| Expr::Negate(Box::new(e))),
                1 => inner.clone().prop_map(|e| Expr::Plus(Box::new(e))),
                1 => inner.clone().prop_map(|e| Expr::Group(Box::new(e))),
                5 => (op(), inner.clone(), inner)
                    .prop_map(|(op, l, r)| Expr::Binary(op, Box::new(l), Box::new(r))),
            ]
        })
}

fn failure_of(error: &Error) -> Option<Failure> {
    match error {
        Error::Syntax(_) => None,
        Error::Arithmetic(error) => Some(match error {
            ArithmeticError::DivisionByZero { .. } => Failure::DivisionByZero,
            ArithmeticError::Overflow { .. } => Failure::Overflow,
            ArithmeticError::LiteralTooLarge { .. } => Failure::LiteralTooLarge,
            ArithmeticError::NegativeExponent { .. } => Failure::NegativeExponent,
        }),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn evaluation_agrees_with_an_i128_reference(tree in expr(), spaced in any::<bool>()) {
        let text = render(&tree, if spaced { " " } else { "" }).0;
        let expected = reference(&tree);
        let actual = evaluate(&text);
        match (&actual, expected) {
            (Ok(value), Ok(reference)) => prop_assert_eq!(i128::from(*value), reference, "{}", text),
            (Err(error), Err(reference)) => prop_assert_eq!(failure_of(error), Some(reference), "{}: {}", text, error),
            _ => prop_assert!(false, "{text}: calc gave {actual:?}, the reference {expected:?}"),
        }
    }
}
