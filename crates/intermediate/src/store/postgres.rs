//! PostgreSQL engine: each chunk is one transaction under a per-tenant advisory lock (so a
//! tenant's chunks apply one at a time while tenants proceed in parallel); new subscribers and
//! history rows go in with binary COPY. Tables lead with `tenant` so they can be distributed by
//! insurer (Citus).

use deadpool_postgres::GenericClient;
use renkei_core::AgencyCode;
use renkei_store::postgres::Postgres;
use renkei_store::StoreError;
use renkei_wire::msg::intermediate::{JobStatus, RowResult};
use tokio_postgres::Row;

use super::{
    change, counts, date, key, now, origin, results_from, results_json, sex, Applied, ChunkContext,
    HistoryRow, NewJob, Tenant, SUBSCRIBER_COLUMNS,
};
mod chunk;
#[path = "postgres/schema.rs"]
mod schema;
use schema::MIGRATIONS;

use crate::domain::plan::{plan_chunk, Item, Subscriber};
use chunk::{load_existing, write_plan};

pub struct PgStore {
    pub(crate) db: Postgres,
}

impl PgStore {
    pub async fn connect(conn: &str, schema: &str) -> Result<PgStore, StoreError> {
        Ok(PgStore {
            db: Postgres::connect(conn, schema, MIGRATIONS).await?,
        })
    }

    /// The engine, shared with the 副本 tables (crate::fuhon).
    pub(crate) fn engine(&self) -> &Postgres {
        &self.db
    }

    pub async fn upsert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "INSERT INTO tenants (code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET name = $2",
            &[&tenant.code.as_str(), &tenant.name],
        )
        .await?;
        for n in &tenant.insurer_numbers {
            tx.execute(
                "INSERT INTO insurer_numbers (insurer_number, tenant) VALUES ($1, $2)
                 ON CONFLICT (insurer_number) DO UPDATE SET tenant = $2",
                &[n, &tenant.code.as_str()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn tenant_by_insurer_number(
        &self,
        number: &str,
    ) -> Result<Option<Tenant>, StoreError> {
        let client = self.db.client().await?;
        let Some(row) = client
            .query_opt(
                "SELECT t.code, t.name FROM insurer_numbers n JOIN tenants t ON t.code = n.tenant WHERE n.insurer_number = $1",
                &[&number],
            )
            .await?
        else {
            return Ok(None);
        };
        let code: String = row.get(0);
        let insurer_numbers = client
            .query(
                "SELECT insurer_number FROM insurer_numbers WHERE tenant = $1 ORDER BY 1",
                &[&code],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok(Some(Tenant {
            code: AgencyCode::parse(&code)
                .map_err(|e| StoreError::Corrupt(format!("tenants.code: {e}")))?,
            name: row.get(1),
            insurer_numbers,
        }))
    }

    pub async fn start_job(&self, tenant: &str, job: &NewJob) -> Result<JobStatus, StoreError> {
        let client = self.db.client().await?;
        let header = serde_json::to_string(&job.header).expect("header serializes");
        client
            .execute(
                "INSERT INTO reg_jobs (tenant, job_id, insurer_number, file_name, header, chunk_rows, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                &[&tenant, &job.job_id, &job.insurer_number, &job.file_name, &header, &(job.chunk_rows as i64), &now()],
            )
            .await?;
        Ok(status(&client, tenant, &job.job_id)
            .await?
            .expect("job just inserted"))
    }

    pub async fn job(&self, tenant: &str, job_id: &str) -> Result<Option<NewJob>, StoreError> {
        let client = self.db.client().await?;
        let row = client
            .query_opt(
                "SELECT insurer_number, file_name, header, chunk_rows FROM reg_jobs WHERE tenant = $1 AND job_id = $2",
                &[&tenant, &job_id],
            )
            .await?;
        row.map(|r| {
            let header: String = r.get(2);
            Ok(NewJob {
                job_id: job_id.to_owned(),
                insurer_number: r.get(0),
                file_name: r.get(1),
                header: serde_json::from_str(&header)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                chunk_rows: r.get::<_, i64>(3) as u32,
            })
        })
        .transpose()
    }

    pub async fn job_status(
        &self,
        tenant: &str,
        job_id: &str,
    ) -> Result<Option<JobStatus>, StoreError> {
        let client = self.db.client().await?;
        status(&client, tenant, job_id).await
    }

    pub async fn chunk_results(
        &self,
        tenant: &str,
        job_id: &str,
        seq: u32,
    ) -> Result<Option<Vec<RowResult>>, StoreError> {
        let client = self.db.client().await?;
        stored_results(&client, tenant, job_id, seq).await
    }

    pub async fn apply_chunk(
        &self,
        tenant: &str,
        seq: u32,
        ctx: &ChunkContext,
        items: Vec<Item>,
    ) -> Result<Applied, StoreError> {
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[&format!("registration:{tenant}")],
        )
        .await?;
        if let Some(done) = stored_results(&tx, tenant, &ctx.job_id, seq).await? {
            return Ok(Applied::Done(done));
        }
        if seq > 0 {
            let previous = tx
                .query_opt(
                    "SELECT 1 FROM reg_chunks WHERE tenant = $1 AND job_id = $2 AND seq = $3",
                    &[&tenant, &ctx.job_id, &(seq as i64 - 1)],
                )
                .await?;
            if previous.is_none() {
                return Ok(Applied::PreviousPending(items));
            }
        }
        let next_branch: i64 = tx
            .query_one(
                "SELECT next_branch FROM tenants WHERE code = $1",
                &[&tenant],
            )
            .await?
            .get(0);
        let existing = load_existing(&tx, tenant, &items).await?;
        let plan = plan_chunk(&ctx.plan_context(), items, existing, next_branch as u64);
        write_plan(&tx, tenant, &plan).await?;
        tx.execute(
            "UPDATE tenants SET next_branch = $2 WHERE code = $1",
            &[&tenant, &(plan.next_branch as i64)],
        )
        .await?;
        let (registered, held) = counts(&plan.results);
        tx.execute(
            "INSERT INTO reg_chunks (tenant, job_id, seq, rows, registered, held, results) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &tenant,
                &ctx.job_id,
                &(seq as i64),
                &(plan.results.len() as i64),
                &(registered as i64),
                &(held as i64),
                &results_json(&plan.results),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(Applied::Done(plan.results))
    }

    pub async fn finish_job(
        &self,
        tenant: &str,
        job_id: &str,
        rows: u64,
    ) -> Result<Option<JobStatus>, StoreError> {
        let client = self.db.client().await?;
        client
            .execute(
                "UPDATE reg_jobs SET finished_at = COALESCE(finished_at, $3), total_rows = $4 WHERE tenant = $1 AND job_id = $2",
                &[&tenant, &job_id, &now(), &(rows as i64)],
            )
            .await?;
        status(&client, tenant, job_id).await
    }

    pub async fn subscriber_by_insured(
        &self,
        tenant: &str,
        insured: &str,
    ) -> Result<Option<Subscriber>, StoreError> {
        let client = self.db.client().await?;
        let sql = format!("SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE tenant = $1 AND insured_number = $2");
        client
            .query_opt(&sql, &[&tenant, &insured])
            .await?
            .as_ref()
            .map(subscriber)
            .transpose()
    }

    pub async fn history(&self, tenant: &str, branch: &str) -> Result<Vec<HistoryRow>, StoreError> {
        let client = self.db.client().await?;
        let rows = client
            .query(
                "SELECT version, change_type, insured_number, acquired, lost, job_id, line
                 FROM subscriber_history WHERE tenant = $1 AND branch = $2
                 UNION ALL
                 SELECT version, change_type, insured_number, acquired, lost, COALESCE(version_job, source_job),
                        COALESCE(version_line, source_line)
                 FROM subscribers WHERE tenant = $1 AND branch = $2
                 ORDER BY 1",
                &[&tenant, &branch],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(HistoryRow {
                    version: r.get::<_, i64>(0) as u32,
                    change: r.get(1),
                    insured_number: r.get(2),
                    acquired: date(r.get(3))?,
                    lost: r.get::<_, Option<&str>>(4).map(date).transpose()?,
                    job_id: r.get(5),
                    line: r.get::<_, i64>(6) as u64,
                })
            })
            .collect()
    }

    pub async fn count_subscribers(&self, tenant: &str) -> Result<u64, StoreError> {
        let client = self.db.client().await?;
        let n: i64 = client
            .query_one(
                "SELECT COUNT(*) FROM subscribers WHERE tenant = $1",
                &[&tenant],
            )
            .await?
            .get(0);
        Ok(n as u64)
    }
}

async fn status(
    client: &impl GenericClient,
    tenant: &str,
    job_id: &str,
) -> Result<Option<JobStatus>, StoreError> {
    let Some(job) = client
        .query_opt(
            "SELECT finished_at FROM reg_jobs WHERE tenant = $1 AND job_id = $2",
            &[&tenant, &job_id],
        )
        .await?
    else {
        return Ok(None);
    };
    let r = client
        .query_one(
            "SELECT COUNT(*), COALESCE(SUM(rows), 0)::BIGINT, COALESCE(SUM(registered), 0)::BIGINT,
                    COALESCE(SUM(held), 0)::BIGINT
             FROM reg_chunks WHERE tenant = $1 AND job_id = $2",
            &[&tenant, &job_id],
        )
        .await?;
    Ok(Some(JobStatus {
        job_id: job_id.to_owned(),
        chunks_done: r.get::<_, i64>(0) as u32,
        rows_done: r.get::<_, i64>(1) as u64,
        registered: r.get::<_, i64>(2) as u64,
        held: r.get::<_, i64>(3) as u64,
        finished: job.get::<_, Option<String>>(0).is_some(),
    }))
}

async fn stored_results(
    client: &impl GenericClient,
    tenant: &str,
    job_id: &str,
    seq: u32,
) -> Result<Option<Vec<RowResult>>, StoreError> {
    let row = client
        .query_opt(
            "SELECT results FROM reg_chunks WHERE tenant = $1 AND job_id = $2 AND seq = $3",
            &[&tenant, &job_id, &(seq as i64)],
        )
        .await?;
    row.map(|r| results_from(r.get(0))).transpose()
}

fn subscriber(r: &Row) -> Result<Subscriber, StoreError> {
    Ok(Subscriber {
        branch: r.get(0),
        person_key: key(r.get(1))?,
        number_sealed: r.get(2),
        fugo: r.get(3),
        insurer_number: r.get(4),
        insured_number: r.get(5),
        name: r.get(6),
        kana: r.get(7),
        birth: date(r.get(8))?,
        sex: sex(r.get(9))?,
        address: r.get(10),
        acquired: date(r.get(11))?,
        lost: r.get::<_, Option<&str>>(12).map(date).transpose()?,
        verified: r.get(13),
        source_job: r.get(14),
        source_line: r.get::<_, i64>(15) as u64,
        version: r.get::<_, i64>(16) as u32,
        change: change(r.get(17))?,
        version_origin: origin(r.get(18), r.get(19)),
    })
}

#[cfg(test)]
#[path = "postgres/tests.rs"]
mod tests;
