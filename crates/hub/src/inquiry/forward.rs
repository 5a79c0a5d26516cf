//! Forwarding an inquiry to its provider: the 符号 converted to the provider's, the call
//! retried until the deadline, and the answer's signature checked against the provider.

use std::time::{Duration, Instant};

use renkei_ledger::record_log::Outcome;
use renkei_wire::msg::inquiry::{
    answer_digest, answer_message, InquireRequest, InquiryAnswer, ProvideRequest, Provided,
};
use renkei_wire::peer::ProviderClient;
use renkei_wire::signing::SenderSignature;
use renkei_wire::CallError;

use super::{evidence, Inner, InquiryError, Institution};

impl Inner {
    pub(super) fn forward_request(
        &self,
        req: &InquireRequest,
        asker: &Institution,
        person: &[u8; 32],
    ) -> ProvideRequest {
        ProvideRequest {
            request_id: req.request_id.clone(),
            asker: req.asker.clone(),
            asker_kind: asker.kind,
            provider: req.provider.clone(),
            fugo: self.derivation.fugo(person, &req.provider),
            task: req.task.clone(),
            info: req.info.clone(),
        }
    }

    /// Converts the 符号, forwards and checks the answer: (outcome, answer, evidence).
    pub(super) async fn ask_provider(
        &self,
        req: &InquireRequest,
        asker: &Institution,
        provider: &Institution,
        person: &[u8; 32],
    ) -> Result<(Outcome, InquiryAnswer, Vec<u8>), InquiryError> {
        let forward = self.forward_request(req, asker, person);
        // A provider with no 符号 for this person holds nothing on them.
        if self
            .person_of(&req.provider, &forward.fugo)
            .await?
            .is_none()
        {
            return Ok((Outcome::NoRecord, InquiryAnswer::NoRecord, Vec::new()));
        }
        Ok(match self.call(provider, &forward).await {
            Ok((answer, signature)) => {
                let evidence = evidence::encode(&signature, &answer_digest(&forward.fugo, &answer));
                match answer {
                    Provided::Data { items } => {
                        (Outcome::Data, InquiryAnswer::Data { items }, evidence)
                    }
                    Provided::NoRecord => (Outcome::NoRecord, InquiryAnswer::NoRecord, evidence),
                }
            }
            Err(message) => (
                Outcome::Unavailable,
                InquiryAnswer::Unavailable { message },
                Vec::new(),
            ),
        })
    }

    /// Calls the provider until it answers or the deadline passes, retrying what may succeed
    /// later; checks the answer's signature. `Err` is the message for `unavailable`.
    pub(super) async fn call(
        &self,
        provider: &Institution,
        forward: &ProvideRequest,
    ) -> Result<(Provided, SenderSignature), String> {
        let started = Instant::now();
        let unavailable = |why: &str| {
            format!(
                "提供者「{}」から期限（{}ミリ秒）内に回答がありません（{why}）。同じ照会番号で再送してください",
                forward.provider,
                self.deadline.as_millis()
            )
        };
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let left = self.deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(unavailable("期限切れ"));
            }
            let call = ProviderClient::from_client(provider.client.clone().with_timeout(left));
            match call.provide(forward).await {
                Ok(answer) => {
                    let message = answer_message(forward, &answer.answer);
                    return match self.verifier.verify(&answer.signature, &message) {
                        Ok(who) if who.code == provider.signer => {
                            Ok((answer.answer, answer.signature))
                        }
                        Ok(who) => {
                            tracing::warn!(provider = %forward.provider, signer = %who.code, "answer signed by another institution");
                            Err(unavailable("回答の署名者が提供者ではありません"))
                        }
                        Err(e) => {
                            tracing::warn!(provider = %forward.provider, error = %e, "bad answer signature");
                            Err(unavailable("回答の署名が正しくありません"))
                        }
                    };
                }
                Err(e) if e.is_retryable() => {
                    tracing::debug!(provider = %forward.provider, attempt, error = %e, "provider unavailable");
                    let pause = Duration::from_millis(20 * u64::from(attempt.min(10)));
                    if started.elapsed() + pause >= self.deadline {
                        return Err(unavailable(&short(&e)));
                    }
                    tokio::time::sleep(pause).await;
                }
                Err(e) => {
                    tracing::warn!(provider = %forward.provider, error = %e, "provider refused the forwarded inquiry");
                    return Err(unavailable(&short(&e)));
                }
            }
        }
    }
}

fn short(e: &CallError) -> String {
    match e {
        CallError::Transport(_) => "接続できません".into(),
        CallError::Timeout(_) => "応答がありません".into(),
        CallError::Api(a) => format!("提供者のエラー {}", a.code),
        CallError::Decode(_) => "応答を解釈できません".into(),
    }
}
