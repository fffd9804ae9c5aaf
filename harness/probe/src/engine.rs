//! The Docker engine: one client for the run, connected once with a clear
//! error when no engine answers, the engine's facts, images made present by
//! reference, and the labels that mark everything the run creates.

use crate::error::ProbeError;
use crate::facts::{EngineFacts, ask_engine};
use crate::once::OncePerKey;
use crate::reaper::{OWNER_LABEL, Reaper, owner_of_this_process, remove_abandoned};
use crate::resident::Resident;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use testcontainers::bollard::Docker;
use testcontainers::bollard::errors::Error as BollardError;
use testcontainers::bollard::models::ContainerSummary;
use testcontainers::bollard::query_parameters::{
    CreateImageOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
};

/// Every container a run creates carries this label, valued [`RUN_LABEL_VALUE`],
/// beside testcontainers' own `org.testcontainers.managed-by=testcontainers`.
pub const HARNESS_LABEL: &str = "org.image-claims";
pub const RUN_LABEL_VALUE: &str = "run";
/// And this one, valued with the run's own id, which the reaper looks for.
pub const RUN_LABEL: &str = "org.image-claims.run";
/// And this one, unique to the request that made it, so that a container
/// can be found whatever became of its request: a start that failed, or a
/// run ended at its deadline.
pub const REQUEST_LABEL: &str = "org.image-claims.request";

/// How long the engine may take to answer a ping.
const PING_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a pull of a missing image may take before it counts as "no registry".
const PULL_TIMEOUT: Duration = Duration::from_secs(120);

/// One engine, connected.
pub struct Engine {
    docker: Docker,
    facts: EngineFacts,
    run_id: String,
    /// This process as the owner of its containers, where /proc says.
    owner: Option<String>,
    requests: AtomicU64,
    pub(crate) residents: OncePerKey<Result<Arc<Resident>, Arc<ProbeError>>>,
    /// The exec slots of each container execed into, by ID.
    pub(crate) exec_slots: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>,
    _reaper: Option<Reaper>,
}

/// A value of [`REQUEST_LABEL`] unique to one request of this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLabel(pub String);

impl Engine {
    /// Connects to the engine DOCKER_HOST names (the local socket if unset),
    /// asks what it is, and starts the reaper that removes this run's
    /// containers if the process is killed.
    pub async fn connect() -> Result<Engine, ProbeError> {
        let docker = connect_client()
            .await
            .map_err(|reason| ProbeError::NoEngine {
                address: address(),
                reason,
            })?;
        let facts = ask_engine(&docker).await?;
        let removed = remove_abandoned(&docker).await;
        if removed > 0 {
            crate::progress::say(&format!(
                "removed {removed} containers of earlier runs whose process is gone (killed, \
                 perhaps while the engine was down)"
            ));
        }
        let run_id = new_run_id();
        let reaper = match Reaper::start(&run_id) {
            Ok(reaper) => Some(reaper),
            Err(problem) => {
                crate::progress::say(&format!(
                    "{problem}: a killed run will leave its containers"
                ));
                None
            }
        };
        Ok(Engine {
            docker,
            facts,
            run_id,
            owner: owner_of_this_process(),
            requests: AtomicU64::new(0),
            residents: OncePerKey::default(),
            exec_slots: std::sync::Mutex::default(),
            _reaper: reaper,
        })
    }

    /// The client, for what this crate does not wrap.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    pub fn facts(&self) -> &EngineFacts {
        &self.facts
    }

    /// The labels put on every container of this run.
    pub fn labels(&self) -> HashMap<String, String> {
        let mut labels = HashMap::from([
            (HARNESS_LABEL.to_owned(), RUN_LABEL_VALUE.to_owned()),
            (RUN_LABEL.to_owned(), self.run_id.clone()),
            (
                "org.testcontainers.managed-by".to_owned(),
                "testcontainers".to_owned(),
            ),
        ]);
        if let Some(owner) = &self.owner {
            labels.insert(OWNER_LABEL.to_owned(), owner.clone());
        }
        labels
    }

    /// A new request label, unique in this run.
    pub fn new_request(&self) -> RequestLabel {
        let number = self.requests.fetch_add(1, Ordering::Relaxed);
        RequestLabel(format!("{}-{number}", self.run_id))
    }

    /// Makes sure an image is in the engine, pulling it if a registry answers.
    pub async fn ensure_image(&self, reference: &str) -> Result<(), ProbeError> {
        if self.docker.inspect_image(reference).await.is_ok() {
            return Ok(());
        }
        let options = CreateImageOptionsBuilder::new()
            .from_image(reference)
            .build();
        let pull = async {
            let mut progress = self.docker.create_image(Some(options), None, None);
            while let Some(step) = progress.next().await {
                step.map_err(|error| error.to_string())?;
            }
            Ok::<(), String>(())
        };
        let reason = match tokio::time::timeout(PULL_TIMEOUT, pull).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(problem)) => problem,
            Err(_) => format!("a pull gave no answer within {} s", PULL_TIMEOUT.as_secs()),
        };
        Err(ProbeError::ImageMissing {
            reference: reference.to_owned(),
            address: address(),
            reason,
        })
    }

    /// Ids of the containers, running or not, that carry `label=value`.
    pub async fn containers_labelled(
        &self,
        label: &str,
        value: &str,
    ) -> Result<Vec<String>, ProbeError> {
        let containers = containers_with_label(&self.docker, label, value)
            .await
            .map_err(|e| ProbeError::engine("list containers", e))?;
        Ok(containers.into_iter().filter_map(|c| c.id).collect())
    }

    /// Removes a container, running or not; a container already gone is fine.
    pub async fn remove_container(&self, id: &str) {
        remove_container(&self.docker, id).await;
    }

    /// Removes every container of this run: the residents, and anything a
    /// failed clean-up left. Called when the run ends normally; the reaper
    /// does the same when it does not.
    pub async fn remove_run_containers(&self) -> Result<(), ProbeError> {
        for id in self.containers_labelled(RUN_LABEL, &self.run_id).await? {
            self.remove_container(&id).await;
        }
        Ok(())
    }
}

/// The containers, running or not, that carry `label=value`: for the
/// engine's own clean-up and for the reaper, which has a client alone.
pub(crate) async fn containers_with_label(
    docker: &Docker,
    label: &str,
    value: &str,
) -> Result<Vec<ContainerSummary>, BollardError> {
    let filters = HashMap::from([("label", vec![format!("{label}={value}")])]);
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    docker.list_containers(Some(options)).await
}

/// Removes a container with a client of its own: for clean-up that runs
/// after the [`Engine`] is borrowed elsewhere or gone.
pub async fn remove_container(docker: &Docker, id: &str) {
    let options = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    // An error here means it is already gone (or being removed by the engine).
    let _ = docker.remove_container(id, Some(options)).await;
}

/// testcontainers' client, set to the API version the engine and bollard
/// both speak. bollard 0.21 builds `/v1.53` into each request's URL and then
/// joins the request's absolute path onto it, which drops the version: every
/// engine answers such a request at its own newest version, so Docker 20.10
/// (API 1.41), 28 (1.51) and 29 (1.52, refusing below 1.44 in 29.0 to 29.2)
/// all accept it. Negotiating keeps that true for a bollard that sends the
/// version: it then sends the lower of the engine's and its own.
async fn connect_client() -> Result<Docker, String> {
    let docker = testcontainers::core::client::docker_client_instance()
        .await
        .map_err(|error| error.to_string())?;
    let negotiated = async {
        let docker = docker.negotiate_version().await?;
        docker.ping().await?;
        Ok::<Docker, testcontainers::bollard::errors::Error>(docker)
    };
    match tokio::time::timeout(PING_TIMEOUT, negotiated).await {
        Ok(Ok(docker)) => Ok(docker),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {} s", PING_TIMEOUT.as_secs())),
    }
}

/// Where the client looks for the engine, in words.
/// A stream read whose error came through as words (an export's or a
/// save's, read as it streams), explained: if the engine no longer answers
/// a ping, the error says it stopped answering, naming `doing`; otherwise
/// the error is kept.
pub(crate) async fn explain_unreadable<T>(
    docker: &Docker,
    doing: &str,
    read: Result<T, ProbeError>,
) -> Result<T, ProbeError> {
    match read {
        Err(unreadable @ ProbeError::Unreadable { .. }) => {
            Err(gone(docker, doing).await.unwrap_or(unreadable))
        }
        other => other,
    }
}

/// The error that the engine stopped answering, naming `doing`, if a ping
/// now fails on its way or gets no answer; `None` if the engine answers.
async fn gone(docker: &Docker, doing: &str) -> Option<ProbeError> {
    match tokio::time::timeout(PING_TIMEOUT, docker.ping()).await {
        Ok(Err(error)) if crate::error::is_transport(&error) => {
            Some(ProbeError::engine(doing.to_owned(), error))
        }
        Ok(_) => None,
        Err(_) => Some(ProbeError::engine(
            doing.to_owned(),
            testcontainers::bollard::errors::Error::RequestTimeoutError,
        )),
    }
}

pub fn address() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(host) => format!("DOCKER_HOST={host}"),
        Err(_) => "unix:///var/run/docker.sock (DOCKER_HOST is not set)".to_owned(),
    }
}

/// This run, unique across the processes that share an engine.
fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("{}-{nanos}", std::process::id())
}
