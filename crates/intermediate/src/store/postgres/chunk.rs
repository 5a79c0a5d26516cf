//! Applying a chunk on PostgreSQL: the look-ups the planner needs and the writes of its plan
//! (binary COPY for new rows).

use renkei_store::StoreError;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use super::super::{change_code, iso, now, SUBSCRIBER_COLUMNS};
use super::subscriber;
use crate::domain::plan::{Existing, Item, Plan};

pub(super) async fn load_existing(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    items: &[Item],
) -> Result<Existing, StoreError> {
    let mut keys: Vec<&[u8]> = Vec::new();
    let mut insured: Vec<&str> = Vec::new();
    for item in items {
        if let Item::Ready(ready) = item {
            keys.push(&ready.person_key);
            insured.push(ready.record.insured_number.as_str());
        }
    }
    let mut existing = Existing::default();
    if keys.is_empty() {
        return Ok(existing);
    }
    let sql = format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE tenant = $1 AND (person_key = ANY($2) OR insured_number = ANY($3))"
    );
    for row in tx.query(&sql, &[&tenant, &keys, &insured]).await? {
        let s = subscriber(&row)?;
        existing
            .insured_owner
            .insert(s.insured_number.clone(), s.person_key);
        existing.by_person.insert(s.person_key, s);
    }
    Ok(existing)
}

pub(super) async fn write_plan(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &str,
    plan: &Plan,
) -> Result<(), StoreError> {
    let updated_at = now();
    // Stored versions that this chunk supersedes go to the history before they are updated.
    if !plan.archive.is_empty() {
        tx.execute(
            "INSERT INTO subscriber_history (tenant, branch, version, change_type, insurer_number, insured_number, name,
             kana, birth, sex, address, acquired, lost, job_id, line, recorded_at)
             SELECT tenant, branch, version, change_type, insurer_number, insured_number, name, kana, birth, sex,
                    address, acquired, lost, COALESCE(version_job, source_job), COALESCE(version_line, source_line),
                    COALESCE(version_at, updated_at)
             FROM subscribers WHERE tenant = $1 AND branch = ANY($2)",
            &[&tenant, &plan.archive],
        )
        .await?;
    }
    // Updates first: one may free a 被保険者番号 that an insert then takes. `version_at` keeps
    // the stored version's time while the version stays (the right-hand sides read the old row).
    for s in &plan.updates {
        let origin = s.version_origin.as_ref();
        tx.execute(
            "UPDATE subscribers SET number_sealed = $3, fugo = $4, insurer_number = $5, insured_number = $6, name = $7,
             kana = $8, birth = $9, sex = $10, address = $11, acquired = $12, lost = $13, verified = $14,
             source_job = $15, source_line = $16, version = $17, updated_at = $18, change_type = $19,
             version_job = $20, version_line = $21,
             version_at = CASE WHEN version = $17 THEN COALESCE(version_at, updated_at) END
             WHERE tenant = $1 AND branch = $2",
            &[
                &tenant, &s.branch, &s.number_sealed, &s.fugo, &s.insurer_number, &s.insured_number, &s.name, &s.kana,
                &iso(s.birth), &(s.sex.code() as i64), &s.address, &iso(s.acquired), &s.lost.map(iso), &s.verified,
                &s.source_job, &(s.source_line as i64), &(s.version as i64), &updated_at, &change_code(s.change),
                &origin.map(|o| &o.job), &origin.map(|o| o.line as i64),
            ],
        )
        .await?;
    }
    if !plan.inserts.is_empty() {
        use Type as T;
        let sink = tx
            .copy_in(
                "COPY subscribers (tenant, branch, person_key, number_sealed, fugo, insurer_number, insured_number, name,
                 kana, birth, sex, address, acquired, lost, verified, source_job, source_line, version, updated_at,
                 change_type, version_job, version_line)
                 FROM STDIN BINARY",
            )
            .await?;
        let types = [
            T::TEXT,
            T::TEXT,
            T::BYTEA,
            T::BYTEA,
            T::TEXT,
            T::TEXT,
            T::TEXT,
            T::TEXT,
            T::TEXT,
            T::TEXT,
            T::INT8,
            T::TEXT,
            T::TEXT,
            T::TEXT,
            T::TEXT,
            T::TEXT,
            T::INT8,
            T::INT8,
            T::TEXT,
            T::INT8,
            T::TEXT,
            T::INT8,
        ];
        let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
        for s in &plan.inserts {
            let origin = s.version_origin.as_ref();
            let (origin_job, origin_line) = (origin.map(|o| &o.job), origin.map(|o| o.line as i64));
            let row: [&(dyn ToSql + Sync); 22] = [
                &tenant,
                &s.branch,
                &s.person_key.as_slice(),
                &s.number_sealed,
                &s.fugo,
                &s.insurer_number,
                &s.insured_number,
                &s.name,
                &s.kana,
                &iso(s.birth),
                &(s.sex.code() as i64),
                &s.address,
                &iso(s.acquired),
                &s.lost.map(iso),
                &s.verified,
                &s.source_job,
                &(s.source_line as i64),
                &(s.version as i64),
                &updated_at,
                &change_code(s.change),
                &origin_job,
                &origin_line,
            ];
            writer.as_mut().write(&row).await?;
        }
        writer.finish().await?;
    }
    if !plan.history.is_empty() {
        use Type as T;
        let sink = tx
            .copy_in(
                "COPY subscriber_history (tenant, branch, version, change_type, insurer_number, insured_number, name,
                 kana, birth, sex, address, acquired, lost, job_id, line, recorded_at) FROM STDIN BINARY",
            )
            .await?;
        let types = [
            T::TEXT,
            T::TEXT,
            T::INT8,
            T::INT8,
            T::TEXT,
            T::TEXT,
            T::TEXT,
            T::TEXT,
            T::TEXT,
            T::INT8,
            T::TEXT,
            T::TEXT,
            T::TEXT,
            T::TEXT,
            T::INT8,
            T::TEXT,
        ];
        let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
        for s in &plan.history {
            let (job, line) = s.origin();
            let row: [&(dyn ToSql + Sync); 16] = [
                &tenant,
                &s.branch,
                &(s.version as i64),
                &change_code(s.change),
                &s.insurer_number,
                &s.insured_number,
                &s.name,
                &s.kana,
                &iso(s.birth),
                &(s.sex.code() as i64),
                &s.address,
                &iso(s.acquired),
                &s.lost.map(iso),
                &job,
                &(line as i64),
                &updated_at,
            ];
            writer.as_mut().write(&row).await?;
        }
        writer.finish().await?;
    }
    Ok(())
}
