//! calc's part of the report: the Go teaching example's images as the
//! chart's references. (The harness counts the specification's cases, each
//! row's commands, in its "commands passed" column.)

use image_claims::suite::Suite;

/// The Go teaching example's images, measured on this kind of machine.
pub const GO_EXAMPLE_MULTI_STAGE_BYTES: u64 = 1_892_014;
pub const GO_EXAMPLE_SINGLE_STAGE_BYTES: u64 = 1_256_416_893;

pub fn add(suite: &Suite) {
    let mut report = suite.report();
    report.chart_references.extend([
        (
            "Go example, multi-stage".to_owned(),
            GO_EXAMPLE_MULTI_STAGE_BYTES,
        ),
        (
            "Go example, single stage".to_owned(),
            GO_EXAMPLE_SINGLE_STAGE_BYTES,
        ),
    ]);
    report.notes.push(format!(
        "Reference: the Go teaching example's images, measured on the same kind of machine: \
         multi-stage {} B, single stage {} B.",
        image_claims::units::thousands(GO_EXAMPLE_MULTI_STAGE_BYTES),
        image_claims::units::thousands(GO_EXAMPLE_SINGLE_STAGE_BYTES)
    ));
}
