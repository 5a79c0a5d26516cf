//! The registry's HTTP API: each handler authorizes the caller by its certificate's role,
//! checks the batch size and asks the store. Errors map to [`ApiError`] in one place
//! ([`RegistryError`]), with a stable code and a Japanese message that never names a number.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use renkei_store::StoreError;
use renkei_wire::metrics::{Counter, Metrics};
use renkei_wire::msg::registry::{
    IdentityAnswer, IdentityQuery, ResidentCodeAnswer, ResidentCodeQuery, ResolveResidentCodes,
    VerifyIdentities,
};
use renkei_wire::{ApiError, Endpoint, Identity};

use crate::domain::{authorize, check_batch, Lookup, Refusal};
use crate::store::Store;

/// Why a request failed, in the registry's words.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("{0}")]
    BatchTooLarge(String),
    /// The body is not the endpoint's JSON. serde's own text can quote a value, so only this
    /// fixed message is returned.
    #[error(
        "要求の形式が正しくありません（個人番号は12桁の数字の文字列で、検査数字が正しいこと）"
    )]
    BadRequest,
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
            e @ RegistryError::BadRequest => {
                ApiError::bad_request("invalid_request", e.to_string())
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
    body: Result<Json<IdentityQuery>, JsonRejection>,
) -> Result<Json<IdentityAnswer>, ApiError> {
    authorize(caller.role, Lookup::Identities).map_err(RegistryError::from)?;
    let Json(query) = body.map_err(|_| RegistryError::BadRequest)?;
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
    body: Result<Json<ResidentCodeQuery>, JsonRejection>,
) -> Result<Json<ResidentCodeAnswer>, ApiError> {
    authorize(caller.role, Lookup::ResidentCodes).map_err(RegistryError::from)?;
    let Json(query) = body.map_err(|_| RegistryError::BadRequest)?;
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
