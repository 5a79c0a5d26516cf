//! A registration job's chunks on SQLite: each applied in one IMMEDIATE transaction with its
//! results stored beside it, so that a chunk sent again is answered from what was applied.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::*;

/// [`SqliteStore::apply_chunk`] in one IMMEDIATE transaction on the writer.
pub(super) fn apply(
    conn: &mut Connection,
    tenant: &str,
    seq: u32,
    ctx: &ChunkContext,
    items: Vec<Item>,
    known: &mut Option<Known>,
) -> Result<Applied, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(done) = stored_results(&tx, tenant, &ctx.job_id, seq)? {
        return Ok(Applied::Done(done));
    }
    if seq > 0 && !chunk_exists(&tx, tenant, &ctx.job_id, seq - 1)? {
        return Ok(Applied::PreviousPending(items));
    }
    let next_branch: u64 = tx.query_row(
        "SELECT next_branch FROM tenants WHERE code = ?1",
        [tenant],
        |r| r.get(0),
    )?;
    let known = match known.take() {
        Some(k) if k.is_current(&tx)? => known.insert(k),
        _ => known.insert(Known::load(&tx)?),
    };
    let existing = load_existing(&tx, tenant, &items, known)?;
    let plan = plan_chunk(&ctx.plan_context(), items, existing, next_branch);
    known.note(tenant, &plan);
    write_plan(&tx, tenant, &plan)?;
    tx.execute(
        "UPDATE tenants SET next_branch = ?2 WHERE code = ?1",
        params![tenant, plan.next_branch],
    )?;
    let (registered, held) = counts(&plan.results);
    tx.execute(
        "INSERT INTO reg_chunks (tenant, job_id, seq, rows, registered, held, results)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            tenant,
            ctx.job_id,
            seq,
            plan.results.len(),
            registered,
            held,
            results_json(&plan.results)
        ],
    )?;
    tx.commit()?;
    Ok(Applied::Done(plan.results))
}

pub(super) fn status(
    conn: &Connection,
    tenant: &str,
    job_id: &str,
) -> Result<Option<JobStatus>, StoreError> {
    let finished: Option<Option<String>> = conn
        .query_row(
            "SELECT finished_at FROM reg_jobs WHERE tenant = ?1 AND job_id = ?2",
            [tenant, job_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(finished) = finished else {
        return Ok(None);
    };
    let (chunks, rows, registered, held): (u32, u64, u64, u64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(rows), 0), COALESCE(SUM(registered), 0), COALESCE(SUM(held), 0)
         FROM reg_chunks WHERE tenant = ?1 AND job_id = ?2",
        [tenant, job_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    Ok(Some(JobStatus {
        job_id: job_id.to_owned(),
        chunks_done: chunks,
        rows_done: rows,
        registered,
        held,
        finished: finished.is_some(),
    }))
}

fn chunk_exists(
    conn: &Connection,
    tenant: &str,
    job_id: &str,
    seq: u32,
) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM reg_chunks WHERE tenant = ?1 AND job_id = ?2 AND seq = ?3",
            params![tenant, job_id, seq],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub(super) fn stored_results(
    conn: &Connection,
    tenant: &str,
    job_id: &str,
    seq: u32,
) -> Result<Option<Vec<RowResult>>, StoreError> {
    let json: Option<String> = conn
        .query_row(
            "SELECT results FROM reg_chunks WHERE tenant = ?1 AND job_id = ?2 AND seq = ?3",
            params![tenant, job_id, seq],
            |r| r.get(0),
        )
        .optional()?;
    json.as_deref().map(results_from).transpose()
}
