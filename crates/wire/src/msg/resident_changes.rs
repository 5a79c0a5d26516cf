//! Served by `registry`: a municipality (市区町村) reports its residents' 異動 — 転居,
//! 氏名変更 and 消除 (死亡・国外転出) — to J-LIS (住基ネット), in batches.
//!
//! Every item travels as the text the municipality wrote, so that the registry can answer
//! each record on its own (refused with a stable code and a reason naming the record and the
//! field) while the valid records beside it are applied. The format of the file the
//! `renkei agency … report-changes` command reads is in `docs/formats.md`.

use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;

/// The most changes one request may carry.
pub const MAX_CHANGES: usize = 1_000;

/// The header of a changes file (異動届出ファイル), in order.
pub const CHANGE_COLUMNS: [&str; 9] = [
    "変更ID",
    "異動区分",
    "個人番号",
    "異動年月日",
    "氏名",
    "氏名カナ",
    "住所",
    "市区町村コード",
    "消除事由",
];

/// The header of the result file, in order.
pub const CHANGE_RESULT_COLUMNS: [&str; 5] = ["行番号", "変更ID", "結果", "理由コード", "理由"];

/// One reported change, as written. Which items are needed depends on the 異動区分:
/// 転居 needs 住所 and 市区町村コード, 氏名変更 needs 氏名 and 氏名カナ, 消除 needs 消除事由.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ReportedChange {
    /// Where the record came from, for messages: the line in the municipality's file. When
    /// absent, messages name the record's position in the request (1-based).
    #[serde(default)]
    pub line: Option<u64>,
    /// 変更ID: the municipality's own id of this change, unique per municipality. Re-sending
    /// a change with the same id never records it twice.
    pub change_id: String,
    /// 異動区分: 転居, 氏名変更 or 消除 (or `moved`, `renamed`, `removed`).
    pub kind: String,
    /// 個人番号, as written (checked by the registry; never quoted back).
    pub my_number: String,
    /// 異動年月日 (西暦 or 和暦, as in every renkei file).
    pub effective_on: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kana: String,
    #[serde(default)]
    pub address: String,
    /// The new 市区町村コード of a 転居 (the same city's code for a move within the city).
    #[serde(default)]
    pub municipality_code: String,
    /// 消除事由: 死亡 or 転出 (国外転出), or `death`, `emigration`.
    #[serde(default)]
    pub reason: String,
}

/// Shows the id and kind only, so a stray `{:?}` cannot leak a number, name or address.
impl std::fmt::Debug for ReportedChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReportedChange({} {})", self.change_id, self.kind)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeReport {
    pub changes: Vec<ReportedChange>,
}

/// What became of one reported change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ChangeOutcome {
    /// 反映: recorded now.
    Applied,
    /// 反映済み: this 変更ID was recorded by an earlier request (a re-send); nothing changed.
    AlreadyApplied,
    /// 不受理: not recorded; `code` is stable (see `docs/formats.md`), `reason` is Japanese
    /// and names the record and the field.
    Refused { code: String, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeResult {
    pub change_id: String,
    #[serde(flatten)]
    pub outcome: ChangeOutcome,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeReportAnswer {
    /// One result per reported change, in order.
    pub results: Vec<ChangeResult>,
}

/// At `registry`: a municipality's 異動 of its own residents (municipalities only).
pub struct ReportResidentChanges;

impl Endpoint for ReportResidentChanges {
    const PATH: &'static str = "/v1/residents/changes";
    type Request = ChangeReport;
    type Response = ChangeReportAnswer;
}
