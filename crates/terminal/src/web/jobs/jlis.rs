//! A J-LIS query file (一括照会) as a job: every row looked up through the intermediate server
//! into the answer file, its `jlis_batches` row and the office log told how it ended. Look-ups
//! only read, so a file cut off by a stop is answered again from its first row at the next
//! start, as long as it is still on disk.

use std::sync::Arc;

use renkei_core::InsurerNumber;
use renkei_store::StoreError;
use serde::{Deserialize, Serialize};

use super::{file, log, Finish, MakeWork, Progress, Recovery, Reporter};
use crate::input::EncodingChoice;
use crate::jlis::{self, JlisClient};
use crate::web::auth::now;
use crate::web::render::group;
use crate::web::store::{JlisBatch, Job, JobKind, JobStatus};
use crate::web::WebState;

#[derive(Serialize, Deserialize)]
struct Params {
    insurer_number: String,
    purpose: String,
}

/// A query file's directory, relative to the data directory.
pub fn dir(id: &str) -> String {
    format!("jlis/{id}")
}

/// Starts answering a new query file (its batch is stored, its file at its input path).
pub async fn start(
    state: &Arc<WebState>,
    batch: &JlisBatch,
    client: JlisClient,
) -> Result<(), StoreError> {
    let params = Params {
        insurer_number: batch.insurer_number.clone(),
        purpose: batch.purpose.clone(),
    };
    let job = Job {
        id: batch.id.clone(),
        tenant: batch.tenant.clone(),
        kind: JobKind::JlisBatch,
        login_id: batch.login_id.clone(),
        file_name: batch.file_name.clone(),
        params: serde_json::to_string(&params).expect("params serialize"),
        input: format!("{}/query.csv", dir(&batch.id)),
        result: format!("{}/answer.csv", dir(&batch.id)),
        status: JobStatus::Running,
        done: 0,
        total: 0,
        counts: "[0,0,0]".into(),
        outcome: String::new(),
        reason: String::new(),
        created_at: batch.created_at,
        finished_at: None,
    };
    let work = work(state, &job, client);
    super::start(state, job, work).await
}

/// The client of the job's tenant for its insurer number, if the terminal still serves both.
fn client(state: &WebState, job: &Job) -> Result<JlisClient, StoreError> {
    let params: Params = serde_json::from_str(&job.params)
        .map_err(|e| StoreError::Corrupt(format!("J-LIS job {}: {e}", job.id)))?;
    let number = InsurerNumber::parse(&params.insurer_number)
        .map_err(|e| StoreError::Corrupt(format!("J-LIS job {}: {e}", job.id)))?;
    let tenant = state
        .tenants
        .get(&job.tenant)
        .ok_or_else(|| StoreError::Corrupt(format!("J-LIS job {}: no tenant", job.id)))?;
    Ok(JlisClient::from_client(tenant.client.clone(), &number))
}

fn work(state: &Arc<WebState>, job: &Job, client: JlisClient) -> MakeWork {
    let (state, job) = (state.clone(), job.clone());
    Box::new(move |reporter| Box::pin(async move { run(&state, &job, client, &reporter).await }))
}

async fn run(state: &WebState, job: &Job, client: JlisClient, reporter: &Reporter) -> Finish {
    let purpose = serde_json::from_str::<Params>(&job.params)
        .map(|p| p.purpose)
        .unwrap_or_default();
    let (input, output) = (file(state, &job.input), file(state, &job.result));
    let outcome = jlis::batch_with_progress(
        &client,
        &input,
        &output,
        &purpose,
        3,
        EncodingChoice::Auto,
        |s, total| {
            reporter.set(Progress {
                done: s.rows as i64,
                total: total as i64,
                counts: [s.found as i64, s.not_found as i64, s.errors as i64],
            })
        },
    )
    .await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&output, std::fs::Permissions::from_mode(0o600));
    }
    let mut batch = match state.store.jlis_batch(&job.tenant, &job.id).await {
        Ok(Some(b)) => b,
        Ok(None) => return Finish::Failed("照会の記録がありません。".into()),
        Err(e) => return Finish::Failed(e.to_string()),
    };
    batch.finished_at = Some(now());
    let (action, detail, finish) = match outcome {
        Ok(s) => {
            batch.status = "done".into();
            (batch.rows_total, batch.rows_done) = (s.rows as i64, s.rows as i64);
            (batch.found, batch.not_found, batch.errors) =
                (s.found as i64, s.not_found as i64, s.errors as i64);
            reporter.set(Progress {
                done: batch.rows_done,
                total: batch.rows_total,
                counts: [batch.found, batch.not_found, batch.errors],
            });
            (
                "J-LIS 一括照会 完了",
                format!(
                    "{}: {} 件（該当あり {}、該当なし {}、エラー {}）",
                    batch.file_name,
                    group(batch.rows_total),
                    group(batch.found),
                    group(batch.not_found),
                    group(batch.errors)
                ),
                Finish::Done {
                    outcome: String::new(),
                },
            )
        }
        Err(e) => {
            batch.status = "failed".into();
            // Name the file as the office knows it, not where the terminal keeps it.
            batch.error = e.0.replace(&input.display().to_string(), &batch.file_name);
            let p = reporter.get();
            (batch.rows_total, batch.rows_done) = (p.total, p.done);
            (
                "J-LIS 一括照会 失敗",
                format!("{}: {}", batch.file_name, batch.error),
                Finish::Failed(batch.error.clone()),
            )
        }
    };
    if let Err(e) = state.store.update_jlis_batch(&batch).await {
        tracing::error!(error = %e, "could not record the end of a J-LIS batch");
    }
    log(state, job, action, detail).await;
    finish
}

/// A query file cut off by a stop is answered again if it is still on disk and the terminal
/// still serves its insurer; otherwise its batch fails, saying why.
pub async fn recover(state: &Arc<WebState>, job: &Job) -> Result<Recovery, StoreError> {
    let Some(mut batch) = state.store.jlis_batch(&job.tenant, &job.id).await? else {
        return Ok(Recovery::Fail("照会の記録がありません。".into()));
    };
    let reason = if !file(state, &job.input).is_file() {
        Some("照会ファイルが端末に残っていないため再開できません。同じ照会ファイルをもう一度送ってください。")
    } else if !state.tenants.contains_key(&job.tenant) {
        Some("この端末にはこの保険者の証明書が設定されていないため再開できません。")
    } else {
        None
    };
    let client = match (reason, client(state, job)) {
        (None, Ok(client)) => client,
        (reason, _) => {
            let reason = reason
                .unwrap_or("照会の記録を読めないため再開できません。同じ照会ファイルをもう一度送ってください。")
                .to_owned();
            (batch.status, batch.error, batch.finished_at) =
                ("failed".into(), reason.clone(), Some(now()));
            state.store.update_jlis_batch(&batch).await?;
            return Ok(Recovery::Fail(reason));
        }
    };
    (batch.status, batch.error, batch.finished_at) = ("running".into(), String::new(), None);
    (batch.rows_done, batch.found, batch.not_found, batch.errors) = (0, 0, 0, 0);
    state.store.update_jlis_batch(&batch).await?;
    log(
        state,
        job,
        "J-LIS 一括照会 再開",
        format!("{}（統合専用端末の再起動後、最初の行から）", job.file_name),
    )
    .await;
    Ok(Recovery::Resume(work(state, job, client)))
}
