//! Property 1, arithmetic: every case of the specification, in every image, gives the
//! same stdout and exit code as the specification says and the same stderr as
//! the host binary; the entrypoint and `docker run -i` work as documented.

use crate::images::Image;
use crate::report;
use crate::run::{Output, exec, on_host, one_shot, prints_only, resident, run_with_stdin};
use crate::spec::{Case, specification};
use crate::{block_on, pass};
use rstest::rstest;
use rstest_reuse::apply;

/// Where calc is in every image.
const CALC: &str = "/calc";
const BLOATED_CALC: &str = "/app/target/release/calc";

fn calc_path(image: Image) -> &'static str {
    match image {
        Image::Bloated => BLOATED_CALC,
        Image::Scratch | Image::Nonroot => CALC,
    }
}

/// Compares a container's run with the specification and with the host's run.
fn check_against_spec(image: Image, case: &Case, observed: &Output) -> Result<(), String> {
    let code = i32::try_from(observed.code).unwrap_or(-1);
    case.check(&observed.stdout, &observed.stderr, code)
        .map_err(|problem| format!("{image}: {}: {problem}", case.describe()))?;
    let host = on_host(case);
    if observed.stderr != host.stderr {
        return Err(format!(
            "{image}: {}: stderr {:?}, but the host binary's is {:?}",
            case.describe(),
            observed.stderr,
            host.stderr
        ));
    }
    Ok(())
}

// Each case runs as `docker exec` in one long-lived container per image: the
// same binary, file system and user as `docker run`, at a tenth of the cost.
// The entrypoint itself is proven by the one-shot tests below.
#[apply(specification)]
fn image_follows_the_specification(
    #[case] case: Case,
    #[values(Image::Scratch, Image::Nonroot, Image::Bloated)] image: Image,
) {
    block_on(async {
        let container = resident(image).await;
        let mut command = vec![calc_path(image).to_owned()];
        command.extend(case.args.iter().cloned());
        let observed = exec(
            &container.id,
            &command,
            case.stdin.as_deref().map(str::as_bytes),
        )
        .await
        .unwrap_or_else(|problem| panic!("{image}: {}: {problem}", case.describe()));
        pass(check_against_spec(image, &case, &observed));
        report::record_case_passed(image);
    });
}

#[rstest]
fn docker_run_passes_arguments_to_the_entrypoint(
    #[values(Image::Scratch, Image::Nonroot, Image::Bloated)] image: Image,
) {
    block_on(async {
        let run = one_shot(image, &["9", "%", "4"]);
        pass(prints_only(image, run, "1\n", "docker run IMAGE 9 % 4").await);
    });
}

#[rstest]
fn docker_run_interactive_evaluates_stdin_lines(
    #[values(Image::Scratch, Image::Nonroot, Image::Bloated)] image: Image,
) {
    let case = crate::spec::stdin("1 + 1\n\n2 x 3\n5 / 0\n9 % 4\n")
        .outputs("2\n6\n1\n")
        .fails(
            crate::spec::ARITHMETIC_ERROR,
            "calc: line 4: division by zero",
        );
    block_on(async {
        let input = case.stdin.clone().unwrap_or_default();
        let observed = run_with_stdin(image, input.as_bytes())
            .await
            .unwrap_or_else(|problem| panic!("{image}: docker run -i: {problem}"));
        pass(check_against_spec(image, &case, &observed));
    });
}
