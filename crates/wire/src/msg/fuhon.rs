//! Served by `intermediate` to insurers' terminals: 副本作成 (copies of 資格情報,
//! 高額介護合算療養費情報 and 葬祭費情報 kept in step with the insurer's 正本).
//!
//! An upload is a session: the terminal starts it with the file's digest and header, sends the
//! rows in numbered chunks (each row is checked and staged; nothing is visible yet), and commits
//! it. The commit makes one new version of the tenant's 副本 of that kind, or — if any row of the
//! file was bad — changes nothing and names every bad row and field. A drift check is a session
//! that is never committed: its rows are compared with the current 副本, page by page.

use renkei_core::InsurerNumber;
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::msg::intermediate::RawRow;

/// The three kinds of 副本 a 後期高齢者医療広域連合 keeps in `intermediate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FuhonKind {
    /// 資格情報.
    Shikaku,
    /// 高額介護合算療養費情報.
    KogakuGassan,
    /// 葬祭費情報.
    Sosaihi,
}

impl FuhonKind {
    pub const ALL: [FuhonKind; 3] = [
        FuhonKind::Shikaku,
        FuhonKind::KogakuGassan,
        FuhonKind::Sosaihi,
    ];

    /// Stable code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            FuhonKind::Shikaku => "shikaku",
            FuhonKind::KogakuGassan => "kogaku_gassan",
            FuhonKind::Sosaihi => "sosaihi",
        }
    }

    /// The name staff know.
    pub fn label(self) -> &'static str {
        match self {
            FuhonKind::Shikaku => "資格情報",
            FuhonKind::KogakuGassan => "高額介護合算療養費情報",
            FuhonKind::Sosaihi => "葬祭費情報",
        }
    }

    /// Accepts the code, the short name (`資格`, `高額介護合算`, `葬祭費`) or the full name.
    pub fn parse(s: &str) -> Option<FuhonKind> {
        FuhonKind::ALL.into_iter().find(|k| {
            let short = k
                .label()
                .trim_end_matches("情報")
                .trim_end_matches("療養費");
            s == k.code() || s == k.label() || s == short || s == k.label().trim_end_matches("情報")
        })
    }

    /// The columns of a full file of this kind, in this order (docs/formats.md). A delta file
    /// has [`CHANGE_COLUMN`] first, then these.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            FuhonKind::Shikaku => &SHIKAKU_COLUMNS,
            FuhonKind::KogakuGassan => &KOGAKU_GASSAN_COLUMNS,
            FuhonKind::Sosaihi => &SOSAIHI_COLUMNS,
        }
    }
}

/// First column of a delta file: 1 追加, 2 変更, 3 削除.
pub const CHANGE_COLUMN: &str = "異動区分";

pub const SHIKAKU_COLUMNS: [&str; 7] = [
    "保険者番号",
    "被保険者番号",
    "被保険者枝番",
    "資格取得年月日",
    "資格喪失年月日",
    "一部負担金の割合",
    "負担区分",
];

pub const KOGAKU_GASSAN_COLUMNS: [&str; 9] = [
    "保険者番号",
    "被保険者番号",
    "被保険者枝番",
    "計算期間開始年月日",
    "計算期間終了年月日",
    "医療の自己負担額",
    "介護の自己負担額",
    "支給額",
    "支給年月日",
];

pub const SOSAIHI_COLUMNS: [&str; 6] = [
    "保険者番号",
    "被保険者番号",
    "被保険者枝番",
    "死亡年月日",
    "支給額",
    "支給年月日",
];

/// How an upload's rows are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadMode {
    /// The whole 副本: what is not in the file is deleted.
    Full,
    /// Adds, changes and deletions, applied in file order.
    Delta,
    /// A 正本 extract to compare with (drift check); never committed.
    Check,
}

impl UploadMode {
    pub fn code(self) -> &'static str {
        match self {
            UploadMode::Full => "full",
            UploadMode::Delta => "delta",
            UploadMode::Check => "check",
        }
    }

    pub fn parse(s: &str) -> Option<UploadMode> {
        [UploadMode::Full, UploadMode::Delta, UploadMode::Check]
            .into_iter()
            .find(|m| m.code() == s)
    }
}

/// Opens an upload session.
pub struct StartFuhonUpload;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartFuhonRequest {
    /// One of the tenant's 保険者番号 (names the tenant; rows may carry any of its numbers).
    pub insurer_number: InsurerNumber,
    pub kind: FuhonKind,
    pub mode: UploadMode,
    /// Hex SHA-256 of the file's bytes, kind and mode: re-sending the file the current version
    /// came from makes no new version.
    pub digest: String,
    pub file_name: String,
    /// The header row, as decoded.
    pub header: Vec<String>,
    /// 基準日 of the extract (ISO date); today (JST) when absent.
    pub as_of: Option<String>,
}

/// One version of a tenant's 副本 of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub kind: FuhonKind,
    /// 1, 2, … per (tenant, kind).
    pub version: u64,
    pub mode: UploadMode,
    /// 基準日 (ISO date): the version answers inquiries as of this day onwards.
    pub as_of: String,
    pub committed_at: String,
    pub digest: String,
    /// Records in the version.
    pub records: u64,
    pub added: u64,
    pub changed: u64,
    pub deleted: u64,
    pub unchanged: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartFuhonResponse {
    pub session: String,
    /// Set when the file is the one the current version came from: nothing more to send.
    pub already: Option<VersionInfo>,
}

impl Endpoint for StartFuhonUpload {
    const PATH: &'static str = "/v1/fuhon/start";
    type Request = StartFuhonRequest;
    type Response = StartFuhonResponse;
}

/// A bad row: the line, the column (項目) and why, in Japanese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub line: u64,
    /// The column named, e.g. `資格取得年月日` (empty when the row as a whole is wrong).
    pub field: String,
    /// Stable code, e.g. `INVALID_DATE`.
    pub code: String,
    pub message: String,
}

/// Stages one chunk of a session's rows.
pub struct FuhonChunk;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FuhonChunkRequest {
    pub insurer_number: InsurerNumber,
    pub session: String,
    /// 0-based chunk number; a chunk sent twice is staged once.
    pub seq: u32,
    pub rows: Vec<RawRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FuhonChunkResponse {
    /// The chunk's bad rows (the file will be refused at commit if there are any).
    pub errors: Vec<RowError>,
}

impl Endpoint for FuhonChunk {
    const PATH: &'static str = "/v1/fuhon/chunk";
    type Request = FuhonChunkRequest;
    type Response = FuhonChunkResponse;
}

/// Commits a session: one new version, or nothing at all.
pub struct CommitFuhon;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommitFuhonRequest {
    pub insurer_number: InsurerNumber,
    pub session: String,
    /// Chunks and data rows sent, so a lost chunk is noticed.
    pub chunks: u32,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum CommitFuhonResponse {
    Committed {
        version: VersionInfo,
    },
    /// A check session (正本 extract) read without fault: its drift pages can be asked for.
    /// `version` is the current version it is compared with (absent while there is none).
    Checked {
        version: Option<VersionInfo>,
    },
    /// Nothing changed. `errors` are the bad rows found at commit (in addition to those the
    /// chunks already reported), at most [`MAX_COMMIT_ERRORS`]; `total_errors` counts all.
    Refused {
        errors: Vec<RowError>,
        total_errors: u64,
    },
}

/// Most errors a commit lists (the count is always complete).
pub const MAX_COMMIT_ERRORS: usize = 100_000;

impl Endpoint for CommitFuhon {
    const PATH: &'static str = "/v1/fuhon/commit";
    type Request = CommitFuhonRequest;
    type Response = CommitFuhonResponse;
}

/// One page of a drift check between a staged 正本 extract (a `check` session) and the
/// current 副本, in key order.
pub struct FuhonDrift;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FuhonDriftRequest {
    pub insurer_number: InsurerNumber,
    pub session: String,
    /// Resume after this key (the previous page's `next`).
    pub after: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// In the 正本 extract, not in the 副本.
    MissingInFuhon,
    /// In the 副本, not in the 正本 extract.
    MissingInMaster,
    /// In both, with this field different.
    Different,
}

impl DriftKind {
    pub fn label(self) -> &'static str {
        match self {
            DriftKind::MissingInFuhon => "副本なし",
            DriftKind::MissingInMaster => "正本なし",
            DriftKind::Different => "相違",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftRow {
    /// The record's key: 被保険者番号, and for 高額介護合算 `/計算期間開始年月日`.
    pub key: String,
    pub insured_number: String,
    pub drift: DriftKind,
    /// Line in the 正本 extract (absent for [`DriftKind::MissingInMaster`]).
    pub line: Option<u64>,
    /// The differing column (for [`DriftKind::Different`]).
    pub field: Option<String>,
    pub fuhon: Option<String>,
    pub master: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FuhonDriftResponse {
    /// The current version compared against (absent while the 副本 is empty).
    pub version: Option<u64>,
    pub rows: Vec<DriftRow>,
    /// Where the next page starts; `None` when the comparison is complete.
    pub next: Option<String>,
}

impl Endpoint for FuhonDrift {
    const PATH: &'static str = "/v1/fuhon/drift";
    type Request = FuhonDriftRequest;
    type Response = FuhonDriftResponse;
}

/// The versions of the caller's 副本 of one kind, newest first.
pub struct FuhonVersions;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FuhonVersionsRequest {
    pub insurer_number: InsurerNumber,
    pub kind: FuhonKind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FuhonVersionsResponse {
    pub versions: Vec<VersionInfo>,
}

impl Endpoint for FuhonVersions {
    const PATH: &'static str = "/v1/fuhon/versions";
    type Request = FuhonVersionsRequest;
    type Response = FuhonVersionsResponse;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_from_every_name_staff_use() {
        for (s, k) in [
            ("資格", FuhonKind::Shikaku),
            ("資格情報", FuhonKind::Shikaku),
            ("shikaku", FuhonKind::Shikaku),
            ("高額介護合算", FuhonKind::KogakuGassan),
            ("高額介護合算療養費", FuhonKind::KogakuGassan),
            ("高額介護合算療養費情報", FuhonKind::KogakuGassan),
            ("葬祭費", FuhonKind::Sosaihi),
            ("葬祭費情報", FuhonKind::Sosaihi),
        ] {
            assert_eq!(FuhonKind::parse(s), Some(k), "{s}");
        }
        assert_eq!(FuhonKind::parse("資格情報x"), None);
        assert_eq!(FuhonKind::parse(""), None);
    }
}
