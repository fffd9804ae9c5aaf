//! `tested.json`: the images a run tested, for tools that publish them. Each
//! entry has named fields, so tools read it by name (`jq`), never by column:
//!
//! ```json
//! [{"row": "scratch", "reference": "calc:scratch", "id": "sha256:…", "architecture": "amd64"}]
//! ```
//!
//! A row whose image was never made ready has `null` for what is unknown.

use super::Report;
use serde_json::{Value, json};

pub const TESTED_FILE: &str = "tested.json";

pub fn tested_json(report: &Report) -> String {
    let entries: Vec<Value> = report
        .rows
        .iter()
        .map(|(name, row)| {
            json!({
                "row": name,
                "reference": row.reference,
                "id": row.id.as_ref().map(|id| id.as_str().to_owned()),
                "architecture": row.architecture.as_ref().map(|arch| arch.as_str().to_owned()),
                "given": row.given,
                "negative_control": row.negative_control,
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&entries).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}
