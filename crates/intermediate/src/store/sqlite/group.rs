//! Chunks that wait for the writer are applied together, in one transaction.
//!
//! A chunk dirties about one page per row in each random index (fewer as the chunk grows
//! against the index), and each dirty page is one WAL frame at commit and one copy at the next
//! checkpoint. The terminal sends a few chunks at once, so while one is applied the next ones
//! queue for the single writer; the call that gets the writer applies every queued chunk in
//! one transaction, and a page that several of them dirty is written once.
//!
//! Each chunk is applied exactly as alone — stored results first, in (tenant, job, seq) order,
//! so a chunk's predecessor is either committed or applied before it in the same transaction —
//! and answered only after the commit. If the transaction fails, it is rolled back and each
//! chunk is applied alone, so no chunk's outcome depends on another's.

use std::sync::{Arc, Mutex};

use renkei_store::StoreError;
use renkei_wire::msg::intermediate::RowResult;
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::super::{Applied, ChunkContext};
use super::chunk::apply_in;
use crate::domain::plan::Item;

/// A chunk waiting for the writer, and where its outcome goes.
pub(super) struct Waiting {
    pub tenant: String,
    pub seq: u32,
    pub ctx: ChunkContext,
    pub items: Vec<Item>,
    pub answer: oneshot::Sender<Result<Applied, StoreError>>,
}

/// The chunks waiting for the writer of one store.
#[derive(Clone, Default)]
pub(super) struct Queue(Arc<Mutex<Vec<Waiting>>>);

/// What applying a chunk came to, before its items are handed back (if they are).
pub(super) enum Outcome {
    Done(Vec<RowResult>),
    PreviousPending,
}

impl Outcome {
    fn applied(self, items: Vec<Item>) -> Applied {
        match self {
            Outcome::Done(results) => Applied::Done(results),
            Outcome::PreviousPending => Applied::PreviousPending(items),
        }
    }
}

impl Queue {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    pub fn push(&self, chunk: Waiting) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(chunk);
    }

    /// Applies and answers every waiting chunk (nothing if another call took them already).
    /// Runs on the writer connection.
    pub fn apply(&self, conn: &mut Connection) {
        let mut group = std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        group.sort_by(|a, b| {
            (&a.tenant, &a.ctx.job_id, a.seq).cmp(&(&b.tenant, &b.ctx.job_id, b.seq))
        });
        if group.len() > 1 {
            match together(conn, &group) {
                Ok(outcomes) => {
                    tracing::debug!(chunks = group.len(), "chunks applied together");
                    for (chunk, outcome) in group.into_iter().zip(outcomes) {
                        let _ = chunk.answer.send(Ok(outcome.applied(chunk.items)));
                    }
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, chunks = group.len(), "applying waiting chunks together failed; applying each alone");
                }
            }
        }
        for chunk in group {
            let outcome = alone(conn, &chunk).map(|o| o.applied(chunk.items));
            let _ = chunk.answer.send(outcome);
        }
    }
}

fn together(conn: &mut Connection, group: &[Waiting]) -> Result<Vec<Outcome>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let outcomes = group
        .iter()
        .map(|c| apply_in(&tx, &c.tenant, c.seq, &c.ctx, &c.items))
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit()?;
    Ok(outcomes)
}

fn alone(conn: &mut Connection, c: &Waiting) -> Result<Outcome, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let outcome = apply_in(&tx, &c.tenant, c.seq, &c.ctx, &c.items)?;
    tx.commit()?;
    Ok(outcome)
}
