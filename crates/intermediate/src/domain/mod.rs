//! The rules of 加入者情報作成, without I/O: reading a 加入者情報 row ([`record`]), why a row is
//! held ([`hold`]), the 本人確認 cross-check against J-LIS ([`verify`]) and what a chunk of
//! checked rows does to the tenant's subscribers ([`plan`]).

pub mod hold;
pub mod plan;
pub mod record;
pub mod verify;

pub use hold::Hold;
pub use record::{ChangeType, Header, SubscriberRecord};
