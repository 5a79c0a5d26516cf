//! 加入者情報の登録 in the browser (登録担当): upload a file, watch its registration reach
//! 100 %, download the result file, and see the held rows with their reasons — then correct
//! a held row and send it again ([`held`]). Files and result files stay in the web
//! terminal's data directory, under the upload's random id.

pub(super) mod files;
mod held;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::handler::Handler;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use renkei_core::InsurerNumber;
use serde::{Deserialize, Serialize};

use super::{record, render};
use crate::web::auth::{new_token, now, Registrar, Staff};
use crate::web::error::WebError;
use crate::web::jobs;
use crate::web::render::{datetime, Column, List, TableQuery};
use crate::web::store::{Upload, UploadProgress, UploadStatus};
use crate::web::WebState;
use files::{attachment, file_stream, input_path, result_path, save, upload_dir};

pub fn router() -> Router<Arc<WebState>> {
    Router::new()
        .route(
            "/registrations",
            get(list).post(upload.layer(DefaultBodyLimit::max(crate::web::UPLOAD_LIMIT))),
        )
        .route("/registrations/{id}", get(show))
        .route("/registrations/{id}/progress", get(progress))
        .route("/registrations/{id}/result.csv", get(download))
        .route("/registrations/{id}/retry", post(retry))
        .route(
            "/registrations/{id}/held/{line}",
            get(held::edit).post(held::resend),
        )
}

const COLUMNS: &[Column] = &[
    Column {
        key: "created",
        sql: "created_at",
        label: "受付日時",
    },
    Column {
        key: "file",
        sql: "file_name",
        label: "ファイル",
    },
    Column {
        key: "insurer",
        sql: "insurer_number",
        label: "保険者番号",
    },
    Column {
        key: "status",
        sql: "status",
        label: "状態",
    },
    Column {
        key: "rows",
        sql: "rows_total",
        label: "行数",
    },
    Column {
        key: "held",
        sql: "held",
        label: "保留",
    },
];

const LIST: List = List {
    columns: COLUMNS,
    default_desc: true,
};

/// An upload as the pages show it.
#[derive(Serialize)]
struct UploadView {
    id: String,
    file_name: String,
    insurer_number: String,
    login_id: String,
    status: &'static str,
    status_label: &'static str,
    rows_total: i64,
    rows_done: i64,
    registered: i64,
    held: i64,
    percent: i64,
    error: String,
    created_at: String,
    finished_at: Option<String>,
    parent_id: String,
    parent_line: i64,
}

fn percent(done: i64, total: i64) -> i64 {
    if total <= 0 {
        0
    } else {
        (done * 100 / total).min(100)
    }
}

/// The upload with its live progress while it runs.
fn view(state: &WebState, u: &Upload) -> UploadView {
    let (mut total, mut done, mut registered, mut held) =
        (u.rows_total, u.rows_done, u.registered, u.held);
    if u.status == UploadStatus::Running {
        if let Some(p) = state.jobs.progress(&u.id) {
            (total, done, registered, held) = (p.total, p.done, p.counts[0], p.counts[1]);
        }
    }
    let finished = u.status == UploadStatus::Done;
    UploadView {
        id: u.id.clone(),
        file_name: u.file_name.clone(),
        insurer_number: u.insurer_number.clone(),
        login_id: u.login_id.clone(),
        status: u.status.as_str(),
        status_label: u.status.label(),
        rows_total: total,
        rows_done: done,
        registered,
        held,
        percent: if finished { 100 } else { percent(done, total) },
        error: u.error.clone(),
        created_at: datetime(u.created_at),
        finished_at: u.finished_at.map(datetime),
        parent_id: u.parent_id.clone(),
        parent_line: u.parent_line,
    }
}

fn insurer_numbers(state: &WebState, staff: &Staff) -> Vec<String> {
    state
        .tenants
        .get(staff.tenant())
        .map(|t| t.profile.insurer_numbers.clone())
        .unwrap_or_default()
}

async fn list(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    Query(query): Query<TableQuery>,
) -> Result<Html<String>, WebError> {
    show_list(&state, &staff, &query, None).await
}

async fn show_list(
    state: &WebState,
    staff: &Staff,
    query: &TableQuery,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let (uploads, table) = LIST
        .fetch(query, "/registrations", |page| {
            state.store.uploads(staff.tenant(), page)
        })
        .await?;
    let uploads: Vec<UploadView> = uploads.iter().map(|u| view(state, u)).collect();
    render(
        state,
        staff,
        "uploads.html",
        minijinja::context! { uploads, table, error, insurer_numbers => insurer_numbers(state, staff) },
    )
}

/// The tenant's upload `id`, or 404 (also for another tenant's).
pub(super) async fn own_upload(
    state: &WebState,
    staff: &Staff,
    id: &str,
) -> Result<Upload, WebError> {
    state
        .store
        .upload(staff.tenant(), id)
        .await?
        .ok_or(WebError::NotFound)
}

/// Records a new upload whose file is already at its input path and starts registering it.
pub(super) async fn start(
    state: &Arc<WebState>,
    staff: &Staff,
    id: String,
    insurer_number: InsurerNumber,
    file_name: String,
    parent: Option<(String, i64)>,
) -> Result<(), WebError> {
    let (parent_id, parent_line) = parent.unwrap_or_default();
    let upload = Upload {
        id: id.clone(),
        tenant: staff.tenant().to_owned(),
        insurer_number: insurer_number.to_string(),
        login_id: staff.account.login_id.clone(),
        file_name: file_name.clone(),
        status: UploadStatus::Running,
        rows_total: 0,
        rows_done: 0,
        registered: 0,
        held: 0,
        error: String::new(),
        parent_id: parent_id.clone(),
        parent_line,
        created_at: now(),
        finished_at: None,
    };
    state.store.insert_upload(&upload).await?;
    let detail = if parent_id.is_empty() {
        format!("{file_name}（保険者番号 {insurer_number}）")
    } else {
        format!("{file_name}（{parent_line}行目の修正、保険者番号 {insurer_number}）")
    };
    record(
        state,
        staff,
        if parent_id.is_empty() {
            "加入者情報登録 開始"
        } else {
            "保留分の再送"
        },
        detail,
    )
    .await?;
    jobs::registration::start(state, &upload).await?;
    Ok(())
}

/// The multipart form: `csrf` and `insurer_number` come before `file`, so nothing is written
/// for a form that is refused.
async fn upload(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        WebError::BadRequest(format!(
            "送信されたフォームを読めません（{e}）。もう一度送信してください。"
        ))
    };
    let mut csrf_ok = false;
    let mut insurer: Option<InsurerNumber> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "csrf" => {
                staff.check_csrf(&field.text().await.map_err(bad)?)?;
                csrf_ok = true;
            }
            "insurer_number" => {
                let text = field.text().await.map_err(bad)?;
                let number = InsurerNumber::parse(text.trim())
                    .map_err(|e| WebError::BadRequest(format!("保険者番号: {e}")))?;
                if !insurer_numbers(&state, &staff)
                    .iter()
                    .any(|n| n == number.as_str())
                {
                    return Err(WebError::BadRequest(format!("保険者番号 {number} はこの保険者のものではありません。一覧から選んでください。")));
                }
                insurer = Some(number);
            }
            "file" if csrf_ok => {
                let Some(insurer_number) = insurer.take() else {
                    return Err(WebError::BadRequest("保険者番号を選んでください。".into()));
                };
                let file_name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| {
                        WebError::BadRequest("加入者情報ファイルを選んでください。".into())
                    })?;
                let id = new_token()[..32].to_owned();
                let path = input_path(&state, &id);
                let written = save(&path, &mut field).await?;
                if written == 0 {
                    let _ = tokio::fs::remove_dir_all(upload_dir(&state, &id)).await;
                    let message = format!(
                        "{file_name}: ファイルが空です。加入者情報ファイルを選び直してください。"
                    );
                    return Ok(
                        show_list(&state, &staff, &TableQuery::default(), Some(message))
                            .await?
                            .into_response(),
                    );
                }
                start(&state, &staff, id.clone(), insurer_number, file_name, None).await?;
                return Ok(Redirect::to(&format!("/registrations/{id}")).into_response());
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(WebError::Forbidden("フォームの有効期限が切れています。画面を読み込み直してから、もう一度操作してください。".into()));
    }
    Err(WebError::BadRequest(
        "加入者情報ファイルを選んでください。".into(),
    ))
}

const HELD_COLUMNS: &[Column] = &[
    Column {
        key: "line",
        sql: "line",
        label: "行番号",
    },
    Column {
        key: "insured",
        sql: "insured",
        label: "被保険者番号",
    },
    Column {
        key: "code",
        sql: "code",
        label: "理由コード",
    },
];

const HELD_LIST: List = List {
    columns: HELD_COLUMNS,
    default_desc: false,
};

async fn show(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    Path(id): Path<String>,
    Query(query): Query<TableQuery>,
) -> Result<Html<String>, WebError> {
    let upload = own_upload(&state, &staff, &id).await?;
    let (held_rows, table) = if upload.status == UploadStatus::Done {
        let corrections = state.store.corrections(staff.tenant(), &id).await?;
        let (rows, table) = held::page(
            &result_path(&state, &id),
            &corrections,
            &query,
            &format!("/registrations/{id}"),
        )?;
        (rows, Some(table))
    } else {
        (Vec::new(), None)
    };
    let retry = upload.status == UploadStatus::Interrupted && !state.jobs.is_running(&id);
    render(
        &state,
        &staff,
        "upload.html",
        minijinja::context! { upload => view(&state, &upload), held_rows, table, retry },
    )
}

async fn progress(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    Path(id): Path<String>,
) -> Result<Json<UploadView>, WebError> {
    let upload = own_upload(&state, &staff, &id).await?;
    Ok(Json(view(&state, &upload)))
}

async fn download(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let upload = own_upload(&state, &staff, &id).await?;
    if upload.status != UploadStatus::Done {
        return Err(WebError::BadRequest(
            "結果ファイルは登録が完了してから取得できます。".into(),
        ));
    }
    let file = tokio::fs::File::open(result_path(&state, &id))
        .await
        .map_err(|_| WebError::NotFound)?;
    let stem = upload
        .file_name
        .strip_suffix(".csv")
        .unwrap_or(&upload.file_name);
    record(&state, &staff, "結果ファイル取得", upload.file_name.clone()).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, attachment(&format!("結果_{stem}.csv"))),
        ],
        Body::from_stream(file_stream(file)),
    )
        .into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// Sends an interrupted upload again; the intermediate server answers the chunks
/// it already applied from what it stored, so nothing is registered twice.
async fn retry(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let upload = own_upload(&state, &staff, &id).await?;
    if upload.status == UploadStatus::Interrupted && !state.jobs.is_running(&id) {
        let running = UploadProgress {
            status: UploadStatus::Running,
            rows_total: upload.rows_total,
            rows_done: 0,
            registered: 0,
            held: 0,
            error: String::new(),
            finished_at: None,
        };
        state.store.update_upload(&id, &running).await?;
        record(
            &state,
            &staff,
            "加入者情報登録 再送",
            upload.file_name.clone(),
        )
        .await?;
        jobs::registration::resend(&state, &upload).await?;
    }
    Ok(Redirect::to(&format!("/registrations/{id}")).into_response())
}
