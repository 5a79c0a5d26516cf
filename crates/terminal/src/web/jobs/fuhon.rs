//! A 副本 file as a job: uploaded to the intermediate server as `renkei terminal … fuhon` sends
//! it ([`crate::fuhon`]), or checked against the current 副本 with the drift paged into its
//! drift file; how it ended (the version made, or every bad row named) is the job's outcome.
//! The intermediate server knows a file it already committed by its digest, so a file cut off
//! by a stop is sent again at the next start, as long as it is still on disk.

use std::path::Path;
use std::sync::Arc;

use renkei_core::InsurerNumber;
use renkei_store::StoreError;
use renkei_wire::msg::fuhon::{
    DriftKind, FuhonDriftRequest, FuhonKind, RowError, UploadMode, VersionInfo,
};
use renkei_wire::peer::FuhonClient;
use serde::{Deserialize, Serialize};

use super::{file, log, Finish, MakeWork, Progress, Recovery, Reporter};
use crate::fuhon::{self, Outcome, Sent, CHUNK_ROWS};
use crate::input::EncodingChoice;
use crate::web::render::group;
use crate::web::store::{Job, JobKind, JobStatus};
use crate::web::WebState;

/// Bad rows kept for the result page (all of them are counted).
const ERRORS_SHOWN: usize = 1000;

/// What a 副本 job was asked to do, besides its file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Params {
    pub insurer_number: String,
    pub kind: FuhonKind,
    /// `full`, `delta` or `check`.
    pub mode: String,
    pub as_of: Option<String>,
}

/// How a 副本 job ended.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FuhonOutcome {
    /// Bad rows: nothing changed (不受理).
    pub refused: bool,
    pub errors_total: u64,
    pub errors: Vec<RowError>,
    /// The version made (upload), or compared with (check).
    pub version: Option<VersionInfo>,
    /// The file was the one the current version came from: nothing was sent.
    pub already: bool,
    /// Drift counts: 副本なし, 正本なし, 相違.
    pub drift: [u64; 3],
}

/// A tenant's 副本 job directory, relative to the data directory.
pub fn dir(tenant: &str, id: &str) -> String {
    format!("fuhon/{tenant}/{id}")
}

/// Starts a new 副本 job whose file is already at `dir/file_name`.
pub async fn start(
    state: &Arc<WebState>,
    mut job: Job,
    params: &Params,
    client: FuhonClient,
) -> Result<(), StoreError> {
    let dir = dir(&job.tenant, &job.id);
    job.kind = JobKind::Fuhon;
    job.params = serde_json::to_string(params).expect("params serialize");
    job.input = format!("{dir}/{}", job.file_name);
    if params.mode == UploadMode::Check.code() {
        job.result = format!("{dir}/drift.csv");
    }
    let work = work(state, &job, client);
    super::start(state, job, work).await
}

fn work(state: &Arc<WebState>, job: &Job, client: FuhonClient) -> MakeWork {
    let (state, job) = (state.clone(), job.clone());
    Box::new(move |reporter| Box::pin(async move { run(&state, &job, client, &reporter).await }))
}

/// Sends the file, then (a check) pages the drift into the drift file; logs the outcome.
async fn run(state: &WebState, job: &Job, client: FuhonClient, reporter: &Reporter) -> Finish {
    let params: Params = match serde_json::from_str(&job.params) {
        Ok(p) => p,
        Err(e) => return Finish::Failed(format!("副本の処理記録を読めません（{e}）")),
    };
    let (Ok(number), Some(mode)) = (
        InsurerNumber::parse(&params.insurer_number),
        UploadMode::parse(&params.mode),
    ) else {
        return Finish::Failed("副本の処理記録を読めません。".into());
    };
    let input = file(state, &job.input);
    let sent = fuhon::send_with_progress(
        &client,
        &number,
        params.kind,
        mode,
        &input,
        EncodingChoice::Auto,
        params.as_of.clone(),
        CHUNK_ROWS,
        |done, total, errors| {
            reporter.set(Progress {
                done: done as i64,
                total: total as i64,
                counts: [errors as i64, 0, 0],
            })
        },
    )
    .await;
    let mut outcome = FuhonOutcome::default();
    let result = match sent {
        Ok(Sent::Already(v)) => {
            outcome.already = true;
            outcome.version = Some(v);
            Ok(())
        }
        Ok(Sent::Done(Outcome::Refused(errors, total), _)) => {
            outcome.refused = true;
            outcome.errors_total = total;
            outcome.errors = errors.into_iter().take(ERRORS_SHOWN).collect();
            reporter.update(|p| p.counts[0] = total as i64);
            Ok(())
        }
        Ok(Sent::Done(Outcome::Committed(v), session)) => {
            reporter.update(|p| p.done = p.total);
            if mode == UploadMode::Check {
                outcome.version = (v.version > 0).then_some(v);
                let drift_file = file(state, &job.result);
                drift(&client, &number, &session, &mut outcome, &drift_file).await
            } else {
                outcome.version = Some(v);
                Ok(())
            }
        }
        Err(e) => Err(e.0),
    };
    let what = if mode == UploadMode::Check {
        "副本照合"
    } else {
        "副本登録"
    };
    match result {
        Err(message) => {
            let message = message.replace(&input.display().to_string(), &job.file_name);
            log(
                state,
                job,
                &format!("{what} 失敗"),
                format!("{}: {message}", job.file_name),
            )
            .await;
            Finish::Failed(message)
        }
        Ok(()) => {
            let detail = if outcome.refused {
                format!(
                    "{}: 誤り {} 件",
                    job.file_name,
                    group(outcome.errors_total as i64)
                )
            } else if mode == UploadMode::Check {
                format!(
                    "{}: 副本なし {}、正本なし {}、相違 {}",
                    job.file_name,
                    group(outcome.drift[0] as i64),
                    group(outcome.drift[1] as i64),
                    group(outcome.drift[2] as i64)
                )
            } else {
                format!(
                    "{}: {} 版 {}",
                    job.file_name,
                    params.kind.label(),
                    outcome.version.as_ref().map_or(0, |v| v.version)
                )
            };
            let action = if outcome.refused {
                format!("{what} 不受理")
            } else {
                format!("{what} 完了")
            };
            log(state, job, &action, detail).await;
            Finish::Done {
                outcome: serde_json::to_string(&outcome).expect("outcome serializes"),
            }
        }
    }
}

/// Pages the drift of a check session into `path` (with BOM, for Excel).
async fn drift(
    client: &FuhonClient,
    number: &InsurerNumber,
    session: &str,
    outcome: &mut FuhonOutcome,
    path: &Path,
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("差異ファイルを書けません（{e}）");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(io)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let csv_err = |e: csv::Error| format!("差異ファイルを書けません（{e}）");
    w.write_record([
        "\u{feff}差異",
        "被保険者番号",
        "キー",
        "項目",
        "副本の値",
        "正本の値",
        "正本の行番号",
    ])
    .map_err(csv_err)?;
    let mut after = None;
    loop {
        let req = FuhonDriftRequest {
            insurer_number: number.clone(),
            session: session.to_owned(),
            after: after.clone(),
        };
        let page = client.drift(&req).await.map_err(|e| {
            format!("差異を取得できません（{e}）。同じファイルで照合し直してください。")
        })?;
        for d in &page.rows {
            outcome.drift[match d.drift {
                DriftKind::MissingInFuhon => 0,
                DriftKind::MissingInMaster => 1,
                DriftKind::Different => 2,
            }] += 1;
            let line = d.line.map(|l| l.to_string()).unwrap_or_default();
            w.write_record([
                d.drift.label(),
                &d.insured_number,
                &d.key,
                d.field.as_deref().unwrap_or(""),
                d.fuhon.as_deref().unwrap_or(""),
                d.master.as_deref().unwrap_or(""),
                &line,
            ])
            .map_err(csv_err)?;
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    w.flush().map_err(io)?;
    Ok(())
}

/// A 副本 file cut off by a stop is sent (or checked) again if it is still on disk and the
/// terminal still serves its insurer; otherwise the job fails, saying why.
pub async fn recover(state: &Arc<WebState>, job: &Job) -> Result<Recovery, StoreError> {
    if !file(state, &job.input).is_file() {
        return Ok(Recovery::Fail(
            "副本ファイルが端末に残っていないため再開できません。同じファイルを再送してください（副本は前の版のままです）。".into(),
        ));
    }
    let Some(tenant) = state.tenants.get(&job.tenant) else {
        return Ok(Recovery::Fail(
            "この端末にはこの保険者の証明書が設定されていないため再開できません。".into(),
        ));
    };
    log(
        state,
        job,
        "副本 再開",
        format!("{}（統合専用端末の再起動後、最初から）", job.file_name),
    )
    .await;
    let client = FuhonClient::new(tenant.wire.clone());
    Ok(Recovery::Resume(work(state, job, client)))
}

/// The status a 副本 page shows: `running`, `done`, `refused` or `failed`.
pub fn status(job: &Job, outcome: &FuhonOutcome) -> &'static str {
    match job.status {
        JobStatus::Running => "running",
        JobStatus::Done if outcome.refused => "refused",
        JobStatus::Done => "done",
        JobStatus::Failed | JobStatus::Interrupted => "failed",
    }
}
