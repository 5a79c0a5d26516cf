//! Registrations running in the background: an upload's registration runs as a task of the
//! web terminal (so closing the browser does not stop it), reporting progress here for the
//! page to poll; the store gets the outcome when it ends.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use renkei_core::InsurerNumber;
use tokio::task::JoinHandle;

use super::auth::now;
use super::store::{LogEntry, UploadProgress, UploadStatus};
use super::WebState;
use crate::register::{register_file, Progress, RegisterError, RegisterOptions};

/// A running upload: its live progress and its task.
type Running = (Arc<Mutex<Progress>>, JoinHandle<()>);

#[derive(Default)]
pub struct Jobs {
    running: Mutex<HashMap<String, Running>>,
}

impl Jobs {
    /// Live progress of a running upload.
    pub fn progress(&self, id: &str) -> Option<Progress> {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        running
            .get(id)
            .map(|(p, _)| p.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    pub fn is_running(&self, id: &str) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(id)
    }

    pub fn abort_all(&self) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        for (_, (_, handle)) in running.drain() {
            handle.abort();
        }
    }

    fn finish(&self, id: &str) {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }
}

/// What a background registration needs.
pub struct Job {
    pub id: String,
    pub tenant: String,
    pub login_id: String,
    pub insurer_number: InsurerNumber,
    pub input: PathBuf,
    pub result: PathBuf,
    pub file_name: String,
}

/// Starts registering `job.input`; progress is visible through [`Jobs::progress`] at once.
pub fn spawn(state: Arc<WebState>, job: Job) {
    let live = Arc::new(Mutex::new(Progress::default()));
    let mut running = state.jobs.running.lock().unwrap_or_else(|p| p.into_inner());
    if running.contains_key(&job.id) {
        return;
    }
    let task_state = state.clone();
    let task_live = live.clone();
    let id = job.id.clone();
    let handle = tokio::spawn(async move {
        run(&task_state, &job, &task_live).await;
        task_state.jobs.finish(&job.id);
    });
    running.insert(id, (live, handle));
}

async fn run(state: &WebState, job: &Job, live: &Mutex<Progress>) {
    let Some(tenant) = state.tenants.get(&job.tenant) else {
        return;
    };
    let options = RegisterOptions {
        retry_for: std::time::Duration::from_secs(state.config.retry_for_secs),
        ..RegisterOptions::default()
    };
    let outcome = register_file(
        &tenant.client,
        &job.insurer_number,
        &job.input,
        &job.result,
        &options,
        |p| *live.lock().unwrap_or_else(|p| p.into_inner()) = p.clone(),
    )
    .await;
    let last = live.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let (status, error, action, detail) = match outcome {
        Ok(summary) => {
            let p = &summary.progress;
            (
                UploadStatus::Done,
                String::new(),
                "加入者情報登録 完了",
                format!(
                    "{}（{} 行: 登録 {} 件、保留 {} 件）",
                    job.file_name, p.rows_done, p.registered, p.held
                ),
            )
        }
        Err(e) => {
            let message = e.to_string();
            // A system out of reach leaves the upload to be continued; anything else (a file
            // the intermediate server refuses, a file that cannot be read) needs a new file.
            let status = match e {
                RegisterError::Unavailable(_) => UploadStatus::Interrupted,
                _ => UploadStatus::Failed,
            };
            (
                status,
                message.clone(),
                "加入者情報登録 失敗",
                format!("{}: {message}", job.file_name),
            )
        }
    };
    let finished = now();
    let progress = UploadProgress {
        status,
        rows_total: last.rows_total as i64,
        rows_done: last.rows_done as i64,
        registered: last.registered as i64,
        held: last.held as i64,
        error,
        finished_at: Some(finished),
    };
    if let Err(e) = state.store.update_upload(&job.id, &progress).await {
        tracing::error!(error = %e, "could not record the end of an upload");
    }
    let entry = LogEntry {
        tenant: job.tenant.clone(),
        at: finished,
        login_id: job.login_id.clone(),
        action: action.into(),
        detail,
    };
    if let Err(e) = state.store.append_log(&entry).await {
        tracing::error!(error = %e, "could not write the office log");
    }
}
