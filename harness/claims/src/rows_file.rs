//! The rows file: a user's images, in TOML, each an `[[image]]` table.
//!
//! ```toml
//! [[image]]
//! name = "scratch"
//! build = { dockerfile = "Dockerfile", tag = "calc:scratch", context = ["Cargo.toml", "src"] }
//! smoke = { args = ["9", "%", "4"], stdout = "1\n" }
//! claims = { user = "65532:65532", no_shell = true, files = { "/calc" = "755" } }
//! ```
//!
//! Paths in it (Dockerfiles, build roots, seccomp profiles) are relative to
//! the file's own directory, so a rows file works from any working directory.

use crate::command::CommandRun;
use crate::row::{
    Build, MAX_HEALTHY_WITHIN_MS, MAX_READY_WITHIN_MS, MAX_STOP_WITHIN_MS, Row, Smoke,
    leaves_its_directory,
};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowsFile {
    image: Vec<Row>,
}

/// A file of commands several rows share (a row's `commands_from`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandsFile {
    command: Vec<CommandRun>,
}

/// Why a rows file cannot be used.
#[derive(Debug)]
pub enum RowsError {
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    Parse {
        path: PathBuf,
        error: Box<toml::de::Error>,
    },
    Invalid {
        path: PathBuf,
        row: String,
        problem: String,
    },
}

impl fmt::Display for RowsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowsError::Read { path, error } => {
                write!(f, "cannot read the rows file {}: {error}", path.display())
            }
            RowsError::Parse { path, error } => {
                write!(f, "{} is not a valid rows file: {error}", path.display())
            }
            RowsError::Invalid { path, row, problem } => {
                write!(f, "{}: the row {row:?} {problem}", path.display())
            }
        }
    }
}

impl std::error::Error for RowsError {}

/// The rows of the file at `path`, their paths made absolute.
pub fn load(path: &Path) -> Result<Vec<Row>, RowsError> {
    let text = std::fs::read_to_string(path).map_err(|error| RowsError::Read {
        path: path.to_owned(),
        error,
    })?;
    let base = path
        .canonicalize()
        .ok()
        .and_then(|file| file.parent().map(Path::to_owned))
        .unwrap_or_else(|| PathBuf::from("."));
    parse(&text, path, &base)
}

/// The rows of standard input, their paths relative to the current
/// directory: `image-claims check -`, as a pipe or a container's `-i` gives
/// them.
pub fn load_standard_input() -> Result<Vec<Row>, RowsError> {
    let path = Path::new("standard input");
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|error| RowsError::Read {
            path: path.to_owned(),
            error,
        })?;
    let base = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    parse(&text, path, &base)
}

/// The rows of `text`, as read from `path`, relative to `base`.
pub fn parse(text: &str, path: &Path, base: &Path) -> Result<Vec<Row>, RowsError> {
    let file: RowsFile = toml::from_str(text).map_err(|error| RowsError::Parse {
        path: path.to_owned(),
        error: Box::new(error),
    })?;
    let mut names = BTreeSet::new();
    let mut rows: Vec<Row> = Vec::new();
    for mut row in file.image {
        let invalid = |problem: &str| RowsError::Invalid {
            path: path.to_owned(),
            row: row.name.clone(),
            problem: problem.to_owned(),
        };
        if !names.insert(row.name.clone()) {
            return Err(invalid("is named twice: each row needs a name of its own"));
        }
        if let Some(from) = &row.commands_from {
            if leaves_its_directory(from) {
                return Err(invalid(&format!(
                    "takes commands from {:?}, outside the rows file's directory: keep the file \
                     of commands beside the rows file",
                    from.display().to_string()
                )));
            }
            let shared = load_commands(&base.join(from))?;
            row.commands.extend(shared);
        }
        if let Some(problem) = problem_of(&row) {
            return Err(invalid(&problem));
        }
        if let Some(build) = row.build.as_mut() {
            build.root = Some(base.join(build.root.take().unwrap_or_default()));
        }
        if let Some(other) = built_otherwise(&rows, &row) {
            return Err(invalid(&format!(
                "builds the tag the row {other:?} builds, from another build: one image would \
                 replace the other; give it a tag of its own, or the same build"
            )));
        }
        if let Some(seccomp) = row.claims.seccomp.as_mut() {
            seccomp.profile = base.join(&seccomp.profile);
        }
        rows.push(row);
    }
    if let Some((row, tag)) = tag_over_an_input(&rows) {
        return Err(RowsError::Invalid {
            path: path.to_owned(),
            row,
            problem: format!(
                "builds the tag {tag:?}, which a row builds from or checks by reference: the \
                 build would replace that image in the engine; give it a tag of its own"
            ),
        });
    }
    Ok(rows)
}

/// The commands of a file of `[[command]]` tables.
pub fn load_commands(path: &Path) -> Result<Vec<CommandRun>, RowsError> {
    let text = std::fs::read_to_string(path).map_err(|error| RowsError::Read {
        path: path.to_owned(),
        error,
    })?;
    let file: CommandsFile = toml::from_str(&text).map_err(|error| RowsError::Parse {
        path: path.to_owned(),
        error: Box::new(error),
    })?;
    Ok(file.command)
}

/// A row, and its tag, whose build would overwrite an image some row reads:
/// a base of a build, or an image given by reference.
fn tag_over_an_input(rows: &[Row]) -> Option<(String, String)> {
    let inputs: BTreeSet<&str> = rows
        .iter()
        .flat_map(|row| {
            let bases = row.build.iter().flat_map(|build| build.bases.iter());
            bases.chain(row.reference.iter()).map(String::as_str)
        })
        .collect();
    rows.iter().find_map(|row| {
        let tag = &row.build.as_ref()?.tag;
        inputs
            .contains(tag.as_str())
            .then(|| (row.name.clone(), tag.clone()))
    })
}

/// The name of an earlier row that builds `row`'s tag from another build.
fn built_otherwise<'a>(rows: &'a [Row], row: &Row) -> Option<&'a str> {
    let build = row.build.as_ref()?;
    rows.iter()
        .filter_map(|other| Some((other.name.as_str(), other.build.as_ref()?)))
        .find(|(_, other)| other.tag == build.tag && *other != build)
        .map(|(name, _)| name)
}

/// What makes a row unusable, in words that finish "the row NAME …".
fn problem_of(row: &Row) -> Option<String> {
    match (&row.build, &row.reference) {
        (None, None) => {
            return Some(
                "gives neither build nor reference: say where its image comes from".to_owned(),
            );
        }
        (Some(_), Some(_)) => return Some("gives both build and reference: keep one".to_owned()),
        _ => {}
    }
    if let Some(outside) = row.build.as_ref().and_then(Build::path_outside) {
        return Some(format!(
            "builds from {outside:?}, outside the rows file's directory: a build sends what it \
             names to the engine, so a rows file keeps to its own directory unless its build \
             says outside_rows_directory = true"
        ));
    }
    let rebuild_argument = row
        .build
        .as_ref()
        .and_then(|build| build.rebuild_argument.as_ref());
    if row.claims.reproducible && !row.negative_control && rebuild_argument.is_none() {
        return Some(
            "claims reproducible but its build names no rebuild_argument, the build argument \
             (ARG) that reruns its compile step"
                .to_owned(),
        );
    }
    if row
        .claims
        .stops
        .iter()
        .any(|stop| stop.within_ms == 0 || stop.within_ms > MAX_STOP_WITHIN_MS)
    {
        return Some(format!(
            "gives a stop claim a within_ms of 0 or over {MAX_STOP_WITHIN_MS}: a container is \
             watched for at most that long after the signal"
        ));
    }
    if let Some(hardened) = &row.claims.hardened
        && (hardened.pids_limit < 1 || hardened.memory_mib < 1)
    {
        return Some(
            "gives the hardened run a pids_limit or memory_mib under 1, which Docker reads as no \
             limit at all: give a limit, or leave the key out for the default"
                .to_owned(),
        );
    }
    let runs = row
        .deciding_runs()
        .into_iter()
        .filter_map(|run| match run {
            Smoke::Command(run) => Some(run),
            Smoke::Http(_) => None,
        })
        .chain(row.commands.iter().cloned());
    for run in runs {
        if let Some(problem) = run.problem() {
            return Some(format!("{}: {problem}", run.describe()));
        }
    }
    if let Some(problem) = commands_problem(row) {
        return Some(problem);
    }
    if let Smoke::Http(run) = &row.smoke
        && let Some(ready) = &run.ready
        && (ready.within_ms == 0 || ready.within_ms > MAX_READY_WITHIN_MS)
    {
        return Some(format!(
            "gives a readiness condition a within_ms of 0 or over {MAX_READY_WITHIN_MS}"
        ));
    }
    if let Some(within) = row.claims.healthy_within_ms
        && (within == 0 || within > MAX_HEALTHY_WITHIN_MS)
    {
        return Some(format!(
            "gives healthy_within_ms 0 or over {MAX_HEALTHY_WITHIN_MS}: a container is watched \
             for at most that long"
        ));
    }
    if let (Some(hardened), Smoke::Http(_)) = (&row.claims.hardened, &row.smoke)
        && !hardened.network
    {
        return Some(
            "is a server smoke-tested over the network, so its hardened run needs network = true"
                .to_owned(),
        );
    }
    None
}

/// Why the row's further commands cannot name their trials, if they cannot.
fn commands_problem(row: &Row) -> Option<String> {
    let mut names = BTreeSet::new();
    for command in &row.commands {
        let Some(name) = command.name.as_deref().filter(|name| !name.is_empty()) else {
            return Some(format!(
                "gives the command {} no name: each of its commands names its trial",
                command.describe()
            ));
        };
        if !names.insert(name) {
            return Some(format!(
                "names two commands {name:?}: each names a trial of its own"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two rows building `tag`, the second from the stage `target`.
    fn two_rows(target: &str) -> String {
        format!(
            r#"
            [[image]]
            name = "image"
            build = {{ dockerfile = "Dockerfile", tag = "same:1", context = ["src"] }}
            smoke = {{ args = ["true"], stdout = "" }}

            [[image]]
            name = "control"
            negative_control = true
            build = {{ dockerfile = "Dockerfile", tag = "same:1", context = ["src"]{target} }}
            smoke = {{ args = ["true"], stdout = "" }}
            "#
        )
    }

    fn parsed(text: &str) -> Result<Vec<Row>, RowsError> {
        parse(text, Path::new("rows.toml"), Path::new("/rows"))
    }

    #[test]
    fn rows_may_share_a_tag_built_the_same_way() {
        let rows = parsed(&two_rows(""));
        assert!(rows.as_ref().is_ok_and(|rows| rows.len() == 2), "{rows:?}");
    }

    #[test]
    fn rows_building_one_tag_two_ways_are_refused() {
        let refused = parsed(&two_rows(r#", target = "debug""#)).map(|_| ());
        let message = refused.as_ref().map_err(ToString::to_string);
        assert!(
            message
                .as_ref()
                .is_err_and(|said| said
                    .contains(r#"the row "control" builds the tag the row "image" builds"#)),
            "{message:?}"
        );
    }

    /// A row with the stop claim `stops`.
    fn stopping(stops: &str) -> String {
        format!(
            r#"
            [[image]]
            name = "image"
            reference = "image:1"
            smoke = {{ args = ["true"], stdout = "" }}
            claims = {{ stops = {stops} }}
            "#
        )
    }

    #[test]
    fn a_stop_claim_is_one_table_or_a_list() {
        let one = parsed(&stopping("{ within_ms = 1000, exit_code = 143 }"));
        let stops = one.map(|rows| rows[0].claims.stops.clone());
        assert_eq!(
            stops.as_ref().map(Vec::len).ok(),
            Some(1),
            "{:?}",
            stops.as_ref().err()
        );
        let two = parsed(&stopping(
            r#"[{ within_ms = 1000, exit_code = 143 }, { signal = "SIGINT", within_ms = 1000, exit_code = 130 }]"#,
        ));
        let signals: Option<Vec<Option<String>>> = two.ok().map(|rows| {
            rows[0]
                .claims
                .stops
                .iter()
                .map(|stop| stop.signal.clone())
                .collect()
        });
        assert_eq!(signals, Some(vec![None, Some("SIGINT".to_owned())]));
    }

    #[test]
    fn a_stop_claim_with_no_time_or_over_a_minute_is_refused() {
        for within in ["0", "60001"] {
            let refused = parsed(&stopping(&format!(
                "{{ within_ms = {within}, exit_code = 143 }}"
            )));
            let message = refused.map(|_| ()).map_err(|error| error.to_string());
            assert!(
                message
                    .as_ref()
                    .is_err_and(|said| said.contains("a within_ms of 0 or over 60000")),
                "within_ms = {within}: {message:?}"
            );
        }
    }

    #[test]
    fn a_hardened_limit_of_zero_which_docker_reads_as_none_is_refused() {
        for limits in ["pids_limit = 0", "memory_mib = 0", "pids_limit = -1"] {
            let text = format!(
                r#"
                [[image]]
                name = "image"
                reference = "image:1"
                smoke = {{ args = ["true"], stdout = "" }}
                claims = {{ hardened = {{ {limits} }} }}
                "#
            );
            let message = parsed(&text).map(|_| ()).map_err(|error| error.to_string());
            assert!(
                message
                    .as_ref()
                    .is_err_and(|said| said.contains("which Docker reads as no limit at all")),
                "{limits}: {message:?}"
            );
        }
    }

    #[test]
    fn a_stdin_repeated_past_the_bound_is_refused() {
        let text = r#"
            [[image]]
            name = "image"
            reference = "image:1"
            smoke = { stdin = { repeat = "1 + ", times = 300000000, then = "1\n" }, stdout = "" }
            "#;
        let message = parsed(text).map(|_| ()).map_err(|error| error.to_string());
        assert!(
            message
                .as_ref()
                .is_err_and(|said| said.contains("more than 67108864 bytes of stdin")),
            "{message:?}"
        );
    }

    #[test]
    fn a_build_reaching_outside_the_rows_directory_is_refused_unless_it_says_so() {
        for (build, refused) in [
            (r#"root = "/""#, true),
            (r#"root = "../elsewhere""#, true),
            (r#"root = "/", outside_rows_directory = true"#, false),
            (r#"root = "inside""#, false),
        ] {
            let text = format!(
                r#"
                [[image]]
                name = "image"
                build = {{ dockerfile = "Dockerfile", tag = "image:1", context = ["src"], {build} }}
                smoke = {{ args = ["true"], stdout = "" }}
                "#
            );
            let message = parsed(&text).map(|_| ()).map_err(|error| error.to_string());
            let said_outside = message
                .as_ref()
                .is_err_and(|said| said.contains("outside the rows file's directory"));
            assert_eq!(said_outside, refused, "{build}: {message:?}");
        }
        let context = r#"
            [[image]]
            name = "image"
            build = { dockerfile = "Dockerfile", tag = "image:1", context = ["../../etc/shadow"] }
            smoke = { args = ["true"], stdout = "" }
            "#;
        assert!(parsed(context).is_err());
    }

    #[test]
    fn a_build_tagged_as_a_base_image_is_refused() {
        let text = r#"
            [[image]]
            name = "image"
            build = { dockerfile = "Dockerfile", tag = "debian:bookworm-slim", context = ["src"], bases = ["debian:bookworm-slim"] }
            smoke = { args = ["true"], stdout = "" }
            "#;
        let message = parsed(text).map(|_| ()).map_err(|error| error.to_string());
        assert!(
            message.as_ref().is_err_and(|said| said
                .contains(r#"builds the tag "debian:bookworm-slim", which a row builds from"#)),
            "{message:?}"
        );
    }

    /// The message `text`'s rows give, if refused.
    fn refusal(text: &str) -> String {
        parsed(text)
            .map(|_| ())
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn an_unknown_key_a_bad_regex_or_a_bad_hash_is_refused_with_its_line() {
        let head = "[[image]]\nname = \"image\"\nreference = \"image:1\"\n";
        for (rows, said, line) in [
            (
                "smoke = { args = [\"x\"], stdout = \"\", stdot = \"\" }\n",
                "unknown field `stdot`",
                "line 4",
            ),
            (
                "smoke = { stdout = { matches = '(' } }\n",
                "is not a valid regular expression",
                "line 4",
            ),
            (
                "smoke = { stdout = \"\" }\n[image.claims]\npaths = { \"/x\" = { sha256 = \"abc\" } }\n",
                "is not a SHA-256 digest",
                "line 6",
            ),
            (
                "smoke = { stdout = \"\" }\n[image.claims]\nconfig = { labels = { v = { matches = '[' } } }\n",
                "is not a valid regular expression",
                "line 6",
            ),
            (
                "smoke = { stdout = \"\" }\n[image.claims]\nconfig = { entrypont = [] }\n",
                "unknown field `entrypont`",
                "line 6",
            ),
            (
                "smoke = { port = 80, path = \"/\", status = 200, body = \"\", ready = { log = '(', within_ms = 1 } }\n",
                "is not a valid regular expression",
                "line 4",
            ),
        ] {
            let message = refusal(&format!("{head}{rows}"));
            assert!(
                message.contains(said) && message.contains(line),
                "{rows}: expected {said:?} at {line}, got: {message}"
            );
        }
    }

    #[test]
    fn commands_need_names_of_their_own() {
        let head =
            "[[image]]\nname = \"image\"\nreference = \"image:1\"\nsmoke = { stdout = \"\" }\n";
        let unnamed = refusal(&format!(
            "{head}commands = [{{ args = [\"-V\"], stdout = \"\" }}]\n"
        ));
        assert!(unnamed.contains("no name"), "{unnamed}");
        let twice = refusal(&format!(
            "{head}commands = [{{ name = \"v\", stdout = \"\" }}, {{ name = \"v\", stdout = \"\" }}]\n"
        ));
        assert!(twice.contains("names two commands \"v\""), "{twice}");
        let outside = refusal(&format!("{head}commands_from = \"../elsewhere.toml\"\n"));
        assert!(
            outside.contains("outside the rows file's directory"),
            "{outside}"
        );
    }

    #[test]
    fn a_readiness_condition_says_one_thing_in_bounded_time() {
        let row = |ready: &str| {
            format!(
                "[[image]]\nname = \"image\"\nreference = \"image:1\"\n\
                 smoke = {{ port = 80, path = \"/\", status = 200, body = \"\", ready = {ready} }}\n"
            )
        };
        assert!(
            refusal(&row("{ port = 80, http = \"/\", within_ms = 100 }"))
                .contains("other than one of")
        );
        assert!(refusal(&row("{ port = 80, within_ms = 0 }")).contains("within_ms of 0"));
        assert!(parsed(&row("{ http = \"/health\", within_ms = 5000 }")).is_ok());
    }
}
