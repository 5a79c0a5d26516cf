//! HTTP handlers: parse, call the registration service, map its errors to the network's
//! error body. The one exhaustive mapping below is the policy for status codes and messages.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use renkei_wire::msg::intermediate::{
    FinishRegistration, FinishRegistrationRequest, JobStatus, RegisterChunk, RegisterChunkRequest,
    RegisterChunkResponse, StartRegistration, StartRegistrationRequest,
};
use renkei_wire::{ApiError, Body, Endpoint, Identity};

use crate::registration::{Registrar, RegistrationError};

impl From<RegistrationError> for ApiError {
    fn from(e: RegistrationError) -> ApiError {
        let message = e.to_string();
        match e {
            RegistrationError::Forbidden(_) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
            }
            RegistrationError::UnknownInsurer(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "unknown_insurer", message)
            }
            RegistrationError::UnknownJob => {
                ApiError::new(StatusCode::NOT_FOUND, "unknown_job", message)
            }
            RegistrationError::Header(_) => ApiError::bad_request("bad_header", message),
            RegistrationError::BadRequest(_) => ApiError::bad_request("bad_request", message),
            RegistrationError::RegistryUnavailable => {
                ApiError::unavailable("registry_unavailable", message)
            }
            RegistrationError::HubUnavailable => ApiError::unavailable("hub_unavailable", message),
            RegistrationError::PreviousChunkMissing(_) => {
                ApiError::unavailable("previous_chunk_missing", message)
            }
            RegistrationError::PeerRefused(..) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "peer_refused", message)
            }
            RegistrationError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                ApiError::unavailable(
                    "store_unavailable",
                    "中間サーバの保存処理でエラーが発生しました。しばらくしてから再送してください",
                )
            }
        }
    }
}

type Shared = State<Arc<Registrar>>;

async fn start(
    State(r): Shared,
    caller: Identity,
    Body(req): Body<StartRegistrationRequest>,
) -> Result<Json<JobStatus>, ApiError> {
    Ok(Json(r.start(&caller, req).await?))
}

async fn chunk(
    State(r): Shared,
    caller: Identity,
    Body(req): Body<RegisterChunkRequest>,
) -> Result<Json<RegisterChunkResponse>, ApiError> {
    Ok(Json(RegisterChunkResponse {
        results: r.chunk(&caller, req).await?,
    }))
}

async fn finish(
    State(r): Shared,
    caller: Identity,
    Body(req): Body<FinishRegistrationRequest>,
) -> Result<Json<JobStatus>, ApiError> {
    Ok(Json(r.finish(&caller, req).await?))
}

pub fn router(registrar: Arc<Registrar>) -> Router {
    Router::new()
        .route(StartRegistration::PATH, post(start))
        .route(RegisterChunk::PATH, post(chunk))
        .route(FinishRegistration::PATH, post(finish))
        .with_state(registrar)
}
