//! Where an upload's files live and how they move: the uploaded file streamed to disk, the
//! result file streamed back as an attachment.

use std::path::{Path as FsPath, PathBuf};

use tokio::io::AsyncWriteExt;

use crate::web::error::WebError;
use crate::web::WebState;

pub(super) fn upload_dir(state: &WebState, id: &str) -> PathBuf {
    crate::web::jobs::file(state, &crate::web::jobs::registration::dir(id))
}

pub(super) fn input_path(state: &WebState, id: &str) -> PathBuf {
    upload_dir(state, id).join("input.csv")
}

pub(super) fn result_path(state: &WebState, id: &str) -> PathBuf {
    upload_dir(state, id).join("result.csv")
}

/// Streams a multipart field to `path` (created with its directory, readable by the owner
/// only: it holds 個人番号).
pub(in crate::web::pages) async fn save(
    path: &FsPath,
    field: &mut axum::extract::multipart::Field<'_>,
) -> Result<u64, WebError> {
    let io = |e: std::io::Error| WebError::Internal(format!("ファイルを保存できません（{e}）"));
    tokio::fs::create_dir_all(path.parent().expect("upload dir"))
        .await
        .map_err(io)?;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await.map_err(io)?;
    let mut written = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(|e| {
        WebError::BadRequest(format!(
            "ファイルの受信が途中で切れました（{e}）。もう一度送信してください。"
        ))
    })? {
        file.write_all(&chunk).await.map_err(io)?;
        written += chunk.len() as u64;
    }
    file.flush().await.map_err(io)?;
    Ok(written)
}

/// `filename*` of RFC 6266 / 5987: the name percent-encoded as UTF-8.
pub(in crate::web::pages) fn attachment(name: &str) -> String {
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"result.csv\"; filename*=UTF-8''{encoded}")
}

/// A file as a stream of byte chunks.
pub(in crate::web::pages) fn file_stream(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(buf), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    })
}
