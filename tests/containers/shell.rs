//! Property 3, no shell: no shell binary in the file system, an exec of one fails,
//! the scratch image holds /calc alone, and no file is setuid or setgid.

use crate::filesystem::{Entry, Kind, unstarted};
use crate::images::Image;
use crate::report;
use crate::run::{exec, resident};
use crate::{block_on, pass};
use rstest::rstest;

/// Where a shell would be: the usual ones, and busybox's in its debug images.
pub const SHELL_PATHS: &[&str] = &["/bin/sh", "/bin/bash", "/bin/busybox", "/busybox/sh"];

/// The setuid and setgid bits of a file mode.
const SETUID_OR_SETGID: u32 = 0o6000;

/// The mode /calc must have.
const CALC_MODE: u32 = 0o755;

async fn shell_paths_present(image: Image) -> Vec<&'static str> {
    let container = unstarted(image)
        .await
        .unwrap_or_else(|problem| panic!("{image}: {problem}"));
    let mut present = Vec::new();
    for path in SHELL_PATHS {
        let found = container
            .has_path(path)
            .await
            .unwrap_or_else(|problem| panic!("{image}: {problem}"));
        if found {
            present.push(*path);
        }
    }
    report::record_shell(image, !present.is_empty());
    present
}

fn check_no_shell_file(image: Image, present: &[&str]) -> Result<(), String> {
    if present.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{image}: has a shell at {present:?}, expected none of {SHELL_PATHS:?}"
        ))
    }
}

/// An exec of `/bin/sh -c "exit 0"` into a running container.
async fn shell_exec_exit_code(image: Image) -> i64 {
    let container = resident(image).await;
    let command = ["/bin/sh", "-c", "exit 0"].map(String::from);
    match exec(&container.id, &command, None).await {
        Ok(output) => output.code,
        // The engine refusing the exec outright is a failure too.
        Err(_) => -1,
    }
}

fn check_shell_exec_fails(image: Image, code: i64) -> Result<(), String> {
    if code == 0 {
        Err(format!(
            "{image}: `docker exec /bin/sh -c 'exit 0'` succeeded, expected it to fail"
        ))
    } else {
        Ok(())
    }
}

fn check_no_setuid_file(image: Image, entries: &[Entry]) -> Result<(), String> {
    let flagged: Vec<String> = entries
        .iter()
        .filter(|entry| entry.kind == Kind::File && entry.mode & SETUID_OR_SETGID != 0)
        .map(|entry| format!("/{} ({:o})", entry.path, entry.mode))
        .collect();
    if flagged.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{image}: setuid or setgid files {flagged:?}, expected none"
        ))
    }
}

/// Apart from what Docker adds to every container, the file system is /calc, mode 0755.
fn check_holds_only_calc(image: Image, entries: &[Entry]) -> Result<(), String> {
    let own: Vec<&Entry> = entries.iter().filter(|e| !e.is_added_by_docker()).collect();
    match own.as_slice() {
        [calc]
            if calc.path == "calc"
                && calc.kind == Kind::File
                && calc.mode & 0o7777 == CALC_MODE =>
        {
            Ok(())
        }
        _ => {
            let shown: Vec<String> = own
                .iter()
                .take(10)
                .map(|e| format!("/{} ({:o})", e.path, e.mode))
                .collect();
            Err(format!(
                "{image}: holds {} entries besides Docker's ({shown:?}...), expected only /calc with mode {CALC_MODE:o}",
                own.len()
            ))
        }
    }
}

async fn exported(image: Image) -> Vec<Entry> {
    let container = unstarted(image)
        .await
        .unwrap_or_else(|problem| panic!("{image}: {problem}"));
    let entries = container
        .entries()
        .await
        .unwrap_or_else(|problem| panic!("{image}: {problem}"));
    let files = entries
        .iter()
        .filter(|e| !e.is_added_by_docker() && e.kind != Kind::Directory)
        .count();
    report::record_files(image, files);
    entries
}

#[rstest]
fn minimal_image_has_no_shell(#[values(Image::Scratch, Image::Nonroot)] image: Image) {
    block_on(async {
        let present = shell_paths_present(image).await;
        let exec_code = shell_exec_exit_code(image).await;
        let verdicts = [
            check_no_shell_file(image, &present),
            check_shell_exec_fails(image, exec_code),
        ];
        verdicts.into_iter().for_each(pass);
    });
}

#[test]
fn shell_checks_find_the_shell_of_the_bloated_image() {
    block_on(async {
        let image = Image::Bloated;
        let present = shell_paths_present(image).await;
        let message =
            check_no_shell_file(image, &present).expect_err("the bloated image has /bin/sh");
        assert!(
            message.contains("/bin/sh") && message.contains("calc:bloated"),
            "{message}"
        );
        let exec_code = shell_exec_exit_code(image).await;
        check_shell_exec_fails(image, exec_code).expect_err("a shell runs in the bloated image");
    });
}

#[test]
fn scratch_image_holds_only_calc() {
    block_on(async {
        let image = Image::Scratch;
        pass(check_holds_only_calc(image, &exported(image).await));
    });
}

#[test]
fn only_calc_check_rejects_the_nonroot_image() {
    block_on(async {
        let image = Image::Nonroot;
        let message = check_holds_only_calc(image, &exported(image).await)
            .expect_err("distroless holds more than /calc");
        assert!(message.contains("calc:nonroot"), "{message}");
    });
}

#[rstest]
fn minimal_image_has_no_setuid_file(#[values(Image::Scratch, Image::Nonroot)] image: Image) {
    block_on(async {
        pass(check_no_setuid_file(image, &exported(image).await));
    });
}

#[test]
fn setuid_check_finds_the_setuid_files_of_the_bloated_image() {
    block_on(async {
        let image = Image::Bloated;
        // /usr/bin alone holds su, passwd and mount: enough for the control,
        // and a fifth of the time of exporting 1.8 GB.
        let container = unstarted(image)
            .await
            .unwrap_or_else(|problem| panic!("{image}: {problem}"));
        let entries = container
            .entries_under("/usr/bin")
            .await
            .unwrap_or_else(|problem| panic!("{image}: {problem}"));
        let message = check_no_setuid_file(image, &entries).expect_err("/usr/bin/su is setuid");
        assert!(message.contains("/usr/bin/su"), "{message}");
    });
}
