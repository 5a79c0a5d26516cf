//! The hub's configuration: TOML file, then `RENKEI_HUB_*` environment overrides. Keys are
//! written as 64 hexadecimal digits and never shown by `Debug`.

use std::path::Path;

use renkei_core::crypto::Key32;
use renkei_wire::tls::TlsFiles;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HubConfig {
    /// Address to listen on, e.g. `127.0.0.1:7002` (`127.0.0.1:0` picks a free port).
    pub listen: String,
    /// Store URL: `sqlite:PATH` or `postgres://…?schema=hub`.
    pub store: String,
    /// Where J-LIS (`registry`) answers, e.g. `https://127.0.0.1:7001`.
    pub registry_url: String,
    pub tls: TlsFiles,
    pub keys: HubKeys,
    /// The institutions inquiries can be routed to or come from (情報照会).
    #[serde(default)]
    pub directory: Vec<DirectoryEntry>,
    /// How long the hub tries a provider (all attempts together) before answering
    /// `unavailable`, in milliseconds.
    #[serde(default = "default_deadline_ms")]
    pub inquiry_deadline_ms: u64,
}

fn default_deadline_ms() -> u64 {
    3_000
}

/// One institution of the directory: where its inquiries are answered and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    /// Institution code, e.g. `city-131016` or `koiki-13`.
    pub code: String,
    /// Its kind in the permission table: `koiki`, `municipality` or `insurer`.
    pub kind: String,
    /// Base URL answering `Provide`, e.g. `https://127.0.0.1:7710` (`intermediate` for insurers).
    pub url: String,
    /// Code in the certificate that signs its answers (itself, or `intermediate`).
    pub signer: String,
}

/// The hub's secrets. Losing `person` or `fugo` changes every 符号, so they are kept like a
/// CA key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HubKeys {
    /// HMAC key: 個人番号 → the link's look-up key.
    #[serde(with = "renkei_core::crypto::key_hex")]
    pub number_hash: Key32,
    /// HMAC key: 住民票コード → person key.
    #[serde(with = "renkei_core::crypto::key_hex")]
    pub person: Key32,
    /// HMAC key: (person key, agency) → 機関別符号.
    #[serde(with = "renkei_core::crypto::key_hex")]
    pub fugo: Key32,
    /// Ed25519 seed of the key signing the checkpoints of the 情報提供等記録.
    #[serde(with = "renkei_core::crypto::key_hex")]
    pub log_signing: Key32,
}

impl HubKeys {
    /// The checkpoint signing key.
    pub fn log_key_pair(&self) -> ring::signature::Ed25519KeyPair {
        ring::signature::Ed25519KeyPair::from_seed_unchecked(self.log_signing.as_bytes())
            .expect("a 32-byte Ed25519 seed")
    }

    /// Its public key (what an auditor needs).
    pub fn log_public_key(&self) -> Vec<u8> {
        ring::signature::KeyPair::public_key(&self.log_key_pair())
            .as_ref()
            .to_vec()
    }
}

pub use renkei_wire::config::ConfigFileError as ConfigError;

impl HubConfig {
    /// Reads the TOML file at `path`, then applies `RENKEI_HUB_LISTEN`, `RENKEI_HUB_STORE`
    /// and `RENKEI_HUB_REGISTRY_URL` from the environment.
    pub fn load(path: &Path) -> Result<HubConfig, ConfigError> {
        let mut config: HubConfig = renkei_wire::config::load_toml(path)?;
        config.apply_env(|name| std::env::var(name).ok());
        Ok(config)
    }

    /// Applies the environment overrides read through `var`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) {
        if let Some(listen) = var("RENKEI_HUB_LISTEN") {
            self.listen = listen;
        }
        if let Some(store) = var("RENKEI_HUB_STORE") {
            self.store = store;
        }
        if let Some(url) = var("RENKEI_HUB_REGISTRY_URL") {
            self.registry_url = url;
        }
    }

    /// Fresh random keys, for a new installation or the sandbox.
    pub fn generate_keys() -> HubKeys {
        HubKeys {
            number_hash: Key32::generate(),
            person: Key32::generate(),
            fugo: Key32::generate(),
            log_signing: Key32::generate(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_toml_with_overrides_and_hides_keys() {
        let c = HubConfig {
            listen: "127.0.0.1:0".into(),
            store: "sqlite:hub.db".into(),
            registry_url: "https://127.0.0.1:7001".into(),
            tls: TlsFiles {
                ca: "ca.pem".into(),
                cert: "hub.pem".into(),
                key: "hub.key".into(),
            },
            keys: HubConfig::generate_keys(),
            directory: vec![DirectoryEntry {
                code: "city-131016".into(),
                kind: "municipality".into(),
                url: "https://127.0.0.1:7710".into(),
                signer: "city-131016".into(),
            }],
            inquiry_deadline_ms: 500,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.toml");
        std::fs::write(&path, toml::to_string(&c).unwrap()).unwrap();
        let mut back = HubConfig::load(&path).unwrap();
        assert_eq!(back.keys.fugo, c.keys.fugo);
        assert_eq!(back.registry_url, c.registry_url);
        assert_eq!(back.directory, c.directory);
        assert_eq!(back.keys.log_public_key(), c.keys.log_public_key());
        let shown = format!("{back:?}");
        for key in [
            &c.keys.number_hash,
            &c.keys.person,
            &c.keys.fugo,
            &c.keys.log_signing,
        ] {
            assert!(!shown.contains(&key.to_hex()));
        }
        back.apply_env(|name| {
            (name == "RENKEI_HUB_REGISTRY_URL").then(|| "https://r:1".to_owned())
        });
        assert_eq!(back.registry_url, "https://r:1");
        assert_eq!(back.listen, "127.0.0.1:0");
    }
}
