//! Chunks that queue for the writer: applied together, each exactly as alone.

use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::*;

/// Holds `store`'s writer until the returned sender sends or drops.
async fn hold_writer(store: &Store) -> mpsc::Sender<()> {
    let Store::Sqlite(sqlite) = store else {
        unreachable!("SQLite store")
    };
    let (release, released) = mpsc::channel::<()>();
    let (held, holding) = tokio::sync::oneshot::channel();
    let db = sqlite.db.clone();
    tokio::spawn(async move {
        db.write(move |_| {
            let _ = held.send(());
            let _ = released.recv();
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
    });
    holding.await.unwrap();
    release
}

/// Sends chunk `seq` of `job` for `tenant` to the store, in the background.
fn send(
    store: &Arc<Store>,
    tenant: &str,
    job: &str,
    seq: u32,
    items: Vec<Item>,
) -> tokio::task::JoinHandle<Result<Applied, StoreError>> {
    let (store, tenant, ctx) = (store.clone(), tenant.to_owned(), ctx(job));
    tokio::spawn(async move { store.apply_chunk(&tenant, seq, &ctx, items).await })
}

async fn until_waiting(store: &Store, n: usize) {
    let Store::Sqlite(sqlite) = store else {
        unreachable!("SQLite store")
    };
    let start = Instant::now();
    while sqlite.waiting.len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "chunks not queued"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn two(first_line: u64, person: u8) -> Vec<Item> {
    (0..2u8)
        .map(|i| {
            let p = person + i;
            ready(
                first_line + u64::from(i),
                key(p, p),
                &format!("1000{p:04}"),
                &format!("FUGO{p:04}"),
            )
        })
        .collect()
}

fn branches(applied: Applied) -> Vec<String> {
    match applied {
        Applied::Done(results) => results.iter().map(|r| branch(r).to_owned()).collect(),
        Applied::PreviousPending(_) => panic!("not applied"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_chunks_are_applied_together_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::Sqlite(
        SqliteStore::open(&dir.path().join("i.db")).unwrap(),
    ));
    open_tenant(&store, "job").await;

    // Chunks 1 and 2 without chunk 0: both wait, nothing is written, the items come back.
    let release = hold_writer(&store).await;
    let later = [
        send(&store, "koiki-13", "job", 2, two(6, 50)),
        send(&store, "koiki-13", "job", 1, two(4, 30)),
    ];
    until_waiting(&store, 2).await;
    drop(release);
    for handle in later {
        assert!(
            matches!(handle.await.unwrap().unwrap(), Applied::PreviousPending(back) if back.len() == 2)
        );
    }
    assert_eq!(store.count_subscribers("koiki-13").await.unwrap(), 0);

    // All three queued out of order: applied in file order, 枝番 as if one by one.
    let release = hold_writer(&store).await;
    let sent = [
        send(&store, "koiki-13", "job", 2, two(6, 50)),
        send(&store, "koiki-13", "job", 0, two(2, 10)),
        send(&store, "koiki-13", "job", 1, two(4, 30)),
    ];
    until_waiting(&store, 3).await;
    drop(release);
    let mut got = Vec::new();
    for handle in sent {
        got.push(branches(handle.await.unwrap().unwrap()));
    }
    assert_eq!(got[1], ["0000000001", "0000000002"]);
    assert_eq!(got[2], ["0000000003", "0000000004"]);
    assert_eq!(got[0], ["0000000005", "0000000006"]);
    let status = store.job_status("koiki-13", "job").await.unwrap().unwrap();
    assert_eq!((status.chunks_done, status.registered), (3, 6));

    // A chunk sent again while queued beside itself gets the stored results.
    let release = hold_writer(&store).await;
    let again = [
        send(&store, "koiki-13", "job", 1, two(4, 30)),
        send(&store, "koiki-13", "job", 1, two(4, 30)),
    ];
    until_waiting(&store, 2).await;
    drop(release);
    for handle in again {
        assert_eq!(
            branches(handle.await.unwrap().unwrap()),
            ["0000000003", "0000000004"]
        );
    }
    assert_eq!(store.count_subscribers("koiki-13").await.unwrap(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_chunk_does_not_fail_the_chunks_queued_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::Sqlite(
        SqliteStore::open(&dir.path().join("i.db")).unwrap(),
    ));
    open_tenant(&store, "job").await;
    let release = hold_writer(&store).await;
    // No tenant koiki-99: its chunk fails inside the transaction.
    let sent = [
        send(&store, "koiki-13", "job", 0, two(2, 10)),
        send(&store, "koiki-99", "job", 0, two(2, 30)),
    ];
    until_waiting(&store, 2).await;
    drop(release);
    let [good, bad] = sent;
    assert_eq!(
        branches(good.await.unwrap().unwrap()),
        ["0000000001", "0000000002"]
    );
    assert!(bad.await.unwrap().is_err());
    assert_eq!(store.count_subscribers("koiki-13").await.unwrap(), 2);
    assert_eq!(store.count_subscribers("koiki-99").await.unwrap(), 0);
}
