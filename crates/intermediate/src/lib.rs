//! renkei-intermediate: the 医療保険者向け中間サーバ.
//!
//! A multi-tenant server for insurers: each tenant (a 広域連合, 協会けんぽ, 健保組合 …) holds its
//! 保険者番号, its subscribers (加入者情報) with the 被保険者枝番 assigned here and the 機関別符号
//! obtained from `hub`, and their 資格 history. Registration ([`registration`]) validates every
//! row, cross-checks it with J-LIS's 本人確認情報 at `registry`, obtains 符号 in batches and
//! applies the rows in chunks that are each one transaction, so that a re-sent file or a crash
//! registers nothing twice.

pub mod api;
pub mod app;
pub mod config;
pub mod domain;
pub mod fuhon;
pub mod inquiry;
pub mod jlis;
pub mod registration;
pub mod store;

pub use app::Application;
pub use config::IntermediateConfig;
