//! No shell: no shell file in the image, and the engine cannot run one in it.

use super::{OrFail, judge};
use crate::checks::shell::{SHELL_EXEC, SHELL_PATHS, no_shell};
use crate::probe::filesystem::unstarted;
use crate::probe::resident::{exec, resident};
use crate::report;
use crate::row::ImageRow;
use crate::subject::{Subject, subject};

async fn shell_paths_present(subject: &Subject) -> Vec<&'static str> {
    let container = unstarted(subject.image()).await.or_fail(subject);
    let mut present = Vec::new();
    for path in SHELL_PATHS {
        if container.has_path(path).await.or_fail(subject) {
            present.push(*path);
        }
    }
    present
}

/// The exit code of a shell exec'd into a running container, `None` when
/// the engine cannot even start it (as in an image with no shell).
async fn shell_exec_code(subject: &Subject) -> Option<i64> {
    let container = resident(subject.image()).await.or_fail(subject);
    let command: Vec<String> = SHELL_EXEC.iter().map(|word| (*word).to_owned()).collect();
    exec(&container, &command, None)
        .await
        .ok()
        .map(|outcome| outcome.code)
}

pub async fn image_has_no_shell_file(image: &'static ImageRow) {
    if !image.claims.no_shell {
        return;
    }
    let subject = subject(image).await;
    let present = shell_paths_present(subject).await;
    report::record_shell(image, !present.is_empty());
    let evidence: Vec<String> = present.iter().map(|path| (*path).to_owned()).collect();
    judge(subject, no_shell(&subject.label, &present, None), &evidence);
}

pub async fn no_shell_runs_in_the_container(image: &'static ImageRow) {
    if !image.claims.no_shell {
        return;
    }
    let subject = subject(image).await;
    let code = shell_exec_code(subject).await;
    let evidence = match code {
        Some(0) => vec!["exit code 0".to_owned()],
        _ => vec![],
    };
    judge(subject, no_shell(&subject.label, &[], code), &evidence);
}

tests_for_every_image!(image_has_no_shell_file, no_shell_runs_in_the_container);
