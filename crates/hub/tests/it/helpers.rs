//! The hub's own test helpers; the CA, residents and systems come from renkei-testkit.

use renkei_hub::HubConfig;
pub use renkei_testkit::{
    hub_config, number, pg_dump, resident, spawn_hub, sqlite_bytes, store_url as url_string,
    unknown, TestHub, TestPki, TestRegistry,
};

/// A registry on SQLite in the PKI's directory, holding residents `0..n`.
pub async fn spawn_registry(pki: &TestPki, n: u64) -> TestRegistry {
    renkei_testkit::spawn_registry(pki, &pki.sqlite("registry"), (0..n).map(resident)).await
}

/// A hub on SQLite in the PKI's directory, asking `registry_url`.
pub async fn spawn_sqlite_hub(pki: &TestPki, registry_url: &str) -> TestHub {
    spawn_hub(hub_config(
        pki,
        registry_url,
        &pki.sqlite("hub"),
        HubConfig::generate_keys(),
    ))
    .await
}
