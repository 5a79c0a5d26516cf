//! The web terminal (統合専用端末 in the browser): server-rendered Japanese pages for an
//! insurer's staff, talking only to `intermediate` over mutual TLS with the insurer's own
//! certificate, exactly as the CLI does.
//!
//! It keeps its own store ([`store`]): staff accounts with roles ([`auth`]), sessions, the
//! office log, and the uploads made through it. Pages live in [`pages`], one module per
//! workflow; a new workflow adds a module, its routes in [`router`], and its templates.
//!
//! The browser side is plain HTTP on the office network (put TLS in front in production);
//! everything that leaves the terminal for the network is mutual TLS.

mod accounts_rules;
pub mod auth;
pub mod cli;
pub mod demo;
mod error;
mod jobs;
mod pages;
mod render;
pub mod store;
mod throttle;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use renkei_store::StoreError;
use renkei_wire::peer::IntermediateClient;
use renkei_wire::tls::{TlsError, TlsFiles};
use renkei_wire::Client;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::profile::{InsurerProfile, SandboxProfile};
use store::WebStore;

pub use error::WebError;

/// Largest 加入者情報 file accepted through the browser (other forms keep axum's 2 MB).
pub(crate) const UPLOAD_LIMIT: usize = 2 * 1024 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebConfig {
    /// `127.0.0.1:0` picks a free port.
    pub listen: String,
    /// Store URL (`sqlite:PATH` or `postgres://…`, schema `terminal` by default).
    pub store: String,
    /// Where uploaded files and their result files are kept.
    pub data_dir: PathBuf,
    pub intermediate_url: String,
    /// The network CA.
    pub ca: PathBuf,
    /// The insurers served, each with its own client certificate.
    pub insurers: Vec<InsurerProfile>,
    /// The operator's certificate and the systems the operator page watches, if any.
    #[serde(default)]
    pub operator: Option<OperatorConfig>,
    /// A session ends after this long without a request…
    #[serde(default = "default_idle")]
    pub session_idle_secs: i64,
    /// …and in any case this long after sign-in.
    #[serde(default = "default_max")]
    pub session_max_secs: i64,
    /// How long an upload keeps retrying while a system is out of reach before it stops as
    /// 中断 (to be continued with 「続きから再送する」).
    #[serde(default = "default_retry")]
    pub retry_for_secs: u64,
    /// The institutions staff may address an inquiry to (shown by name in the form).
    #[serde(default)]
    pub providers: Vec<Provider>,
    /// A login ID is locked after this many failed sign-ins in a row…
    #[serde(default = "throttle::default_max_failures")]
    pub login_max_failures: i64,
    /// …within this long (and a client address after `login_max_failures_per_address`)…
    #[serde(default = "throttle::default_window")]
    pub login_window_secs: i64,
    /// …for this long (or until a 管理者 unlocks it).
    #[serde(default = "throttle::default_lock")]
    pub login_lock_secs: i64,
    /// Failed sign-ins from one client address, any login ID, before it is locked.
    #[serde(default = "throttle::default_max_failures_per_address")]
    pub login_max_failures_per_address: i64,
}

/// An institution that answers 情報照会: its code (certificate CN) and Japanese name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub code: String,
    pub name: String,
}

fn default_retry() -> u64 {
    60
}

fn default_idle() -> i64 {
    30 * 60
}

fn default_max() -> i64 {
    8 * 60 * 60
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OperatorConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// (code name, Japanese name, URL) of each system.
    pub systems: Vec<(String, String, String)>,
}

impl WebConfig {
    /// The web terminal of a sandbox: every insurer of the profile, the operator page for its
    /// three systems.
    pub fn for_sandbox(
        profile: &SandboxProfile,
        data_dir: PathBuf,
        listen: String,
        store: String,
    ) -> WebConfig {
        WebConfig {
            listen,
            store,
            data_dir,
            intermediate_url: profile.intermediate_url.clone(),
            ca: profile.ca.clone(),
            insurers: profile.insurers.clone(),
            operator: profile.operator.as_ref().map(|o| OperatorConfig {
                cert: o.cert.clone(),
                key: o.key.clone(),
                systems: vec![
                    (
                        "registry".into(),
                        "住基ネット".into(),
                        profile.registry_url.clone(),
                    ),
                    (
                        "hub".into(),
                        "情報提供ネットワークシステム".into(),
                        profile.hub_url.clone(),
                    ),
                    (
                        "intermediate".into(),
                        "中間サーバ".into(),
                        profile.intermediate_url.clone(),
                    ),
                ],
            }),
            session_idle_secs: default_idle(),
            session_max_secs: default_max(),
            retry_for_secs: default_retry(),
            login_max_failures: throttle::default_max_failures(),
            login_window_secs: throttle::default_window(),
            login_lock_secs: throttle::default_lock(),
            login_max_failures_per_address: throttle::default_max_failures_per_address(),
            // The sandbox's insurers answer each other; it adds its municipalities.
            providers: profile
                .insurers
                .iter()
                .map(|i| Provider {
                    code: i.code.clone(),
                    name: i.name.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebStartError {
    #[error("統合専用端末（Web）: {0}")]
    Store(#[from] StoreError),
    #[error("統合専用端末（Web）: {0}")]
    Tls(#[from] TlsError),
    #[error("統合専用端末（Web）: {0} で待ち受けできません: {1}")]
    Bind(String, std::io::Error),
}

/// An insurer the terminal serves, with its client to `intermediate`.
pub struct Tenant {
    pub profile: InsurerProfile,
    pub client: IntermediateClient,
    /// The same identity for the other endpoints of `intermediate` (inquiry, …).
    pub wire: Client,
}

pub struct WebState {
    pub config: WebConfig,
    pub store: WebStore,
    pub tenants: HashMap<String, Tenant>,
    /// (code name, Japanese name, client) per system on the operator page.
    pub operator: Vec<(String, String, Client)>,
    /// The background jobs running now (registration, J-LIS query files, 副本).
    pub jobs: jobs::Runner,
}

impl WebState {
    /// The display name of a tenant (an insurer, or the operators).
    pub fn tenant_name(&self, code: &str) -> String {
        match self.tenants.get(code) {
            Some(t) => t.profile.name.clone(),
            None if code == store::OPERATOR_TENANT => "ネットワーク運用者".into(),
            None => code.to_owned(),
        }
    }
}

/// A running web terminal.
pub struct WebApp {
    addr: SocketAddr,
    handle: JoinHandle<()>,
    state: Arc<WebState>,
}

impl WebApp {
    pub async fn build(
        config: WebConfig,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<WebApp, WebStartError> {
        let store = WebStore::open_url(&config.store).await?;
        // The rows of the kinds' own tables left running by the last stop: uploads wait for a
        // re-send, query files fail — unless `jobs::recover` below resumes their job (or has
        // none for them, for rows from before the job table).
        store.interrupt_running().await?;
        store
            .fail_running_jlis_batches(
                "統合専用端末が停止したため中断しました。同じ照会ファイルをもう一度送ってください。",
            )
            .await?;
        let mut tenants = HashMap::new();
        for insurer in &config.insurers {
            let tls = TlsFiles {
                ca: config.ca.clone(),
                cert: insurer.cert.clone(),
                key: insurer.key.clone(),
            };
            let client = IntermediateClient::new(&tls, &config.intermediate_url)?;
            let wire = Client::new(tls.client_config()?, &config.intermediate_url);
            tenants.insert(
                insurer.code.clone(),
                Tenant {
                    profile: insurer.clone(),
                    client,
                    wire,
                },
            );
        }
        let mut operator = Vec::new();
        if let Some(op) = &config.operator {
            let tls = TlsFiles {
                ca: config.ca.clone(),
                cert: op.cert.clone(),
                key: op.key.clone(),
            };
            let client_tls = tls.client_config()?;
            for (code, name, url) in &op.systems {
                let client = Client::new(client_tls.clone(), url)
                    .with_timeout(std::time::Duration::from_secs(5));
                operator.push((code.clone(), name.clone(), client));
            }
        }
        std::fs::create_dir_all(config.data_dir.join("uploads"))
            .map_err(|e| WebStartError::Bind(config.data_dir.display().to_string(), e))?;
        let listener = TcpListener::bind(&config.listen)
            .await
            .map_err(|e| WebStartError::Bind(config.listen.clone(), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| WebStartError::Bind(config.listen.clone(), e))?;
        let state = Arc::new(WebState {
            config,
            store,
            tenants,
            operator,
            jobs: jobs::Runner::default(),
        });
        let (resumed, interrupted, failed) = jobs::recover(&state).await?;
        if resumed + interrupted + failed > 0 {
            tracing::warn!(
                resumed,
                interrupted,
                failed,
                "jobs cut off by the last stop: resumed, left to be continued, or failed with the reason"
            );
        }
        let app = router(state.clone());
        let handle = tokio::spawn(async move {
            // The peer address feeds the per-address limit on failed sign-ins.
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                while !*shutdown.borrow() {
                    if shutdown.changed().await.is_err() {
                        break;
                    }
                }
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "web terminal stopped");
            }
        });
        tracing::info!(%addr, "web terminal listening (HTTP)");
        Ok(WebApp {
            addr,
            handle,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.addr.port())
    }

    pub fn store(&self) -> &WebStore {
        &self.state.store
    }

    /// Waits until the server has shut down (after the shutdown channel fired), then stops
    /// the jobs still running: the next start resumes each or says why it cannot
    /// ([`jobs::recover`]).
    pub async fn wait(self) {
        let _ = self.handle.await;
        self.state.jobs.abort_all();
    }
}

fn router(state: Arc<WebState>) -> Router {
    Router::new()
        .merge(pages::login::router())
        .merge(pages::home::router())
        .merge(pages::accounts::router())
        .merge(pages::log::router())
        .merge(pages::registration::router())
        .merge(pages::operator::router())
        .merge(pages::inquiry::router())
        .merge(pages::jlis::router())
        .merge(pages::fuhon::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            pages::with_chrome,
        ))
        .with_state(state)
}
