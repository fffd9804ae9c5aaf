//! Lines for the person watching a long run: which image is building, its
//! current step and the time so far, at a calm rate, and a line when it is
//! ready. A cold first run spends minutes building; libtest alone would show
//! only "has been running for over 60 seconds".

use std::io::Write;
use std::time::{Duration, Instant};

/// How often a build that is still going says so.
pub const REPORT_INTERVAL: Duration = Duration::from_secs(15);
/// The most characters of a step's name a line shows.
const MAX_STEP_CHARS: usize = 90;

/// Writes one line straight to the terminal: libtest captures `eprintln!`
/// of passing tests, and a progress line must be seen while the test runs.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "image-claims: {line}");
}

/// The progress of one build.
pub struct BuildProgress {
    image: String,
    started: Instant,
    step: String,
}

impl BuildProgress {
    pub fn start(image: &str) -> Self {
        BuildProgress {
            image: image.to_owned(),
            started: Instant::now(),
            step: String::new(),
        }
    }

    /// The step the builder is on now.
    pub fn step(&mut self, name: &str) {
        self.step = shorten(name);
    }

    /// Called every [`REPORT_INTERVAL`] while the build goes on.
    pub fn report(&self) {
        let step = if self.step.is_empty() {
            "starting".to_owned()
        } else {
            self.step.clone()
        };
        say(&format!(
            "building {}, {} s so far: {step}",
            self.image,
            self.started.elapsed().as_secs()
        ));
    }

    /// Says the image is ready and returns how long the build took.
    pub fn finish(self) -> Duration {
        let took = self.started.elapsed();
        say(&format!(
            "{} ready, built in {:.1} s",
            self.image,
            took.as_secs_f64()
        ));
        took
    }
}

fn shorten(step: &str) -> String {
    let one_line = step.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_STEP_CHARS {
        one_line
    } else {
        let head: String = one_line.chars().take(MAX_STEP_CHARS).collect();
        format!("{head}…")
    }
}
