//! Residents' history: 転居 (address change), 氏名変更 (change of name) and 消除 (死亡・転出),
//! each with the day it took effect. The residents table keeps the current state; every change
//! is also appended to `resident_history` with the values before and after, so that J-LIS
//! answers today's 基本4情報 and can still show how they came to be.

use renkei_core::Date;
use serde::{Deserialize, Serialize};

pub use renkei_wire::msg::registry::{Removal, RemovalReason};

/// One change to a resident's record.
#[derive(Clone, PartialEq, Eq)]
pub enum ResidentChange {
    /// 転居: a new 住所 (and its 市区町村コード).
    Moved {
        on: Date,
        address: String,
        municipality_code: String,
    },
    /// 氏名変更: a new 氏名 and カナ氏名.
    Renamed {
        on: Date,
        name: String,
        kana: String,
    },
    /// 消除: the record is closed (死亡 or 転出).
    Removed { on: Date, reason: RemovalReason },
}

/// Shows only the kind and the day, so a stray `{:?}` cannot leak a name or an address.
impl std::fmt::Debug for ResidentChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.kind().label(), self.on())
    }
}

/// The kind of a change, as stored (`moved`, `renamed`, `removed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Moved,
    Renamed,
    Removed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Moved => "moved",
            ChangeKind::Renamed => "renamed",
            ChangeKind::Removed => "removed",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        match s {
            "moved" => Some(ChangeKind::Moved),
            "renamed" => Some(ChangeKind::Renamed),
            "removed" => Some(ChangeKind::Removed),
            _ => None,
        }
    }

    /// 転居 / 氏名変更 / 消除.
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Moved => "転居",
            ChangeKind::Renamed => "氏名変更",
            ChangeKind::Removed => "消除",
        }
    }
}

impl ResidentChange {
    pub fn kind(&self) -> ChangeKind {
        match self {
            ResidentChange::Moved { .. } => ChangeKind::Moved,
            ResidentChange::Renamed { .. } => ChangeKind::Renamed,
            ResidentChange::Removed { .. } => ChangeKind::Removed,
        }
    }

    pub fn on(&self) -> Date {
        match self {
            ResidentChange::Moved { on, .. }
            | ResidentChange::Renamed { on, .. }
            | ResidentChange::Removed { on, .. } => *on,
        }
    }

    /// The new value as stored in the history (`after`).
    pub(crate) fn after(&self) -> String {
        match self {
            ResidentChange::Moved {
                address,
                municipality_code,
                ..
            } => join(&[address, municipality_code]),
            ResidentChange::Renamed { name, kana, .. } => join(&[name, kana]),
            ResidentChange::Removed { reason, .. } => reason.label().to_owned(),
        }
    }

    /// Checks the new values (a change never blanks an item).
    pub fn validate(&self) -> Result<(), String> {
        let blank = |s: &str| s.trim().is_empty();
        match self {
            ResidentChange::Moved {
                address,
                municipality_code,
                ..
            } if blank(address) || municipality_code.len() < 5 => {
                Err("転居: 住所と市区町村コードが必要です".into())
            }
            ResidentChange::Renamed { name, kana, .. } if blank(name) || blank(kana) => {
                Err("氏名変更: 氏名とカナ氏名が必要です".into())
            }
            _ => Ok(()),
        }
    }
}

/// Why a change was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The change itself is not valid (a blank item); nothing was written.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Store(#[from] renkei_store::StoreError),
}

/// Fields of a history value are separated by U+001F (unit separator), which no name or
/// address contains.
pub(crate) const SEPARATOR: char = '\u{1f}';

pub(crate) fn join(parts: &[&String]) -> String {
    parts
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(&SEPARATOR.to_string())
}

/// One entry of a resident's history, oldest first.
#[derive(Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub kind: ChangeKind,
    /// The day the change took effect.
    pub on: Date,
    /// The values before (`氏名␟カナ`, `住所␟市区町村コード`, or empty for a 消除).
    pub before: String,
    /// The values after (same shape; for a 消除 its reason 死亡 or 転出).
    pub after: String,
}

impl std::fmt::Debug for HistoryEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.kind.label(), self.on)
    }
}

impl HistoryEntry {
    /// The `before` or `after` value split into its fields.
    pub fn fields(value: &str) -> Vec<&str> {
        value.split(SEPARATOR).collect()
    }
}

pub(crate) fn reason_code(r: RemovalReason) -> &'static str {
    match r {
        RemovalReason::Death => "death",
        RemovalReason::Emigration => "emigration",
    }
}

pub(crate) fn parse_reason(s: &str) -> Option<RemovalReason> {
    match s {
        "death" => Some(RemovalReason::Death),
        "emigration" => Some(RemovalReason::Emigration),
        _ => None,
    }
}
