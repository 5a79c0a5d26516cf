//! The registry's integration tests: the store suite on every engine, the CSV loader, and the
//! API over real mutual TLS. One test binary, so the crate links once.

mod accuracy;
mod api;
mod changes;
mod helpers;
mod jlis;
mod load;
mod store;
