//! calc's part of the report: how many specification cases passed in each
//! image, and the Go teaching example's images as the chart's references.

use image_claims::suite::Suite;

/// The report's column counting the specification cases passed.
pub const CASES_PASSED: &str = "spec cases passed";

/// The Go teaching example's images, measured on this kind of machine.
pub const GO_EXAMPLE_MULTI_STAGE_BYTES: u64 = 1_892_014;
pub const GO_EXAMPLE_SINGLE_STAGE_BYTES: u64 = 1_256_416_893;

pub fn add(suite: &Suite) {
    let mut report = suite.report();
    report.add_column(CASES_PASSED);
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
