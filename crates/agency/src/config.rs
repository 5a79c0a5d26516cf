//! An agency's configuration: TOML file, then `RENKEI_AGENCY_*` environment overrides.

use std::path::Path;

use renkei_core::AgencyCode;
use renkei_wire::tls::TlsFiles;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgencyConfig {
    /// Institution code, as in its certificate, e.g. `city-131121`.
    pub code: AgencyCode,
    /// Japanese name, e.g. 世田谷区.
    pub name: String,
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: String,
    /// Store URL: `sqlite:PATH` or `postgres://…?schema=city_131121`.
    pub store: String,
    /// Where the hub answers.
    pub hub_url: String,
    pub tls: TlsFiles,
}

pub use renkei_wire::config::ConfigFileError as ConfigError;

impl AgencyConfig {
    pub fn load(path: &Path) -> Result<AgencyConfig, ConfigError> {
        let mut config: AgencyConfig = renkei_wire::config::load_toml(path)?;
        for (var, field) in [
            ("RENKEI_AGENCY_LISTEN", &mut config.listen),
            ("RENKEI_AGENCY_STORE", &mut config.store),
            ("RENKEI_AGENCY_HUB_URL", &mut config.hub_url),
        ] {
            if let Ok(value) = std::env::var(var) {
                *field = value;
            }
        }
        Ok(config)
    }

    /// The PostgreSQL schema this agency uses unless the URL names one.
    pub fn default_schema(&self) -> String {
        self.code.replace('-', "_")
    }
}
