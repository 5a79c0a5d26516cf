//! The two sides of an exchange as every party plays them, written once: the provider's
//! (a [`Holder`] answers what the hub forwards, records it, signs the answer) and the asker's
//! ([`Asker`]: sign, ask the hub, record the answer). `agency` is a holder and an asker for
//! itself; `intermediate` is both for each of its insurer tenants. What differs between them —
//! where the data comes from, how a person is named — stays in the system; the order of
//! checks, the records and the errors do not.

use std::collections::BTreeMap;
use std::future::Future;

use renkei_core::{AgencyCode, InfoCode};
use renkei_store::StoreError;
use renkei_wire::msg::hub::Fugo;
use renkei_wire::msg::inquiry::{
    InquireRequest, InquireResponse, ProvideRequest, ProvideResponse, Provided,
};
use renkei_wire::peer::HubClient;
use renkei_wire::signing::Signer;
use renkei_wire::{ApiError, CallError, Identity, Role};

use crate::party::{outcome_of, PartyLog, PartyRecord, Side};
use crate::record_log::Outcome;

/// An information holder (情報保有機関): answers the inquiries the hub forwards to it from
/// its own data.
pub trait Holder: Send + Sync {
    /// The holder's name in messages (e.g. 情報保有機関, 中間サーバ).
    fn name(&self) -> &'static str;

    /// Whether this holder answers for `provider` (an agency answers for itself only;
    /// `intermediate` for every tenant, and a tenant without the person holds nothing).
    fn answers_for(&self, provider: &AgencyCode) -> bool;

    /// What `provider` holds of kind `info` on the person its 符号 names; `None` when nothing.
    fn holding(
        &self,
        provider: &AgencyCode,
        fugo: &Fugo,
        info: &InfoCode,
    ) -> impl Future<Output = Result<Option<BTreeMap<String, String>>, StoreError>> + Send;
}

/// Why an exchange could not be carried out, in the parties' words.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("照会に回答するのは情報提供ネットワークシステム経由の照会だけです（規則: 提供は hub 経由に限る）")]
    NotFromHub,
    #[error(
        "照会番号 {request_id}: 提供者「{provider}」宛ての照会ですが、この機関は回答できません"
    )]
    WrongProvider {
        request_id: String,
        provider: AgencyCode,
    },
    #[error("{holder}の保存処理でエラーが発生しました。しばらくしてから再送してください")]
    Store {
        holder: &'static str,
        #[source]
        source: StoreError,
    },
    #[error("情報提供ネットワークシステムに接続できません（照会番号 {request_id}）。同じ照会番号で再送してください")]
    HubUnavailable { request_id: String },
    /// The hub refused the request itself (not the inquiry: a refusal by the permission
    /// table is an answer).
    #[error("{}（{}）", .0.message, .0.code)]
    Hub(ApiError),
}

impl From<ExchangeError> for ApiError {
    fn from(e: ExchangeError) -> ApiError {
        match e {
            ExchangeError::NotFromHub => ApiError::forbidden(e.to_string()),
            ExchangeError::WrongProvider { .. } => {
                ApiError::bad_request("wrong_provider", e.to_string())
            }
            ExchangeError::Store { ref source, .. } => {
                tracing::error!(error = %source, "store failure during an exchange");
                ApiError::unavailable("store_unavailable", e.to_string())
            }
            ExchangeError::HubUnavailable { .. } => {
                ApiError::unavailable("hub_unavailable", e.to_string())
            }
            ExchangeError::Hub(api) => api,
        }
    }
}

/// The provider's side: checks that the hub forwarded it to a provider this holder answers
/// for, finds the data, records providing it and signs the answer.
pub async fn provide<H: Holder>(
    holder: &H,
    records: &PartyLog,
    signer: &Signer,
    caller: &Identity,
    req: &ProvideRequest,
) -> Result<ProvideResponse, ExchangeError> {
    if caller.role != Role::Hub {
        return Err(ExchangeError::NotFromHub);
    }
    if !holder.answers_for(&req.provider) {
        return Err(ExchangeError::WrongProvider {
            request_id: req.request_id.clone(),
            provider: req.provider.clone(),
        });
    }
    let store = |source| ExchangeError::Store {
        holder: holder.name(),
        source,
    };
    let answer = match holder
        .holding(&req.provider, &req.fugo, &req.info)
        .await
        .map_err(store)?
    {
        Some(items) => Provided::Data { items },
        None => Provided::NoRecord,
    };
    records
        .provide(&req.provider, signer, req, answer)
        .await
        .map_err(store)
}

/// The asker's side, for the party named as asker in each request.
pub struct Asker<'a> {
    /// Whose store this is, for messages.
    pub holder: &'static str,
    pub records: &'a PartyLog,
    pub signer: &'a Signer,
    pub hub: &'a HubClient,
}

impl Asker<'_> {
    /// Signs the request as the asker's sender (batched with other signatures).
    pub async fn sign(&self, request: &mut InquireRequest) {
        request.signature = self.signer.sign_batched(&request.signed_message()).await;
    }

    /// Sends a signed request to the hub and records the answer as the asker's, with the
    /// hub's entry number. Refused and no-record answers are answers; an unreachable hub is
    /// `HubUnavailable` (re-send under the same request id).
    pub async fn ask_hub(
        &self,
        request: &InquireRequest,
    ) -> Result<InquireResponse, ExchangeError> {
        match self.hub.inquire(request).await {
            Ok(answer) => {
                self.keep(
                    Side::Asked,
                    request,
                    outcome_of(&answer.answer),
                    Some(answer.record),
                )
                .await?;
                Ok(answer)
            }
            Err(CallError::Api(e)) => Err(ExchangeError::Hub(e)),
            Err(e) => {
                tracing::warn!(error = %e, "hub unavailable for an inquiry");
                Err(ExchangeError::HubUnavailable {
                    request_id: request.request_id.clone(),
                })
            }
        }
    }

    /// Records `side`'s view of the exchange for the party on that side.
    pub async fn keep(
        &self,
        side: Side,
        q: &InquireRequest,
        outcome: Outcome,
        hub_seq: Option<u64>,
    ) -> Result<(), ExchangeError> {
        let party = match side {
            Side::Asked => &q.asker,
            Side::Provided => &q.provider,
        };
        self.records
            .record(PartyRecord::now(
                party,
                side,
                &q.asker,
                &q.provider,
                &q.task,
                &q.info,
                &q.request_id,
                outcome,
                hub_seq,
            ))
            .await
            .map_err(|source| ExchangeError::Store {
                holder: self.holder,
                source,
            })
    }
}
