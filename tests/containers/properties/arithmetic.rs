//! calc's own property, arithmetic: every case of the specification gives,
//! in every image, exactly the stdout, stderr and exit code the
//! specification states; the entrypoint and `docker run -i` work as documented.

use super::seccomp;
use super::{OrFail, expect_outcome};
use crate::block_on;
use crate::images::ALL;
use crate::probe::confinement::Confinement;
use crate::probe::resident::{confined_resident, exec};
use crate::probe::run::{one_shot, run_to_exit, run_with_stdin};
use crate::report;
use crate::row::ImageRow;
use crate::spec::{ARITHMETIC_ERROR, Case, Outcome, specification};
use crate::subject::subject;
use futures::future::join_all;
use rstest::rstest;
use rstest_reuse::apply;

/// One case in one image: `docker exec` of the program in the image's
/// resident container, the same binary, file system and user as
/// `docker run`, at a tenth of the cost. The entrypoint itself is proven by
/// the one-shot tests below.
///
/// An image that claims to run under the seccomp profile runs every case
/// under it, with the hardened flags (under emulation, the flags alone):
/// what passes there passes unconfined, as the one-shot tests show for
/// arguments and stdin. A negative control's arithmetic is not in question,
/// so it runs unconfined.
async fn follows(image: &'static ImageRow, case: &Case) -> Result<(), String> {
    let subject = subject(image).await;
    let confinement = if image.claims.seccomp && !image.negative_control {
        seccomp::specification_confinement(subject)
    } else {
        Confinement::NONE
    };
    let container = confined_resident(subject.image(), &confinement).await?;
    let command: Vec<String> = std::iter::once(image.program.to_owned())
        .chain(case.args.iter().cloned())
        .collect();
    let input = case.stdin.as_deref().map(str::as_bytes);
    let observed = exec(&container, &command, input)
        .await
        .map_err(|problem| format!("{subject}: {}: {problem}", case.describe()))?;
    case.check(&observed)
        .map_err(|mismatch| mismatch.within(&subject.label).to_string())?;
    report::record_case_passed(image);
    Ok(())
}

// Each case runs in every image at once; a failure names each image it failed in.
#[apply(specification)]
fn every_image_follows_the_specification(#[case] case: Case) {
    block_on(async {
        let verdicts = join_all(ALL.iter().map(|image| follows(image, &case))).await;
        let failures: Vec<String> = verdicts.into_iter().filter_map(Result::err).collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    });
}

pub async fn docker_run_passes_arguments_to_the_entrypoint(image: &'static ImageRow) {
    let subject = subject(image).await;
    let observed = run_to_exit(one_shot(subject.image(), &["9", "%", "4"]))
        .await
        .or_fail(subject);
    let expected = Outcome::from_streams(b"1\n", b"", 0);
    expect_outcome(subject, "docker run IMAGE 9 % 4", &observed, &expected);
}

pub async fn docker_run_interactive_evaluates_stdin_lines(image: &'static ImageRow) {
    let input = "1 + 1\n\n2 x 3\n5 / 0\n9 % 4\n";
    let subject = subject(image).await;
    let observed = run_with_stdin(subject.image(), input.as_bytes())
        .await
        .or_fail(subject);
    let expected = Outcome::from_streams(
        b"2\n6\n1\n",
        b"calc: line 4: division by zero: '/' at column 3\n",
        i64::from(ARITHMETIC_ERROR),
    );
    expect_outcome(subject, "docker run -i IMAGE", &observed, &expected);
}

tests_for_every_image!(
    docker_run_passes_arguments_to_the_entrypoint,
    docker_run_interactive_evaluates_stdin_lines
);
