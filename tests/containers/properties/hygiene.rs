//! Hygiene: what a test creates is removed also when the test fails.
//! (After the whole run, `.ci/run` counts the suite's containers by label.)

use crate::block_on;
use crate::images::ALL;
use crate::probe::engine::{containers_labelled, docker, suite_labels};
use crate::probe::run::{generic_image, run_to_exit};
use crate::row::ImageRow;
use crate::subject::subject;
use std::panic::AssertUnwindSafe;
use testcontainers::core::{ImageExt, WaitFor};
use testcontainers::runners::AsyncRunner;

/// Marks the container of the failed-start test, to count what it leaves.
const HYGIENE_LABEL: &str = "org.calc.suite.hygiene";

/// An image whose program waits on an open stdin: any row that is not a control.
fn waiting_image() -> &'static ImageRow {
    ALL.iter()
        .find(|row| !row.negative_control)
        .expect("the image table has a row that is not a negative control")
}

async fn exists(id: &str) -> bool {
    docker().await.inspect_container(id, None).await.is_ok()
}

#[test]
fn a_failing_test_leaves_no_container_behind() {
    let (sender, receiver) = std::sync::mpsc::channel();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        block_on(async {
            let subject = subject(waiting_image()).await;
            // The program waits on its open stdin: a container that is still running.
            let container = generic_image(subject.image())
                .with_wait_for(WaitFor::Nothing)
                .with_open_stdin(true)
                .with_labels(suite_labels())
                .start()
                .await
                .unwrap_or_else(|problem| panic!("{subject} did not start: {problem}"));
            let _ = sender.send(container.id().to_owned());
            panic!("a test failing while its container runs");
        })
    }));
    assert!(outcome.is_err(), "the inner test was meant to fail");
    let id = receiver
        .recv()
        .expect("the container started before the failure");
    block_on(async {
        assert!(
            !exists(&id).await,
            "container {id} outlived the failing test"
        );
    });
}

#[test]
fn a_container_whose_start_fails_is_removed() {
    block_on(async {
        let subject = subject(waiting_image()).await;
        // An entrypoint that does not exist: the engine creates the container, then cannot start it.
        let broken = generic_image(subject.image())
            .with_entrypoint("/no-such-program")
            .with_label(HYGIENE_LABEL, "start-fails");
        let outcome = run_to_exit(broken).await;
        assert!(
            outcome.is_err(),
            "{subject}: a container with a missing entrypoint started"
        );
        let left = containers_labelled(HYGIENE_LABEL, "start-fails")
            .await
            .unwrap_or_else(|problem| panic!("{problem}"));
        assert!(
            left.is_empty(),
            "containers left after a failed start: {}",
            left.join(", ")
        );
    });
}
