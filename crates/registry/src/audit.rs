//! The look-up log's writer. Every look-up is logged before it is answered; to keep that
//! affordable at thousands of look-ups per second, concurrent requests share one transaction
//! (group commit): a single task takes whatever entries are waiting, writes them together and
//! then releases every request that was waiting on them.

use tokio::sync::{mpsc, oneshot};

use renkei_store::StoreError;

use crate::jlis::LogEntry;
use crate::store::Store;

/// Most requests written in one transaction.
const GROUP: usize = 512;

type Job = (Vec<LogEntry>, oneshot::Sender<Result<(), String>>);

/// A handle to the log writer (cheap to clone).
#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Job>,
}

impl AuditLog {
    /// Starts the writer task over `store` (needs a Tokio runtime).
    pub fn start(store: Store) -> AuditLog {
        let (tx, mut rx) = mpsc::channel::<Job>(4 * GROUP);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut jobs = vec![first];
                while jobs.len() < GROUP {
                    match rx.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                let entries: Vec<LogEntry> =
                    jobs.iter().flat_map(|(e, _)| e.iter().cloned()).collect();
                let result = store.append_log(entries).await.map_err(|e| e.to_string());
                if let Err(e) = &result {
                    tracing::error!(error = %e, "look-up log write failed");
                }
                for (_, done) in jobs {
                    let _ = done.send(result.clone());
                }
            }
        });
        AuditLog { tx }
    }

    /// Writes `entries` and waits until they are committed.
    pub async fn write(&self, entries: Vec<LogEntry>) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        let closed = || StoreError::Corrupt("照会記録の書き込み処理が停止しています".into());
        self.tx.send((entries, done)).await.map_err(|_| closed())?;
        wait.await
            .map_err(|_| closed())?
            .map_err(StoreError::Corrupt)
    }
}
