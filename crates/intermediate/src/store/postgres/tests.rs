//! PostgreSQL-only: a store made by an older build migrates forward with its data.

use renkei_store::postgres::Postgres;
use renkei_store::testing::engines;
use renkei_store::StoreUrl;

use super::{PgStore, MIGRATIONS};
use crate::store::{versions, Store};

/// A subscriber changed once, as builds before version 5 stored it: both versions in the
/// history table, the current one also in `subscribers`; a second subscriber registered again
/// by another file (its source moved, its version did not).
const OLD_DATA: &str = "
INSERT INTO tenants (code, name, next_branch) VALUES ('koiki-13', 't', 3);
INSERT INTO insurer_numbers VALUES ('39131156', 'koiki-13');
INSERT INTO subscribers (tenant, branch, person_key, number_sealed, fugo, insurer_number, insured_number, name,
    kana, birth, sex, address, acquired, lost, verified, source_job, source_line, version, updated_at) VALUES
 ('koiki-13', '0000000001', decode(repeat('01', 32), 'hex'), '\\x01', 'F1', '39131156', '10000001', '山田　太郎', 'ヤマダ　タロウ',
  '1945-04-01', 1, '東京都', '2020-04-01', '2025-03-31', '一致', 'job-b', 7, 2, '2026-02-01T00:00:00Z'),
 ('koiki-13', '0000000002', decode(repeat('02', 32), 'hex'), '\\x02', 'F2', '39131156', '10000002', '山田　花子', 'ヤマダ　ハナコ',
  '1946-04-01', 2, '東京都', '2020-04-01', NULL, '一致', 'job-c', 4, 1, '2026-03-01T00:00:00Z');
INSERT INTO subscriber_history (tenant, branch, version, change_type, insurer_number, insured_number, name, kana,
    birth, sex, address, acquired, lost, job_id, line, recorded_at) VALUES
 ('koiki-13', '0000000001', 1, 1, '39131156', '10000001', '山田　太郎', 'ヤマダ　タロウ', '1945-04-01', 1, '東京都',
  '2020-04-01', NULL, 'job-a', 2, '2026-01-01T00:00:00Z'),
 ('koiki-13', '0000000001', 2, 3, '39131156', '10000001', '山田　太郎', 'ヤマダ　タロウ', '1945-04-01', 1, '東京都',
  '2020-04-01', '2025-03-31', 'job-b', 7, '2026-02-01T00:00:00Z'),
 ('koiki-13', '0000000002', 1, 1, '39131156', '10000002', '山田　花子', 'ヤマダ　ハナコ', '1946-04-01', 2, '東京都',
  '2020-04-01', NULL, 'job-a', 3, '2026-01-01T00:00:00Z');
";

#[tokio::test]
async fn a_store_with_every_version_in_the_history_table_migrates() {
    renkei_wire::tls::install_crypto_provider();
    let Some(engine) = engines("intermediate_pg_migration")
        .into_iter()
        .find(|e| matches!(e.url, StoreUrl::Postgres { .. }))
    else {
        return; // RENKEI_TEST_POSTGRES=skip (refused in CI)
    };
    let StoreUrl::Postgres { conn, schema } = &engine.url else {
        unreachable!()
    };
    {
        let old = Postgres::connect(conn, schema, &MIGRATIONS[..4])
            .await
            .unwrap();
        old.client()
            .await
            .unwrap()
            .batch_execute(OLD_DATA)
            .await
            .unwrap();
    }
    let store = Store::Postgres(PgStore::connect(conn, schema).await.unwrap());
    assert_eq!(
        versions(&store, "koiki-13", "0000000001").await,
        vec![(1, 1, "job-a".to_owned(), 2), (2, 3, "job-b".to_owned(), 7)]
    );
    assert_eq!(
        versions(&store, "koiki-13", "0000000002").await,
        vec![(1, 1, "job-a".to_owned(), 3)]
    );
    let Store::Postgres(pg) = &store else {
        unreachable!()
    };
    let client = pg.db.client().await.unwrap();
    let left: i64 = client
        .query_one("SELECT COUNT(*) FROM subscriber_history", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        left, 1,
        "only the superseded version stays in the history table"
    );
    let s = store
        .subscriber_by_insured("koiki-13", "10000002")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((s.source_job.as_str(), s.origin()), ("job-c", ("job-a", 3)));
}
