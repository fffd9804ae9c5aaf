//! Non-root: the user the process really runs as, observed on the running
//! process through the engine's top endpoint (not read from the image config).

use super::{OrFail, judge};
use crate::checks::user::runs_as;
use crate::probe::processes::process_users;
use crate::probe::resident::resident;
use crate::report;
use crate::row::ImageRow;
use crate::subject::subject;

pub async fn process_runs_as_the_claimed_user(image: &'static ImageRow) {
    let Some(claimed) = image.claims.user else {
        return;
    };
    let subject = subject(image).await;
    let container = resident(subject.image()).await.or_fail(subject);
    let processes = process_users(&container).await.or_fail(subject);
    let observed: Vec<String> = processes
        .iter()
        .map(|process| format!("{}:{}", process.uid, process.gid))
        .collect();
    report::record_user(image, observed.join(", "));
    judge(
        subject,
        runs_as(&subject.label, claimed, &processes),
        &observed,
    );
}

tests_for_every_image!(process_runs_as_the_claimed_user);
