//! Committing a staged 副本 session on PostgreSQL: the set-based comparison of a full file with
//! the current version, and the in-order application of a delta.

use super::*;

pub(super) async fn commit_in(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    session: &Session,
    chunks: u32,
    rows: u64,
    hook: &Hook,
) -> Result<Committed, StoreError> {
    let state: Option<String> = tx
        .query_opt(
            "SELECT state FROM fuhon_sessions WHERE tenant = $1 AND session = $2 FOR UPDATE",
            &[&tenant, &session.id],
        )
        .await?
        .map(|r| r.get(0));
    if state.as_deref() != Some("open") {
        return Ok(Committed::NotOpen);
    }
    let t = tx
        .query_one(&pg(SQL_CHUNK_TOTALS), &[&tenant, &session.id])
        .await?;
    let (got_chunks, got_rows, bad) = (
        t.get::<_, i64>(0) as u32,
        t.get::<_, i64>(1) as u64,
        t.get::<_, i64>(2),
    );
    if got_chunks != chunks || got_rows != rows {
        return Ok(Committed::Incomplete {
            chunks: got_chunks,
            rows: got_rows,
        });
    }
    // Every bad row is named: those the chunks found, and those found below.
    let mut errors = Vec::new();
    if bad > 0 {
        for r in tx
            .query(&pg(SQL_ALL_CHUNK_ERRORS), &[&tenant, &session.id])
            .await?
        {
            errors.extend(errors_from(r.get(0))?);
        }
    }
    let previous = latest(tx, tenant, session.kind).await?;
    let version = previous.as_ref().map_or(1, |v| v.version + 1);
    let kind = session.kind.code();
    let v = i(version);
    let info = match session.mode {
        UploadMode::Full | UploadMode::Check => {
            let dups: Vec<(u64, String, String)> = tx
                .query(&pg(SQL_DUPLICATES), &[&tenant, &session.id])
                .await?
                .iter()
                .map(|r| (r.get::<_, i64>(0) as u64, r.get(1), r.get(2)))
                .collect();
            errors.extend(duplicate_errors(session.kind, &dups));
            if !errors.is_empty() {
                return Ok(capped(errors));
            }
            if session.mode == UploadMode::Check {
                tx.execute(
                    &pg(SQL_MARK_DONE),
                    &[&tenant, &session.id, &Option::<i64>::None],
                )
                .await?;
                return Ok(Committed::Checked(previous));
            }
            // Hash or merge anti-joins only: with the statistics of freshly filled tables the
            // planner may pick a nested loop that scans the 副本 once per staged row.
            tx.batch_execute("SET LOCAL enable_nestloop = off").await?;
            let args: [&(dyn ToSql + Sync); 4] = [&tenant, &kind, &session.id, &v];
            let closed = tx.execute(&pg(SQL_FULL_CLOSE), &args).await?;
            hook.check(closed)?;
            let inserted = tx.execute(&pg(SQL_FULL_INSERT), &args).await?;
            hook.check(closed + inserted)?;
            let changed = tx
                .query_one(&pg(SQL_FULL_CHANGED), &args)
                .await?
                .get::<_, i64>(0) as u64;
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
            let mut after = 0i64;
            let (mut added, mut changed, mut deleted, mut unchanged, mut written) =
                (0, 0, 0, 0, 0u64);
            loop {
                let page = tx
                    .query(
                        &pg(SQL_STAGED_PAGE),
                        &[&tenant, &session.id, &after, &(STEP_ROWS as i64)],
                    )
                    .await?
                    .iter()
                    .map(staged)
                    .collect::<Result<Vec<_>, _>>()?;
                let Some(last) = page.last() else { break };
                after = last.line as i64;
                let current = current_of(tx, tenant, kind, &page).await?;
                let plan = plan_delta(session.kind, version, &page, &current);
                errors.extend(plan.errors);
                added += plan.added;
                changed += plan.changed;
                deleted += plan.deleted;
                unchanged += plan.unchanged;
                // Applied even after a refused row (the transaction is then rolled back), so
                // that later rows are judged against what the rows before them did.
                written += apply_writes(tx, tenant, kind, v, &plan.writes).await?;
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
        &pg(SQL_INSERT_VERSION),
        &[
            &tenant,
            &kind,
            &v,
            &session.id,
            &info.mode.code(),
            &info.digest,
            &info.as_of,
            &info.committed_at,
            &i(info.records),
            &i(info.added),
            &i(info.changed),
            &i(info.deleted),
            &i(info.unchanged),
        ],
    )
    .await?;
    tx.execute(&pg(SQL_MARK_DONE), &[&tenant, &session.id, &Some(v)])
        .await?;
    Ok(Committed::Version(info))
}

pub(super) async fn current_of(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    kind: &str,
    rows: &[Staged],
) -> Result<CurrentMap, StoreError> {
    let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    let mut out: CurrentMap = keys.iter().map(|k| (k.to_string(), None)).collect();
    for r in tx
        .query(
            "SELECT key, from_version, insured, branch, fields FROM fuhon_records
             WHERE tenant = $1 AND kind = $2 AND key = ANY($3) AND to_version IS NULL",
            &[&tenant, &kind, &keys],
        )
        .await?
    {
        let (key, current) = keyed(&r);
        out.insert(key, Some(current));
    }
    Ok(out)
}

pub(super) async fn apply_writes(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    kind: &str,
    version: i64,
    writes: &[Write],
) -> Result<u64, StoreError> {
    let (mut close, mut remove) = (Vec::new(), Vec::new());
    let (mut keys, mut insured, mut branches, mut fields) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for w in writes {
        match w {
            Write::Close { key } => close.push(key.as_str()),
            Write::Remove { key } => remove.push(key.as_str()),
            Write::Insert { key, record } => {
                keys.push(key.as_str());
                insured.push(record.insured.as_str());
                branches.push(record.branch.as_str());
                fields.push(record.fields.as_str());
            }
        }
    }
    if !close.is_empty() {
        tx.execute(
            "UPDATE fuhon_records SET to_version = $4 WHERE tenant = $1 AND kind = $2 AND key = ANY($3) AND to_version IS NULL",
            &[&tenant, &kind, &close, &version],
        )
        .await?;
    }
    if !remove.is_empty() {
        tx.execute(
            "DELETE FROM fuhon_records WHERE tenant = $1 AND kind = $2 AND key = ANY($3) AND from_version = $4",
            &[&tenant, &kind, &remove, &version],
        )
        .await?;
    }
    if !keys.is_empty() {
        tx.execute(
            "INSERT INTO fuhon_records (tenant, kind, key, from_version, to_version, insured, branch, fields)
             SELECT $1, $2, k, $3, NULL, i, b, f FROM UNNEST($4::text[], $5::text[], $6::text[], $7::text[]) AS u(k, i, b, f)",
            &[&tenant, &kind, &version, &keys, &insured, &branches, &fields],
        )
        .await?;
    }
    Ok(writes.len() as u64)
}
