//! Text to tokens. White space separates tokens and is otherwise ignored.

use crate::error::SyntaxError;
use std::str::CharIndices;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A run of ASCII digits; `None` when it does not fit in i64.
    Number(Option<i64>),
    Plus,
    Minus,
    /// `*`, or `x`, which needs no quoting in a shell.
    Times,
    Divide,
    Remainder,
    Power,
    OpenParen,
    CloseParen,
}

/// One token, with its text and the column (in characters, from 1) where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: TokenKind,
    pub text: &'a str,
    pub column: usize,
}

/// The tokens of `input`, in order, as an iterator: nothing is collected, so a
/// line of a million characters costs no more memory than the line itself.
pub fn tokenize(input: &str) -> Tokenizer<'_> {
    Tokenizer {
        input,
        chars: input.char_indices(),
        column: 0,
    }
}

/// Iterator returned by [`tokenize`].
pub struct Tokenizer<'a> {
    input: &'a str,
    chars: CharIndices<'a>,
    /// Column of the character last taken from `chars`.
    column: usize,
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Result<Token<'a>, SyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (start, character) = self.skip_white_space()?;
        let column = self.column;
        let kind = match character {
            '0'..='9' => return Some(Ok(self.number(start, column))),
            '+' => TokenKind::Plus,
            '-' => TokenKind::Minus,
            '*' | 'x' => TokenKind::Times,
            '/' => TokenKind::Divide,
            '%' => TokenKind::Remainder,
            '^' => TokenKind::Power,
            '(' => TokenKind::OpenParen,
            ')' => TokenKind::CloseParen,
            '.' | ',' => return Some(Err(SyntaxError::DecimalPoint { character, column })),
            _ => return Some(Err(SyntaxError::UnknownCharacter { character, column })),
        };
        let text = &self.input[start..start + character.len_utf8()];
        Some(Ok(Token { kind, text, column }))
    }
}

impl<'a> Tokenizer<'a> {
    /// Takes characters up to and including the first that is not white space.
    fn skip_white_space(&mut self) -> Option<(usize, char)> {
        loop {
            let (index, character) = self.chars.next()?;
            self.column += 1;
            if !character.is_whitespace() {
                return Some((index, character));
            }
        }
    }

    /// Reads the rest of a number whose first digit is at byte `start`.
    fn number(&mut self, start: usize, column: usize) -> Token<'a> {
        let digits = self.input[start..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        // The first digit is already taken; digits are one byte and one column each.
        for _ in 1..digits {
            self.chars.next();
        }
        self.column += digits - 1;
        let text = &self.input[start..start + digits];
        Token {
            kind: TokenKind::Number(parse_decimal(text)),
            text,
            column,
        }
    }
}

/// The value of a run of ASCII digits, or `None` when it exceeds `i64::MAX`.
fn parse_decimal(digits: &str) -> Option<i64> {
    digits.bytes().try_fold(0_i64, |value, digit| {
        value.checked_mul(10)?.checked_add(i64::from(digit - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<TokenKind> {
        tokenize(input)
            .map(|token| token.map(|token| token.kind))
            .collect::<Result<_, _>>()
            .expect("valid tokens")
    }

    #[test]
    fn reads_numbers_operators_and_parentheses_without_spaces() {
        use TokenKind::*;
        assert_eq!(
            kinds("(12+3)-4*5x6/7%8^9"),
            [
                OpenParen,
                Number(Some(12)),
                Plus,
                Number(Some(3)),
                CloseParen,
                Minus,
                Number(Some(4)),
                Times,
                Number(Some(5)),
                Times,
                Number(Some(6)),
                Divide,
                Number(Some(7)),
                Remainder,
                Number(Some(8)),
                Power,
                Number(Some(9)),
            ]
        );
    }

    #[test]
    fn keeps_leading_zeros_and_the_largest_i64() {
        assert_eq!(kinds("007"), [TokenKind::Number(Some(7))]);
        assert_eq!(
            kinds("9223372036854775807"),
            [TokenKind::Number(Some(i64::MAX))]
        );
    }

    #[test]
    fn marks_a_literal_beyond_i64_as_too_large() {
        assert_eq!(kinds("9223372036854775808"), [TokenKind::Number(None)]);
        assert_eq!(kinds(&"9".repeat(1000)), [TokenKind::Number(None)]);
    }

    #[test]
    fn counts_columns_in_characters_not_bytes() {
        let error = tokenize("é + ü").next().expect("a token");
        assert_eq!(
            error,
            Err(SyntaxError::UnknownCharacter {
                character: 'é',
                column: 1
            })
        );
        let columns: Vec<usize> = tokenize(" 12 \t+ 3")
            .map(|token| token.expect("valid").column)
            .collect();
        assert_eq!(columns, [2, 6, 8]);
    }

    #[test]
    fn refuses_a_decimal_point() {
        assert_eq!(
            tokenize("1.5").nth(1),
            Some(Err(SyntaxError::DecimalPoint {
                character: '.',
                column: 2
            }))
        );
    }

    #[test]
    fn yields_nothing_for_white_space() {
        assert_eq!(tokenize(" \t\r\n ").count(), 0);
    }
}
