//! 保留: why a 加入者情報 row was not registered. Every reason has a stable code (for programs
//! reading the result file) and a Japanese text that names the field (for the staff fixing it).
//! No reason ever quotes a 個人番号.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub code: &'static str,
    pub reason: String,
}

/// The stable reason codes (documented in docs/formats.md).
pub mod code {
    pub const COLUMN_COUNT: &str = "COLUMN_COUNT";
    pub const MISSING_FIELD: &str = "MISSING_FIELD";
    pub const INVALID_CHANGE_TYPE: &str = "INVALID_CHANGE_TYPE";
    pub const INVALID_MY_NUMBER: &str = "INVALID_MY_NUMBER";
    pub const INVALID_INSURED_NUMBER: &str = "INVALID_INSURED_NUMBER";
    pub const INVALID_NAME: &str = "INVALID_NAME";
    pub const INVALID_KANA: &str = "INVALID_KANA";
    pub const INVALID_DATE: &str = "INVALID_DATE";
    pub const INVALID_SEX: &str = "INVALID_SEX";
    pub const LOSS_DATE_REQUIRED: &str = "LOSS_DATE_REQUIRED";
    pub const LOSS_BEFORE_ACQUISITION: &str = "LOSS_BEFORE_ACQUISITION";
    pub const UNKNOWN_MY_NUMBER: &str = "UNKNOWN_MY_NUMBER";
    pub const RESIDENT_REMOVED: &str = "RESIDENT_REMOVED";
    pub const IDENTITY_MISMATCH: &str = "IDENTITY_MISMATCH";
    pub const DUPLICATE_IN_FILE: &str = "DUPLICATE_IN_FILE";
    pub const INSURED_NUMBER_TAKEN: &str = "INSURED_NUMBER_TAKEN";
    pub const ALREADY_REGISTERED: &str = "ALREADY_REGISTERED";
    pub const NOT_REGISTERED: &str = "NOT_REGISTERED";
    pub const INSURED_NUMBER_MISMATCH: &str = "INSURED_NUMBER_MISMATCH";
}

impl Hold {
    pub fn new(code: &'static str, reason: impl Into<String>) -> Hold {
        Hold {
            code,
            reason: reason.into(),
        }
    }

    /// A field-level problem: "<項目>: <問題>".
    pub fn field(code: &'static str, field: &str, problem: impl std::fmt::Display) -> Hold {
        Hold {
            code,
            reason: format!("{field}: {problem}"),
        }
    }
}
