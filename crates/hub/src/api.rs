//! The hub's HTTP API for workflow 1: IssueFugo. The handler authorizes the caller by its
//! certificate, checks the request and runs the [`Issuer`]. Errors map to [`ApiError`] in one
//! place ([`HubError`]), with a stable code and a Japanese message that never names a number.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use http::StatusCode;
use renkei_wire::msg::hub::{IssueFugo, IssueFugoRequest, IssueFugoResponse};
use renkei_wire::msg::inquiry::{
    Inquire, InquireRequest, InquireResponse, RecordInternal, RecordInternalRequest,
    RecordInternalResponse,
};
use renkei_wire::{ApiError, Body, Endpoint, Identity};

use crate::domain::{authorize_issue, check_batch, Refusal};
use crate::inquiry::{Inquiries, InquiryError};
use crate::issue::{IssueError, Issuer};

/// Why a request failed, in the hub's words.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("{0}")]
    BatchTooLarge(String),
    #[error("{0}")]
    Issue(#[from] IssueError),
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> ApiError {
        match e {
            HubError::Refused(r) => ApiError::forbidden(r.rule),
            HubError::BatchTooLarge(message) => ApiError::bad_request("batch_too_large", message),
            HubError::Issue(IssueError::RegistryUnavailable(e)) => {
                tracing::warn!(error = %e, "registry unavailable");
                ApiError::unavailable(
                    "registry_unavailable",
                    "住基ネット（J-LIS）に接続できないため機関別符号を発行できません。しばらくしてから再送してください。",
                )
            }
            HubError::Issue(IssueError::RegistryRefused(e)) => {
                tracing::error!(error = %e, "registry refused the hub");
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "registry_error",
                    "住基ネット（J-LIS）が照会を受け付けませんでした。運用担当者にお問い合わせください。",
                )
            }
            HubError::Issue(IssueError::Store(e)) => {
                tracing::error!(error = %e, "hub store failed");
                ApiError::internal()
            }
        }
    }
}

/// The hub's routes.
pub fn router(issuer: Issuer, inquiries: Inquiries) -> Router {
    Router::new()
        .route(IssueFugo::PATH, post(issue_fugo))
        .with_state(issuer)
        .merge(
            Router::new()
                .route(Inquire::PATH, post(inquire))
                .route(RecordInternal::PATH, post(record_internal))
                .with_state(inquiries),
        )
}

impl From<InquiryError> for ApiError {
    fn from(e: InquiryError) -> ApiError {
        let message = e.to_string();
        match e {
            InquiryError::Forbidden(_) => ApiError::forbidden(message),
            InquiryError::BadRequest(_) => ApiError::bad_request("invalid_inquiry", message),
            InquiryError::BadSignature(_) => ApiError::bad_request("bad_signature", message),
            InquiryError::UnknownAsker(_) => ApiError::bad_request("unknown_asker", message),
            InquiryError::UnknownProvider(_) => ApiError::bad_request("unknown_provider", message),
            InquiryError::UnknownFugo(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "unknown_fugo", message)
            }
            InquiryError::RequestIdReused(_) => {
                ApiError::new(StatusCode::CONFLICT, "request_id_reused", message)
            }
            InquiryError::Store(e) => {
                tracing::error!(error = %e, "hub store failed during an inquiry");
                ApiError::unavailable(
                    "store_unavailable",
                    "情報提供等記録に記録できませんでした。同じ照会番号で再送してください。",
                )
            }
        }
    }
}

async fn inquire(
    State(inquiries): State<Inquiries>,
    caller: Identity,
    body: Result<Body<InquireRequest>, ApiError>,
) -> Result<Json<InquireResponse>, ApiError> {
    let Body(request) = body?;
    Ok(Json(inquiries.inquire(&caller, request).await?))
}

async fn issue_fugo(
    State(issuer): State<Issuer>,
    caller: Identity,
    body: Result<Body<IssueFugoRequest>, ApiError>,
) -> Result<Json<IssueFugoResponse>, ApiError> {
    let Body(request) = body?;
    let agency = request.agency;
    authorize_issue(&caller, &agency).map_err(HubError::from)?;
    check_batch(request.numbers.len()).map_err(HubError::BatchTooLarge)?;
    let fugo = issuer
        .issue(&agency, &request.numbers)
        .await
        .map_err(HubError::from)?;
    Ok(Json(IssueFugoResponse { fugo }))
}

async fn record_internal(
    State(inquiries): State<Inquiries>,
    caller: Identity,
    body: Result<Body<RecordInternalRequest>, ApiError>,
) -> Result<Json<RecordInternalResponse>, ApiError> {
    let Body(request) = body?;
    Ok(Json(inquiries.record_internal(&caller, request).await?))
}
