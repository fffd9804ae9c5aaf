//! Tokens to a postfix program, by operator precedence (Dijkstra's shunting
//! yard) with explicit stacks, so nesting depth is limited by memory alone.
//!
//! Loosest to tightest: binary `+ -`; `* / %`; unary `- +`; `^`. Binary
//! operators are left-associative except `^`, which is right-associative and
//! binds tighter than a sign on its left: `-2 ^ 2` is `-(2 ^ 2)`, while a sign
//! on its right belongs to the exponent: `2 ^ -1` is `2 ^ (-1)`.

use crate::error::SyntaxError;
use crate::tokenizer::{Token, TokenKind, tokenize};

/// An operator taking one operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOperator {
    Negate,
    Plus,
}

/// An operator taking two operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOperator {
    Add,
    Subtract,
    Multiply,
    Divide,
    Remainder,
    Power,
}

impl BinaryOperator {
    /// The symbol used in messages (`x` is reported as `*`).
    pub fn symbol(self) -> char {
        match self {
            BinaryOperator::Add => '+',
            BinaryOperator::Subtract => '-',
            BinaryOperator::Multiply => '*',
            BinaryOperator::Divide => '/',
            BinaryOperator::Remainder => '%',
            BinaryOperator::Power => '^',
        }
    }

    fn precedence(self) -> u8 {
        match self {
            BinaryOperator::Add | BinaryOperator::Subtract => 1,
            BinaryOperator::Multiply | BinaryOperator::Divide | BinaryOperator::Remainder => 2,
            BinaryOperator::Power => 4,
        }
    }

    fn is_right_associative(self) -> bool {
        self == BinaryOperator::Power
    }
}

/// Between `* / %` and `^`.
const UNARY_PRECEDENCE: u8 = 3;

/// One step of a postfix program; columns point back into the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction<'a> {
    /// Push a literal; `value` is `None` when the literal does not fit in i64.
    Literal {
        value: Option<i64>,
        text: &'a str,
        column: usize,
    },
    Unary {
        operator: UnaryOperator,
        column: usize,
    },
    Binary {
        operator: BinaryOperator,
        column: usize,
    },
}

/// A well-formed expression in postfix order. Only [`parse`] builds one, so
/// every operator in it has its operands: the evaluator never meets a
/// hand-made sequence of instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program<'a> {
    instructions: Vec<Instruction<'a>>,
}

impl<'a> Program<'a> {
    /// The instructions, to run left to right.
    pub fn instructions(&self) -> &[Instruction<'a>] {
        &self.instructions
    }
}

/// Parses a whole expression into postfix order, or names its first syntax error.
pub fn parse(expression: &str) -> Result<Program<'_>, SyntaxError> {
    let mut parser = Parser::default();
    for token in tokenize(expression) {
        parser.accept(token?)?;
    }
    parser.finish()
}

/// What waits on the operator stack: a `(`, or an operator whose right
/// operand is not complete yet.
#[derive(Debug, Clone)]
enum Pending<'a> {
    OpenParen { column: usize },
    Operator(Instruction<'a>),
}

impl Pending<'_> {
    /// Whether this must be applied before `incoming` is pushed.
    fn binds_before(&self, incoming: BinaryOperator) -> bool {
        let precedence = match self {
            Pending::Operator(Instruction::Unary { .. }) => UNARY_PRECEDENCE,
            Pending::Operator(Instruction::Binary { operator, .. }) => operator.precedence(),
            Pending::Operator(Instruction::Literal { .. }) | Pending::OpenParen { .. } => {
                return false;
            }
        };
        precedence > incoming.precedence()
            || (precedence == incoming.precedence() && !incoming.is_right_associative())
    }
}

#[derive(Default)]
struct Parser<'a> {
    output: Vec<Instruction<'a>>,
    operators: Vec<Pending<'a>>,
    /// True after a complete operand: the next token must be an operator or `)`.
    after_operand: bool,
    previous: Option<Token<'a>>,
}

impl<'a> Parser<'a> {
    fn accept(&mut self, token: Token<'a>) -> Result<(), SyntaxError> {
        if self.after_operand {
            self.accept_after_operand(token)?;
        } else {
            self.accept_operand(token)?;
        }
        self.previous = Some(token);
        Ok(())
    }

    /// A number, `(` or sign is expected.
    fn accept_operand(&mut self, token: Token<'a>) -> Result<(), SyntaxError> {
        let column = token.column;
        match token.kind {
            TokenKind::Number(value) => {
                self.output.push(Instruction::Literal {
                    value,
                    text: token.text,
                    column,
                });
                self.after_operand = true;
            }
            TokenKind::OpenParen => self.operators.push(Pending::OpenParen { column }),
            TokenKind::Minus => self.push_unary(UnaryOperator::Negate, column),
            TokenKind::Plus => self.push_unary(UnaryOperator::Plus, column),
            _ => {
                return Err(SyntaxError::MissingOperandBefore {
                    token: token.text.to_owned(),
                    column,
                });
            }
        }
        Ok(())
    }

    /// A binary operator or `)` is expected.
    fn accept_after_operand(&mut self, token: Token<'a>) -> Result<(), SyntaxError> {
        let column = token.column;
        let operator = match token.kind {
            TokenKind::Plus => BinaryOperator::Add,
            TokenKind::Minus => BinaryOperator::Subtract,
            TokenKind::Times => BinaryOperator::Multiply,
            TokenKind::Divide => BinaryOperator::Divide,
            TokenKind::Remainder => BinaryOperator::Remainder,
            TokenKind::Power => BinaryOperator::Power,
            TokenKind::CloseParen => return self.close_paren(column),
            TokenKind::Number(_) | TokenKind::OpenParen => {
                return Err(SyntaxError::MissingOperatorBefore {
                    token: token.text.to_owned(),
                    column,
                });
            }
        };
        while let Some(top) = self.operators.pop_if(|top| top.binds_before(operator)) {
            self.emit(top);
        }
        self.operators
            .push(Pending::Operator(Instruction::Binary { operator, column }));
        self.after_operand = false;
        Ok(())
    }

    fn push_unary(&mut self, operator: UnaryOperator, column: usize) {
        self.operators
            .push(Pending::Operator(Instruction::Unary { operator, column }));
    }

    /// Moves an operator to the output; a `(` is only ever removed, never emitted.
    fn emit(&mut self, pending: Pending<'a>) {
        if let Pending::Operator(instruction) = pending {
            self.output.push(instruction);
        }
    }

    fn close_paren(&mut self, column: usize) -> Result<(), SyntaxError> {
        loop {
            match self.operators.pop() {
                None => return Err(SyntaxError::UnmatchedParenthesis { column }),
                Some(Pending::OpenParen { .. }) => return Ok(()),
                Some(pending) => self.emit(pending),
            }
        }
    }

    fn finish(mut self) -> Result<Program<'a>, SyntaxError> {
        if !self.after_operand {
            return Err(match self.previous {
                None => SyntaxError::Empty,
                Some(token) => SyntaxError::MissingOperandAfter {
                    token: token.text.to_owned(),
                    column: token.column,
                },
            });
        }
        while let Some(pending) = self.operators.pop() {
            if let Pending::OpenParen { column } = pending {
                return Err(SyntaxError::UnclosedParenthesis { column });
            }
            self.emit(pending);
        }
        Ok(Program {
            instructions: self.output,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The program as a compact postfix string, for readable assertions.
    fn postfix(expression: &str) -> String {
        let program = parse(expression).expect("valid expression");
        let words: Vec<String> = program
            .instructions()
            .iter()
            .map(|instruction| match instruction {
                Instruction::Literal { text, .. } => (*text).to_owned(),
                Instruction::Unary {
                    operator: UnaryOperator::Negate,
                    ..
                } => "neg".to_owned(),
                Instruction::Unary {
                    operator: UnaryOperator::Plus,
                    ..
                } => "pos".to_owned(),
                Instruction::Binary { operator, .. } => operator.symbol().to_string(),
            })
            .collect();
        words.join(" ")
    }

    #[test]
    fn multiplication_binds_tighter_than_addition() {
        assert_eq!(postfix("1 + 2 * 3"), "1 2 3 * +");
        assert_eq!(postfix("1 * 2 + 3"), "1 2 * 3 +");
    }

    #[test]
    fn subtraction_and_division_are_left_associative() {
        assert_eq!(postfix("8 - 4 - 2"), "8 4 - 2 -");
        assert_eq!(postfix("8 / 4 % 3"), "8 4 / 3 %");
    }

    #[test]
    fn power_is_right_associative() {
        assert_eq!(postfix("2 ^ 3 ^ 2"), "2 3 2 ^ ^");
    }

    #[test]
    fn power_binds_tighter_than_a_leading_sign() {
        assert_eq!(postfix("-2 ^ 2"), "2 2 ^ neg");
        assert_eq!(postfix("(-2) ^ 2"), "2 neg 2 ^");
    }

    #[test]
    fn a_sign_after_power_belongs_to_the_exponent() {
        assert_eq!(postfix("2 ^ -3 * 4"), "2 3 neg ^ 4 *");
        assert_eq!(postfix("2 ^ -3 ^ 2"), "2 3 2 ^ neg ^");
    }

    #[test]
    fn a_sign_binds_tighter_than_multiplication() {
        assert_eq!(postfix("-2 * 3"), "2 neg 3 *");
        assert_eq!(postfix("1 - -+2"), "1 2 pos neg -");
    }

    #[test]
    fn parentheses_group() {
        assert_eq!(postfix("(1 + 2) * 3"), "1 2 + 3 *");
    }

    #[test]
    fn nesting_is_limited_by_memory_not_by_the_stack() {
        let depth = 1_000_000;
        let expression = format!("{}7{}", "(".repeat(depth), ")".repeat(depth));
        assert_eq!(postfix(&expression), "7");
        let signs = format!("{}7", "-".repeat(depth));
        assert_eq!(
            parse(&signs).expect("valid").instructions().len(),
            depth + 1
        );
    }

    #[test]
    fn names_each_syntax_error_with_its_token_and_column() {
        let cases = [
            ("", SyntaxError::Empty),
            (
                "1 +",
                SyntaxError::MissingOperandAfter {
                    token: "+".into(),
                    column: 3,
                },
            ),
            (
                "* 2",
                SyntaxError::MissingOperandBefore {
                    token: "*".into(),
                    column: 1,
                },
            ),
            (
                "()",
                SyntaxError::MissingOperandBefore {
                    token: ")".into(),
                    column: 2,
                },
            ),
            (
                "1 2",
                SyntaxError::MissingOperatorBefore {
                    token: "2".into(),
                    column: 3,
                },
            ),
            (
                "2(3)",
                SyntaxError::MissingOperatorBefore {
                    token: "(".into(),
                    column: 2,
                },
            ),
            ("(1 + 2", SyntaxError::UnclosedParenthesis { column: 1 }),
            ("1 + 2)", SyntaxError::UnmatchedParenthesis { column: 6 }),
        ];
        for (expression, expected) in cases {
            assert_eq!(parse(expression), Err(expected), "parsing {expression:?}");
        }
    }
}
