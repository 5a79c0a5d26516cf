//! 副本 in the browser (登録担当): upload a 副本 file of one kind (全件 or 差分) and watch it
//! reach 100 %, read the result (the new version, or every bad row named — and then nothing
//! changed), list the versions `intermediate` keeps, and check a 正本 extract against the
//! current 副本, downloading the drift file.
//!
//! Uploads and checks run as background jobs ([`crate::web::jobs::fuhon`]); the job's row in
//! the store keeps its progress and outcome. The file and the drift file stay in the data
//! directory under the tenant (`fuhon/<tenant>/<id>/`), readable by the owner only.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::handler::Handler;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use renkei_core::InsurerNumber;
use renkei_wire::msg::fuhon::{FuhonKind, FuhonVersionsRequest, RowError, UploadMode, VersionInfo};
use renkei_wire::peer::FuhonClient;
use serde::Serialize;

use super::registration::files::{attachment, file_stream, save};
use super::{record, render};
use crate::web::auth::{new_token, now, Registrar, Staff};
use crate::web::error::WebError;
use crate::web::jobs::fuhon::{FuhonOutcome, Params};
use crate::web::jobs::{self, Progress};
use crate::web::render::datetime;
use crate::web::store::{Job, JobKind, JobStatus, PageQuery};
use crate::web::WebState;

pub fn router() -> Router<Arc<WebState>> {
    Router::new()
        .route("/fuhon", get(page))
        .route(
            "/fuhon/jobs",
            post(upload.layer(DefaultBodyLimit::max(crate::web::UPLOAD_LIMIT))),
        )
        .route("/fuhon/jobs/{id}", get(show))
        .route("/fuhon/jobs/{id}/progress", get(progress))
        .route("/fuhon/jobs/{id}/drift.csv", get(download))
}

/// An upload or a drift check as its pages show it: its job, what it was asked, how it ended
/// (or its live progress while it runs).
#[derive(Debug, Clone)]
pub struct FuhonJob {
    job: Job,
    params: Params,
    outcome: FuhonOutcome,
    progress: Progress,
}

impl FuhonJob {
    fn of(state: &WebState, job: Job) -> Result<FuhonJob, WebError> {
        let params: Params = serde_json::from_str(&job.params)
            .map_err(|e| WebError::Internal(format!("副本の処理記録を読めません（{e}）")))?;
        let outcome = if job.outcome.is_empty() {
            FuhonOutcome::default()
        } else {
            serde_json::from_str(&job.outcome)
                .map_err(|e| WebError::Internal(format!("副本の処理記録を読めません（{e}）")))?
        };
        let progress = match job.status {
            JobStatus::Running => state.jobs.progress(&job.id),
            _ => None,
        }
        .unwrap_or_else(|| Progress::of(&job));
        Ok(FuhonJob {
            job,
            params,
            outcome,
            progress,
        })
    }
}

fn is_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The tenant's job `id` (running or finished), or 404 — also for another tenant's.
async fn own(state: &WebState, staff: &Staff, id: &str) -> Result<FuhonJob, WebError> {
    if !is_id(id) {
        return Err(WebError::NotFound);
    }
    match state.store.job(staff.tenant(), id).await? {
        Some(job) if job.kind == JobKind::Fuhon => FuhonJob::of(state, job),
        _ => Err(WebError::NotFound),
    }
}

fn insurer_numbers(state: &WebState, staff: &Staff) -> Vec<String> {
    state
        .tenants
        .get(staff.tenant())
        .map(|t| t.profile.insurer_numbers.clone())
        .unwrap_or_default()
}

fn client(state: &WebState, staff: &Staff) -> Result<FuhonClient, WebError> {
    let tenant = state.tenants.get(staff.tenant()).ok_or_else(|| {
        WebError::Forbidden("この端末にはこの保険者の証明書が設定されていません。".into())
    })?;
    Ok(FuhonClient::new(tenant.wire.clone()))
}

#[derive(Serialize)]
struct KindView {
    code: &'static str,
    label: &'static str,
    versions: Vec<VersionView>,
    error: String,
}

#[derive(Serialize)]
struct VersionView {
    version: u64,
    mode: &'static str,
    as_of: String,
    committed_at: String,
    records: u64,
    added: u64,
    changed: u64,
    deleted: u64,
    unchanged: u64,
}

fn mode_label(mode: &str) -> &'static str {
    match mode {
        "full" => "全件",
        "delta" => "差分",
        _ => "照合",
    }
}

fn version_view(v: &VersionInfo) -> VersionView {
    VersionView {
        version: v.version,
        mode: mode_label(v.mode.code()),
        as_of: v.as_of.clone(),
        committed_at: v.committed_at.clone(),
        records: v.records,
        added: v.added,
        changed: v.changed,
        deleted: v.deleted,
        unchanged: v.unchanged,
    }
}

#[derive(Serialize)]
struct JobView {
    id: String,
    kind: &'static str,
    mode: &'static str,
    is_check: bool,
    file_name: String,
    insurer_number: String,
    login_id: String,
    status: String,
    status_label: &'static str,
    rows_total: u64,
    rows_done: u64,
    percent: u64,
    errors_total: u64,
    errors: Vec<RowError>,
    version: Option<VersionView>,
    already: bool,
    drift: [u64; 3],
    message: String,
    created_at: String,
    finished_at: Option<String>,
}

fn job_view(f: &FuhonJob) -> JobView {
    let (j, o, p) = (&f.job, &f.outcome, &f.progress);
    let status = jobs::fuhon::status(j, o);
    let finished = status != "running";
    let (rows_total, rows_done) = (p.total.max(0) as u64, p.done.max(0) as u64);
    JobView {
        id: j.id.clone(),
        kind: f.params.kind.label(),
        mode: mode_label(&f.params.mode),
        is_check: f.params.mode == "check",
        file_name: j.file_name.clone(),
        insurer_number: f.params.insurer_number.clone(),
        login_id: j.login_id.clone(),
        status: status.to_owned(),
        status_label: match status {
            "running" => "処理中",
            "done" => "完了",
            "refused" => "不受理",
            _ => "失敗",
        },
        rows_total,
        rows_done,
        percent: if status == "done" || (finished && rows_total > 0) {
            100
        } else {
            (rows_done * 100)
                .checked_div(rows_total)
                .unwrap_or(0)
                .min(99)
        },
        errors_total: o.errors_total.max(p.counts[0].max(0) as u64),
        errors: o.errors.clone(),
        version: o.version.as_ref().map(version_view),
        already: o.already,
        drift: o.drift,
        message: j.reason.clone(),
        created_at: datetime(j.created_at),
        finished_at: j.finished_at.map(datetime),
    }
}

/// The tenant's jobs, newest first (at most 50).
async fn jobs(state: &WebState, staff: &Staff) -> Result<Vec<JobView>, WebError> {
    let newest = PageQuery {
        sort: "created_at",
        desc: true,
        offset: 0,
        limit: 50,
    };
    let (rows, _) = state.store.fuhon_jobs(staff.tenant(), newest).await?;
    rows.into_iter()
        .map(|job| FuhonJob::of(state, job).map(|f| job_view(&f)))
        .collect()
}

async fn page(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
) -> Result<Html<String>, WebError> {
    show_page(&state, &staff, None).await
}

async fn show_page(
    state: &WebState,
    staff: &Staff,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let numbers = insurer_numbers(state, staff);
    let client = client(state, staff)?;
    let mut kinds = Vec::new();
    for kind in FuhonKind::ALL {
        let mut view = KindView {
            code: kind.code(),
            label: kind.label(),
            versions: Vec::new(),
            error: String::new(),
        };
        if let Some(number) = numbers.first().and_then(|n| InsurerNumber::parse(n).ok()) {
            let req = FuhonVersionsRequest {
                insurer_number: number,
                kind,
            };
            match client.versions(&req).await {
                Ok(r) => view.versions = r.versions.iter().map(version_view).collect(),
                Err(e) => view.error = format!("版の一覧を取得できません（{e}）"),
            }
        }
        kinds.push(view);
    }
    render(
        state,
        staff,
        "fuhon.html",
        minijinja::context! { kinds, error, insurer_numbers => numbers, jobs => jobs(state, staff).await? },
    )
}

async fn show(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let job = own(&state, &staff, &id).await?;
    render(
        &state,
        &staff,
        "fuhon_job.html",
        minijinja::context! { job => job_view(&job) },
    )
}

async fn progress(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    Path(id): Path<String>,
) -> Result<Json<JobView>, WebError> {
    Ok(Json(job_view(&own(&state, &staff, &id).await?)))
}

async fn download(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let job = own(&state, &staff, &id).await?;
    if job.params.mode != "check" || jobs::fuhon::status(&job.job, &job.outcome) != "done" {
        return Err(WebError::BadRequest(
            "差異ファイルは照合が完了してから取得できます。".into(),
        ));
    }
    let job = job.job;
    let file = tokio::fs::File::open(jobs::file(&state, &job.result))
        .await
        .map_err(|_| WebError::NotFound)?;
    let stem = job.file_name.strip_suffix(".csv").unwrap_or(&job.file_name);
    record(&state, &staff, "差異ファイル取得", job.file_name.clone()).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, attachment(&format!("差異_{stem}.csv"))),
        ],
        Body::from_stream(file_stream(file)),
    )
        .into_response())
}

mod upload;
use upload::upload;
