//! The properties: one file each. A row property is checked once for every
//! row that claims it, as the trial `PROPERTY::ROW`; a suite property once
//! per run. A property observes through the probe, asks a pure check for
//! the verdict, and has the suite judge it by the row: an image must pass;
//! a negative control must fail, and fail for the right reason.

pub mod any_user;
pub mod commands;
pub mod config;
pub mod files;
pub mod hardening;
pub mod health;
pub mod hygiene;
pub mod inventory;
pub mod minimality;
pub mod reproducibility;
pub mod seccomp;
pub mod service;
pub mod shell;
pub mod size;
pub mod smoke;
pub mod stop;
pub mod user;

use crate::failure::Failure;
use crate::row::Row;
use crate::suite::Suite;
use futures::future::BoxFuture;
use std::sync::Arc;

pub type Verdict = Result<(), Failure>;
pub type RowCheck = for<'a> fn(&'a Suite, &'a Arc<Row>) -> BoxFuture<'a, Verdict>;
pub type SuiteCheck = for<'a> fn(&'a Suite) -> BoxFuture<'a, Verdict>;

/// A property of one image, for the rows that claim it.
pub struct RowProperty {
    pub name: &'static str,
    pub claimed_by: fn(&Row) -> bool,
    pub check: RowCheck,
}

/// A property of the harness itself, or of the run as a whole.
pub struct SuiteProperty {
    pub name: &'static str,
    pub check: SuiteCheck,
}

macro_rules! row_property {
    ($module:ident :: $check:ident, $claimed_by:expr) => {
        RowProperty {
            name: stringify!($check),
            claimed_by: $claimed_by,
            check: |suite, row| Box::pin($module::$check(suite, row)),
        }
    };
}

macro_rules! suite_property {
    ($module:ident :: $check:ident) => {
        SuiteProperty {
            name: stringify!($check),
            check: |suite| Box::pin($module::$check(suite)),
        }
    };
}

/// Every row property, in the order trials start: the longest first (the
/// minimality proof's runs, the rebuild), so that they overlap the rest.
pub const ROW_PROPERTIES: &[RowProperty] = &[
    row_property!(minimality::every_call_the_profile_allows_is_needed, |row| {
        row.claims
            .seccomp
            .as_ref()
            .is_some_and(|seccomp| seccomp.minimal)
            && !row.negative_control
    }),
    row_property!(reproducibility::rebuild_gives_the_same_top_layer, |row| {
        row.claims.reproducible
    }),
    row_property!(smoke::smoke_run_gives_its_expected_output, |_| true),
    row_property!(any_user::smoke_run_passes_as_any_user, |row| row
        .claims
        .any_user
        && !row.is_service()),
    row_property!(service::service_is_ready_as_any_user, |row| row
        .claims
        .any_user
        && row.is_service()),
    row_property!(health::engine_reports_the_image_healthy, |row| row
        .claims
        .healthy_within_ms
        .is_some()),
    row_property!(stop::container_stops_when_asked, |row| !row
        .claims
        .stops
        .is_empty()),
    row_property!(user::process_runs_as_the_claimed_user, |row| row
        .claims
        .user
        .is_some()),
    row_property!(shell::image_has_no_shell_file, |row| row.claims.no_shell),
    row_property!(shell::no_shell_runs_in_the_container, |row| row
        .claims
        .no_shell),
    row_property!(shell::image_has_no_interpreter_file, |row| row
        .claims
        .no_interpreter),
    row_property!(shell::no_interpreter_runs_in_the_container, |row| row
        .claims
        .no_interpreter),
    row_property!(config::image_config_is_as_claimed, |row| row
        .claims
        .config
        .is_some()),
    row_property!(files::image_holds_only_its_files, |row| row
        .claims
        .files
        .is_some()),
    row_property!(files::image_files_are_as_claimed, |row| !row
        .claims
        .paths
        .is_empty()),
    row_property!(files::image_has_its_claimed_layers, |row| row
        .claims
        .layers
        .is_some()),
    row_property!(files::image_has_no_setuid_file, |row| row.claims.no_setuid),
    row_property!(size::image_is_within_its_size_budget, |row| {
        row.claims.size.is_some() || row.claims.size_over_base.is_some()
    }),
    row_property!(hardening::smoke_run_works_under_the_hardened_flags, |row| {
        row.claims.hardened.is_some() && !row.is_service()
    }),
    row_property!(service::service_is_ready_under_the_hardened_flags, |row| {
        row.claims.hardened.is_some() && row.is_service()
    }),
    row_property!(seccomp::smoke_run_works_under_the_seccomp_profile, |row| {
        row.claims.seccomp.is_some() && !row.is_service()
    }),
    row_property!(service::service_is_ready_under_the_seccomp_profile, |row| {
        row.claims.seccomp.is_some() && row.is_service()
    }),
];

/// Every suite property.
pub const SUITE_PROPERTIES: &[SuiteProperty] = &[
    suite_property!(hygiene::an_abandoned_trial_leaves_no_container_behind),
    suite_property!(hygiene::a_container_whose_start_fails_is_removed),
    suite_property!(smoke::a_server_never_ready_fails_as_not_ready),
    suite_property!(size::layers_counted_give_the_classic_stores_own_size),
    suite_property!(seccomp::a_start_the_profile_refuses_is_reported_in_the_runtimes_words),
];
