//! renkei-ledger: the 情報提供等記録 — the record, which the law asks the asker, the provider
//! and the hub each to keep, of every exchange of 特定個人情報 (DESIGN.md, Security).
//!
//! Two rooms, shared by the systems that keep a record and by the auditor's commands:
//! - [`record_log`]: the hub's append-only, tamper-evident log (entries in a hash chain,
//!   signed checkpoints) and its offline verification. No I/O: the hub's store keeps what it
//!   is given.
//! - [`party`]: an asker's or provider's own record of its exchanges, kept in its own store
//!   (`agency`, and `intermediate` for its insurer tenants), and the reconciliation of those
//!   records with the hub's log.
//!
//! No system crate depends on another; this crate is where what they all record is defined
//! once.

pub mod exchange;
pub mod party;
pub mod record_log;

pub use party::{outcome_of, PartyLog, PartyRecord, Side};
pub use record_log::{Entry, Exchange, Outcome};
