//! The 情報提供等記録: the hub's append-only, tamper-evident record of every exchange.
//!
//! Each entry is hashed with the previous entry's hash (a SHA-256 chain over the canonical
//! encoding below), and every N entries — and on demand — the hub signs a checkpoint (the
//! sequence number and hash of the entry it covers) with its Ed25519 key. [`verify`] checks
//! a log offline against the hub's public key and names the first bad entry. No I/O here: the
//! store keeps entries and checkpoints as they are given.
//!
//! Canonical encoding (all integers big-endian; `str` and `bytes` are a u32 length, then the
//! UTF-8 or raw bytes):
//!
//! ```text
//! entry hash = SHA-256("renkei/情報提供等記録/v1\0" ‖ previous hash (32 zero bytes for the
//!              first) ‖ seq u64 ‖ time i64 (Unix microseconds) ‖ str asker ‖ str provider ‖
//!              str task ‖ str info ‖ u8 outcome (0 data, 1 no_record, 2 refused, 3
//!              unavailable) ‖ [str refusal code, if refused] ‖ u8 disclosable (0 or 1) ‖
//!              str request_id ‖ person 32 bytes ‖ bytes request_signature ‖
//!              bytes answer_signature)
//! checkpoint = Ed25519 over ("renkei/checkpoint/v1\0" ‖ seq u64 ‖ entry hash 32 bytes ‖ time i64)
//! ```
//!
//! An attacker who can rewrite the store can also recompute the unkeyed hashes after a change;
//! the signed checkpoints catch that, naming the checkpoint's range. Entries after the last
//! checkpoint are only chained, and [`Summary::unsigned_tail`] says how many there are.

use ring::digest::{Context, SHA256};
use ring::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};
use time::OffsetDateTime;

const ENTRY_TAG: &[u8] = "renkei/情報提供等記録/v1\0".as_bytes();
const CHECKPOINT_TAG: &[u8] = b"renkei/checkpoint/v1\0";

/// The answer an exchange got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Data,
    NoRecord,
    /// Refused by the permission table; the refusal's stable code (e.g. `unknown_task`).
    Refused(String),
    /// The provider did not answer in time.
    Unavailable,
}

impl Outcome {
    /// How the stores keep an outcome (the same numbers as the entry hash): 0 data, 1 no
    /// record, 2 refused with its code, 3 unavailable.
    pub fn to_code(&self) -> (i16, Option<&str>) {
        match self {
            Outcome::Data => (0, None),
            Outcome::NoRecord => (1, None),
            Outcome::Refused(code) => (2, Some(code.as_str())),
            Outcome::Unavailable => (3, None),
        }
    }

    /// The outcome a store kept; `None` for a code (or a refusal without its code) that
    /// [`Outcome::to_code`] never writes.
    pub fn from_code(code: i16, refusal: Option<String>) -> Option<Outcome> {
        Some(match (code, refusal) {
            (0, _) => Outcome::Data,
            (1, _) => Outcome::NoRecord,
            (2, Some(code)) => Outcome::Refused(code),
            (3, _) => Outcome::Unavailable,
            _ => return None,
        })
    }
}

impl From<&renkei_wire::permission::Refusal> for Outcome {
    fn from(r: &renkei_wire::permission::Refusal) -> Outcome {
        Outcome::Refused(r.code().to_owned())
    }
}

/// What the caller knows of an exchange; the log adds sequence number, time and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// Institution codes of the asker and the provider.
    pub asker: String,
    pub provider: String,
    /// 事務コード and 特定個人情報コード.
    pub task: String,
    pub info: String,
    pub outcome: Outcome,
    /// Whether the person may be shown this record (番号法: an exchange can be withheld from
    /// the person, e.g. while an investigation runs).
    pub disclosable: bool,
    /// The asker's request id: one exchange is recorded once however often it is re-sent.
    pub request_id: String,
    /// The hub's pseudonymous key of the person: only the hub can link it to a 符号.
    pub person: [u8; 32],
    /// The senders' signatures over the request and the answer, kept as sent (empty if none).
    pub request_signature: Vec<u8>,
    pub answer_signature: Vec<u8>,
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1 for the first entry, then one more each time.
    pub seq: u64,
    /// Unix microseconds (what both store engines keep exactly).
    pub time_micros: i64,
    pub exchange: Exchange,
    /// SHA-256 of the previous entry's hash and this entry's encoding.
    pub hash: [u8; 32],
}

/// A signed statement by the hub that the log up to `seq` has head `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: u64,
    pub hash: [u8; 32],
    pub time_micros: i64,
    pub signature: Vec<u8>,
}

/// The hash of an entry, chained to `prev` (32 zero bytes before the first entry).
pub fn entry_hash(prev: &[u8; 32], seq: u64, time_micros: i64, x: &Exchange) -> [u8; 32] {
    let mut c = Context::new(&SHA256);
    c.update(ENTRY_TAG);
    c.update(prev);
    c.update(&seq.to_be_bytes());
    c.update(&time_micros.to_be_bytes());
    for s in [&x.asker, &x.provider, &x.task, &x.info] {
        put(&mut c, s.as_bytes());
    }
    match &x.outcome {
        Outcome::Data => c.update(&[0]),
        Outcome::NoRecord => c.update(&[1]),
        Outcome::Refused(code) => {
            c.update(&[2]);
            put(&mut c, code.as_bytes());
        }
        Outcome::Unavailable => c.update(&[3]),
    }
    c.update(&[u8::from(x.disclosable)]);
    put(&mut c, x.request_id.as_bytes());
    c.update(&x.person);
    put(&mut c, &x.request_signature);
    put(&mut c, &x.answer_signature);
    c.finish().as_ref().try_into().expect("SHA-256 is 32 bytes")
}

fn put(c: &mut Context, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("a field under 4 GiB");
    c.update(&len.to_be_bytes());
    c.update(bytes);
}

/// The bytes a checkpoint's signature covers.
pub fn checkpoint_message(seq: u64, hash: &[u8; 32], time_micros: i64) -> Vec<u8> {
    let mut m = Vec::with_capacity(CHECKPOINT_TAG.len() + 48);
    m.extend_from_slice(CHECKPOINT_TAG);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash);
    m.extend_from_slice(&time_micros.to_be_bytes());
    m
}

/// Unix microseconds of a time.
pub fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1000) as i64
}

/// Appends entries and signs checkpoints. It holds the head of the chain; a hub resumes it
/// from the last stored entry with [`LogWriter::resume`].
pub struct LogWriter {
    key: Ed25519KeyPair,
    every: u64,
    next_seq: u64,
    head: [u8; 32],
    since_checkpoint: u64,
}

impl LogWriter {
    /// A writer for an empty log, signing a checkpoint every `every` entries (at least 1).
    pub fn new(key: Ed25519KeyPair, every: u64) -> LogWriter {
        LogWriter::resume(key, every, None, 0)
    }

    /// A writer continuing after `last` (the last stored entry), whose newest checkpoint
    /// covers `checkpointed_seq` (0 if none).
    pub fn resume(
        key: Ed25519KeyPair,
        every: u64,
        last: Option<&Entry>,
        checkpointed_seq: u64,
    ) -> LogWriter {
        let (seq, head) = last.map_or((0, [0; 32]), |e| (e.seq, e.hash));
        LogWriter {
            key,
            every: every.max(1),
            next_seq: seq + 1,
            head,
            since_checkpoint: seq.saturating_sub(checkpointed_seq),
        }
    }

    /// Continues after `last` instead (the stored head, e.g. after a failed write whose
    /// entries were never stored).
    pub fn reset(&mut self, last: Option<&Entry>, checkpointed_seq: u64) {
        let (seq, head) = last.map_or((0, [0; 32]), |e| (e.seq, e.hash));
        self.next_seq = seq + 1;
        self.head = head;
        self.since_checkpoint = seq.saturating_sub(checkpointed_seq);
    }

    /// The hub's public key, for [`verify`].
    pub fn public_key(&self) -> Vec<u8> {
        ring::signature::KeyPair::public_key(&self.key)
            .as_ref()
            .to_vec()
    }

    /// Appends one exchange at `time`; returns its entry and, every N entries, a checkpoint.
    /// The caller must store both (in one transaction) before the next append.
    pub fn append(&mut self, x: Exchange, time: OffsetDateTime) -> (Entry, Option<Checkpoint>) {
        let time_micros = micros(time);
        let seq = self.next_seq;
        let hash = entry_hash(&self.head, seq, time_micros, &x);
        self.next_seq += 1;
        self.head = hash;
        self.since_checkpoint += 1;
        let entry = Entry {
            seq,
            time_micros,
            exchange: x,
            hash,
        };
        let checkpoint = (self.since_checkpoint >= self.every).then(|| self.sign(time_micros));
        (entry, checkpoint)
    }

    /// A checkpoint of the current head on demand (e.g. at shutdown or before an audit);
    /// `None` if the log is empty or the head is already checkpointed.
    pub fn checkpoint(&mut self, time: OffsetDateTime) -> Option<Checkpoint> {
        (self.since_checkpoint > 0).then(|| self.sign(micros(time)))
    }

    fn sign(&mut self, time_micros: i64) -> Checkpoint {
        self.since_checkpoint = 0;
        let seq = self.next_seq - 1;
        let signature = self
            .key
            .sign(&checkpoint_message(seq, &self.head, time_micros));
        Checkpoint {
            seq,
            hash: self.head,
            time_micros,
            signature: signature.as_ref().to_vec(),
        }
    }
}

/// What a verified log holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub entries: u64,
    pub checkpoints: usize,
    /// The last entry a valid checkpoint covers (0 if none).
    pub signed_through: u64,
    /// Entries after the last checkpoint: chained, not yet signed.
    pub unsigned_tail: u64,
    /// Hash of the last entry (zeros for an empty log).
    pub head: [u8; 32],
}

/// The first thing wrong with a log. [`VerifyError::first_bad_entry`] names the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("記録{seq}がありません（削除されています）")]
    Missing { seq: u64 },
    #[error("記録{seq}の位置に記録{found}があります（順序が入れ替わっています）")]
    OutOfOrder { seq: u64, found: u64 },
    #[error("記録{seq}の位置に重複した記録{found}があります（挿入されています）")]
    Inserted { seq: u64, found: u64 },
    #[error("記録{seq}の内容が変更されています（ハッシュが一致しません）")]
    Changed { seq: u64 },
    #[error("記録{seq}の送信者署名が正しくありません: {reason}")]
    BadSenderSignature { seq: u64, reason: String },
    #[error("記録{from}〜{to}を保証するチェックポイントの署名が正しくありません")]
    BadCheckpointSignature { from: u64, to: u64 },
    #[error("記録{from}〜{to}がチェックポイントと一致しません（改ざんされています）")]
    CheckpointMismatch { from: u64, to: u64 },
    #[error("記録{seq}以降を指すチェックポイントの順序が正しくありません")]
    CheckpointOrder { seq: u64 },
}

impl VerifyError {
    /// The sequence number of the first entry that is not what the hub wrote (for checkpoint
    /// errors, the first entry of the range the checkpoint no longer vouches for).
    pub fn first_bad_entry(&self) -> u64 {
        match *self {
            VerifyError::Missing { seq }
            | VerifyError::OutOfOrder { seq, .. }
            | VerifyError::Inserted { seq, .. }
            | VerifyError::Changed { seq }
            | VerifyError::BadSenderSignature { seq, .. }
            | VerifyError::CheckpointOrder { seq } => seq,
            VerifyError::BadCheckpointSignature { from, .. }
            | VerifyError::CheckpointMismatch { from, .. } => from,
        }
    }
}

/// Verifies a whole log: sequence, hash chain and every checkpoint's hash and signature.
pub fn verify(
    entries: &[Entry],
    checkpoints: &[Checkpoint],
    hub_public_key: &[u8],
) -> Result<Summary, VerifyError> {
    verify_with(entries, checkpoints, hub_public_key, |_| Ok(()))
}

/// [`verify`], also checking each entry's sender signatures with `senders` (which knows the
/// institutions' keys and the signed message format); its `Err` is the reason.
pub fn verify_with(
    entries: &[Entry],
    checkpoints: &[Checkpoint],
    hub_public_key: &[u8],
    mut senders: impl FnMut(&Entry) -> Result<(), String>,
) -> Result<Summary, VerifyError> {
    let hub = UnparsedPublicKey::new(&ED25519, hub_public_key);
    // Which of 1..=len are somewhere in the log, to tell a reordered entry from a deleted one
    // (a bit per entry: a 100-million-entry log needs 12.5 MB beside its entries).
    let len = entries.len() as u64;
    let mut present = vec![0u64; entries.len().div_ceil(64)];
    for seq in entries
        .iter()
        .map(|e| e.seq)
        .filter(|s| (1..=len).contains(s))
    {
        present[((seq - 1) / 64) as usize] |= 1 << ((seq - 1) % 64);
    }
    let is_present = |seq: u64| present[((seq - 1) / 64) as usize] & (1 << ((seq - 1) % 64)) != 0;
    let mut prev = [0u8; 32];
    let mut cps = checkpoints.iter().peekable();
    let mut signed_through = 0u64;
    for (i, e) in entries.iter().enumerate() {
        let seq = i as u64 + 1;
        if e.seq != seq {
            return Err(if e.seq < seq {
                VerifyError::Inserted { seq, found: e.seq }
            } else if is_present(seq) {
                VerifyError::OutOfOrder { seq, found: e.seq }
            } else {
                VerifyError::Missing { seq }
            });
        }
        if entry_hash(&prev, e.seq, e.time_micros, &e.exchange) != e.hash {
            return Err(VerifyError::Changed { seq });
        }
        senders(e).map_err(|reason| VerifyError::BadSenderSignature { seq, reason })?;
        prev = e.hash;
        while let Some(cp) = cps.next_if(|cp| cp.seq <= seq) {
            // Left behind by an earlier entry, or a second one for this entry.
            if cp.seq < seq || signed_through == seq {
                return Err(VerifyError::CheckpointOrder { seq: cp.seq.max(1) });
            }
            let (from, to) = (signed_through + 1, seq);
            if cp.hash != e.hash {
                return Err(VerifyError::CheckpointMismatch { from, to });
            }
            let message = checkpoint_message(cp.seq, &cp.hash, cp.time_micros);
            if hub.verify(&message, &cp.signature).is_err() {
                return Err(VerifyError::BadCheckpointSignature { from, to });
            }
            signed_through = seq;
        }
    }
    let last = len;
    if cps.next().is_some() {
        // A checkpoint vouches for entries that are not there: the log was cut short.
        return Err(VerifyError::Missing { seq: last + 1 });
    }
    Ok(Summary {
        entries: last,
        checkpoints: checkpoints.len(),
        signed_through,
        unsigned_tail: last - signed_through,
        head: prev,
    })
}

#[cfg(test)]
#[path = "record_log_tests.rs"]
mod tests;
