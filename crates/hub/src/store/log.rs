//! The 情報提供等記録 at rest, on both engines: `record_log` (one row per entry, in chain
//! order by `seq`) and `record_checkpoints` (the hub's signed checkpoints).
//!
//! A request id is recorded at most once with a final outcome (data, no record, refused) and
//! at most once as unavailable: the unique index on (asker, request_id, final) holds that even
//! if two hub instances raced. Entries and the checkpoints that cover them are written in one
//! transaction ([`super::Store::append_log`]); only the hub's single log writer appends.

use renkei_store::StoreError;

use renkei_ledger::record_log::{Checkpoint, Entry, Exchange, Outcome};

pub(super) const SQLITE: &str = "
    CREATE TABLE record_log (
        seq               INTEGER PRIMARY KEY,
        time_micros       INTEGER NOT NULL,
        asker             TEXT NOT NULL,
        provider          TEXT NOT NULL,
        task              TEXT NOT NULL,
        info              TEXT NOT NULL,
        outcome           INTEGER NOT NULL,   -- 0 data, 1 no_record, 2 refused, 3 unavailable
        refusal           TEXT,               -- the refusing rule's code, when refused
        disclosable       INTEGER NOT NULL,
        request_id        TEXT NOT NULL,
        final             INTEGER NOT NULL,   -- 0 for unavailable, else 1
        person            BLOB NOT NULL,
        request_signature BLOB NOT NULL,
        answer_signature  BLOB NOT NULL,
        hash              BLOB NOT NULL
    );
    CREATE UNIQUE INDEX record_log_request ON record_log (asker, request_id, final);
    CREATE TABLE record_checkpoints (
        seq         INTEGER PRIMARY KEY,
        hash        BLOB NOT NULL,
        time_micros INTEGER NOT NULL,
        signature   BLOB NOT NULL
    );
";

pub(super) const POSTGRES: &str = "
    CREATE TABLE record_log (
        seq               BIGINT PRIMARY KEY,
        time_micros       BIGINT NOT NULL,
        asker             TEXT NOT NULL,
        provider          TEXT NOT NULL,
        task              TEXT NOT NULL,
        info              TEXT NOT NULL,
        outcome           SMALLINT NOT NULL,
        refusal           TEXT,
        disclosable       BOOLEAN NOT NULL,
        request_id        TEXT NOT NULL,
        final             BOOLEAN NOT NULL,
        person            BYTEA NOT NULL,
        request_signature BYTEA NOT NULL,
        answer_signature  BYTEA NOT NULL,
        hash              BYTEA NOT NULL
    );
    CREATE UNIQUE INDEX record_log_request ON record_log (asker, request_id, final);
    CREATE TABLE record_checkpoints (
        seq         BIGINT PRIMARY KEY,
        hash        BYTEA NOT NULL,
        time_micros BIGINT NOT NULL,
        signature   BYTEA NOT NULL
    );
";

/// The columns, in the order every query below uses.
pub(super) const COLUMNS: &str =
    "seq, time_micros, asker, provider, task, info, outcome, refusal, \
    disclosable, request_id, person, request_signature, answer_signature, hash";

fn outcome(code: i16, refusal: Option<String>) -> Result<Outcome, StoreError> {
    Outcome::from_code(code, refusal)
        .ok_or_else(|| StoreError::Corrupt(format!("record_log.outcome {code}")))
}

fn key(field: &str, bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("record_log.{field}")))
}

/// A row's values, as both engines read them.
pub(super) struct Row {
    pub seq: i64,
    pub time_micros: i64,
    pub asker: String,
    pub provider: String,
    pub task: String,
    pub info: String,
    pub outcome: i16,
    pub refusal: Option<String>,
    pub disclosable: bool,
    pub request_id: String,
    pub person: Vec<u8>,
    pub request_signature: Vec<u8>,
    pub answer_signature: Vec<u8>,
    pub hash: Vec<u8>,
}

impl Row {
    pub fn into_entry(self) -> Result<Entry, StoreError> {
        Ok(Entry {
            seq: self.seq as u64,
            time_micros: self.time_micros,
            exchange: Exchange {
                asker: self.asker,
                provider: self.provider,
                task: self.task,
                info: self.info,
                outcome: outcome(self.outcome, self.refusal)?,
                disclosable: self.disclosable,
                request_id: self.request_id,
                person: key("person", self.person)?,
                request_signature: self.request_signature,
                answer_signature: self.answer_signature,
            },
            hash: key("hash", self.hash)?,
        })
    }
}

pub(super) fn checkpoint(
    seq: i64,
    hash: Vec<u8>,
    time_micros: i64,
    signature: Vec<u8>,
) -> Result<Checkpoint, StoreError> {
    Ok(Checkpoint {
        seq: seq as u64,
        hash: key("checkpoint hash", hash)?,
        time_micros,
        signature,
    })
}

/// A row of `record_log` that cannot be read, named by its entry number (or, if even that is
/// unreadable, by the entry before it), so that `audit verify` can name it.
pub(super) fn unreadable(seq: Option<i64>, previous: Option<&Entry>, e: StoreError) -> StoreError {
    let which = match (seq, previous) {
        (Some(seq), _) => format!("第{seq}号"),
        (None, Some(p)) => format!("第{}号の次の記録", p.seq),
        (None, None) => "最初の記録".into(),
    };
    StoreError::Corrupt(format!("情報提供等記録の{which}を読めません: {e}"))
}

/// The log as stored: entries by `seq`, checkpoints by `seq`.
#[derive(Debug, Clone, Default)]
pub struct StoredLog {
    pub entries: Vec<Entry>,
    pub checkpoints: Vec<Checkpoint>,
}

/// Where the log ends: its last entry and the last entry a checkpoint covers (0 if none).
#[derive(Debug, Clone, Default)]
pub struct LogHead {
    pub last: Option<Entry>,
    pub checkpointed_seq: u64,
}
