//! The Action (action.yml) installs the release it belongs to: its default
//! `version` is image-claims' own (harness/claims/Cargo.toml), so a tag of
//! this repository gives a workflow the binary built from that same tag.
//! tools/action-rehearsal runs the Action itself.

const ACTION: &str = include_str!("../action.yml");
const IMAGE_CLAIMS_MANIFEST: &str = include_str!("../harness/claims/Cargo.toml");

/// The value of the first `key = "value"` (TOML) or `key: "value"` (YAML)
/// line after the line `after`.
fn value_after(text: &str, after: &str, key: &str) -> Option<String> {
    let mut lines = text.lines().skip_while(|line| line.trim() != after);
    lines.find_map(|line| {
        let rest = line.trim().strip_prefix(key)?;
        let value = rest.trim_start_matches([' ', '=', ':']).trim();
        Some(value.trim_matches('"').to_owned())
    })
}

#[test]
fn the_action_installs_the_release_of_image_claims_it_belongs_to() {
    let crate_version = value_after(IMAGE_CLAIMS_MANIFEST, "[package]", "version")
        .expect("harness/claims/Cargo.toml has a version");
    let action_version = value_after(ACTION, "version:", "default")
        .expect("action.yml's version input has a default");
    assert_eq!(
        action_version, crate_version,
        "action.yml installs image-claims {action_version} by default, but this repository builds {crate_version}"
    );
}

#[test]
fn a_default_that_differs_is_found() {
    let action = "inputs:\n  version:\n    description: x\n    default: \"0.0.9\"\n";
    assert_eq!(
        value_after(action, "version:", "default").as_deref(),
        Some("0.0.9")
    );
}
