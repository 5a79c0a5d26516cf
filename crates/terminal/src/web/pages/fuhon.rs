//! 副本 in the browser (登録担当): upload a 副本 file of one kind (全件 or 差分) and watch it
//! reach 100 %, read the result (the new version, or every bad row named — and then nothing
//! changed), list the versions `intermediate` keeps, and check a 正本 extract against the
//! current 副本, downloading the drift file.
//!
//! Uploads are sent as `renkei terminal … fuhon` sends them ([`crate::fuhon`]). The file, the
//! drift file and the job's outcome (`job.json`) stay in the data directory under the tenant
//! (`fuhon/<tenant>/<id>/`), readable by the owner only.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::handler::Handler;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use renkei_core::InsurerNumber;
use renkei_wire::msg::fuhon::{
    DriftKind, FuhonDriftRequest, FuhonKind, FuhonVersionsRequest, RowError, UploadMode,
    VersionInfo,
};
use renkei_wire::peer::FuhonClient;
use serde::{Deserialize, Serialize};

use super::registration::files::{attachment, file_stream, save};
use super::{record, render};
use crate::fuhon::{self, Outcome, Sent, CHUNK_ROWS};
use crate::input::EncodingChoice;
use crate::web::auth::{new_token, now, Registrar, Staff};
use crate::web::error::WebError;
use crate::web::render::{datetime, group};
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

/// Bad rows shown on a result page (all of them are counted).
const ERRORS_SHOWN: usize = 1000;

/// An upload or a drift check, as kept in `job.json` and shown.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FuhonJob {
    id: String,
    tenant: String,
    login_id: String,
    insurer_number: String,
    kind: FuhonKind,
    /// `full`, `delta` or `check`.
    mode: String,
    file_name: String,
    /// `running`, `done`, `refused` (bad rows: nothing changed) or `failed`.
    status: String,
    rows_total: u64,
    rows_done: u64,
    errors_total: u64,
    errors: Vec<RowError>,
    /// The version made (upload), or compared with (check).
    version: Option<VersionInfo>,
    /// The file was the one the current version came from: nothing was sent.
    already: bool,
    /// Drift counts: 副本なし, 正本なし, 相違.
    drift: [u64; 3],
    message: String,
    created_at: i64,
    finished_at: Option<i64>,
}

/// The jobs running now (finished ones are read from their `job.json`).
#[derive(Default)]
pub struct FuhonJobs(Mutex<HashMap<String, FuhonJob>>);

impl FuhonJobs {
    fn put(&self, job: &FuhonJob) {
        self.0
            .lock()
            .expect("jobs lock")
            .insert(job.id.clone(), job.clone());
    }

    fn update(&self, id: &str, f: impl FnOnce(&mut FuhonJob)) {
        if let Some(job) = self.0.lock().expect("jobs lock").get_mut(id) {
            f(job);
        }
    }

    fn get(&self, id: &str) -> Option<FuhonJob> {
        self.0.lock().expect("jobs lock").get(id).cloned()
    }

    fn remove(&self, id: &str) {
        self.0.lock().expect("jobs lock").remove(id);
    }
}

fn tenant_dir(state: &WebState, tenant: &str) -> PathBuf {
    state.config.data_dir.join("fuhon").join(tenant)
}

fn job_dir(state: &WebState, tenant: &str, id: &str) -> PathBuf {
    tenant_dir(state, tenant).join(id)
}

fn is_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn write_job(state: &WebState, job: &FuhonJob) -> std::io::Result<()> {
    let dir = job_dir(state, &job.tenant, &job.id);
    let tmp = dir.join("job.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec(job).expect("a job serializes"))?;
    std::fs::rename(tmp, dir.join("job.json"))
}

/// The tenant's job `id` (running or finished), or 404 — also for another tenant's.
fn own(state: &WebState, staff: &Staff, id: &str) -> Result<FuhonJob, WebError> {
    if !is_id(id) {
        return Err(WebError::NotFound);
    }
    if let Some(job) = state.fuhon.get(id) {
        return if job.tenant == staff.tenant() {
            Ok(job)
        } else {
            Err(WebError::NotFound)
        };
    }
    let path = job_dir(state, staff.tenant(), id).join("job.json");
    let bytes = std::fs::read(path).map_err(|_| WebError::NotFound)?;
    let mut job: FuhonJob = serde_json::from_slice(&bytes)
        .map_err(|e| WebError::Internal(format!("副本の処理記録を読めません（{e}）")))?;
    if job.status == "running" {
        // Its process stopped before it ended.
        job.status = "failed".into();
        job.message = "統合専用端末が停止したため中断しました。同じファイルを再送してください（副本は前の版のままです）。".into();
    }
    Ok(job)
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

fn job_view(j: &FuhonJob) -> JobView {
    let finished = j.status != "running";
    JobView {
        id: j.id.clone(),
        kind: j.kind.label(),
        mode: mode_label(&j.mode),
        is_check: j.mode == "check",
        file_name: j.file_name.clone(),
        insurer_number: j.insurer_number.clone(),
        login_id: j.login_id.clone(),
        status: j.status.clone(),
        status_label: match j.status.as_str() {
            "running" => "処理中",
            "done" => "完了",
            "refused" => "不受理",
            _ => "失敗",
        },
        rows_total: j.rows_total,
        rows_done: j.rows_done,
        percent: if j.status == "done" || (finished && j.rows_total > 0) {
            100
        } else {
            (j.rows_done * 100)
                .checked_div(j.rows_total)
                .unwrap_or(0)
                .min(99)
        },
        errors_total: j.errors_total,
        errors: j.errors.clone(),
        version: j.version.as_ref().map(version_view),
        already: j.already,
        drift: j.drift,
        message: j.message.clone(),
        created_at: datetime(j.created_at),
        finished_at: j.finished_at.map(datetime),
    }
}

/// The tenant's jobs, newest first (at most 50).
fn jobs(state: &WebState, staff: &Staff) -> Vec<JobView> {
    let mut out: Vec<FuhonJob> = Vec::new();
    if let Ok(dir) = std::fs::read_dir(tenant_dir(state, staff.tenant())) {
        for entry in dir.flatten() {
            let id = entry.file_name().to_string_lossy().into_owned();
            if let Ok(job) = own(state, staff, &id) {
                out.push(job);
            }
        }
    }
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    out.truncate(50);
    out.iter().map(job_view).collect()
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
        minijinja::context! { kinds, error, insurer_numbers => numbers, jobs => jobs(state, staff) },
    )
}

/// Pages the drift of a check session into the job's `drift.csv` (with BOM, for Excel).
async fn drift(
    client: &FuhonClient,
    number: &InsurerNumber,
    session: &str,
    job: &mut FuhonJob,
    dir: &std::path::Path,
) -> Result<(), String> {
    let path = dir.join("drift.csv");
    let io = |e: std::io::Error| format!("差異ファイルを書けません（{e}）");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path).map_err(io)?;
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
            job.drift[match d.drift {
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
    job.status = "done".into();
    Ok(())
}

async fn show(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let job = own(&state, &staff, &id)?;
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
    Ok(Json(job_view(&own(&state, &staff, &id)?)))
}

async fn download(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let job = own(&state, &staff, &id)?;
    if job.mode != "check" || job.status != "done" {
        return Err(WebError::BadRequest(
            "差異ファイルは照合が完了してから取得できます。".into(),
        ));
    }
    let file = tokio::fs::File::open(job_dir(&state, staff.tenant(), &id).join("drift.csv"))
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
