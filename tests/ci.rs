//! The gate and its local twin agree: every check `.ci/run` runs is a step of
//! `.github/workflows/ci.yml` with the same name and the same command, and
//! every check of the workflow is in `.ci/run`, run or, where this machine
//! cannot run it or a later check covers it, named with the reason. Steps whose names start with
//! `setup:`, `report:` or `publish:` prepare, show or ship; they check nothing.
//! Steps of `.ci/run` whose names start with `matrix:` play the workflow's
//! matrix legs (its checks again, on other engines) and have no step of
//! their own in the workflow.

use std::collections::BTreeMap;

const WORKFLOW: &str = include_str!("../.github/workflows/ci.yml");
const CI_RUN: &str = include_str!("../.ci/run");
const NOT_CHECKS: &[&str] = &["setup:", "report:", "publish:", "matrix:"];

/// What `.ci/run` does with a check.
#[derive(Debug, PartialEq)]
enum Local {
    Runs(String),
    NotHere,
}

fn is_check(name: &str) -> bool {
    !NOT_CHECKS.iter().any(|prefix| name.starts_with(prefix))
}

/// The workflow's named steps with a one-line `run:`, by name, in order.
fn workflow_checks(workflow: &str) -> Vec<(String, String)> {
    let mut checks = Vec::new();
    let mut name: Option<String> = None;
    for line in workflow.lines().map(str::trim) {
        if let Some(step_name) = line.strip_prefix("- name: ") {
            name = Some(step_name.trim_matches('"').to_owned());
        } else if line.starts_with("- ") {
            name = None;
        } else if let (Some(command), Some(step)) = (line.strip_prefix("run: "), &name) {
            if is_check(step) && command != "|" {
                checks.push((step.clone(), command.to_owned()));
            }
            name = None;
        }
    }
    checks
}

/// `.ci/run`'s `check "NAME" 'COMMAND'` and `not_here "NAME" "REASON"` lines.
fn local_checks(script: &str) -> Vec<(String, Local)> {
    let mut checks = Vec::new();
    for line in script.lines() {
        if let Some(rest) = line.strip_prefix("check \"") {
            let (name, command) = rest.split_once("\" '").unwrap_or_else(|| {
                panic!(".ci/run: a check line not of the form check \"NAME\" 'COMMAND': {line}")
            });
            let command = command.strip_suffix('\'').unwrap_or(command);
            checks.push((name.to_owned(), Local::Runs(command.to_owned())));
        } else if let Some(rest) = line.strip_prefix("not_here \"") {
            let name = rest.split('"').next().unwrap_or_default();
            checks.push((name.to_owned(), Local::NotHere));
        }
    }
    checks
}

/// Differences between the two lists, in words; empty when they agree.
fn disagreements(workflow: &[(String, String)], local: &[(String, Local)]) -> Vec<String> {
    let by_name: BTreeMap<&str, &Local> = local.iter().map(|(n, l)| (n.as_str(), l)).collect();
    let mut problems = Vec::new();
    for (name, command) in workflow {
        match by_name.get(name.as_str()) {
            None => problems.push(format!(
                "the workflow checks \"{name}\" ({command}), .ci/run does not: add \
                 check \"{name}\" '{command}' to .ci/run, or not_here with the reason"
            )),
            Some(Local::Runs(local)) if local != command => problems.push(format!(
                "\"{name}\" runs `{command}` in the workflow but `{local}` in .ci/run"
            )),
            Some(_) => {}
        }
    }
    for (name, _) in local {
        if !workflow.iter().any(|(step, _)| step == name) {
            problems.push(format!(
                ".ci/run checks \"{name}\", the workflow does not: add a step of that name"
            ));
        }
    }
    let order = |names: Vec<&str>| names.join(", ");
    let workflow_order: Vec<&str> = workflow.iter().map(|(n, _)| n.as_str()).collect();
    let local_order: Vec<&str> = local.iter().map(|(n, _)| n.as_str()).collect();
    if problems.is_empty() && workflow_order != local_order {
        problems.push(format!(
            "the same checks in another order: workflow {}; .ci/run {}",
            order(workflow_order),
            order(local_order)
        ));
    }
    problems
}

#[test]
fn ci_run_and_the_workflow_run_the_same_checks() {
    let workflow = workflow_checks(WORKFLOW);
    let local = local_checks(CI_RUN);
    assert!(
        workflow.len() >= 5 && local.len() >= 5,
        "too few checks found (workflow {}, .ci/run {}): has the format of either file changed?",
        workflow.len(),
        local.len()
    );
    let problems = disagreements(&workflow, &local);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_check_added_to_one_list_alone_is_caught() {
    let workflow = workflow_checks(WORKFLOW);
    let mut local = local_checks(CI_RUN);
    local.push((
        "cargo audit".to_owned(),
        Local::Runs("cargo audit".to_owned()),
    ));
    let problems = disagreements(&workflow, &local);
    assert_eq!(
        problems,
        [".ci/run checks \"cargo audit\", the workflow does not: add a step of that name"]
    );

    let extended = format!("{WORKFLOW}      - name: cargo audit\n        run: cargo audit\n");
    let problems = disagreements(&workflow_checks(&extended), &local_checks(CI_RUN));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("the workflow checks \"cargo audit\""));
}

#[test]
fn a_check_whose_command_differs_is_caught() {
    let edited = CI_RUN.replace("'cargo fmt --check'", "'cargo fmt'");
    let problems = disagreements(&workflow_checks(WORKFLOW), &local_checks(&edited));
    assert_eq!(
        problems,
        ["\"cargo fmt\" runs `cargo fmt --check` in the workflow but `cargo fmt` in .ci/run"]
    );
}
