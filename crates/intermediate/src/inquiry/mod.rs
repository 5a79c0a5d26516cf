//! 情報照会 in `intermediate` (workflow 2), for its insurer tenants:
//!
//! - asking: an insurer names its subscriber by 枝番; `intermediate` finds the insurer's 符号,
//!   signs the request with its own key (it acts for the tenant) and asks the hub;
//! - answering: the hub forwards an inquiry addressed to a tenant with the tenant's 符号;
//!   `intermediate` finds the subscriber and answers from what it holds ([`answer`]), signed.
//!
//! The insurer never sees a 符号; the hub never sees a 枝番.

pub mod answer;
pub mod store;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use renkei_core::{AgencyCode, InfoCode};
use renkei_ledger::exchange::{self, Asker, ExchangeError, Holder};
use renkei_ledger::party::{outcome_of, PartyLog, Side};
use renkei_ledger::record_log::Outcome;
use renkei_store::StoreError;
use renkei_wire::msg::hub::Fugo;
use renkei_wire::msg::inquiry::{
    answer_digest, answer_message_parts, InquireRequest, InquireResponse, InquiryAnswer,
    InsurerInquire, InsurerInquireRequest, Provide, ProvideRequest, ProvideResponse, Provided,
    RecordInternalRequest,
};
use renkei_wire::peer::HubClient;
use renkei_wire::signing::{SenderSignature, Signer};
use renkei_wire::{ApiError, Body, CallError, Endpoint, Identity, Role};

use crate::registration::Registrar;

/// What the inquiry handlers share.
pub struct Inquiries {
    pub registrar: Arc<Registrar>,
    pub hub: HubClient,
    pub signer: Signer,
    /// The tenants' own record of the exchanges they take part in, as asker and provider.
    pub records: PartyLog,
}

const HOLDER: &str = "中間サーバ";

fn store_error(e: renkei_store::StoreError) -> ApiError {
    ExchangeError::Store {
        holder: HOLDER,
        source: e,
    }
    .into()
}

/// The intermediate server holds for every tenant: a tenant without the person holds
/// nothing, which is an answer.
impl Holder for Inquiries {
    fn name(&self) -> &'static str {
        HOLDER
    }

    fn answers_for(&self, _provider: &AgencyCode) -> bool {
        true
    }

    async fn holding(
        &self,
        provider: &AgencyCode,
        fugo: &Fugo,
        info: &InfoCode,
    ) -> Result<Option<BTreeMap<String, String>>, StoreError> {
        let store = self.registrar.store();
        match store::branch_of_fugo(store, provider, &fugo.0).await? {
            Some(branch) => answer::answer(store, provider, &branch, info).await,
            None => Ok(None),
        }
    }
}

impl Inquiries {
    fn asker(&self) -> Asker<'_> {
        Asker {
            holder: HOLDER,
            records: &self.records,
            signer: &self.signer,
            hub: &self.hub,
        }
    }
}

async fn insurer_inquire(
    State(me): State<Arc<Inquiries>>,
    caller: Identity,
    body: Result<Body<InsurerInquireRequest>, ApiError>,
) -> Result<Json<InquireResponse>, ApiError> {
    let Body(req) = body?;
    if caller.role != Role::Insurer {
        return Err(ApiError::forbidden(
            "情報照会は医療保険者の統合専用端末からのみ行えます",
        ));
    }
    let store = me.registrar.store();
    let (tenant, fugo, internal) = store::asker_context(
        store,
        req.insurer_number.as_str(),
        &req.branch,
        &req.provider,
    )
    .await
    .map_err(store_error)?
    .ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_insurer",
            format!("保険者番号 {} は登録されていません", req.insurer_number),
        )
    })?;
    if tenant != caller.code {
        return Err(ApiError::forbidden(format!(
            "保険者番号 {} は貴機関（{}）の保険者番号ではありません",
            req.insurer_number, caller.code
        )));
    }
    let fugo = fugo.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_branch",
            format!(
                "照会番号 {}: 被保険者枝番「{}」の加入者は登録されていません",
                req.request_id, req.branch
            ),
        )
    })?;
    let mut request = InquireRequest {
        request_id: req.request_id,
        asker: tenant,
        fugo: Fugo(fugo),
        task: req.task,
        info: req.info,
        provider: req.provider,
        signature: SenderSignature::empty(),
    };
    let asker = me.asker();
    asker.sign(&mut request).await;
    if internal {
        return between_tenants(&me, &req.branch, request).await.map(Json);
    }
    Ok(Json(asker.ask_hub(&request).await?))
}

/// An inquiry to another tenant of this server: the person is found there through the person
/// index (by 枝番, never leaving this server), the hub authorizes and records the exchange,
/// and only then is the answer released.
async fn between_tenants(
    me: &Inquiries,
    branch: &str,
    inquiry: InquireRequest,
) -> Result<InquireResponse, ApiError> {
    let (provided, provider_fugo) = held_inside(me, branch, &inquiry).await?;
    let kind = match provided {
        Provided::Data { .. } => 0,
        Provided::NoRecord => 1,
    };
    let digest = answer_digest(&provider_fugo, &provided);
    let answer_signature = me
        .signer
        .sign_batched(&answer_message_parts(
            &inquiry.request_id,
            &inquiry.asker,
            &inquiry.provider,
            &inquiry.task,
            &inquiry.info,
            kind,
            &digest,
        ))
        .await;
    let recorded = me
        .hub
        .record_internal(&RecordInternalRequest {
            inquiry: inquiry.clone(),
            answer_kind: kind,
            answer_digest: digest,
            answer_signature,
        })
        .await
        .map_err(|e| hub_error_inside(e, &inquiry.request_id))?;
    let answer = match (recorded.refused, provided) {
        (Some((code, message)), _) => InquiryAnswer::Refused { code, message },
        // A re-send of an exchange recorded as "no record" stays "no record".
        (None, _) if recorded.recorded_kind == "no_record" => InquiryAnswer::NoRecord,
        (None, Provided::Data { items }) => InquiryAnswer::Data { items },
        (None, Provided::NoRecord) => InquiryAnswer::NoRecord,
    };
    // Both tenants' records, with the hub's entry number: the provider's only when it
    // answered (not when the table refused).
    let outcome = outcome_of(&answer);
    let asker = me.asker();
    if !matches!(outcome, Outcome::Refused(_)) {
        asker
            .keep(
                Side::Provided,
                &inquiry,
                outcome.clone(),
                Some(recorded.record),
            )
            .await?;
    }
    asker
        .keep(Side::Asked, &inquiry, outcome, Some(recorded.record))
        .await?;
    Ok(InquireResponse {
        request_id: inquiry.request_id,
        answer,
        record: recorded.record,
        replayed: recorded.replayed,
    })
}

/// What the provider tenant holds on the asker's subscriber (found through the person index),
/// with the provider tenant's 符号 — empty when the person is not its subscriber, so that the
/// digest still covers a 符号.
async fn held_inside(
    me: &Inquiries,
    branch: &str,
    inquiry: &InquireRequest,
) -> Result<(Provided, Fugo), ApiError> {
    let store = me.registrar.store();
    let person = store::person_of_branch(store, &inquiry.asker, branch)
        .await
        .map_err(store_error)?
        .ok_or_else(ApiError::internal)?;
    let found = store::subscriber_of_person(store, &inquiry.provider, &person)
        .await
        .map_err(store_error)?;
    let Some((other_branch, fugo)) = found else {
        return Ok((Provided::NoRecord, Fugo(String::new())));
    };
    let items = answer::answer(store, &inquiry.provider, &other_branch, &inquiry.info)
        .await
        .map_err(store_error)?;
    let provided = match items {
        Some(items) => Provided::Data { items },
        None => Provided::NoRecord,
    };
    Ok((provided, Fugo(fugo)))
}

/// The hub's refusal of the request passes on; an unreachable hub means the exchange cannot be
/// recorded, so no answer is released.
fn hub_error_inside(e: CallError, request_id: &str) -> ApiError {
    match e {
        CallError::Api(e) => e,
        e => {
            tracing::warn!(error = %e, "hub unavailable for an internal inquiry");
            ApiError::unavailable(
                "hub_unavailable",
                format!(
                    "情報提供ネットワークシステムに接続できないため照会を記録できません（照会番号 {request_id}）。同じ照会番号で再送してください"
                ),
            )
        }
    }
}

async fn provide(
    State(me): State<Arc<Inquiries>>,
    caller: Identity,
    body: Result<Body<ProvideRequest>, ApiError>,
) -> Result<Json<ProvideResponse>, ApiError> {
    let Body(req) = body?;
    let answer = exchange::provide(&*me, &me.records, &me.signer, &caller, &req).await?;
    Ok(Json(answer))
}

pub fn router(inquiries: Arc<Inquiries>) -> Router {
    Router::new()
        .route(InsurerInquire::PATH, post(insurer_inquire))
        .route(Provide::PATH, post(provide))
        .with_state(inquiries)
}
