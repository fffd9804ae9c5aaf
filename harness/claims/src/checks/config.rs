//! The image's configuration against what its row claims of it, key by key.

use crate::config::ConfigClaim;
use crate::verdict::{Mismatch, Problem, Shown, plain};
use image_probe::ImageConfig;

/// A list as inspect shows it: `["/calc"]`, or `none`.
fn words(list: &[String]) -> Shown {
    if list.is_empty() {
        return plain("none");
    }
    plain(format!("{list:?}"))
}

/// A text as inspect shows it, or `none`.
fn setting(value: &str) -> Shown {
    if value.is_empty() {
        return plain("none");
    }
    plain(format!("{value:?}"))
}

/// Each key of `claim` given, against the inspected `config`.
fn config_differences(claim: &ConfigClaim, config: &ImageConfig) -> Vec<Problem> {
    let mut problems = Vec::new();
    let lists = [
        ("entrypoint", &claim.entrypoint, &config.entrypoint),
        ("cmd", &claim.cmd, &config.cmd),
        ("exposed_ports", &claim.exposed_ports, &config.exposed_ports),
        ("healthcheck", &claim.healthcheck, &config.healthcheck),
    ];
    for (key, claimed, observed) in lists {
        let Some(claimed) = claimed else { continue };
        let mut sorted = claimed.clone();
        if key == "exposed_ports" {
            sorted.sort();
        }
        if sorted != *observed {
            problems.push(Problem::new(key, words(claimed), words(observed)));
        }
    }
    let texts = [
        ("workdir", &claim.workdir, &config.workdir),
        ("user", &claim.user, &config.user),
        ("stop_signal", &claim.stop_signal, &config.stop_signal),
    ];
    for (key, claimed, observed) in texts {
        if let Some(claimed) = claimed
            && claimed != observed
        {
            problems.push(Problem::new(key, setting(claimed), setting(observed)));
        }
    }
    for (name, expected) in &claim.env {
        let what = format!("env {name}");
        match config.env_var(name) {
            Some(value) => problems.extend(expected.value_problem(&what, value)),
            None => problems.push(Problem::new(what, plain("set"), plain("not set"))),
        }
    }
    for (name, expected) in &claim.labels {
        let what = format!("label {name}");
        match config.labels.get(name) {
            Some(value) => problems.extend(expected.value_problem(&what, value)),
            None => problems.push(Problem::new(what, plain("set"), plain("not set"))),
        }
    }
    problems
}

/// The verdict on the image `image`'s configuration.
pub fn config_is_as_claimed(
    image: &str,
    claim: &ConfigClaim,
    config: &ImageConfig,
) -> Result<(), Mismatch> {
    Mismatch::verdict(
        format!("{image}: its configuration"),
        config_differences(claim, config),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(text: &str) -> ConfigClaim {
        toml::from_str(text).expect("a config claim")
    }

    fn calc_config() -> ImageConfig {
        ImageConfig {
            entrypoint: vec!["/calc".to_owned()],
            user: "65532:65532".to_owned(),
            labels: [(
                "org.opencontainers.image.version".to_owned(),
                "0.1.0".to_owned(),
            )]
            .into_iter()
            .collect(),
            env: vec!["PATH=/usr/bin".to_owned()],
            ..ImageConfig::default()
        }
    }

    #[test]
    fn each_claimed_key_is_compared_and_the_rest_ignored() {
        let good = claim(
            r#"entrypoint = ["/calc"]
            user = "65532:65532"
            cmd = []
            env = { PATH = { contains = "/usr/bin" } }
            labels = { "org.opencontainers.image.version" = { matches = '^\d+\.\d+\.\d+$' } }"#,
        );
        assert!(config_differences(&good, &calc_config()).is_empty());
        let bad = claim(
            r#"entrypoint = ["/bin/sh", "-c"]
            user = ""
            stop_signal = "SIGINT"
            labels = { "org.opencontainers.image.source" = "x", "org.opencontainers.image.version" = "1.0.0" }"#,
        );
        let problems = config_is_as_claimed("calc:bloated", &bad, &calc_config())
            .map_err(|mismatch| mismatch.to_string());
        assert_eq!(
            problems,
            Err("calc:bloated: its configuration\n  entrypoint: expected [\"/bin/sh\", \"-c\"], observed [\"/calc\"]\n  user: expected none, observed \"65532:65532\"\n  stop_signal: expected \"SIGINT\", observed none\n  label org.opencontainers.image.source: expected set, observed not set\n  label org.opencontainers.image.version: expected \"1.0.0\", observed \"0.1.0\"".to_owned())
        );
    }
}
