//! `target/containers/report.md` and `target/containers/sizes.svg`: what the
//! run measured, one row per image of the table, naming the reference and the
//! image ID that was really tested. Tests record facts as they learn them and
//! the files are rewritten after each, so the last write holds the whole run.

use crate::images::ALL;
use crate::probe::engine_facts::EngineFacts;
use crate::probe::image::ImageFacts;
use crate::row::ImageRow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

/// The Go teaching example's images, measured on this kind of machine: the
/// reference bars of the chart.
pub const GO_EXAMPLE_MULTI_STAGE_BYTES: u64 = 1_892_014;
pub const GO_EXAMPLE_SINGLE_STAGE_BYTES: u64 = 1_256_416_893;

#[derive(Default, Clone)]
struct Row {
    reference: Option<String>,
    id: Option<String>,
    architecture: Option<String>,
    given: bool,
    bytes: Option<u64>,
    /// `Some(None)`: measured, on a store that keeps no compressed layers.
    stored_bytes: Option<Option<u64>>,
    layer_bytes: Option<Vec<u64>>,
    user: Option<String>,
    shell: Option<bool>,
    files: Option<usize>,
    build: Option<Duration>,
    cases_passed: usize,
}

struct Report {
    started: Instant,
    /// The engine the run checked on, in words.
    engine: Option<String>,
    /// By row name.
    rows: BTreeMap<&'static str, Row>,
    /// How each call of the seccomp profile was shown to be needed.
    seccomp_evidence: Vec<String>,
    /// What could not be proven on this engine, each with its reason.
    not_proven: Vec<String>,
}

static REPORT: LazyLock<Mutex<Report>> = LazyLock::new(|| {
    Mutex::new(Report {
        started: Instant::now(),
        engine: None,
        rows: BTreeMap::new(),
        seccomp_evidence: Vec::new(),
        not_proven: Vec::new(),
    })
});

fn record(image: &ImageRow, update: impl FnOnce(&mut Row)) {
    record_in_report(|report| update(report.rows.entry(image.name).or_default()));
}

fn record_in_report(update: impl FnOnce(&mut Report)) {
    // A test that panicked while holding the lock leaves data that is still usable.
    let mut report = REPORT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    update(&mut report);
    if let Err(error) = write_files(&report) {
        eprintln!("containers: cannot write the report: {error}");
    }
}

/// Starts the run's clock; called when the suite's runtime starts.
pub fn start_clock() {
    LazyLock::force(&REPORT);
}

/// The image a row was checked on, and whether it was given rather than built.
pub fn record_subject(image: &ImageRow, reference: &str, facts: &ImageFacts, given: bool) {
    record(image, |row| {
        row.reference = Some(reference.to_owned());
        row.id = Some(facts.id.clone());
        row.architecture = Some(facts.architecture.clone());
        row.given = given;
    });
}

pub fn record_build_time(image: &ImageRow, build: Duration) {
    record(image, |row| row.build = Some(build));
}

/// The engine the run checks on.
pub fn record_engine(engine: &EngineFacts) {
    record_in_report(|report| report.engine = Some(engine.to_string()));
}

pub fn record_size(image: &ImageRow, bytes: u64, stored_bytes: Option<u64>, layer_bytes: Vec<u64>) {
    record(image, |row| {
        row.bytes = Some(bytes);
        row.stored_bytes = Some(stored_bytes);
        row.layer_bytes = Some(layer_bytes);
    });
}

pub fn record_user(image: &ImageRow, user: String) {
    record(image, |row| row.user = Some(user));
}

pub fn record_shell(image: &ImageRow, present: bool) {
    record(image, |row| row.shell = Some(present));
}

pub fn record_files(image: &ImageRow, files: usize) {
    record(image, |row| row.files = Some(files));
}

pub fn record_case_passed(image: &ImageRow) {
    record(image, |row| row.cases_passed += 1);
}

/// What a run without one of the seccomp profile's calls did.
pub fn record_seccomp_evidence(evidence: &str) {
    record_in_report(|report| report.seccomp_evidence.push(evidence.to_owned()));
}

/// A property that cannot be proven on this engine, and why.
pub fn record_not_proven(what: &str) {
    record_in_report(|report| report.not_proven.push(what.to_owned()));
}

/// `target/containers`, beside the test binaries' own `target/tmp`.
pub fn directory() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .map_or(tmp.clone(), |target| target.join("containers"))
}

fn write_files(report: &Report) -> std::io::Result<()> {
    let directory = directory();
    std::fs::create_dir_all(&directory)?;
    std::fs::write(directory.join("report.md"), markdown(report))?;
    std::fs::write(directory.join(TESTED_FILE), tested_table(report))?;
    std::fs::write(directory.join("sizes.svg"), chart(report))
}

/// For machines: one line per row, tab-separated: the row, the reference
/// checked, the image ID checked, its architecture. The workflow publishes
/// by these IDs, so what it pushes is what was checked.
pub const TESTED_FILE: &str = "tested.tsv";

fn tested_table(report: &Report) -> String {
    let empty = Row::default();
    let mut out = String::new();
    for image in ALL {
        let row = report.rows.get(image.name).unwrap_or(&empty);
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}",
            image.name,
            row.reference.as_deref().unwrap_or("-"),
            row.id.as_deref().unwrap_or("-"),
            row.architecture.as_deref().unwrap_or("-"),
        );
    }
    out
}

fn or_dash<T>(value: Option<T>, show: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| "–".to_owned(), show)
}

/// 62800 -> "62,800".
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn markdown(report: &Report) -> String {
    let mut out = String::from("# Container suite report\n\n");
    let _ = writeln!(
        out,
        "Engine: {}\n",
        report.engine.as_deref().unwrap_or("not reached")
    );
    out.push_str(
        "| image | tested (image ID) | architecture | obtained | bytes (unpacked) | stored bytes (what a pull transfers) | layers (unpacked bytes each, non-empty) | user observed | shell present | files | spec cases passed |\n\
         | --- | --- | --- | --- | ---: | ---: | --- | --- | --- | ---: | ---: |\n",
    );
    let empty = Row::default();
    for image in ALL {
        let row = report.rows.get(image.name).unwrap_or(&empty);
        let layers = or_dash(row.layer_bytes.as_ref(), |sizes| {
            let each: Vec<String> = sizes.iter().map(|&size| thousands(size)).collect();
            format!("{} ({})", sizes.len(), each.join(", "))
        });
        let obtained = match (row.given, row.build) {
            (true, _) => "given by reference, not built".to_owned(),
            (false, Some(build)) => format!("built in {:.1} s", build.as_secs_f64()),
            (false, None) => "–".to_owned(),
        };
        let control = if image.negative_control {
            " (negative control)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "| {}{control} | {} ({}) | {} | {obtained} | {} | {} | {layers} | {} | {} | {} | {} |",
            image.name,
            or_dash(row.reference.clone(), |reference| format!("`{reference}`")),
            or_dash(row.id.as_deref(), short_id),
            or_dash(row.architecture.clone(), |architecture| architecture),
            or_dash(row.bytes, thousands),
            or_dash(row.stored_bytes, |stored| stored.map_or_else(
                || "not stored: the classic store compresses layers only to push".to_owned(),
                thousands
            )),
            or_dash(row.user.clone(), |user| user),
            or_dash(row.shell, |present| if present { "yes" } else { "no" }
                .to_owned()),
            or_dash(row.files, |files| files.to_string()),
            row.cases_passed,
        );
    }
    let _ = writeln!(
        out,
        "\nReference: the Go teaching example's images, measured on the same kind of machine: \
         multi-stage {} B, single stage {} B.\n\nFacts recorded over {:.1} s of this run \
         (builds included; a build served from cache takes about a second).",
        thousands(GO_EXAMPLE_MULTI_STAGE_BYTES),
        thousands(GO_EXAMPLE_SINGLE_STAGE_BYTES),
        report.started.elapsed().as_secs_f64()
    );
    if !report.not_proven.is_empty() {
        let mut not_proven = report.not_proven.clone();
        not_proven.sort();
        not_proven.dedup();
        let _ = writeln!(out, "\nNot proven on this engine, and why:\n");
        for line in &not_proven {
            let _ = writeln!(out, "- {line}");
        }
    }
    if !report.seccomp_evidence.is_empty() {
        let mut evidence = report.seccomp_evidence.clone();
        evidence.sort();
        evidence.dedup();
        let _ = writeln!(
            out,
            "\nseccomp.json: each call it allows, and what calc did without it:\n"
        );
        for line in evidence {
            let _ = writeln!(out, "- {line}");
        }
    }
    out
}

/// `sha256:0123456789ab…` to `0123456789ab`, as `docker images` shows IDs.
fn short_id(id: &str) -> String {
    id.trim_start_matches("sha256:").chars().take(12).collect()
}

/// A horizontal bar chart of image sizes on a log scale, 10 KB to 10 GB.
fn chart(report: &Report) -> String {
    const WIDTH: f64 = 760.0;
    const LABEL: f64 = 250.0;
    const BAR: f64 = 26.0;
    const GAP: f64 = 14.0;
    const TOP: f64 = 50.0;
    let (low, high) = (4.0_f64, 10.0_f64); // log10 of 10 KB and 10 GB
    let colours = ["#2e7d32", "#1565c0", "#6a1b9a", "#00838f"];
    let mut bars: Vec<(String, Option<u64>, &str)> = ALL
        .iter()
        .zip(colours.iter().cycle())
        .map(|(image, colour)| {
            let row = report.rows.get(image.name);
            let label = row
                .and_then(|row| row.reference.clone())
                .unwrap_or_else(|| image.name.to_owned());
            let colour = if image.negative_control {
                "#c62828"
            } else {
                colour
            };
            (label, row.and_then(|row| row.bytes), colour)
        })
        .collect();
    bars.push((
        "Go example, multi-stage".into(),
        Some(GO_EXAMPLE_MULTI_STAGE_BYTES),
        "#9e9e9e",
    ));
    bars.push((
        "Go example, single stage".into(),
        Some(GO_EXAMPLE_SINGLE_STAGE_BYTES),
        "#9e9e9e",
    ));
    let height = TOP + bars.len() as f64 * (BAR + GAP) + 40.0;
    let scale = |bytes: u64| {
        let position = ((bytes.max(1) as f64).log10() - low) / (high - low);
        position.clamp(0.0, 1.0) * (WIDTH - LABEL - 20.0)
    };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"13\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">Image size, bytes (log scale)</text>\n"
    );
    let ticks = [
        "10 kB", "100 kB", "1 MB", "10 MB", "100 MB", "1 GB", "10 GB",
    ];
    for (power, tick) in (4..=10).zip(ticks) {
        let x = LABEL + scale(10_u64.pow(power));
        let _ = writeln!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#e0e0e0\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#616161\">{tick}</text>",
            height - 30.0,
            height - 14.0
        );
    }
    for (index, (name, bytes, colour)) in bars.iter().enumerate() {
        let y = TOP + index as f64 * (BAR + GAP);
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{name}</text>",
            LABEL - 8.0,
            y + BAR * 0.65
        );
        if let Some(bytes) = bytes {
            let width = scale(*bytes).max(1.0);
            // A long bar carries its value inside, a short one beside it.
            let (x, anchor, fill) = if width > (WIDTH - LABEL) / 2.0 {
                (LABEL + width - 6.0, "end", "white")
            } else {
                (LABEL + width + 6.0, "start", "black")
            };
            let _ = writeln!(
                svg,
                "<rect x=\"{LABEL}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{BAR}\" fill=\"{colour}\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"{fill}\">{} B</text>",
                y + BAR * 0.65,
                thousands(*bytes)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}
