//! A command run of an image, as data: what goes in (arguments, standard
//! input, environment, user, working directory, an entrypoint in place of
//! the image's), and what must come out (stdout and stderr, each matched
//! exactly, by a substring, by a regular expression, or as empty; and an
//! exit code); with the pure verdict of an observed run against it.
//!
//! ```toml
//! { name = "remainder", args = ["9", "%", "4"], stdout = "1\n" }
//! { name = "help", args = ["--help"], stdout = { matches = '^Usage: ' } }
//! { name = "no such file", args = ["/nope"], stdout = "", stderr = { contains = "not found" }, exit_code = 1 }
//! ```

use crate::verdict::{Problem, Shown, plain, text};
use image_probe::Outcome;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt;

/// `docker run IMAGE ARGS...` (or, for a row's further commands, an exec of
/// the image's entrypoint with ARGS in a resident container of it), with
/// `stdin`: its stdout and stderr must match, and it must exit `exit_code`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandRun {
    /// Names its trial, `command_gives_its_expected_output::ROW::NAME`.
    #[serde(default)]
    pub name: Option<String>,
    /// Replaces the image's entrypoint, as `--entrypoint` does (with its
    /// arguments, which `--entrypoint` cannot take).
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// The arguments; none keeps the image's CMD, as `docker run IMAGE` does.
    #[serde(default)]
    pub args: Vec<Input>,
    #[serde(default)]
    pub stdin: Option<Input>,
    pub stdout: Expected,
    /// Nothing, unless it says.
    #[serde(default)]
    pub stderr: Expected,
    #[serde(default)]
    pub exit_code: i64,
    /// Environment variables besides the image's.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// `--user`: a name, `uid` or `uid:gid`.
    #[serde(default)]
    pub user: Option<String>,
    /// `--workdir`.
    #[serde(default)]
    pub workdir: Option<String>,
    /// `--memory` for this run, where the hardened run's is too little; for
    /// a row's further commands, which share a resident, the largest given.
    #[serde(default)]
    pub memory_mib: Option<i64>,
    /// For a seccomp claim's further run: the calls it is there to show
    /// needed, which the minimality proof tries it first for.
    #[serde(default)]
    pub decides: Vec<String>,
}

/// The most bytes of one argument: Linux's MAX_ARG_STRLEN (32 pages);
/// execve refuses a longer one with E2BIG.
pub const MAX_ARGUMENT_BYTES: usize = 128 * 1024;

/// The most bytes a run is given on stdin: calc's longest, the million
/// characters of its munmap run, is a quarter of a mebibyte; a rows file
/// can ask for any number of repetitions (300,000,000 took 900 MB).
pub const MAX_STDIN_BYTES: usize = 64 * 1024 * 1024;

impl CommandRun {
    /// The arguments, their repetitions written out.
    pub fn arguments(&self) -> Vec<String> {
        self.args.iter().map(Input::text).collect()
    }

    /// The standard input, its repetitions written out.
    pub fn input(&self) -> Option<Vec<u8>> {
        self.stdin.as_ref().map(|input| input.text().into_bytes())
    }

    /// The environment as the engine takes it: `NAME=value`.
    pub fn environment(&self) -> Vec<String> {
        self.env
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect()
    }

    /// Why this command cannot be run as written, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if let Some(arg) = self.args.iter().find(|arg| {
            arg.byte_count()
                .is_none_or(|count| count > MAX_ARGUMENT_BYTES)
        }) {
            return Some(format!(
                "gives an argument ({}) of more than {MAX_ARGUMENT_BYTES} bytes, which execve \
                 refuses",
                arg.describe()
            ));
        }
        let too_long = self.stdin.as_ref().is_some_and(|input| {
            input
                .byte_count()
                .is_none_or(|count| count > MAX_STDIN_BYTES)
        });
        if too_long {
            return Some(format!(
                "gives a run more than {MAX_STDIN_BYTES} bytes of stdin, more than any check \
                 needs (each run holds its input in memory)"
            ));
        }
        if self.memory_mib.is_some_and(|memory| memory < 1) {
            return Some(
                "gives a run a memory_mib under 1, which Docker reads as no limit at all"
                    .to_owned(),
            );
        }
        if self.entrypoint.as_ref().is_some_and(Vec::is_empty) {
            return Some(
                "gives an empty entrypoint: name the program to run in place of the image's"
                    .to_owned(),
            );
        }
        None
    }

    /// The command as a person would type it.
    pub fn describe(&self) -> String {
        let mut words = vec!["docker run".to_owned()];
        if let Some(user) = &self.user {
            words.push(format!("--user {user}"));
        }
        if let Some(workdir) = &self.workdir {
            words.push(format!("--workdir {workdir}"));
        }
        words.extend(
            self.env
                .iter()
                .map(|(name, value)| format!("--env {}", shell_word(&format!("{name}={value}")))),
        );
        let entrypoint = self.entrypoint.as_deref().unwrap_or_default();
        if let Some(program) = entrypoint.first() {
            words.push(format!("--entrypoint {}", shell_word(program)));
        }
        words.push("IMAGE".to_owned());
        words.extend(entrypoint.iter().skip(1).map(|word| shell_word(word)));
        words.extend(self.args.iter().map(Input::describe_as_word));
        let mut shown = words.join(" ");
        if let Some(input) = &self.stdin {
            shown.push_str(&format!(" with {} on stdin", input.describe()));
        }
        shown
    }

    /// The problems of an observed run against this command's expectations.
    pub fn differences(&self, observed: &Outcome) -> Vec<Problem> {
        let mut problems = Vec::new();
        problems.extend(self.stdout.problem("stdout", &observed.stdout));
        problems.extend(self.stderr.problem("stderr", &observed.stderr));
        if observed.code != self.exit_code {
            problems.push(Problem::new(
                "exit code",
                plain(self.exit_code),
                plain(observed.code),
            ));
        }
        problems
    }

    /// Whether the observed run is what this command expects.
    pub fn matches(&self, observed: &Outcome) -> bool {
        self.differences(observed).is_empty()
    }
}

/// A text a run is given: as written, `{ repeat = "1 + ", times = 3, then
/// = "1" }`, or a list of pieces, each a text or `{ repeat, times }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Input {
    Text(String),
    Repeated {
        repeat: String,
        times: usize,
        #[serde(default)]
        then: String,
    },
    Pieces(Vec<Input>),
}

impl Input {
    /// How many bytes [`Input::text`] gives; `None` past `usize`.
    pub fn byte_count(&self) -> Option<usize> {
        match self {
            Input::Text(text) => Some(text.len()),
            Input::Repeated {
                repeat,
                times,
                then,
            } => repeat.len().checked_mul(*times)?.checked_add(then.len()),
            Input::Pieces(pieces) => pieces
                .iter()
                .try_fold(0usize, |sum, piece| sum.checked_add(piece.byte_count()?)),
        }
    }

    /// The text, written out: call only once [`Input::byte_count`] is bounded.
    pub fn text(&self) -> String {
        match self {
            Input::Text(text) => text.clone(),
            Input::Repeated {
                repeat,
                times,
                then,
            } => {
                let mut text = repeat.repeat(*times);
                text.push_str(then);
                text
            }
            Input::Pieces(pieces) => pieces.iter().map(Input::text).collect(),
        }
    }

    /// The input in a few words: short texts whole, long ones by their parts.
    pub fn describe(&self) -> String {
        match self {
            Input::Text(text) if text.len() > SHOWN_INPUT_BYTES => {
                format!("{} bytes", text.len())
            }
            Input::Text(text) => format!("{text:?}"),
            Input::Repeated {
                repeat,
                times,
                then,
            } => format!("{repeat:?} {times} times then {then:?}"),
            Input::Pieces(pieces) => pieces
                .iter()
                .map(Input::describe)
                .collect::<Vec<_>>()
                .join(" + "),
        }
    }

    /// As an argument of a command line a person reads.
    fn describe_as_word(&self) -> String {
        match self {
            Input::Text(text) if text.len() <= SHOWN_INPUT_BYTES => shell_word(text),
            other => format!("<{}>", other.describe()),
        }
    }
}

/// The longest input or argument a description shows whole.
const SHOWN_INPUT_BYTES: usize = 60;

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

/// What an output stream must be: every matcher must hold.
#[derive(Clone, Debug)]
pub struct Expected(pub Vec<Matcher>);

impl Default for Expected {
    /// Nothing at all: a program that writes to stderr when it works says
    /// so in its row.
    fn default() -> Self {
        Expected(vec![Matcher::Exactly(String::new())])
    }
}

/// One way an output stream must be.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// `"text"` or `{ exactly = "text" }`.
    Exactly(String),
    /// `{ contains = "text" }`.
    Contains(String),
    /// `{ matches = 'regex' }`: found anywhere unless anchored (`^`, `$`,
    /// `(?m)` for lines).
    Matches(Pattern),
    /// `{ empty = true }`.
    Empty,
}

impl Matcher {
    fn holds(&self, output: &str) -> bool {
        match self {
            Matcher::Exactly(expected) => output == expected,
            Matcher::Contains(part) => output.contains(part.as_str()),
            Matcher::Matches(pattern) => pattern.0.is_match(output),
            Matcher::Empty => output.is_empty(),
        }
    }

    fn shown(&self, show: fn(&str) -> Shown) -> Shown {
        match self {
            Matcher::Exactly(expected) => show(expected),
            Matcher::Contains(part) => plain(format!("a text containing {part:?}")),
            Matcher::Matches(pattern) => plain(format!("a text matching /{pattern}/")),
            Matcher::Empty => plain("nothing"),
        }
    }
}

impl Expected {
    /// The first matcher `output` fails, as a problem of the stream `what`.
    pub fn problem(&self, what: &str, output: &str) -> Option<Problem> {
        self.problem_shown(what, output, text)
    }

    /// The first matcher a setting's `value` (a label, a variable) fails,
    /// the value shown quoted, as a setting is.
    pub fn value_problem(&self, what: &str, value: &str) -> Option<Problem> {
        self.problem_shown(what, value, |value| plain(format!("{value:?}")))
    }

    fn problem_shown(&self, what: &str, output: &str, show: fn(&str) -> Shown) -> Option<Problem> {
        let failed = self.0.iter().find(|matcher| !matcher.holds(output))?;
        Some(Problem::new(what, failed.shown(show), show(output)))
    }
}

impl<'de> Deserialize<'de> for Expected {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Text(String),
            One(MatcherTable),
            All(Vec<MatcherTable>),
        }
        let written = Written::deserialize(deserializer).map_err(|_| {
            serde::de::Error::custom(
                "an expected output is a text (matched exactly), a table with one of exactly, \
                 contains, matches (a regular expression) or empty = true, or a list of such \
                 tables, all of which must hold",
            )
        })?;
        let tables = match written {
            Written::Text(text) => return Ok(Expected(vec![Matcher::Exactly(text)])),
            Written::One(table) => vec![table],
            Written::All(tables) => tables,
        };
        let matchers = tables
            .into_iter()
            .map(MatcherTable::matcher)
            .collect::<Result<Vec<_>, _>>()
            .map_err(serde::de::Error::custom)?;
        if matchers.is_empty() {
            return Err(serde::de::Error::custom(
                "an empty list of matchers checks nothing: give at least one",
            ));
        }
        Ok(Expected(matchers))
    }
}

/// A matcher as written: exactly one of its keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatcherTable {
    exactly: Option<String>,
    contains: Option<String>,
    matches: Option<String>,
    empty: Option<bool>,
}

impl MatcherTable {
    fn matcher(self) -> Result<Matcher, String> {
        match (self.exactly, self.contains, self.matches, self.empty) {
            (Some(text), None, None, None) => Ok(Matcher::Exactly(text)),
            (None, Some(part), None, None) => Ok(Matcher::Contains(part)),
            (None, None, Some(pattern), None) => Pattern::new(&pattern).map(Matcher::Matches),
            (None, None, None, Some(true)) => Ok(Matcher::Empty),
            (None, None, None, Some(false)) => Err(
                "empty = false checks nothing: say what the output holds (contains, matches)"
                    .to_owned(),
            ),
            _ => Err(
                "a matcher is a table with exactly one of exactly, contains, matches, empty"
                    .to_owned(),
            ),
        }
    }
}

/// A regular expression, compiled when the rows file is read, so that a
/// bad one is refused with its line before anything is built. Its size is
/// bounded by the regex crate's defaults (no backtracking: matching is
/// linear in the output, which is itself bounded).
#[derive(Clone, Debug)]
pub struct Pattern(pub regex::Regex);

impl Pattern {
    pub fn new(pattern: &str) -> Result<Pattern, String> {
        regex::Regex::new(pattern)
            .map(Pattern)
            .map_err(|error| format!("{pattern:?} is not a valid regular expression: {error}"))
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pattern = String::deserialize(deserializer)?;
        Pattern::new(&pattern).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(text: &str) -> Result<CommandRun, String> {
        toml::from_str(text).map_err(|error| error.to_string())
    }

    fn outcome(stdout: &str, stderr: &str, code: i64) -> Outcome {
        Outcome::from_streams(stdout.as_bytes(), stderr.as_bytes(), code)
    }

    #[test]
    fn a_text_is_matched_exactly_and_stderr_must_be_empty_unless_stated() {
        let run = command(r#"stdout = "1\n""#).expect("a command");
        assert!(run.matches(&outcome("1\n", "", 0)));
        assert!(!run.matches(&outcome("1", "", 0)));
        assert!(!run.matches(&outcome("1\n", "warning\n", 0)));
        assert!(!run.matches(&outcome("1\n", "", 1)));
    }

    #[test]
    fn each_matcher_kind_passes_and_fails_on_what_it_says() {
        let cases = [
            (
                r#"{ contains = "calc" }"#,
                "this is calc 1.0\n",
                "this is bc\n",
            ),
            (
                r#"{ matches = '^calc \d+\.\d+' }"#,
                "calc 1.0\n",
                "a calc 1.0\n",
            ),
            ("{ empty = true }", "", "\n"),
            (r#"{ exactly = "x" }"#, "x", "x\n"),
            (
                r#"[{ contains = "a" }, { matches = 'b$' }]"#,
                "a b",
                "a b c",
            ),
        ];
        for (matcher, passing, failing) in cases {
            let run = command(&format!("stdout = {matcher}")).expect(matcher);
            assert!(
                run.matches(&outcome(passing, "", 0)),
                "{matcher} on {passing:?}"
            );
            assert!(
                !run.matches(&outcome(failing, "", 0)),
                "{matcher} on {failing:?}"
            );
        }
    }

    #[test]
    fn a_failed_matcher_is_said_with_what_was_observed() {
        let run = command(r#"stdout = { matches = '^Usage' }"#).expect("a command");
        let problems = run.differences(&outcome("usage\n", "", 0));
        let shown = crate::verdict::Mismatch::verdict("calc:scratch: calc -h", problems)
            .map_err(|mismatch| mismatch.to_string());
        assert_eq!(
            shown,
            Err("calc:scratch: calc -h\n  stdout: expected a text matching /^Usage/, observed \"usage\"".to_owned())
        );
    }

    #[test]
    fn a_bad_regex_an_unknown_key_or_two_matcher_keys_are_refused_with_their_line() {
        for (text, said) in [
            (
                "stdout = { matches = '(' }",
                "is not a valid regular expression",
            ),
            ("stdout = \"\"\nstdot = \"\"", "unknown field `stdot`"),
            (
                r#"stdout = { contains = "a", matches = "b" }"#,
                "exactly one of exactly, contains, matches, empty",
            ),
            ("stdout = { empty = false }", "checks nothing"),
        ] {
            let refused = command(text);
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|message| message.contains(said) && message.contains("line")),
                "{text}: {refused:?}"
            );
        }
    }

    #[test]
    fn pieces_write_out_nesting_and_are_bounded() {
        let run = command(
            r#"args = [[{ repeat = "(", times = 3 }, "1", { repeat = ")", times = 3 }]]
            stdout = """#,
        )
        .expect("a command");
        assert_eq!(run.arguments(), vec!["(((1)))".to_owned()]);
        let long = command(
            r#"args = [{ repeat = "1", times = 200000 }]
            stdout = """#,
        )
        .expect("a command");
        assert!(
            long.problem()
                .is_some_and(|problem| problem.contains("execve"))
        );
    }
}
