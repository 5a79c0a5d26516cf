//! Served by `intermediate` (医療保険者向け中間サーバ) to insurers' terminals.
//!
//! 加入者情報作成 runs as a job per (tenant, file): the terminal starts the job with the file's
//! digest and header, sends the rows in numbered chunks, and finishes it. A chunk that was
//! already applied is answered from the stored result, so re-sending a file — whole, or after a
//! crash on either side — registers nothing twice.

use std::fmt;

use renkei_core::InsurerNumber;
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;

/// Opens (or reopens) a registration job.
pub struct StartRegistration;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartRegistrationRequest {
    /// The 保険者番号 the file is registered under (one of the tenant's).
    pub insurer_number: InsurerNumber,
    /// Hex SHA-256 of the file's bytes and the chunk size: the job's identity.
    pub job_id: String,
    pub file_name: String,
    /// The file's header row, as decoded.
    pub header: Vec<String>,
    pub chunk_rows: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobStatus {
    pub job_id: String,
    /// Number of chunks already applied.
    pub chunks_done: u32,
    pub rows_done: u64,
    pub registered: u64,
    pub held: u64,
    pub finished: bool,
}

impl Endpoint for StartRegistration {
    const PATH: &'static str = "/v1/registrations/start";
    type Request = StartRegistrationRequest;
    type Response = JobStatus;
}

/// One data row as read from the file. `Debug` shows only the line, never the fields.
#[derive(Clone, Serialize, Deserialize)]
pub struct RawRow {
    /// Physical line of the row in the file (the header is line 1).
    pub line: u64,
    pub fields: Vec<String>,
}

impl fmt::Debug for RawRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RawRow(line {}, {} fields)",
            self.line,
            self.fields.len()
        )
    }
}

/// Applies one chunk of a job.
pub struct RegisterChunk;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterChunkRequest {
    pub insurer_number: InsurerNumber,
    pub job_id: String,
    /// 0-based chunk number.
    pub seq: u32,
    pub rows: Vec<RawRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum RowOutcome {
    /// 登録: registered (or already registered identically), with its 被保険者枝番.
    Registered { branch: String },
    /// 保留: held, with a stable reason code and a Japanese reason naming the field.
    Held { code: String, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowResult {
    pub line: u64,
    /// The row's 被保険者番号 as written in the file (may be invalid when held for it).
    pub insured_number: String,
    #[serde(flatten)]
    pub outcome: RowOutcome,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterChunkResponse {
    pub results: Vec<RowResult>,
}

impl Endpoint for RegisterChunk {
    const PATH: &'static str = "/v1/registrations/chunk";
    type Request = RegisterChunkRequest;
    type Response = RegisterChunkResponse;
}

/// Marks a job complete once every chunk is applied.
pub struct FinishRegistration;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FinishRegistrationRequest {
    pub insurer_number: InsurerNumber,
    pub job_id: String,
    pub chunks: u32,
    pub rows: u64,
}

impl Endpoint for FinishRegistration {
    const PATH: &'static str = "/v1/registrations/finish";
    type Request = FinishRegistrationRequest;
    type Response = JobStatus;
}
