//! The executable specification of the `calc` command line: one table of
//! cases, written once and applied by both `tests/cli.rs` (the host binary)
//! and `tests/containers` (every image), with `#[apply(specification)]`.
//!
//! The template is expanded where it is applied, so its rows name everything
//! by `crate::spec::` path: a test crate includes this file as `mod spec`.
//!
//! A row says what goes in (arguments, and standard input if any) and what
//! must come out: stdout, the whole of stderr, and the exit code. Every
//! runner, on the host or in a container, returns an [`Outcome`], and
//! [`Case::check`] compares it with the row.

pub use image_claims::verdict;
pub use image_probe::Outcome;

use rstest_reuse::template;
use verdict::{Mismatch, Problem, outcome_differences, plain, text};

/// Exit codes, as documented in `calc --help` and the README.
pub const SUCCESS: i32 = 0;
pub const ARITHMETIC_ERROR: i32 = 1;
pub const SYNTAX_ERROR: i32 = 2;

/// What standard output must hold.
#[derive(Clone)]
pub enum Stdout {
    Exactly(String),
    /// For the help text, whose whole is checked by `tests/cli.rs` alone.
    StartsWith(&'static str),
}

/// One row of the specification.
#[derive(Clone)]
pub struct Case {
    pub args: Vec<String>,
    /// `Some` runs calc with no arguments and this on standard input.
    pub stdin: Option<String>,
    pub stdout: Stdout,
    /// The whole of stderr, every line.
    pub stderr: String,
    pub code: i32,
}

impl Case {
    /// Checks an observed run against the row; the mismatch names the command.
    pub fn check(&self, observed: &Outcome) -> Result<(), Mismatch> {
        let mut expected = Outcome {
            stdout: String::new(),
            stderr: self.stderr.clone(),
            code: i64::from(self.code),
        };
        let mut problems = Vec::new();
        match &self.stdout {
            Stdout::Exactly(stdout) => expected.stdout.clone_from(stdout),
            Stdout::StartsWith(prefix) => {
                if !observed.stdout.starts_with(prefix) {
                    problems.push(Problem::new(
                        "stdout",
                        plain(format!("a text starting \"{prefix}\"")),
                        text(&observed.stdout),
                    ));
                }
                expected.stdout.clone_from(&observed.stdout);
            }
        }
        problems.extend(outcome_differences(observed, &expected));
        Mismatch::verdict(self.describe(), problems)
    }

    /// The command line and input as a person would type them.
    pub fn describe(&self) -> String {
        let command = std::iter::once("calc".to_owned())
            .chain(self.args.iter().map(|arg| shell_word(arg)))
            .collect::<Vec<_>>()
            .join(" ");
        match &self.stdin {
            Some(input) if input.len() > 60 => {
                format!("{command} with {} bytes on stdin", input.len())
            }
            Some(input) => format!("printf '{}' | {command}", input.escape_default()),
            None if command.len() > 120 => {
                format!("calc with {} argument bytes", self.args.concat().len())
            }
            None => command,
        }
    }

    /// Expects success with exactly `value` and a newline on stdout.
    pub fn prints(mut self, value: &str) -> Self {
        self.stdout = Stdout::Exactly(format!("{value}\n"));
        self.code = SUCCESS;
        self
    }

    /// Expects exactly `output` (any number of lines) on stdout.
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

    /// Expects exit `code` and exactly these lines on stderr (stdout as set,
    /// empty by default).
    pub fn fails(mut self, code: i32, stderr_lines: &[&str]) -> Self {
        self.code = code;
        self.stderr = stderr_lines
            .iter()
            .map(|line| format!("{line}\n"))
            .collect();
        self
    }
}

/// An argument quoted as a POSIX shell needs it, for messages.
fn shell_word(arg: &str) -> String {
    let plain_word = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-/%^_.,=:@".contains(c));
    if plain_word {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// calc with these arguments.
pub fn args(args: &[&str]) -> Case {
    Case {
        args: args.iter().map(|&arg| arg.to_owned()).collect(),
        stdin: None,
        stdout: Stdout::Exactly(String::new()),
        stderr: String::new(),
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

/// Makes, from one table of named cases, both the rstest template
/// `specification` (for `#[apply(specification)]`) and [`all_cases`], for
/// runners that make their own trials.
macro_rules! specification_table {
    ($($name:ident => $case:expr;)+) => {
        #[template]
        #[rstest]
        $(#[case::$name($case)])+
        pub fn specification(#[case] case: crate::spec::Case) {}

        /// Every case of the table, with its name.
        #[allow(dead_code)]
        pub fn all_cases() -> Vec<(&'static str, Case)> {
            vec![$((stringify!($name), $case)),+]
        }
    };
}

specification_table! {
    // Arguments are joined with single spaces and read as one expression.
    remainder => crate::spec::args(&["9", "%", "4"]).prints("1");
    one_quoted_argument => crate::spec::args(&["9 % 4"]).prints("1");
    no_spaces => crate::spec::args(&["9%4"]).prints("1");
    // Operators and precedence.
    addition_and_subtraction_left_to_right => crate::spec::args(&["8", "-", "4", "-", "2", "+", "1"]).prints("3");
    times_as_star => crate::spec::args(&["6", "*", "7"]).prints("42");
    times_as_x => crate::spec::args(&["6", "x", "7"]).prints("42");
    times_as_x_without_spaces => crate::spec::args(&["6x7"]).prints("42");
    multiplication_before_addition => crate::spec::args(&["1", "+", "2", "*", "3"]).prints("7");
    division_and_remainder_left_to_right => crate::spec::args(&["100", "/", "7", "%", "4"]).prints("2");
    parentheses_group => crate::spec::args(&["(1", "+", "2)", "x", "3"]).prints("9");
    power_is_right_associative => crate::spec::args(&["2", "^", "3", "^", "2"]).prints("512");
    power_binds_tighter_than_minus => crate::spec::args(&["-2", "^", "2"]).prints("-4");
    parenthesised_negative_base => crate::spec::args(&["(-2)", "^", "2"]).prints("4");
    zero_to_the_zero_is_one => crate::spec::args(&["0", "^", "0"]).prints("1");
    unary_plus => crate::spec::args(&["+5"]).prints("5");
    repeated_signs => crate::spec::args(&["1", "-", "-", "+", "-2"]).prints("-1");
    // Integer semantics.
    division_truncates_toward_zero => crate::spec::args(&["-9", "/", "4"]).prints("-2");
    remainder_has_the_sign_of_the_dividend => crate::spec::args(&["-9", "%", "4"]).prints("-1");
    remainder_by_a_negative_divisor => crate::spec::args(&["9", "%", "-4"]).prints("1");
    min_remainder_minus_one_is_zero => crate::spec::args(&["(-9223372036854775807 - 1) % -1"]).prints("0");
    leading_zeros => crate::spec::args(&["007", "+", "0010"]).prints("17");
    largest_literal => crate::spec::args(&["9223372036854775807"]).prints("9223372036854775807");
    smallest_value => crate::spec::args(&["-9223372036854775807", "-", "1"]).prints("-9223372036854775808");
    // Arithmetic errors: exit 1.
    division_by_zero => crate::spec::args(&["5", "/", "0"]).fails(crate::spec::ARITHMETIC_ERROR, &["calc: division by zero: '/' at column 3"]);
    remainder_by_zero => crate::spec::args(&["5", "%", "0"]).fails(crate::spec::ARITHMETIC_ERROR, &["calc: division by zero: '%' at column 3"]);
    addition_overflow => crate::spec::args(&["9223372036854775807", "+", "1"]).fails(crate::spec::ARITHMETIC_ERROR, &["calc: overflow: the result of '+' at column 21 does not fit in a signed 64-bit integer"]);
    multiplication_overflow => crate::spec::args(&["4611686018427387904", "x", "2"]).fails(crate::spec::ARITHMETIC_ERROR, &["calc: overflow: the result of '*' at column 21 does not fit in a signed 64-bit integer"]);
    min_divided_by_minus_one_overflows => crate::spec::args(&["(-9223372036854775807 - 1) / -1"]).fails(crate::spec::ARITHMETIC_ERROR, &["calc: overflow: the result of '/' at column 28 does not fit in a signed 64-bit integer"]);
    power_overflow => crate::spec::args(&["2", "^", "63"]).fails(crate::spec::ARITHMETIC_ERROR, &["calc: overflow: the result of '^' at column 3 does not fit in a signed 64-bit integer"]);
    literal_too_large => crate::spec::args(&["-9223372036854775808"]).fails(crate::spec::ARITHMETIC_ERROR, &["calc: overflow: the number 9223372036854775808 at column 2 does not fit in a signed 64-bit integer"]);
    negative_exponent => crate::spec::args(&["2", "^", "-1"]).fails(crate::spec::ARITHMETIC_ERROR, &["calc: negative exponent: '^' at column 3 would give a fraction; calc computes with integers only"]);
    // Usage and syntax errors: exit 2, naming the token and its column.
    empty_expression => crate::spec::args(&[""]).fails(crate::spec::SYNTAX_ERROR, &["calc: empty expression"]);
    only_end_of_options => crate::spec::args(&["--"]).fails(crate::spec::SYNTAX_ERROR, &["calc: empty expression"]);
    unknown_character => crate::spec::args(&["2", "&", "3"]).fails(crate::spec::SYNTAX_ERROR, &["calc: unknown character '&' at column 3"]);
    decimal_point => crate::spec::args(&["1.5"]).fails(crate::spec::SYNTAX_ERROR, &["calc: decimal point '.' at column 2: calc computes with integers only"]);
    missing_operand_at_end => crate::spec::args(&["1", "+"]).fails(crate::spec::SYNTAX_ERROR, &["calc: missing operand after '+' at column 3"]);
    missing_operand_before_operator => crate::spec::args(&["*", "2"]).fails(crate::spec::SYNTAX_ERROR, &["calc: missing operand before '*' at column 1"]);
    empty_parentheses => crate::spec::args(&["()"]).fails(crate::spec::SYNTAX_ERROR, &["calc: missing operand before ')' at column 2"]);
    two_numbers_in_a_row => crate::spec::args(&["1", "2"]).fails(crate::spec::SYNTAX_ERROR, &["calc: missing operator before '2' at column 3"]);
    unclosed_parenthesis => crate::spec::args(&["(1", "+", "2"]).fails(crate::spec::SYNTAX_ERROR, &["calc: unclosed '(' at column 1"]);
    unmatched_parenthesis => crate::spec::args(&["1)"]).fails(crate::spec::SYNTAX_ERROR, &["calc: unmatched ')' at column 2"]);
    syntax_error_wins_over_arithmetic_error => crate::spec::args(&["1", "/", "0", "+"]).fails(crate::spec::SYNTAX_ERROR, &["calc: missing operand after '+' at column 7"]);
    // Options: only -h, --help, -V, --version and --, and only in first place.
    short_help => crate::spec::args(&["-h"]).prints_starting("Usage: calc EXPRESSION");
    long_help => crate::spec::args(&["--help"]).prints_starting("Usage: calc EXPRESSION");
    short_version => crate::spec::args(&["-V"]).prints(concat!("calc ", env!("CARGO_PKG_VERSION")));
    long_version => crate::spec::args(&["--version"]).prints(concat!("calc ", env!("CARGO_PKG_VERSION")));
    leading_minus_is_a_sign => crate::spec::args(&["-5", "+", "3"]).prints("-2");
    end_of_options => crate::spec::args(&["--", "-5"]).prints("-5");
    help_after_end_of_options_is_an_expression => crate::spec::args(&["--", "-h"]).fails(crate::spec::SYNTAX_ERROR, &["calc: unknown character 'h' at column 2"]);
    unknown_option_is_an_expression => crate::spec::args(&["--bogus"]).fails(crate::spec::SYNTAX_ERROR, &["calc: unknown character 'b' at column 3"]);
    // Standard input: one expression per line, going on after errors.
    lines_from_stdin => crate::spec::stdin("1 + 1\n2 x 3\n9 % 4\n").outputs("2\n6\n1\n");
    blank_lines_are_skipped => crate::spec::stdin("\n   \n7\n\n").outputs("7\n");
    last_line_without_newline => crate::spec::stdin("4 % 3").outputs("1\n");
    crlf_line_endings => crate::spec::stdin("1 + 2\r\n3 + 4\r\n").outputs("3\n7\n");
    empty_input_succeeds => crate::spec::stdin("").outputs("");
    errors_name_the_line_and_evaluation_goes_on => crate::spec::stdin("1 / 0\n2\n").outputs("2\n").fails(crate::spec::ARITHMETIC_ERROR, &["calc: line 1: division by zero: '/' at column 3"]);
    exit_code_is_the_highest_seen => crate::spec::stdin("1 +\n1 / 0\n5\n").outputs("5\n").fails(crate::spec::SYNTAX_ERROR, &["calc: line 1: missing operand after '+' at column 3", "calc: line 2: division by zero: '/' at column 3"]);
    // Robustness: deep nesting and long input.
    thousand_levels_of_parentheses => crate::spec::args(&[&crate::spec::nested(1000, "6 x 7")]).prints("42");
    hundred_thousand_levels_of_parentheses => crate::spec::stdin(&crate::spec::nested(100_000, "1")).outputs("1\n");
    million_character_line => crate::spec::stdin(&crate::spec::long_sum(crate::spec::MILLION_CHARACTER_TERMS)).prints("250000");
}
