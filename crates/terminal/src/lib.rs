//! renkei-terminal: the 統合専用端末 an insurer's staff use.
//!
//! It speaks only to `intermediate`, over mutual TLS with the insurer's certificate. The CLI
//! ([`cli`]) registers 加入者情報 files ([`register`]) and writes result files staff can open
//! in Excel ([`result_file`]); [`profile`] finds the certificate and address that `renkei
//! sandbox` wrote for an insurer. [`web`] is the same terminal in the browser, for an
//! insurer's staff with accounts and roles.

pub mod cli;
pub mod fuhon;
pub mod input;
pub mod inquire;
pub mod jlis;
pub mod profile;
pub mod register;
pub mod result_file;
pub mod web;
