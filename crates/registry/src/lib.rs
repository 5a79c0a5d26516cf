//! renkei-registry: J-LIS and its 住民基本台帳ネットワークシステム (住基ネット) — in the seed, the
//! box that holds every resident's 個人番号, 住民票コード and 本人確認情報 (基本4情報: 氏名,
//! 生年月日, 性別, 住所).
//!
//! In workflow 1 (加入者情報作成) it answers two questions over the network:
//!
//! - `intermediate` asks for the 本人確認情報 of a batch of 個人番号 (VerifyIdentities) to
//!   cross-check each 加入者情報 record before registering it;
//! - `hub` asks for the 住民票コード of a batch of 個人番号 (ResolveResidentCodes) to issue
//!   機関別符号. The 住民票コード never leaves `registry` and `hub`.
//!
//! Residents are loaded from a CSV file ([`load_residents_csv`]) or through [`store::Store`].
//! The 個人番号 is kept only as a keyed hash (the look-up key) and an AES-GCM sealed copy;
//! its plaintext never rests on disk, in logs or in metrics.
//!
//! Rooms: [`domain`] (rules, no I/O), [`store`] (SQLite and PostgreSQL), [`api`] (handlers),
//! [`config`], [`app`] (start-up).

pub mod accuracy;
pub mod api;
pub mod app;
pub mod audit;
pub mod changes;
pub mod config;
pub mod domain;
pub mod history;
pub mod index;
pub mod jlis;
pub mod load;
pub mod store;

pub use app::{Application, StartError};
pub use config::{ConfigError, RegistryConfig, RegistryKeys};
pub use domain::{ResidentRecord, RowError, MAX_BATCH};
pub use load::{load_residents_csv, LoadError, LoadSummary};
pub use renkei_wire::msg::registry::ResidentIdentity;
pub use store::Store;
