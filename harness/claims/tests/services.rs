//! Services checked as they run, from the `image-claims` binary on a real
//! engine, where a rows file of the examples cannot show it.
//!
//! A service that becomes ready on a read-only root and still cannot stop
//! there: Debian's Redis with no writable /data (examples/services)
//! answers its ping under the hardened flags, then refuses SIGTERM because
//! it cannot save its data set ("Error trying to save the DB, can't
//! exit"). Its hardened claim holds; its stop claim, asked under the
//! hardened flags as it runs in production, must fail, in those words. A
//! negative control cannot show this in examples/images.toml, since its
//! hardened claim passes.

mod support;

use support::check;

/// The example's Redis, hardened with no tmpfs for /data.
const READ_ONLY_REDIS: &str = r#"
[[image]]
name = "redis-read-only"
build = { dockerfile = "Dockerfile", root = "{examples}/services", target = "redis", tag = "example-services:redis", bases = ["debian:bookworm-slim"], context = ["Dockerfile"], outside_rows_directory = true }
residence = "own-command"
ready = { exec = ["redis-cli", "ping"], within_ms = 10000 }

[image.claims]
hardened = { pids_limit = 32, memory_mib = 64 }
stops = { within_ms = 5000, exit_code = 0 }
"#;

/// The example's needs-run started as another user, with a variable its
/// command reads: the user claim and the command hold only if the row's
/// `start` reached the running container.
const STARTED_OTHERWISE: &str = r#"
[[image]]
name = "started-otherwise"
build = { dockerfile = "Dockerfile", root = "{examples}/services", target = "needs-run", tag = "example-services:needs-run", bases = ["debian:bookworm-slim"], context = ["Dockerfile"], outside_rows_directory = true }
residence = "own-command"
start = { user = "1234:1234", env = { GREETING = "hi" }, workdir = "/run/app" }
ready = { log = '^ready$', within_ms = 10000 }
commands = [
    { name = "env", entrypoint = ["/bin/busybox", "env"], stdout = { matches = '(?m)^GREETING=hi$' } },
    { name = "workdir", entrypoint = ["/bin/busybox", "pwd"], stdout = "/run/app\n" },
]

[image.claims]
user = "1234:1234"
stops = { within_ms = 2000, exit_code = 0 }
"#;

#[test]
fn a_services_start_reaches_its_running_container() {
    let run = check("a-start-of-its-own", STARTED_OTHERWISE);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
}

#[test]
fn a_service_ready_on_a_read_only_root_that_cannot_stop_there_fails_its_stop() {
    let support::Checked { code, stdout, .. } = check("a-read-only-stop", READ_ONLY_REDIS);
    assert_eq!(code, Some(1), "{stdout}");
    let hardened_held = stdout.lines().any(|line| {
        line.contains("service_is_ready_under_the_hardened_flags::redis-read-only")
            && line.ends_with("... ok")
    });
    assert!(
        hardened_held,
        "the hardened claim should hold: it becomes ready\n{stdout}"
    );
    assert!(
        stdout.contains(
            "asked to stop with SIGTERM under the hardened flags: expected exit code 0 within \
             5000 ms, observed still running"
        ),
        "the stop under the hardened flags should fail\n{stdout}"
    );
}
