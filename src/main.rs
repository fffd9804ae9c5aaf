//! The command-line front end: arguments or standard input in, results and
//! one-line errors out, and an exit code that says which kind of failure.

mod stop;
mod streams;

use calc::evaluate;
use std::env;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::process::ExitCode;

// musl's malloc is a sixth of the scratch image; this allocator is a few
// hundred bytes (src/allocator.rs says why it is sound).
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[global_allocator]
static ALLOCATOR: calc::allocator::Allocator = calc::allocator::Allocator::new();

/// Exit code when standard input or output fails (closed pipe, unreadable input).
const EXIT_IO: u8 = 3;

/// Standard input is read in blocks of this size, as std's `Stdin` reads.
const STDIN_BUFFER_BYTES: usize = 8 * 1024;

const USAGE: &str = "\
Usage: calc EXPRESSION...
       calc            (no arguments: one expression per line from standard input)

Integer arithmetic on signed 64-bit integers, exact or refused.
The arguments are joined with spaces: calc 9 % 4, calc '9 % 4' and calc 9%4 agree.

Operators, loosest to tightest:
  + -        add, subtract
  * x / %    multiply (x needs no quoting), divide (toward zero), remainder (sign of the dividend)
  - +        sign
  ^          power (right-associative; -2 ^ 2 is -4)
  ( )        grouping

Options (first argument only):
  -h, --help       print this help
  -V, --version    print the version
  --               end of options; anything else starting with '-' is a number's sign

Exit status: 0 success, 1 arithmetic error, 2 usage or syntax error, 3 input/output error.
With standard input, the highest status of all lines.
";

const VERSION: &str = concat!("calc ", env!("CARGO_PKG_VERSION"), "\n");

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Request {
    Help,
    Version,
    /// One expression, from the arguments joined with spaces.
    Expression(String),
    /// No arguments: expressions line by line from standard input.
    Lines,
}

/// The request of the arguments after the program's name. Each is read as
/// UTF-8, invalid sequences replaced; the expression is the words joined
/// with single spaces, empty words included.
fn request_from(arguments: impl IntoIterator<Item = OsString>) -> Request {
    let mut arguments = arguments.into_iter();
    let Some(first) = arguments.next() else {
        return Request::Lines;
    };
    let mut expression = match &*first.to_string_lossy() {
        "-h" | "--help" => return Request::Help,
        "-V" | "--version" => return Request::Version,
        "--" => None,
        word => Some(word.to_owned()),
    };
    for argument in arguments {
        let word = argument.to_string_lossy();
        match &mut expression {
            None => expression = Some(word.into_owned()),
            Some(joined) => {
                joined.push(' ');
                joined.push_str(&word);
            }
        }
    }
    Request::Expression(expression.unwrap_or_default())
}

fn main() -> ExitCode {
    stop::stop_on_signals();
    let mut arguments = env::args_os();
    // The program's own name.
    arguments.next();
    let mut stdout = streams::stdout();
    let outcome = match request_from(arguments) {
        Request::Help => stdout
            .write_all(USAGE.as_bytes())
            .map_err(cannot_write)
            .map(|()| 0),
        Request::Version => stdout
            .write_all(VERSION.as_bytes())
            .map_err(cannot_write)
            .map(|()| 0),
        Request::Expression(expression) => evaluate_one(&expression, &mut stdout),
        Request::Lines => evaluate_lines(
            BufReader::with_capacity(STDIN_BUFFER_BYTES, streams::stdin()),
            &mut stdout,
        ),
    };
    let code = outcome
        .and_then(|code| stdout.flush().map_err(cannot_write).map(|()| code))
        .unwrap_or_else(|failure| {
            complain(format_args!("{failure}"));
            EXIT_IO
        });
    ExitCode::from(code)
}

/// A standard stream that failed, and how.
struct StreamFailure {
    /// What was being done, as "cannot write to standard output".
    doing: &'static str,
    error: io::Error,
}

impl fmt::Display for StreamFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.doing, self.error)
    }
}

/// Writes `calc: MESSAGE` to stderr. Unlike eprintln!, which panics when
/// stderr fails, a failing stderr is ignored: the exit code still tells.
fn complain(message: fmt::Arguments<'_>) {
    let _ = writeln!(streams::stderr(), "calc: {message}");
}

/// Says which stream failed, since `io::Error` alone reads like "Broken pipe".
/// (A value, not `io::Error::new(kind, format!(..))`: that boxes a string
/// error whose formatting code costs the binary about 700 bytes.)
fn cannot_write(error: io::Error) -> StreamFailure {
    StreamFailure {
        doing: "cannot write to standard output",
        error,
    }
}

fn cannot_read(error: io::Error) -> StreamFailure {
    StreamFailure {
        doing: "cannot read standard input",
        error,
    }
}

/// Prints the value of one expression, or its error; returns the exit code.
fn evaluate_one(expression: &str, stdout: &mut impl Write) -> Result<u8, StreamFailure> {
    match evaluate(expression) {
        Ok(value) => writeln!(stdout, "{value}")
            .map_err(cannot_write)
            .map(|()| 0),
        Err(error) => {
            complain(format_args!("{error}"));
            Ok(error.exit_code())
        }
    }
}

/// Evaluates every non-blank line until end of input, going on after errors;
/// returns the highest exit code seen.
fn evaluate_lines(mut input: impl BufRead, stdout: &mut impl Write) -> Result<u8, StreamFailure> {
    let mut worst = 0;
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        if input.read_until(b'\n', &mut line).map_err(cannot_read)? == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        let code = match evaluate(&text) {
            Ok(value) => {
                writeln!(stdout, "{value}").map_err(cannot_write)?;
                0
            }
            Err(error) => {
                complain(format_args!("line {number}: {error}"));
                error.exit_code()
            }
        };
        worst = worst.max(code);
    }
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(words: &[&str]) -> Request {
        request_from(words.iter().map(OsString::from))
    }

    #[test]
    fn options_are_read_only_in_first_place() {
        assert_eq!(request(&["-h"]), Request::Help);
        assert_eq!(request(&["--version"]), Request::Version);
        assert_eq!(request(&["1", "-h"]), Request::Expression("1 -h".into()));
        assert_eq!(request(&["--", "-h"]), Request::Expression("-h".into()));
    }

    #[test]
    fn a_leading_minus_is_a_sign() {
        assert_eq!(
            request(&["-5", "+", "3"]),
            Request::Expression("-5 + 3".into())
        );
    }

    #[test]
    fn words_join_with_one_space_each_even_when_empty() {
        assert_eq!(request(&["", "1"]), Request::Expression(" 1".into()));
        assert_eq!(request(&["--", "", "1"]), Request::Expression(" 1".into()));
        assert_eq!(
            request(&["1", "", "+", "2"]),
            Request::Expression("1  + 2".into())
        );
        assert_eq!(request(&["--"]), Request::Expression(String::new()));
    }

    #[test]
    fn no_arguments_reads_lines() {
        assert_eq!(request(&[]), Request::Lines);
    }

    #[test]
    fn lines_go_on_after_errors_and_report_the_worst() {
        let mut output = Vec::new();
        let code = evaluate_lines(&b"1 + 1\n\n1 / 0\n2 +\n3"[..], &mut output);
        assert_eq!(code.ok(), Some(2));
        assert_eq!(output, b"2\n3\n");
    }
}
