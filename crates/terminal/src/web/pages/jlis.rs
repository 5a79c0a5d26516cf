//! 個人番号入手 (J-LIS look-ups) in the browser (照会担当): look a person up by 個人番号, search
//! by 基本4情報 with ranked candidates (score and how each item matched), or send a whole query
//! file and download the answer file once its progress reaches 100 %.
//!
//! A 個人番号 travels only in POST bodies (never a URL) and is never written to the office log
//! or a log line; the page that answers a look-up shows the number asked for only masked. The
//! query and answer files (they hold 個人番号) stay in the data directory, readable by the
//! owner only. Every request goes to `intermediate` with the insurer's certificate, as `renkei
//! terminal … jlis` does.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::handler::Handler;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use renkei_core::{to_wareki, InsurerNumber, MyNumber};
use renkei_wire::msg::registry::{
    Candidate, CurrentResident, ItemMatch, DEFAULT_PURPOSE, PURPOSES,
};
use serde::{Deserialize, Serialize};

use super::registration::files::{attachment, file_stream, save};
use super::{record, render};
use crate::jlis::{self, JlisClient};
use crate::web::auth::{new_token, now, Inquirer, Staff};
use crate::web::error::WebError;
use crate::web::jobs;
use crate::web::render::{datetime, Column, List, TableQuery};
use crate::web::store::JlisBatch;
use crate::web::WebState;

pub fn router() -> Router<Arc<WebState>> {
    Router::new()
        .route("/jlis", get(page))
        .route("/jlis/lookup", post(lookup))
        .route("/jlis/search", post(search))
        .route(
            "/jlis/batches",
            post(upload.layer(DefaultBodyLimit::max(crate::web::UPLOAD_LIMIT))),
        )
        .route("/jlis/batches/{id}", get(show))
        .route("/jlis/batches/{id}/progress", get(progress))
        .route("/jlis/batches/{id}/answer.csv", get(download))
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
        label: "照会ファイル",
    },
    Column {
        key: "purpose",
        sql: "purpose",
        label: "利用目的",
    },
    Column {
        key: "status",
        sql: "status",
        label: "状態",
    },
    Column {
        key: "rows",
        sql: "rows_total",
        label: "件数",
    },
];

const LIST: List = List {
    columns: COLUMNS,
    default_desc: true,
};

#[derive(Serialize)]
struct Purpose {
    code: &'static str,
    name: &'static str,
}

fn purposes() -> Vec<Purpose> {
    PURPOSES
        .iter()
        .map(|&(code, name)| Purpose { code, name })
        .collect()
}

fn purpose_name(code: &str) -> String {
    PURPOSES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| (*n).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

fn insurer_numbers(state: &WebState, staff: &Staff) -> Vec<String> {
    state
        .tenants
        .get(staff.tenant())
        .map(|t| t.profile.insurer_numbers.clone())
        .unwrap_or_default()
}

/// The client for the insurer number chosen on a form, after checking it is the tenant's and
/// the purpose is one of J-LIS's.
fn client(
    state: &WebState,
    staff: &Staff,
    insurer_number: &str,
    purpose: &str,
) -> Result<(JlisClient, InsurerNumber), String> {
    let number =
        InsurerNumber::parse(insurer_number.trim()).map_err(|e| format!("保険者番号: {e}"))?;
    if !insurer_numbers(state, staff)
        .iter()
        .any(|n| n == number.as_str())
    {
        return Err(format!(
            "保険者番号 {number} はこの保険者のものではありません。一覧から選んでください。"
        ));
    }
    if !PURPOSES.iter().any(|(c, _)| *c == purpose) {
        return Err("利用目的を一覧から選んでください。".into());
    }
    let tenant = state
        .tenants
        .get(staff.tenant())
        .ok_or_else(|| "この端末にはこの保険者の証明書が設定されていません。".to_owned())?;
    Ok((
        JlisClient::from_client(tenant.client.clone(), &number),
        number,
    ))
}

/// A resident as the pages show it (dates in 和暦 with the Western year).
#[derive(Serialize)]
struct ResidentView {
    name: String,
    kana: String,
    birth: String,
    sex: &'static str,
    address: String,
    removal: String,
}

fn resident(r: &CurrentResident) -> ResidentView {
    ResidentView {
        name: r.name.clone(),
        kana: r.kana.clone(),
        birth: format!("{}（{}年）", to_wareki(r.birth), r.birth.year()),
        sex: r.sex.label_ja(),
        address: r.address.clone(),
        removal: match &r.removal {
            Some(removal) => match removal.reason {
                Some(reason) => format!(
                    "{}（{}年） {}",
                    to_wareki(removal.on),
                    removal.on.year(),
                    reason.label()
                ),
                None => format!("{}（{}年）", to_wareki(removal.on), removal.on.year()),
            },
            None => String::new(),
        },
    }
}

#[derive(Serialize)]
struct MatchView {
    label: String,
    /// `exact`, `normalized`, `partial`, `none`, `not_given` (for the colour).
    kind: &'static str,
}

fn item(m: ItemMatch) -> MatchView {
    MatchView {
        label: m.label(),
        kind: match m {
            ItemMatch::Exact => "exact",
            ItemMatch::Normalized => "normalized",
            ItemMatch::Partial(_) => "partial",
            ItemMatch::None => "none",
            ItemMatch::NotGiven => "not_given",
        },
    }
}

#[derive(Serialize)]
struct CandidateView {
    rank: usize,
    my_number: String,
    score: u32,
    resident: ResidentView,
    name: MatchView,
    kana: MatchView,
    birth: MatchView,
    sex: MatchView,
    address: MatchView,
}

fn candidate(rank: usize, c: &Candidate) -> CandidateView {
    CandidateView {
        rank,
        my_number: c.my_number.expose().to_owned(),
        score: c.score,
        resident: resident(&c.resident),
        name: item(c.items.name),
        kana: item(c.items.kana),
        birth: item(c.items.birth),
        sex: item(c.items.sex),
        address: item(c.items.address),
    }
}

#[derive(Serialize)]
struct BatchView {
    id: String,
    file_name: String,
    insurer_number: String,
    purpose: String,
    purpose_name: String,
    login_id: String,
    status: String,
    status_label: &'static str,
    rows_total: i64,
    rows_done: i64,
    found: i64,
    not_found: i64,
    errors: i64,
    percent: i64,
    error: String,
    created_at: String,
    finished_at: Option<String>,
}

fn status_label(status: &str) -> &'static str {
    match status {
        "running" => "処理中",
        "done" => "完了",
        _ => "失敗",
    }
}

fn batch_view(state: &WebState, b: &JlisBatch) -> BatchView {
    let (mut total, mut done, mut found, mut not_found, mut errors) =
        (b.rows_total, b.rows_done, b.found, b.not_found, b.errors);
    if b.status == "running" {
        if let Some(p) = state.jobs.progress(&b.id) {
            (total, done, found, not_found, errors) =
                (p.total, p.done, p.counts[0], p.counts[1], p.counts[2]);
        }
    }
    let percent = match b.status.as_str() {
        "done" => 100,
        _ if total > 0 => (done * 100 / total).min(100),
        _ => 0,
    };
    BatchView {
        id: b.id.clone(),
        file_name: b.file_name.clone(),
        insurer_number: b.insurer_number.clone(),
        purpose: b.purpose.clone(),
        purpose_name: purpose_name(&b.purpose),
        login_id: b.login_id.clone(),
        status: b.status.clone(),
        status_label: status_label(&b.status),
        rows_total: total,
        rows_done: done,
        found,
        not_found,
        errors,
        percent,
        error: b.error.clone(),
        created_at: datetime(b.created_at),
        finished_at: b.finished_at.map(datetime),
    }
}

/// What the page shows below the forms: the answer to a look-up or a search, if one was made.
#[derive(Default, Serialize)]
struct Answer {
    /// `lookup` or `search`.
    kind: &'static str,
    /// The number looked up, masked (last four digits).
    masked: String,
    resident: Option<ResidentView>,
    candidates: Vec<CandidateView>,
    purpose_name: String,
}

/// The fields a search form had (so a page with an error keeps them). Never a 個人番号.
#[derive(Debug, Default, Serialize, Deserialize)]
struct SearchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    insurer_number: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kana: String,
    #[serde(default)]
    birth: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    limit: String,
}

async fn show_page(
    state: &WebState,
    staff: &Staff,
    query: &TableQuery,
    error: Option<String>,
    answer: Option<Answer>,
    form: Option<&SearchForm>,
) -> Result<Html<String>, WebError> {
    let (rows, table) = LIST
        .fetch(query, "/jlis", |page| {
            state.store.jlis_batches(staff.tenant(), page)
        })
        .await?;
    let batches: Vec<BatchView> = rows.iter().map(|b| batch_view(state, b)).collect();
    render(
        state,
        staff,
        "jlis.html",
        minijinja::context! {
            batches, table, error, answer,
            form => form.map(minijinja::Value::from_serialize),
            insurer_numbers => insurer_numbers(state, staff),
            purposes => purposes(),
            default_purpose => DEFAULT_PURPOSE,
        },
    )
}

async fn page(
    State(state): State<Arc<WebState>>,
    Inquirer(staff): Inquirer,
    Query(query): Query<TableQuery>,
) -> Result<Html<String>, WebError> {
    show_page(&state, &staff, &query, None, None, None).await
}

fn call_error(e: renkei_wire::CallError) -> String {
    match e {
        renkei_wire::CallError::Api(e) => format!("照会できませんでした: {}", e.message),
        e => format!("照会できませんでした（{e}）。しばらくしてからもう一度操作してください。"),
    }
}

#[derive(Deserialize)]
struct LookupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    insurer_number: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    number: String,
}

/// 個人番号 → current 基本4情報 (and 消除). The number comes in the POST body only.
async fn lookup(
    State(state): State<Arc<WebState>>,
    Inquirer(staff): Inquirer,
    Form(form): Form<LookupForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let fail = |message: String| async {
        show_page(
            &state,
            &staff,
            &TableQuery::default(),
            Some(message),
            None,
            None,
        )
        .await
    };
    let (client, insurer) = match client(&state, &staff, &form.insurer_number, &form.purpose) {
        Ok(c) => c,
        Err(message) => return Ok(fail(message).await?.into_response()),
    };
    let number = match MyNumber::parse(form.number.trim()) {
        Ok(n) => n,
        // The parse error never repeats the digits.
        Err(e) => return Ok(fail(format!("個人番号: {e}")).await?.into_response()),
    };
    let masked = format!("********{}", &number.expose()[number.expose().len() - 4..]);
    let answer = match client.lookup(&form.purpose, vec![number]).await {
        Ok(a) => a,
        Err(e) => return Ok(fail(call_error(e)).await?.into_response()),
    };
    let found = answer.residents.into_iter().next().flatten();
    record(
        &state,
        &staff,
        "J-LIS 個人番号照会",
        format!(
            "保険者番号 {insurer}、利用目的 {}: {}",
            form.purpose,
            if found.is_some() {
                "該当あり"
            } else {
                "該当なし"
            }
        ),
    )
    .await?;
    let answer = Answer {
        kind: "lookup",
        masked,
        resident: found.as_ref().map(resident),
        candidates: Vec::new(),
        purpose_name: purpose_name(&form.purpose),
    };
    Ok(show_page(
        &state,
        &staff,
        &TableQuery::default(),
        None,
        Some(answer),
        None,
    )
    .await?
    .into_response())
}

/// 基本4情報 → ranked candidates with their score and how each item matched.
async fn search(
    State(state): State<Arc<WebState>>,
    Inquirer(staff): Inquirer,
    Form(form): Form<SearchForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let fail = |message: String| async {
        show_page(
            &state,
            &staff,
            &TableQuery::default(),
            Some(message),
            None,
            Some(&form),
        )
        .await
    };
    let (client, insurer) = match client(&state, &staff, &form.insurer_number, &form.purpose) {
        Ok(c) => c,
        Err(message) => return Ok(fail(message).await?.into_response()),
    };
    let query = match jlis::query_of(
        Some(&form.name),
        Some(&form.kana),
        &form.birth,
        Some(&form.sex),
        Some(&form.address),
    ) {
        Ok(q) => q,
        Err((field, e)) => {
            let label = match field {
                "name" => "氏名",
                "birth" => "生年月日",
                "sex" => "性別",
                other => other,
            };
            return Ok(fail(format!("{label}: {e}")).await?.into_response());
        }
    };
    let limit: u32 = form.limit.trim().parse().unwrap_or(5).clamp(1, 20);
    let found = match client.search(&form.purpose, limit, vec![query]).await {
        Ok(a) => a.results.into_iter().next().unwrap_or_default(),
        Err(e) => return Ok(fail(call_error(e)).await?.into_response()),
    };
    record(
        &state,
        &staff,
        "J-LIS 基本4情報検索",
        format!(
            "保険者番号 {insurer}、利用目的 {}: 候補 {} 件",
            form.purpose,
            found.len()
        ),
    )
    .await?;
    let answer = Answer {
        kind: "search",
        candidates: found
            .iter()
            .enumerate()
            .map(|(i, c)| candidate(i + 1, c))
            .collect(),
        purpose_name: purpose_name(&form.purpose),
        ..Answer::default()
    };
    Ok(show_page(
        &state,
        &staff,
        &TableQuery::default(),
        None,
        Some(answer),
        Some(&form),
    )
    .await?
    .into_response())
}

mod batch;
use batch::{download, progress, show, upload};
