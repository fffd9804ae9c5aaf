//! A claim on the image's configuration, as `docker image inspect` shows
//! it: each key given is checked, each left out is not.
//!
//! ```toml
//! config = { entrypoint = ["/calc"], user = "65532:65532", labels = { "org.opencontainers.image.version" = { matches = '^\d+\.\d+\.\d+$' } } }
//! ```

use crate::command::Expected;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigClaim {
    /// `ENTRYPOINT`, exactly; `[]` claims none.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// `CMD`, exactly; `[]` claims none.
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    /// Environment variables it sets, each matched; others may be set.
    #[serde(default)]
    pub env: BTreeMap<String, Expected>,
    /// Labels, each matched (a text exactly, or `{ matches = 'regex' }`);
    /// others may be there.
    #[serde(default)]
    pub labels: BTreeMap<String, Expected>,
    /// `EXPOSE`, exactly, as `5000/tcp`; `[]` claims none.
    #[serde(default)]
    pub exposed_ports: Option<Vec<String>>,
    /// `WORKDIR`; `""` claims none.
    #[serde(default)]
    pub workdir: Option<String>,
    /// `USER`, as written there; `""` claims none (root).
    #[serde(default)]
    pub user: Option<String>,
    /// `STOPSIGNAL`; `""` claims none (SIGTERM).
    #[serde(default)]
    pub stop_signal: Option<String>,
    /// The `HEALTHCHECK` test, as inspect gives it (`["CMD", "/bin/probe"]`);
    /// `[]` claims none.
    #[serde(default)]
    pub healthcheck: Option<Vec<String>>,
}
