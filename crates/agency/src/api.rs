//! The agency's handlers: answering the hub's forwarded inquiries (`Provide`, the hub only)
//! and its own staff's inquiries to insurers (`AgencyInquire`, this agency's certificate only).

use std::sync::Arc;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use http::StatusCode;
use renkei_core::AgencyCode;
use renkei_ledger::party::{outcome_of, PartyLog, PartyRecord, Side};
use renkei_wire::msg::agency::{AgencyInquire, AgencyInquireRequest};
use renkei_wire::msg::inquiry::{
    InquireRequest, InquireResponse, Provide, ProvideRequest, ProvideResponse, Provided,
};
use renkei_wire::peer::HubClient;
use renkei_wire::signing::Signer;
use renkei_wire::{ApiError, Body, CallError, Endpoint, Identity, Role};

use crate::store::Store;

/// What the handlers share.
pub struct Agency {
    pub code: AgencyCode,
    pub store: Store,
    /// This agency's own record of the exchanges it takes part in.
    pub records: PartyLog,
    pub signer: Signer,
    pub hub: HubClient,
}

fn store_error(e: renkei_store::StoreError) -> ApiError {
    tracing::error!(error = %e, "agency store failed");
    ApiError::unavailable(
        "store_unavailable",
        "情報保有機関の保存処理でエラーが発生しました。しばらくしてから再送してください",
    )
}

async fn provide(
    State(agency): State<Arc<Agency>>,
    caller: Identity,
    body: Result<Body<ProvideRequest>, ApiError>,
) -> Result<Json<ProvideResponse>, ApiError> {
    if caller.role != Role::Hub {
        return Err(ApiError::forbidden(
            "照会に回答するのは情報提供ネットワークシステム経由の照会だけです（規則: 提供は hub 経由に限る）",
        ));
    }
    let Body(req) = body?;
    if req.provider != agency.code {
        return Err(ApiError::bad_request(
            "wrong_provider",
            format!(
                "照会番号 {}: 提供者「{}」宛ての照会ですが、この機関は「{}」です",
                req.request_id, req.provider, agency.code
            ),
        ));
    }
    let answer = match agency
        .store
        .holding(&req.fugo, &req.info)
        .await
        .map_err(store_error)?
    {
        Some(items) => Provided::Data { items },
        None => Provided::NoRecord,
    };
    agency
        .records
        .provide(&agency.code, &agency.signer, &req, answer)
        .await
        .map(Json)
        .map_err(store_error)
}

async fn inquire(
    State(agency): State<Arc<Agency>>,
    caller: Identity,
    body: Result<Body<AgencyInquireRequest>, ApiError>,
) -> Result<Json<InquireResponse>, ApiError> {
    if caller.role != Role::Agency || caller.code != agency.code.as_str() {
        return Err(ApiError::forbidden(format!(
            "この機関（{}）の職員だけが照会できます（規則: 照会は自機関分に限る）",
            agency.code
        )));
    }
    let Body(req) = body?;
    let fugo = agency
        .store
        .fugo_of(&req.atena)
        .await
        .map_err(store_error)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_resident",
                format!(
                    "照会番号 {}: 宛名番号「{}」の住民は登録されていません",
                    req.request_id, req.atena
                ),
            )
        })?;
    let mut request = InquireRequest {
        request_id: req.request_id,
        asker: agency.code.clone(),
        fugo,
        task: req.task,
        info: req.info,
        provider: req.provider,
        signature: renkei_wire::signing::SenderSignature::empty(),
    };
    request.signature = agency.signer.sign_batched(&request.signed_message()).await;
    match agency.hub.inquire(&request).await {
        Ok(answer) => {
            agency
                .records
                .record(PartyRecord::now(
                    &agency.code,
                    Side::Asked,
                    &request.asker,
                    &request.provider,
                    &request.task,
                    &request.info,
                    &request.request_id,
                    outcome_of(&answer.answer),
                    Some(answer.record),
                ))
                .await
                .map_err(store_error)?;
            Ok(Json(answer))
        }
        Err(CallError::Api(e)) => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "hub unavailable");
            Err(ApiError::unavailable(
                "hub_unavailable",
                format!(
                    "情報提供ネットワークシステムに接続できません（照会番号 {}）。同じ照会番号で再送してください",
                    request.request_id
                ),
            ))
        }
    }
}

pub fn router(agency: Arc<Agency>) -> Router {
    Router::new()
        .route(Provide::PATH, post(provide))
        .route(AgencyInquire::PATH, post(inquire))
        .with_state(agency)
}
