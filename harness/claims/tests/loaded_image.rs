//! An image loaded from an archive whose config holds no history (as tools
//! other than the engine write them): the classic store then gives no size
//! per layer (the containerd store counts the layers itself, and says so
//! of every image). `layers_counted_give_the_classic_stores_own_size` says so
//! among what is not proven, with its reason, rather than failing with
//! "but the classic store says :" (an empty list), as it did before
//! 2026-12-07.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use support::check;

const BUILT: &str = "example-hidden:hostile-names";
const LOADED: &str = "example-hidden:loaded-without-history";

const BUILD: &str = r#"
[[image]]
name = "hostile-names"
build = { dockerfile = "Dockerfile", root = "{examples}/hidden", target = "hostile-names", tag = "example-hidden:hostile-names", bases = ["debian:bookworm-slim"], context = ["Dockerfile"], outside_rows_directory = true }
smoke = { stdin = "hello\n", stdout = "hello\n" }
"#;

const LOADED_ROW: &str = r#"
[[image]]
name = "loaded-without-history"
reference = "example-hidden:loaded-without-history"
smoke = { stdin = "hello\n", stdout = "hello\n" }

[image.claims]
layers = 1
"#;

/// The file system of `BUILT`, as `docker export` writes it.
fn exported() -> Vec<u8> {
    let created = Command::new("docker")
        .args(["create", BUILT])
        .output()
        .expect("docker create runs");
    assert!(created.status.success(), "docker create {BUILT} failed");
    let id = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    let exported = Command::new("docker")
        .args(["export", &id])
        .output()
        .expect("docker export runs");
    let _ = Command::new("docker").args(["rm", &id]).output();
    assert!(exported.status.success(), "docker export failed");
    exported.stdout
}

/// An archive as `docker load` takes it on either image store (the
/// `manifest.json` layout of `docker save`): one layer, the exported file
/// system, and a config with no history, tagged `LOADED`.
fn archive_without_history(layer: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let diff_id: String = Sha256::digest(layer)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let architecture = if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "amd64"
    };
    let config = serde_json::json!({
        "architecture": architecture,
        "os": "linux",
        "config": { "Entrypoint": ["/busybox"], "Cmd": ["cat"], "User": "65532:65532" },
        "rootfs": { "type": "layers", "diff_ids": [format!("sha256:{diff_id}")] },
    });
    let manifest = serde_json::json!([
        { "Config": "config.json", "RepoTags": [LOADED], "Layers": ["layer.tar"] }
    ]);
    let mut archive = tar::Builder::new(Vec::new());
    for (path, data) in [
        ("config.json", serde_json::to_vec(&config).expect("JSON")),
        (
            "manifest.json",
            serde_json::to_vec(&manifest).expect("JSON"),
        ),
        ("layer.tar", layer.to_vec()),
    ] {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        archive
            .append_data(&mut header, path, data.as_slice())
            .expect("an entry");
    }
    archive.into_inner().expect("an archive")
}

fn docker_load(archive: &[u8]) {
    let mut load = Command::new("docker")
        .arg("load")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("docker load runs");
    load.stdin
        .take()
        .expect("its stdin")
        .write_all(archive)
        .expect("the archive sent");
    assert!(
        load.wait().expect("docker load ends").success(),
        "docker load failed"
    );
}

#[test]
fn a_loaded_image_with_no_history_has_its_layer_count_reported_not_proven() {
    let built = check("loaded-image-built", BUILD);
    assert_eq!(built.code, Some(0), "{}", built.stdout);
    docker_load(&archive_without_history(&exported()));
    let run = check("loaded-without-history", LOADED_ROW);
    let _ = Command::new("docker").args(["rmi", LOADED]).output();
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    let report = std::fs::read_to_string(run.report.join("report.md")).expect("report.md");
    // The classic store says why for this image; the containerd store
    // counts layers itself, and says why for every image.
    let said = [
        "that counting the layers of loaded-without-history gives the store's own size: its \
         history sizes no layer",
        "that counting the layers gives the store's own size: the containerd image store \
         reports stored bytes",
    ];
    assert!(
        said.iter().any(|reason| report.contains(reason)),
        "the report should say the count is not proven, and why:\n{report}"
    );
}
