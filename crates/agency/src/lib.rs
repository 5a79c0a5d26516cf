//! renkei-agency: an information holder other than an insurer (情報保有機関 — in the sandbox a
//! 市町村). It knows its residents by its own 宛名番号 and its own 機関別符号 (obtained from
//! `hub` for itself), holds their information (synthetic in the sandbox: 地方税関係情報 —
//! 課税所得, 住民税 課税/非課税; 住民票関係情報 — 世帯構成; 介護保険 — 要介護度), answers the
//! inquiries the hub forwards ([`renkei_wire::msg::inquiry::Provide`]) and lets its staff ask
//! insurers through the hub ([`renkei_wire::msg::agency::AgencyInquire`]).
//!
//! Rooms: [`holdings`] (what is held and the synthetic data, no I/O), [`store`] (SQLite and
//! PostgreSQL), [`api`] (handlers), [`config`], [`app`].

pub mod api;
pub mod app;
pub mod config;
pub mod holdings;
pub mod store;

pub use app::{Application, StartError};
pub use config::AgencyConfig;
