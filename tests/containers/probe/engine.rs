//! The Docker engine: one client for the run, a preflight that stops the whole
//! run with one clear line when no engine answers, images made present by
//! reference, and the labels that mark everything the suite creates.

use futures::StreamExt;
use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;
use testcontainers::bollard::Docker;
use testcontainers::bollard::query_parameters::{
    CreateImageOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
};
use tokio::sync::OnceCell;

use crate::probe::reaper;

/// Every container the suite creates carries this label (value [`SUITE_LABEL_VALUE`]),
/// beside testcontainers' own `org.testcontainers.managed-by=testcontainers`.
pub const SUITE_LABEL: &str = "org.calc.suite";
pub const SUITE_LABEL_VALUE: &str = "containers";

/// How long the engine may take to answer a ping.
const PING_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a pull of a missing image may take before it counts as "no registry".
const PULL_TIMEOUT: Duration = Duration::from_secs(120);

static DOCKER: OnceCell<Docker> = OnceCell::const_new();
static ARCHITECTURE: OnceCell<Result<String, String>> = OnceCell::const_new();

/// The engine's client; the first call checks that an engine answers and ends
/// the run with one line if none does.
pub async fn docker() -> &'static Docker {
    DOCKER
        .get_or_init(|| async {
            match connect().await {
                Ok(docker) => {
                    if let Err(problem) = reaper::start() {
                        eprintln!("containers: {problem}: a killed run will leave its containers");
                    }
                    docker
                }
                Err(problem) => abort_run(&format!(
                    "no Docker engine answers at {}: {problem}. Start one (`sudo systemctl start docker`, \
                     or `sudo dockerd &`), or point DOCKER_HOST at one, then run the suite again.",
                    engine_address()
                )),
            }
        })
        .await
}

/// testcontainers' client, set to the API version the engine and bollard
/// both speak. bollard 0.21 builds `/v1.53` into each request's URL and then
/// joins the request's absolute path onto it, which drops the version: every
/// engine answers such a request at its own newest version, so Docker 20.10
/// (API 1.41), 28 (1.51) and 29 (1.52, refusing below 1.44 in 29.0 to 29.2)
/// all accept it. Negotiating keeps that true for a bollard that sends the
/// version: it then sends the lower of the engine's and its own.
async fn connect() -> Result<Docker, String> {
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

/// The engine's own architecture, named as image configs name theirs
/// (`amd64`, `arm64`): an image of another one runs under emulation, if at all.
pub async fn engine_architecture() -> Result<String, String> {
    ARCHITECTURE
        .get_or_init(|| async {
            let info =
                docker().await.info().await.map_err(|error| {
                    format!("cannot ask the engine for its architecture: {error}")
                })?;
            match info.architecture.as_deref() {
                Some("x86_64") => Ok("amd64".to_owned()),
                Some("aarch64") => Ok("arm64".to_owned()),
                Some(other) => Ok(other.to_owned()),
                None => Err("the engine does not say its architecture".to_owned()),
            }
        })
        .await
        .clone()
}

/// Where the client looks for the engine, in words.
pub fn engine_address() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(host) => format!("DOCKER_HOST={host}"),
        Err(_) => "unix:///var/run/docker.sock (DOCKER_HOST is not set)".to_owned(),
    }
}

/// Ends the whole test run with one line: for conditions no test can pass under.
pub fn abort_run(message: &str) -> ! {
    // Straight to the file descriptor: libtest captures eprintln! and would
    // lose it when the process exits.
    let _ = writeln!(std::io::stderr(), "\ncontainers: {message}\n");
    std::process::exit(1)
}

/// Makes sure an image is in the engine, pulling it if a registry answers.
/// `Err` says why neither worked.
pub async fn ensure_image(reference: &str) -> Result<(), String> {
    let docker = docker().await;
    if docker.inspect_image(reference).await.is_ok() {
        return Ok(());
    }
    let options = CreateImageOptionsBuilder::new()
        .from_image(reference)
        .build();
    let pull = async {
        let mut progress = docker.create_image(Some(options), None, None);
        while let Some(step) = progress.next().await {
            step.map_err(|error| error.to_string())?;
        }
        Ok::<(), String>(())
    };
    match tokio::time::timeout(PULL_TIMEOUT, pull).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(problem)) => Err(format!(
            "{reference} is not in the engine at {} and cannot be pulled: {problem}",
            engine_address()
        )),
        Err(_) => Err(format!(
            "{reference} is not in the engine at {} and a pull gave no answer within {} s",
            engine_address(),
            PULL_TIMEOUT.as_secs()
        )),
    }
}

/// The labels the suite puts on a container it creates itself; the run's
/// label lets the reaper find it if this process is killed.
pub fn suite_labels() -> HashMap<String, String> {
    HashMap::from([
        (SUITE_LABEL.to_owned(), SUITE_LABEL_VALUE.to_owned()),
        (reaper::RUN_LABEL.to_owned(), reaper::run_id().to_owned()),
        (
            "org.testcontainers.managed-by".to_owned(),
            "testcontainers".to_owned(),
        ),
    ])
}

/// Ids of the containers, running or not, that carry `label=value`.
pub async fn containers_labelled(label: &str, value: &str) -> Result<Vec<String>, String> {
    let filters = HashMap::from([("label", vec![format!("{label}={value}")])]);
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let containers = docker()
        .await
        .list_containers(Some(options))
        .await
        .map_err(|error| format!("cannot list containers: {error}"))?;
    Ok(containers.into_iter().filter_map(|c| c.id).collect())
}

/// Removes a container, running or not; a container already gone is fine.
pub async fn remove_container(id: &str) {
    let options = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    // An error here means it is already gone (or being removed by the engine).
    let _ = docker().await.remove_container(id, Some(options)).await;
}
