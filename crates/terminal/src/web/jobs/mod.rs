//! The background-job runner of the web terminal. 加入者情報 registration, J-LIS 一括照会 and
//! 副本 all run here as tasks of the terminal (closing the browser does not stop them), each
//! with one row in the store's `jobs` table: its inputs, its progress (written every second, and
//! live for the pages in between), its result file and how it ended. At start-up [`recover`]
//! finds the jobs the last stop cut off and, kind by kind, resumes each, leaves it to be
//! continued on request, or records why it cannot go on.

pub mod fuhon;
pub mod jlis;
pub mod registration;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use renkei_store::StoreError;
use tokio::task::JoinHandle;

use super::auth::now;
use super::store::{Job, JobKind, JobStatus, LogEntry};
use super::WebState;

/// How often a running job's progress is written to the store.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// How far a job got: rows done of the rows in its file, and the kind's counters (see
/// [`Job::counts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub done: i64,
    pub total: i64,
    pub counts: [i64; 3],
}

impl Progress {
    /// The progress a job's row last recorded.
    pub fn of(job: &Job) -> Progress {
        Progress {
            done: job.done,
            total: job.total,
            counts: serde_json::from_str(&job.counts).unwrap_or_default(),
        }
    }

    fn counts_json(&self) -> String {
        serde_json::to_string(&self.counts).expect("counts serialize")
    }

    /// Into `job`'s row.
    pub fn write_to(&self, job: &mut Job) {
        (job.done, job.total, job.counts) = (self.done, self.total, self.counts_json());
    }
}

/// How a job's work ended.
#[derive(Debug)]
pub enum Finish {
    /// 完了: `outcome` is the kind's account of it (JSON, or empty).
    Done { outcome: String },
    /// 失敗, and why.
    Failed(String),
    /// 中断: to be continued on request, and why it stopped.
    Interrupted(String),
}

/// The work of one job, reporting through its [`Reporter`] until it ends.
pub type Work = Pin<Box<dyn Future<Output = Finish> + Send>>;

/// Where a job's work reports its progress.
#[derive(Clone, Default)]
pub struct Reporter(Arc<Mutex<Progress>>);

impl Reporter {
    pub fn set(&self, p: Progress) {
        *lock(&self.0) = p;
    }

    pub fn update(&self, f: impl FnOnce(&mut Progress)) {
        f(&mut lock(&self.0));
    }

    pub fn get(&self) -> Progress {
        *lock(&self.0)
    }
}

/// Builds a job's work, given where it reports.
pub type MakeWork = Box<dyn FnOnce(Reporter) -> Work + Send>;

/// What [`recover`] does with a job the last stop cut off.
pub enum Recovery {
    /// Run it again from its inputs (sending again is harmless for its kind).
    Resume(MakeWork),
    /// Leave it 中断, to be continued on request, saying so.
    Interrupt(String),
    /// It cannot go on: 失敗, saying why.
    Fail(String),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The jobs running in this process: their live progress and their tasks.
#[derive(Default)]
pub struct Runner {
    live: Mutex<HashMap<String, (Reporter, JoinHandle<()>)>>,
}

impl Runner {
    /// Live progress of a running job.
    pub fn progress(&self, id: &str) -> Option<Progress> {
        lock(&self.live).get(id).map(|(r, _)| r.get())
    }

    pub fn is_running(&self, id: &str) -> bool {
        lock(&self.live).contains_key(id)
    }

    /// Stops every job (at shutdown); their rows stay `running` for [`recover`].
    pub fn abort_all(&self) {
        for (_, (_, handle)) in lock(&self.live).drain() {
            handle.abort();
        }
    }
}

/// The path of a job's file (`input` or `result`, relative to the data directory).
pub fn file(state: &WebState, relative: &str) -> PathBuf {
    state.config.data_dir.join(relative)
}

/// Records a new `job` as running and starts `work` on it.
pub async fn start(
    state: &Arc<WebState>,
    mut job: Job,
    work: impl FnOnce(Reporter) -> Work,
) -> Result<(), StoreError> {
    job.status = JobStatus::Running;
    state.store.insert_job(&job).await?;
    spawn(state, job, work);
    Ok(())
}

/// Starts `job` again from the beginning of its file (a re-send, or a resumption): its row is
/// running again with no progress and no reason.
pub async fn restart(
    state: &Arc<WebState>,
    mut job: Job,
    work: impl FnOnce(Reporter) -> Work,
) -> Result<(), StoreError> {
    if state.jobs.is_running(&job.id) {
        return Ok(());
    }
    job.status = JobStatus::Running;
    (job.done, job.counts) = (0, Progress::default().counts_json());
    job.reason.clear();
    job.outcome.clear();
    job.finished_at = None;
    state.store.update_job(&job).await?;
    spawn(state, job, work);
    Ok(())
}

fn spawn(state: &Arc<WebState>, job: Job, work: impl FnOnce(Reporter) -> Work) {
    let mut live = lock(&state.jobs.live);
    if live.contains_key(&job.id) {
        return;
    }
    let reporter = Reporter::default();
    reporter.set(Progress {
        total: job.total,
        ..Progress::default()
    });
    let mut work = work(reporter.clone());
    let id = job.id.clone();
    let (task_state, task_reporter, task_id) = (state.clone(), reporter.clone(), id.clone());
    let handle = tokio::spawn(async move {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        let mut written = Progress::default();
        let finish = loop {
            tokio::select! {
                finish = &mut work => break finish,
                _ = tick.tick() => {
                    let p = task_reporter.get();
                    if p != written {
                        let counts = p.counts_json();
                        if let Err(e) = task_state.store.job_progress(&job.id, p.done, p.total, &counts).await {
                            tracing::warn!(error = %e, "could not record a job's progress");
                        }
                        written = p;
                    }
                }
            }
        };
        end(&task_state, job, task_reporter.get(), finish).await;
        lock(&task_state.jobs.live).remove(&task_id);
    });
    live.insert(id, (reporter, handle));
}

/// Writes how a job ended.
async fn end(state: &WebState, mut job: Job, last: Progress, finish: Finish) {
    last.write_to(&mut job);
    match finish {
        Finish::Done { outcome } => {
            (job.status, job.outcome) = (JobStatus::Done, outcome);
            job.finished_at = Some(now());
        }
        Finish::Failed(reason) => {
            (job.status, job.reason) = (JobStatus::Failed, reason);
            job.finished_at = Some(now());
        }
        Finish::Interrupted(reason) => (job.status, job.reason) = (JobStatus::Interrupted, reason),
    }
    if let Err(e) = state.store.update_job(&job).await {
        tracing::error!(error = %e, kind = job.kind.as_str(), "could not record the end of a job");
    }
}

/// Appends to the office log of the job's tenant, as the member of staff who started it.
pub async fn log(state: &WebState, job: &Job, action: &str, detail: String) {
    let entry = LogEntry {
        tenant: job.tenant.clone(),
        at: now(),
        login_id: job.login_id.clone(),
        action: action.to_owned(),
        detail,
    };
    if let Err(e) = state.store.append_log(&entry).await {
        tracing::error!(error = %e, "could not write the office log");
    }
}

/// At start-up, before anything runs: each job the last stop cut off is resumed, left to be
/// continued on request, or failed with the reason, as its kind allows. Returns how many of
/// each (resumed, interrupted, failed).
pub async fn recover(state: &Arc<WebState>) -> Result<(usize, usize, usize), StoreError> {
    let mut counts = (0, 0, 0);
    for mut job in state.store.unfinished_jobs().await? {
        let recovery = match job.kind {
            JobKind::Registration => registration::recover(state, &job).await?,
            JobKind::JlisBatch => jlis::recover(state, &job).await?,
            JobKind::Fuhon => fuhon::recover(state, &job).await?,
        };
        match recovery {
            Recovery::Resume(make) => {
                tracing::info!(kind = job.kind.as_str(), id = %job.id, "resuming a job cut off by the last stop");
                counts.0 += 1;
                restart(state, job, make).await?;
            }
            Recovery::Interrupt(reason) => {
                counts.1 += 1;
                (job.status, job.reason) = (JobStatus::Interrupted, reason);
                state.store.update_job(&job).await?;
            }
            Recovery::Fail(reason) => {
                tracing::warn!(kind = job.kind.as_str(), id = %job.id, %reason, "a job cut off by the last stop cannot resume");
                counts.2 += 1;
                (job.status, job.reason) = (JobStatus::Failed, reason);
                job.finished_at = Some(now());
                state.store.update_job(&job).await?;
            }
        }
    }
    Ok(counts)
}
