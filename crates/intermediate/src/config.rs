//! Configuration of an intermediate server: where it listens, its store, its certificate, the
//! peers it calls, and its keys. Loaded from TOML, then `RENKEI_INTERMEDIATE_*` environment
//! variables override single settings.

use std::fmt;
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

/// Secrets, hex-encoded. `Debug` never shows them.
#[derive(Clone, Serialize, Deserialize)]
pub struct IntermediateKeys {
    /// HMAC key of the person index (keyed hash of the 個人番号).
    pub number_hash: String,
    /// AES-256-GCM key sealing 個人番号 at rest.
    pub seal: String,
}

impl fmt::Debug for IntermediateKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntermediateKeys(****)")
    }
}

impl IntermediateKeys {
    pub fn generate() -> IntermediateKeys {
        IntermediateKeys {
            number_hash: Key32::generate().to_hex(),
            seal: Key32::generate().to_hex(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: 設定ファイルを読めません: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// Only the parser's message and the line: its full text quotes the line, which may hold a key.
    #[error("{path}: {line}行目: 設定ファイルの形式が正しくありません: {message}")]
    Parse {
        path: String,
        line: usize,
        message: String,
    },
    #[error("鍵 {0} の形式が正しくありません（64桁の16進数）")]
    Key(&'static str),
}

impl IntermediateConfig {
    pub fn load(path: &Path) -> Result<IntermediateConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mut config: IntermediateConfig =
            toml::from_str(&text).map_err(|e| ConfigError::Parse {
                path: path.display().to_string(),
                line: e
                    .span()
                    .map(|s| text[..s.start].lines().count().max(1))
                    .unwrap_or(0),
                message: e.message().to_owned(),
            })?;
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

    pub(crate) fn number_hash_key(&self) -> Result<Key32, ConfigError> {
        Key32::from_hex(&self.keys.number_hash).map_err(|_| ConfigError::Key("number_hash"))
    }

    pub(crate) fn seal_key(&self) -> Result<Key32, ConfigError> {
        Key32::from_hex(&self.keys.seal).map_err(|_| ConfigError::Key("seal"))
    }
}
