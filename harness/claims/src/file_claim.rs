//! What a named file of the image must be: its mode, its owner, its
//! content by digest, a text it holds or a regular expression it matches.
//! Checked against the image's exported file system, never by starting it.
//!
//! ```toml
//! paths = { "/etc/passwd" = { owner = "0:0", mode = "644", contains = "nonroot:x:65532:65532:" } }
//! files = { "/calc" = "755" }
//! ```

use crate::command::Pattern;
use crate::row::{Mode, User};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// A file's claim: a mode alone (`"755"`), or a table of what it must be.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileClaim {
    pub mode: Option<Mode>,
    pub owner: Option<User>,
    pub sha256: Option<Sha256>,
    pub contains: Option<String>,
    pub matches: Option<Pattern>,
}

/// The most bytes of a file whose text `contains` and `matches` read: a
/// larger file is claimed by its sha256.
pub const MAX_MATCHED_FILE_BYTES: u64 = image_probe::filesystem::MAX_KEPT_CONTENT_BYTES as u64;

impl FileClaim {
    /// Whether its claim needs the file's bytes, not only its header.
    pub fn reads_content(&self) -> bool {
        self.sha256.is_some() || self.contains.is_some() || self.matches.is_some()
    }
}

impl<'de> Deserialize<'de> for FileClaim {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            #[serde(default)]
            mode: Option<Mode>,
            #[serde(default)]
            owner: Option<User>,
            #[serde(default)]
            sha256: Option<Sha256>,
            #[serde(default)]
            contains: Option<String>,
            #[serde(default)]
            matches: Option<Pattern>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Mode(String),
            Table(toml::Table),
        }
        let table = match Written::deserialize(deserializer)? {
            Written::Mode(mode) => {
                let mode = Mode::deserialize(serde::de::value::StrDeserializer::<
                    serde::de::value::Error,
                >::new(&mode))
                .map_err(serde::de::Error::custom)?;
                return Ok(FileClaim {
                    mode: Some(mode),
                    ..FileClaim::default()
                });
            }
            Written::Table(table) => table,
        };
        let table = Table::deserialize(table).map_err(|error| {
            serde::de::Error::custom(format!(
                "{} (a file's claim takes mode, owner, sha256, contains and matches)",
                error.message()
            ))
        })?;
        let claim = FileClaim {
            mode: table.mode,
            owner: table.owner,
            sha256: table.sha256,
            contains: table.contains,
            matches: table.matches,
        };
        if claim == FileClaim::default() {
            return Err(serde::de::Error::custom(
                "an empty claim checks only that the file is there: say its mode, owner, \
                 sha256, contains or matches",
            ));
        }
        Ok(claim)
    }
}

/// A SHA-256 digest, 64 hexadecimal digits, with or without `sha256:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sha256(pub String);

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let digits = text.trim_start_matches("sha256:").to_ascii_lowercase();
        if digits.len() == 64 && digits.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(Sha256(digits))
        } else {
            Err(serde::de::Error::custom(format!(
                "{text:?} is not a SHA-256 digest: 64 hexadecimal digits, as sha256sum prints"
            )))
        }
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Eq for Pattern {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn claims(text: &str) -> Result<BTreeMap<String, FileClaim>, String> {
        #[derive(Deserialize)]
        struct Paths {
            paths: BTreeMap<String, FileClaim>,
        }
        toml::from_str::<Paths>(text)
            .map(|parsed| parsed.paths)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn a_mode_alone_or_a_table_is_a_claim() {
        let parsed = claims(
            r#"paths = { "/calc" = "755", "/etc/passwd" = { owner = "0:0", contains = "root", sha256 = "sha256:3D9F2889D6782537624A4E1A10E68A2DDD53E0EE8BAC02676F27308F42EC6BF6" } }"#,
        )
        .expect("claims");
        assert_eq!(parsed["/calc"].mode, Some(Mode(0o755)));
        let passwd = &parsed["/etc/passwd"];
        assert_eq!(passwd.owner, Some(User { uid: 0, gid: 0 }));
        assert_eq!(
            passwd.sha256.as_ref().map(ToString::to_string).as_deref(),
            Some("3d9f2889d6782537624a4e1a10e68a2ddd53e0ee8bac02676f27308f42ec6bf6")
        );
        assert!(passwd.reads_content() && !parsed["/calc"].reads_content());
    }

    #[test]
    fn a_bad_digest_an_unknown_key_or_an_empty_claim_is_refused() {
        for (text, said) in [
            (
                r#"paths = { "/x" = { sha256 = "abc" } }"#,
                "is not a SHA-256 digest",
            ),
            (
                r#"paths = { "/x" = { onwer = "0:0" } }"#,
                "unknown field `onwer`",
            ),
            (r#"paths = { "/x" = {} }"#, "an empty claim"),
            (r#"paths = { "/x" = "999" }"#, "is not an octal file mode"),
        ] {
            let refused = claims(text);
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|message| message.contains(said)),
                "{text}: {refused:?}"
            );
        }
    }
}
