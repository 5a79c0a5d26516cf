//! The single writer of the 情報提供等記録: one task owns the chain head, so the chain never
//! forks, and commits many entries per transaction (group commit), so the log is not the
//! bottleneck of inquiries.
//!
//! Handlers send an [`Exchange`] and wait for its entry. The writer takes whatever is queued
//! (up to [`MAX_BATCH`]), drops exchanges already recorded (same asker, request id and
//! finality — in this batch, among recent entries, or, after a conflict, in the store), appends
//! the rest to the chain, writes them with any checkpoint in one transaction and answers each
//! sender. A checkpoint is signed every [`CHECKPOINT_EVERY`] entries and after a second
//! without one, and at shutdown, so at most about a second of entries is only chained.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use renkei_store::StoreError;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use crate::store::Store;
use renkei_ledger::record_log::{Entry, Exchange, LogWriter, Outcome};

mod memory;
use memory::{key, Key, Memory};

/// The most entries one transaction writes.
pub const MAX_BATCH: usize = 1024;
/// Entries between signed checkpoints.
pub const CHECKPOINT_EVERY: u64 = 1000;
/// Keys of recent entries the writer remembers, to drop duplicates without reading the store
/// (10–20 s of traffic at 5,000 inquiries/s; older request ids are found in the store): two
/// generations of this many each.
const GENERATION: usize = 50_000;
/// How often an idle log's unsigned tail is checkpointed.
const IDLE_CHECKPOINT: Duration = Duration::from_secs(1);

/// An exchange as recorded: its entry, and whether it was recorded just now or before.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub entry: Entry,
    pub new: bool,
}

struct Job {
    exchange: Exchange,
    reply: oneshot::Sender<Result<Recorded, StoreError>>,
}

/// The handle handlers use; cloning is cheap.
#[derive(Clone)]
pub struct Recorder {
    jobs: mpsc::Sender<Job>,
    memory: Arc<Mutex<Memory>>,
}

impl Recorder {
    /// Resumes the log from `store` and starts the writer task. It stops (with a final
    /// checkpoint) once every [`Recorder`] is dropped; the handle says when it has.
    pub async fn start(
        store: Store,
        key: ring::signature::Ed25519KeyPair,
    ) -> Result<(Recorder, tokio::task::JoinHandle<()>), StoreError> {
        let head = store.log_head().await?;
        let writer = LogWriter::resume(
            key,
            CHECKPOINT_EVERY,
            head.last.as_ref(),
            head.checkpointed_seq,
        );
        let (jobs, rx) = mpsc::channel(MAX_BATCH * 4);
        let memory = Arc::new(Mutex::new(Memory::new(head.last.is_none(), GENERATION)));
        let task = tokio::spawn(run(store, writer, rx, memory.clone()));
        Ok((Recorder { jobs, memory }, task))
    }

    /// The entries of (asker, request id), final outcome first, if the writer's memory can
    /// tell: it holds the final one, or it holds the whole log. `None`: ask the store. (After
    /// a restart an older `unavailable` entry of an id whose final entry is remembered may be
    /// left out: the replay check needs only the final one.) Entries from memory carry no
    /// sender signatures; the store has them.
    pub fn recorded(&self, asker: &str, request_id: &str) -> Option<Vec<Entry>> {
        let memory = self.memory.lock().unwrap_or_else(|p| p.into_inner());
        let mut k = (asker.to_owned(), request_id.to_owned(), true);
        let final_ = memory.get(&k).cloned();
        if final_.is_none() && !memory.complete() {
            return None;
        }
        k.2 = false;
        let unavailable = memory.get(&k).cloned();
        Some(final_.into_iter().chain(unavailable).collect())
    }

    /// Records `exchange` (or finds it recorded) and returns its entry once durable.
    pub async fn record(&self, exchange: Exchange) -> Result<Recorded, StoreError> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Corrupt("情報提供等記録の書き込みが停止しています".into());
        self.jobs
            .send(Job { exchange, reply })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

struct State {
    store: Store,
    writer: LogWriter,
    memory: Arc<Mutex<Memory>>,
}

async fn run(
    store: Store,
    writer: LogWriter,
    mut rx: mpsc::Receiver<Job>,
    memory: Arc<Mutex<Memory>>,
) {
    let mut state = State {
        store,
        writer,
        memory,
    };
    let mut tick = tokio::time::interval(IDLE_CHECKPOINT);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        tokio::select! {
            n = rx.recv_many(&mut batch, MAX_BATCH) => {
                if n == 0 {
                    break;
                }
                state.write(std::mem::take(&mut batch)).await;
            }
            _ = tick.tick() => state.checkpoint().await,
        }
    }
    state.checkpoint().await;
}

impl State {
    fn remember(&mut self, entry: &Entry) {
        self.memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remember(entry);
    }

    fn recent(&self, k: &Key) -> Option<Entry> {
        let memory = self.memory.lock().unwrap_or_else(|p| p.into_inner());
        memory.get(k).cloned()
    }

    async fn checkpoint(&mut self) {
        if let Some(cp) = self.writer.checkpoint(OffsetDateTime::now_utc()) {
            if let Err(e) = self.store.append_log(Vec::new(), vec![cp]).await {
                tracing::error!(error = %e, "情報提供等記録のチェックポイントを保存できません");
                self.resume().await;
            }
        }
    }

    /// Re-reads the head after a failed write, so the chain continues from what is stored.
    async fn resume(&mut self) {
        match self.store.log_head().await {
            Ok(head) => self.writer.reset(head.last.as_ref(), head.checkpointed_seq),
            Err(e) => tracing::error!(error = %e, "情報提供等記録の末尾を読めません"),
        }
    }

    async fn write(&mut self, jobs: Vec<Job>) {
        let now = OffsetDateTime::now_utc();
        let mut fresh: Vec<Job> = Vec::with_capacity(jobs.len());
        let mut in_batch: HashMap<Key, usize> = HashMap::new();
        let mut duplicates: Vec<(Job, usize)> = Vec::new();
        for job in jobs {
            let k = key(&job.exchange);
            if let Some(entry) = self.recent(&k) {
                let _ = job.reply.send(Ok(Recorded { entry, new: false }));
            } else if let Some(&i) = in_batch.get(&k) {
                duplicates.push((job, i));
            } else {
                in_batch.insert(k, fresh.len());
                fresh.push(job);
            }
        }
        let mut entries = Vec::with_capacity(fresh.len());
        let mut checkpoints = Vec::new();
        for job in &fresh {
            let (entry, cp) = self.writer.append(job.exchange.clone(), now);
            entries.push(entry);
            checkpoints.extend(cp);
        }
        match self.store.append_log(entries.clone(), checkpoints).await {
            Ok(()) => {
                for (job, entry) in fresh.into_iter().zip(&entries) {
                    self.remember(entry);
                    let _ = job.reply.send(Ok(Recorded {
                        entry: entry.clone(),
                        new: true,
                    }));
                }
                for (job, i) in duplicates {
                    let _ = job.reply.send(Ok(Recorded {
                        entry: entries[i].clone(),
                        new: false,
                    }));
                }
            }
            Err(e) => {
                // Most likely one exchange was recorded by an earlier run beyond the recent
                // keys (the unique index refused it): redo the batch one by one.
                tracing::warn!(error = %e, entries = entries.len(), "一括記録に失敗しました。1件ずつ記録します");
                self.resume().await;
                for job in fresh
                    .into_iter()
                    .chain(duplicates.into_iter().map(|(j, _)| j))
                {
                    let result = self.write_one(job.exchange, now).await;
                    let _ = job.reply.send(result);
                }
            }
        }
    }

    async fn write_one(
        &mut self,
        x: Exchange,
        now: OffsetDateTime,
    ) -> Result<Recorded, StoreError> {
        let final_ = x.outcome != Outcome::Unavailable;
        let known = self.store.recorded(&x.asker, &x.request_id).await?;
        if let Some(entry) = known
            .into_iter()
            .find(|e| (e.exchange.outcome != Outcome::Unavailable) == final_)
        {
            self.remember(&entry);
            return Ok(Recorded { entry, new: false });
        }
        let (entry, cp) = self.writer.append(x, now);
        if let Err(e) = self
            .store
            .append_log(vec![entry.clone()], cp.into_iter().collect())
            .await
        {
            self.resume().await;
            return Err(e);
        }
        self.remember(&entry);
        Ok(Recorded { entry, new: true })
    }
}
