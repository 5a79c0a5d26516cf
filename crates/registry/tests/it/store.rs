//! The store suite, run on every engine (SQLite and PostgreSQL).

use renkei_store::testing::engines;
use renkei_store::StoreUrl;

use crate::helpers::{number, open, resident, unknown};

#[tokio::test]
async fn upserts_and_looks_up_in_order() {
    for engine in engines("reg_lookup") {
        let store = open(&engine.url).await;
        let records: Vec<_> = (0..3).map(resident).collect();
        assert_eq!(
            store.upsert_residents(&records).await.unwrap(),
            3,
            "{}",
            engine.engine()
        );
        assert_eq!(store.count().await.unwrap(), 3);

        let asked = [number(2), unknown(1), number(0), number(2)];
        let ids = store.identities(&asked).await.unwrap();
        assert_eq!(ids.len(), 4);
        let two = ids[0].as_ref().expect("known");
        assert_eq!(two.name, records[2].name);
        assert_eq!(two.address, records[2].address);
        assert_eq!(two.birth, records[2].birth);
        assert_eq!(two.sex, records[2].sex);
        assert_eq!(two.removed_on, None);
        assert!(ids[1].is_none());
        assert_eq!(ids[2].as_ref().unwrap().name, records[0].name);
        assert_eq!(ids[3], ids[0]);

        let codes = store.resident_codes(&asked).await.unwrap();
        assert_eq!(codes[0].as_ref(), Some(&records[2].resident_code));
        assert_eq!(codes[1], None);
        assert_eq!(codes[2].as_ref(), Some(&records[0].resident_code));
        assert!(store.identities(&[]).await.unwrap().is_empty());
        assert_eq!(
            store.number_of(&records[1].resident_code).await.unwrap(),
            Some(number(1))
        );
    }
}

#[tokio::test]
async fn reloading_updates_and_never_duplicates() {
    for engine in engines("reg_reload") {
        let store = open(&engine.url).await;
        let records: Vec<_> = (0..5).map(resident).collect();
        store.upsert_residents(&records).await.unwrap();
        store
            .set_removed(&[number(1)], Some(time::macros::date!(2024 - 03 - 31)))
            .await
            .unwrap();

        let mut moved = records[1].clone();
        moved.address = "大阪府大阪市北区梅田一丁目1番1号".into();
        store.upsert_residents(&[moved.clone()]).await.unwrap();
        store.upsert_residents(&records[2..]).await.unwrap();
        assert_eq!(store.count().await.unwrap(), 5, "{}", engine.engine());
        let id = store
            .identities(&[number(1)])
            .await
            .unwrap()
            .remove(0)
            .unwrap();
        assert_eq!(id.address, moved.address);
        assert_eq!(
            id.removed_on,
            Some(time::macros::date!(2024 - 03 - 31)),
            "消除 is kept"
        );

        // 番号の変更: the same 住民票コード arrives with a new 個人番号.
        let mut renumbered = records[3].clone();
        renumbered.my_number = unknown(7);
        store.upsert_residents(&[renumbered.clone()]).await.unwrap();
        assert_eq!(store.count().await.unwrap(), 5);
        assert_eq!(
            store.resident_codes(&[number(3)]).await.unwrap(),
            vec![None]
        );
        assert_eq!(
            store.resident_codes(&[unknown(7)]).await.unwrap(),
            vec![Some(renumbered.resident_code)]
        );
    }
}

#[tokio::test]
async fn duplicates_within_a_batch_keep_the_last() {
    for engine in engines("reg_dups") {
        let store = open(&engine.url).await;
        let first = resident(1);
        let mut second = first.clone();
        second.name = "山田　花子".into();
        let written = store
            .upsert_residents(&[first, resident(2), second])
            .await
            .unwrap();
        assert_eq!(written, 2, "{}", engine.engine());
        assert_eq!(store.count().await.unwrap(), 2, "{}", engine.engine());
        let id = store
            .identities(&[number(1)])
            .await
            .unwrap()
            .remove(0)
            .unwrap();
        assert_eq!(id.name, "山田　花子");
    }
}

/// Bulk path: several COPY batches on PostgreSQL, every row loaded and found again. Throughput
/// is measured by `renkei bench jlis`, not here.
#[tokio::test]
async fn bulk_load_and_lookup() {
    for engine in engines("reg_bulk") {
        let n: u64 = if matches!(engine.url, StoreUrl::Sqlite(_)) {
            100_000
        } else {
            30_000
        };
        let store = open(&engine.url).await;
        let records: Vec<_> = (0..n).map(resident).collect();
        for chunk in records.chunks(10_000) {
            store.upsert_residents(chunk).await.unwrap();
        }
        assert_eq!(store.count().await.unwrap(), n, "{}", engine.engine());

        let numbers: Vec<_> = records.iter().map(|r| r.my_number.clone()).collect();
        let mut found = 0;
        for chunk in numbers.chunks(10_000) {
            found += store
                .identities(chunk)
                .await
                .unwrap()
                .iter()
                .filter(|r| r.is_some())
                .count();
        }
        assert_eq!(found as u64, n, "{}", engine.engine());
    }
}

/// The 個人番号 never rests in plaintext: not in the SQLite files, not in a dump of the
/// PostgreSQL table.
#[tokio::test]
async fn no_plaintext_number_at_rest() {
    for engine in engines("reg_rest") {
        let store = open(&engine.url).await;
        let records: Vec<_> = (0..200).map(resident).collect();
        store.upsert_residents(&records).await.unwrap();
        let stored = match &engine.url {
            StoreUrl::Sqlite(path) => crate::helpers::sqlite_bytes(path),
            StoreUrl::Postgres { conn, schema } => {
                crate::helpers::pg_dump(conn, &format!("SELECT r::text FROM {schema}.residents r"))
                    .await
            }
        };
        assert!(
            stored.len() > 200 * 32,
            "{}: the dump holds the rows",
            engine.engine()
        );
        for r in &records {
            let digits = r.my_number.expose().as_bytes();
            assert!(
                !stored.windows(12).any(|w| w == digits),
                "{}: 個人番号 found at rest",
                engine.engine()
            );
        }
    }
}
