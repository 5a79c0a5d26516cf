//! The registry's configuration: TOML file, then `RENKEI_REGISTRY_*` environment overrides.
//! Keys are written as 64 hexadecimal digits and never shown by `Debug`.

use std::path::Path;

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
    #[serde(with = "renkei_core::crypto::key_hex")]
    pub number_hash: Key32,
    /// AES-256-GCM key of the sealed copy of each 個人番号.
    #[serde(with = "renkei_core::crypto::key_hex")]
    pub seal: Key32,
}

pub use renkei_wire::config::ConfigFileError as ConfigError;

impl RegistryConfig {
    /// Reads the TOML file at `path`, then applies `RENKEI_REGISTRY_LISTEN` and
    /// `RENKEI_REGISTRY_STORE` from the environment.
    pub fn load(path: &Path) -> Result<RegistryConfig, ConfigError> {
        let mut config: RegistryConfig = renkei_wire::config::load_toml(path)?;
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
