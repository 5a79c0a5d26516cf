//! Typed messages: each endpoint names its path, its request and its response once, here in
//! `wire`, for both the server that answers it and the clients that call it.
//!
//! Errors cross the network as [`ApiError`]: an HTTP status, a stable machine code and a
//! Japanese message. By policy a message never carries a 個人番号 or other personal value.

use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A request/response pair served at `PATH` (always `POST` with a JSON body).
pub trait Endpoint {
    const PATH: &'static str;
    type Request: Serialize + DeserializeOwned + Send + Sync + 'static;
    type Response: Serialize + DeserializeOwned + Send + Sync + 'static;
}

/// The error body every system returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message} ({code})")]
pub struct ApiError {
    #[serde(skip, default = "default_status")]
    pub status: u16,
    /// Stable machine-readable code, e.g. `forbidden`, `unknown_insurer`.
    pub code: String,
    /// What happened and what to do, in Japanese.
    pub message: String,
}

fn default_status() -> u16 {
    500
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status: status.as_u16(),
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn bad_request(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unavailable(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "内部エラーが発生しました。運用担当者にお問い合わせください。",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self)).into_response()
    }
}

/// A JSON request body whose rejection never quotes the body: serde's own messages can echo a
/// value (such as a 個人番号 sent as a number), so a malformed body is refused with a fixed
/// message naming only the field and the position.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| {
                ApiError::bad_request("invalid_request", "リクエストの本文を読めませんでした。")
            })?;
        // The plain decoder on the way in (a registration chunk is 50,000 rows); only a body
        // that fails is read again, tracking the path, to name the field.
        serde_json::from_slice(&bytes).map(Body).map_err(|_| {
            let mut json = serde_json::Deserializer::from_slice(&bytes);
            let message = match serde_path_to_error::deserialize::<_, T>(&mut json) {
                Err(e) => decode_message(&e),
                Ok(_) => "リクエストの形式が正しくありません。".to_owned(),
            };
            ApiError::bad_request("invalid_request", message)
        })
    }
}

/// Names the field that could not be read and where, never its value: serde's own messages
/// quote the value ("invalid type: string \"…\""), and the value may be a 個人番号.
fn decode_message(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let inner = e.inner();
    let path = e.path().to_string();
    if path.is_empty() || path == "." {
        format!(
            "リクエストの形式が正しくありません（{}行{}列）。",
            inner.line(),
            inner.column()
        )
    } else {
        format!(
            "リクエストの項目「{path}」が正しくありません（{}行{}列）。",
            inner.line(),
            inner.column()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn malformed_bodies_are_refused_without_echoing_them() {
        #[derive(Debug, serde::Deserialize)]
        struct Query {
            #[allow(dead_code)]
            numbers: Vec<renkei_core::MyNumber>,
        }
        for body in [
            r#"{"numbers": [621498320257]}"#,
            r#"{"numbers": ["621498320258"]}"#,
            "{",
        ] {
            let req = Request::builder()
                .body(axum::body::Body::from(body))
                .unwrap();
            let err = Body::<Query>::from_request(req, &())
                .await
                .err()
                .expect("refused");
            assert_eq!((err.status, err.code.as_str()), (400, "invalid_request"));
            assert!(!err.message.contains("62149832025"), "{}", err.message);
            if body != "{" {
                assert!(
                    err.message.contains("項目「numbers[0]」"),
                    "{}",
                    err.message
                );
            }
        }
    }
}
