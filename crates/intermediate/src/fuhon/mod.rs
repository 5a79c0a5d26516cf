//! 副本作成: the copies (副本) of an insurer's 資格情報, 高額介護合算療養費情報 and 葬祭費情報
//! that `intermediate` keeps so that inquiries can be answered without the insurer's own systems.
//!
//! A tenant uploads a kind as a full snapshot or as a delta; each committed upload is one new
//! version, and every version is kept, so a record can be read as of a day ([`read`]). An
//! upload is all or nothing: its rows are checked and staged chunk by chunk ([`service`]), and
//! the commit either makes the new version in one transaction or changes nothing and names every
//! bad row. A drift check compares a 正本 extract with the current 副本 ([`drift`]).

pub mod api;
pub mod delta;
pub mod drift;
pub mod read;
pub mod record;
pub mod service;
pub mod store;

pub use read::{FuhonRecord, RecordsAsOf};
pub use service::{FuhonError, FuhonService};
pub use store::FuhonStore;
