//! `renkei terminal … fuhon`: 副本作成 from the terminal. `upload` sends a 副本 file (full or
//! delta) as one upload of numbered chunks and commits it — one new version, or nothing with
//! every bad row named in the result file; `diff` sends a 正本 extract and writes where the
//! 副本 differs from it, field by field. Both stream the file in bounded memory.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use renkei_core::InsurerNumber;
use renkei_wire::msg::fuhon::{
    CommitFuhonRequest, CommitFuhonResponse, DriftKind, FuhonChunkRequest, FuhonDriftRequest,
    FuhonKind, RowError, StartFuhonRequest, UploadMode, VersionInfo,
};
use renkei_wire::msg::intermediate::RawRow;
use renkei_wire::peer::FuhonClient;
use renkei_wire::tls::TlsFiles;
use renkei_wire::{CallError, Client};

use crate::cli::{group, CliError};
use crate::input::{digest_and_count, resolve, EncodingChoice, Rows};

/// Rows per chunk (the intermediate's largest).
pub const CHUNK_ROWS: usize = 10_000;

/// `fuhon` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum FuhonCommand {
    /// 副本ファイルを中間サーバに登録します（全件または差分）。誤りのある行が1行でもあれば何も変更しません
    Upload {
        /// 副本の種類: 資格、高額介護合算、葬祭費
        #[arg(long, value_parser = parse_kind)]
        kind: FuhonKind,
        /// 全件（full）か差分（delta）か
        #[arg(long, value_parser = parse_mode)]
        mode: UploadMode,
        /// 副本ファイル（CSV、UTF-8 または Shift_JIS）
        file: PathBuf,
        /// 結果ファイルの出力先
        #[arg(long)]
        out: PathBuf,
        /// 基準日（省略すると今日）
        #[arg(long, value_name = "日付")]
        as_of: Option<String>,
        /// 文字コード
        #[arg(long, value_enum, default_value = "auto")]
        encoding: EncodingChoice,
        /// 1回に送る行数
        #[arg(long, default_value_t = CHUNK_ROWS, hide = true)]
        chunk_rows: usize,
    },
    /// 正本の抽出ファイルと中間サーバの副本を照合し、差異ファイルを作成します
    Diff {
        /// 副本の種類: 資格、高額介護合算、葬祭費
        #[arg(long, value_parser = parse_kind)]
        kind: FuhonKind,
        /// 正本の抽出ファイル（全件の形式）
        file: PathBuf,
        /// 差異ファイルの出力先
        #[arg(long)]
        out: PathBuf,
        /// 文字コード
        #[arg(long, value_enum, default_value = "auto")]
        encoding: EncodingChoice,
    },
}

fn parse_kind(s: &str) -> Result<FuhonKind, String> {
    FuhonKind::parse(s)
        .ok_or_else(|| format!("副本の種類「{s}」は 資格・高額介護合算・葬祭費 のいずれかです"))
}

fn parse_mode(s: &str) -> Result<UploadMode, String> {
    match UploadMode::parse(s) {
        Some(m @ (UploadMode::Full | UploadMode::Delta)) => Ok(m),
        _ => Err(format!(
            "登録方法「{s}」は full（全件）か delta（差分）です"
        )),
    }
}

/// Runs a `fuhon` subcommand as the insurer whose certificate `tls` names.
pub async fn run(
    command: FuhonCommand,
    tls: &TlsFiles,
    url: &str,
    insurer: &InsurerNumber,
    who: &str,
) -> Result<(), CliError> {
    let client = FuhonClient::new(Client::new(tls.client_config().map_err(fail)?, url));
    let started = Instant::now();
    match command {
        FuhonCommand::Upload {
            kind,
            mode,
            file,
            out,
            as_of,
            encoding,
            chunk_rows,
        } => {
            eprintln!(
                "{who}（保険者番号 {insurer}）として {} の{}（{}）を登録します",
                file.display(),
                kind.label(),
                if mode == UploadMode::Full {
                    "全件"
                } else {
                    "差分"
                }
            );
            let sent = send(
                &client, insurer, kind, mode, &file, encoding, as_of, chunk_rows,
            )
            .await?;
            let mut result = Csv::create(
                &out,
                &["結果", "版", "行番号", "項目", "理由コード", "内容"],
            )?;
            let outcome = match sent {
                Sent::Already(v) => {
                    result.row(&[
                        "登録済み",
                        &v.version.to_string(),
                        "",
                        "",
                        "",
                        "このファイルから作成された版が現在の版です（新しい版は作成していません）",
                    ])?;
                    result.finish()?;
                    eprintln!(
                        "このファイルは登録済みです（{} 版 {}）。新しい版は作成していません。",
                        kind.label(),
                        v.version
                    );
                    return Ok(());
                }
                Sent::Done(outcome, _) => outcome,
            };
            match outcome {
                Outcome::Committed(v) => {
                    result.row(&["登録", &v.version.to_string(), "", "", "", &summary(&v)])?;
                    result.finish()?;
                    eprintln!(
                        "完了: {} 版 {}（基準日 {}）: {}、{:.1} 秒",
                        kind.label(),
                        v.version,
                        v.as_of,
                        summary(&v),
                        started.elapsed().as_secs_f64()
                    );
                    eprintln!("結果ファイル: {}", out.display());
                    Ok(())
                }
                Outcome::Refused(errors, total) => {
                    write_errors(&mut result, &errors, total)?;
                    result.finish()?;
                    Err(CliError(format!(
                        "誤りが {} 件あるため、副本は変更していません（前の版のままです）。結果ファイル {} の理由を確認し、修正したファイル全体を再送してください。",
                        group(total),
                        out.display()
                    )))
                }
            }
        }
        FuhonCommand::Diff {
            kind,
            file,
            out,
            encoding,
        } => {
            eprintln!(
                "{who}（保険者番号 {insurer}）の{}の副本を {} と照合します",
                kind.label(),
                file.display()
            );
            let (outcome, session) = match send(
                &client,
                insurer,
                kind,
                UploadMode::Check,
                &file,
                encoding,
                None,
                CHUNK_ROWS,
            )
            .await?
            {
                Sent::Done(outcome, session) => (outcome, session),
                Sent::Already(_) => unreachable!("a check is never a re-send"),
            };
            let version = match outcome {
                Outcome::Refused(errors, total) => {
                    let mut result = Csv::create(
                        &out,
                        &["結果", "版", "行番号", "項目", "理由コード", "内容"],
                    )?;
                    write_errors(&mut result, &errors, total)?;
                    result.finish()?;
                    return Err(CliError(format!(
                        "正本の抽出ファイルに誤りが {} 件あるため照合できません。{} の理由を確認してください。",
                        group(total),
                        out.display()
                    )));
                }
                Outcome::Committed(v) => (v.version > 0).then_some(v.version),
            };
            let mut drift = Csv::create(
                &out,
                &[
                    "差異",
                    "被保険者番号",
                    "キー",
                    "項目",
                    "副本の値",
                    "正本の値",
                    "正本の行番号",
                ],
            )?;
            let mut counts = [0u64; 3];
            let mut after = None;
            let mut compared_version = version;
            loop {
                let req = FuhonDriftRequest {
                    insurer_number: insurer.clone(),
                    session: session.clone(),
                    after: after.clone(),
                };
                let page = retry(|| client.drift(&req)).await?;
                compared_version = page.version.or(compared_version);
                for d in &page.rows {
                    let i = match d.drift {
                        DriftKind::MissingInFuhon => 0,
                        DriftKind::MissingInMaster => 1,
                        DriftKind::Different => 2,
                    };
                    counts[i] += 1;
                    let line = d.line.map(|l| l.to_string()).unwrap_or_default();
                    drift.row(&[
                        d.drift.label(),
                        &d.insured_number,
                        &d.key,
                        d.field.as_deref().unwrap_or(""),
                        d.fuhon.as_deref().unwrap_or(""),
                        d.master.as_deref().unwrap_or(""),
                        &line,
                    ])?;
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            drift.finish()?;
            let against =
                compared_version.map_or("副本なし".to_owned(), |v| format!("副本 版 {v}"));
            eprintln!(
                "完了: {against} と照合: 副本なし {} 件、正本なし {} 件、相違 {} 項目、{:.1} 秒",
                group(counts[0]),
                group(counts[1]),
                group(counts[2]),
                started.elapsed().as_secs_f64()
            );
            eprintln!("差異ファイル: {}", out.display());
            Ok(())
        }
    }
}

fn summary(v: &VersionInfo) -> String {
    format!(
        "追加 {} 件、変更 {} 件、削除 {} 件、変更なし {} 件（計 {} 件）",
        group(v.added),
        group(v.changed),
        group(v.deleted),
        group(v.unchanged),
        group(v.records)
    )
}

fn write_errors(out: &mut Csv, errors: &[RowError], total: u64) -> Result<(), CliError> {
    out.row(&[
        "不受理",
        "",
        "",
        "",
        "",
        "誤りのある行があるため、副本は変更していません",
    ])?;
    for e in errors {
        out.row(&[
            "誤り",
            "",
            &e.line.to_string(),
            &e.field,
            &e.code,
            &e.message,
        ])?;
    }
    if total > errors.len() as u64 {
        let more = format!(
            "ほか {} 件の誤りがあります",
            group(total - errors.len() as u64)
        );
        out.row(&["誤り", "", "", "", "", &more])?;
    }
    Ok(())
}

/// What a commit did.
pub enum Outcome {
    /// The new version (or, for a check, the version to compare with; 0 when none).
    Committed(VersionInfo),
    /// Nothing changed: the bad rows (possibly capped) and how many errors there were.
    Refused(Vec<RowError>, u64),
}

/// What sending a file did.
pub enum Sent {
    /// The current version came from this very file: nothing was sent.
    Already(VersionInfo),
    /// Sent and committed in the named session.
    Done(Outcome, String),
}

/// Sends `file` as one upload session and commits it. For a check, `Committed` carries the
/// version it will be compared with (version 0: there is none yet).
#[allow(clippy::too_many_arguments)]
pub async fn send(
    client: &FuhonClient,
    insurer: &InsurerNumber,
    kind: FuhonKind,
    mode: UploadMode,
    file: &Path,
    encoding: EncodingChoice,
    as_of: Option<String>,
    chunk_rows: usize,
) -> Result<Sent, CliError> {
    let mut meter: Option<Meter> = None;
    send_with_progress(
        client,
        insurer,
        kind,
        mode,
        file,
        encoding,
        as_of,
        chunk_rows,
        |done, total, errors| {
            let meter = meter.get_or_insert_with(|| Meter::new(total));
            meter.show(done, errors);
            if done >= total {
                meter.done();
                eprintln!(
                    "{}中…",
                    if mode == UploadMode::Check {
                        "照合の準備"
                    } else {
                        "副本に反映"
                    }
                );
            }
        },
    )
    .await
}

/// [`send`], reporting (rows sent, rows in the file, errors so far) after each chunk to
/// `progress` (the web terminal shows them) instead of on stderr.
#[allow(clippy::too_many_arguments)]
pub async fn send_with_progress(
    client: &FuhonClient,
    insurer: &InsurerNumber,
    kind: FuhonKind,
    mode: UploadMode,
    file: &Path,
    encoding: EncodingChoice,
    as_of: Option<String>,
    chunk_rows: usize,
    mut progress: impl FnMut(u64, u64, u64),
) -> Result<Sent, CliError> {
    let chunk_rows = chunk_rows.clamp(1, CHUNK_ROWS);
    let io = |e: std::io::Error| CliError(format!("{}: ファイルを読めません: {e}", file.display()));
    let encoding = resolve(file, encoding).map_err(io)?;
    let identity = format!("fuhon/{}/{}/{}", insurer, kind.code(), mode.code());
    let (digest, rows_total) = digest_and_count(file, 0, &identity).map_err(io)?;
    let (header, mut rows) = Rows::open(file, encoding).map_err(io)?;
    if header.is_empty() {
        return Err(CliError("ファイルが空です（見出し行がありません）".into()));
    }
    let start = StartFuhonRequest {
        insurer_number: insurer.clone(),
        kind,
        mode,
        digest,
        file_name: file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        header,
        as_of,
    };
    let started = retry(|| client.start(&start)).await?;
    if let Some(v) = started.already {
        return Ok(Sent::Already(v));
    }
    let session = started.session;
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
    let mut errors: Vec<RowError> = Vec::new();
    let (mut sent_chunks, mut sent_rows) = (0u32, 0u64);
    let mut replies = stream::iter(chunks.enumerate())
        .map(|(seq, chunk)| {
            let session = session.clone();
            async move {
                let rows = chunk.map_err(io)?;
                let n = rows.len() as u64;
                let req = FuhonChunkRequest {
                    insurer_number: insurer.clone(),
                    session,
                    seq: seq as u32,
                    rows,
                };
                Ok::<_, CliError>((n, retry(|| client.chunk(&req)).await?))
            }
        })
        .buffered(3);
    while let Some((n, reply)) = replies.try_next().await? {
        sent_chunks += 1;
        sent_rows += n;
        errors.extend(reply.errors);
        progress(sent_rows, rows_total, errors.len() as u64);
    }
    drop(replies);
    let commit = CommitFuhonRequest {
        insurer_number: insurer.clone(),
        session: session.clone(),
        chunks: sent_chunks,
        rows: sent_rows,
    };
    let outcome = match retry(|| client.commit(&commit)).await? {
        CommitFuhonResponse::Committed { version } => Outcome::Committed(version),
        CommitFuhonResponse::Checked { version } => {
            Outcome::Committed(version.unwrap_or(VersionInfo {
                kind,
                version: 0,
                mode,
                as_of: String::new(),
                committed_at: String::new(),
                digest: String::new(),
                records: 0,
                added: 0,
                changed: 0,
                deleted: 0,
                unchanged: 0,
            }))
        }
        CommitFuhonResponse::Refused {
            errors: found,
            total_errors,
        } => {
            // The commit lists every error (the chunks' included); keep the chunks' list if the
            // commit's was capped shorter.
            let list = if found.len() >= errors.len() {
                found
            } else {
                errors
            };
            Outcome::Refused(list, total_errors)
        }
    };
    Ok(Sent::Done(outcome, session))
}

/// Retries while the failure is retryable (peer down or overloaded), for up to a minute.
async fn retry<T, F, Fut>(mut call: F) -> Result<T, CliError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CallError>>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut backoff = Duration::from_millis(100);
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_retryable() && Instant::now() + backoff < deadline => {
                tracing::debug!(error = %e, "retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(3));
            }
            Err(CallError::Api(api)) => return Err(CliError(format!("中間サーバが受け付けませんでした: {}", api.message))),
            Err(e) => return Err(CliError(format!("中間サーバに接続できません（{e}）。副本は前の版のままです。同じファイルを再送してください"))),
        }
    }
}

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError(e.to_string())
}

/// An Excel-friendly CSV (UTF-8 with BOM, CRLF) written beside the target as `*.part` and
/// renamed when complete.
struct Csv {
    writer: csv::Writer<std::io::BufWriter<std::fs::File>>,
    partial: PathBuf,
    target: PathBuf,
}

impl Csv {
    fn create(target: &Path, header: &[&str]) -> Result<Csv, CliError> {
        let io = |e: std::io::Error| CliError(format!("{}: 書き込めません: {e}", target.display()));
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(".part");
        let partial = target.with_file_name(name);
        let mut file = std::io::BufWriter::new(std::fs::File::create(&partial).map_err(io)?);
        file.write_all(b"\xEF\xBB\xBF").map_err(io)?;
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(file);
        writer.write_record(header).map_err(fail)?;
        Ok(Csv {
            writer,
            partial,
            target: target.to_owned(),
        })
    }

    fn row(&mut self, fields: &[&str]) -> Result<(), CliError> {
        self.writer.write_record(fields).map_err(fail)
    }

    fn finish(self) -> Result<(), CliError> {
        let mut file = self
            .writer
            .into_inner()
            .map_err(|e| CliError(e.to_string()))?;
        file.flush().map_err(fail)?;
        drop(file);
        std::fs::rename(&self.partial, &self.target).map_err(fail)
    }
}

/// Progress on stderr: one self-overwriting line on a terminal, a line per 10% otherwise.
struct Meter {
    total: u64,
    started: Instant,
    tty: bool,
    last_decile: u64,
}

impl Meter {
    fn new(total: u64) -> Meter {
        Meter {
            total,
            started: Instant::now(),
            tty: std::io::stderr().is_terminal(),
            last_decile: 0,
        }
    }

    fn show(&mut self, done: u64, errors: u64) {
        let percent = (done * 100).checked_div(self.total).unwrap_or(100);
        let rate = done as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        let line = format!(
            "送信中 {} / {} 行 ({percent}%)  誤り {}  {} 行/秒",
            group(done),
            group(self.total),
            group(errors),
            group(rate as u64)
        );
        if self.tty {
            eprint!("\r{line}   ");
            let _ = std::io::stderr().flush();
        } else if percent / 10 > self.last_decile || done == self.total {
            self.last_decile = percent / 10;
            eprintln!("{line}");
        }
    }

    fn done(&self) {
        if self.tty {
            eprintln!();
        }
    }
}
