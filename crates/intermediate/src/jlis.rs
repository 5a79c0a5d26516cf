//! 個人番号入手: an insurer's look-ups at J-LIS, relayed. The 統合専用端末 sends a look-up by
//! 個人番号 or a search by 基本4情報 naming one of its 保険者番号 and a purpose; the
//! intermediate server checks that the caller is the tenant holding that 保険者番号 and
//! forwards the request to `registry` with `on_behalf_of` set to the tenant, so the registry's
//! look-up log names the insurer. The registry checks the purpose, logs and answers; its
//! refusals (bad purpose, missing items) reach the insurer unchanged. The 個人番号 travels only
//! in request bodies.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use renkei_core::{AgencyCode, InsurerNumber};
use renkei_wire::msg::registry::{
    LookupAnswer, LookupRequest, RelayLookup, RelaySearch, SearchAnswer, SearchRequest,
};
use renkei_wire::peer::RegistryClient;
use renkei_wire::{ApiError, Body, CallError, Endpoint, Identity, Role};

use crate::registration::Registrar;

/// What the relay needs: the tenants (from the registrar's store) and a client of the
/// registry.
pub struct Relay {
    registrar: Arc<Registrar>,
    registry: RegistryClient,
}

impl Relay {
    pub fn new(registrar: Arc<Registrar>, registry: RegistryClient) -> Relay {
        Relay {
            registrar,
            registry,
        }
    }

    /// The institution code of the tenant holding `insurer_number`, if `caller` is it.
    async fn tenant(
        &self,
        caller: &Identity,
        insurer_number: Option<&str>,
    ) -> Result<AgencyCode, ApiError> {
        if caller.role != Role::Insurer {
            return Err(ApiError::forbidden(
                "J-LIS への照会は医療保険者の統合専用端末からのみ行えます",
            ));
        }
        let Some(number) = insurer_number.map(str::trim).filter(|n| !n.is_empty()) else {
            return Err(ApiError::bad_request(
                "bad_request",
                "insurer_number: 保険者番号を指定してください",
            ));
        };
        let tenant = self
            .registrar
            .store()
            .tenant_by_insurer_number(number)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "store failure");
                ApiError::unavailable(
                    "store_unavailable",
                    "中間サーバの保存処理でエラーが発生しました。しばらくしてから再送してください",
                )
            })?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_insurer",
                    format!("保険者番号 {number} は中間サーバに登録されていません"),
                )
            })?;
        if tenant.code != caller.code {
            return Err(ApiError::forbidden(format!(
                "保険者番号 {number} は貴機関（{}）の保険者番号ではありません",
                caller.code
            )));
        }
        Ok(tenant.code)
    }
}

/// A registry refusal is passed on as it is; anything else is "J-LIS unavailable".
fn peer_error(e: CallError) -> ApiError {
    match e {
        CallError::Api(api) if api.status < 500 => api,
        e => {
            tracing::warn!(error = %e, "registry call failed");
            ApiError::unavailable(
                "registry_unavailable",
                "住基ネット（J-LIS）に接続できません。しばらくしてから再度照会してください",
            )
        }
    }
}

type Shared = State<Arc<Relay>>;

async fn lookup(
    State(relay): Shared,
    caller: Identity,
    Body(mut req): Body<LookupRequest>,
) -> Result<Json<LookupAnswer>, ApiError> {
    let tenant = relay
        .tenant(
            &caller,
            req.insurer_number.as_ref().map(InsurerNumber::as_str),
        )
        .await?;
    req.on_behalf_of = Some(tenant);
    Ok(Json(relay.registry.lookup(&req).await.map_err(peer_error)?))
}

async fn search(
    State(relay): Shared,
    caller: Identity,
    Body(mut req): Body<SearchRequest>,
) -> Result<Json<SearchAnswer>, ApiError> {
    let tenant = relay
        .tenant(
            &caller,
            req.insurer_number.as_ref().map(InsurerNumber::as_str),
        )
        .await?;
    req.on_behalf_of = Some(tenant);
    Ok(Json(relay.registry.search(&req).await.map_err(peer_error)?))
}

/// The relay's routes.
pub fn router(relay: Relay) -> Router {
    Router::new()
        .route(RelayLookup::PATH, post(lookup))
        .route(RelaySearch::PATH, post(search))
        .with_state(Arc::new(relay))
}
