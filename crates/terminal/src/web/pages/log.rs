//! 事務所の記録: what the office did through the terminal (管理者 only), newest first.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use super::render;
use crate::web::auth::Admin;
use crate::web::error::WebError;
use crate::web::render::{datetime, Column, List, TableQuery};
use crate::web::WebState;

pub fn router() -> Router<Arc<WebState>> {
    Router::new().route("/log", get(log))
}

const COLUMNS: &[Column] = &[
    Column {
        key: "at",
        sql: "at",
        label: "日時",
    },
    Column {
        key: "login_id",
        sql: "login_id",
        label: "ログインID",
    },
    Column {
        key: "action",
        sql: "action",
        label: "操作",
    },
    Column {
        key: "detail",
        sql: "detail",
        label: "内容",
    },
];

const LIST: List = List {
    columns: COLUMNS,
    default_desc: true,
};

#[derive(Serialize)]
struct Row {
    at: String,
    login_id: String,
    action: String,
    detail: String,
}

async fn log(
    State(state): State<Arc<WebState>>,
    Admin(staff): Admin,
    Query(query): Query<TableQuery>,
) -> Result<Html<String>, WebError> {
    let (entries, table) = LIST
        .fetch(&query, "/log", |page| state.store.log(staff.tenant(), page))
        .await?;
    let rows: Vec<Row> = entries
        .into_iter()
        .map(|e| Row {
            at: datetime(e.at),
            login_id: e.login_id,
            action: e.action,
            detail: e.detail,
        })
        .collect();
    render(
        &state,
        &staff,
        "log.html",
        minijinja::context! { rows, table },
    )
}
