//! One image under test, as data: where the image comes from, how it stays
//! running, a smoke run, what it claims, and whether it is a negative
//! control. A rows file (see `rows_file.rs`) is a list of these; a program
//! may also build them in code.

use crate::command::{CommandRun, Pattern};
use crate::config::ConfigClaim;
use crate::file_claim::FileClaim;
use image_probe::readiness::ReadyWhen;
use image_probe::resident::{Residence, StartAs};
use image_probe::{Architecture, Confinement};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    /// A short name for trials and the report.
    pub name: String,
    /// How the harness obtains the image: exactly one of `build` and `reference`.
    #[serde(default)]
    pub build: Option<Build>,
    /// An image the harness does not build: a tag or `name@sha256:…`,
    /// already in the engine or pullable.
    #[serde(default)]
    pub reference: Option<String>,
    /// How the image stays running for `docker exec` and `docker top`.
    #[serde(default)]
    pub residence: ResidenceKind,
    /// The arguments its resident containers start with, in place of the
    /// image's `CMD` (none: the `CMD`): for an image whose default command
    /// ends at once, a command that stays, as `residence` says.
    #[serde(default)]
    pub resident_args: Vec<String>,
    /// What its containers that stay running (residents, services, the
    /// fresh ones of stops and health) start with besides `resident_args`,
    /// in place of the image's own: `entrypoint`, `env`, `user`, `workdir`,
    /// as `docker run` takes them.
    #[serde(default)]
    pub start: Start,
    /// Its smoke run and resident containers need the network. Unset, they
    /// run with `--network none`, unless the smoke run is a server's, asked
    /// over the network: an image nobody here wrote reaches nothing from
    /// the machine that checks it.
    #[serde(default)]
    pub network: bool,
    /// When a container of the image is ready: before it, nothing is
    /// exec'd into it, read from it or signalled. A service (`residence =
    /// "own-command"`) with runtime claims needs one, or a server smoke run,
    /// whose answer is its readiness.
    #[serde(default)]
    pub ready: Option<Ready>,
    /// Its smoke run. A service with a readiness may leave it out: it then
    /// passes when the service, started as its image says, becomes ready.
    #[serde(default = "Smoke::becoming_ready")]
    pub smoke: Smoke,
    /// Further commands, each its own trial: an exec of the image's
    /// entrypoint with its arguments in a resident container of the image.
    #[serde(default)]
    pub commands: Vec<CommandRun>,
    /// A file of further commands (`[[command]]` tables), relative to the
    /// rows file's directory, for commands several rows share; its
    /// commands are added to `commands` when the rows file is read.
    #[serde(default)]
    pub commands_from: Option<PathBuf>,
    #[serde(default)]
    pub claims: Claims,
    /// A negative control states claims a good image makes, and the harness
    /// proves that each of its checks fails on it, for the right reason.
    #[serde(default)]
    pub negative_control: bool,
}

/// A Dockerfile to build, relative to the rows file's directory.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Build {
    pub dockerfile: String,
    /// The stage to build, as `docker build --target`: the last stage if unset.
    #[serde(default)]
    pub target: Option<String>,
    /// The tag the image gets.
    pub tag: String,
    /// The directory its paths are relative to: the rows file's, if unset.
    #[serde(default)]
    pub root: Option<PathBuf>,
    /// What the build context holds: files and directories, relative to
    /// `root`. The engine's API ignores `.dockerignore`, so the context is
    /// listed, never a whole directory with its build outputs.
    pub context: Vec<String>,
    /// The images its stages start FROM, made present (pulled) before the build.
    #[serde(default)]
    pub bases: Vec<String>,
    /// Build arguments.
    #[serde(default)]
    pub args: BTreeMap<String, String>,
    /// A build argument that reruns the compile step when changed, for the
    /// reproducibility claim: `ARG REBUILD` before the step that compiles.
    #[serde(default)]
    pub rebuild_argument: Option<String>,
    /// Lets `root`, `dockerfile` and `context` reach outside the rows
    /// file's directory (an absolute path, or `..`). Off, a rows file
    /// someone else wrote cannot send this machine's files to a build.
    #[serde(default)]
    pub outside_rows_directory: bool,
}

impl Build {
    /// The first of its paths that leaves the rows file's directory, unless allowed.
    pub fn path_outside(&self) -> Option<String> {
        if self.outside_rows_directory {
            return None;
        }
        let root = self
            .root
            .iter()
            .map(|root| root.to_string_lossy().into_owned());
        let named = std::iter::once(self.dockerfile.clone()).chain(self.context.iter().cloned());
        root.chain(named)
            .find(|path| leaves_its_directory(std::path::Path::new(path)))
    }
}

/// Whether a path relative to a directory reaches outside it: absolute, or
/// through `..`.
pub fn leaves_its_directory(path: &std::path::Path) -> bool {
    path.is_absolute()
        || path
            .components()
            .any(|part| part == std::path::Component::ParentDir)
}

/// How a row's containers that stay running start, besides their arguments.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Start {
    /// In place of the image's entrypoint, as `--entrypoint` (which drops
    /// the image's `CMD` too): the program and its first arguments.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// Environment variables besides the image's.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// `--user`, in place of the image's `USER`; an any-user check's
    /// arbitrary uid comes first.
    #[serde(default)]
    pub user: Option<String>,
    /// `--workdir`.
    #[serde(default)]
    pub workdir: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ResidenceKind {
    /// Its entrypoint waits on standard input, which the harness holds open.
    #[default]
    Stdin,
    /// Its own command runs until stopped, as a server's does.
    OwnCommand,
}

/// When a container is ready: a line of its log matches, a port holds a
/// connection, a path answers over HTTP, a command exec'd in it exits 0,
/// or the engine reports its HEALTHCHECK healthy, within `within_ms`.
/// Written `{ log = '…', within_ms = … }`, or with `port`, `http`, `exec`
/// or `healthy = true` for `log`.
#[derive(Clone, Debug)]
pub struct Ready {
    pub condition: ReadyCondition,
    pub within_ms: u64,
}

/// The one thing a readiness condition waits for.
#[derive(Clone, Debug)]
pub enum ReadyCondition {
    /// A regular expression a line of its stdout or stderr matches.
    Log(Pattern),
    /// A TCP port of the container that holds a connection.
    Port(Port),
    /// A path that answers over HTTP, with any status, on `port` (unset:
    /// the smoke run's).
    Http { port: Option<Port>, path: String },
    /// A command exec'd in the container, retried until it exits 0.
    Exec(Vec<String>),
    /// The engine reports the image's HEALTHCHECK healthy.
    Healthy,
}

/// A TCP port, 1 to 65535.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port(pub u16);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = i64::deserialize(deserializer)?;
        u16::try_from(number)
            .ok()
            .filter(|port| *port != 0)
            .map(Port)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("{number} is not a TCP port (1 to 65535)"))
            })
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Ready {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum HttpWritten {
            Path(String),
            At { port: Port, path: String },
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Written {
            #[serde(default)]
            log: Option<Pattern>,
            #[serde(default)]
            port: Option<Port>,
            #[serde(default)]
            http: Option<HttpWritten>,
            #[serde(default)]
            exec: Option<Vec<String>>,
            #[serde(default)]
            healthy: Option<bool>,
            within_ms: u64,
        }
        let written = Written::deserialize(deserializer)?;
        let mut conditions = Vec::new();
        conditions.extend(written.log.map(ReadyCondition::Log));
        conditions.extend(written.port.map(ReadyCondition::Port));
        conditions.extend(written.http.map(|http| match http {
            HttpWritten::Path(path) => ReadyCondition::Http { port: None, path },
            HttpWritten::At { port, path } => ReadyCondition::Http {
                port: Some(port),
                path,
            },
        }));
        match written.exec {
            Some(command) if command.is_empty() => {
                return Err(serde::de::Error::custom(
                    "a readiness exec names no command: give the program and its arguments, \
                     such as exec = [\"pg_isready\"]",
                ));
            }
            Some(command) => conditions.push(ReadyCondition::Exec(command)),
            None => {}
        }
        match written.healthy {
            Some(true) => conditions.push(ReadyCondition::Healthy),
            Some(false) => {
                return Err(serde::de::Error::custom(
                    "healthy = false waits for nothing: leave it out, or give another condition",
                ));
            }
            None => {}
        }
        if written.within_ms == 0 || written.within_ms > MAX_READY_WITHIN_MS {
            return Err(serde::de::Error::custom(format!(
                "a readiness condition's within_ms is 0 or over {MAX_READY_WITHIN_MS}"
            )));
        }
        let mut conditions = conditions.into_iter();
        match (conditions.next(), conditions.next()) {
            (Some(condition), None) => Ok(Ready {
                condition,
                within_ms: written.within_ms,
            }),
            _ => Err(serde::de::Error::custom(
                "a readiness condition gives other than one of log, port, http, exec and healthy",
            )),
        }
    }
}

/// The longest a readiness condition may wait.
pub const MAX_READY_WITHIN_MS: u64 = 120_000;

/// How long a server smoke run with no readiness of its row is asked until
/// it answers, as its readiness.
pub const IMPLIED_READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(20);

impl Ready {
    /// The condition as the probe waits on it; an HTTP path with no port
    /// of its own is asked on `smoke_port`.
    pub fn condition(&self, smoke_port: Option<u16>) -> Option<ReadyWhen> {
        Some(match &self.condition {
            ReadyCondition::Log(pattern) => {
                let regex = pattern.0.clone();
                ReadyWhen::LogLine {
                    test: std::sync::Arc::new(move |line: &str| regex.is_match(line)),
                    shown: format!("/{pattern}/"),
                }
            }
            ReadyCondition::Port(port) => ReadyWhen::Port(port.0),
            ReadyCondition::Http { port, path } => ReadyWhen::Http {
                port: port.map(|port| port.0).or(smoke_port)?,
                path: path.clone(),
            },
            ReadyCondition::Exec(command) => ReadyWhen::Exec(command.clone()),
            ReadyCondition::Healthy => ReadyWhen::Healthy,
        })
    }

    pub fn within(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.within_ms)
    }
}

impl ResidenceKind {
    pub fn probe(self) -> Residence {
        match self {
            ResidenceKind::Stdin => Residence::StdinHeldOpen,
            ResidenceKind::OwnCommand => Residence::OwnCommand,
        }
    }
}

/// A run that shows the image works: a command and what it prints, a
/// server (a table with a `port`) and what it answers over the network, or,
/// for a service that gives none, the service becoming ready.
#[derive(Clone, Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "a row holds one smoke run: its size does not matter, and a box would not say more"
)]
pub enum Smoke {
    Command(CommandRun),
    Http(HttpRun),
    BecomingReady,
}

impl<'de> Deserialize<'de> for Smoke {
    /// Told apart by `port`, so that a mistake in either kind is said in
    /// that kind's words (an untagged enum says only that neither matched).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let table = toml::Table::deserialize(deserializer)?;
        if table.contains_key("ready") {
            return Err(serde::de::Error::custom(
                "ready is the row's now, not the smoke run's: move it beside smoke, as \
                 ready = { … }, where it holds for every container of the row",
            ));
        }
        let parsed = if table.contains_key("port") {
            HttpRun::deserialize(table).map(Smoke::Http)
        } else {
            CommandRun::deserialize(table).map(Smoke::Command)
        };
        parsed.map_err(|error| serde::de::Error::custom(error.message()))
    }
}

/// The image's own command with `port` published: `GET path` must answer
/// `status` with `body`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpRun {
    pub port: Port,
    pub path: String,
    pub status: u16,
    pub body: String,
    #[serde(default)]
    pub memory_mib: Option<i64>,
}

impl Smoke {
    /// The smoke run of a row that gives none.
    fn becoming_ready() -> Smoke {
        Smoke::BecomingReady
    }

    pub fn describe(&self) -> String {
        match self {
            Smoke::Command(run) => run.describe(),
            Smoke::Http(run) => format!("GET {} on port {}", run.path, run.port),
            Smoke::BecomingReady => "the service started as its image says".to_owned(),
        }
    }

    pub fn memory_mib(&self) -> Option<i64> {
        match self {
            Smoke::Command(run) => run.memory_mib,
            Smoke::Http(run) => run.memory_mib,
            Smoke::BecomingReady => None,
        }
    }

    /// The exit status the run expects: a server's, stopped, is 0.
    pub fn exit_code(&self) -> i64 {
        match self {
            Smoke::Command(run) => run.exit_code,
            Smoke::Http(_) | Smoke::BecomingReady => 0,
        }
    }

    /// The port a server smoke run is asked on.
    pub fn port(&self) -> Option<u16> {
        match self {
            Smoke::Http(run) => Some(run.port.0),
            Smoke::Command(_) | Smoke::BecomingReady => None,
        }
    }
}

/// What the image must show from the outside; a claim left out is not checked.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    /// `uid:gid`, which every process of a running container has.
    #[serde(default)]
    pub user: Option<User>,
    /// No shell in the image, found by what its files are, and none runs
    /// a script when the container is asked to.
    #[serde(default)]
    pub no_shell: bool,
    /// No interpreter (python, perl, node, awk, …), alike.
    #[serde(default)]
    pub no_interpreter: bool,
    /// No setuid or setgid file.
    #[serde(default)]
    pub no_setuid: bool,
    /// Every file (not directory) the image holds, besides what Docker adds,
    /// with its mode: `{ "/calc" = "755" }`, or what `paths` may say of a
    /// file. No other file may be there.
    #[serde(default)]
    pub files: Option<BTreeMap<String, FileClaim>>,
    /// How many layers the image has.
    #[serde(default)]
    pub layers: Option<usize>,
    /// At most this many bytes in all, per architecture.
    #[serde(default)]
    pub size: Option<PerArchitecture>,
    /// At most this many bytes over a base image.
    #[serde(default)]
    pub size_over_base: Option<OverBase>,
    /// The smoke run works under the hardened flags.
    #[serde(default)]
    pub hardened: Option<Hardened>,
    /// The smoke run works under a seccomp allowlist, with the hardened
    /// flags; and, if `minimal`, every call it allows is needed.
    #[serde(default)]
    pub seccomp: Option<SeccompClaim>,
    /// Building the Dockerfile again gives the same top layer.
    #[serde(default)]
    pub reproducible: bool,
    /// Asked to stop as `docker stop` asks, its main process exits by
    /// itself, in time, with the claimed code: one claim, or a list of
    /// them (one per signal).
    #[serde(default, deserialize_with = "one_or_more")]
    pub stops: Vec<StopClaim>,
    /// Named files, each with what it must be: a mode, an owner, a sha256,
    /// a text it contains or a regular expression it matches. Other files
    /// may be there (for a closed list, see `files`).
    #[serde(default)]
    pub paths: BTreeMap<String, FileClaim>,
    /// What the image's configuration says (`docker image inspect`).
    #[serde(default)]
    pub config: Option<ConfigClaim>,
    /// Its smoke run passes as an arbitrary uid with group 0, as OpenShift
    /// runs images (`--user 1000650000:0`).
    #[serde(default)]
    pub any_user: bool,
    /// The engine reports its HEALTHCHECK healthy within this many ms.
    #[serde(default)]
    pub healthy_within_ms: Option<u64>,
}

/// `{ signal = "SIGTERM", within_ms = 1000, exit_code = 143 }`: the image's
/// main process, sent `signal` (unset: the image's stop signal, else
/// SIGTERM, as `docker stop` chooses), exits by itself within `within_ms`
/// with `exit_code`. It is asked once it is ready and again
/// [`LATER_ASK_MS`] later, or only `after_ms` after it is ready where the
/// claim says.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StopClaim {
    #[serde(default, deserialize_with = "signal_name")]
    pub signal: Option<String>,
    pub within_ms: u64,
    pub exit_code: i64,
    #[serde(default)]
    pub after_ms: Option<u64>,
}

/// How long after it is ready a container is asked to stop the second
/// time, where its claim gives no `after_ms`: an image that answers a
/// signal only in its first seconds, as a test sends one, passed when
/// asked 100 ms after its start, and took 10.36 s and SIGKILL under
/// `docker stop` later (2026-12-07).
pub const LATER_ASK_MS: u64 = 5_000;

impl StopClaim {
    /// How long after it is ready each fresh container is asked: as
    /// `docker run -d` starts it, at once and [`LATER_ASK_MS`] later; under
    /// flags (a profile, the hardened ones), which judge what the flags
    /// take away rather than when, at once. A claim's `after_ms` is the one
    /// time for both.
    pub fn asked_after(&self, under_flags: bool) -> Vec<std::time::Duration> {
        let millis = match (self.after_ms, under_flags) {
            (Some(after), _) => vec![after],
            (None, true) => vec![0],
            (None, false) => vec![0, LATER_ASK_MS],
        };
        millis
            .into_iter()
            .map(std::time::Duration::from_millis)
            .collect()
    }
}

/// A signal as `docker kill --signal` takes it, refused when read if Linux
/// has no such signal: `SIGTREM` would otherwise fail only at the engine.
fn signal_name<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let name = String::deserialize(deserializer)?;
    match image_probe::signal_state::signal_number(&name) {
        Some(_) => Ok(Some(name)),
        None => Err(serde::de::Error::custom(format!(
            "{name:?} is not a signal: give a name such as SIGTERM, SIGINT or SIGQUIT, or a \
             number from 1 to 64"
        ))),
    }
}

/// The longest a healthcheck claim may wait.
pub const MAX_HEALTHY_WITHIN_MS: u64 = 300_000;

/// The longest a stop claim may give a container: `docker stop`'s own
/// grace period is 10 s, and a trial must end.
pub const MAX_STOP_WITHIN_MS: u64 = 60_000;

/// The longest a stop claim's `after_ms` may be: the container waits that
/// long, ready, in every stop trial of the row.
pub const MAX_STOP_AFTER_MS: u64 = 120_000;

/// One table or a list of them. Read through a TOML value rather than an
/// untagged enum, so that a mistake inside a table is said in its own
/// words, not as "did not match any variant".
fn one_or_more<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = toml::Value::deserialize(deserializer)?;
    let parsed = match value {
        toml::Value::Array(_) => Vec::<T>::deserialize(value),
        one => T::deserialize(one).map(|one| vec![one]),
    };
    parsed.map_err(|error| serde::de::Error::custom(error.message()))
}

/// A file mode in octal, such as `755`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode(pub u32);

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        u32::from_str_radix(text.trim_start_matches("0o"), 8)
            .map(Mode)
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not an octal file mode")))
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:o}", self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
}

impl<'de> Deserialize<'de> for User {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let parsed = text
            .split_once(':')
            .and_then(|(uid, gid)| Some((uid.parse().ok()?, gid.parse().ok()?)));
        parsed.map(|(uid, gid)| User { uid, gid }).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text:?} is not a user as uid:gid, such as 65532:65532"
            ))
        })
    }
}

impl From<User> for image_probe::processes::Ids {
    fn from(user: User) -> Self {
        image_probe::processes::Ids {
            uid: user.uid,
            gid: user.gid,
        }
    }
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uid, self.gid)
    }
}

/// A number of bytes for each architecture the image is built for: the
/// same program compiles to different sizes on each.
#[derive(Clone, Debug, Default)]
pub struct PerArchitecture(pub BTreeMap<String, u64>);

/// The architectures as images name them (Go's GOARCH, in an image's
/// config and in `--platform`).
pub const ARCHITECTURES: &[&str] = &[
    "386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle", "ppc64",
    "ppc64le", "riscv64", "s390x",
];

impl<'de> Deserialize<'de> for PerArchitecture {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = BTreeMap::<String, u64>::deserialize(deserializer)?;
        if let Some(unknown) = bytes
            .keys()
            .find(|name| !ARCHITECTURES.contains(&name.as_str()))
        {
            let hint = match unknown.as_str() {
                "x86_64" | "x86-64" | "x64" => " (x86_64 is amd64 here)",
                "aarch64" | "armv8" => " (aarch64 is arm64 here)",
                _ => "",
            };
            return Err(serde::de::Error::custom(format!(
                "{unknown:?} is not an architecture as images name it{hint}: one of {}",
                ARCHITECTURES.join(", ")
            )));
        }
        Ok(PerArchitecture(bytes))
    }
}

impl PerArchitecture {
    pub fn of(&self, architecture: &Architecture) -> Option<u64> {
        self.0.get(architecture.as_str()).copied()
    }
}

/// At most `bytes` over the first of `bases` present with the image's
/// architecture. Several names, because an engine keeps one image per tag:
/// where the multi-arch tag holds another architecture, a per-architecture
/// tag stands in.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverBase {
    pub bases: Vec<String>,
    pub bytes: PerArchitecture,
}

/// The hardened run's flags: `--read-only --cap-drop ALL --security-opt
/// no-new-privileges`, `--network none` unless the image serves on the
/// network, and limits on processes and memory.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hardened {
    #[serde(default)]
    pub network: bool,
    #[serde(default = "default_pids_limit")]
    pub pids_limit: i64,
    #[serde(default = "default_memory_mib")]
    pub memory_mib: i64,
    /// Directories mounted as small writable tmpfs on the read-only root,
    /// such as `/tmp` for a program that writes a scratch file.
    #[serde(default)]
    pub tmpfs: Vec<String>,
}

/// The hardened run's limits, unless a row gives its own.
pub const DEFAULT_PIDS_LIMIT: i64 = 8;
pub const DEFAULT_MEMORY_MIB: i64 = 16;

fn default_pids_limit() -> i64 {
    DEFAULT_PIDS_LIMIT
}

fn default_memory_mib() -> i64 {
    DEFAULT_MEMORY_MIB
}

impl Default for Hardened {
    fn default() -> Self {
        Hardened {
            network: false,
            pids_limit: DEFAULT_PIDS_LIMIT,
            memory_mib: DEFAULT_MEMORY_MIB,
            tmpfs: Vec::new(),
        }
    }
}

/// A seccomp allowlist the image runs under.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeccompClaim {
    /// The profile, relative to the rows file's directory.
    pub profile: PathBuf,
    /// Every call it allows is needed: a run without it fails.
    #[serde(default)]
    pub minimal: bool,
    /// Runs besides the smoke run that show a call is needed (such as one
    /// that reads stdin, for `read`).
    #[serde(default)]
    pub runs: Vec<CommandRun>,
    /// The row's commands run under the profile too, with the hardened
    /// flags: the profile is then proven sufficient for every one of them.
    #[serde(default)]
    pub commands: bool,
}

const MIB: i64 = 1024 * 1024;

impl Hardened {
    /// `--read-only --cap-drop ALL --security-opt no-new-privileges
    /// [--network none] --pids-limit N --memory M --memory-swap M`, with
    /// `memory_mib` in place of the claim's where a run needs more.
    pub fn confinement(&self, memory_mib: Option<i64>) -> Confinement {
        Confinement {
            locked_down: true,
            no_network: !self.network,
            pids_limit: Some(self.pids_limit),
            memory_bytes: Some(memory_mib.unwrap_or(self.memory_mib) * MIB),
            tmpfs: self.tmpfs.clone(),
            ..Confinement::NONE
        }
    }
}

impl Row {
    /// How its containers that stay running start: [`Row::start`] and
    /// [`Row::resident_args`].
    pub fn start_as(&self) -> StartAs {
        StartAs {
            entrypoint: self.start.entrypoint.clone(),
            args: self.resident_args.clone(),
            env: self
                .start
                .env
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect(),
            user: self.start.user.clone(),
            workdir: self.start.workdir.clone(),
        }
    }

    /// A service: its own command runs until stopped, and its runtime
    /// claims are judged on it once ready.
    pub fn is_service(&self) -> bool {
        self.residence == ResidenceKind::OwnCommand
    }

    /// When its containers are ready, and within how long: the row's
    /// readiness, else a server smoke run's answer, asked for up to
    /// [`IMPLIED_READY_WITHIN`]. `None`: no readiness (a program that waits
    /// on stdin is ready once it runs).
    pub fn readiness(&self) -> Option<(ReadyWhen, std::time::Duration)> {
        if let Some(ready) = &self.ready {
            return Some((ready.condition(self.smoke.port())?, ready.within()));
        }
        match &self.smoke {
            Smoke::Http(run) => Some((
                ReadyWhen::Http {
                    port: run.port.0,
                    path: run.path.clone(),
                },
                IMPLIED_READY_WITHIN,
            )),
            Smoke::Command(_) | Smoke::BecomingReady => None,
        }
    }

    /// The ports its containers publish: the smoke run's, and its readiness's.
    pub fn published_ports(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self.smoke.port().into_iter().collect();
        let ready_port = self
            .readiness()
            .and_then(|(when, _)| when.port())
            .filter(|port| !ports.contains(port));
        ports.extend(ready_port);
        ports
    }

    /// The claims judged on a running container, which for a service need
    /// it ready: named as a rows file names them.
    pub fn runtime_claims(&self) -> Vec<&'static str> {
        let claims = &self.claims;
        let named = [
            (!self.commands.is_empty(), "commands"),
            (!claims.stops.is_empty(), "stops"),
            (claims.user.is_some(), "user"),
            (claims.any_user, "any_user"),
            (claims.hardened.is_some(), "hardened"),
            (claims.seccomp.is_some(), "seccomp"),
            (claims.no_shell, "no_shell"),
            (claims.no_interpreter, "no_interpreter"),
        ];
        named
            .into_iter()
            .filter_map(|(claimed, name)| claimed.then_some(name))
            .collect()
    }

    /// The paths whose content its file claims read.
    pub fn content_paths(&self) -> Vec<String> {
        let files = self.claims.files.iter().flatten();
        files
            .chain(self.claims.paths.iter())
            .filter(|(_, claim)| claim.reads_content())
            .map(|(path, _)| path.clone())
            .collect()
    }

    /// The row's hardened flags (the defaults where it claims none); its
    /// smoke run may need more memory.
    pub fn hardened(&self) -> Confinement {
        let claim = self.claims.hardened.clone().unwrap_or_default();
        claim.confinement(self.smoke.memory_mib())
    }

    /// The flags of its smoke run and residents, where no claim sets any:
    /// none but `--network none`, unless it needs the network (see
    /// [`Row::network`]), and the engine's backstop limits.
    pub fn unconfined(&self) -> Confinement {
        if self.network || !self.published_ports().is_empty() {
            Confinement::NONE
        } else {
            Confinement::NONE.without_network()
        }
    }

    /// The runs that decide whether a seccomp profile's call is needed: the
    /// smoke run, then the further runs of its seccomp claim.
    pub fn deciding_runs(&self) -> Vec<Smoke> {
        let further = self
            .claims
            .seccomp
            .iter()
            .flat_map(|claim| claim.runs.iter());
        std::iter::once(self.smoke.clone())
            .chain(further.cloned().map(Smoke::Command))
            .collect()
    }

    /// The environment variable that gives this row's image by reference,
    /// which is then checked instead of building it.
    pub fn reference_variable(&self) -> String {
        format!("IMAGE_CLAIMS_IMAGE_{}", self.variable_suffix())
    }

    /// The environment variable that gives, for a row given by reference,
    /// a second build of the same Dockerfile to prove reproducibility with,
    /// where the harness cannot rebuild it itself (an image of another
    /// architecture than the engine's).
    pub fn rebuilt_variable(&self) -> String {
        format!("IMAGE_CLAIMS_REBUILT_{}", self.variable_suffix())
    }

    /// The reference [`Row::reference_variable`] gives, if set and not empty.
    pub fn reference_given(&self) -> Option<String> {
        non_empty_variable(&self.reference_variable())
    }

    /// The image [`Row::rebuilt_variable`] gives, if set and not empty.
    pub fn rebuilt_given(&self) -> Option<String> {
        non_empty_variable(&self.rebuilt_variable())
    }

    fn variable_suffix(&self) -> String {
        self.name.to_uppercase().replace('-', "_")
    }
}

/// An environment variable's value; unset and empty alike are `None`.
fn non_empty_variable(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(smoke: &str, network: bool) -> Row {
        let text = format!(
            "name = \"image\"\nreference = \"image:1\"\nnetwork = {network}\nsmoke = {smoke}\n"
        );
        toml::from_str(&text).expect("a row")
    }

    #[test]
    fn a_rows_start_gives_its_containers_entrypoint_environment_user_and_workdir() {
        let mut started = row(r#"{ args = ["true"], stdout = "" }"#, false);
        started.start = toml::from_str(
            "entrypoint = [\"/bin/server\"]\nenv = { MODE = \"ready\" }\nuser = \"1234:1234\"\nworkdir = \"/srv\"",
        )
        .expect("a start");
        let request = started.start_as().request("image:1", &Confinement::NONE);
        assert_eq!(
            (
                request.entrypoint,
                request.env,
                request.user,
                request.workdir
            ),
            (
                Some(vec!["/bin/server".to_owned()]),
                vec!["MODE=ready".to_owned()],
                Some("1234:1234".to_owned()),
                Some("/srv".to_owned())
            )
        );
        // An any-user check's uid comes before the start's.
        let any_user = Confinement::NONE.as_user("1000650000:0");
        let request = started.start_as().request("image:1", &any_user);
        assert_eq!(request.user, None);
        assert_eq!(request.confinement.user.as_deref(), Some("1000650000:0"));
    }

    #[test]
    fn a_command_row_runs_without_the_network_unless_it_says_it_needs_it() {
        let command = r#"{ args = ["true"], stdout = "" }"#;
        assert!(row(command, false).unconfined().no_network);
        assert!(!row(command, true).unconfined().no_network);
        let server = r#"{ port = 80, path = "/", status = 200, body = "" }"#;
        assert!(!row(server, false).unconfined().no_network);
    }

    #[test]
    fn a_stop_is_asked_at_once_and_later_as_deployed_and_at_once_under_flags() {
        let millis = |claim: &StopClaim, under_flags| -> Vec<u128> {
            claim
                .asked_after(under_flags)
                .iter()
                .map(std::time::Duration::as_millis)
                .collect()
        };
        let claim = StopClaim {
            signal: None,
            within_ms: 2000,
            exit_code: 143,
            after_ms: None,
        };
        assert_eq!(millis(&claim, false), [0, u128::from(LATER_ASK_MS)]);
        assert_eq!(millis(&claim, true), [0]);
        let later = StopClaim {
            after_ms: Some(60_000),
            ..claim
        };
        assert_eq!(millis(&later, false), [60_000]);
        assert_eq!(millis(&later, true), [60_000]);
    }
}
