//! Stores on both engines and registries on random ports; the CA, residents and the
//! at-rest dumps come from renkei-testkit.

use renkei_registry::config::RegistryConfig;
use renkei_registry::domain::Protection;
use renkei_registry::Store;
use renkei_store::StoreUrl;
pub use renkei_testkit::{number, pg_dump, resident, sqlite_bytes, unknown, TestPki, TestRegistry};

pub async fn open(url: &StoreUrl) -> Store {
    let keys = RegistryConfig::generate_keys();
    Store::open(url, Protection::new(&keys.number_hash, &keys.seal))
        .await
        .expect("store opens")
}

/// A registry on a random port over `store`, empty.
pub async fn spawn_registry(pki: &TestPki, store: &str) -> TestRegistry {
    renkei_testkit::spawn_registry(pki, store, []).await
}
