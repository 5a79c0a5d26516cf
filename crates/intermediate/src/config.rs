//! Configuration of an intermediate server: where it listens, its store, its certificate, the
//! peers it calls, and its keys. Loaded from TOML, then `RENKEI_INTERMEDIATE_*` environment
//! variables override single settings.

use std::path::Path;

use renkei_core::crypto::Key32;
use renkei_wire::tls::TlsFiles;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntermediateConfig {
    /// Address to listen on, e.g. `127.0.0.1:7703` (port 0: any free port).
    pub listen: String,
    /// Store URL: `sqlite:PATH` or `postgres://…`.
    pub store: String,
    pub tls: TlsFiles,
    /// Base URL of `registry` (J-LIS).
    pub registry_url: String,
    /// Base URL of `hub`.
    pub hub_url: String,
    pub keys: IntermediateKeys,
}

/// Secrets, written as 64 hexadecimal digits; `Debug` never shows them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntermediateKeys {
    /// HMAC key of the person index (keyed hash of the 個人番号).
    #[serde(with = "renkei_core::crypto::key_hex")]
    pub number_hash: Key32,
    /// AES-256-GCM key sealing 個人番号 at rest.
    #[serde(with = "renkei_core::crypto::key_hex")]
    pub seal: Key32,
}

impl IntermediateKeys {
    pub fn generate() -> IntermediateKeys {
        IntermediateKeys {
            number_hash: Key32::generate(),
            seal: Key32::generate(),
        }
    }
}

pub use renkei_wire::config::ConfigFileError as ConfigError;

impl IntermediateConfig {
    pub fn load(path: &Path) -> Result<IntermediateConfig, ConfigError> {
        let mut config: IntermediateConfig = renkei_wire::config::load_toml(path)?;
        config.apply_env();
        Ok(config)
    }

    fn apply_env(&mut self) {
        for (var, field) in [
            ("RENKEI_INTERMEDIATE_LISTEN", &mut self.listen),
            ("RENKEI_INTERMEDIATE_STORE", &mut self.store),
            ("RENKEI_INTERMEDIATE_REGISTRY_URL", &mut self.registry_url),
            ("RENKEI_INTERMEDIATE_HUB_URL", &mut self.hub_url),
        ] {
            if let Ok(value) = std::env::var(var) {
                *field = value;
            }
        }
    }
}
