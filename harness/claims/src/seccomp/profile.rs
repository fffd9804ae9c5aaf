//! A seccomp profile in Docker's JSON, with two keys of this harness on
//! each entry, which engines ignore:
//!
//! - `neededBy`: who needs the entry's calls, the image's program (any name
//!   but a runtime's, such as `calc`) or a runtime release whose init makes
//!   the call after it loads the filter (`runc 1.3`);
//! - `keptOnEvidence`: why a call is kept that no run can be made to fail
//!   without, such as one a runtime needs only when a signal lands at the
//!   wrong moment. Its calls are reported, not tested.

use image_probe::Architecture;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// OCI runtimes by name: a `neededBy` that starts with one names a runtime release.
pub const RUNTIMES: &[&str] = &["runc", "crun", "youki", "runsc"];

/// A call whose refusal makes a program spin rather than fail: without
/// `exit_group`, musl's `_Exit` loops for ever. So it is refused only for
/// the expected exit status; a runtime whose init fails before it execs
/// the program exits with another, and must be able to: refused outright,
/// such an init spins inside the engine's start call, where no API call
/// reaches it (seen with runc 1.3).
pub const EXIT_CALL: &str = "exit_group";

#[derive(Clone, Debug)]
pub struct Profile {
    pub path: PathBuf,
    pub json: Value,
}

/// Who needs a call, and the evidence for a call kept without a failing run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claimed {
    pub needed_by: BTreeSet<String>,
    pub kept_on_evidence: Option<String>,
}

impl Profile {
    pub fn load(path: &Path) -> Result<Profile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let json = serde_json::from_str(&text)
            .map_err(|error| format!("{} is not valid JSON: {error}", path.display()))?;
        Ok(Profile {
            path: path.to_owned(),
            json,
        })
    }

    /// The file's name, for messages.
    pub fn name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        )
    }

    /// The calls allowed on `architecture` (the profile's `includes.arches`
    /// names architectures as images do), each with who needs it. An entry
    /// that names no one, and keeps its calls on no evidence, is an error.
    pub fn claimed_calls(
        &self,
        architecture: &Architecture,
    ) -> Result<BTreeMap<String, Claimed>, String> {
        let mut calls: BTreeMap<String, Claimed> = BTreeMap::new();
        let entries = self.json["syscalls"].as_array().into_iter().flatten();
        for entry in entries.filter(|entry| applies_to(entry, architecture)) {
            let names = strings(&entry["names"]);
            let needed_by: BTreeSet<String> = strings(&entry["neededBy"]).into_iter().collect();
            let evidence = entry["keptOnEvidence"].as_str().map(str::to_owned);
            if needed_by.is_empty() {
                return Err(format!(
                    "{}'s entry for {} says in no neededBy who needs it: name the program, or \
                     the runtime releases (such as \"runc 1.3\") whose init makes the call",
                    self.name(),
                    names.join(", ")
                ));
            }
            for name in names {
                let claimed = calls.entry(name).or_default();
                claimed.needed_by.extend(needed_by.iter().cloned());
                if evidence.is_some() {
                    claimed.kept_on_evidence.clone_from(&evidence);
                }
            }
        }
        Ok(calls)
    }

    /// The profile refusing `calls`; [`EXIT_CALL`] only with `exit_code`.
    pub fn refusing(&self, calls: &[&str], exit_code: i64) -> Value {
        let mut json = self.json.clone();
        if let Some(entries) = json["syscalls"].as_array_mut() {
            for entry in entries.iter_mut() {
                if let Some(names) = entry["names"].as_array_mut() {
                    names.retain(|name| !calls.iter().any(|call| name == call));
                }
            }
            if calls.contains(&EXIT_CALL) {
                entries.push(serde_json::json!({
                    "names": [EXIT_CALL],
                    "action": "SCMP_ACT_ALLOW",
                    "args": [{ "index": 0, "value": exit_code, "op": "SCMP_CMP_NE" }],
                }));
            }
        }
        json
    }
}

/// Whether a `neededBy` names a runtime release rather than the program.
pub fn is_runtime_release(who: &str) -> bool {
    who.split_whitespace()
        .next()
        .is_some_and(|name| RUNTIMES.contains(&name))
}

fn applies_to(entry: &Value, architecture: &Architecture) -> bool {
    entry["includes"]["arches"]
        .as_array()
        .is_none_or(|arches| arches.iter().any(|a| a == architecture.as_str()))
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item.as_str().map(str::to_owned))
        .collect()
}
