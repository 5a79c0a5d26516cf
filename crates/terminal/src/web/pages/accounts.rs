//! 職員アカウント (管理者 only): the office's staff accounts — create one, change its name,
//! roles or whether it may sign in, set a new password. An administrator cannot take the
//! 管理者 role from themself or switch themself off, so an office always keeps one.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use super::{record, render};
use crate::web::accounts_rules::{check_login_id, check_password, MIN_PASSWORD_CHARS};
use crate::web::auth::{hash_password, now, Admin, Staff, StaffRole};
use crate::web::error::WebError;
use crate::web::render::{datetime, Column, List, TableQuery};
use crate::web::store::{Account, FailureKind};
use crate::web::throttle::{login_subject, until_text, UNLOCKED_ACTION};
use crate::web::WebState;

pub fn router() -> Router<Arc<WebState>> {
    Router::new()
        .route("/accounts", get(list).post(create))
        .route("/accounts/{login_id}", get(edit).post(update))
        .route("/accounts/{login_id}/password", post(set_password))
        .route("/accounts/{login_id}/unlock", post(unlock))
}

#[derive(Serialize)]
struct Row {
    login_id: String,
    display_name: String,
    roles: Vec<&'static str>,
    active: bool,
    created_at: String,
    /// When a ログイン停止 ends (`23時45分`), if the account is locked.
    locked_until: Option<String>,
}

fn row(a: &Account) -> Row {
    Row {
        login_id: a.login_id.clone(),
        display_name: a.display_name.clone(),
        roles: a
            .roles
            .iter()
            .filter_map(|r| StaffRole::parse(r))
            .map(StaffRole::label)
            .collect(),
        active: a.active,
        created_at: datetime(a.created_at),
        locked_until: None,
    }
}

/// [`row`] with the end of the account's ログイン停止 among `locks`, if any.
fn row_locked(a: &Account, locks: &[(String, i64)], now: i64) -> Row {
    Row {
        locked_until: locks
            .iter()
            .find(|(id, _)| *id == a.login_id)
            .map(|(_, until)| until_text(*until, now)),
        ..row(a)
    }
}

/// The sortable columns; `sql` names the [`Account`] field [`sort_accounts`] orders by.
const COLUMNS: &[Column] = &[
    Column {
        key: "login_id",
        sql: "login_id",
        label: "ログインID",
    },
    Column {
        key: "name",
        sql: "display_name",
        label: "氏名",
    },
    Column {
        key: "roles",
        sql: "roles",
        label: "権限",
    },
    Column {
        key: "active",
        sql: "active",
        label: "状態",
    },
    Column {
        key: "created",
        sql: "created_at",
        label: "作成日時",
    },
];

const LIST: List = List {
    columns: COLUMNS,
    default_desc: false,
};

/// Orders an office's accounts (a few dozen at most, so in memory) by a column of
/// [`COLUMNS`], the login ID breaking ties.
fn sort_accounts(accounts: &mut [Account], by: &str, desc: bool) {
    accounts.sort_by(|a, b| {
        let order = match by {
            "display_name" => a.display_name.cmp(&b.display_name),
            "roles" => a.roles.cmp(&b.roles),
            "active" => a.active.cmp(&b.active),
            "created_at" => a.created_at.cmp(&b.created_at),
            _ => std::cmp::Ordering::Equal,
        }
        .then_with(|| a.login_id.cmp(&b.login_id));
        if desc {
            order.reverse()
        } else {
            order
        }
    });
}

async fn list(
    State(state): State<Arc<WebState>>,
    Admin(staff): Admin,
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
    let all = state.store.accounts(staff.tenant()).await?;
    let (page, table) = LIST.slice(query, "/accounts", all, |all, by, desc| {
        sort_accounts(all, by, desc)
    });
    let now = now();
    let locks = state.store.locked_accounts(staff.tenant(), now).await?;
    let accounts: Vec<Row> = page.iter().map(|a| row_locked(a, &locks, now)).collect();
    render(
        state,
        staff,
        "accounts.html",
        minijinja::context! { accounts, error, table },
    )
}

#[derive(Deserialize)]
struct CreateForm {
    csrf: String,
    login_id: String,
    display_name: String,
    password: String,
    role_registration: Option<String>,
    role_inquiry: Option<String>,
    role_admin: Option<String>,
}

fn roles_from(
    registration: &Option<String>,
    inquiry: &Option<String>,
    admin: &Option<String>,
) -> Vec<String> {
    [
        (registration, StaffRole::Registration),
        (inquiry, StaffRole::Inquiry),
        (admin, StaffRole::Admin),
    ]
    .into_iter()
    .filter(|(v, _)| v.is_some())
    .map(|(_, r)| r.as_str().to_owned())
    .collect()
}

async fn create(
    State(state): State<Arc<WebState>>,
    Admin(staff): Admin,
    Form(form): Form<CreateForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let login_id = form.login_id.trim().to_owned();
    let display_name = form.display_name.trim().to_owned();
    let checks = check_login_id(&login_id)
        .and_then(|_| check_password(&form.password))
        .and_then(|_| {
            if display_name.is_empty() {
                Err("氏名を入力してください。".into())
            } else {
                Ok(())
            }
        });
    if let Err(message) = checks {
        return Ok(
            show_list(&state, &staff, &TableQuery::default(), Some(message))
                .await?
                .into_response(),
        );
    }
    let password = form.password.clone();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let roles = roles_from(
        &form.role_registration,
        &form.role_inquiry,
        &form.role_admin,
    );
    let account = Account {
        login_id: login_id.clone(),
        tenant: staff.tenant().to_owned(),
        display_name,
        roles: roles.clone(),
        password_hash,
        active: true,
        created_at: now(),
    };
    if !state.store.create_account(&account).await? {
        let message =
            format!("ログインID「{login_id}」は既に使われています。別のIDにしてください。");
        return Ok(
            show_list(&state, &staff, &TableQuery::default(), Some(message))
                .await?
                .into_response(),
        );
    }
    record(
        &state,
        &staff,
        "アカウント作成",
        format!("{login_id}（{}）", role_labels(&roles)),
    )
    .await?;
    Ok(Redirect::to("/accounts").into_response())
}

fn role_labels(roles: &[String]) -> String {
    let labels: Vec<&str> = roles
        .iter()
        .filter_map(|r| StaffRole::parse(r))
        .map(StaffRole::label)
        .collect();
    if labels.is_empty() {
        "権限なし".into()
    } else {
        labels.join("・")
    }
}

/// The tenant's account `login_id`, or 404 (also for another tenant's account).
async fn own_account(state: &WebState, staff: &Staff, login_id: &str) -> Result<Account, WebError> {
    match state.store.account(login_id).await? {
        Some(a) if a.tenant == staff.tenant() => Ok(a),
        _ => Err(WebError::NotFound),
    }
}

async fn edit(
    State(state): State<Arc<WebState>>,
    Admin(staff): Admin,
    Path(login_id): Path<String>,
) -> Result<Html<String>, WebError> {
    let account = own_account(&state, &staff, &login_id).await?;
    show_edit(&state, &staff, &account, None).await
}

async fn show_edit(
    state: &WebState,
    staff: &Staff,
    a: &Account,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let has = |r: StaffRole| a.roles.iter().any(|x| x == r.as_str());
    let now = now();
    let locks = state.store.locked_accounts(staff.tenant(), now).await?;
    render(
        state,
        staff,
        "account_edit.html",
        minijinja::context! {
            account => row_locked(a, &locks, now),
            registration => has(StaffRole::Registration),
            inquiry => has(StaffRole::Inquiry),
            admin => has(StaffRole::Admin),
            error,
            min_password => MIN_PASSWORD_CHARS,
        },
    )
}

#[derive(Deserialize)]
struct UpdateForm {
    csrf: String,
    display_name: String,
    active: Option<String>,
    role_registration: Option<String>,
    role_inquiry: Option<String>,
    role_admin: Option<String>,
}

async fn update(
    State(state): State<Arc<WebState>>,
    Admin(staff): Admin,
    Path(login_id): Path<String>,
    Form(form): Form<UpdateForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let account = own_account(&state, &staff, &login_id).await?;
    let roles = roles_from(
        &form.role_registration,
        &form.role_inquiry,
        &form.role_admin,
    );
    let active = form.active.is_some();
    let display_name = form.display_name.trim();
    let myself = account.login_id == staff.account.login_id;
    if myself && (!active || !roles.iter().any(|r| r == StaffRole::Admin.as_str())) {
        let message = "自分自身の管理者権限は外せません（無効にもできません）。別の管理者に依頼してください。".to_owned();
        return Ok(show_edit(&state, &staff, &account, Some(message))
            .await?
            .into_response());
    }
    if display_name.is_empty() {
        return Ok(show_edit(
            &state,
            &staff,
            &account,
            Some("氏名を入力してください。".into()),
        )
        .await?
        .into_response());
    }
    state
        .store
        .update_account(staff.tenant(), &login_id, display_name, &roles, active)
        .await?;
    if !active {
        state.store.delete_sessions_of(&login_id).await?;
    }
    let detail = format!(
        "{login_id}（{}、{}）",
        role_labels(&roles),
        if active { "有効" } else { "無効" }
    );
    record(&state, &staff, "アカウント変更", detail).await?;
    Ok(Redirect::to("/accounts").into_response())
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    password: String,
}

async fn set_password(
    State(state): State<Arc<WebState>>,
    Admin(staff): Admin,
    Path(login_id): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let account = own_account(&state, &staff, &login_id).await?;
    if let Err(message) = check_password(&form.password) {
        return Ok(show_edit(&state, &staff, &account, Some(message))
            .await?
            .into_response());
    }
    let password = form.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    state
        .store
        .set_password(staff.tenant(), &login_id, &hash)
        .await?;
    if login_id != staff.account.login_id {
        state.store.delete_sessions_of(&login_id).await?;
    }
    record(&state, &staff, "パスワード変更", login_id).await?;
    Ok(Redirect::to("/accounts").into_response())
}

/// Lifts an account's ログイン停止 before it ends (and forgets its failed sign-ins).
async fn unlock(
    State(state): State<Arc<WebState>>,
    Admin(staff): Admin,
    Path(login_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let account = own_account(&state, &staff, &login_id).await?;
    let subject = login_subject(&account.login_id);
    let store = &state.store;
    let lock = store
        .login_locked_until(FailureKind::LoginId, &subject, now())
        .await?;
    store
        .clear_login_failures(FailureKind::LoginId, &subject)
        .await?;
    if lock.is_some() {
        record(&state, &staff, UNLOCKED_ACTION, account.login_id).await?;
    }
    Ok(Redirect::to(&format!("/accounts/{login_id}")).into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(login_id: &str, name: &str, active: bool, created_at: i64) -> Account {
        Account {
            login_id: login_id.into(),
            tenant: "koiki-13".into(),
            display_name: name.into(),
            roles: vec!["inquiry".into()],
            password_hash: String::new(),
            active,
            created_at,
        }
    }

    fn order(accounts: &[Account]) -> Vec<&str> {
        accounts.iter().map(|a| a.login_id.as_str()).collect()
    }

    #[test]
    fn accounts_sort_by_the_chosen_column_either_way_with_the_login_id_breaking_ties() {
        let mut accounts = vec![
            account("c-staff", "佐藤", true, 30),
            account("a-staff", "鈴木", false, 10),
            account("b-staff", "佐藤", true, 20),
        ];
        sort_accounts(&mut accounts, "login_id", false);
        assert_eq!(order(&accounts), ["a-staff", "b-staff", "c-staff"]);
        sort_accounts(&mut accounts, "created_at", true);
        assert_eq!(order(&accounts), ["c-staff", "b-staff", "a-staff"]);
        sort_accounts(&mut accounts, "display_name", false);
        assert_eq!(order(&accounts), ["b-staff", "c-staff", "a-staff"]);
        sort_accounts(&mut accounts, "active", false);
        assert_eq!(order(&accounts), ["a-staff", "b-staff", "c-staff"]);
    }

    #[test]
    fn an_unknown_sort_key_falls_back_to_the_login_id_and_pages_hold_twenty() {
        let query = TableQuery {
            sort: Some("password_hash".into()),
            dir: Some("asc".into()),
            page: Some(2),
        };
        let (page, index) = query.resolve_with(COLUMNS, false);
        assert_eq!((page.sort, index, page.offset), ("login_id", 0, 20));
        let table = query.table_with("/accounts", COLUMNS, 45, false);
        assert_eq!((table.page, table.pages), (2, 3));
        assert!(table.next.unwrap().ends_with("page=3"));
    }
}
