//! 加入者情報作成 from the terminal: the file is sent to `intermediate` as a job of numbered
//! chunks, a few in flight at once, and the results are written in input order as they come
//! back. The job is named by the file's digest, so sending the same file again — after a
//! crash, a dropped connection, or just twice — is answered from what was already applied.

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use renkei_core::InsurerNumber;
use renkei_wire::msg::intermediate::{
    FinishRegistrationRequest, RawRow, RegisterChunkRequest, RowOutcome, RowResult,
    StartRegistrationRequest,
};
use renkei_wire::peer::IntermediateClient;
use renkei_wire::CallError;

use crate::input::{digest_and_count, resolve, EncodingChoice, Rows};
use crate::result_file::ResultFile;

/// Rows per chunk: the intermediate's largest. Each chunk is one transaction there and at the
/// hub, and a transaction writes about one page per row of each random-keyed index whatever
/// its size, so fewer, larger chunks write fewer pages per row (docs/PERFORMANCE.md).
pub const DEFAULT_CHUNK_ROWS: u32 = 50_000;

/// Chunks in flight: enough for checking one chunk while the previous one is stored.
pub const DEFAULT_PARALLEL: usize = 2;

#[derive(Debug, Clone)]
pub struct RegisterOptions {
    pub chunk_rows: u32,
    /// Chunks in flight at once.
    pub parallel: usize,
    pub encoding: EncodingChoice,
    /// How long to keep retrying while a system is unavailable.
    pub retry_for: Duration,
}

impl Default for RegisterOptions {
    fn default() -> Self {
        RegisterOptions {
            chunk_rows: DEFAULT_CHUNK_ROWS,
            parallel: DEFAULT_PARALLEL,
            encoding: EncodingChoice::Auto,
            retry_for: Duration::from_secs(60),
        }
    }
}

/// Where a registration stands, reported after every chunk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub rows_total: u64,
    pub rows_done: u64,
    pub registered: u64,
    pub held: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterSummary {
    pub job_id: String,
    pub encoding: &'static str,
    pub progress: Progress,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("{path}: ファイルを読み書きできません: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("ファイルが空です（見出し行がありません）")]
    Empty,
    #[error("中間サーバが受け付けませんでした: {0}")]
    Refused(String),
    #[error("中間サーバに接続できません（{0}）。同じファイルを再送すれば続きから処理されます（登録済みの行が二重に登録されることはありません）")]
    Unavailable(String),
}

impl From<CallError> for RegisterError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Api(api)
                if !(api.status == 502 || api.status == 503 || api.status == 504) =>
            {
                RegisterError::Refused(api.message)
            }
            other => RegisterError::Unavailable(other.to_string()),
        }
    }
}

/// Registers `input` under `insurer_number` and writes the result file to `out`.
pub async fn register_file(
    client: &IntermediateClient,
    insurer_number: &InsurerNumber,
    input: &Path,
    out: &Path,
    options: &RegisterOptions,
    mut progress: impl FnMut(&Progress),
) -> Result<RegisterSummary, RegisterError> {
    let io_err = |path: &Path| {
        let path = path.display().to_string();
        move |source| RegisterError::Io {
            path: path.clone(),
            source,
        }
    };
    let encoding = resolve(input, options.encoding).map_err(io_err(input))?;
    let (job_id, rows_total) = digest_and_count(input, options.chunk_rows, insurer_number.as_str())
        .map_err(io_err(input))?;
    let (header, mut rows) = Rows::open(input, encoding).map_err(io_err(input))?;
    if header.is_empty() {
        return Err(RegisterError::Empty);
    }
    let start = StartRegistrationRequest {
        insurer_number: insurer_number.clone(),
        job_id: job_id.clone(),
        file_name: input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        header,
        chunk_rows: options.chunk_rows,
    };
    retry(options.retry_for, || client.start_registration(&start)).await?;

    let mut result_file = ResultFile::create(out).map_err(io_err(out))?;
    let mut state = Progress {
        rows_total,
        ..Progress::default()
    };
    progress(&state);
    let chunk_rows = options.chunk_rows as usize;
    let chunks = std::iter::from_fn(|| {
        let mut chunk: Vec<RawRow> = Vec::with_capacity(chunk_rows);
        while chunk.len() < chunk_rows {
            match rows.next_row() {
                Ok(Some(row)) => chunk.push(row),
                Ok(None) => break,
                Err(e) => return Some(Err(e)),
            }
        }
        (!chunk.is_empty()).then_some(Ok(chunk))
    });
    let mut sent_chunks = 0u32;
    let mut results = stream::iter(chunks.enumerate())
        .map(|(seq, chunk)| {
            let chunk = chunk.map_err(io_err(input));
            let insurer_number = insurer_number.clone();
            let job_id = job_id.clone();
            async move {
                // Encoded once and the rows dropped: a retry sends the same body again.
                let req = IntermediateClient::encode_chunk(&RegisterChunkRequest {
                    insurer_number,
                    job_id,
                    seq: seq as u32,
                    rows: chunk?,
                })?;
                let results =
                    retry(options.retry_for, || client.register_encoded_chunk(&req)).await?;
                Ok::<Vec<RowResult>, RegisterError>(results)
            }
        })
        .buffered(options.parallel.max(1));
    while let Some(chunk_results) = results.try_next().await? {
        sent_chunks += 1;
        for r in &chunk_results {
            result_file.write(r).map_err(io_err(out))?;
            match r.outcome {
                RowOutcome::Registered { .. } => state.registered += 1,
                RowOutcome::Held { .. } => state.held += 1,
            }
        }
        state.rows_done += chunk_results.len() as u64;
        progress(&state);
    }
    drop(results);
    let finish = FinishRegistrationRequest {
        insurer_number: insurer_number.clone(),
        job_id: job_id.clone(),
        chunks: sent_chunks,
        rows: state.rows_done,
    };
    retry(options.retry_for, || client.finish_registration(&finish)).await?;
    result_file.finish().map_err(io_err(out))?;
    Ok(RegisterSummary {
        job_id,
        encoding: encoding.label(),
        progress: state,
    })
}

/// Retries `call` while its failure is retryable (peer down or overloaded), up to `limit`.
async fn retry<T, F, Fut>(limit: Duration, mut call: F) -> Result<T, RegisterError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CallError>>,
{
    let deadline = Instant::now() + limit;
    let mut backoff = Duration::from_millis(100);
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_retryable() && Instant::now() + backoff < deadline => {
                tracing::debug!(error = %e, "retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(3));
            }
            Err(e) => return Err(e.into()),
        }
    }
}
