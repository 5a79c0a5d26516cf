//! 情報照会 in the browser (照会担当): ask a provider about one of the office's subscribers,
//! named by 被保険者枝番 — 事務, 特定個人情報 and provider chosen from lists by their Japanese
//! names — and read the answer as one of four kinds: 情報あり (with the data), 該当なし, 拒否
//! (with the rule that refused it) or 応答なし (with a button that sends it again under the
//! same 照会番号, so the exchange is recorded once). The office's past inquiries are listed.
//!
//! The terminal calls `intermediate`'s `/v1/insurer/inquiry` with the insurer's certificate,
//! as `renkei terminal … inquire` does; it keeps what was asked and the latest answer.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use renkei_core::{AgencyCode, InfoCode, InsurerNumber, TaskCode};
use renkei_wire::msg::inquiry::{InquiryAnswer, InsurerInquireRequest};
use renkei_wire::permission::{InstitutionKind, PermissionTable};
use renkei_wire::CallError;
use serde::{Deserialize, Serialize};

use super::{record, render};
use crate::web::auth::{new_token, now, Inquirer, Staff};
use crate::web::error::WebError;
use crate::web::render::{datetime, Column, List, TableQuery};
use crate::web::store::Inquiry;
use crate::web::WebState;

pub fn router() -> Router<Arc<WebState>> {
    Router::new()
        .route("/inquiries", get(list).post(ask))
        .route("/inquiries/{id}", get(show))
        .route("/inquiries/{id}/resend", post(resend))
}

const COLUMNS: &[Column] = &[
    Column {
        key: "created",
        sql: "created_at",
        label: "照会日時",
    },
    Column {
        key: "branch",
        sql: "branch",
        label: "枝番",
    },
    Column {
        key: "task",
        sql: "task",
        label: "事務",
    },
    Column {
        key: "info",
        sql: "info",
        label: "特定個人情報",
    },
    Column {
        key: "provider",
        sql: "provider",
        label: "照会先",
    },
    Column {
        key: "kind",
        sql: "kind",
        label: "回答",
    },
    Column {
        key: "login",
        sql: "login_id",
        label: "担当者",
    },
];

const LIST: List = List {
    columns: COLUMNS,
    default_desc: true,
};

/// A (code, name) choice of a list.
#[derive(Debug, Clone, Serialize)]
struct Choice {
    code: String,
    name: String,
}

/// The permission table shipped with renkei: the names of 事務 and 特定個人情報.
fn table() -> &'static PermissionTable {
    static TABLE: OnceLock<PermissionTable> = OnceLock::new();
    TABLE.get_or_init(PermissionTable::builtin)
}

/// The kind of institution a tenant is, from its code (`koiki-13`, `city-131121`, …).
fn kind_of(code: &str) -> InstitutionKind {
    if code.starts_with("koiki-") {
        InstitutionKind::Koiki
    } else if code.starts_with("city-") {
        InstitutionKind::Municipality
    } else {
        InstitutionKind::Insurer
    }
}

/// The 事務 the tenant's kind may ask for (all of the table's when it has none).
fn tasks(tenant: &str) -> Vec<Choice> {
    let kind = kind_of(tenant);
    let mut out: Vec<Choice> = Vec::new();
    for r in table().rules() {
        if r.asker == kind && !out.iter().any(|c| c.code == r.task) {
            out.push(Choice {
                code: r.task.to_string(),
                name: r.task_name.clone(),
            });
        }
    }
    if out.is_empty() {
        out = table()
            .tasks()
            .into_iter()
            .map(|(code, name)| Choice {
                code: code.into(),
                name: name.into(),
            })
            .collect();
    }
    out
}

/// Every 特定個人情報 of the table, by code.
fn infos() -> Vec<Choice> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for r in table().rules() {
        seen.entry(r.info.as_str()).or_insert(r.info_name.as_str());
    }
    seen.into_iter()
        .map(|(code, name)| Choice {
            code: code.into(),
            name: name.into(),
        })
        .collect()
}

fn task_name(code: &str) -> String {
    table()
        .rules()
        .iter()
        .find(|r| r.task == code)
        .map(|r| r.task_name.clone())
        .unwrap_or_else(|| code.to_owned())
}

fn info_name(code: &str) -> String {
    table()
        .rules()
        .iter()
        .find(|r| r.info == code)
        .map(|r| r.info_name.clone())
        .unwrap_or_else(|| code.to_owned())
}

/// The providers the office may address, without itself.
fn providers(state: &WebState, staff: &Staff) -> Vec<Choice> {
    state
        .config
        .providers
        .iter()
        .filter(|p| p.code != staff.tenant())
        .map(|p| Choice {
            code: p.code.clone(),
            name: p.name.clone(),
        })
        .collect()
}

fn provider_name(state: &WebState, code: &str) -> String {
    state
        .config
        .providers
        .iter()
        .find(|p| p.code == code)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| code.to_owned())
}

fn insurer_numbers(state: &WebState, staff: &Staff) -> Vec<String> {
    state
        .tenants
        .get(staff.tenant())
        .map(|t| t.profile.insurer_numbers.clone())
        .unwrap_or_default()
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "data" => "情報あり",
        "no_record" => "該当なし",
        "refused" => "拒否",
        "unavailable" => "応答なし",
        _ => "不明",
    }
}

/// An inquiry as the pages show it.
#[derive(Serialize)]
struct InquiryView {
    request_id: String,
    login_id: String,
    insurer_number: String,
    branch: String,
    task: String,
    task_name: String,
    info: String,
    info_name: String,
    provider: String,
    provider_name: String,
    kind: String,
    kind_label: &'static str,
    /// Item → value, for 情報あり.
    items: Vec<(String, String)>,
    /// The rule (code) and message of a refusal, or the message of 応答なし.
    code: String,
    message: String,
    record: i64,
    attempts: i64,
    created_at: String,
    answered_at: String,
}

fn view(state: &WebState, q: &Inquiry) -> InquiryView {
    let answer: Option<InquiryAnswer> = serde_json::from_str(&q.answer).ok();
    let (mut items, mut code, mut message) = (Vec::new(), String::new(), String::new());
    match answer {
        Some(InquiryAnswer::Data { items: data }) => {
            items = data.into_iter().collect();
        }
        Some(InquiryAnswer::Refused {
            code: c,
            message: m,
        }) => (code, message) = (c, m),
        Some(InquiryAnswer::Unavailable { message: m }) => message = m,
        Some(InquiryAnswer::NoRecord) | None => {}
    }
    InquiryView {
        request_id: q.request_id.clone(),
        login_id: q.login_id.clone(),
        insurer_number: q.insurer_number.clone(),
        branch: q.branch.clone(),
        task: q.task.clone(),
        task_name: task_name(&q.task),
        info: q.info.clone(),
        info_name: info_name(&q.info),
        provider: q.provider.clone(),
        provider_name: provider_name(state, &q.provider),
        kind: q.kind.clone(),
        kind_label: kind_label(&q.kind),
        items,
        code,
        message,
        record: q.record,
        attempts: q.attempts,
        created_at: datetime(q.created_at),
        answered_at: datetime(q.answered_at),
    }
}

async fn list(
    State(state): State<Arc<WebState>>,
    Inquirer(staff): Inquirer,
    Query(query): Query<TableQuery>,
) -> Result<Html<String>, WebError> {
    show_list(&state, &staff, &query, None, None).await
}

async fn show_list(
    state: &WebState,
    staff: &Staff,
    query: &TableQuery,
    error: Option<String>,
    form: Option<&AskForm>,
) -> Result<Html<String>, WebError> {
    let (rows, table) = LIST
        .fetch(query, "/inquiries", |page| {
            state.store.inquiries(staff.tenant(), page)
        })
        .await?;
    let inquiries: Vec<InquiryView> = rows.iter().map(|q| view(state, q)).collect();
    render(
        state,
        staff,
        "inquiries.html",
        minijinja::context! {
            inquiries, table, error,
            form => form.map(minijinja::Value::from_serialize),
            insurer_numbers => insurer_numbers(state, staff),
            tasks => tasks(staff.tenant()),
            infos => infos(),
            providers => providers(state, staff),
        },
    )
}

#[derive(Debug, Serialize, Deserialize)]
struct AskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    insurer_number: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    task: String,
    #[serde(default)]
    info: String,
    #[serde(default)]
    provider: String,
}

/// What was asked, checked against the lists the form offers.
fn checked(state: &WebState, staff: &Staff, f: &AskForm) -> Result<InsurerInquireRequest, String> {
    let insurer_number = f.insurer_number.trim();
    if !insurer_numbers(state, staff)
        .iter()
        .any(|n| n == insurer_number)
    {
        return Err(format!(
            "保険者番号「{insurer_number}」はこの保険者のものではありません。一覧から選んでください。"
        ));
    }
    let branch = f.branch.trim();
    if branch.is_empty() {
        return Err("被保険者枝番を入力してください（登録の結果ファイルにあります）。".into());
    }
    if branch.len() > 32 || !branch.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "被保険者枝番「{}」は英数字で入力してください（登録の結果ファイルにあります）。",
            branch.chars().take(32).collect::<String>()
        ));
    }
    if !tasks(staff.tenant()).iter().any(|t| t.code == f.task) {
        return Err("事務を一覧から選んでください。".into());
    }
    if !infos().iter().any(|i| i.code == f.info) {
        return Err("特定個人情報を一覧から選んでください。".into());
    }
    if !providers(state, staff).iter().any(|p| p.code == f.provider) {
        return Err("照会先を一覧から選んでください。".into());
    }
    request_of(
        String::new(),
        insurer_number,
        branch,
        &f.task,
        &f.info,
        &f.provider,
    )
}

/// The request, its codes parsed: what the form or the office's record holds as text.
fn request_of(
    request_id: String,
    insurer_number: &str,
    branch: &str,
    task: &str,
    info: &str,
    provider: &str,
) -> Result<InsurerInquireRequest, String> {
    Ok(InsurerInquireRequest {
        request_id,
        insurer_number: InsurerNumber::parse(insurer_number)
            .map_err(|e| format!("保険者番号: {e}"))?,
        branch: branch.to_owned(),
        task: TaskCode::parse(task).map_err(|e| e.to_string())?,
        info: InfoCode::parse(info).map_err(|e| e.to_string())?,
        provider: AgencyCode::parse(provider).map_err(|e| e.to_string())?,
    })
}

/// Sends the inquiry. `Ok` with the answer, including 応答なし when `intermediate` or the hub
/// is out of reach (re-send later with the same id); `Err` with what to correct otherwise.
async fn send(
    state: &WebState,
    staff: &Staff,
    request: &InsurerInquireRequest,
) -> Result<(InquiryAnswer, i64), String> {
    let tenant = state
        .tenants
        .get(staff.tenant())
        .ok_or_else(|| "この端末にはこの保険者の証明書が設定されていません。".to_owned())?;
    match tenant.client.inquire(request).await {
        Ok(r) => Ok((r.answer, r.record as i64)),
        Err(e) if e.is_retryable() => Ok((
            InquiryAnswer::Unavailable {
                message: match e {
                    CallError::Api(e) => e.message,
                    e => format!("中間サーバに接続できません（{e}）。"),
                },
            },
            0,
        )),
        Err(CallError::Api(e)) => Err(format!("照会できませんでした: {}", e.message)),
        Err(e) => Err(format!(
            "照会できませんでした（{e}）。しばらくしてからもう一度操作してください。"
        )),
    }
}

async fn save_and_log(
    state: &WebState,
    staff: &Staff,
    request: &InsurerInquireRequest,
    answer: &InquiryAnswer,
    record_no: i64,
    action: &str,
) -> Result<(), WebError> {
    let at = now();
    let saved = state
        .store
        .save_inquiry(&Inquiry {
            request_id: request.request_id.clone(),
            tenant: staff.tenant().to_owned(),
            login_id: staff.account.login_id.clone(),
            insurer_number: request.insurer_number.as_str().to_owned(),
            branch: request.branch.clone(),
            task: request.task.to_string(),
            info: request.info.to_string(),
            provider: request.provider.to_string(),
            kind: answer.kind().to_owned(),
            answer: serde_json::to_string(answer).expect("an answer serializes"),
            record: record_no,
            attempts: 1,
            created_at: at,
            answered_at: at,
        })
        .await?;
    if !saved {
        return Err(WebError::NotFound);
    }
    let rule = match answer {
        InquiryAnswer::Refused { code, .. } => format!("（{code}）"),
        _ => String::new(),
    };
    record(
        state,
        staff,
        action,
        format!(
            "照会番号 {}: 枝番 {} の{}（{}）を{}に照会 — {}{rule}",
            request.request_id,
            request.branch,
            info_name(&request.info),
            task_name(&request.task),
            provider_name(state, &request.provider),
            kind_label(answer.kind()),
        ),
    )
    .await
}

async fn ask(
    State(state): State<Arc<WebState>>,
    Inquirer(staff): Inquirer,
    Form(form): Form<AskForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let retry = |message: String| async {
        show_list(
            &state,
            &staff,
            &TableQuery::default(),
            Some(message),
            Some(&form),
        )
        .await
    };
    let mut request = match checked(&state, &staff, &form) {
        Ok(r) => r,
        Err(message) => return Ok(retry(message).await?.into_response()),
    };
    request.request_id = format!("W-{}", &new_token()[..24]);
    let (answer, record_no) = match send(&state, &staff, &request).await {
        Ok(a) => a,
        Err(message) => return Ok(retry(message).await?.into_response()),
    };
    save_and_log(&state, &staff, &request, &answer, record_no, "情報照会").await?;
    Ok(Redirect::to(&format!("/inquiries/{}", request.request_id)).into_response())
}

async fn own(state: &WebState, staff: &Staff, id: &str) -> Result<Inquiry, WebError> {
    state
        .store
        .inquiry(staff.tenant(), id)
        .await?
        .ok_or(WebError::NotFound)
}

async fn show(
    State(state): State<Arc<WebState>>,
    Inquirer(staff): Inquirer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let q = own(&state, &staff, &id).await?;
    render(
        &state,
        &staff,
        "inquiry.html",
        minijinja::context! { q => view(&state, &q), error => None::<String> },
    )
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// 応答なし: send the same inquiry again under its 照会番号 (the hub records it once).
async fn resend(
    State(state): State<Arc<WebState>>,
    Inquirer(staff): Inquirer,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let q = own(&state, &staff, &id).await?;
    if q.kind != "unavailable" {
        return Err(WebError::BadRequest(
            "この照会には回答が届いています。再送は応答がなかった照会だけです。".into(),
        ));
    }
    let request = request_of(
        q.request_id.clone(),
        &q.insurer_number,
        &q.branch,
        &q.task,
        &q.info,
        &q.provider,
    )
    .map_err(WebError::BadRequest)?;
    match send(&state, &staff, &request).await {
        Ok((answer, record_no)) => {
            save_and_log(
                &state,
                &staff,
                &request,
                &answer,
                record_no,
                "情報照会 再送",
            )
            .await?;
            Ok(Redirect::to(&format!("/inquiries/{id}")).into_response())
        }
        Err(message) => Ok(render(
            &state,
            &staff,
            "inquiry.html",
            minijinja::context! { q => view(&state, &q), error => Some(message) },
        )?
        .into_response()),
    }
}
