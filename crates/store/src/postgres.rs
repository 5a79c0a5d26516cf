//! PostgreSQL: a connection pool whose connections all work in one schema per system, so
//! several systems can share a database server without reading each other's tables.

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::StoreError;

#[derive(Clone)]
pub struct Postgres {
    pool: Pool,
    schema: String,
}

impl Postgres {
    /// Connects, creates `schema` if needed and applies `migrations` (entry `i` is version
    /// `i + 1`) under an advisory lock, so several instances starting at once migrate once.
    pub async fn connect(
        conn: &str,
        schema: &str,
        migrations: &[&str],
    ) -> Result<Postgres, StoreError> {
        let mut config =
            tokio_postgres::Config::from_str(conn).map_err(|e| StoreError::Url(e.to_string()))?;
        {
            let (client, connection) = config.connect(NoTls).await?;
            let task = tokio::spawn(connection);
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .await?;
            drop(client);
            let _ = task.await;
        }
        config.options(format!("-c search_path={schema}"));
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| StoreError::Pool(e.to_string()))?;
        let pg = Postgres {
            pool,
            schema: schema.to_owned(),
        };
        pg.migrate(migrations).await?;
        Ok(pg)
    }

    pub fn schema(&self) -> &str {
        &self.schema
    }

    pub async fn client(&self) -> Result<Object, StoreError> {
        Ok(self.pool.get().await?)
    }

    async fn migrate(&self, migrations: &[&str]) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[&self.schema],
        )
        .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)",
        )
        .await?;
        let applied: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await?
            .get(0);
        for (i, sql) in migrations.iter().enumerate().skip(applied as usize) {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[&(i as i32 + 1)],
            )
            .await?;
            tracing::info!(schema = %self.schema, version = i + 1, "applied PostgreSQL migration");
        }
        tx.commit().await?;
        Ok(())
    }
}
