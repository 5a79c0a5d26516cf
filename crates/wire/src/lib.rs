//! renkei-wire: what crosses the マイナンバーネットワーク between systems.
//!
//! Every link is mutual TLS under the network's own CA ([`pki`], [`tls`]); an institution is
//! identified by its certificate ([`identity`]). Messages are typed [`endpoint::Endpoint`]s
//! defined once here ([`msg`]) and used by both the serving system and its callers
//! ([`client`]). Every system starts, serves, reports health and metrics and shuts down the
//! same way ([`server`]).

pub mod client;
pub mod config;
pub mod endpoint;
pub mod files;
pub mod identity;
pub mod metrics;
pub mod msg;
pub mod peer;
pub mod permission;
pub mod pki;
pub mod server;
pub mod signing;
pub mod tls;

pub use client::{CallError, Client, Encoded};
pub use endpoint::{ApiError, Body, Endpoint};
pub use identity::{Identity, Role};
