//! Both engines for test suites: every store test runs once on SQLite (in a temporary
//! directory) and once on PostgreSQL (in a fresh schema, dropped afterwards).
//!
//! PostgreSQL is taken from `RENKEI_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`). `RENKEI_TEST_POSTGRES=skip` leaves it out on a
//! developer machine without a server; under CI (`CI` set) that is refused, so CI can never
//! pass without having run the PostgreSQL half.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::StoreUrl;

pub const DEFAULT_TEST_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A store location for one test, cleaned up on drop.
pub struct TestStore {
    pub url: StoreUrl,
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    pub fn engine(&self) -> &'static str {
        self.url.engine()
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let StoreUrl::Postgres { conn, schema } = &self.url {
            drop_schemas(conn, schema, false);
        }
    }
}

/// Drops the schema `name` (or, with `prefix`, every schema whose name starts with it). Drop
/// runs inside or outside a runtime, so this uses a private one on its own thread.
fn drop_schemas(conn: &str, name: &str, prefix: bool) {
    let (conn, name) = (conn.to_owned(), name.to_owned());
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        rt.block_on(async {
            let (client, connection) = tokio_postgres::connect(&conn, tokio_postgres::NoTls)
                .await
                .ok()?;
            tokio::spawn(connection);
            let schemas: Vec<String> = if prefix {
                let rows = client
                    .query(
                        "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)",
                        &[&name],
                    )
                    .await
                    .ok()?;
                rows.iter().map(|r| r.get(0)).collect()
            } else {
                vec![name]
            };
            for schema in schemas {
                client
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .await
                    .ok()?;
            }
            Some(())
        })
    })
    .join();
}

/// The PostgreSQL connection string for tests, or `None` when explicitly skipped.
pub fn test_postgres() -> Option<String> {
    let url =
        std::env::var("RENKEI_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_TEST_POSTGRES.to_owned());
    if url == "skip" {
        assert!(
            std::env::var_os("CI").is_none(),
            "RENKEI_TEST_POSTGRES=skip is not allowed in CI"
        );
        eprintln!("note: PostgreSQL half of the store tests skipped (RENKEI_TEST_POSTGRES=skip)");
        return None;
    }
    Some(url)
}

/// A schema name no other test (in this process or another) uses: `<kind>_<name>_<pid>_<n>_<ns>`.
fn unique_name(kind: &str, name: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect();
    format!(
        "{kind}_{}_{}_{n}_{nanos}",
        clean.to_ascii_lowercase(),
        std::process::id()
    )
}

/// A fresh SQLite file and, unless skipped, a fresh PostgreSQL schema named after `name`.
pub fn engines(name: &str) -> Vec<TestStore> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut stores = vec![TestStore {
        url: StoreUrl::Sqlite(dir.path().join(format!("{name}.db"))),
        _dir: Some(dir),
    }];
    if let Some(conn) = test_postgres() {
        let schema = unique_name("t", name);
        stores.push(TestStore {
            url: StoreUrl::Postgres { conn, schema },
            _dir: None,
        });
    }
    stores
}

/// A PostgreSQL URL whose systems each get a fresh schema (`schema_prefix`), for end-to-end
/// tests that start whole sandboxes; every schema with the prefix is dropped on drop.
pub struct PostgresPrefix {
    pub url: String,
    conn: String,
    prefix: String,
}

impl PostgresPrefix {
    /// `None` only where [`test_postgres`] allows skipping.
    pub fn new(name: &str) -> Option<PostgresPrefix> {
        let conn = test_postgres()?;
        let prefix = format!("{}_", unique_name("e", name));
        let sep = if conn.contains('?') { '&' } else { '?' };
        Some(PostgresPrefix {
            url: format!("{conn}{sep}schema_prefix={prefix}"),
            conn,
            prefix,
        })
    }
}

impl Drop for PostgresPrefix {
    fn drop(&mut self) {
        drop_schemas(&self.conn, &self.prefix, true);
    }
}

/// SQLite's plan for `sql`, its steps' details joined by "; " (e.g. `SEARCH links USING INDEX
/// links_number (number_tag=?)`): tests pin the plans of per-row statements to their indexes.
pub fn query_plan(conn: &rusqlite::Connection, sql: &str) -> String {
    let mut stmt = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("statement prepares");
    let mut rows = stmt.raw_query();
    let mut details = Vec::new();
    while let Some(row) = rows.next().expect("plan step") {
        details.push(row.get::<_, String>(3).expect("plan detail"));
    }
    details.join("; ")
}
