//! The 副本 commit, written once for both engines: which exit a session takes (not open, not
//! complete, refused, checked, or a new version), what is compared and what is written, in
//! which order. A full file is compared with the current version set-based; a delta is applied
//! in file order a page at a time ([`plan_delta`]).
//!
//! An engine supplies the reads and writes inside its one transaction ([`CommitTx`]) and commits
//! that transaction only when [`Committed::commits_transaction`] says so, so a refusal or a crash
//! leaves the previous version. PostgreSQL awaits its steps; SQLite's are blocking calls on its
//! writer thread, which complete before they return.

use std::ops::ControlFlow;

use renkei_store::StoreError;
use renkei_wire::msg::fuhon::{FuhonKind, RowError, UploadMode, VersionInfo, MAX_COMMIT_ERRORS};

use super::{now, Committed, CurrentMap, Hook, Session, SessionState, STEP_ROWS};
use crate::fuhon::delta::{plan_delta, DeltaPlan, Staged, Write};

/// What the session's chunks hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ChunkTotals {
    pub chunks: u32,
    pub rows: u64,
    /// Rows the chunks found bad (their errors are stored with the chunk).
    pub bad: u64,
}

/// The reads and writes of one commit of one tenant's session, inside the engine's transaction.
pub(super) trait CommitTx {
    /// The session's state (locked until the end of the transaction where the engine locks rows).
    async fn session_state(&self) -> Result<Option<SessionState>, StoreError>;
    async fn chunk_totals(&self) -> Result<ChunkTotals, StoreError>;
    /// The errors the chunks found, chunk by chunk.
    async fn chunk_errors(&self) -> Result<Vec<RowError>, StoreError>;
    /// The current version of the session's kind.
    async fn latest(&self) -> Result<Option<VersionInfo>, StoreError>;
    /// The staged rows of repeated keys as (line, key, insured), in (key, line) order.
    async fn duplicates(&self) -> Result<Vec<(u64, String, String)>, StoreError>;
    /// Full file: ends (as of `version`) every current record not staged with the same fields;
    /// returns how many.
    async fn close_unmatched(&self, version: u64) -> Result<u64, StoreError>;
    /// Full file: makes every staged row whose key has no current record (any more) current
    /// from `version`; returns how many.
    async fn insert_unmatched(&self, version: u64) -> Result<u64, StoreError>;
    /// Full file: how many of the records `version` ended have their key staged again.
    async fn count_replaced(&self, version: u64) -> Result<u64, StoreError>;
    /// Delta: up to `limit` staged rows after line `after`, in line order.
    async fn staged_page(&self, after: u64, limit: usize) -> Result<Vec<Staged>, StoreError>;
    /// Delta: the current record, if any, of every key `rows` touch.
    async fn current_of(&self, rows: &[Staged]) -> Result<CurrentMap, StoreError>;
    /// Delta: writes `writes` as `version`.
    async fn apply_writes(&self, version: u64, writes: &[Write]) -> Result<(), StoreError>;
    async fn insert_version(&self, info: &VersionInfo) -> Result<(), StoreError>;
    /// Marks the session done, with the version it made (none for a check).
    async fn mark_done(&self, version: Option<u64>) -> Result<(), StoreError>;
}

impl Committed {
    /// Whether the engine commits the transaction: a new version, or a check's session marked
    /// done. Every other exit rolls back and leaves the previous version.
    pub(super) fn commits_transaction(&self) -> bool {
        matches!(self, Committed::Version(_) | Committed::Checked(_))
    }

    /// Whether the staged rows can go once the transaction is committed: a check keeps them
    /// for its drift pages.
    pub(super) fn drops_staging(&self) -> bool {
        matches!(self, Committed::Version(_))
    }
}

/// Commits `session` through `tx`, expecting `chunks` chunks of `rows` rows in all.
pub(super) async fn commit(
    tx: &impl CommitTx,
    session: &Session,
    chunks: u32,
    rows: u64,
    hook: &Hook,
) -> Result<Committed, StoreError> {
    if tx.session_state().await? != Some(SessionState::Open) {
        return Ok(Committed::NotOpen);
    }
    let got = tx.chunk_totals().await?;
    if got.chunks != chunks || got.rows != rows {
        return Ok(Committed::Incomplete {
            chunks: got.chunks,
            rows: got.rows,
        });
    }
    // Every bad row is named: those the chunks found, and those found below.
    let errors = if got.bad > 0 {
        tx.chunk_errors().await?
    } else {
        Vec::new()
    };
    let previous = tx.latest().await?;
    let made = match session.mode {
        UploadMode::Full | UploadMode::Check => {
            full(tx, session, rows, previous, errors, hook).await?
        }
        UploadMode::Delta => delta(tx, session, previous, errors, hook).await?,
    };
    let info = match made {
        ControlFlow::Continue(info) => info,
        ControlFlow::Break(exit) => return Ok(exit),
    };
    tx.insert_version(&info).await?;
    tx.mark_done(Some(info.version)).await?;
    Ok(Committed::Version(info))
}

/// A full file (or a check's extract): refused with every repeated key, validated for a check,
/// else compared with the current version. `staged` rows were staged.
async fn full(
    tx: &impl CommitTx,
    session: &Session,
    staged: u64,
    previous: Option<VersionInfo>,
    mut errors: Vec<RowError>,
    hook: &Hook,
) -> Result<ControlFlow<Committed, VersionInfo>, StoreError> {
    errors.extend(duplicate_errors(session.kind, &tx.duplicates().await?));
    if !errors.is_empty() {
        return Ok(ControlFlow::Break(capped(errors)));
    }
    if session.mode == UploadMode::Check {
        tx.mark_done(None).await?;
        return Ok(ControlFlow::Break(Committed::Checked(previous)));
    }
    let version = next_version(previous.as_ref());
    let closed = tx.close_unmatched(version).await?;
    hook.check(closed)?;
    let inserted = tx.insert_unmatched(version).await?;
    hook.check(closed + inserted)?;
    let changed = tx.count_replaced(version).await?;
    let counts = FullCounts {
        staged,
        closed,
        inserted,
        changed,
    };
    Ok(ControlFlow::Continue(counts.tally().into_info(
        session,
        version,
        records_of(previous.as_ref()),
    )))
}

/// A delta, applied in file order a page at a time; refused with every row that cannot apply.
async fn delta(
    tx: &impl CommitTx,
    session: &Session,
    previous: Option<VersionInfo>,
    mut errors: Vec<RowError>,
    hook: &Hook,
) -> Result<ControlFlow<Committed, VersionInfo>, StoreError> {
    let version = next_version(previous.as_ref());
    let mut tally = Tally::default();
    let (mut after, mut written) = (0u64, 0u64);
    loop {
        let page = tx.staged_page(after, STEP_ROWS).await?;
        let Some(last) = page.last() else { break };
        after = last.line;
        let current = tx.current_of(&page).await?;
        let plan = plan_delta(session.kind, version, &page, &current);
        tally.add(&plan);
        errors.extend(plan.errors);
        // Applied even after a refused row (the transaction is then rolled back), so that later
        // rows are judged against what the rows before them did.
        tx.apply_writes(version, &plan.writes).await?;
        written += plan.writes.len() as u64;
        hook.check(written)?;
    }
    if !errors.is_empty() {
        return Ok(ControlFlow::Break(capped(errors)));
    }
    Ok(ControlFlow::Continue(tally.into_info(
        session,
        version,
        records_of(previous.as_ref()),
    )))
}

fn next_version(previous: Option<&VersionInfo>) -> u64 {
    previous.map_or(1, |v| v.version + 1)
}

fn records_of(previous: Option<&VersionInfo>) -> u64 {
    previous.map_or(0, |v| v.records)
}

/// Errors for keys repeated in a full file or extract: `dups` are (line, key, insured) rows
/// of repeated keys in (key, line) order; every row after a key's first is at fault.
fn duplicate_errors(kind: FuhonKind, dups: &[(u64, String, String)]) -> Vec<RowError> {
    let mut out = Vec::new();
    let mut first: Option<(&str, u64)> = None;
    for (line, key, insured) in dups {
        match first {
            Some((k, at)) if k == key => out.push(RowError {
                line: *line,
                field: "被保険者番号".into(),
                code: "DUPLICATE_KEY".into(),
                message: format!(
                    "被保険者番号 {insured} の{}が{at}行目と重複しています（1件につき1行にしてください）",
                    kind.label()
                ),
            }),
            _ => first = Some((key, *line)),
        }
    }
    out.sort_by_key(|e| e.line);
    out
}

/// Caps a commit's error list (the count stays complete).
fn capped(mut errors: Vec<RowError>) -> Committed {
    let total = errors.len() as u64;
    errors.sort_by_key(|e| e.line);
    errors.truncate(MAX_COMMIT_ERRORS);
    Committed::Refused { errors, total }
}

/// What a full commit did, as the set-based statements count it.
struct FullCounts {
    staged: u64,
    closed: u64,
    inserted: u64,
    /// Closed records whose key was inserted again.
    changed: u64,
}

impl FullCounts {
    fn tally(self) -> Tally {
        Tally {
            added: self.inserted - self.changed,
            changed: self.changed,
            deleted: self.closed - self.changed,
            unchanged: self.staged - self.inserted,
        }
    }
}

/// A version's statistics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    added: u64,
    changed: u64,
    deleted: u64,
    unchanged: u64,
}

impl Tally {
    fn add(&mut self, plan: &DeltaPlan) {
        self.added += plan.added;
        self.changed += plan.changed;
        self.deleted += plan.deleted;
        self.unchanged += plan.unchanged;
    }

    fn into_info(self, session: &Session, version: u64, previous_records: u64) -> VersionInfo {
        VersionInfo {
            kind: session.kind,
            version,
            mode: session.mode,
            as_of: session.as_of.clone(),
            committed_at: now(),
            digest: session.digest.clone(),
            records: previous_records + self.added - self.deleted,
            added: self.added,
            changed: self.changed,
            deleted: self.deleted,
            unchanged: self.unchanged,
        }
    }
}

#[cfg(test)]
#[path = "commit_tests.rs"]
mod tests;
