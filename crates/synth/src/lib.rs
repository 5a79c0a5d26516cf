//! renkei-synth: deterministic synthetic data for the renkei sandbox and tests.
//!
//! The same seed gives the same bytes on every machine and every version (the PRNG is written
//! out in [`rng`], not taken from a crate). What it makes:
//!
//! - static tables: the 47 都道府県, real 市区町村 with their 全国地方公共団体コード and 町名
//!   ([`prefectures`], [`municipalities`]), and the 47 後期高齢者医療広域連合 with one
//!   保険者番号 per member municipality ([`koiki_unions`]);
//! - residents as J-LIS holds them ([`residents`], [`resident`]), streamed in O(1) memory with
//!   unique 個人番号 and 住民票コード, and the residents CSV that seeds `registry`
//!   ([`write_residents_csv`]);
//! - 加入者情報 files as a 広域連合 sends them to `intermediate` ([`write_subscriber_file`]),
//!   in UTF-8 or CP932, with Western or 和暦 dates, harmless notation noise and planted errors
//!   whose lines are reported;
//! - 副本 files of those subscribers' 資格情報, 高額介護合算療養費情報 and 葬祭費情報, full or
//!   delta, round by round ([`write_fuhon_file`]);
//! - the `renkei synth` command ([`cli`]).

pub mod cli;
mod data;
mod error;
mod fuhon;
mod fuhon_cli;
mod koiki;
mod population;
mod residents_csv;
mod rng;
mod subscriber;

pub use data::{municipalities, prefecture, prefectures, Municipality, Prefecture};
pub use error::SynthError;
pub use fuhon::{write_fuhon_file, FuhonError, FuhonFileSpec, FuhonFileSummary};
pub use koiki::{koiki_unions, KoikiUnion};
pub use population::{
    is_reserved_unknown, look_alike, look_alikes, resident, residents, search_items,
    unknown_my_number, LookAlike, LookAlikeKind, PopulationSpec, Resident, SearchItems, MAX_AGE,
    REFERENCE_DAY,
};
pub use residents_csv::{write_residents_csv, RESIDENTS_HEADER};
pub use subscriber::{
    write_subscriber_file, DateStyle, Encoding, Planted, PlantedError, SubscriberFileSpec,
    SubscriberFileSummary, SUBSCRIBER_HEADER,
};
