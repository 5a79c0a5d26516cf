//! What the log keeps of a sender's signature: the certificate, the signature and the
//! digest it signs in place of the 符号 (and data), so that an auditor can check it without
//! either, and for a batch signature the message's place in the batch. Encoding: `u32 len ‖
//! cert ‖ u32 len ‖ signature ‖ digest (32 bytes)`, then for a batch signature `u32 index ‖
//! u32 size ‖ sibling hashes (32 bytes each)`. A message signed alone (every entry written
//! before batch signatures) ends with the digest.

use renkei_wire::msg::inquiry::{answer_message_parts, request_message};
use renkei_wire::signing::{BatchProof, SenderSignature, SignatureVerifier};

use renkei_ledger::record_log::{Entry, Outcome};

pub fn encode(s: &SenderSignature, digest: &[u8; 32]) -> Vec<u8> {
    let path = s.batch.as_ref().map_or(0, |b| 8 + 32 * b.path.len());
    let mut out = Vec::with_capacity(8 + s.cert.len() + s.signature.len() + 32 + path);
    for part in [&s.cert, &s.signature] {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(digest);
    if let Some(b) = &s.batch {
        out.extend_from_slice(&b.index.to_be_bytes());
        out.extend_from_slice(&b.size.to_be_bytes());
        for h in &b.path {
            out.extend_from_slice(h);
        }
    }
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
    let digest: [u8; 32] = rest.get(..32)?.try_into().ok()?;
    let rest = &rest[32..];
    let batch = if rest.is_empty() {
        None
    } else {
        let u32_at = |i: usize| Some(u32::from_be_bytes(rest.get(i..i + 4)?.try_into().ok()?));
        let (index, size) = (u32_at(0)?, u32_at(4)?);
        let hashes = &rest[8..];
        if !hashes.len().is_multiple_of(32) {
            return None;
        }
        let path = hashes
            .chunks(32)
            .map(|h| h.try_into().expect("32 bytes"))
            .collect();
        Some(BatchProof { index, size, path })
    };
    Some((
        SenderSignature {
            cert,
            signature,
            batch,
        },
        digest,
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_round_trips_with_and_without_a_batch_proof() {
        let alone = SenderSignature {
            cert: vec![1; 300],
            signature: vec![2; 71],
            batch: None,
        };
        let digest = [9u8; 32];
        assert_eq!(
            decode(&encode(&alone, &digest)),
            Some((alone.clone(), digest))
        );
        let batched = SenderSignature {
            batch: Some(BatchProof {
                index: 5,
                size: 13,
                path: vec![[3; 32], [4; 32], [5; 32]],
            }),
            ..alone
        };
        let bytes = encode(&batched, &digest);
        assert_eq!(decode(&bytes), Some((batched, digest)));
        // Cut anywhere inside the proof: not decodable.
        for cut in [bytes.len() - 1, bytes.len() - 33, bytes.len() - 100] {
            assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
        }
    }
}
