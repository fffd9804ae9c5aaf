//! An image controls what its program writes and how long it runs, and
//! what its file system holds: each bound the probe reads an image within,
//! crossed on purpose by a program of Debian's image, which the engine of
//! every suite holds (tools/seed-base-images). Each must fail with a
//! message naming the bound, in bounded time and memory, never hang.

use image_probe::filesystem::MAX_LISTED_ENTRIES;
use image_probe::readiness::{MAX_LOG_BYTES, ReadyWhen};
use image_probe::resident::{Residence, StartAs};
use image_probe::run::{MAX_OUTPUT_BYTES, RunRequest};
use image_probe::{Confinement, Engine, ProbeError};
use std::future::Future;
use std::time::Duration;

/// A program's image that every engine of the suite holds.
const IMAGE: &str = "debian:bookworm-slim";

/// Runs `test` against a connected engine, then removes what it left.
fn on_engine<F: Future<Output = ()>>(test: impl FnOnce(std::sync::Arc<Engine>) -> F) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime starts");
    runtime.block_on(async {
        let engine = std::sync::Arc::new(Engine::connect().await.expect("an engine answers"));
        test(std::sync::Arc::clone(&engine)).await;
        engine
            .remove_run_containers()
            .await
            .expect("the run's containers are removed");
    });
}

/// A container of [`IMAGE`] that stays running for execs.
async fn resident_of_the_image(engine: &Engine) -> String {
    engine
        .resident(
            IMAGE,
            Residence::StdinHeldOpen,
            &StartAs::default(),
            &Confinement::NONE,
        )
        .await
        .expect("a resident starts")
}

fn bound_crossed<T: std::fmt::Debug>(result: Result<T, ProbeError>, said: &str) {
    match result {
        Err(error @ ProbeError::Bound { .. }) => {
            let message = error.to_string();
            assert!(
                message.contains(said),
                "the message {message:?} names no {said:?}"
            );
        }
        other => panic!("expected the bound to be crossed ({said}), got {other:?}"),
    }
}

#[test]
fn a_run_that_writes_lines_without_end_fails_at_the_output_bound() {
    on_engine(|engine| async move {
        let flood = RunRequest::new(IMAGE, &["yes"]);
        let said = format!("it wrote more than {MAX_OUTPUT_BYTES} bytes to stdout");
        bound_crossed(engine.run(&flood).await, &said);
    });
}

#[test]
fn a_run_that_writes_nul_bytes_with_no_newline_fails_at_the_output_bound() {
    on_engine(|engine| async move {
        let flood = RunRequest::new(IMAGE, &["sh", "-c", "head -c 100000000 /dev/zero >&2"]);
        let said = format!("it wrote more than {MAX_OUTPUT_BYTES} bytes to stderr");
        bound_crossed(engine.run(&flood).await, &said);
    });
}

#[test]
fn an_exec_that_writes_without_end_fails_at_the_output_bound() {
    on_engine(|engine| async move {
        let resident = resident_of_the_image(&engine).await;
        let flood = engine.exec(&resident, &["yes".to_owned()], None).await;
        let said = format!("it wrote more than {MAX_OUTPUT_BYTES} bytes to stdout");
        bound_crossed(flood, &said);
    });
}

/// `flood` started as a server, waited on for `within` until a line of its
/// log is `listening`, which a flood never writes.
async fn wait_for_a_flood_to_say_listening(
    engine: &Engine,
    flood: &RunRequest,
    within: Duration,
) -> Result<Duration, ProbeError> {
    let serving = engine
        .serve_as(flood, &[8080], &engine.new_request())
        .await
        .expect("the container starts");
    let never = ReadyWhen::LogLine {
        test: std::sync::Arc::new(|line: &str| line == "listening"),
        shown: "/^listening$/".to_owned(),
    };
    engine.wait_ready(serving.reachable(), &never, within).await
}

#[test]
fn a_server_whose_log_floods_without_its_ready_line_fails_at_the_log_bound() {
    on_engine(|engine| async move {
        // A server that never listens, writing NUL bytes without end (and
        // without a newline, so that its one line grows to the bound).
        let flood = RunRequest::new(IMAGE, &["/dev/zero"]).with_entrypoint("cat");
        let waited =
            wait_for_a_flood_to_say_listening(&engine, &flood, Duration::from_secs(60)).await;
        let said = format!("its log passed {MAX_LOG_BYTES} bytes with no line matching");
        bound_crossed(waited, &said);
    });
}

/// Short lines come through the engine's log far slower than bytes (`yes`
/// did not reach the 16 MiB bound in 60 s, 2026-12-03, Docker 20.10): a
/// flood of them ends at the condition's own deadline instead.
#[test]
fn a_server_whose_log_floods_short_lines_fails_at_its_ready_deadline() {
    on_engine(|engine| async move {
        let flood = RunRequest::new(IMAGE, &[]).with_entrypoint("yes");
        let waited =
            wait_for_a_flood_to_say_listening(&engine, &flood, Duration::from_secs(3)).await;
        let message = waited.as_ref().map_err(ToString::to_string).err();
        assert!(
            message.as_deref().is_some_and(|said| said
                .starts_with("not ready within 3000 ms: waited for a line of its log matching")),
            "{waited:?}"
        );
    });
}

#[test]
fn an_exec_that_never_ends_fails_at_its_deadline() {
    on_engine(|engine| async move {
        let resident = resident_of_the_image(&engine).await;
        let forever = ["sleep".to_owned(), "infinity".to_owned()];
        let hung = engine
            .exec_within(&resident, &forever, &[], None, Duration::from_secs(2))
            .await;
        let message = hung.as_ref().map_err(ToString::to_string).err();
        assert!(
            message
                .as_deref()
                .is_some_and(|said| said.starts_with("still running after 2 s")),
            "{hung:?}"
        );
    });
}

/// The real bound is a million entries, which Debian's image does not
/// approach; a bound of a hundred is crossed the same way.
#[test]
fn a_file_system_of_more_entries_than_the_bound_fails() {
    const { assert!(MAX_LISTED_ENTRIES > 100) };
    on_engine(|engine| async move {
        let unstarted = engine
            .unstarted(IMAGE)
            .await
            .expect("a container is created");
        let listed = unstarted
            .entries_within(|_| false, Default::default(), 100)
            .await;
        match listed {
            Err(error @ ProbeError::Bound { .. }) => assert!(
                error
                    .to_string()
                    .contains("its file system holds more than 100 entries"),
                "{error}"
            ),
            Err(other) => panic!("expected the entries bound, got {other}"),
            Ok(listing) => panic!(
                "{} entries listed past a bound of 100",
                listing.entries.len()
            ),
        }
    });
}

#[test]
fn a_run_that_never_ends_fails_at_its_deadline_and_is_removed() {
    on_engine(|engine| async move {
        let forever = RunRequest::new(IMAGE, &["sleep", "infinity"]);
        let hung = engine.run_within(&forever, Duration::from_secs(2)).await;
        let message = hung.as_ref().map_err(ToString::to_string).err();
        assert_eq!(
            message.as_deref(),
            Some("still running after 2 s (removed)"),
            "{hung:?}"
        );
    });
}

#[test]
fn what_a_failed_container_said_is_read_to_a_bound() {
    use testcontainers::bollard::models::ContainerCreateBody;
    use testcontainers::bollard::query_parameters::CreateContainerOptions;
    on_engine(|engine| async move {
        let docker = engine.docker();
        let body = ContainerCreateBody {
            image: Some(IMAGE.to_owned()),
            // 1 MB of log, in lines of "y", then a failure.
            cmd: Some(
                ["sh", "-c", "yes | head -c 1000000; exit 1"]
                    .map(str::to_owned)
                    .to_vec(),
            ),
            labels: Some(engine.labels()),
            ..ContainerCreateBody::default()
        };
        let created = docker
            .create_container(None::<CreateContainerOptions>, body)
            .await
            .expect("a container is created");
        docker
            .start_container(&created.id, None)
            .await
            .expect("it starts");
        let mut waiting = docker.wait_container(&created.id, None);
        let _ = futures::StreamExt::next(&mut waiting).await;
        let said = image_probe::run::runtime_said(docker, &created.id).await;
        assert_eq!(
            said.as_deref(),
            Some("y (and more: the log is longer than 65536 bytes)")
        );
    });
}

#[test]
fn a_fork_bomb_stops_at_the_backstop_pids_limit() {
    use image_probe::confinement::BACKSTOP_PIDS_LIMIT;
    on_engine(|engine| async move {
        let processes = BACKSTOP_PIDS_LIMIT + 100;
        let script = format!("i=0; while [ $i -lt {processes} ]; do sleep 60 & i=$((i+1)); done");
        let bomb = RunRequest::new(IMAGE, &["sh", "-c", &script]);
        let outcome = engine
            .run_within(&bomb, Duration::from_secs(120))
            .await
            .expect("the run ends");
        assert!(
            outcome.stderr.contains("Cannot fork"),
            "{processes} processes started under a backstop of {BACKSTOP_PIDS_LIMIT}: {outcome:?}"
        );
    });
}

#[test]
fn a_container_as_deployed_is_killed_past_the_watched_backstop() {
    use futures::StreamExt;
    use image_probe::confinement::BACKSTOP_PIDS_LIMIT;
    on_engine(|engine| async move {
        // No limit on the container, as docker run -d starts it: the
        // processes pass the bound, and only the watcher outside ends them.
        let processes = BACKSTOP_PIDS_LIMIT + 100;
        let script =
            format!("i=0; while [ $i -lt {processes} ]; do sleep 120 & i=$((i+1)); done; wait");
        let start = StartAs {
            entrypoint: Some(vec!["sh".to_owned(), "-c".to_owned(), script]),
            ..StartAs::default()
        };
        let fresh = engine
            .start_fresh(
                IMAGE,
                Residence::OwnCommand,
                &start,
                &Confinement::as_deployed(),
                &[],
                &engine.new_request(),
            )
            .await
            .expect("it starts");
        let exit = tokio::time::timeout(
            Duration::from_secs(240),
            engine.docker().wait_container(&fresh.id, None).next(),
        )
        .await
        .expect("the watcher kills it before its sleeps end");
        let code = match exit {
            Some(Ok(exit)) => exit.status_code,
            Some(Err(testcontainers::bollard::errors::Error::DockerContainerWaitError {
                code,
                ..
            })) => code,
            other => panic!("no exit status: {other:?}"),
        };
        assert_eq!(
            code, 137,
            "killed with SIGKILL, past {BACKSTOP_PIDS_LIMIT} processes"
        );
    });
}
