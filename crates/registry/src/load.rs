//! Loading residents from a CSV file (UTF-8, header
//! `個人番号,住民票コード,氏名,氏名カナ,生年月日,性別,住所,市区町村コード`).
//!
//! Policy: good rows are loaded and bad rows are reported. Each bad row is skipped and named
//! by line and field ("3行目 個人番号: 検査数字が一致しません", never the value); the first
//! [`MAX_LISTED_ERRORS`] problems are listed and all bad rows counted. A wrong header rejects
//! the whole file before anything is written. The file is streamed: a reader thread parses
//! batches of [`BATCH_ROWS`] while the previous batch is written, so memory stays bounded.

use std::path::{Path, PathBuf};

use renkei_store::StoreError;
use tokio::sync::mpsc;

use crate::domain::{check_header, parse_row, ResidentRecord, RowError};
use crate::store::Store;

/// Rows written per transaction.
pub const BATCH_ROWS: usize = 10_000;
/// Problems listed in a [`LoadSummary`]; further bad rows are only counted.
pub const MAX_LISTED_ERRORS: usize = 100;

/// The outcome of a load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadSummary {
    /// Data rows read (the header excluded).
    pub rows: u64,
    /// Rows written (inserted or updated).
    pub loaded: u64,
    /// Rows skipped because a field was bad.
    pub rejected: u64,
    /// The first problems, in file order (a row may have several).
    pub errors: Vec<RowError>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: ファイルを開けません: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Header(String),
    #[error("{line}行目: ファイルを読めません: {reason}")]
    Read { line: u64, reason: String },
    #[error("住民情報を保存できません: {0}")]
    Store(#[from] StoreError),
}

/// Loads the residents CSV at `path` into `store`; see the module documentation for the policy.
pub async fn load_residents_csv(store: &Store, path: &Path) -> Result<LoadSummary, LoadError> {
    let file = std::fs::File::open(path).map_err(|source| LoadError::Open {
        path: path.to_owned(),
        source,
    })?;
    let (tx, mut rx) = mpsc::channel::<Vec<ResidentRecord>>(2);
    let reader = tokio::task::spawn_blocking(move || read_batches(file, tx));
    let mut loaded = 0;
    while let Some(batch) = rx.recv().await {
        let len = batch.len();
        loaded += store.upsert_owned(batch).await?;
        tracing::debug!(batch = len, "residents written");
    }
    let mut summary = reader.await.map_err(|e| LoadError::Read {
        line: 0,
        reason: e.to_string(),
    })??;
    summary.loaded = loaded;
    tracing::info!(
        rows = summary.rows,
        loaded,
        rejected = summary.rejected,
        "residents CSV loaded"
    );
    Ok(summary)
}

/// Parses the file, sending batches of good records; returns the counts and problems.
fn read_batches(
    file: std::fs::File,
    tx: mpsc::Sender<Vec<ResidentRecord>>,
) -> Result<LoadSummary, LoadError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let mut record = csv::ByteRecord::new();
    let mut summary = LoadSummary::default();
    let read_err = |line: u64, e: csv::Error| LoadError::Read {
        line,
        reason: e.to_string(),
    };

    if !csv
        .read_byte_record(&mut record)
        .map_err(|e| read_err(1, e))?
    {
        return Err(LoadError::Header(
            "ファイルが空です（見出し行がありません）".into(),
        ));
    }
    let header: Vec<&str> = record
        .iter()
        .map(|f| std::str::from_utf8(f).unwrap_or(""))
        .collect();
    check_header(&header).map_err(LoadError::Header)?;

    let mut batch = Vec::with_capacity(BATCH_ROWS);
    loop {
        let line = csv.position().line();
        if !csv
            .read_byte_record(&mut record)
            .map_err(|e| read_err(line, e))?
        {
            break;
        }
        let line = record.position().map_or(line, |p| p.line());
        summary.rows += 1;
        let mut utf8_error = None;
        let fields: Vec<&str> = record
            .iter()
            .enumerate()
            .map(|(i, f)| {
                std::str::from_utf8(f).unwrap_or_else(|_| {
                    utf8_error.get_or_insert(i);
                    ""
                })
            })
            .collect();
        let parsed = match utf8_error {
            Some(i) => Err(vec![RowError {
                line,
                field: crate::domain::CSV_HEADER.get(i).copied().unwrap_or("行"),
                reason: "UTF-8 の文字として読めません".into(),
            }]),
            None => parse_row(line, &fields),
        };
        match parsed {
            Ok(r) => batch.push(r),
            Err(errors) => {
                summary.rejected += 1;
                let room = MAX_LISTED_ERRORS.saturating_sub(summary.errors.len());
                summary.errors.extend(errors.into_iter().take(room));
            }
        }
        if batch.len() == BATCH_ROWS {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
            if tx.blocking_send(full).is_err() {
                // The writer stopped (its error is what the caller sees).
                return Ok(summary);
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(batch);
    }
    Ok(summary)
}
