//! `image-claims`: checks the images a rows file describes.
//!
//! ```text
//! image-claims check ROWS.toml [--report DIR] [--junit FILE] [FILTER] [libtest options]
//! image-claims derive-seccomp ROWS.toml ROW [--runs N] [--out FILE | --check]
//! image-claims --version | --help
//! ```

use image_claims::entry::{self, check, serve_as_reaper_if_asked};
use image_claims::report::junit::JUNIT_FILE;
use image_claims::rows_file;
use image_claims::seccomp::derive;
use image_claims::signals;
use libtest_mimic::Arguments;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The rows file's name that reads the rows from standard input.
const STANDARD_INPUT: &str = "-";

/// Where the report goes unless `--report` says.
const DEFAULT_REPORT_DIRECTORY: &str = "target/image-claims";

const USAGE: &str = "usage:
  image-claims check ROWS.toml [--report DIR] [--junit FILE] [FILTER] [libtest options such as
      --list, --exact, --format json]
      builds or finds each row's image, checks what it claims, writes DIR/report.md,
      DIR/tested.json, DIR/junit.xml and DIR/github-annotations.txt (default DIR:
      target/image-claims), and FILE too if given, and fails if any check fails; --format json
      prints one JSON event a line; ROWS.toml - reads the rows from standard input, their
      paths relative to the current directory
  image-claims derive-seccomp ROWS.toml ROW [--runs N] [--out FILE | --check]
      runs ROW's smoke run (and its seccomp runs) N times (default 5) under a profile that
      allows and logs every call, reads the calls from the kernel's audit log, drops those
      every run passes without, and writes the allowlist (to FILE, or stdout); --check
      compares it with the profile ROW claims instead. Needs root, to read the log
  image-claims --version    prints its name and version
  image-claims --help       prints this";

fn main() -> ExitCode {
    if serve_as_reaper_if_asked() {
        return ExitCode::SUCCESS;
    }
    let mut args = std::env::args().skip(1);
    let command = args.next();
    match command.as_deref() {
        Some("--version" | "-V") => {
            println!("image-claims {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some("--help" | "-h") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    // Only a run that does something needs its handler thread and runtime.
    if let Err(error) = signals::exit_on_interrupt_or_terminate() {
        eprintln!("image-claims: cannot handle SIGINT and SIGTERM: {error}");
        return ExitCode::FAILURE;
    }
    let rows = args.next().map(PathBuf::from);
    let rest: Vec<String> = args.collect();
    let (Some(command), Some(rows)) = (command, rows) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let loaded = if rows == Path::new(STANDARD_INPUT) {
        rows_file::load_standard_input()
    } else {
        rows_file::load(&rows)
    };
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(problem) => {
            eprintln!("image-claims: {problem}");
            return ExitCode::FAILURE;
        }
    };
    match command.as_str() {
        "check" => {
            let (report, rest) = take_option(rest, "--report");
            let (junit, rest) = take_option(rest, "--junit");
            let report =
                PathBuf::from(report.unwrap_or_else(|| DEFAULT_REPORT_DIRECTORY.to_owned()));
            let arguments =
                Arguments::from_iter(std::iter::once("image-claims".to_owned()).chain(rest));
            let checked = check(loaded, &report, &arguments, |_| Vec::new());
            match junit.filter(|_| !arguments.list) {
                Some(junit) => copy_junit(&report, Path::new(&junit)).unwrap_or(checked),
                None => checked,
            }
        }
        "derive-seccomp" => {
            let mut rest = rest.into_iter();
            let Some(row) = rest.next() else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            let (runs, rest) = take_option(rest.collect(), "--runs");
            let (out, rest) = take_option(rest, "--out");
            let check = rest.iter().any(|arg| arg == "--check");
            let rest: Vec<String> = rest.into_iter().filter(|arg| arg != "--check").collect();
            if !rest.is_empty() {
                eprintln!("image-claims: unexpected {}\n{USAGE}", rest.join(" "));
                return ExitCode::from(2);
            }
            let runs = match runs.map(|runs| runs.parse::<usize>()) {
                None => derive::DEFAULT_RUNS,
                Some(Ok(runs)) if runs > 0 => runs,
                Some(_) => {
                    eprintln!("image-claims: --runs takes a number of runs, at least 1");
                    return ExitCode::from(2);
                }
            };
            match entry::derive_seccomp(
                loaded,
                &row,
                runs,
                out.map(PathBuf::from).as_deref(),
                check,
            ) {
                Ok(()) => ExitCode::SUCCESS,
                Err(problem) => {
                    eprintln!("image-claims: {problem}");
                    ExitCode::FAILURE
                }
            }
        }
        other => {
            eprintln!("image-claims: no command {other:?}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Copies the report's JUnit file to `to`; the failure to, if it fails.
fn copy_junit(report: &Path, to: &Path) -> Option<ExitCode> {
    let from = report.join(JUNIT_FILE);
    if let Some(parent) = to.parent().filter(|parent| !parent.as_os_str().is_empty())
        && let Err(error) = std::fs::create_dir_all(parent)
    {
        eprintln!("image-claims: cannot make {}: {error}", parent.display());
        return Some(ExitCode::FAILURE);
    }
    match std::fs::copy(&from, to) {
        Ok(_) => None,
        Err(error) => {
            eprintln!(
                "image-claims: cannot write the JUnit report {} from {}: {error}",
                to.display(),
                from.display()
            );
            Some(ExitCode::FAILURE)
        }
    }
}

/// The value of `--name VALUE` or `--name=VALUE`, and the other arguments.
fn take_option(args: Vec<String>, name: &str) -> (Option<String>, Vec<String>) {
    let mut value = None;
    let mut rest = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == name {
            value = args.next();
        } else if let Some(given) = arg.strip_prefix(&format!("{name}=")) {
            value = Some(given.to_owned());
        } else {
            rest.push(arg);
        }
    }
    (value, rest)
}
