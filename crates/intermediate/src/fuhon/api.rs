//! HTTP handlers of 副本作成: parse, call the service, map its errors (one exhaustive match).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use renkei_wire::msg::fuhon::{
    CommitFuhon, CommitFuhonRequest, CommitFuhonResponse, FuhonChunk, FuhonChunkRequest,
    FuhonChunkResponse, FuhonDrift, FuhonDriftRequest, FuhonDriftResponse, FuhonVersions,
    FuhonVersionsRequest, FuhonVersionsResponse, StartFuhonRequest, StartFuhonResponse,
    StartFuhonUpload,
};
use renkei_wire::{ApiError, Body, Endpoint, Identity};

use super::service::{FuhonError, FuhonService};

impl From<FuhonError> for ApiError {
    fn from(e: FuhonError) -> ApiError {
        let message = e.to_string();
        match e {
            FuhonError::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            FuhonError::UnknownInsurer(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "unknown_insurer", message)
            }
            FuhonError::UnknownSession => {
                ApiError::new(StatusCode::NOT_FOUND, "unknown_upload", message)
            }
            FuhonError::BadRequest(_) => ApiError::bad_request("bad_request", message),
            FuhonError::Incomplete { .. } => {
                ApiError::new(StatusCode::CONFLICT, "incomplete_upload", message)
            }
            FuhonError::Store(e) => {
                tracing::error!(error = %e, "fuhon store failure");
                ApiError::unavailable(
                    "store_unavailable",
                    "中間サーバの保存処理でエラーが発生しました。副本は前の版のままです。しばらくしてから同じファイルを再送してください",
                )
            }
        }
    }
}

type Shared = State<Arc<FuhonService>>;

async fn start(
    State(s): Shared,
    caller: Identity,
    Body(req): Body<StartFuhonRequest>,
) -> Result<Json<StartFuhonResponse>, ApiError> {
    Ok(Json(s.start(&caller, req).await?))
}

async fn chunk(
    State(s): Shared,
    caller: Identity,
    Body(req): Body<FuhonChunkRequest>,
) -> Result<Json<FuhonChunkResponse>, ApiError> {
    Ok(Json(s.chunk(&caller, req).await?))
}

async fn commit(
    State(s): Shared,
    caller: Identity,
    Body(req): Body<CommitFuhonRequest>,
) -> Result<Json<CommitFuhonResponse>, ApiError> {
    Ok(Json(s.commit(&caller, req).await?))
}

async fn drift(
    State(s): Shared,
    caller: Identity,
    Body(req): Body<FuhonDriftRequest>,
) -> Result<Json<FuhonDriftResponse>, ApiError> {
    Ok(Json(s.drift(&caller, req).await?))
}

async fn versions(
    State(s): Shared,
    caller: Identity,
    Body(req): Body<FuhonVersionsRequest>,
) -> Result<Json<FuhonVersionsResponse>, ApiError> {
    Ok(Json(s.versions(&caller, req).await?))
}

pub fn router(service: Arc<FuhonService>) -> Router {
    Router::new()
        .route(StartFuhonUpload::PATH, post(start))
        .route(FuhonChunk::PATH, post(chunk))
        .route(CommitFuhon::PATH, post(commit))
        .route(FuhonDrift::PATH, post(drift))
        .route(FuhonVersions::PATH, post(versions))
        .with_state(service)
}
