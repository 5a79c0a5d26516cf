//! The registry's HTTP API: each handler authorizes the caller by its certificate's role,
//! checks the batch size and asks the store. Errors map to [`ApiError`] in one place
//! ([`RegistryError`]), with a stable code and a Japanese message that never names a number.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use renkei_store::StoreError;
use renkei_wire::metrics::{Counter, Metrics};
use renkei_wire::msg::registry::{
    Candidate, IdentityAnswer, IdentityQuery, LookupAnswer, LookupRequest, LookupResidents,
    ResidentCodeAnswer, ResidentCodeQuery, ResolveResidentCodes, SearchAnswer, SearchRequest,
    SearchResidents, VerifyIdentities,
};
use renkei_wire::msg::resident_changes::{
    ChangeOutcome, ChangeReport, ChangeReportAnswer, ReportResidentChanges,
};
use renkei_wire::{ApiError, Body, Endpoint, Identity, Role};

use crate::audit::AuditLog;
use crate::changes::{self, Municipality};
use crate::domain::{authorize, check_batch, Lookup, Refusal};
use crate::jlis::{self, LogEntry, LookupError, LookupKind};
use crate::store::Store;

/// Why a request failed, in the registry's words.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("{0}")]
    BatchTooLarge(String),
    #[error("{0}")]
    Lookup(#[from] LookupError),
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
            RegistryError::Lookup(LookupError::Forbidden(message)) => ApiError::forbidden(message),
            RegistryError::Lookup(LookupError::BadRequest(message)) => {
                ApiError::bad_request("bad_lookup", message)
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
    audit: AuditLog,
    identities: Served,
    codes: Served,
    by_number: Served,
    searches: Served,
    changes: ChangeCounters,
}

/// Reported changes by outcome (no personal data in labels).
#[derive(Clone)]
struct ChangeCounters {
    applied: Counter,
    already: Counter,
    refused: Counter,
}

impl ChangeCounters {
    fn new(metrics: &Metrics) -> ChangeCounters {
        let help = "Residents' changes reported by municipalities, by outcome.";
        let counter =
            |result| metrics.counter("renkei_registry_changes_total", &[("result", result)], help);
        ChangeCounters {
            applied: counter("applied"),
            already: counter("already_applied"),
            refused: counter("refused"),
        }
    }
}

/// The registry's routes over `store`, counting into `metrics` (starts the look-up log's
/// writer, so it needs a Tokio runtime).
pub fn router(store: Store, metrics: &Metrics) -> Router {
    let state = ApiState {
        audit: AuditLog::start(store.clone()),
        store,
        identities: Served::new(metrics, "identity"),
        codes: Served::new(metrics, "resident_code"),
        by_number: Served::new(metrics, "jlis_number"),
        searches: Served::new(metrics, "jlis_basic4"),
        changes: ChangeCounters::new(metrics),
    };
    Router::new()
        .route(VerifyIdentities::PATH, post(verify_identities))
        .route(ResolveResidentCodes::PATH, post(resolve_resident_codes))
        .route(LookupResidents::PATH, post(lookup_residents))
        .route(SearchResidents::PATH, post(search_residents))
        .route(ReportResidentChanges::PATH, post(report_changes))
        .with_state(state)
}

/// Only insurers and `intermediate` get as far as reading the body of a look-up.
fn may_look_up(caller: &Identity) -> Result<(), RegistryError> {
    if matches!(caller.role, Role::Insurer | Role::Intermediate) {
        Ok(())
    } else {
        jlis::authorize(caller, None)
            .map(drop)
            .map_err(RegistryError::from)
    }
}

async fn lookup_residents(
    State(s): State<ApiState>,
    caller: Identity,
    body: Result<Body<LookupRequest>, ApiError>,
) -> Result<Json<LookupAnswer>, ApiError> {
    may_look_up(&caller)?;
    let Body(req) = body?;
    let purpose = jlis::check_purpose(&req.purpose).map_err(RegistryError::from)?;
    let for_whom =
        jlis::authorize(&caller, req.on_behalf_of.as_deref()).map_err(RegistryError::from)?;
    jlis::check_lookup_batch(req.numbers.len(), "個人番号").map_err(RegistryError::from)?;
    let residents = s
        .store
        .current(&req.numbers)
        .await
        .map_err(RegistryError::from)?;
    let at = jlis::now_rfc3339();
    let entries = req
        .numbers
        .iter()
        .zip(&residents)
        .map(|(n, r)| LogEntry {
            at: at.clone(),
            caller: caller.code.clone(),
            on_behalf_of: for_whom.clone(),
            insurer_number: req.insurer_number.as_ref().map(|n| n.as_str().to_owned()),
            purpose: purpose.to_owned(),
            kind: LookupKind::Number,
            asked: s.store.number_key_hex(n),
            candidates: u32::from(r.is_some()),
        })
        .collect();
    s.audit.write(entries).await.map_err(RegistryError::from)?;
    s.by_number.count(&residents);
    tracing::debug!(caller = %caller.code, on_behalf_of = %for_whom, purpose, batch = req.numbers.len(), "個人番号による照会");
    Ok(Json(LookupAnswer { residents }))
}

async fn search_residents(
    State(s): State<ApiState>,
    caller: Identity,
    body: Result<Body<SearchRequest>, ApiError>,
) -> Result<Json<SearchAnswer>, ApiError> {
    may_look_up(&caller)?;
    let Body(req) = body?;
    let purpose = jlis::check_purpose(&req.purpose).map_err(RegistryError::from)?;
    let for_whom =
        jlis::authorize(&caller, req.on_behalf_of.as_deref()).map_err(RegistryError::from)?;
    jlis::check_lookup_batch(req.queries.len(), "検索条件").map_err(RegistryError::from)?;
    let limit = jlis::limit(req.limit).map_err(RegistryError::from)?;
    let queries = req
        .queries
        .iter()
        .enumerate()
        .map(|(i, q)| jlis::basic4(i + 1, q))
        .collect::<Result<Vec<_>, _>>()
        .map_err(RegistryError::from)?;
    let store = s.store.clone();
    let hits = tokio::task::spawn_blocking(move || {
        queries
            .iter()
            .map(|q| store.index().search(q, limit))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| RegistryError::Store(StoreError::Corrupt(e.to_string())))?;
    let numbers: Vec<_> = hits.iter().flatten().map(|h| h.my_number.clone()).collect();
    let mut residents = s
        .store
        .current(&numbers)
        .await
        .map_err(RegistryError::from)?
        .into_iter();
    let results: Vec<Vec<Candidate>> = hits
        .into_iter()
        .map(|list| {
            list.into_iter()
                .filter_map(|h| {
                    // A resident removed from the store since the search is left out.
                    residents.next().flatten().map(|resident| Candidate {
                        items: jlis::items(&h.score),
                        score: h.score.score,
                        my_number: h.my_number,
                        resident,
                    })
                })
                .collect()
        })
        .collect();
    let at = jlis::now_rfc3339();
    let entries = req
        .queries
        .iter()
        .zip(&results)
        .map(|(q, found)| LogEntry {
            at: at.clone(),
            caller: caller.code.clone(),
            on_behalf_of: for_whom.clone(),
            insurer_number: req.insurer_number.as_ref().map(|n| n.as_str().to_owned()),
            purpose: purpose.to_owned(),
            kind: LookupKind::Basic4,
            asked: jlis::describe_query(q),
            candidates: found.len() as u32,
        })
        .collect();
    s.audit.write(entries).await.map_err(RegistryError::from)?;
    s.searches.count(
        &results
            .iter()
            .map(|r| r.first().map(|_| ()))
            .collect::<Vec<_>>(),
    );
    tracing::debug!(caller = %caller.code, on_behalf_of = %for_whom, purpose, batch = req.queries.len(), "基本4情報による検索");
    Ok(Json(SearchAnswer { results }))
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

/// 異動の届出: a municipality's 転居・氏名変更・消除 of its own residents. Bad records are
/// answered one by one; the valid ones beside them are applied.
async fn report_changes(
    State(s): State<ApiState>,
    caller: Identity,
    body: Result<Body<ChangeReport>, ApiError>,
) -> Result<Json<ChangeReportAnswer>, ApiError> {
    let reporter = Municipality::of(&caller).map_err(RegistryError::from)?;
    let Body(req) = body?;
    changes::check_changes_batch(req.changes.len()).map_err(RegistryError::BatchTooLarge)?;
    let parsed = changes::parse_batch(&req.changes, changes::today_jst());
    let reports: Vec<_> = parsed
        .iter()
        .filter_map(|p| p.as_ref().ok())
        .cloned()
        .collect();
    let verdicts = s
        .store
        .report_changes(&reporter, reports)
        .await
        .map_err(RegistryError::from)?;
    let (results, applied) = changes::answer(&req.changes, parsed, verdicts, &reporter);
    for ((kind, on), count) in &applied {
        tracing::info!(municipality = reporter.code(), kind, on = %on, count, "住民の異動を反映");
    }
    let count = |f: fn(&ChangeOutcome) -> bool| results.iter().filter(|r| f(&r.outcome)).count();
    let (done, already, refused) = (
        count(|o| *o == ChangeOutcome::Applied),
        count(|o| *o == ChangeOutcome::AlreadyApplied),
        count(|o| matches!(o, ChangeOutcome::Refused { .. })),
    );
    s.changes.applied.add(done as u64);
    s.changes.already.add(already as u64);
    s.changes.refused.add(refused as u64);
    tracing::info!(
        municipality = reporter.code(),
        caller = %caller.code,
        batch = results.len(),
        applied = done,
        already_applied = already,
        refused,
        "異動の届出"
    );
    Ok(Json(ChangeReportAnswer { results }))
}
