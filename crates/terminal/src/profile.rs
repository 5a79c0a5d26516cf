//! Where to connect and as whom: the sandbox writes `sandbox.toml` into its data directory
//! with every system's address and one profile (certificate, 保険者番号) per insurer tenant.

use std::path::{Path, PathBuf};

use renkei_wire::tls::TlsFiles;
use serde::{Deserialize, Serialize};

pub const PROFILE_FILE: &str = "sandbox.toml";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxProfile {
    /// The network CA's certificate.
    pub ca: PathBuf,
    pub registry_url: String,
    pub hub_url: String,
    pub intermediate_url: String,
    pub insurers: Vec<InsurerProfile>,
    /// The operators' certificate (for the operator page of the web terminal).
    #[serde(default)]
    pub operator: Option<OperatorProfile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorProfile {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsurerProfile {
    /// Institution code (certificate CN), e.g. `koiki-13`.
    pub code: String,
    pub name: String,
    pub insurer_numbers: Vec<String>,
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{0}: サンドボックスの設定が見つかりません。先に `renkei sandbox --data-dir {1}` を起動してください")]
    Missing(PathBuf, String),
    #[error("{0}: サンドボックスの設定を読めません: {1}")]
    Invalid(PathBuf, String),
    #[error("保険者番号 {0} を持つ保険者はサンドボックスにありません")]
    UnknownInsurer(String),
}

impl SandboxProfile {
    pub fn load(data_dir: &Path) -> Result<SandboxProfile, ProfileError> {
        let path = data_dir.join(PROFILE_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|_| ProfileError::Missing(path.clone(), data_dir.display().to_string()))?;
        toml::from_str(&text).map_err(|e| ProfileError::Invalid(path, e.to_string()))
    }

    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        let text = toml::to_string_pretty(self).expect("profile serializes");
        let tmp = data_dir.join(format!("{PROFILE_FILE}.tmp"));
        std::fs::write(&tmp, text)?;
        std::fs::rename(tmp, data_dir.join(PROFILE_FILE))
    }

    /// The insurer tenant holding `insurer_number`.
    pub fn insurer(&self, insurer_number: &str) -> Result<&InsurerProfile, ProfileError> {
        self.insurers
            .iter()
            .find(|i| i.insurer_numbers.iter().any(|n| n == insurer_number))
            .ok_or_else(|| ProfileError::UnknownInsurer(insurer_number.to_owned()))
    }

    pub fn tls(&self, insurer: &InsurerProfile) -> TlsFiles {
        TlsFiles {
            ca: self.ca.clone(),
            cert: insurer.cert.clone(),
            key: insurer.key.clone(),
        }
    }
}
