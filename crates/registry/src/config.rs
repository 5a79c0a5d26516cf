//! The registry's configuration: TOML file, then `RENKEI_REGISTRY_*` environment overrides.
//! Keys are written as 64 hexadecimal digits and never shown by `Debug`.

use std::path::{Path, PathBuf};

use renkei_core::crypto::Key32;
use renkei_wire::tls::TlsFiles;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegistryConfig {
    /// Address to listen on, e.g. `127.0.0.1:7001` (`127.0.0.1:0` picks a free port).
    pub listen: String,
    /// Store URL: `sqlite:PATH` or `postgres://…?schema=registry`.
    pub store: String,
    pub tls: TlsFiles,
    pub keys: RegistryKeys,
}

/// The registry's secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegistryKeys {
    /// HMAC key turning a 個人番号 into its look-up key.
    #[serde(with = "key_hex")]
    pub number_hash: Key32,
    /// AES-256-GCM key of the sealed copy of each 個人番号.
    #[serde(with = "key_hex")]
    pub seal: Key32,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: 設定ファイルを読めません: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The TOML error's own text quotes the offending line, which may hold a key; only its
    /// message and line are kept.
    #[error("{path}: {line}行目: 設定が正しくありません: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

impl RegistryConfig {
    /// Reads the TOML file at `path`, then applies `RENKEI_REGISTRY_LISTEN` and
    /// `RENKEI_REGISTRY_STORE` from the environment.
    pub fn load(path: &Path) -> Result<RegistryConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config: RegistryConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            line: e
                .span()
                .map(|s| text[..s.start].lines().count().max(1))
                .unwrap_or(0),
            message: e.message().to_owned(),
        })?;
        config.apply_env(|name| std::env::var(name).ok());
        Ok(config)
    }

    /// Applies the environment overrides read through `var`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) {
        if let Some(listen) = var("RENKEI_REGISTRY_LISTEN") {
            self.listen = listen;
        }
        if let Some(store) = var("RENKEI_REGISTRY_STORE") {
            self.store = store;
        }
    }

    /// Fresh random keys, for a new installation or the sandbox.
    pub fn generate_keys() -> RegistryKeys {
        RegistryKeys {
            number_hash: Key32::generate(),
            seal: Key32::generate(),
        }
    }
}

/// Serde for a [`Key32`] as 64 hexadecimal digits.
pub(crate) mod key_hex {
    use renkei_core::crypto::Key32;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(key: &Key32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&key.to_hex())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Key32, D::Error> {
        let text = String::deserialize(d)?;
        Key32::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RegistryConfig {
        RegistryConfig {
            listen: "127.0.0.1:0".into(),
            store: "sqlite:registry.db".into(),
            tls: TlsFiles {
                ca: "ca.pem".into(),
                cert: "registry.pem".into(),
                key: "registry.key".into(),
            },
            keys: RegistryConfig::generate_keys(),
        }
    }

    #[test]
    fn round_trips_through_toml_and_hides_keys() {
        let c = config();
        let text = toml::to_string(&c).unwrap();
        assert!(text.contains(&c.keys.seal.to_hex()));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.toml");
        std::fs::write(&path, &text).unwrap();
        let back = RegistryConfig::load(&path).unwrap();
        assert_eq!(back.keys.seal, c.keys.seal);
        assert_eq!(back.keys.number_hash, c.keys.number_hash);
        let shown = format!("{back:?}");
        assert!(
            !shown.contains(&c.keys.seal.to_hex()) && !shown.contains(&c.keys.number_hash.to_hex())
        );
    }

    #[test]
    fn environment_overrides_listen_and_store() {
        let mut c = config();
        c.apply_env(|name| (name == "RENKEI_REGISTRY_STORE").then(|| "postgres://h/db".to_owned()));
        assert_eq!(c.store, "postgres://h/db");
        assert_eq!(c.listen, "127.0.0.1:0");
    }

    #[test]
    fn a_bad_key_is_reported_without_quoting_it() {
        let c = config();
        let secret = "ab".repeat(31);
        let text = toml::to_string(&c)
            .unwrap()
            .replace(&c.keys.seal.to_hex(), &secret);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.toml");
        std::fs::write(&path, text).unwrap();
        let err = RegistryConfig::load(&path).unwrap_err().to_string();
        assert!(err.contains("行目"), "{err}");
        assert!(!err.contains(&secret), "{err}");
    }
}
