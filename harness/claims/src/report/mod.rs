//! What a run observed, collected as the trials go and written once when
//! they end (also when some failed: the report holds what was observed).
//!
//! - `report.md`: one row per image, naming the reference and the image ID
//!   that was really tested, with what each check observed;
//! - `tested.json`: the tested images, with named fields, for tools that
//!   publish by image ID (see [`tested`]);
//! - `sizes.svg`: the images' sizes on a log scale;
//! - `junit.xml`: every trial run, one test suite per row, for CI tools
//!   (see [`junit`]);
//! - `github-annotations.txt`: the failures as GitHub Actions annotations
//!   (see [`annotations`]).

pub mod annotations;
pub mod chart;
pub mod junit;
pub mod markdown;
pub mod tested;

use image_probe::{Architecture, ImageId};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// What was observed of one row.
#[derive(Default, Clone)]
pub struct RowReport {
    pub reference: Option<String>,
    pub id: Option<ImageId>,
    pub architecture: Option<Architecture>,
    pub given: bool,
    pub negative_control: bool,
    pub bytes: Option<u64>,
    /// `Some(None)`: measured, on a store that keeps no compressed layers.
    pub stored_bytes: Option<Option<u64>>,
    pub layer_bytes: Option<Vec<u64>>,
    pub user: Option<String>,
    pub shell: Option<bool>,
    pub files: Option<usize>,
    /// What each stop signal did: "SIGTERM: exit code 143 after 12 ms".
    pub stop: Option<String>,
    pub build: Option<Duration>,
    /// Values of the columns a program adds ([`Report::add_column`]).
    pub extra: BTreeMap<String, String>,
}

/// How a trial ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrialOutcome {
    Passed,
    /// With the failure's message, as the trial printed it.
    Failed(String),
}

/// One trial that ran: its name, its row if it is of one, how it ended
/// and how long it took.
#[derive(Clone, Debug)]
pub struct TrialRecord {
    pub name: String,
    pub row: Option<String>,
    pub outcome: TrialOutcome,
    pub time: Duration,
}

pub struct Report {
    pub started: Instant,
    /// Every trial that ran, in the order they ended.
    pub trials: Vec<TrialRecord>,
    /// The engine the run checked on, in words.
    pub engine: Option<String>,
    /// In the order of the rows.
    pub rows: Vec<(String, RowReport)>,
    /// Columns a program adds after the harness's own, such as calc's
    /// count of specification cases passed.
    pub columns: Vec<String>,
    /// How each call of a seccomp profile was shown to be needed.
    pub seccomp_evidence: Vec<String>,
    /// What could not be proven on this engine, each with its reason.
    pub not_proven: Vec<String>,
    /// Bars of the chart that are not rows: reference points, in bytes.
    pub chart_references: Vec<(String, u64)>,
    /// Paragraphs a program adds after the table.
    pub notes: Vec<String>,
}

impl Report {
    pub fn new(rows: impl IntoIterator<Item = (String, bool)>) -> Self {
        Report {
            started: Instant::now(),
            trials: Vec::new(),
            engine: None,
            rows: rows
                .into_iter()
                .map(|(name, negative_control)| {
                    let row = RowReport {
                        negative_control,
                        ..RowReport::default()
                    };
                    (name, row)
                })
                .collect(),
            columns: Vec::new(),
            seccomp_evidence: Vec::new(),
            not_proven: Vec::new(),
            chart_references: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The entry of a row, made if the row is not in the report yet (a row a
    /// program checks besides those of the file).
    pub fn row(&mut self, name: &str) -> &mut RowReport {
        let index = match self.rows.iter().position(|(row, _)| row == name) {
            Some(index) => index,
            None => {
                self.rows.push((name.to_owned(), RowReport::default()));
                self.rows.len() - 1
            }
        };
        &mut self.rows[index].1
    }

    pub fn add_column(&mut self, name: &str) {
        if !self.columns.iter().any(|column| column == name) {
            self.columns.push(name.to_owned());
        }
    }

    /// Adds one to a row's count in a column a program added.
    pub fn count(&mut self, row: &str, column: &str) {
        let entry = self.row(row).extra.entry(column.to_owned()).or_default();
        let count: u64 = entry.parse().unwrap_or(0);
        *entry = (count + 1).to_string();
    }

    /// Writes the five files into `directory`.
    pub fn write(&self, directory: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(directory)?;
        std::fs::write(directory.join("report.md"), markdown::markdown(self))?;
        std::fs::write(
            directory.join(tested::TESTED_FILE),
            tested::tested_json(self),
        )?;
        std::fs::write(directory.join(junit::JUNIT_FILE), junit::junit_xml(self)?)?;
        std::fs::write(
            directory.join(annotations::ANNOTATIONS_FILE),
            annotations::github_annotations(self),
        )?;
        std::fs::write(directory.join("sizes.svg"), chart::chart(self))
    }
}
