//! What a run leaves when it is killed while its engine is down: its
//! reaper finds no engine, so the containers stay. The next run on the
//! same machine removes them, found by their owner's label, and leaves a
//! live run's alone. On a real engine, with containers of Debian's image
//! (tools/seed-base-images), created and never started.

use image_probe::Engine;
use image_probe::engine::{HARNESS_LABEL, RUN_LABEL, RUN_LABEL_VALUE};
use image_probe::reaper::{OWNER_LABEL, owner_of_this_process};
use std::collections::HashMap;
use testcontainers::bollard::models::ContainerCreateBody;
use testcontainers::bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptionsBuilder,
};

const IMAGE: &str = "debian:bookworm-slim";

/// A container labelled as a run's, owned by `owner`.
async fn container_of(engine: &Engine, run: &str, owner: &str) -> String {
    let labels = HashMap::from([
        (HARNESS_LABEL.to_owned(), RUN_LABEL_VALUE.to_owned()),
        (RUN_LABEL.to_owned(), run.to_owned()),
        (OWNER_LABEL.to_owned(), owner.to_owned()),
    ]);
    let body = ContainerCreateBody {
        image: Some(IMAGE.to_owned()),
        cmd: Some(vec!["true".to_owned()]),
        labels: Some(labels),
        ..ContainerCreateBody::default()
    };
    engine
        .docker()
        .create_container(None::<CreateContainerOptions>, body)
        .await
        .expect("a container is created")
        .id
}

async fn exists(engine: &Engine, id: &str) -> bool {
    engine.docker().inspect_container(id, None).await.is_ok()
}

#[test]
fn a_run_starting_removes_the_containers_of_a_gone_run_and_keeps_a_live_ones() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime starts");
    runtime.block_on(async {
        let engine = Engine::connect().await.expect("an engine answers");
        let owner = owner_of_this_process().expect("/proc says who this process is");
        // This process under a start time it does not have: a process of the
        // same ID that has ended, as after a kill and a reuse of its ID.
        let (rest, start) = owner.rsplit_once('/').expect("an owner of four parts");
        let start: u64 = start.parse().expect("a start time");
        let gone = format!("{rest}/{}", start + 1);
        let abandoned = container_of(&engine, "a-killed-run", &gone).await;
        let live = container_of(&engine, "a-live-run", &owner).await;

        let next = Engine::connect().await.expect("an engine answers again");
        let (abandoned_left, live_left) =
            (exists(&next, &abandoned).await, exists(&next, &live).await);
        let remove = RemoveContainerOptionsBuilder::new().force(true).build();
        for id in [&abandoned, &live] {
            let _ = engine
                .docker()
                .remove_container(id, Some(remove.clone()))
                .await;
        }
        assert!(
            !abandoned_left,
            "the gone run's container {abandoned} is still there"
        );
        assert!(live_left, "the live run's container {live} was removed");
    });
}
