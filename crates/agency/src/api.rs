//! The agency's handlers: answering the hub's forwarded inquiries (`Provide`, the hub only)
//! and its own staff's inquiries to insurers (`AgencyInquire`, this agency's certificate only).

use std::sync::Arc;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use http::StatusCode;
use renkei_core::{AgencyCode, InfoCode};
use renkei_ledger::exchange::{self, Asker, ExchangeError, Holder};
use renkei_ledger::party::PartyLog;
use renkei_store::StoreError;
use renkei_wire::msg::agency::{AgencyInquire, AgencyInquireRequest};
use renkei_wire::msg::hub::Fugo;
use renkei_wire::msg::inquiry::{
    InquireRequest, InquireResponse, Provide, ProvideRequest, ProvideResponse,
};
use renkei_wire::peer::HubClient;
use renkei_wire::signing::Signer;
use renkei_wire::{ApiError, Body, Endpoint, Identity, Role};

use crate::holdings::Items;
use crate::store::{Residents, Store};

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
    ExchangeError::Store {
        holder: HOLDER,
        source: e,
    }
    .into()
}

const HOLDER: &str = "情報保有機関";

/// An agency answers for itself, from its residents' holdings.
impl Holder for Agency {
    fn name(&self) -> &'static str {
        HOLDER
    }

    fn answers_for(&self, provider: &AgencyCode) -> bool {
        *provider == self.code
    }

    async fn holding(
        &self,
        _provider: &AgencyCode,
        fugo: &Fugo,
        info: &InfoCode,
    ) -> Result<Option<Items>, StoreError> {
        self.store.holding(fugo, info).await
    }
}

impl Agency {
    fn asker(&self) -> Asker<'_> {
        Asker {
            holder: HOLDER,
            records: &self.records,
            signer: &self.signer,
            hub: &self.hub,
        }
    }
}

async fn provide(
    State(agency): State<Arc<Agency>>,
    caller: Identity,
    body: Result<Body<ProvideRequest>, ApiError>,
) -> Result<Json<ProvideResponse>, ApiError> {
    let Body(req) = body?;
    let answer =
        exchange::provide(&*agency, &agency.records, &agency.signer, &caller, &req).await?;
    Ok(Json(answer))
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
    let asker = agency.asker();
    asker.sign(&mut request).await;
    Ok(Json(asker.ask_hub(&request).await?))
}

pub fn router(agency: Arc<Agency>) -> Router {
    Router::new()
        .route(Provide::PATH, post(provide))
        .route(AgencyInquire::PATH, post(inquire))
        .with_state(agency)
}
