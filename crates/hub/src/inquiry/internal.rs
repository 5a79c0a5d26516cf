//! Exchanges between two insurer tenants of `intermediate`, resolved inside it by 枝番
//! ([`renkei_wire::msg::inquiry::RecordInternal`]): the hub authorizes them against the same table and records them in
//! the same log, seeing the asker's 符号, the kind of answer and its digest — never a 枝番 or
//! the data.

use renkei_ledger::record_log::{Entry, Exchange, Outcome};
use renkei_wire::msg::inquiry::{
    answer_message_parts, InquireRequest, InquiryAnswer, RecordInternalRequest,
    RecordInternalResponse,
};
use renkei_wire::signing::sha256;
use renkei_wire::{Identity, Role};

use super::{evidence, refusal_answer, Inner, Inquiries, InquiryError, Institution};

impl Inquiries {
    /// Authorizes and records an exchange between two insurer tenants that `intermediate`
    /// resolves inside by 枝番 ([`renkei_wire::msg::inquiry::RecordInternal`]): the same table, the same log.
    pub async fn record_internal(
        &self,
        caller: &Identity,
        req: RecordInternalRequest,
    ) -> Result<RecordInternalResponse, InquiryError> {
        let me = &*self.inner;
        if caller.role != Role::Intermediate {
            return Err(InquiryError::Forbidden(
                "保険者間の照会を記録できるのは中間サーバだけです（規則: 中間サーバ内の照会）"
                    .into(),
            ));
        }
        let q = &req.inquiry;
        let (asker, provider) = me.admit(caller, q)?;
        if provider.signer != caller.code || req.answer_kind > 1 {
            return Err(InquiryError::BadRequest(format!(
                "照会番号 {}: 提供者「{}」はこの中間サーバの保険者ではありません",
                q.request_id, q.provider
            )));
        }
        let recorded = me.recorded(&q.asker, &q.request_id).await?;
        if let Some(first) = recorded.first() {
            return replay(me, asker, provider, q, first);
        }
        let person = me
            .person_of(&q.asker, &q.fugo)
            .await?
            .ok_or_else(|| InquiryError::UnknownFugo(q.request_id.clone()))?;
        let (outcome, refused, answer_evidence) = judge(me, caller, asker, provider, &req)?;
        let kind = match outcome {
            Outcome::Data => "data",
            Outcome::NoRecord => "no_record",
            _ => "refused",
        };
        let recorded = me
            .recorder
            .record(Exchange {
                asker: q.asker.to_string(),
                provider: q.provider.to_string(),
                task: q.task.to_string(),
                info: q.info.to_string(),
                outcome,
                disclosable: true,
                request_id: q.request_id.clone(),
                person,
                request_signature: evidence::encode(&q.signature, &sha256(q.fugo.0.as_bytes())),
                answer_signature: answer_evidence,
            })
            .await?;
        match kind {
            "data" => me.counters.data.inc(),
            "no_record" => me.counters.no_record.inc(),
            _ => me.counters.refused.inc(),
        }
        Ok(RecordInternalResponse {
            refused,
            recorded_kind: kind.to_owned(),
            record: recorded.entry.seq,
            replayed: !recorded.new,
        })
    }
}

/// A re-send of a recorded exchange: the recorded kind of answer, nothing recorded again; the
/// same request id for another inquiry is refused.
fn replay(
    me: &Inner,
    asker: &Institution,
    provider: &Institution,
    q: &InquireRequest,
    first: &Entry,
) -> Result<RecordInternalResponse, InquiryError> {
    let x = &first.exchange;
    if (x.provider.as_str(), x.task.as_str(), x.info.as_str())
        != (q.provider.as_str(), q.task.as_str(), q.info.as_str())
    {
        return Err(InquiryError::RequestIdReused(q.request_id.clone()));
    }
    me.counters.replayed.inc();
    let kind = match &x.outcome {
        Outcome::Data => "data",
        Outcome::NoRecord => "no_record",
        Outcome::Refused(_) => "refused",
        Outcome::Unavailable => "unavailable",
    };
    let refused = match &x.outcome {
        Outcome::Refused(code) => match refusal_answer(me, asker, provider, q, code) {
            InquiryAnswer::Refused { code, message } => Some((code, message)),
            _ => None,
        },
        _ => None,
    };
    Ok(RecordInternalResponse {
        refused,
        recorded_kind: kind.to_owned(),
        record: first.seq,
        replayed: true,
    })
}

/// The permission table's verdict and, when permitted, the provider tenant's answer as
/// `intermediate` signed it: (outcome, refusal (code, message), answer evidence).
type Judged = (Outcome, Option<(String, String)>, Vec<u8>);

fn judge(
    me: &Inner,
    caller: &Identity,
    asker: &Institution,
    provider: &Institution,
    req: &RecordInternalRequest,
) -> Result<Judged, InquiryError> {
    let q = &req.inquiry;
    if let Err(r) = me
        .table
        .authorize(asker.kind, &q.task, provider.kind, &q.info)
    {
        return Ok((
            Outcome::from(&r),
            Some((r.code().to_owned(), r.to_string())),
            Vec::new(),
        ));
    }
    let message = answer_message_parts(
        &q.request_id,
        &q.asker,
        &q.provider,
        &q.task,
        &q.info,
        req.answer_kind,
        &req.answer_digest,
    );
    let who = me
        .verifier
        .verify(&req.answer_signature, &message)
        .map_err(InquiryError::BadSignature)?;
    if who.code != caller.code {
        return Err(InquiryError::BadSignature(
            "回答の署名者が中間サーバではありません".into(),
        ));
    }
    let outcome = if req.answer_kind == 0 {
        Outcome::Data
    } else {
        Outcome::NoRecord
    };
    Ok((
        outcome,
        None,
        evidence::encode(&req.answer_signature, &req.answer_digest),
    ))
}
