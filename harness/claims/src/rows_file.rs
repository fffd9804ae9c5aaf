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
    Build, MAX_HEALTHY_WITHIN_MS, MAX_STOP_AFTER_MS, MAX_STOP_WITHIN_MS, ReadyCondition, Row,
    Smoke, leaves_its_directory,
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
    if row
        .claims
        .stops
        .iter()
        .any(|stop| stop.after_ms.is_some_and(|after| after > MAX_STOP_AFTER_MS))
    {
        return Some(format!(
            "gives a stop claim an after_ms over {MAX_STOP_AFTER_MS}: a ready container waits at \
             most that long to be asked"
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
            Smoke::Http(_) | Smoke::BecomingReady => None,
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
    if let Some(problem) = life_problem(row) {
        return Some(problem);
    }
    if let Some(within) = row.claims.healthy_within_ms
        && (within == 0 || within > MAX_HEALTHY_WITHIN_MS)
    {
        return Some(format!(
            "gives healthy_within_ms 0 or over {MAX_HEALTHY_WITHIN_MS}: a container is watched \
             for at most that long"
        ));
    }
    let asked_over_the_network = !row.published_ports().is_empty();
    if let Some(hardened) = &row.claims.hardened
        && asked_over_the_network
        && !hardened.network
    {
        return Some(
            "is asked over the network (its smoke run or its readiness), so its hardened run \
             needs network = true"
                .to_owned(),
        );
    }
    None
}

/// What makes the row's container life unusable: a service whose runtime
/// claims would be judged before it is ready, a readiness that cannot be
/// waited on, a smoke run left out where nothing stands in for it.
fn life_problem(row: &Row) -> Option<String> {
    let ready = row.ready.as_ref().map(|ready| &ready.condition);
    if let Some(ReadyCondition::Http { port: None, .. }) = ready
        && row.smoke.port().is_none()
    {
        return Some(
            "waits for an HTTP answer but names no port, and its smoke run is no server's: \
             give one, as ready = { http = { port = 8080, path = \"/\" }, within_ms = … }"
                .to_owned(),
        );
    }
    if !row.is_service() {
        if matches!(row.smoke, Smoke::BecomingReady) {
            return Some(
                "gives no smoke run: a row whose program waits on stdin needs one (only a \
                 service, residence = \"own-command\", may stand on becoming ready)"
                    .to_owned(),
            );
        }
        if matches!(
            ready,
            Some(ReadyCondition::Port(_) | ReadyCondition::Http { .. })
        ) {
            return Some(
                "waits on a port, but its program waits on stdin and publishes none: wait on a \
                 log line, an exec or its healthcheck, or make it a service (residence = \
                 \"own-command\")"
                    .to_owned(),
            );
        }
        return None;
    }
    if row.readiness().is_some() {
        return None;
    }
    if matches!(row.smoke, Smoke::BecomingReady) {
        return Some(
            "is a service with no smoke run and no readiness: say when it is ready, as ready = \
             { exec = [\"pg_isready\"], within_ms = 30000 } (or log, port, http, healthy)"
                .to_owned(),
        );
    }
    let claims = row.runtime_claims();
    if !claims.is_empty() {
        return Some(format!(
            "is a service (residence = \"own-command\") whose runtime claims ({}) would be \
             judged before it is ready: say when it is ready, as ready = {{ exec = [\"redis-cli\", \
             \"ping\"], within_ms = 10000 }} (or log, port, http, healthy)",
            claims.join(", ")
        ));
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
                "smoke = { port = 80, path = \"/\", status = 200, body = \"\" }\nready = { log = '(', within_ms = 1 }\n",
                "is not a valid regular expression",
                "line 5",
            ),
            (
                "smoke = { stdout = \"\" }\n[image.claims]\nstops = { signal = \"SIGTREM\", within_ms = 1000, exit_code = 143 }\n",
                "\"SIGTREM\" is not a signal",
                "line 6",
            ),
            (
                "smoke = { stdout = \"\" }\n[image.claims]\nsize = { x86_64 = 1000 }\n",
                "\"x86_64\" is not an architecture as images name it (x86_64 is amd64 here)",
                "line 6",
            ),
            (
                "smoke = { port = 0, path = \"/\", status = 200, body = \"\" }\n",
                "0 is not a TCP port",
                "line 4",
            ),
            (
                "smoke = { stdout = \"\" }\nready = { tcp = 80, within_ms = 1000 }\n",
                "unknown field `tcp`",
                "line 5",
            ),
            (
                "smoke = { port = 80, path = \"/\", status = 200, body = \"\", ready = { port = 80, within_ms = 1000 } }\n",
                "ready is the row's now",
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

    /// A service row with `ready` (TOML, or none) and `rest`.
    fn service(ready: Option<&str>, rest: &str) -> String {
        let ready = ready.map_or_else(String::new, |ready| format!("ready = {ready}\n"));
        format!(
            "[[image]]\nname = \"image\"\nreference = \"image:1\"\nresidence = \"own-command\"\n\
             {ready}{rest}"
        )
    }

    #[test]
    fn a_readiness_condition_says_one_thing_in_bounded_time() {
        let ready = |ready: &str| service(Some(ready), "");
        assert!(
            refusal(&ready("{ port = 80, log = \"x\", within_ms = 100 }"))
                .contains("other than one of")
        );
        assert!(refusal(&ready("{ port = 80, within_ms = 0 }")).contains("within_ms is 0"));
        assert!(refusal(&ready("{ exec = [], within_ms = 1000 }")).contains("names no command"));
        for kind in [
            "{ exec = [\"pg_isready\"], within_ms = 5000 }",
            "{ healthy = true, within_ms = 5000 }",
            "{ http = { port = 8080, path = \"/health\" }, within_ms = 5000 }",
            "{ log = \"ready\", within_ms = 5000 }",
            "{ port = 6379, within_ms = 5000 }",
        ] {
            assert!(parsed(&ready(kind)).is_ok(), "{kind}");
        }
        let no_port = refusal(&ready("{ http = \"/health\", within_ms = 5000 }"));
        assert!(no_port.contains("names no port"), "{no_port}");
    }

    #[test]
    fn a_service_whose_runtime_claims_would_be_judged_before_it_is_ready_is_refused() {
        let claims = "claims = { any_user = true, stops = { within_ms = 1000, exit_code = 0 } }\n";
        let refused = refusal(&service(
            None,
            &format!("smoke = {{ args = [\"--version\"], stdout = \"\" }}\n{claims}"),
        ));
        assert!(
            refused.contains(
                "whose runtime claims (stops, any_user) would be judged before it is ready"
            ),
            "{refused}"
        );
        let nothing = refusal(&service(None, ""));
        assert!(
            nothing.contains("no smoke run and no readiness"),
            "{nothing}"
        );
        let ready = "{ exec = [\"redis-cli\", \"ping\"], within_ms = 10000 }";
        let rows = parsed(&service(Some(ready), claims)).expect("a service with a readiness");
        assert!(matches!(rows[0].smoke, Smoke::BecomingReady));
        // A server smoke run's answer is its readiness.
        let server = "smoke = { port = 80, path = \"/\", status = 200, body = \"\" }\n";
        assert!(parsed(&service(None, &format!("{server}{claims}"))).is_ok());
    }

    #[test]
    fn a_program_waiting_on_stdin_needs_a_smoke_run_and_publishes_no_port() {
        let head = "[[image]]\nname = \"image\"\nreference = \"image:1\"\n";
        let no_smoke = refusal(head);
        assert!(no_smoke.contains("gives no smoke run"), "{no_smoke}");
        let port = refusal(&format!(
            "{head}smoke = {{ stdout = \"\" }}\nready = {{ port = 80, within_ms = 1000 }}\n"
        ));
        assert!(port.contains("publishes none"), "{port}");
    }
}
