//! Signing in and out. The login form carries a double-submit CSRF token (a cookie and the
//! same value in the form), since there is no session yet to hold one.

use std::sync::{Arc, OnceLock};

use axum::extract::{FromRequest, Request, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use http::header::SET_COOKIE;
use http::StatusCode;
use serde::Deserialize;

use super::record;
use crate::web::auth::{
    self, cookie, hash_password, new_token, now, session_cookie, token_hash, verify_password,
    Staff, LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::web::error::WebError;
use crate::web::render;
use crate::web::store::{FailureKind, LogEntry, Session};
use crate::web::throttle;
use crate::web::WebState;

pub fn router() -> Router<Arc<WebState>> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

fn login_form(csrf: &str, error: Option<&str>, login_id: &str) -> Result<Html<String>, WebError> {
    render::page("login.html", minijinja::context! { csrf, error, login_id })
        .map(Html)
        .map_err(|e| WebError::Internal(e.to_string()))
}

async fn login_page(request: Request) -> Result<Response, WebError> {
    let (parts, _) = request.into_parts();
    let token = match cookie(&parts, LOGIN_CSRF_COOKIE) {
        Some(t) if t.len() == 64 => t.to_owned(),
        _ => new_token(),
    };
    let set = format!("{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict");
    Ok(([(SET_COOKIE, set)], login_form(&token, None, "")?).into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    login_id: String,
    password: String,
    csrf: String,
}

/// A hash to verify against when the login ID is unknown, so that the answer takes as long
/// as for a known one.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("dummy password for unknown login ids"))
}

async fn login(State(state): State<Arc<WebState>>, request: Request) -> Result<Response, WebError> {
    let (parts, body) = request.into_parts();
    let cookie_token = cookie(&parts, LOGIN_CSRF_COOKIE)
        .unwrap_or_default()
        .to_owned();
    let address = throttle::client_address(&parts.extensions);
    let Form(form) = Form::<LoginForm>::from_request(Request::from_parts(parts, body), &state)
        .await
        .map_err(|e| match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => WebError::TooLarge,
            _ => WebError::BadRequest(format!("フォームを読めません（{e}）")),
        })?;
    if !auth::same_token(&form.csrf, &cookie_token) {
        return Err(WebError::Forbidden(
            "ログイン画面の有効期限が切れています。ログイン画面を開き直してください。".into(),
        ));
    }
    let login_id = form.login_id.trim();
    // A locked ID or address is refused before the password is looked at, so the answer
    // says nothing about whether it was right.
    if let Some(message) = throttle::refusal(&state, login_id, &address, now()).await? {
        return locked(&cookie_token, &message, &form.login_id);
    }
    let account = state.store.account(login_id).await?;
    let password = form.password.clone();
    let phc = account
        .as_ref()
        .map(|a| a.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    let account = match account {
        Some(a) if verified && a.active => a,
        other => {
            if let Some(a) = &other {
                state
                    .store
                    .append_log(&LogEntry {
                        tenant: a.tenant.clone(),
                        at: now(),
                        login_id: a.login_id.clone(),
                        action: "ログイン失敗".into(),
                        detail: if a.active {
                            "パスワードが違います".into()
                        } else {
                            "無効なアカウント".into()
                        },
                    })
                    .await?;
            }
            let refusal =
                throttle::count_failure(&state, login_id, other.as_ref(), &address, now()).await?;
            if let Some(message) = refusal {
                return locked(&cookie_token, &message, &form.login_id);
            }
            let page = login_form(
                &cookie_token,
                Some("ログインIDまたはパスワードが違います。入力を確かめてください。"),
                &form.login_id,
            )?;
            return Ok((StatusCode::UNAUTHORIZED, page).into_response());
        }
    };
    // Guesses sent all at once may have locked the ID while this password was checked.
    if let Some(message) = throttle::refusal(&state, login_id, &address, now()).await? {
        return locked(&cookie_token, &message, &form.login_id);
    }
    state
        .store
        .clear_login_failures(FailureKind::LoginId, &throttle::login_subject(login_id))
        .await?;
    let token = new_token();
    let created = now();
    let session = Session {
        token_hash: token_hash(&token),
        login_id: account.login_id.clone(),
        tenant: account.tenant.clone(),
        csrf: new_token(),
        created_at: created,
        expires_at: created + state.config.session_idle_secs,
    };
    state.store.create_session(&session).await?;
    let staff = Staff { account, session };
    record(&state, &staff, "ログイン", String::new()).await?;
    Ok((
        [(
            SET_COOKIE,
            session_cookie(&token, state.config.session_max_secs),
        )],
        Redirect::to("/"),
    )
        .into_response())
}

/// 429 with the login form and why sign-in is refused for now.
fn locked(csrf: &str, message: &str, login_id: &str) -> Result<Response, WebError> {
    let page = login_form(csrf, Some(message), login_id)?;
    Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<Arc<WebState>>,
    staff: Staff,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    state
        .store
        .delete_session(&staff.session.token_hash)
        .await?;
    record(&state, &staff, "ログアウト", String::new()).await?;
    Ok((
        [(
            SET_COOKIE,
            format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        )],
        Redirect::to("/login"),
    )
        .into_response())
}
