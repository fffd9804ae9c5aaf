//! `report.md`: the table of rows, then what could not be proven here, the
//! seccomp evidence, and a program's own notes.

use super::Report;
use crate::escaping;
use crate::units::thousands;
use std::fmt::Write as _;

fn or_dash<T>(value: Option<T>, show: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| "–".to_owned(), show)
}

/// A value in a table cell or a list item: by the one rule of [`escaping`],
/// and a `|`, which would end the cell, as `\|`.
fn cell(text: &str) -> String {
    escaping::value(text, escaping::MAX_VALUE_CHARS).replace('|', "\\|")
}

pub fn markdown(report: &Report) -> String {
    let mut out = String::from("# Container image report\n\n");
    let _ = writeln!(
        out,
        "Engine: {}\n",
        report
            .engine
            .as_deref()
            .map_or_else(|| "not reached".to_owned(), cell)
    );
    let extra_titles: String = report
        .columns
        .iter()
        .map(|column| format!(" {column} |"))
        .collect();
    let extra_rule: String = report.columns.iter().map(|_| " ---: |").collect();
    let _ = writeln!(
        out,
        "| image | tested (image ID) | architecture | obtained | bytes (unpacked) | stored bytes \
         (what a pull transfers) | layers (unpacked bytes each, non-empty) | user observed | \
         shell present | files | asked to stop |{extra_titles}\n\
         | --- | --- | --- | --- | ---: | ---: | --- | --- | --- | ---: | --- |{extra_rule}"
    );
    for (name, row) in &report.rows {
        let layers = or_dash(row.layer_bytes.as_ref(), |sizes| {
            let each: Vec<String> = sizes.iter().map(|&size| thousands(size)).collect();
            format!("{} ({})", sizes.len(), each.join(", "))
        });
        let obtained = match (row.given, row.build) {
            (true, _) => "given by reference, not built".to_owned(),
            (false, Some(build)) => format!("built in {:.1} s", build.as_secs_f64()),
            (false, None) => "–".to_owned(),
        };
        let control = if row.negative_control {
            " (negative control)"
        } else {
            ""
        };
        let extra: String = report
            .columns
            .iter()
            .map(|column| {
                format!(
                    " {} |",
                    or_dash(row.extra.get(column).map(String::as_str), cell)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "| {name}{control} | {} ({}) | {} | {obtained} | {} | {} | {layers} | {} | {} | {} | {} |{extra}",
            or_dash(row.reference.as_ref(), |reference| format!(
                "`{}`",
                cell(reference)
            )),
            or_dash(row.id.as_ref(), |id| id.short()),
            or_dash(row.architecture.as_ref(), ToString::to_string),
            or_dash(row.bytes, thousands),
            or_dash(row.stored_bytes, |stored| stored.map_or_else(
                || "not stored: the classic store compresses layers only to push".to_owned(),
                thousands
            )),
            or_dash(row.user.as_deref(), cell),
            or_dash(row.shell, |present| if present { "yes" } else { "no" }
                .to_owned()),
            or_dash(row.files, |files| files.to_string()),
            or_dash(row.stop.as_deref(), cell),
        );
    }
    let _ = writeln!(
        out,
        "\nFacts recorded over {:.1} s of this run (builds included; a build served from \
         cache takes about a second).",
        report.started.elapsed().as_secs_f64()
    );
    section(
        &mut out,
        "Not proven on this engine, and why:",
        &report.not_proven,
    );
    section(
        &mut out,
        "Seccomp profiles: each call allowed, and what the image did without it:",
        &report.seccomp_evidence,
    );
    for note in &report.notes {
        let _ = writeln!(out, "\n{note}");
    }
    out
}

/// A titled list, sorted, each line once; nothing when empty.
fn section(out: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let mut lines = lines.to_vec();
    lines.sort();
    lines.dedup();
    let _ = writeln!(out, "\n{title}\n");
    for line in lines {
        let _ = writeln!(out, "- {}", cell(&line));
    }
}
