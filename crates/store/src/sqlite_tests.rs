use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use super::*;

const SCHEMA: &[&str] = &["CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    INSERT INTO t VALUES (1, 'one'), (2, 'two');"];

fn open(dir: &tempfile::TempDir) -> Sqlite {
    Sqlite::open(&dir.path().join("t.db"), SCHEMA).unwrap()
}

fn value(conn: &Connection, k: i64) -> Result<String, StoreError> {
    Ok(conn.query_row("SELECT v FROM t WHERE k = ?1", [k], |r| r.get(0))?)
}

#[tokio::test]
async fn point_reads_run_inline_and_fall_back_when_every_reader_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    assert_eq!(db.read_point(|c| value(c, 1)).await.unwrap(), "one");
    // Inline: the closure runs on this (the test's) thread.
    let here = std::thread::current().id();
    let ran_on = db
        .read_point(|_| Ok::<_, StoreError>(std::thread::current().id()))
        .await
        .unwrap();
    assert_eq!(ran_on, here);

    // Every reader held: the read waits on the blocking pool until one is free.
    let guards: Vec<_> = db.inner.readers.iter().map(|r| r.lock().unwrap()).collect();
    let waiting = tokio::spawn({
        let db = db.clone();
        async move {
            db.read_point(|c| Ok::<_, StoreError>((value(c, 2)?, std::thread::current().id())))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !waiting.is_finished(),
        "a busy store must make the read wait, not fail"
    );
    drop(guards);
    let (v, thread) = waiting.await.unwrap().unwrap();
    assert_eq!(v, "two");
    assert_ne!(thread, here);
    // Errors of the look-up come back as they are.
    assert!(matches!(
        db.read_point(|c| value(c, 3)).await,
        Err(StoreError::Sqlite(_))
    ));
}

struct Unpark(std::thread::Thread);
impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `f` to completion on this thread, outside any runtime's scheduler.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park_timeout(Duration::from_millis(10));
    }
}

#[test]
fn a_read_started_while_the_runtime_shuts_down_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let handle = rt.handle().clone();
    assert_eq!(rt.block_on(db.read(|c| value(c, 1))).unwrap(), "one");
    // A server task still finishing a request after its runtime began to shut down: the
    // blocking pool refuses (cancels) new work.
    rt.shutdown_timeout(Duration::from_millis(100));
    let _in = handle.enter();
    let read = block_on(db.read(|c| value(c, 1)));
    assert!(matches!(read, Err(StoreError::Stopped)), "{read:?}");
    let write = block_on(db.write(|c: &mut Connection| value(c, 2)));
    assert!(matches!(write, Err(StoreError::Stopped)), "{write:?}");
    // The store itself is unharmed: another runtime reads on.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    drop(_in);
    assert_eq!(rt.block_on(db.read(|c| value(c, 2))).unwrap(), "two");
}

/// How often the WAL has started over: SQLite writes a checkpoint sequence number, bumped at
/// every restart, into bytes 12..16 of the WAL header.
fn wal_restarts(db: &Path) -> u32 {
    let wal = std::fs::read(db.with_extension("db-wal")).unwrap_or_default();
    wal.get(12..16)
        .map_or(0, |b| u32::from_be_bytes(b.try_into().unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_steady_writes_the_wal_starts_over_between_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    // Rows of most of a page each: a page per row.
    let blob = PAGE_SIZE * 7 / 8;
    let schema = format!(
        "CREATE TABLE b (k INTEGER PRIMARY KEY, v BLOB NOT NULL);
         WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 8)
         INSERT INTO b SELECT k, randomblob({blob}) FROM n;"
    );
    let db = Sqlite::open(&path, &[schema.as_str()]).unwrap();
    let start = wal_restarts(&path);
    // Four writers queue on the writer connection, so one transaction (rewriting 8 one-page
    // rows, 8 WAL frames) follows another with no pause in which a passive checkpoint could
    // copy the whole WAL by itself: without the checkpointer's request the WAL would only
    // start over at the writer's autocheckpoint (WRITER_AUTOCHECKPOINT frames), far beyond
    // what is written here.
    let written = Arc::new(AtomicUsize::new(0));
    let limit = 4 * RESTART_AFTER as usize / 8;
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (db, written) = (db.clone(), written.clone());
            tokio::spawn(async move {
                while written.fetch_add(1, Ordering::Relaxed) < limit {
                    db.write(move |c: &mut Connection| {
                        c.execute("UPDATE b SET v = randomblob(?1)", [blob])
                            .map_err(StoreError::from)
                    })
                    .await
                    .unwrap();
                }
            })
        })
        .collect();
    let mut restarted = false;
    while !restarted && writers.iter().any(|w| !w.is_finished()) {
        restarted = wal_restarts(&path) > start;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    written.store(limit, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    assert!(
        restarted || wal_restarts(&path) > start,
        "the WAL never started over in {limit} back-to-back transactions"
    );
    let rows: i64 = db
        .read(|c| Ok::<_, StoreError>(c.query_row("SELECT count(*) FROM b", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(rows, 8);
}

#[test]
fn a_restart_request_is_good_for_a_moment_only() {
    let asked = 5_000_000;
    assert!(!fresh(0, asked), "no request");
    assert!(fresh(asked, asked));
    assert!(fresh(asked, asked + 9_999));
    assert!(!fresh(asked, asked + RESTART_FRESH.as_micros() as u64));
    assert!(!fresh(asked, asked + 1_000_000));
}

#[tokio::test]
async fn a_fresh_request_makes_the_next_write_start_the_wal_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let db = open(&dir);
    let put = |v: &'static str| {
        let db = db.clone();
        async move {
            db.write(move |c: &mut Connection| {
                c.execute("INSERT INTO t (v) VALUES (?1)", [v])
                    .map_err(StoreError::from)
            })
            .await
            .unwrap()
        }
    };
    put("a").await;
    let start = wal_restarts(&path);
    // The write checkpoints first (nothing else writes or reads: it copies every frame) and
    // its own transaction starts the WAL over.
    db.inner
        .restart_due
        .store(since(db.inner.epoch), Ordering::Relaxed);
    put("b").await;
    assert_eq!(wal_restarts(&path), start + 1);
    assert_eq!(db.inner.restart_due.load(Ordering::Relaxed), 0, "used up");
    let n: i64 = db
        .read(|c| Ok::<_, StoreError>(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(n, 4);
}

fn page_size(db: &Path) -> u32 {
    Connection::open(db)
        .unwrap()
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn new_databases_get_large_pages_and_older_ones_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir);
    db.write(|c| Ok::<_, StoreError>(c.execute("INSERT INTO t VALUES (3, 'three')", [])?))
        .await
        .unwrap();
    assert_eq!(page_size(&dir.path().join("t.db")), PAGE_SIZE);
    assert_ne!(PAGE_SIZE, 4096);

    // A store created before the page size was raised: 4 KiB pages, already in WAL mode.
    let old = dir.path().join("old.db");
    {
        let conn = Connection::open(&old).unwrap();
        conn.execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;")
            .unwrap();
    }
    let db = Sqlite::open(&old, SCHEMA).unwrap();
    db.write(|c| Ok::<_, StoreError>(c.execute("INSERT INTO t VALUES (3, 'three')", [])?))
        .await
        .unwrap();
    assert_eq!(db.read_point(|c| value(c, 3)).await.unwrap(), "three");
    assert_eq!(page_size(&old), 4096);
}
