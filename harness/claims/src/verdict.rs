//! What differs between an expectation and an observation, written for a
//! person to read once: the subject first (the image or command), then one
//! problem per line, each with what was expected and what was observed.
//! Multi-line values are indented blocks; nothing is printed with `{:?}`.
//!
//! ```text
//! calc:scratch: calc 9 % 4
//!   stdout: expected "1", observed "2"
//!   exit code: expected 0, observed 1
//! ```

use crate::escaping;
use std::fmt;

/// The most lines of one value a message shows.
const MAX_BLOCK_LINES: usize = 12;
/// The most characters of one line a message shows.
const MAX_LINE_CHARS: usize = 160;

/// A value as a message shows it: inline, or as a block of lines.
#[derive(Clone, PartialEq, Eq)]
pub enum Shown {
    Inline(String),
    Block(Vec<String>),
}

/// A number, a name or any other value whose `Display` says it all.
/// Whatever it holds is shown by the one rule of [`escaping`]: an image
/// names some of these values.
pub fn plain(value: impl fmt::Display) -> Shown {
    Shown::Inline(escaping::value(
        &value.to_string(),
        escaping::MAX_VALUE_CHARS,
    ))
}

/// Program output: `nothing` when empty, one quoted line when it is one line
/// ending in a newline, an indented block otherwise. A missing final newline
/// is said, since it is a difference.
pub fn text(value: &str) -> Shown {
    if value.is_empty() {
        return Shown::Inline("nothing".to_owned());
    }
    let body = value.strip_suffix('\n');
    let lines: Vec<&str> = body.unwrap_or(value).split('\n').collect();
    let unterminated = body.is_none();
    match lines.as_slice() {
        [line] if !unterminated => Shown::Inline(format!("\"{}\"", visible(line))),
        [line] => Shown::Inline(format!("\"{}\" with no final newline", visible(line))),
        _ => {
            let mut block: Vec<String> = lines
                .iter()
                .take(MAX_BLOCK_LINES)
                .map(|line| visible(line))
                .collect();
            if lines.len() > MAX_BLOCK_LINES {
                block.push(format!("… {} more lines", lines.len() - MAX_BLOCK_LINES));
            }
            if unterminated {
                block.push("(no final newline)".to_owned());
            }
            Shown::Block(block)
        }
    }
}

/// A line of program output as a block shows it (see [`escaping`]).
fn visible(line: &str) -> String {
    escaping::value(line, MAX_LINE_CHARS)
}

/// One thing that is not as expected.
#[derive(Clone, PartialEq, Eq)]
pub struct Problem {
    pub what: String,
    pub expected: Shown,
    pub observed: Shown,
}

impl Problem {
    pub fn new(what: impl Into<String>, expected: Shown, observed: Shown) -> Self {
        Problem {
            what: escaping::value(&what.into(), escaping::MAX_VALUE_CHARS),
            expected,
            observed,
        }
    }
}

/// Everything that is not as expected of one subject.
#[derive(Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub subject: String,
    pub problems: Vec<Problem>,
}

impl Mismatch {
    /// `Ok` when there is no problem, else the mismatch.
    pub fn verdict(subject: impl Into<String>, problems: Vec<Problem>) -> Result<(), Mismatch> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Mismatch {
                subject: escaping::value(&subject.into(), escaping::MAX_VALUE_CHARS),
                problems,
            })
        }
    }

    /// The same problems, said of a longer subject (`IMAGE: command`).
    pub fn within(mut self, outer: &str) -> Self {
        self.subject = format!(
            "{}: {}",
            escaping::value(outer, escaping::MAX_VALUE_CHARS),
            self.subject
        );
        self
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.subject)?;
        for problem in &self.problems {
            match (&problem.expected, &problem.observed) {
                (Shown::Inline(expected), Shown::Inline(observed)) => write!(
                    f,
                    "\n  {}: expected {expected}, observed {observed}",
                    problem.what
                )?,
                (expected, observed) => {
                    write!(f, "\n  {}:", problem.what)?;
                    write_labelled(f, "expected", expected)?;
                    write_labelled(f, "observed", observed)?;
                }
            }
        }
        Ok(())
    }
}

// Tests print a failed verdict with `{:?}` (`expect`, `unwrap_err`): show the text there too.
impl fmt::Debug for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn write_labelled(f: &mut fmt::Formatter<'_>, label: &str, value: &Shown) -> fmt::Result {
    match value {
        Shown::Inline(value) => write!(f, "\n    {label}: {value}"),
        Shown::Block(lines) => {
            write!(f, "\n    {label}:")?;
            lines
                .iter()
                .try_for_each(|line| write!(f, "\n      | {line}"))
        }
    }
}

/// What was observed that refutes a claim: the facts a negative control's
/// failure must name (the root user, a shell's path, a setuid file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence(Vec<String>);

impl Evidence {
    /// Each fact as a message shows it, by the one rule of [`escaping`].
    pub fn of<T: fmt::Display>(facts: impl IntoIterator<Item = T>) -> Self {
        Evidence(
            facts
                .into_iter()
                .map(|fact| escaping::value(&fact.to_string(), escaping::MAX_VALUE_CHARS))
                .collect(),
        )
    }

    /// The first problem of a verdict, what it is of and what was
    /// observed (the first line of a block): for a check whose problems
    /// each name the fact that refutes the claim.
    pub fn of_first_problem(verdict: &Result<(), Mismatch>) -> Self {
        let Err(mismatch) = verdict else {
            return Evidence::none();
        };
        let Some(problem) = mismatch.problems.first() else {
            return Evidence::none();
        };
        let observed = match &problem.observed {
            Shown::Inline(observed) => Some(observed.clone()),
            Shown::Block(lines) => lines.first().cloned(),
        };
        Evidence::of(std::iter::once(problem.what.clone()).chain(observed))
    }

    /// For a check whose control proves nothing more than failing.
    pub fn none() -> Self {
        Evidence::default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `message` names every fact.
    pub fn all_named_in(&self, message: &str) -> bool {
        self.0.iter().all(|fact| message.contains(fact.as_str()))
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

/// A list as a message shows it: `a, b, c`, or `none`.
pub fn listed<T: fmt::Display>(items: &[T]) -> Shown {
    if items.is_empty() {
        return plain("none");
    }
    let shown: Vec<String> = items.iter().map(ToString::to_string).collect();
    plain(shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_of_control_characters_is_shown_cut_with_its_length() {
        let flood = "\0".repeat(1_000_000);
        let Shown::Inline(shown) = text(&flood) else {
            panic!("one line is shown inline");
        };
        assert_eq!(
            shown,
            format!(
                "\"{}… (1000000 characters)\" with no final newline",
                "\\u{0}".repeat(MAX_LINE_CHARS / 5)
            )
        );
    }

    #[test]
    fn a_line_within_the_bound_is_shown_whole() {
        let line = "y".repeat(MAX_LINE_CHARS);
        assert!(text(&format!("{line}\n")) == plain(format!("\"{line}\"")));
    }
}
