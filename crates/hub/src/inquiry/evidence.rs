//! What the log keeps of a sender's signature: the certificate, the signature and the
//! digest it signs in place of the 符号 (and data), so that an auditor can check it without
//! either. Encoding: `u32 len ‖ cert ‖ u32 len ‖ signature ‖ digest (32 bytes)`.

use renkei_wire::msg::inquiry::{answer_message_parts, request_message};
use renkei_wire::signing::{SenderSignature, SignatureVerifier};

use crate::record_log::{Entry, Outcome};

pub fn encode(s: &SenderSignature, digest: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + s.cert.len() + s.signature.len() + 32);
    for part in [&s.cert, &s.signature] {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(digest);
    out
}

pub fn decode(bytes: &[u8]) -> Option<(SenderSignature, [u8; 32])> {
    let mut rest = bytes;
    let take = |rest: &mut &[u8]| -> Option<Vec<u8>> {
        let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let part = rest.get(4..4 + len)?.to_vec();
        *rest = &rest[4 + len..];
        Some(part)
    };
    let cert = take(&mut rest)?;
    let signature = take(&mut rest)?;
    let digest: [u8; 32] = rest.try_into().ok()?;
    Some((SenderSignature { cert, signature }, digest))
}

/// Checks an entry's sender signatures: the request's by the asker (or `intermediate`
/// for an insurer), the answer's — when the provider answered — by the provider (or
/// `intermediate`). `Err` says what is wrong, in Japanese.
pub fn verify_entry(entry: &Entry, verifier: &SignatureVerifier) -> Result<(), String> {
    let x = &entry.exchange;
    let signed_by = |who: &renkei_wire::Identity, party: &str| {
        who.code == party || who.role == renkei_wire::Role::Intermediate
    };
    let (sig, digest) = decode(&x.request_signature).ok_or("照会の署名がありません（形式不正）")?;
    let message = request_message(
        &x.request_id,
        &x.asker,
        &x.provider,
        &x.task,
        &x.info,
        &digest,
    );
    let who = verifier
        .verify(&sig, &message)
        .map_err(|e| format!("照会の署名: {e}"))?;
    if !signed_by(&who, &x.asker) {
        return Err(format!(
            "照会の署名者（{}）が照会者ではありません",
            who.code
        ));
    }
    let kind = match x.outcome {
        Outcome::Data => 0,
        Outcome::NoRecord => 1,
        _ => {
            return if x.answer_signature.is_empty() {
                Ok(())
            } else {
                Err("拒否・応答なしの記録に回答の署名があります".into())
            };
        }
    };
    if x.answer_signature.is_empty() {
        // No record, answered by the hub itself (the provider holds no 符号 for the person).
        return if kind == 1 {
            Ok(())
        } else {
            Err("回答の署名がありません".into())
        };
    }
    let (sig, digest) = decode(&x.answer_signature).ok_or("回答の署名の形式が正しくありません")?;
    let message = answer_message_parts(
        &x.request_id,
        &x.asker,
        &x.provider,
        &x.task,
        &x.info,
        kind,
        &digest,
    );
    let who = verifier
        .verify(&sig, &message)
        .map_err(|e| format!("回答の署名: {e}"))?;
    if !signed_by(&who, &x.provider) {
        return Err(format!(
            "回答の署名者（{}）が提供者ではありません",
            who.code
        ));
    }
    Ok(())
}
