//! The executable specification of the `calc` command line: one table of
//! cases, written once and applied by both `tests/cli.rs` (the host binary)
//! and `tests/containers` (every image), with `#[apply(specification)]`.
//!
//! The template is expanded where it is applied, so its rows name everything
//! by `crate::spec::` path: a test crate includes this file as `mod spec`.
//!
//! A row says what goes in (arguments, and standard input if any) and what
//! must come out (stdout, a fragment of stderr, the exit code).

use rstest_reuse::template;

/// Exit codes, as documented in `calc --help` and the README.
pub const SUCCESS: i32 = 0;
pub const ARITHMETIC_ERROR: i32 = 1;
pub const SYNTAX_ERROR: i32 = 2;

/// What standard output must hold.
#[derive(Debug, Clone)]
pub enum Stdout {
    Exactly(String),
    StartsWith(&'static str),
}

impl Stdout {
    pub fn matches(&self, actual: &str) -> bool {
        match self {
            Stdout::Exactly(expected) => actual == expected,
            Stdout::StartsWith(prefix) => actual.starts_with(prefix),
        }
    }
}

/// One row of the specification.
#[derive(Debug, Clone)]
pub struct Case {
    pub args: Vec<String>,
    /// `Some` runs calc with no arguments and this on standard input.
    pub stdin: Option<String>,
    pub stdout: Stdout,
    /// Empty: stderr must be empty. Otherwise every stderr line starts with
    /// `calc: ` and the whole contains this fragment.
    pub stderr: &'static str,
    pub code: i32,
}

impl Case {
    /// Checks an observed run against the row; `Err` says what differs.
    pub fn check(&self, stdout: &str, stderr: &str, code: i32) -> Result<(), String> {
        let mut problems = Vec::new();
        if !self.stdout.matches(stdout) {
            problems.push(format!("stdout {stdout:?}, expected {:?}", self.stdout));
        }
        if code != self.code {
            problems.push(format!("exit code {code}, expected {}", self.code));
        }
        if self.stderr.is_empty() && !stderr.is_empty() {
            problems.push(format!("stderr {stderr:?}, expected it empty"));
        }
        let every_line_prefixed = stderr.lines().all(|line| line.starts_with("calc: "));
        let stderr_as_expected = stderr.contains(self.stderr) && every_line_prefixed;
        if !self.stderr.is_empty() && !stderr_as_expected {
            problems.push(format!(
                "stderr {stderr:?}, expected lines starting \"calc: \" containing {:?}",
                self.stderr
            ));
        }
        if self.stdin.is_none() && stderr.lines().count() > 1 {
            problems.push(format!("stderr {stderr:?}, expected at most one line"));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    /// The command line and input, for failure messages.
    pub fn describe(&self) -> String {
        match &self.stdin {
            Some(input) if input.len() > 200 => {
                format!("calc with {} bytes on stdin", input.len())
            }
            Some(input) => format!("calc with stdin {input:?}"),
            None if self.args.iter().map(String::len).sum::<usize>() > 200 => {
                format!("calc with {} argument bytes", self.args.concat().len())
            }
            None => format!("calc {:?}", self.args),
        }
    }

    /// Expects success with exactly `value` and a newline on stdout.
    pub fn prints(mut self, value: &str) -> Self {
        self.stdout = Stdout::Exactly(format!("{value}\n"));
        self.code = SUCCESS;
        self
    }

    /// Expects success with exactly `output` (any number of lines) on stdout.
    pub fn outputs(mut self, output: &str) -> Self {
        self.stdout = Stdout::Exactly(output.to_owned());
        self
    }

    /// Expects success with stdout starting with `prefix`.
    pub fn prints_starting(mut self, prefix: &'static str) -> Self {
        self.stdout = Stdout::StartsWith(prefix);
        self.code = SUCCESS;
        self
    }

    /// Expects exit `code` with `fragment` on stderr (stdout as set, empty by default).
    pub fn fails(mut self, code: i32, fragment: &'static str) -> Self {
        self.code = code;
        self.stderr = fragment;
        self
    }
}

/// calc with these arguments.
pub fn args(args: &[&str]) -> Case {
    Case {
        args: args.iter().map(|&arg| arg.to_owned()).collect(),
        stdin: None,
        stdout: Stdout::Exactly(String::new()),
        stderr: "",
        code: SUCCESS,
    }
}

/// calc with no arguments and `input` on standard input.
pub fn stdin(input: &str) -> Case {
    Case {
        stdin: Some(input.to_owned()),
        ..args(&[])
    }
}

/// `depth` pairs of parentheses around `inner`.
pub fn nested(depth: usize, inner: &str) -> String {
    format!("{}{inner}{}", "(".repeat(depth), ")".repeat(depth))
}

/// A sum of `terms` ones: `1 + 1 + ... + 1`, four characters a term.
pub fn long_sum(terms: usize) -> String {
    vec!["1"; terms].join(" + ")
}

/// How many terms make the million-character line of the specification.
pub const MILLION_CHARACTER_TERMS: usize = 250_000;

#[template]
#[rstest]
// Arguments are joined with single spaces and read as one expression.
#[case::remainder(crate::spec::args(&["9", "%", "4"]).prints("1"))]
#[case::one_quoted_argument(crate::spec::args(&["9 % 4"]).prints("1"))]
#[case::no_spaces(crate::spec::args(&["9%4"]).prints("1"))]
// Operators and precedence.
#[case::addition_and_subtraction_left_to_right(crate::spec::args(&["8", "-", "4", "-", "2", "+", "1"]).prints("3"))]
#[case::times_as_star(crate::spec::args(&["6", "*", "7"]).prints("42"))]
#[case::times_as_x(crate::spec::args(&["6", "x", "7"]).prints("42"))]
#[case::times_as_x_without_spaces(crate::spec::args(&["6x7"]).prints("42"))]
#[case::multiplication_before_addition(crate::spec::args(&["1", "+", "2", "*", "3"]).prints("7"))]
#[case::division_and_remainder_left_to_right(crate::spec::args(&["100", "/", "7", "%", "4"]).prints("2"))]
#[case::parentheses_group(crate::spec::args(&["(1", "+", "2)", "x", "3"]).prints("9"))]
#[case::power_is_right_associative(crate::spec::args(&["2", "^", "3", "^", "2"]).prints("512"))]
#[case::power_binds_tighter_than_minus(crate::spec::args(&["-2", "^", "2"]).prints("-4"))]
#[case::parenthesised_negative_base(crate::spec::args(&["(-2)", "^", "2"]).prints("4"))]
#[case::zero_to_the_zero_is_one(crate::spec::args(&["0", "^", "0"]).prints("1"))]
#[case::unary_plus(crate::spec::args(&["+5"]).prints("5"))]
#[case::repeated_signs(crate::spec::args(&["1", "-", "-", "+", "-2"]).prints("-1"))]
// Integer semantics.
#[case::division_truncates_toward_zero(crate::spec::args(&["-9", "/", "4"]).prints("-2"))]
#[case::remainder_has_the_sign_of_the_dividend(crate::spec::args(&["-9", "%", "4"]).prints("-1"))]
#[case::remainder_by_a_negative_divisor(crate::spec::args(&["9", "%", "-4"]).prints("1"))]
#[case::min_remainder_minus_one_is_zero(crate::spec::args(&["(-9223372036854775807 - 1) % -1"]).prints("0"))]
#[case::leading_zeros(crate::spec::args(&["007", "+", "0010"]).prints("17"))]
#[case::largest_literal(crate::spec::args(&["9223372036854775807"]).prints("9223372036854775807"))]
#[case::smallest_value(crate::spec::args(&["-9223372036854775807", "-", "1"]).prints("-9223372036854775808"))]
// Arithmetic errors: exit 1.
#[case::division_by_zero(crate::spec::args(&["5", "/", "0"]).fails(crate::spec::ARITHMETIC_ERROR, "division by zero: '/' at column 3"))]
#[case::remainder_by_zero(crate::spec::args(&["5", "%", "0"]).fails(crate::spec::ARITHMETIC_ERROR, "division by zero: '%' at column 3"))]
#[case::addition_overflow(crate::spec::args(&["9223372036854775807", "+", "1"]).fails(crate::spec::ARITHMETIC_ERROR, "overflow: the result of '+'"))]
#[case::multiplication_overflow(crate::spec::args(&["4611686018427387904", "x", "2"]).fails(crate::spec::ARITHMETIC_ERROR, "overflow: the result of '*'"))]
#[case::min_divided_by_minus_one_overflows(crate::spec::args(&["(-9223372036854775807 - 1) / -1"]).fails(crate::spec::ARITHMETIC_ERROR, "overflow: the result of '/'"))]
#[case::power_overflow(crate::spec::args(&["2", "^", "63"]).fails(crate::spec::ARITHMETIC_ERROR, "overflow: the result of '^'"))]
#[case::literal_too_large(crate::spec::args(&["-9223372036854775808"]).fails(crate::spec::ARITHMETIC_ERROR, "the number 9223372036854775808 at column 2 does not fit"))]
#[case::negative_exponent(crate::spec::args(&["2", "^", "-1"]).fails(crate::spec::ARITHMETIC_ERROR, "negative exponent"))]
// Usage and syntax errors: exit 2, naming the token and its column.
#[case::empty_expression(crate::spec::args(&[""]).fails(crate::spec::SYNTAX_ERROR, "empty expression"))]
#[case::only_end_of_options(crate::spec::args(&["--"]).fails(crate::spec::SYNTAX_ERROR, "empty expression"))]
#[case::unknown_character(crate::spec::args(&["2", "&", "3"]).fails(crate::spec::SYNTAX_ERROR, "unknown character '&' at column 3"))]
#[case::decimal_point(crate::spec::args(&["1.5"]).fails(crate::spec::SYNTAX_ERROR, "decimal point '.' at column 2"))]
#[case::missing_operand_at_end(crate::spec::args(&["1", "+"]).fails(crate::spec::SYNTAX_ERROR, "missing operand after '+' at column 3"))]
#[case::missing_operand_before_operator(crate::spec::args(&["*", "2"]).fails(crate::spec::SYNTAX_ERROR, "missing operand before '*' at column 1"))]
#[case::empty_parentheses(crate::spec::args(&["()"]).fails(crate::spec::SYNTAX_ERROR, "missing operand before ')' at column 2"))]
#[case::two_numbers_in_a_row(crate::spec::args(&["1", "2"]).fails(crate::spec::SYNTAX_ERROR, "missing operator before '2' at column 3"))]
#[case::unclosed_parenthesis(crate::spec::args(&["(1", "+", "2"]).fails(crate::spec::SYNTAX_ERROR, "unclosed '(' at column 1"))]
#[case::unmatched_parenthesis(crate::spec::args(&["1)"]).fails(crate::spec::SYNTAX_ERROR, "unmatched ')' at column 2"))]
#[case::syntax_error_wins_over_arithmetic_error(crate::spec::args(&["1", "/", "0", "+"]).fails(crate::spec::SYNTAX_ERROR, "missing operand after '+'"))]
// Options: only -h, --help, -V, --version and --, and only in first place.
#[case::short_help(crate::spec::args(&["-h"]).prints_starting("Usage: calc EXPRESSION"))]
#[case::long_help(crate::spec::args(&["--help"]).prints_starting("Usage: calc EXPRESSION"))]
#[case::short_version(crate::spec::args(&["-V"]).prints(concat!("calc ", env!("CARGO_PKG_VERSION"))))]
#[case::long_version(crate::spec::args(&["--version"]).prints(concat!("calc ", env!("CARGO_PKG_VERSION"))))]
#[case::leading_minus_is_a_sign(crate::spec::args(&["-5", "+", "3"]).prints("-2"))]
#[case::end_of_options(crate::spec::args(&["--", "-5"]).prints("-5"))]
#[case::help_after_end_of_options_is_an_expression(crate::spec::args(&["--", "-h"]).fails(crate::spec::SYNTAX_ERROR, "unknown character 'h' at column 2"))]
#[case::unknown_option_is_an_expression(crate::spec::args(&["--bogus"]).fails(crate::spec::SYNTAX_ERROR, "unknown character 'b' at column 3"))]
// Standard input: one expression per line, going on after errors.
#[case::lines_from_stdin(crate::spec::stdin("1 + 1\n2 x 3\n9 % 4\n").outputs("2\n6\n1\n"))]
#[case::blank_lines_are_skipped(crate::spec::stdin("\n   \n7\n\n").outputs("7\n"))]
#[case::last_line_without_newline(crate::spec::stdin("4 % 3").outputs("1\n"))]
#[case::crlf_line_endings(crate::spec::stdin("1 + 2\r\n3 + 4\r\n").outputs("3\n7\n"))]
#[case::empty_input_succeeds(crate::spec::stdin("").outputs(""))]
#[case::errors_name_the_line_and_evaluation_goes_on(crate::spec::stdin("1 / 0\n2\n").outputs("2\n").fails(crate::spec::ARITHMETIC_ERROR, "calc: line 1: division by zero"))]
#[case::exit_code_is_the_highest_seen(crate::spec::stdin("1 +\n1 / 0\n5\n").outputs("5\n").fails(crate::spec::SYNTAX_ERROR, "calc: line 2: division by zero"))]
// Robustness: deep nesting and long input.
#[case::thousand_levels_of_parentheses(crate::spec::args(&[&crate::spec::nested(1000, "6 x 7")]).prints("42"))]
#[case::hundred_thousand_levels_of_parentheses(crate::spec::stdin(&crate::spec::nested(100_000, "1")).outputs("1\n"))]
#[case::million_character_line(crate::spec::stdin(&crate::spec::long_sum(crate::spec::MILLION_CHARACTER_TERMS)).prints("250000"))]
pub fn specification(#[case] case: crate::spec::Case) {}
