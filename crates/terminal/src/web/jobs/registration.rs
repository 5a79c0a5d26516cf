//! 加入者情報 registration as a job: an upload's file registered through the intermediate
//! server, its `uploads` row and the office log told how it ended. A stop leaves it 中断, and
//! 「続きから再送する」 sends it again: the intermediate server answers the chunks it already
//! applied from what it stored, so nothing is registered twice.

use std::sync::Arc;
use std::time::Duration;

use renkei_core::InsurerNumber;
use renkei_store::StoreError;
use serde::{Deserialize, Serialize};

use super::{file, log, Finish, MakeWork, Progress, Recovery, Reporter};
use crate::register::{register_file, RegisterError, RegisterOptions};
use crate::web::auth::now;
use crate::web::store::{Job, JobKind, JobStatus, Upload, UploadProgress, UploadStatus};
use crate::web::WebState;

#[derive(Serialize, Deserialize)]
struct Params {
    insurer_number: String,
}

/// An upload's directory, relative to the data directory.
pub fn dir(id: &str) -> String {
    format!("uploads/{id}")
}

fn job_of(upload: &Upload) -> Job {
    let params = Params {
        insurer_number: upload.insurer_number.clone(),
    };
    Job {
        id: upload.id.clone(),
        tenant: upload.tenant.clone(),
        kind: JobKind::Registration,
        login_id: upload.login_id.clone(),
        file_name: upload.file_name.clone(),
        params: serde_json::to_string(&params).expect("params serialize"),
        input: format!("{}/input.csv", dir(&upload.id)),
        result: format!("{}/result.csv", dir(&upload.id)),
        status: JobStatus::Running,
        done: 0,
        total: upload.rows_total,
        counts: "[0,0,0]".into(),
        outcome: String::new(),
        reason: String::new(),
        created_at: upload.created_at,
        finished_at: None,
    }
}

/// Starts registering a new upload (its row is stored, its file at its input path).
pub async fn start(state: &Arc<WebState>, upload: &Upload) -> Result<(), StoreError> {
    let job = job_of(upload);
    let work = work(state, &job);
    super::start(state, job, work).await
}

/// Sends an interrupted upload again (an upload from before the job table gets its job now).
pub async fn resend(state: &Arc<WebState>, upload: &Upload) -> Result<(), StoreError> {
    match state.store.job(&upload.tenant, &upload.id).await? {
        Some(job) => {
            let work = work(state, &job);
            super::restart(state, job, work).await
        }
        None => start(state, upload).await,
    }
}

fn work(state: &Arc<WebState>, job: &Job) -> MakeWork {
    let (state, job) = (state.clone(), job.clone());
    Box::new(move |reporter| Box::pin(async move { run(&state, &job, &reporter).await }))
}

async fn run(state: &WebState, job: &Job, reporter: &Reporter) -> Finish {
    let Some(tenant) = state.tenants.get(&job.tenant) else {
        return Finish::Failed("この端末にはこの保険者の証明書が設定されていません。".into());
    };
    let number = serde_json::from_str::<Params>(&job.params)
        .ok()
        .and_then(|p| InsurerNumber::parse(&p.insurer_number).ok());
    let Some(number) = number else {
        return Finish::Failed(
            "登録の記録を読めません。ファイルをもう一度登録してください。".into(),
        );
    };
    let options = RegisterOptions {
        retry_for: Duration::from_secs(state.config.retry_for_secs),
        ..RegisterOptions::default()
    };
    let outcome = register_file(
        &tenant.client,
        &number,
        &file(state, &job.input),
        &file(state, &job.result),
        &options,
        |p| {
            reporter.set(Progress {
                done: p.rows_done as i64,
                total: p.rows_total as i64,
                counts: [p.registered as i64, p.held as i64, 0],
            })
        },
    )
    .await;
    let last = reporter.get();
    let (status, error, finish) = match outcome {
        Ok(_) => {
            log(
                state,
                job,
                "加入者情報登録 完了",
                format!(
                    "{}（{} 行: 登録 {} 件、保留 {} 件）",
                    job.file_name, last.done, last.counts[0], last.counts[1]
                ),
            )
            .await;
            (
                UploadStatus::Done,
                String::new(),
                Finish::Done {
                    outcome: String::new(),
                },
            )
        }
        Err(e) => {
            let message = e.to_string();
            log(
                state,
                job,
                "加入者情報登録 失敗",
                format!("{}: {message}", job.file_name),
            )
            .await;
            // A system out of reach leaves the upload to be continued; anything else (a file
            // the intermediate server refuses, a file that cannot be read) needs a new file.
            match e {
                RegisterError::Unavailable(_) => (
                    UploadStatus::Interrupted,
                    message.clone(),
                    Finish::Interrupted(message),
                ),
                _ => (
                    UploadStatus::Failed,
                    message.clone(),
                    Finish::Failed(message),
                ),
            }
        }
    };
    let progress = UploadProgress {
        status,
        rows_total: last.total,
        rows_done: last.done,
        registered: last.counts[0],
        held: last.counts[1],
        error,
        finished_at: Some(now()),
    };
    if let Err(e) = state.store.update_upload(&job.id, &progress).await {
        tracing::error!(error = %e, "could not record the end of an upload");
    }
    finish
}

/// A registration cut off by a stop waits for 「続きから再送する」 (its `uploads` row is marked
/// 中断 at start-up), unless its file is gone.
pub async fn recover(state: &Arc<WebState>, job: &Job) -> Result<Recovery, StoreError> {
    if file(state, &job.input).is_file() {
        return Ok(Recovery::Interrupt(
            "統合専用端末が停止したため中断しました。「続きから再送する」で続きから送れます（登録済みの行が二重に登録されることはありません）。".into(),
        ));
    }
    let reason = "登録するファイルが端末に残っていないため再開できません。ファイルをもう一度登録してください。".to_owned();
    let Some(upload) = state.store.upload(&job.tenant, &job.id).await? else {
        return Ok(Recovery::Fail(reason));
    };
    let failed = UploadProgress {
        status: UploadStatus::Failed,
        rows_total: upload.rows_total,
        rows_done: upload.rows_done,
        registered: upload.registered,
        held: upload.held,
        error: reason.clone(),
        finished_at: Some(now()),
    };
    state.store.update_upload(&job.id, &failed).await?;
    Ok(Recovery::Fail(reason))
}
