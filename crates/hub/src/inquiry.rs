//! 情報照会 at the hub (workflow 2): check the asker's signature, authorize against the
//! permission table, convert the asker's 符号 into the provider's (符号変換), forward within
//! a deadline with retries, check the provider's signature, and record the exchange in the
//! 情報提供等記録 exactly once per (asker, request id).
//!
//! The asker names the person by its own 符号 and gets back data, no record, refused (with
//! the rule) or unavailable; it never learns the provider's 符号, and the provider never
//! learns the asker's. The log keeps only the hub's person key and the signatures (with the
//! digests they sign: [`evidence`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use renkei_store::StoreError;
use renkei_wire::metrics::{Counter, Metrics};
use renkei_wire::msg::inquiry::{InquireRequest, InquireResponse, InquiryAnswer, Provided};
use renkei_wire::signing::{sha256, SignatureVerifier};
use renkei_wire::{Client, Identity, Role};

use crate::config::DirectoryEntry;
use crate::domain::{AgencyCode, Derivation};
use crate::permission::{InstitutionKind, PermissionTable};
use crate::recorder::Recorder;
use crate::store::Store;
use renkei_ledger::record_log::{Exchange, Outcome};

/// Why an inquiry could not even be considered (nothing is recorded for these: the hub
/// cannot tell who is asked about, or who asks).
#[derive(Debug, thiserror::Error)]
pub enum InquiryError {
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("照会者の署名を確認できません: {0}")]
    BadSignature(String),
    #[error("照会者「{0}」は情報提供ネットワークシステムの機関一覧にありません")]
    UnknownAsker(AgencyCode),
    #[error("提供者「{0}」は情報提供ネットワークシステムの機関一覧にありません")]
    UnknownProvider(AgencyCode),
    #[error("照会者の機関別符号に該当する者がいません（照会番号 {0}）")]
    UnknownFugo(String),
    #[error("照会番号 {0} は別の内容の照会で使われています")]
    RequestIdReused(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// An institution inquiries can be routed to.
struct Institution {
    kind: InstitutionKind,
    client: Client,
    /// Certificate code that signs its answers.
    signer: String,
}

#[derive(Clone)]
struct Counters {
    data: Counter,
    no_record: Counter,
    refused: Counter,
    unavailable: Counter,
    replayed: Counter,
}

/// The inquiry flow, shared by the handlers.
#[derive(Clone)]
pub struct Inquiries {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    derivation: Arc<Derivation>,
    table: PermissionTable,
    directory: HashMap<AgencyCode, Institution>,
    verifier: SignatureVerifier,
    recorder: Recorder,
    deadline: Duration,
    counters: Counters,
    links: std::sync::Mutex<HashMap<(String, String), [u8; 32]>>,
}

impl Inquiries {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        derivation: Arc<Derivation>,
        table: PermissionTable,
        directory: &[DirectoryEntry],
        tls: Arc<rustls::ClientConfig>,
        verifier: SignatureVerifier,
        recorder: Recorder,
        deadline: Duration,
        metrics: &Metrics,
    ) -> Result<Inquiries, String> {
        let mut by_code = HashMap::new();
        for (i, e) in directory.iter().enumerate() {
            let kind = InstitutionKind::parse(&e.kind).ok_or_else(|| {
                format!(
                    "機関一覧の{}件目（{}）: 種別「{}」は koiki・municipality・insurer のいずれかにしてください",
                    i + 1,
                    e.code,
                    e.kind
                )
            })?;
            let code =
                AgencyCode::parse(&e.code).map_err(|m| format!("機関一覧の{}件目: {m}", i + 1))?;
            // One pooled client per distinct URL would share connections; per institution
            // keeps each provider's outage to itself.
            let client = Client::new(tls.clone(), &e.url).with_timeout(deadline);
            by_code.insert(
                code,
                Institution {
                    kind,
                    client,
                    signer: e.signer.clone(),
                },
            );
        }
        let help = "情報照会 answered by the hub, by outcome.";
        let c =
            |outcome| metrics.counter("renkei_hub_inquiries_total", &[("outcome", outcome)], help);
        let counters = Counters {
            data: c("data"),
            no_record: c("no_record"),
            refused: c("refused"),
            unavailable: c("unavailable"),
            replayed: c("replayed"),
        };
        Ok(Inquiries {
            inner: Arc::new(Inner {
                store,
                derivation,
                table,
                directory: by_code,
                verifier,
                recorder,
                deadline,
                counters,
                links: std::sync::Mutex::new(HashMap::with_capacity(LINK_CACHE + 1)),
            }),
        })
    }

    /// Handles one inquiry from `caller` (the TLS peer).
    pub async fn inquire(
        &self,
        caller: &Identity,
        req: InquireRequest,
    ) -> Result<InquireResponse, InquiryError> {
        let me = &*self.inner;
        let (asker, provider) = me.admit(caller, &req)?;

        // Re-sent: answer what was recorded.
        let recorded = me.recorded(&req.asker, &req.request_id).await?;
        if let Some(first) = recorded.first() {
            let x = &first.exchange;
            if (x.provider.as_str(), x.task.as_str(), x.info.as_str())
                != (req.provider.as_str(), req.task.as_str(), req.info.as_str())
            {
                return Err(InquiryError::RequestIdReused(req.request_id.clone()));
            }
        }
        if let Some(done) = recorded
            .iter()
            .find(|e| e.exchange.outcome != Outcome::Unavailable)
        {
            me.counters.replayed.inc();
            let answer = match &done.exchange.outcome {
                Outcome::Data => {
                    // The hub keeps no data: ask the provider again, recording nothing more.
                    let forward = me.forward_request(&req, asker, &done.exchange.person);
                    match me.call(provider, &forward).await {
                        Ok((Provided::Data { items }, _)) => InquiryAnswer::Data { items },
                        Ok((Provided::NoRecord, _)) => InquiryAnswer::NoRecord,
                        Err(message) => InquiryAnswer::Unavailable { message },
                    }
                }
                Outcome::NoRecord => InquiryAnswer::NoRecord,
                Outcome::Refused(code) => refusal_answer(me, asker, provider, &req, code),
                Outcome::Unavailable => unreachable!("filtered above"),
            };
            return Ok(InquireResponse {
                request_id: req.request_id,
                answer,
                record: done.seq,
                replayed: true,
            });
        }

        let person = me
            .person_of(&req.asker, &req.fugo)
            .await?
            .ok_or_else(|| InquiryError::UnknownFugo(req.request_id.clone()))?;
        let request_evidence = evidence::encode(&req.signature, &sha256(req.fugo.0.as_bytes()));
        let exchange = |outcome, answer_signature| Exchange {
            asker: req.asker.to_string(),
            provider: req.provider.to_string(),
            task: req.task.to_string(),
            info: req.info.to_string(),
            outcome,
            disclosable: true,
            request_id: req.request_id.clone(),
            person,
            request_signature: request_evidence.clone(),
            answer_signature,
        };

        let (outcome, answer, answer_evidence) =
            match me
                .table
                .authorize(asker.kind, &req.task, provider.kind, &req.info)
            {
                Err(refusal) => (
                    Outcome::from(&refusal),
                    InquiryAnswer::Refused {
                        code: refusal.code().to_owned(),
                        message: refusal.to_string(),
                    },
                    Vec::new(),
                ),
                Ok(_rule) => me.ask_provider(&req, asker, provider, &person).await?,
            };
        let recorded = me
            .recorder
            .record(exchange(outcome, answer_evidence))
            .await?;
        // A concurrent duplicate may have been recorded first: answer like a re-send.
        let replayed = !recorded.new;
        match &answer {
            InquiryAnswer::Data { .. } => me.counters.data.inc(),
            InquiryAnswer::NoRecord => me.counters.no_record.inc(),
            InquiryAnswer::Refused { .. } => me.counters.refused.inc(),
            InquiryAnswer::Unavailable { .. } => me.counters.unavailable.inc(),
        }
        Ok(InquireResponse {
            request_id: req.request_id,
            answer,
            record: recorded.entry.seq,
            replayed,
        })
    }
}

fn refusal_answer(
    me: &Inner,
    asker: &Institution,
    provider: &Institution,
    req: &InquireRequest,
    code: &str,
) -> InquiryAnswer {
    let message = match me
        .table
        .authorize(asker.kind, &req.task, provider.kind, &req.info)
    {
        Err(r) => r.to_string(),
        Ok(_) => format!("この照会は記録時の許可表で拒否されました（拒否: {code}）"),
    };
    InquiryAnswer::Refused {
        code: code.to_owned(),
        message,
    }
}

impl Inner {
    /// Checks the request, that the caller may ask for the asker, and the asker's signature;
    /// returns the asker and the provider.
    fn admit(
        &self,
        caller: &Identity,
        req: &InquireRequest,
    ) -> Result<(&Institution, &Institution), InquiryError> {
        check_request(req)?;
        // Who may ask for whom: an agency for itself; intermediate for the insurers it hosts.
        let asker = self
            .directory
            .get(&req.asker)
            .ok_or_else(|| InquiryError::UnknownAsker(req.asker.clone()))?;
        let allowed = match caller.role {
            Role::Agency => caller.code == req.asker.as_str(),
            Role::Intermediate => asker.signer == caller.code,
            _ => false,
        };
        if !allowed {
            return Err(InquiryError::Forbidden(format!(
                "{}（{}）は「{}」として照会できません（規則: 照会は自機関分、中間サーバは収容する保険者分に限る）",
                caller.name, caller.code, req.asker
            )));
        }
        let signer = self
            .verifier
            .verify(&req.signature, &req.signed_message())
            .map_err(InquiryError::BadSignature)?;
        if signer.code != caller.code || signer.role != caller.role {
            return Err(InquiryError::BadSignature(format!(
                "署名者（{}）が送信者（{}）と違います",
                signer.code, caller.code
            )));
        }
        let provider = self
            .directory
            .get(&req.provider)
            .ok_or_else(|| InquiryError::UnknownProvider(req.provider.clone()))?;
        Ok((asker, provider))
    }
}

mod check;
use check::check_request;
mod forward;
mod internal;
mod lookups;
use lookups::LINK_CACHE;

pub mod evidence;
