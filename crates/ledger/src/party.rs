//! The asker's and the provider's own record of each exchange (DESIGN.md, Security: the
//! asker, the provider and the hub each record every exchange), and their reconciliation
//! with the hub's 情報提供等記録.
//!
//! `agency` and `intermediate` (for its insurer tenants) keep a `party_records` table in their
//! own store: one row per exchange and side, exactly once per (party, side, asker, request id,
//! final) as at the hub, with the hub's entry number (第N号) beside it when the party learns
//! it (the asker always does; a provider answering the hub does not, since the hub records
//! after the answer — [`reconcile`] then matches by asker and request id). Rows are written by
//! a group-committing [`PartyLog`] before the party answers. No 符号 and no 個人番号 are kept:
//! the hub's log holds the only person key.

use renkei_store::StoreError;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use crate::record_log::Outcome;

/// Appended to the migrations of a party's SQLite store.
pub const SQLITE: &str = "
    CREATE TABLE party_records (
        party       TEXT NOT NULL,      -- whose record: the asker's or the provider's code
        side        INTEGER NOT NULL,   -- 0 asked, 1 provided
        asker       TEXT NOT NULL,
        provider    TEXT NOT NULL,
        task        TEXT NOT NULL,
        info        TEXT NOT NULL,
        request_id  TEXT NOT NULL,
        final       INTEGER NOT NULL,   -- 0 for unavailable, else 1
        outcome     INTEGER NOT NULL,   -- 0 data, 1 no_record, 2 refused, 3 unavailable
        refusal     TEXT,
        disclosable INTEGER NOT NULL,
        hub_seq     INTEGER,            -- the hub's entry number (第N号), when known
        time_micros INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX party_records_request
        ON party_records (party, side, asker, request_id, final);
";

/// Appended to the migrations of a party's PostgreSQL store.
pub const POSTGRES: &str = "
    CREATE TABLE party_records (
        party       TEXT NOT NULL,
        side        SMALLINT NOT NULL,
        asker       TEXT NOT NULL,
        provider    TEXT NOT NULL,
        task        TEXT NOT NULL,
        info        TEXT NOT NULL,
        request_id  TEXT NOT NULL,
        final       BOOLEAN NOT NULL,
        outcome     SMALLINT NOT NULL,
        refusal     TEXT,
        disclosable BOOLEAN NOT NULL,
        hub_seq     BIGINT,
        time_micros BIGINT NOT NULL
    );
    CREATE UNIQUE INDEX party_records_request
        ON party_records (party, side, asker, request_id, final);
";

/// Which side of the exchange the party was on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Asked,
    Provided,
}

impl Side {
    fn code(self) -> i16 {
        match self {
            Side::Asked => 0,
            Side::Provided => 1,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Side::Asked => "照会者",
            Side::Provided => "提供者",
        }
    }
}

/// One party's record of one exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyRecord {
    /// The institution whose record this is (the asker or the provider).
    pub party: String,
    pub side: Side,
    pub asker: String,
    pub provider: String,
    pub task: String,
    pub info: String,
    pub request_id: String,
    /// As the party saw it: the hub's answer (asker) or its own answer (provider).
    pub outcome: Outcome,
    pub disclosable: bool,
    /// The hub's entry number, when the party learnt it.
    pub hub_seq: Option<u64>,
    pub time_micros: i64,
}

impl PartyRecord {
    /// A record stamped now.
    #[allow(clippy::too_many_arguments)]
    pub fn now(
        party: &str,
        side: Side,
        asker: &str,
        provider: &str,
        task: &str,
        info: &str,
        request_id: &str,
        outcome: Outcome,
        hub_seq: Option<u64>,
    ) -> PartyRecord {
        PartyRecord {
            party: party.to_owned(),
            side,
            asker: asker.to_owned(),
            provider: provider.to_owned(),
            task: task.to_owned(),
            info: info.to_owned(),
            request_id: request_id.to_owned(),
            outcome,
            disclosable: true,
            hub_seq,
            time_micros: (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000) as i64,
        }
    }

    fn is_final(&self) -> bool {
        self.outcome != Outcome::Unavailable
    }
}

/// The outcome an asker records for the hub's answer.
pub fn outcome_of(answer: &renkei_wire::msg::inquiry::InquiryAnswer) -> Outcome {
    use renkei_wire::msg::inquiry::InquiryAnswer;
    match answer {
        InquiryAnswer::Data { .. } => Outcome::Data,
        InquiryAnswer::NoRecord => Outcome::NoRecord,
        InquiryAnswer::Refused { code, .. } => Outcome::Refused(code.clone()),
        InquiryAnswer::Unavailable { .. } => Outcome::Unavailable,
    }
}

fn outcome(code: i16, refusal: Option<String>) -> Result<Outcome, StoreError> {
    Outcome::from_code(code, refusal)
        .ok_or_else(|| StoreError::Corrupt(format!("party_records.outcome {code}")))
}

fn outcome_name(o: &Outcome) -> String {
    match o {
        Outcome::Data => "提供".into(),
        Outcome::NoRecord => "該当なし".into(),
        Outcome::Refused(code) => format!("拒否（{code}）"),
        Outcome::Unavailable => "応答なし".into(),
    }
}

/// The most records one transaction writes.
const MAX_BATCH: usize = 512;

struct Job {
    record: PartyRecord,
    reply: oneshot::Sender<Result<(), String>>,
}

/// The writer of a party's records: handlers send a record and wait until it is durable;
/// one task commits whatever is queued in one transaction.
#[derive(Clone)]
pub struct PartyLog {
    jobs: mpsc::Sender<Job>,
}

impl PartyLog {
    /// Starts the writer task; it stops when every handle is dropped.
    pub fn start(engine: Engine) -> PartyLog {
        let (jobs, mut rx) = mpsc::channel::<Job>(MAX_BATCH * 4);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let (records, replies): (Vec<_>, Vec<_>) =
                    batch.drain(..).map(|j| (j.record, j.reply)).unzip();
                let done = engine.insert(records).await.map_err(|e| e.to_string());
                if let Err(e) = &done {
                    tracing::error!(error = %e, "照会の記録（自機関分）を保存できません");
                }
                for reply in replies {
                    let _ = reply.send(done.clone());
                }
            }
        });
        PartyLog { jobs }
    }

    /// Records `record` (once: a record of the same key is kept as it was).
    pub async fn record(&self, record: PartyRecord) -> Result<(), StoreError> {
        let (reply, done) = oneshot::channel();
        let gone =
            || StoreError::Corrupt("照会の記録（自機関分）の書き込みが停止しています".into());
        self.jobs
            .send(Job { record, reply })
            .await
            .map_err(|_| gone())?;
        done.await
            .map_err(|_| gone())?
            .map_err(|e| StoreError::Corrupt(format!("照会の記録（自機関分）: {e}")))
    }
}

mod provide;
mod reconcile;
mod store;

pub use reconcile::{reconcile, Disagreement, PartyRecords, Reconciled};
pub use store::{Engine, PartyStore};
