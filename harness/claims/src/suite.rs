//! The suite fixture: one value that owns everything a run shares, the
//! async runtime, the engine (its client, resident containers and reaper),
//! the subjects and the other caches, and the report. Trials borrow it;
//! nothing is process-wide, and nothing ends the process from inside a
//! trial: a trial returns its verdict, and the report is written once,
//! after the last trial, from what was observed.

use crate::checks::shell::Tried;
use crate::failure::Failure;
use crate::report::Report;
use crate::row::Row;
use crate::service::{Started, start_ready};
use crate::subject::{BuildsByTag, Subject, build_inputs_digest, build_row, make_ready};
use image_probe::filesystem::{Listing, MAX_LISTED_ENTRIES};
use image_probe::once::OncePerKey;
use image_probe::readiness::Reachable;
use image_probe::signatures::ProgramKind;
use image_probe::{Confinement, Engine, ProbeError};
use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::runtime::Runtime;

/// Worker threads: the work is waiting on the engine, not computing.
const RUNTIME_WORKERS: usize = 4;

/// A running container that claims are judged on, ready.
pub enum ReadyContainer {
    /// A service's, removed when the run ends.
    Service(Started),
    /// A resident's, which the engine keeps for the run.
    Resident(String),
}

impl ReadyContainer {
    pub fn id(&self) -> &str {
        match self {
            ReadyContainer::Service(started) => started.id(),
            ReadyContainer::Resident(id) => id,
        }
    }

    /// Where this process reaches its published `port`.
    pub fn address_of(&self, port: u16) -> Result<String, ProbeError> {
        match self {
            ReadyContainer::Service(started) => started.serving.address_of(port),
            ReadyContainer::Resident(_) => Err(ProbeError::missing(format!(
                "published port {port}: a program waiting on stdin publishes none"
            ))),
        }
    }
}

/// A second build of a row's Dockerfile: how the report names it, and its top layer.
#[derive(Clone, Debug)]
pub struct Rebuilt {
    pub label: String,
    pub top_layer: String,
}

pub struct Suite {
    runtime: Runtime,
    engine: Engine,
    rows: Vec<Arc<Row>>,
    subjects: OncePerKey<Result<Arc<Subject>, Arc<ProbeError>>>,
    builds: BuildsByTag,
    listings: OncePerKey<Result<Arc<Listing>, Arc<ProbeError>>>,
    ready_containers: OncePerKey<Result<Arc<ReadyContainer>, Arc<ProbeError>>>,
    rebuilds: OncePerKey<Result<Rebuilt, Arc<Failure>>>,
    /// The second build of each reproducible row, by its tag.
    second_builds: OncePerKey<Result<String, Arc<ProbeError>>>,
    /// What the programs of an image did when offered scripts of a kind.
    offered: OncePerKey<Result<Arc<Vec<Tried>>, Arc<Failure>>>,
    report: Mutex<Report>,
    report_directory: PathBuf,
    /// The files whose content some row's claims read: every export keeps them.
    content_paths: BTreeSet<String>,
}

/// Why a suite cannot start.
#[derive(Debug)]
pub enum SuiteError {
    Runtime(std::io::Error),
    Engine(ProbeError),
}

impl std::fmt::Display for SuiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SuiteError::Runtime(error) => write!(f, "cannot start an async runtime: {error}"),
            SuiteError::Engine(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for SuiteError {}

impl Suite {
    /// Connects to the engine and prepares to check `rows`; the report goes
    /// to `report_directory` when [`Suite::finish`] is called.
    pub fn new(rows: Vec<Row>, report_directory: &Path) -> Result<Suite, SuiteError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RUNTIME_WORKERS)
            .enable_all()
            .build()
            .map_err(SuiteError::Runtime)?;
        let engine = runtime
            .block_on(Engine::connect())
            .map_err(SuiteError::Engine)?;
        let mut report = Report::new(
            rows.iter()
                .map(|row| (row.name.clone(), row.negative_control)),
        );
        report.engine = Some(engine.facts().to_string());
        let content_paths = rows.iter().flat_map(Row::content_paths).collect();
        Ok(Suite {
            runtime,
            engine,
            rows: rows.into_iter().map(Arc::new).collect(),
            subjects: OncePerKey::default(),
            builds: OncePerKey::default(),
            listings: OncePerKey::default(),
            ready_containers: OncePerKey::default(),
            rebuilds: OncePerKey::default(),
            second_builds: OncePerKey::default(),
            offered: OncePerKey::default(),
            report: Mutex::new(report),
            report_directory: report_directory.to_owned(),
            content_paths,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn rows(&self) -> &[Arc<Row>] {
        &self.rows
    }

    /// The row named `name`.
    pub fn row(&self, name: &str) -> Option<Arc<Row>> {
        self.rows.iter().find(|row| row.name == name).cloned()
    }

    /// Runs a trial's body on the suite's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The report, to record what was observed.
    pub fn report(&self) -> MutexGuard<'_, Report> {
        // A trial that panicked while holding the lock left data still usable.
        self.report
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts making every row ready at once, so that the builds run
    /// together and share BuildKit's cache, with each reproducible row's
    /// second build.
    pub fn prepare_all(self: &Arc<Self>) {
        for row in self.rows.clone() {
            // A row built here is native: its second build starts at once,
            // beside the first, so that BuildKit runs their shared steps
            // once and the two compiles side by side.
            if builds_twice_here(&row) {
                let (suite, row) = (Arc::clone(self), Arc::clone(&row));
                self.runtime.spawn(async move {
                    let _ = suite.second_build(&row).await;
                });
            }
            let suite = Arc::clone(self);
            self.runtime.spawn(async move {
                if let Ok(subject) = suite.subject(&row).await
                    && row.claims.reproducible
                    && !row.negative_control
                    && !subject.emulated
                {
                    let _ = suite.rebuilt(&subject).await;
                }
            });
        }
    }

    /// The row's image, ready: built or found, once per run.
    pub async fn subject(&self, row: &Arc<Row>) -> Result<Arc<Subject>, Failure> {
        let ready = self
            .subjects
            .get(&row.name, || async {
                match make_ready(&self.engine, &self.builds, Arc::clone(row)).await {
                    Ok(subject) => {
                        self.record_subject(&subject);
                        Ok(Arc::new(subject))
                    }
                    Err(error) => Err(Arc::new(error)),
                }
            })
            .await;
        ready.map_err(|error| Failure::probe(&row.name, ProbeError::Earlier(error)))
    }

    fn record_subject(&self, subject: &Subject) {
        let mut report = self.report();
        let row = report.row(&subject.row.name);
        row.reference = Some(subject.reference.clone());
        row.id = Some(subject.facts.id.clone());
        row.architecture = Some(subject.facts.architecture.clone());
        row.given = subject.given;
        row.negative_control = subject.row.negative_control;
        row.build = subject.build_time;
        row.bytes = Some(subject.facts.bytes);
        row.stored_bytes = Some(subject.facts.stored_bytes);
        row.layer_bytes = subject.facts.layer_bytes.clone();
    }

    /// The resident container of a subject, as `docker run -d` starts it
    /// (the default network, no limit it can read: the user claim and the
    /// commands judge what production runs), as its row says it stays
    /// running, and ready.
    pub async fn resident(&self, subject: &Subject) -> Result<String, Failure> {
        self.ready_container(subject, &Confinement::as_deployed())
            .await
            .map_err(|error| Failure::probe(subject, error))
    }

    /// The ID of a running container of the subject under `confinement`,
    /// ready, once per run and flags: a service started as its row says
    /// and waited on until its readiness holds; a program that waits on
    /// stdin, its resident, waited on too where its row gives a readiness.
    /// A container that never became ready is an error every later caller
    /// gets, so that each claim on it fails saying so.
    pub async fn ready_container(
        &self,
        subject: &Subject,
        confinement: &Confinement,
    ) -> Result<String, ProbeError> {
        self.ready(subject, confinement)
            .await
            .map(|ready| ready.id().to_owned())
    }

    /// [`Suite::ready_container`], with where its published ports are reached.
    pub async fn ready(
        &self,
        subject: &Subject,
        confinement: &Confinement,
    ) -> Result<Arc<ReadyContainer>, ProbeError> {
        // Rows of one image may start or wait for it otherwise: their life is in the key.
        let row = &subject.row;
        let readiness = row
            .readiness()
            .map(|(when, within)| format!("{} within {} ms", when.describe(), within.as_millis()));
        let key = format!(
            "{} {:?} {:?} {readiness:?} {}",
            subject.image(),
            row.residence,
            row.start_as(),
            confinement.identity()
        );
        let ready = self
            .ready_containers
            .get(&key, || async {
                self.start_ready_container(subject, confinement)
                    .await
                    .map(Arc::new)
                    .map_err(Arc::new)
            })
            .await;
        ready.map_err(ProbeError::Earlier)
    }

    async fn start_ready_container(
        &self,
        subject: &Subject,
        confinement: &Confinement,
    ) -> Result<ReadyContainer, ProbeError> {
        let row = &subject.row;
        let readiness = row.readiness();
        if row.is_service() {
            let started = start_ready(
                &self.engine,
                subject.image(),
                row,
                confinement,
                readiness.as_ref(),
            )
            .await?;
            return Ok(ReadyContainer::Service(started));
        }
        let id = self
            .engine
            .resident(
                subject.image(),
                row.residence.probe(),
                &row.start_as(),
                confinement,
            )
            .await?;
        if let Some((when, within)) = &readiness {
            let reachable = Reachable {
                id: &id,
                addresses: &[],
            };
            self.engine.wait_ready(reachable, when, *within).await?;
        }
        Ok(ReadyContainer::Resident(id))
    }

    /// The image's file system, exported once per run and reading. A
    /// negative control is read only until `enough` says it has seen what
    /// refutes its claims: a control can be gigabytes.
    /// What the programs of `subject`'s image did when offered scripts of
    /// `kind`, made by `offer` once per image and kind: the claim's two
    /// trials (the files, and the running container) read the same proof.
    pub async fn offered<F: Future<Output = Result<Vec<Tried>, Failure>>>(
        &self,
        subject: &Subject,
        kind: ProgramKind,
        offer: impl FnOnce() -> F,
    ) -> Result<Arc<Vec<Tried>>, Failure> {
        let key = format!("{} {}", subject.image(), kind.as_str());
        self.offered
            .get(&key, || async {
                offer().await.map(Arc::new).map_err(Arc::new)
            })
            .await
            .map_err(|failure| Failure::row(&subject.label, failure.to_string()))
    }

    pub async fn listing(
        &self,
        subject: &Subject,
        enough: impl FnMut(&image_probe::filesystem::Entry) -> bool + Send + 'static,
    ) -> Result<Arc<Listing>, Failure> {
        // How far the export is read is part of the key: a control's
        // listing stops early, and an image checked both as a control and
        // not must not hand its short listing to a good row.
        let reading = if subject.row.negative_control {
            "until refuted"
        } else {
            "whole"
        };
        let key = format!("{} {reading}", subject.image());
        let listed = self
            .listings
            .get(&key, || async {
                let export = async {
                    let container = self.engine.unstarted(subject.image()).await?;
                    let contents_of = self.content_paths.clone();
                    container
                        .entries_within(enough, contents_of, MAX_LISTED_ENTRIES)
                        .await
                };
                export.await.map(Arc::new).map_err(Arc::new)
            })
            .await;
        listed.map_err(|error| Failure::probe(subject, ProbeError::Earlier(error)))
    }

    /// The row's Dockerfile built again with a new rebuild argument, once
    /// per run: started as soon as the row's image is ready (see
    /// [`Suite::prepare_all`]), so that the compile overlaps the rest.
    pub async fn rebuilt(&self, tested: &Subject) -> Result<Rebuilt, Failure> {
        let rebuilt = self
            .rebuilds
            .get(&tested.row.name, || async {
                self.rebuild(tested).await.map_err(Arc::new)
            })
            .await;
        rebuilt.map_err(|failure| Failure::row(tested, failure.to_string()))
    }

    async fn rebuild(&self, tested: &Subject) -> Result<Rebuilt, Failure> {
        let row = &tested.row;
        let variable = row.rebuilt_variable();
        if let Some(given) = row.rebuilt_given() {
            return self.second_build_given(tested, &variable, &given).await;
        }
        if tested.emulated {
            return Err(Failure::row(
                tested,
                format!(
                    "it is {}, an architecture this engine only emulates, so a rebuild here \
                     would not be of it: build the Dockerfile a second time for {} and give \
                     that image as {variable}",
                    tested.facts.architecture, tested.facts.architecture
                ),
            ));
        }
        if row
            .build
            .as_ref()
            .is_none_or(|build| build.rebuild_argument.is_none())
        {
            return Err(Failure::row(
                tested,
                "its row claims reproducibility but has no Dockerfile with a rebuild argument",
            ));
        }
        let tag = self
            .second_build(row)
            .await
            .map_err(|error| Failure::probe(tested, ProbeError::Earlier(error)))?;
        let facts = self
            .engine
            .image_facts(&tag)
            .await
            .map_err(|error| Failure::probe(tested, error))?;
        let top_layer = top_layer(&facts.layer_digests)
            .ok_or_else(|| Failure::row(&tag, "the rebuilt image has no layer"))?;
        Ok(Rebuilt {
            label: tag,
            top_layer,
        })
    }

    /// The row's Dockerfile built again, under its own tag, with the rebuild
    /// argument set: once per run.
    async fn second_build(&self, row: &Row) -> Result<String, Arc<ProbeError>> {
        self.second_builds
            .get(&row.name, || async {
                let (tag, args) = second_build_request(row)?;
                build_row(&self.engine, row, &tag, &args).await?;
                Ok(tag)
            })
            .await
    }

    /// A second build made elsewhere, given through `variable`: it must be
    /// of the tested image's architecture, or the comparison proves nothing.
    async fn second_build_given(
        &self,
        tested: &Subject,
        variable: &str,
        given: &str,
    ) -> Result<Rebuilt, Failure> {
        let label = format!("{given} (from {variable})");
        self.engine
            .ensure_image(given)
            .await
            .map_err(|error| Failure::probe(&label, error))?;
        let facts = self
            .engine
            .image_facts(given)
            .await
            .map_err(|error| Failure::probe(&label, error))?;
        if facts.architecture != tested.facts.architecture {
            return Err(Failure::row(
                &label,
                format!(
                    "it is {}, the tested image {}: a second build must be of the same \
                     architecture",
                    facts.architecture, tested.facts.architecture
                ),
            ));
        }
        let top_layer = top_layer(&facts.layer_digests)
            .ok_or_else(|| Failure::row(&label, "the image has no layer"))?;
        Ok(Rebuilt { label, top_layer })
    }

    /// Ends the run: removes what is left of its containers, and writes the
    /// report once, from everything observed.
    pub fn finish(&self) -> Result<PathBuf, std::io::Error> {
        // Their removal runs on the runtime, so they are dropped inside it.
        self.block_on(async { self.ready_containers.clear() });
        let _ = self.block_on(self.engine.remove_run_containers());
        self.report().write(&self.report_directory)?;
        Ok(self.report_directory.clone())
    }
}

/// The last layer of an image, the one holding the program.
pub fn top_layer(layer_digests: &[String]) -> Option<String> {
    layer_digests.last().cloned()
}

/// The rebuild argument's value: the same for the same build inputs, and
/// never the Dockerfile's default. So the second compile of a version of
/// the sources runs once, and BuildKit keeps its result, keyed on the
/// content of every input, as it keeps the first build's. A warm run
/// compares the same two compiles again instead of compiling a third time;
/// a change to any input gives a new value and a fresh second compile.
fn rebuild_value(inputs_digest: u64) -> String {
    format!("inputs-{inputs_digest:016x}")
}

/// A build's tag and its extra build arguments.
type TaggedArgs = (String, Vec<(String, String)>);

/// The second build's tag and its rebuild argument.
fn second_build_request(row: &Row) -> Result<TaggedArgs, Arc<ProbeError>> {
    let missing = || ProbeError::missing(format!("the rebuild argument of the row {}", row.name));
    let build = row.build.as_ref().ok_or_else(missing)?;
    let argument = build.rebuild_argument.clone().ok_or_else(missing)?;
    let inputs = build_inputs_digest(row)?;
    Ok((
        format!("{}-rebuild", build.tag),
        vec![(argument, rebuild_value(inputs))],
    ))
}

/// Whether the row's second build is made here and can start with its
/// first: a reproducible row built here (not given by reference, which may
/// be of an architecture the engine only emulates) and not given a second
/// build either.
fn builds_twice_here(row: &Row) -> bool {
    row.claims.reproducible
        && !row.negative_control
        && row
            .build
            .as_ref()
            .is_some_and(|build| build.rebuild_argument.is_some())
        && row.reference_given().is_none()
        && row.rebuilt_given().is_none()
}
