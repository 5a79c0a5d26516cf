//! Committing a staged 副本 session on SQLite: the set-based comparison of a full file with the
//! current version, and the in-order application of a delta.

use super::*;

pub(super) fn commit_in(
    tx: &Connection,
    tenant: &str,
    session: &Session,
    chunks: u32,
    rows: u64,
    hook: &Hook,
) -> Result<Committed, StoreError> {
    let state: Option<String> = tx
        .query_row(
            "SELECT state FROM fuhon_sessions WHERE tenant = ?1 AND session = ?2",
            params![tenant, session.id],
            |r| r.get(0),
        )
        .optional()?;
    if state.as_deref() != Some("open") {
        return Ok(Committed::NotOpen);
    }
    let (got_chunks, got_rows, bad): (u32, u64, u64) =
        tx.query_row(SQL_CHUNK_TOTALS, params![tenant, session.id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    if got_chunks != chunks || got_rows != rows {
        return Ok(Committed::Incomplete {
            chunks: got_chunks,
            rows: got_rows,
        });
    }
    // Every bad row is named: those the chunks found, and those found below.
    let mut errors = Vec::new();
    if bad > 0 {
        let mut stmt = tx.prepare_cached(SQL_ALL_CHUNK_ERRORS)?;
        let lists = stmt.query_map(params![tenant, session.id], |r| r.get::<_, String>(0))?;
        for list in lists {
            errors.extend(errors_from(&list?)?);
        }
    }
    let previous = latest(tx, tenant, session.kind)?;
    let version = previous.as_ref().map_or(1, |v| v.version + 1);
    let kind = session.kind.code();
    let info = match session.mode {
        UploadMode::Full | UploadMode::Check => {
            let dups = {
                let mut stmt = tx.prepare_cached(SQL_DUPLICATES)?;
                let rows = stmt.query_map(params![tenant, session.id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
                rows.collect::<Result<Vec<_>, _>>()?
            };
            errors.extend(duplicate_errors(session.kind, &dups));
            if !errors.is_empty() {
                return Ok(capped(errors));
            }
            if session.mode == UploadMode::Check {
                tx.execute(
                    SQL_MARK_DONE,
                    params![tenant, session.id, Option::<u64>::None],
                )?;
                return Ok(Committed::Checked(previous));
            }
            let closed =
                tx.execute(SQL_FULL_CLOSE, params![tenant, kind, session.id, version])? as u64;
            hook.check(closed)?;
            let inserted =
                tx.execute(SQL_FULL_INSERT, params![tenant, kind, session.id, version])? as u64;
            hook.check(closed + inserted)?;
            let changed: u64 = tx.query_row(
                SQL_FULL_CHANGED,
                params![tenant, kind, session.id, version],
                |r| r.get(0),
            )?;
            FullCounts {
                staged: rows,
                closed,
                inserted,
                changed,
            }
            .into_info(
                session,
                version,
                previous.as_ref().map_or(0, |v| v.records),
                now(),
            )
        }
        UploadMode::Delta => {
            let mut after = 0u64;
            let (mut added, mut changed, mut deleted, mut unchanged, mut written) =
                (0, 0, 0, 0, 0u64);
            loop {
                let page: Vec<Staged> = {
                    let mut stmt = tx.prepare_cached(SQL_STAGED_PAGE)?;
                    let rows = stmt
                        .query_map(params![tenant, session.id, after, STEP_ROWS as u64], staged)?;
                    rows.collect::<Result<Result<Vec<_>, _>, _>>()??
                };
                let Some(last) = page.last() else { break };
                after = last.line;
                let current = current_of(tx, tenant, kind, &page)?;
                let plan = plan_delta(session.kind, version, &page, &current);
                errors.extend(plan.errors);
                added += plan.added;
                changed += plan.changed;
                deleted += plan.deleted;
                unchanged += plan.unchanged;
                // Applied even after a refused row (the transaction is then rolled back), so that
                // later rows are judged against what the rows before them did.
                written += apply_writes(tx, tenant, kind, version, &plan.writes)?;
                hook.check(written)?;
            }
            if !errors.is_empty() {
                return Ok(capped(errors));
            }
            VersionInfo {
                kind: session.kind,
                version,
                mode: session.mode,
                as_of: session.as_of.clone(),
                committed_at: now(),
                digest: session.digest.clone(),
                records: previous.as_ref().map_or(0, |v| v.records) + added - deleted,
                added,
                changed,
                deleted,
                unchanged,
            }
        }
    };
    tx.execute(
        SQL_INSERT_VERSION,
        params![
            tenant,
            kind,
            info.version,
            session.id,
            info.mode.code(),
            info.digest,
            info.as_of,
            info.committed_at,
            info.records,
            info.added,
            info.changed,
            info.deleted,
            info.unchanged
        ],
    )?;
    tx.execute(SQL_MARK_DONE, params![tenant, session.id, info.version])?;
    Ok(Committed::Version(info))
}

pub(super) fn current_of(
    conn: &Connection,
    tenant: &str,
    kind: &str,
    rows: &[Staged],
) -> Result<CurrentMap, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT from_version, insured, branch, fields FROM fuhon_records
         WHERE tenant = ?1 AND kind = ?2 AND key = ?3 AND to_version IS NULL",
    )?;
    let mut out = CurrentMap::new();
    for r in rows {
        if out.contains_key(&r.key) {
            continue;
        }
        let found = stmt
            .query_row(params![tenant, kind, r.key], |r| {
                Ok(Current {
                    from_version: r.get(0)?,
                    insured: r.get(1)?,
                    branch: r.get(2)?,
                    fields: r.get(3)?,
                })
            })
            .optional()?;
        out.insert(r.key.clone(), found);
    }
    Ok(out)
}

pub(super) fn apply_writes(
    conn: &Connection,
    tenant: &str,
    kind: &str,
    version: u64,
    writes: &[Write],
) -> Result<u64, StoreError> {
    let mut close = conn.prepare_cached(
        "UPDATE fuhon_records SET to_version = ?4 WHERE tenant = ?1 AND kind = ?2 AND key = ?3 AND to_version IS NULL",
    )?;
    let mut remove = conn.prepare_cached(
        "DELETE FROM fuhon_records WHERE tenant = ?1 AND kind = ?2 AND key = ?3 AND from_version = ?4",
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO fuhon_records (tenant, kind, key, from_version, to_version, insured, branch, fields)
         VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7)",
    )?;
    for w in writes {
        match w {
            Write::Close { key } => close.execute(params![tenant, kind, key, version])?,
            Write::Remove { key } => remove.execute(params![tenant, kind, key, version])?,
            Write::Insert { key, record } => insert.execute(params![
                tenant,
                kind,
                key,
                version,
                record.insured,
                record.branch,
                record.fields
            ])?,
        };
    }
    Ok(writes.len() as u64)
}
