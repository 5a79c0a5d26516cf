//! SQLite only: the forward migration of a store made with the first subscriber indexes, and
//! the prefix indexes (look-ups compare the full value; a person stays unique per tenant), the
//! writer's filters of stored keys.

use renkei_store::testing::query_plan;
use renkei_wire::msg::intermediate::{RawRow, RowOutcome};
use rusqlite::{params, Connection};

use super::chunk::write_plan;
use super::*;
use crate::domain::plan::{Plan, Ready};
use crate::domain::record::{parse_row, Header, COLUMNS};
use crate::inquiry::store::{branch_of_fugo, person_of_branch, subscriber_of_person};
use crate::store::{versions, Store};

/// A fresh store in a temporary directory, with the path of its database file.
fn fresh_store() -> (tempfile::TempDir, std::path::PathBuf, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("intermediate.db");
    let store = Store::Sqlite(SqliteStore::open(&path).unwrap());
    (dir, path, store)
}

fn ready(line: u64, person: [u8; 32], insured: &str, fugo: &str) -> Item {
    let header = Header::parse(&COLUMNS.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let fields = [
        "1",
        "621498320257",
        insured,
        "山田　太郎",
        "ヤマダ　タロウ",
        "1945-04-01",
        "1",
        "東京都",
        "2020-04-01",
        "",
    ];
    let raw = RawRow {
        line,
        fields: fields.iter().map(|s| s.to_string()).collect(),
    };
    Item::Ready(Box::new(Ready {
        record: parse_row(&header, &raw).unwrap(),
        person_key: person,
        number_sealed: vec![person[31], 1],
        fugo: fugo.into(),
    }))
}

/// A person key whose first 8 bytes are `prefix` (the indexed part) and the rest `rest`.
fn key(prefix: u8, rest: u8) -> [u8; 32] {
    let mut k = [rest; 32];
    k[..8].fill(prefix);
    k
}

fn ctx(job: &str) -> ChunkContext {
    ChunkContext {
        job_id: job.into(),
        insurer_number: "39131156".into(),
        verified: "一致".into(),
    }
}

async fn open_tenant(store: &Store, job: &str) {
    store
        .upsert_tenant(&Tenant {
            code: "koiki-13".parse().unwrap(),
            name: "東京都後期高齢者医療広域連合".into(),
            insurer_numbers: vec!["39131156".into()],
        })
        .await
        .unwrap();
    let job = NewJob {
        job_id: job.into(),
        insurer_number: "39131156".into(),
        file_name: "a.csv".into(),
        header: vec!["h".into()],
        chunk_rows: 10,
    };
    store.start_job("koiki-13", &job).await.unwrap();
}

async fn apply(store: &Store, job: &str, seq: u32, items: Vec<Item>) -> Vec<RowResult> {
    match store
        .apply_chunk("koiki-13", seq, &ctx(job), items)
        .await
        .unwrap()
    {
        Applied::Done(results) => results,
        Applied::PreviousPending(_) => panic!("chunk {seq} not applied"),
    }
}

fn branch(r: &RowResult) -> &str {
    match &r.outcome {
        RowOutcome::Registered { branch } => branch,
        other => panic!("not registered: {other:?}"),
    }
}

fn schema_version(path: &Path) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
        r.get(0)
    })
    .unwrap()
}

/// A subscriber row and its history entry as the first schema's store wrote them.
fn insert_old(
    conn: &Connection,
    tenant: &str,
    branch: &str,
    person: [u8; 32],
    insured: &str,
    fugo: &str,
) {
    conn.execute(
        "INSERT INTO subscribers (tenant, branch, person_key, number_sealed, fugo, insurer_number, insured_number,
         name, kana, birth, sex, address, acquired, lost, verified, source_job, source_line, version, updated_at)
         VALUES (?1, ?2, ?3, x'0101', ?4, '39131156', ?5, '山田　太郎', 'ヤマダ　タロウ', '1945-04-01', 1, '東京都',
                 '2020-04-01', NULL, '一致', 'old-job', 2, 1, '2026-01-01T00:00:00Z')",
        params![tenant, branch, person.as_slice(), fugo, insured],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO subscriber_history (tenant, branch, version, change_type, insurer_number, insured_number, name,
         kana, birth, sex, address, acquired, lost, job_id, line, recorded_at)
         VALUES (?1, ?2, 1, 1, '39131156', ?3, '山田　太郎', 'ヤマダ　タロウ', '1945-04-01', 1, '東京都', '2020-04-01',
                 NULL, 'old-job', 2, '2026-01-01T00:00:00Z')",
        params![tenant, branch, insured],
    )
    .unwrap();
}

#[tokio::test]
async fn a_store_with_the_first_indexes_migrates_and_finds_every_subscriber() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("intermediate.db");
    {
        // The schema as the builds before version 5 left it, with their data.
        drop(Sqlite::open(&path, &MIGRATIONS[..4]).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO tenants (code, name, next_branch) VALUES ('koiki-13', 't', 3), ('koiki-14', 'u', 2);
             INSERT INTO insurer_numbers VALUES ('39131156', 'koiki-13'), ('39141130', 'koiki-14');",
        )
        .unwrap();
        insert_old(
            &conn,
            "koiki-13",
            "0000000001",
            key(1, 1),
            "10000001",
            "FUGOAAAA1",
        );
        insert_old(
            &conn,
            "koiki-13",
            "0000000002",
            key(2, 2),
            "10000002",
            "FUGOAAAA2",
        );
        insert_old(
            &conn,
            "koiki-14",
            "0000000001",
            key(1, 1),
            "20000001",
            "GUGOAAAA1",
        );
    }
    // koiki-14's subscriber was registered again by a later file: its source moved, its
    // version did not.
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "UPDATE subscribers SET source_job = 'later-job', source_line = 9, updated_at = '2026-05-01T00:00:00Z'
             WHERE tenant = 'koiki-14'",
        )
        .unwrap();
    assert_eq!(schema_version(&path), 4);

    let store = Store::Sqlite(SqliteStore::open(&path).unwrap());
    assert_eq!(schema_version(&path), MIGRATIONS.len() as i64);
    assert_eq!(store.count_subscribers("koiki-13").await.unwrap(), 2);
    let s = store
        .subscriber_by_insured("koiki-13", "10000002")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (s.branch.as_str(), s.person_key, s.fugo.as_str()),
        ("0000000002", key(2, 2), "FUGOAAAA2")
    );
    // The current versions moved out of the history table into the subscribers and read back
    // as they were.
    assert_eq!(
        versions(&store, "koiki-13", "0000000002").await,
        vec![(1, 1, "old-job".into(), 2)]
    );
    assert_eq!(
        Connection::open(&path)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM subscriber_history", [], |r| r
                .get::<_, i64>(0))
            .unwrap(),
        0
    );
    assert_eq!(
        branch_of_fugo(&store, "koiki-13", "FUGOAAAA1")
            .await
            .unwrap()
            .as_deref(),
        Some("0000000001")
    );
    assert_eq!(
        branch_of_fugo(&store, "koiki-13", "GUGOAAAA1")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        versions(&store, "koiki-14", "0000000001").await,
        vec![(1, 1, "old-job".into(), 2)]
    );
    assert_eq!(
        subscriber_of_person(&store, "koiki-14", &key(1, 1))
            .await
            .unwrap(),
        Some(("0000000001".to_owned(), "GUGOAAAA1".to_owned()))
    );
    assert_eq!(
        person_of_branch(&store, "koiki-13", "0000000002")
            .await
            .unwrap(),
        Some(key(2, 2).to_vec())
    );

    // Registration after the migration finds the old subscribers: the same person keeps its
    // 枝番 (and gets a 変更 history entry), a new person gets the next one.
    open_tenant(&store, "new-job").await;
    let results = apply(
        &store,
        "new-job",
        0,
        vec![
            ready(2, key(1, 1), "10000001", "FUGOBBBB1"),
            ready(3, key(3, 3), "10000003", "FUGOAAAA3"),
        ],
    )
    .await;
    assert_eq!(branch(&results[0]), "0000000001");
    assert_eq!(branch(&results[1]), "0000000003");
    assert_eq!(store.count_subscribers("koiki-13").await.unwrap(), 3);
    assert_eq!(
        versions(&store, "koiki-13", "0000000001").await,
        vec![(1, 1, "old-job".into(), 2), (2, 1, "new-job".into(), 2)]
    );
    assert_eq!(
        branch_of_fugo(&store, "koiki-13", "FUGOBBBB1")
            .await
            .unwrap()
            .as_deref(),
        Some("0000000001")
    );
    assert_eq!(
        branch_of_fugo(&store, "koiki-13", "FUGOAAAA1")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn keys_sharing_an_indexed_prefix_stay_apart_and_a_person_stays_unique() {
    let (_dir, path, store) = fresh_store();
    open_tenant(&store, "job").await;
    // Two people whose person keys and 符号 agree in the first 8 bytes.
    let results = apply(
        &store,
        "job",
        0,
        vec![
            ready(2, key(7, 1), "10000001", "SAMEPREFIXA"),
            ready(3, key(7, 2), "10000002", "SAMEPREFIXB"),
        ],
    )
    .await;
    assert_eq!(branch(&results[0]), "0000000001");
    assert_eq!(branch(&results[1]), "0000000002");
    assert_eq!(
        subscriber_of_person(&store, "koiki-13", &key(7, 2))
            .await
            .unwrap(),
        Some(("0000000002".to_owned(), "SAMEPREFIXB".to_owned()))
    );
    assert_eq!(
        subscriber_of_person(&store, "koiki-13", &key(7, 3))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        branch_of_fugo(&store, "koiki-13", "SAMEPREFIXA")
            .await
            .unwrap()
            .as_deref(),
        Some("0000000001")
    );
    assert_eq!(
        branch_of_fugo(&store, "koiki-13", "SAMEPREFIXC")
            .await
            .unwrap(),
        None
    );

    // The second person registered again, from another file: found by the full key.
    open_tenant(&store, "job2").await;
    let again = apply(
        &store,
        "job2",
        0,
        vec![ready(2, key(7, 2), "10000002", "SAMEPREFIXB")],
    )
    .await;
    assert_eq!(branch(&again[0]), "0000000002");
    assert_eq!(store.count_subscribers("koiki-13").await.unwrap(), 2);

    // Whatever a plan says, the store refuses a second subscriber for a person in a tenant
    // (nothing of the chunk is written) and takes the person in another tenant.
    let second = store
        .subscriber_by_insured("koiki-13", "10000002")
        .await
        .unwrap()
        .unwrap();
    let copy = |branch: &str, insured: &str| Subscriber {
        branch: branch.into(),
        insured_number: insured.into(),
        ..second.clone()
    };
    let mut conn = Connection::open(&path).unwrap();
    let write = |conn: &mut Connection, tenant: &str, inserts: Vec<Subscriber>| {
        let tx = conn.transaction().unwrap();
        let plan = Plan {
            inserts,
            ..Plan::default()
        };
        write_plan(&tx, tenant, &plan)?;
        tx.commit().map_err(StoreError::from)
    };
    let refused = write(&mut conn, "koiki-13", vec![copy("0000000099", "10000099")]).unwrap_err();
    assert!(
        refused.to_string().contains("UNIQUE constraint failed"),
        "{refused}"
    );
    let twice = vec![
        Subscriber {
            person_key: key(7, 5),
            ..copy("0000000098", "10000098")
        },
        Subscriber {
            person_key: key(7, 5),
            ..copy("0000000099", "10000099")
        },
    ];
    let refused = write(&mut conn, "koiki-13", twice).unwrap_err();
    assert!(
        refused.to_string().contains("UNIQUE constraint failed"),
        "{refused}"
    );
    assert_eq!(store.count_subscribers("koiki-13").await.unwrap(), 2);
    write(&mut conn, "koiki-14", vec![copy("0000000001", "10000002")]).unwrap();
    assert_eq!(store.count_subscribers("koiki-14").await.unwrap(), 1);
}

/// Each look-up of a chunk is one index probe, and the check after the inserts walks only the
/// chunk's rows (a scan of either would grow with the tenant).
#[test]
fn chunk_statements_probe_their_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("intermediate.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    let by_person = query_plan(&conn, &format!("SELECT branch {}", schema::BY_PERSON));
    assert_eq!(
        by_person,
        "SEARCH subscribers USING INDEX subscribers_person (person_tag=?)"
    );
    let by_fugo = query_plan(&conn, &format!("SELECT branch {}", schema::BY_FUGO));
    assert_eq!(
        by_fugo,
        "SEARCH subscribers USING INDEX subscribers_fugo (fugo_tag=?)"
    );
    let by_insured = query_plan(
        &conn,
        "SELECT branch FROM subscribers WHERE tenant = ?1 AND insured_number = ?2",
    );
    assert_eq!(
        by_insured,
        "SEARCH subscribers USING INDEX subscribers_insured (insured_number=? AND tenant=?)"
    );
    let check = query_plan(&conn, schema::VERIFY_ONE_PER_PERSON);
    assert_eq!(
        check,
        "SEARCH n USING INTEGER PRIMARY KEY (rowid>?); \
         SEARCH o USING INDEX subscribers_person (person_tag=?)"
    );
}

/// The writer's filters skip the probes of keys that are not stored. A subscriber written
/// behind the store's back (by another connection) is not in them, but that write changes
/// the writer's `data_version`: the next chunk fills the filters afresh from the table, finds
/// the subscriber and keeps its 枝番.
#[tokio::test]
async fn a_subscriber_written_behind_the_store_is_found() {
    let (_dir, path, store) = fresh_store();
    open_tenant(&store, "j1").await;
    let first = apply(
        &store,
        "j1",
        0,
        vec![ready(2, key(1, 1), "10000001", "FUGOAAAA1")],
    )
    .await;
    assert_eq!(branch(&first[0]), "0000000001");
    let behind = Subscriber {
        branch: "0000000002".into(),
        person_key: key(2, 2),
        insured_number: "10000002".into(),
        ..store
            .subscriber_by_insured("koiki-13", "10000001")
            .await
            .unwrap()
            .unwrap()
    };
    {
        let mut conn = Connection::open(&path).unwrap();
        let tx = conn.transaction().unwrap();
        let plan = Plan {
            inserts: vec![behind],
            ..Plan::default()
        };
        write_plan(&tx, "koiki-13", &plan).unwrap();
        tx.execute("UPDATE tenants SET next_branch = 3", [])
            .unwrap();
        tx.commit().unwrap();
    }
    open_tenant(&store, "j2").await;
    let items = vec![ready(2, key(2, 2), "10000002", "FUGOAAAA2")];
    let found = apply(&store, "j2", 0, items).await;
    assert_eq!(branch(&found[0]), "0000000002");
    assert_eq!(store.count_subscribers("koiki-13").await.unwrap(), 2);
}

/// A version keeps the time it was made: a later file registering the same values moves
/// `updated_at`, and when a change supersedes the version, the history gets the time it was
/// made, not the time it was last registered again.
#[tokio::test]
async fn a_superseded_version_keeps_the_time_it_was_made() {
    let (_dir, path, store) = fresh_store();
    let conn = Connection::open(&path).unwrap();
    let updated_at = || -> String {
        conn.query_row("SELECT updated_at FROM subscribers", [], |r| r.get(0))
            .unwrap()
    };
    let mut made = String::new();
    for (job, fugo) in [("a", "FUGOAAAA1"), ("b", "FUGOAAAA1"), ("c", "FUGOBBBB1")] {
        open_tenant(&store, job).await;
        apply(&store, job, 0, vec![ready(2, key(1, 1), "10000001", fugo)]).await;
        match job {
            "a" => made = updated_at(),
            "b" => assert_ne!(updated_at(), made, "registered again: updated_at moves"),
            _ => {}
        }
    }
    let recorded: String = conn
        .query_row(
            "SELECT recorded_at FROM subscriber_history WHERE version = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(recorded, made);
    assert_eq!(
        versions(&store, "koiki-13", "0000000001").await,
        vec![(1, 1, "a".into(), 2), (2, 1, "c".into(), 2)]
    );
}
