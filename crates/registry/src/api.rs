//! The registry's HTTP API: each handler authorizes the caller by its certificate's role,
//! checks the batch size and asks the store. Errors map to [`ApiError`] in one place
//! ([`RegistryError`]), with a stable code and a Japanese message that never names a number.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use renkei_store::StoreError;
use renkei_wire::metrics::{Counter, Metrics};
use renkei_wire::msg::registry::{
    IdentityAnswer, IdentityQuery, ResidentCodeAnswer, ResidentCodeQuery, ResolveResidentCodes,
    VerifyIdentities,
};
use renkei_wire::{ApiError, Body, Endpoint, Identity};

use crate::domain::{authorize, check_batch, Lookup, Refusal};
use crate::store::Store;

/// Why a request failed, in the registry's words.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("{0}")]
    BatchTooLarge(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> ApiError {
        match e {
            RegistryError::Refused(r) => ApiError::forbidden(r.rule),
            RegistryError::BatchTooLarge(message) => {
                ApiError::bad_request("batch_too_large", message)
            }
            RegistryError::Store(e) => {
                tracing::error!(error = %e, "registry store failed");
                ApiError::internal()
            }
        }
    }
}

/// Counters of numbers looked up, by question and outcome (no personal data in labels).
#[derive(Clone)]
struct Served {
    found: Counter,
    unknown: Counter,
}

impl Served {
    fn new(metrics: &Metrics, lookup: &str) -> Served {
        let help = "個人番号 looked up at the registry, by question and outcome.";
        Served {
            found: metrics.counter(
                "renkei_registry_lookups_total",
                &[("lookup", lookup), ("result", "found")],
                help,
            ),
            unknown: metrics.counter(
                "renkei_registry_lookups_total",
                &[("lookup", lookup), ("result", "unknown")],
                help,
            ),
        }
    }

    fn count<T>(&self, answers: &[Option<T>]) {
        let found = answers.iter().filter(|a| a.is_some()).count() as u64;
        self.found.add(found);
        self.unknown.add(answers.len() as u64 - found);
    }
}

#[derive(Clone)]
struct ApiState {
    store: Store,
    identities: Served,
    codes: Served,
}

/// The registry's routes over `store`, counting into `metrics`.
pub fn router(store: Store, metrics: &Metrics) -> Router {
    let state = ApiState {
        store,
        identities: Served::new(metrics, "identity"),
        codes: Served::new(metrics, "resident_code"),
    };
    Router::new()
        .route(VerifyIdentities::PATH, post(verify_identities))
        .route(ResolveResidentCodes::PATH, post(resolve_resident_codes))
        .with_state(state)
}

async fn verify_identities(
    State(s): State<ApiState>,
    caller: Identity,
    body: Result<Body<IdentityQuery>, ApiError>,
) -> Result<Json<IdentityAnswer>, ApiError> {
    authorize(caller.role, Lookup::Identities).map_err(RegistryError::from)?;
    let Body(query) = body?;
    check_batch(query.numbers.len()).map_err(RegistryError::BatchTooLarge)?;
    let residents = s
        .store
        .identities(&query.numbers)
        .await
        .map_err(RegistryError::from)?;
    s.identities.count(&residents);
    tracing::info!(caller = %caller.code, batch = query.numbers.len(), "本人確認情報 served");
    Ok(Json(IdentityAnswer { residents }))
}

async fn resolve_resident_codes(
    State(s): State<ApiState>,
    caller: Identity,
    body: Result<Body<ResidentCodeQuery>, ApiError>,
) -> Result<Json<ResidentCodeAnswer>, ApiError> {
    authorize(caller.role, Lookup::ResidentCodes).map_err(RegistryError::from)?;
    let Body(query) = body?;
    check_batch(query.numbers.len()).map_err(RegistryError::BatchTooLarge)?;
    let codes = s
        .store
        .resident_codes(&query.numbers)
        .await
        .map_err(RegistryError::from)?;
    s.codes.count(&codes);
    tracing::info!(caller = %caller.code, batch = query.numbers.len(), "住民票コード served");
    Ok(Json(ResidentCodeAnswer { codes }))
}
