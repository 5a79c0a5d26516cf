//! What a page shows when something goes wrong: the status and a Japanese message saying what
//! to do. Store failures are logged (without personal data) and shown as a generic message.

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use renkei_store::StoreError;

use super::render;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    Forbidden(String),
    #[error("お探しのページはありません。メニューから選び直してください。")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("送信された内容が大きすぎます。ファイルは登録の画面から送ってください。")]
    TooLarge,
    #[error("保存データを読み書きできません。しばらくしてからもう一度操作してください。")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Store(_) | WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn title(&self) -> &'static str {
        match self {
            WebError::Forbidden(_) => "権限がありません",
            WebError::NotFound => "ページが見つかりません",
            WebError::BadRequest(_) | WebError::TooLarge => "入力を確認してください",
            WebError::Store(_) | WebError::Internal(_) => "処理できませんでした",
        }
    }
}

/// The title and message of an error page, kept on the response so that
/// `pages::with_chrome` can show it again inside the signed-in frame (menu, sign-out).
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub title: &'static str,
    pub message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::Store(e) = &self {
            tracing::error!(error = %e, "web terminal store failed");
        }
        let status = self.status();
        let page = ErrorPage {
            title: self.title(),
            message: self.to_string(),
        };
        let body = render::page(
            "error.html",
            minijinja::context! { title => page.title, message => page.message },
        )
        .unwrap_or_else(|_| page.message.clone());
        let mut response = (status, Html(body)).into_response();
        response.extensions_mut().insert(page);
        response
    }
}
