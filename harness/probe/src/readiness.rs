//! When a started server is ready to be asked: a line of its log says so, a
//! port accepts a connection, or a path answers over HTTP, within a deadline
//! of its own. A server that exits while it is waited on fails at once.

use crate::engine::Engine;
use crate::error::ProbeError;
use crate::network::{Serving, http_get_at};
use futures::StreamExt;
use std::sync::Arc;
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

/// How long an accepted connection must stay open for the port to count as
/// served. A published port is often answered by Docker's userland proxy,
/// which accepts every connection and closes it at once when nothing in the
/// container listens; a server holds it open for a request, or speaks first.
const PORT_HELD: Duration = Duration::from_millis(200);

/// A test of one log line.
pub type LineTest = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// What shows a server ready.
#[derive(Clone)]
pub enum ReadyWhen {
    /// A line of its stdout or stderr passes `test`, described as `shown`.
    LogLine { test: LineTest, shown: String },
    /// Its port `port`, published, holds a connection.
    Port(u16),
    /// `GET path` on its published port `port` gives any HTTP answer.
    Http { port: u16, path: String },
}

impl ReadyWhen {
    /// The ports a server must publish for this condition to be tried.
    pub fn port(&self) -> Option<u16> {
        match self {
            ReadyWhen::LogLine { .. } => None,
            ReadyWhen::Port(port) | ReadyWhen::Http { port, .. } => Some(*port),
        }
    }

    /// The condition in words.
    pub fn describe(&self) -> String {
        match self {
            ReadyWhen::LogLine { shown, .. } => format!("a line of its log matching {shown}"),
            ReadyWhen::Port(port) => format!("port {port} holding a connection"),
            ReadyWhen::Http { port, path } => format!("GET {path} answering on port {port}"),
        }
    }
}

impl Engine {
    /// Waits until `serving` is ready as `when` says, within `deadline`;
    /// returns how long it took.
    pub async fn wait_ready(
        &self,
        serving: &Serving,
        when: &ReadyWhen,
        deadline: Duration,
    ) -> Result<Duration, ProbeError> {
        let started = Instant::now();
        let waited = async {
            match when {
                ReadyWhen::LogLine { test, shown } => self.log_line(&serving.id, test, shown).await,
                ReadyWhen::Port(port) => port_held(&serving.address_of(*port)?).await,
                ReadyWhen::Http { port, path } => {
                    let address = serving.address_of(*port)?;
                    http_get_at(self, &serving.id, &address, path, deadline)
                        .await
                        .map(|_| ())
                }
            }
        };
        match tokio::time::timeout(deadline, waited).await {
            Ok(Ok(())) => Ok(started.elapsed()),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(ProbeError::NotReady {
                condition: when.describe(),
                after: deadline,
            }),
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
