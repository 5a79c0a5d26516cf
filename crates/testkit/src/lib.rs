//! renkei-testkit: what every crate's integration tests need to run the network for real — a
//! private network CA ([`TestPki`]), synthetic residents ([`resident`]), store URLs on either
//! engine ([`store_url`], with [`renkei_store::testing::engines`]) and each system started on
//! a random port over mutual TLS ([`spawn_registry`], [`spawn_hub`], [`spawn_intermediate`],
//! [`spawn_agency`]).
//!
//! A dev-dependency only: it depends on every system crate, which no system crate may do in
//! its own `[dependencies]` (the crate-graph test checks that).

mod at_rest;
mod pki;
mod residents;
mod systems;

pub use at_rest::{pg_dump, sqlite_bytes};
pub use pki::TestPki;
pub use residents::{number, resident, unknown};
pub use systems::{
    agency_config, hub_config, intermediate_config, registry_config, spawn_agency, spawn_hub,
    spawn_intermediate, spawn_registry, Spawned, Stoppable, TestAgency, TestHub, TestIntermediate,
    TestRegistry,
};

use renkei_store::StoreUrl;

/// The store URL the systems' configurations take for an engine from
/// [`renkei_store::testing::engines`].
pub fn store_url(url: &StoreUrl) -> String {
    match url {
        StoreUrl::Sqlite(path) => format!("sqlite:{}", path.display()),
        StoreUrl::Postgres { conn, schema } => format!("{conn}?schema={schema}"),
    }
}

/// A store URL of its own for one system, named `name`, on the engine of `url` (a SQLite file
/// beside it, or a schema of its own in the same PostgreSQL database).
pub fn store_url_named(url: &StoreUrl, name: &str) -> String {
    match url {
        StoreUrl::Sqlite(path) => format!("sqlite:{}{name}.db", path.display()),
        StoreUrl::Postgres { conn, schema } => format!("{conn}?schema={schema}_{name}"),
    }
}
