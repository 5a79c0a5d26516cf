//! Embedded SQLite: one writer connection and a few readers (WAL lets them run beside the
//! writer), each used on the blocking pool so the async servers never wait on disk.
//!
//! Checkpoints (copying the WAL back into the database file, with its fsyncs) run on a
//! background thread of their own rather than inside the writer's commits: a bulk transaction
//! that dirties thousands of pages would otherwise copy and sync all of them before the next
//! one may start, and pages dirtied again by the following transactions are copied once per
//! checkpoint instead of once per commit.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::StoreError;

const READERS: usize = 2;

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 128;

/// How often the background thread checkpoints. Each checkpoint ends with an fsync of the
/// database file, and while the file system commits it, other writes on it (the WAL appends
/// of every group commit) wait: a second's worth of pages stalled 情報照会 for 40–100 ms once
/// a second; a fifth of a second's worth stays below the p99 target (docs/PERFORMANCE.md).
/// Registration pays ~7 % more CPU for it, at the same records/s.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// WAL pages after which the writer checkpoints by itself (the background thread's safety
/// net, should it fall behind): 256 MiB of [`PAGE_SIZE`] pages.
const WRITER_AUTOCHECKPOINT: u32 = (256 << 20) / PAGE_SIZE;

/// WAL pages after which the background thread makes the WAL start over (see
/// [`spawn_checkpointer`]): 32 MiB of [`PAGE_SIZE`] pages.
const RESTART_AFTER: i64 = (32 << 20) / PAGE_SIZE as i64;

/// How long the background thread's request to start the WAL over stays good. A write that
/// comes later may have appended a bulk transaction since the thread's pass, and would copy
/// all of it and sync before its own transaction: registration's chunks ran 14 % slower so
/// (docs/PERFORMANCE.md). Bulk writers leave the WAL to the writer's autocheckpoint instead.
const RESTART_FRESH: Duration = Duration::from_millis(10);

/// Page size of new databases. Bulk registration writes every page it dirties to the WAL and
/// copies it again at the checkpoint, one `pwrite` (and for the WAL a second one for the
/// frame header) per page; 8 KiB pages halve those calls and take one level off the random
/// indexes' B-trees. 1M registrations: ~5 % less CPU than with 4 KiB pages (means of 13
/// interleaved pairs 50.7 vs 53.7 µs per record, better in 10; docs/PERFORMANCE.md, "Session 9").
const PAGE_SIZE: u32 = 8192;

/// Page cache sizes of a store's connections, in KiB: the writer holds the pages its bulk
/// transactions dirty, a reader the pages its look-ups visit. Each connection has its own
/// cache, so a store costs up to `writer_cache_kib + 2 * reader_cache_kib`.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    pub writer_cache_kib: u32,
    pub reader_cache_kib: u32,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            writer_cache_kib: 64 * 1024,
            reader_cache_kib: 64 * 1024,
        }
    }
}

#[derive(Clone)]
pub struct Sqlite {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    /// Set by the checkpointer when the WAL should start over: the next write first
    /// checkpoints on the writer's connection, between two transactions, if it comes within
    /// [`RESTART_FRESH`]. Microseconds since `epoch` (plus one) of the request; 0 for none.
    restart_due: Arc<AtomicU64>,
    epoch: Instant,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// Dropped with the store, which stops the checkpointer.
    _checkpointer: mpsc::Sender<()>,
}

fn connect(path: &Path, cache_kib: u32) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    // Takes effect only while the file is still empty (before the WAL switch below writes its
    // header); a database created with another page size keeps it.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA busy_timeout = 10000;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )?;
    conn.pragma_update(None, "cache_size", -i64::from(cache_kib))?;
    // rusqlite keeps 16 prepared statements per connection by default; a reader serving a
    // system's every look-up uses more, and past 16 each call evicts another and parses SQL
    // again (seen in 情報照会 profiles once the hub's replay memory was full).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

impl Sqlite {
    /// Opens (creating if needed) the database at `path` and applies `migrations` in order:
    /// entry `i` is schema version `i + 1`; applied versions are never run again.
    pub fn open(path: &Path, migrations: &[&str]) -> Result<Sqlite, StoreError> {
        Sqlite::open_with(path, migrations, Tuning::default())
    }

    /// Like [`Sqlite::open`], with the page cache sizes of `tuning`.
    pub fn open_with(
        path: &Path,
        migrations: &[&str],
        tuning: Tuning,
    ) -> Result<Sqlite, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let mut writer = connect(path, tuning.writer_cache_kib)?;
        migrate(&mut writer, migrations)?;
        writer.pragma_update(None, "wal_autocheckpoint", WRITER_AUTOCHECKPOINT)?;
        let readers = (0..READERS)
            .map(|_| connect(path, tuning.reader_cache_kib).map(Mutex::new))
            .collect::<Result<_, _>>()?;
        let restart_due = Arc::new(AtomicU64::new(0));
        let epoch = Instant::now();
        let checkpointer = spawn_checkpointer(connect(path, 256)?, restart_due.clone(), epoch)?;
        Ok(Sqlite {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Mutex::new(writer),
                restart_due,
                epoch,
                readers,
                next_reader: AtomicUsize::new(0),
                _checkpointer: checkpointer,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` with the single writer connection (writes are serialized, as SQLite requires).
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            let asked = inner.restart_due.swap(0, Ordering::Relaxed);
            if fresh(asked, since(inner.epoch)) {
                if let Err(e) = checkpoint(&conn) {
                    tracing::warn!(error = %e, "SQLite checkpoint before the WAL restarts failed");
                }
            }
            f(&mut conn)
        })
        .await
        .map_err(|e| E::from(joined(e)))?
    }

    /// Runs `f` with one of the reader connections, on the blocking pool (for reads of any
    /// size: scans, exports, whole-log reads).
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let i = inner.next_reader.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            let conn = inner.readers[i].lock().unwrap_or_else(|p| p.into_inner());
            f(&conn)
        })
        .await
        .map_err(|e| E::from(joined(e)))?
    }

    /// Runs `f`, a short indexed look-up (a point read of a few rows, microseconds in the
    /// page cache), on the calling thread with a reader connection that is free at this
    /// moment, and on the blocking pool like [`Sqlite::read`] only when every reader is busy.
    ///
    /// A blocking-pool hop costs two thread wake-ups per read, more than such a look-up
    /// itself; under load those wake-ups were the largest cost of the hub's and
    /// intermediate's inquiry path. Anything that may scan many rows belongs in
    /// [`Sqlite::read`], which never holds up the async runtime.
    pub async fn read_point<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let n = self.inner.readers.len();
        let start = self.inner.next_reader.fetch_add(1, Ordering::Relaxed);
        for k in 0..n {
            let i = (start + k) % n;
            match self.inner.readers[i].try_lock() {
                Ok(conn) => return f(&conn),
                Err(std::sync::TryLockError::Poisoned(p)) => return f(&p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        self.read(f).await
    }
}

/// A blocking task that did not return: its panic goes on, and a task the runtime cancelled
/// at shutdown before it ran becomes an error for the caller.
/// `PRAGMA data_version` of `conn`: changes when another connection (of this process or
/// another) commits to the database, not when `conn` does. A writer that keeps what it knows
/// of the tables beside them compares it to see whether anyone wrote behind its back.
pub fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
}

fn joined(e: tokio::task::JoinError) -> StoreError {
    if e.is_panic() {
        std::panic::resume_unwind(e.into_panic());
    }
    StoreError::Stopped
}

/// Checkpoints passively (never waiting for the writer or readers) every
/// [`CHECKPOINT_EVERY`] until the returned sender is dropped.
///
/// A passive checkpoint copies frames but never lets the WAL start over while writes keep
/// coming: SQLite reuses the WAL from its beginning only when a transaction starts after a
/// checkpoint has copied *every* frame. Under steady writes the WAL would grow until the
/// writer's own autocheckpoint, which copies what is left, syncs the database and restarts
/// the WAL inside a commit: a 55–70 ms stall of every write queued behind it (情報照会's p99,
/// docs/PERFORMANCE.md). So once the WAL holds [`RESTART_AFTER`] pages, this thread asks the
/// next write to checkpoint first, between two transactions, right after its own pass: only
/// the few frames written since are left to copy, the WAL is then wholly copied and that
/// write's transaction starts it over. (Only a write within [`RESTART_FRESH`] does so.)
fn spawn_checkpointer(
    conn: Connection,
    restart_due: Arc<AtomicU64>,
    epoch: Instant,
) -> Result<mpsc::Sender<()>, StoreError> {
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY)
            {
                match checkpoint(&conn) {
                    Ok(frames) if frames >= RESTART_AFTER => {
                        restart_due.store(since(epoch), Ordering::Relaxed)
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "SQLite checkpoint failed"),
                }
            }
        })?;
    Ok(stop)
}

/// Microseconds since `epoch`, plus one (never 0).
fn since(epoch: Instant) -> u64 {
    epoch.elapsed().as_micros() as u64 + 1
}

/// Whether a restart request made at `asked` (0: none) is still good at `now`.
fn fresh(asked: u64, now: u64) -> bool {
    asked != 0 && now.saturating_sub(asked) < RESTART_FRESH.as_micros() as u64
}

/// A passive checkpoint; returns the number of frames in the WAL.
fn checkpoint(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
}

fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")?;
    let applied: u32 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    for (i, sql) in migrations.iter().enumerate().skip(applied as usize) {
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES (?1)",
            [i as u32 + 1],
        )?;
        tracing::info!(version = i + 1, "applied SQLite migration");
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
