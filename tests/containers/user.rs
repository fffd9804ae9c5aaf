//! Property 2, non-root: the user the process really runs as, observed on the running
//! process through the engine's top endpoint (not read from the image config).

use crate::filesystem::{ProcessUser, process_users};
use crate::images::Image;
use crate::report;
use crate::run::resident;
use crate::{block_on, pass};
use rstest::rstest;

/// distroless's nonroot user and group, which the scratch image uses by number.
pub const NONROOT_ID: u32 = 65532;

/// Every process of the container runs as uid and gid 65532.
fn check_runs_as_nonroot(image: Image, users: &[ProcessUser]) -> Result<(), String> {
    if users.is_empty() {
        return Err(format!("{image}: docker top shows no process"));
    }
    match users
        .iter()
        .find(|user| user.uid != NONROOT_ID || user.gid != NONROOT_ID)
    {
        None => Ok(()),
        Some(user) => Err(format!(
            "{image}: process {} runs as uid {} gid {}, expected uid {NONROOT_ID} gid {NONROOT_ID}",
            user.command, user.uid, user.gid
        )),
    }
}

async fn observed_users(image: Image) -> Vec<ProcessUser> {
    let container = resident(image).await;
    let users = process_users(&container.id)
        .await
        .unwrap_or_else(|problem| panic!("{image}: {problem}"));
    let shown: Vec<String> = users
        .iter()
        .map(|u| format!("{}:{}", u.uid, u.gid))
        .collect();
    report::record_user(image, shown.join(", "));
    users
}

#[rstest]
fn minimal_image_process_runs_as_nonroot(#[values(Image::Scratch, Image::Nonroot)] image: Image) {
    block_on(async {
        let users = observed_users(image).await;
        pass(check_runs_as_nonroot(image, &users));
    });
}

#[test]
fn nonroot_check_reports_root_in_the_bloated_image() {
    block_on(async {
        let image = Image::Bloated;
        let users = observed_users(image).await;
        let verdict = check_runs_as_nonroot(image, &users);
        let message = verdict.expect_err("the bloated image runs as root, so the check must fail");
        assert!(
            message.contains("uid 0 gid 0") && message.contains(&image.to_string()),
            "the failure must name the image and the observed root user: {message}"
        );
    });
}
