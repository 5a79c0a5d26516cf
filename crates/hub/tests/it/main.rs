//! The hub's integration tests: the store suite on every engine and the API over real mutual
//! TLS, with a real registry behind it. One test binary, so the crate links once.

mod api;
mod at_rest;
mod helpers;
mod log_store;
mod store;
