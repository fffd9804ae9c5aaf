//! A server in a container, reached over the network as its clients reach
//! it: its port published by the engine, and a plain HTTP/1.0 request from
//! this process, retried until the server answers or the deadline passes.

use crate::engine::{Engine, RequestLabel};
use crate::error::ProbeError;
use crate::resident::{Fresh, Residence};
use crate::run::{RunRequest, runtime_said};
use std::collections::HashMap;
use std::time::Duration;
use testcontainers::bollard::Docker;
use testcontainers::bollard::models::{ContainerCreateBody, PortBinding};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// How often a server that does not answer yet is asked again.
const RETRY_INTERVAL: Duration = Duration::from_millis(50);
/// The most bytes of an answer that are read.
const MAX_ANSWER_BYTES: u64 = 64 * 1024;

/// A running server container, removed when dropped.
pub struct Serving {
    pub id: String,
    /// Where this process reaches the first published port (empty: none is).
    pub address: String,
    /// Each published port, and where this process reaches it.
    pub addresses: Vec<(u16, String)>,
    _started: Fresh,
}

impl Serving {
    /// The container as a readiness wait reaches it.
    pub fn reachable(&self) -> crate::readiness::Reachable<'_> {
        crate::readiness::Reachable {
            id: &self.id,
            addresses: &self.addresses,
        }
    }

    /// Where this process reaches the container's `port`, if published.
    pub fn address_of(&self, port: u16) -> Result<String, ProbeError> {
        self.addresses
            .iter()
            .find(|(published, _)| *published == port)
            .map(|(_, address)| address.clone())
            .ok_or_else(|| ProbeError::missing(format!("published port {port}")))
    }
}

/// An HTTP answer: its status code and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: String,
}

/// The host where the engine publishes ports, as testcontainers finds it:
/// `TESTCONTAINERS_HOST_OVERRIDE` if set (an engine in a container of
/// another engine publishes on its own address), else the host of a
/// `tcp://` DOCKER_HOST, else this machine.
pub fn published_host() -> String {
    if let Ok(host) = std::env::var("TESTCONTAINERS_HOST_OVERRIDE")
        && !host.is_empty()
    {
        return host;
    }
    let tcp_host = std::env::var("DOCKER_HOST").ok().and_then(|host| {
        let rest = host.strip_prefix("tcp://")?;
        rest.split(':').next().map(str::to_owned)
    });
    tcp_host.unwrap_or_else(|| "127.0.0.1".to_owned())
}

impl Engine {
    /// Starts `request` (its image's own command, unless it gives arguments)
    /// with `port`/tcp published on a free port of the engine's host.
    pub async fn serve(&self, request: &RunRequest, port: u16) -> Result<Serving, ProbeError> {
        self.serve_as(request, &[port], &self.new_request()).await
    }

    /// [`Engine::serve`] with each of `ports` published (the first is
    /// [`Serving::address`]), its container labelled as `label`.
    pub async fn serve_as(
        &self,
        request: &RunRequest,
        ports: &[u16],
        label: &RequestLabel,
    ) -> Result<Serving, ProbeError> {
        let image = &request.image;
        let started = self
            .start_request(request, Residence::OwnCommand, ports, label)
            .await?;
        let mut addresses = Vec::new();
        for &port in ports {
            let address = published_address(self.docker(), &started.id, image, port).await?;
            addresses.push((port, address));
        }
        // A service ready by its log, an exec or its health publishes none.
        let address = addresses
            .first()
            .map(|(_, address)| address.clone())
            .unwrap_or_default();
        Ok(Serving {
            id: started.id.clone(),
            address,
            addresses,
            _started: started,
        })
    }
}

/// Publishes each of the container's `ports`/tcp on a free port of the engine's host.
pub(crate) fn publish(body: &mut ContainerCreateBody, ports: &[u16]) {
    let keys: Vec<String> = ports.iter().map(|port| format!("{port}/tcp")).collect();
    body.exposed_ports = Some(keys.clone());
    if let Some(host) = body.host_config.as_mut() {
        let bindings = keys.into_iter().map(|key| {
            let binding = PortBinding {
                host_ip: None,
                // Empty: the engine picks a free port.
                host_port: Some(String::new()),
            };
            (key, Some(vec![binding]))
        });
        host.port_bindings = Some(bindings.collect::<HashMap<_, _>>());
    }
}

/// Where this process reaches the started container's published `port`.
pub(crate) async fn published_address(
    docker: &Docker,
    id: &str,
    image: &str,
    port: u16,
) -> Result<String, ProbeError> {
    let key = format!("{port}/tcp");
    let inspected = docker
        .inspect_container(id, None)
        .await
        .map_err(|e| ProbeError::engine(format!("inspect a container of {image}"), e))?;
    let host_port = inspected
        .network_settings
        .and_then(|settings| settings.ports)
        .and_then(|ports| ports.get(&key).cloned().flatten())
        .and_then(|bindings| bindings.into_iter().find_map(|binding| binding.host_port))
        .ok_or_else(|| ProbeError::missing(format!("published port for {key} of {image}")))?;
    Ok(format!("{}:{host_port}", published_host()))
}

/// `GET path` of a serving container over HTTP/1.0, retried until an
/// answer comes or `deadline` passes: a server takes a moment to listen
/// after its container starts. A server that exits fails at once, with its
/// exit code and the first line it wrote.
pub async fn http_get(
    engine: &Engine,
    serving: &Serving,
    path: &str,
    deadline: Duration,
) -> Result<HttpAnswer, ProbeError> {
    http_get_at(engine, &serving.id, &serving.address, path, deadline).await
}

/// [`http_get`] of the container `id`, reached at `address`.
pub async fn http_get_at(
    engine: &Engine,
    id: &str,
    address: &str,
    path: &str,
    deadline: Duration,
) -> Result<HttpAnswer, ProbeError> {
    let until = Instant::now() + deadline;
    let failed = |reason: String| ProbeError::Network {
        address: address.to_owned(),
        reason,
    };
    loop {
        let reason = match exchange_once(address, path).await {
            Ok(answer) => return Ok(answer),
            Err(reason) => reason,
        };
        if let Some(exit) = exited(engine, id).await {
            return Err(failed(format!("{reason}: the server {exit}")));
        }
        if Instant::now() + RETRY_INTERVAL >= until {
            return Err(failed(format!(
                "{reason} (asked for {} s)",
                deadline.as_secs()
            )));
        }
        tokio::time::sleep(RETRY_INTERVAL).await;
    }
}

/// How a container that is no longer running ended, in words; `None` while it runs.
async fn exited(engine: &Engine, id: &str) -> Option<String> {
    let inspected = engine.docker().inspect_container(id, None).await.ok()?;
    let state = inspected.state?;
    if state.running == Some(true) {
        return None;
    }
    let said = runtime_said(engine.docker(), id).await;
    Some(match said {
        Some(said) => format!(
            "exited {}, saying \"{said}\"",
            state.exit_code.unwrap_or(-1)
        ),
        None => format!("exited {}", state.exit_code.unwrap_or(-1)),
    })
}

async fn exchange_once(address: &str, path: &str) -> Result<HttpAnswer, String> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let mut answer = Vec::new();
    stream
        .take(MAX_ANSWER_BYTES)
        .read_to_end(&mut answer)
        .await
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    parse_answer(&String::from_utf8_lossy(&answer))
}

/// `HTTP/1.1 200 OK\r\n…\r\n\r\nBODY` to its status and body.
fn parse_answer(answer: &str) -> Result<HttpAnswer, String> {
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("not an HTTP answer: {answer:?}"))?;
    let status = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status in {:?}", head.lines().next().unwrap_or_default()))?;
    Ok(HttpAnswer {
        status,
        body: body.to_owned(),
    })
}
