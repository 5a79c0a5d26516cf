//! Batch signatures: one ECDSA signature over the root of a Merkle tree of many messages.
//!
//! An ECDSA P-256 verification costs about 100 µs on this network's machines, and every
//! 情報照会 carries two signatures that the hub checks at once (the asker's request and the
//! provider's answer). A sender that signs many messages within a millisecond signs them
//! together: it builds a Merkle tree over the messages (leaf `SHA-256(0x00 ‖ message)`, node
//! `SHA-256(0x01 ‖ left ‖ right)`, an odd last node carried up unchanged), signs
//! [`root_message`] once, and gives each message the signature with its [`BatchProof`]: its
//! position, the batch size and the sibling hashes from its leaf to the root. A verifier folds
//! the path back to the root and checks the one signature, which it may remember (the hub does)
//! so that the rest of the batch costs a few SHA-256 each. Each message's evidence stays
//! separately verifiable offline, years later, with the CA certificate alone; the sibling
//! hashes reveal nothing of the other messages.
//!
//! A batch of one is signed directly, without a proof, as before batching existed.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use std::sync::Arc;

use super::{message, sha256, Keys, SenderSignature};

/// How long the first message of a batch waits for others.
pub const WINDOW: Duration = Duration::from_millis(1);
/// Most messages in one batch.
pub const MAX_BATCH: usize = 256;
/// Longest path accepted (a tree over 2^32 leaves).
const MAX_DEPTH: usize = 32;

/// Where a message sits in a signed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchProof {
    /// The message's position in the batch (from 0).
    pub index: u32,
    /// Messages in the batch.
    pub size: u32,
    /// Sibling hashes from the leaf up (levels where the node had no sibling are skipped).
    #[serde(with = "hex_hashes")]
    pub path: Vec<[u8; 32]>,
}

mod hex_hashes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(path: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(path.iter().map(hex::encode))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .iter()
            .map(|t| {
                let mut out = [0u8; 32];
                hex::decode_to_slice(t, &mut out)
                    .map_err(|_| serde::de::Error::custom("経路のハッシュが正しくありません"))?;
                Ok(out)
            })
            .collect()
    }
}

/// The bytes actually signed for a batch: its size and root.
pub fn root_message(size: u32, root: &[u8; 32]) -> Vec<u8> {
    message("renkei/batch-signature/v1", &[&size.to_be_bytes(), root])
}

pub fn leaf_hash(message: &[u8]) -> [u8; 32] {
    let mut m = Vec::with_capacity(message.len() + 1);
    m.push(0);
    m.extend_from_slice(message);
    sha256(&m)
}

fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut m = [0u8; 65];
    m[0] = 1;
    m[1..33].copy_from_slice(left);
    m[33..].copy_from_slice(right);
    sha256(&m)
}

/// The root over `leaves` and each leaf's proof.
pub fn tree(leaves: &[[u8; 32]]) -> ([u8; 32], Vec<BatchProof>) {
    assert!(!leaves.is_empty(), "a batch has at least one message");
    let size = leaves.len() as u32;
    let mut proofs: Vec<BatchProof> = (0..size)
        .map(|index| BatchProof {
            index,
            size,
            path: Vec::new(),
        })
        .collect();
    // Each leaf's position at the current level.
    let mut at: Vec<usize> = (0..leaves.len()).collect();
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        for (leaf, pos) in at.iter_mut().enumerate() {
            let sibling = *pos ^ 1;
            if sibling < level.len() {
                proofs[leaf].path.push(level[sibling]);
            }
            *pos /= 2;
        }
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [l, r] => node_hash(l, r),
                [only] => *only,
                _ => unreachable!("chunks of two"),
            })
            .collect();
    }
    (level[0], proofs)
}

impl BatchProof {
    /// The root that `message` and this proof lead to, or `None` when the proof is malformed.
    pub fn root(&self, message: &[u8]) -> Option<[u8; 32]> {
        if self.size < 2 || self.index >= self.size || self.path.len() > MAX_DEPTH {
            return None;
        }
        let (mut i, mut n) = (self.index as u64, self.size as u64);
        let mut hash = leaf_hash(message);
        let mut path = self.path.iter();
        while n > 1 {
            if i % 2 == 1 {
                hash = node_hash(path.next()?, &hash);
            } else if i + 1 < n {
                hash = node_hash(&hash, path.next()?);
            }
            i /= 2;
            n = n.div_ceil(2);
        }
        path.next().is_none().then_some(hash)
    }
}

type Job = (Vec<u8>, oneshot::Sender<SenderSignature>);

/// Handle to a signer's batching task.
pub(super) struct Batcher {
    tx: mpsc::UnboundedSender<Job>,
}

impl Batcher {
    /// Starts the task (needs a Tokio runtime). It ends when the last handle is dropped.
    pub(super) fn start(signer: Arc<Keys>) -> Batcher {
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut jobs = vec![first];
                let until = tokio::time::Instant::now() + WINDOW;
                while jobs.len() < MAX_BATCH {
                    match tokio::time::timeout_at(until, rx.recv()).await {
                        Ok(Some(job)) => jobs.push(job),
                        Ok(None) | Err(_) => break,
                    }
                }
                sign_jobs(&signer, jobs);
            }
        });
        Batcher { tx }
    }

    pub(super) async fn sign(&self, signer: &Keys, message: &[u8]) -> SenderSignature {
        let (done, wait) = oneshot::channel();
        if self.tx.send((message.to_vec(), done)).is_err() {
            return signer.sign(message);
        }
        match wait.await {
            Ok(signature) => signature,
            // The task is gone (the runtime is shutting down): sign alone.
            Err(_) => signer.sign(message),
        }
    }
}

fn sign_jobs(signer: &Keys, jobs: Vec<Job>) {
    if let [(message, _)] = jobs.as_slice() {
        let signature = signer.sign(message);
        let (_, done) = jobs.into_iter().next().expect("one job");
        let _ = done.send(signature);
        return;
    }
    let leaves: Vec<[u8; 32]> = jobs.iter().map(|(m, _)| leaf_hash(m)).collect();
    let (root, proofs) = tree(&leaves);
    let signed = signer.sign(&root_message(proofs.len() as u32, &root));
    for ((_, done), proof) in jobs.into_iter().zip(proofs) {
        let _ = done.send(SenderSignature {
            batch: Some(proof),
            ..signed.clone()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Identity, Role};
    use crate::pki::Pki;
    use crate::signing::{SignatureVerifier, Signer};
    use std::collections::HashSet;

    fn messages(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| format!("message {i}").into_bytes())
            .collect()
    }

    #[test]
    fn every_leaf_of_every_size_leads_to_the_root_and_nothing_else_does() {
        for n in 2..=37 {
            let ms = messages(n);
            let leaves: Vec<_> = ms.iter().map(|m| leaf_hash(m)).collect();
            let (root, proofs) = tree(&leaves);
            for (i, (m, p)) in ms.iter().zip(&proofs).enumerate() {
                assert_eq!(p.root(m), Some(root), "size {n}, leaf {i}");
                // Another message with this proof does not reach the root.
                assert_ne!(p.root(b"forged"), Some(root));
                // Nor does this message at another position. (The size is bound by the
                // signature over `root_message`, see the verifier test.)
                let mut moved = p.clone();
                moved.index = (moved.index + 1) % moved.size;
                assert_ne!(moved.root(m), Some(root), "size {n}, leaf {i} moved");
                // A changed sibling hash breaks it.
                let mut bent = p.clone();
                bent.path[0][0] ^= 1;
                assert_ne!(bent.root(m), Some(root));
            }
        }
    }

    #[test]
    fn malformed_proofs_are_refused() {
        let leaves: Vec<_> = messages(5).iter().map(|m| leaf_hash(m)).collect();
        let (_, proofs) = tree(&leaves);
        let p = &proofs[4];
        let mut extra = p.clone();
        extra.path.push([0; 32]);
        assert_eq!(extra.root(b"message 4"), None);
        let mut short = p.clone();
        short.path.pop();
        assert_eq!(short.root(b"message 4"), None);
        let mut out_of_range = p.clone();
        out_of_range.index = 5;
        assert_eq!(out_of_range.root(b"message 4"), None);
        let alone = BatchProof {
            index: 0,
            size: 1,
            path: vec![],
        };
        assert_eq!(alone.root(b"x"), None, "a batch of one is signed directly");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_messages_share_one_signature_and_each_verifies_alone() {
        crate::tls::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::open_or_create(dir.path()).unwrap();
        let files = pki
            .issue(&Identity::new("city-131121", Role::Agency, "世田谷区"))
            .unwrap();
        let signer = Signer::load(&files).unwrap();
        let ms = messages(40);
        let signed = futures_join(&signer, &ms).await;
        // Signed together: fewer signatures than messages, each with a proof.
        let distinct: HashSet<_> = signed.iter().map(|s| s.signature.clone()).collect();
        assert!(distinct.len() < ms.len(), "{} signatures", distinct.len());
        assert!(signed.iter().all(|s| s.batch.is_some()));
        let json = serde_json::to_string(&signed[7]).unwrap();
        let back: SenderSignature = serde_json::from_str(&json).unwrap();
        assert_eq!(back, signed[7]);
        // Each verifies with a fresh verifier (as an auditor would, one entry at a time)...
        for (m, s) in ms.iter().zip(&signed) {
            let verifier = SignatureVerifier::new(&files.ca).unwrap();
            let who = verifier.verify(s, m).unwrap();
            assert_eq!(who.code, "city-131121");
            assert!(verifier.verify(s, b"another message").is_err());
        }
        // ...and with one that remembers the roots: a remembered root does not let a forged
        // signature or another message through.
        let verifier = SignatureVerifier::new(&files.ca).unwrap();
        for (m, s) in ms.iter().zip(&signed) {
            verifier.verify(s, m).unwrap();
            let mut forged = s.clone();
            let last = forged.signature.len() - 1;
            forged.signature[last] ^= 1;
            assert!(verifier.verify(&forged, m).is_err());
            assert!(verifier.verify(s, b"another message").is_err());
            // The batch size is signed: the same path claimed for a larger batch fails.
            let mut resized = s.clone();
            resized.batch.as_mut().unwrap().size += 1;
            assert!(verifier.verify(&resized, m).is_err());
        }
        // A message signed alone still carries no proof.
        let alone = signer.sign_batched(b"alone").await;
        assert!(alone.batch.is_none());
        verifier.verify(&alone, b"alone").unwrap();
    }

    async fn futures_join(signer: &Signer, ms: &[Vec<u8>]) -> Vec<SenderSignature> {
        let tasks: Vec<_> = ms
            .iter()
            .map(|m| {
                let (signer, m) = (signer.clone(), m.clone());
                tokio::spawn(async move { signer.sign_batched(&m).await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    }
}
