//! renkei-core: the vocabulary every renkei system shares.
//!
//! renkei implements the information-linkage network built around the 個人番号: the
//! intermediate server for insurers (`intermediate`), the information provision network
//! (`hub`), J-LIS (`registry`), the insurers' terminal (`terminal`) and other agencies. They
//! are separate servers that share only this crate and `renkei-wire`. This crate holds what
//! must mean the same everywhere and does no I/O:
//!
//! - [`id`]: identifiers — 個人番号, 保険者番号, 被保険者番号, 住民票コード, 性別 — that can only
//!   be constructed valid, with check digits verified and personal numbers redacted in logs;
//! - [`date`]: Western and 和暦 dates (昭和20年4月1日, S200401, 3200401);
//! - [`text`]: normalization of 氏名 and カナ氏名 for comparison with J-LIS records, and the
//!   matching of names, readings and addresses that scores search candidates;
//! - [`prefecture`]: the 47 都道府県 in code order;
//! - [`crypto`]: keyed hashing and authenticated encryption of personal numbers at rest.
//!
//! Every error message meant for users is Japanese and never contains a 個人番号.

pub mod crypto;
pub mod date;
pub mod id;
pub mod prefecture;
pub mod text;

pub use date::{parse_date, to_wareki, Date, DateError};
pub use id::{
    AgencyCode, IdError, InfoCode, InsuredNumber, InsurerNumber, MyNumber, ResidentCode, Sex,
    TaskCode,
};
