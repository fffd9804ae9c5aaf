//! When a started container is ready to be asked: a line of its log says
//! so, a port holds a connection, a path answers over HTTP, a command exec'd
//! in it exits 0 (`pg_isready`, `redis-cli ping`), or the engine reports its
//! HEALTHCHECK healthy, within a deadline of its own. A container that exits
//! while it is waited on fails at once, with its exit code and the last
//! line of its log.

use crate::engine::Engine;
use crate::error::ProbeError;
use crate::health::check_said;
use crate::network::http_get_at;
use crate::resident::ExecRequest;
use futures::StreamExt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use testcontainers::bollard::container::LogOutput;
use testcontainers::bollard::query_parameters::LogsOptionsBuilder;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The most bytes of a server's log read while waiting for its line: a
/// server that floods its log without the line is not ready.
pub const MAX_LOG_BYTES: usize = 16 * 1024 * 1024;

/// How often a port that does not hold a connection yet is tried again.
const PORT_RETRY: Duration = Duration::from_millis(50);

/// How often an exec probe that did not exit 0 is tried again: a server's
/// own client (`pg_isready`) costs an exec each time.
const EXEC_RETRY: Duration = Duration::from_millis(250);

/// The longest one exec probe may run: a probe that hangs is tried again.
const EXEC_PROBE_DEADLINE: Duration = Duration::from_secs(10);

/// How often the engine is asked whether the container still runs, and for
/// its health.
const STATE_POLL: Duration = Duration::from_millis(100);

/// The most characters of a probe's output or a log line kept in a message.
const MAX_SHOWN: usize = 200;

/// How long an accepted connection must stay open for the port to count as
/// served. A published port is often answered by Docker's userland proxy,
/// which accepts every connection and closes it at once when nothing in the
/// container listens; a server holds it open for a request, or speaks first.
const PORT_HELD: Duration = Duration::from_millis(200);

/// A test of one log line.
pub type LineTest = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// What shows a container ready.
#[derive(Clone)]
pub enum ReadyWhen {
    /// A line of its stdout or stderr passes `test`, described as `shown`.
    LogLine { test: LineTest, shown: String },
    /// Its port `port`, published, holds a connection.
    Port(u16),
    /// `GET path` on its published port `port` gives any HTTP answer.
    Http { port: u16, path: String },
    /// This command, exec'd in the container, exits 0.
    Exec(Vec<String>),
    /// The engine reports its HEALTHCHECK healthy.
    Healthy,
}

impl std::fmt::Debug for ReadyWhen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl ReadyWhen {
    /// The port a container must publish for this condition to be tried.
    pub fn port(&self) -> Option<u16> {
        match self {
            ReadyWhen::Port(port) | ReadyWhen::Http { port, .. } => Some(*port),
            ReadyWhen::LogLine { .. } | ReadyWhen::Exec(_) | ReadyWhen::Healthy => None,
        }
    }

    /// The condition in words.
    pub fn describe(&self) -> String {
        match self {
            ReadyWhen::LogLine { shown, .. } => format!("a line of its log matching {shown}"),
            ReadyWhen::Port(port) => format!("port {port} holding a connection"),
            ReadyWhen::Http { port, path } => format!("GET {path} answering on port {port}"),
            ReadyWhen::Exec(command) => format!("docker exec … {} exiting 0", command.join(" ")),
            ReadyWhen::Healthy => "the engine reporting its HEALTHCHECK healthy".to_owned(),
        }
    }
}

/// A started container as a readiness wait reaches it: its ID, and where
/// this process reaches each of its published ports.
#[derive(Clone, Copy, Debug)]
pub struct Reachable<'a> {
    pub id: &'a str,
    pub addresses: &'a [(u16, String)],
}

impl Reachable<'_> {
    fn address_of(&self, port: u16) -> Result<String, ProbeError> {
        self.addresses
            .iter()
            .find(|(published, _)| *published == port)
            .map(|(_, address)| address.clone())
            .ok_or_else(|| ProbeError::missing(format!("published port {port}")))
    }
}

/// What the last try of a wait saw, for the message when the time is up.
type LastSeen = Arc<Mutex<Option<String>>>;

fn note(last: &LastSeen, seen: String) {
    *last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(seen);
}

impl Engine {
    /// Waits until the container is ready as `when` says, within
    /// `deadline`; returns how long it took. A container that exits first
    /// fails at once.
    pub async fn wait_ready(
        &self,
        container: Reachable<'_>,
        when: &ReadyWhen,
        deadline: Duration,
    ) -> Result<Duration, ProbeError> {
        let started = Instant::now();
        let last: LastSeen = Arc::default();
        let waited = async {
            match when {
                ReadyWhen::LogLine { test, shown } => {
                    self.log_line(container.id, test, shown).await
                }
                ReadyWhen::Port(port) => port_held(&container.address_of(*port)?).await,
                ReadyWhen::Http { port, path } => {
                    let address = container.address_of(*port)?;
                    http_get_at(self, container.id, &address, path, deadline)
                        .await
                        .map(|_| ())
                }
                ReadyWhen::Exec(command) => self.exec_probe(container.id, command, &last).await,
                ReadyWhen::Healthy => self.healthy(container.id, &last).await,
            }
        };
        let exited = self.exit_of(container.id);
        let outcome = tokio::select! {
            waited = tokio::time::timeout(deadline, waited) => waited,
            exit_code = exited => Ok(Err(self.ended_before_ready(container.id, when, exit_code).await)),
        };
        match outcome {
            Ok(Ok(())) => Ok(started.elapsed()),
            // A log that ended: the container exited, and says how.
            Ok(Err(ProbeError::EndedBeforeReady { .. })) => {
                let exit_code = self.exit_of(container.id).await;
                Err(self.ended_before_ready(container.id, when, exit_code).await)
            }
            Ok(Err(error)) => Err(error),
            Err(_) => Err(ProbeError::NotReady {
                condition: when.describe(),
                after: deadline,
                last: last
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .clone(),
            }),
        }
    }

    /// Resolves once the container no longer runs, with its exit code.
    async fn exit_of(&self, id: &str) -> Option<i64> {
        loop {
            if let Ok(inspected) = self.docker().inspect_container(id, None).await {
                let state = inspected.state.unwrap_or_default();
                if state.running != Some(true) {
                    return state.exit_code;
                }
            }
            tokio::time::sleep(STATE_POLL).await;
        }
    }

    async fn ended_before_ready(
        &self,
        id: &str,
        when: &ReadyWhen,
        exit_code: Option<i64>,
    ) -> ProbeError {
        ProbeError::EndedBeforeReady {
            condition: when.describe(),
            exit_code,
            last_line: self.last_log_line(id).await,
        }
    }

    /// The last line a container wrote, stdout or stderr, cut to [`MAX_SHOWN`] characters.
    pub async fn last_log_line(&self, id: &str) -> Option<String> {
        let options = LogsOptionsBuilder::new()
            .stdout(true)
            .stderr(true)
            .tail("5")
            .build();
        let mut chunks = self.docker().logs(id, Some(options));
        let mut text = Vec::new();
        while let Some(Ok(chunk)) = chunks.next().await {
            if let LogOutput::StdOut { message }
            | LogOutput::StdErr { message }
            | LogOutput::Console { message } = chunk
            {
                text.extend_from_slice(&message);
            }
            if text.len() > MAX_LOG_BYTES {
                break;
            }
        }
        let text = String::from_utf8_lossy(&text);
        let line = text.lines().rev().find(|line| !line.trim().is_empty())?;
        Some(line.trim_end().chars().take(MAX_SHOWN).collect())
    }

    /// Execs `command` until it exits 0, each try within its own deadline.
    async fn exec_probe(
        &self,
        id: &str,
        command: &[String],
        last: &LastSeen,
    ) -> Result<(), ProbeError> {
        let request = ExecRequest {
            command: command.to_vec(),
            ..ExecRequest::default()
        };
        loop {
            match self
                .exec_request(id, &request, None, EXEC_PROBE_DEADLINE)
                .await
            {
                Ok(outcome) if outcome.code == 0 => return Ok(()),
                Ok(outcome) => {
                    let said = [&outcome.stdout, &outcome.stderr]
                        .into_iter()
                        .find_map(|stream| stream.lines().find(|line| !line.trim().is_empty()))
                        .unwrap_or_default();
                    let said: String = said.chars().take(MAX_SHOWN).collect();
                    note(last, format!("exit {}, saying {said:?}", outcome.code));
                }
                Err(error) if error.is_engine_gone() => return Err(error),
                Err(error) => note(last, error.to_string()),
            }
            tokio::time::sleep(EXEC_RETRY).await;
        }
    }

    /// Reads the container's health until the engine reports it healthy.
    async fn healthy(&self, id: &str, last: &LastSeen) -> Result<(), ProbeError> {
        loop {
            let inspected = self
                .docker()
                .inspect_container(id, None)
                .await
                .map_err(|e| ProbeError::engine("inspect a container for its health", e))?;
            let health = inspected
                .state
                .and_then(|state| state.health)
                .ok_or_else(|| {
                    ProbeError::missing("a health status: the image declares no HEALTHCHECK")
                })?;
            let status = health
                .status
                .map(|status| status.to_string())
                .unwrap_or_default();
            if status == "healthy" {
                return Ok(());
            }
            if let Some(check) = health.log.unwrap_or_default().last() {
                note(
                    last,
                    format!("{status}, its last check {}", check_said(check)),
                );
            }
            tokio::time::sleep(STATE_POLL).await;
        }
    }

    /// Follows the container's log until a line passes `test`; fails when
    /// the log ends (the server exited) or passes [`MAX_LOG_BYTES`].
    async fn log_line(&self, id: &str, test: &LineTest, shown: &str) -> Result<(), ProbeError> {
        let options = LogsOptionsBuilder::new()
            .follow(true)
            .stdout(true)
            .stderr(true)
            .build();
        let mut logs = self.docker().logs(id, Some(options));
        let mut read = 0;
        let mut line = Vec::new();
        while let Some(chunk) = logs.next().await {
            let chunk = chunk.map_err(|e| ProbeError::engine("follow a server's log", e))?;
            let bytes = match chunk {
                LogOutput::StdOut { message }
                | LogOutput::StdErr { message }
                | LogOutput::Console { message } => message,
                LogOutput::StdIn { .. } => continue,
            };
            read += bytes.len();
            if read > MAX_LOG_BYTES {
                return Err(ProbeError::Bound {
                    what: format!(
                        "its log passed {MAX_LOG_BYTES} bytes with no line matching {shown}"
                    ),
                    bound: format!("{MAX_LOG_BYTES} bytes of log"),
                });
            }
            for &byte in bytes.iter() {
                if byte != b'\n' {
                    line.push(byte);
                    continue;
                }
                if test(&String::from_utf8_lossy(&line)) {
                    return Ok(());
                }
                line.clear();
            }
        }
        if !line.is_empty() && test(&String::from_utf8_lossy(&line)) {
            return Ok(());
        }
        Err(ProbeError::EndedBeforeReady {
            condition: format!("a line of its log matching {shown}"),
            exit_code: None,
            last_line: None,
        })
    }
}

/// Connects to `address` until a connection is held open for [`PORT_HELD`]
/// or the other side speaks first.
async fn port_held(address: &str) -> Result<(), ProbeError> {
    loop {
        if let Ok(mut stream) = TcpStream::connect(address).await {
            let mut first = [0u8; 1];
            match tokio::time::timeout(PORT_HELD, stream.read(&mut first)).await {
                // Still open, and silent: a server waiting for a request.
                Err(_) => return Ok(()),
                // It spoke first, as an SSH or SMTP server does.
                Ok(Ok(read)) if read > 0 => return Ok(()),
                // Closed at once: the proxy, with nothing behind it.
                Ok(_) => {}
            }
        }
        tokio::time::sleep(PORT_RETRY).await;
    }
}
