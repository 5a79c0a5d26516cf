//! The pages, one module per workflow. Each module has its `router()`; a handler states the role
//! it needs in its signature by taking a role extractor ([`super::auth::Registrar`],
//! `Inquirer`, `Admin`, `Operator`) instead of [`Staff`], so the 403 comes from one place before
//! the handler runs (page and form alike); the handler then checks the CSRF token of a form and
//! acts, always within the signed-in member of staff's own tenant.

pub mod accounts;
pub mod fuhon;
pub mod home;
pub mod inquiry;
pub mod jlis;
pub mod log;
pub mod login;
pub mod operator;
pub mod registration;

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use minijinja::Value;
use serde::Serialize;

use super::auth::{Staff, StaffRole};
use super::error::{ErrorPage, WebError};
use super::render;
use super::store::LogEntry;
use super::WebState;

#[derive(Serialize)]
struct MenuItem {
    href: &'static str,
    label: &'static str,
}

/// The frame every signed-in page shares: who is signed in, for which insurer, the menu of
/// what their roles allow, and the CSRF token for the page's forms.
#[derive(Serialize)]
pub struct Chrome {
    display_name: String,
    login_id: String,
    tenant_name: String,
    roles: Vec<&'static str>,
    csrf: String,
    menu: Vec<MenuItem>,
}

pub fn chrome(state: &WebState, staff: &Staff) -> Chrome {
    let mut menu = vec![MenuItem {
        href: "/",
        label: "ホーム",
    }];
    if staff.has(StaffRole::Registration) {
        menu.push(MenuItem {
            href: "/registrations",
            label: "加入者情報の登録",
        });
        menu.push(MenuItem {
            href: "/fuhon",
            label: "副本の登録・照合",
        });
    }
    if staff.has(StaffRole::Inquiry) {
        menu.push(MenuItem {
            href: "/inquiries",
            label: "情報照会",
        });
        menu.push(MenuItem {
            href: "/jlis",
            label: "個人番号の照会（J-LIS）",
        });
    }
    if staff.has(StaffRole::Admin) {
        menu.push(MenuItem {
            href: "/accounts",
            label: "職員アカウント",
        });
        menu.push(MenuItem {
            href: "/log",
            label: "事務所の記録",
        });
    }
    if staff.has(StaffRole::Operator) {
        menu.push(MenuItem {
            href: "/operator",
            label: "システムの運用状況",
        });
    }
    Chrome {
        display_name: staff.account.display_name.clone(),
        login_id: staff.account.login_id.clone(),
        tenant_name: state.tenant_name(staff.tenant()),
        roles: staff
            .account
            .roles
            .iter()
            .filter_map(|r| StaffRole::parse(r))
            .map(StaffRole::label)
            .collect(),
        csrf: staff.session.csrf.clone(),
        menu,
    }
}

/// Renders a signed-in page: `ctx` plus `me` (the [`Chrome`]).
pub fn render(
    state: &WebState,
    staff: &Staff,
    name: &str,
    ctx: Value,
) -> Result<Html<String>, WebError> {
    let ctx = minijinja::context! { me => chrome(state, staff), ..ctx };
    render::page(name, ctx)
        .map(Html)
        .map_err(|e| WebError::Internal(format!("画面を表示できません（{e}）")))
}

/// Appends to the office log of `staff`'s tenant.
pub async fn record(
    state: &WebState,
    staff: &Staff,
    action: &str,
    detail: String,
) -> Result<(), WebError> {
    state
        .store
        .append_log(&LogEntry {
            tenant: staff.tenant().to_owned(),
            at: super::auth::now(),
            login_id: staff.account.login_id.clone(),
            action: action.to_owned(),
            detail,
        })
        .await?;
    Ok(())
}

/// Shows an error page (403, 404, …) inside the frame of the signed-in member of staff, so the
/// menu and the sign-out button stay; without a live session the plain page stands.
pub async fn with_chrome(
    State(state): State<Arc<WebState>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers().clone();
    let response = next.run(request).await;
    let Some(page) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.headers = headers;
    let Ok(staff) = Staff::from_request_parts(&mut parts, &state).await else {
        return response;
    };
    let ctx = minijinja::context! { title => page.title, message => page.message };
    match render(&state, &staff, "error.html", ctx) {
        Ok(html) => (response.status(), html).into_response(),
        Err(_) => response,
    }
}
