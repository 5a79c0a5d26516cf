//! The server skeleton every system uses: bind, serve HTTP/1.1 over mutual TLS, hand handlers
//! the caller's [`Identity`], report `/health` and `/metrics`, and shut down gracefully when
//! the shared `watch` channel says so (the sandbox stops all systems with one channel).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use http::request::Parts;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::endpoint::ApiError;
use crate::identity::Identity;
use crate::metrics::{Counter, Metrics};

/// Largest request body accepted (a batch of a few thousand records fits easily).
const BODY_LIMIT: usize = 64 * 1024 * 1024;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const DRAIN_TIMEOUT: Duration = Duration::from_secs(15);

/// A server that is accepting connections.
pub struct RunningServer {
    pub name: &'static str,
    pub addr: SocketAddr,
    pub handle: JoinHandle<()>,
}

impl RunningServer {
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `https://127.0.0.1:<port>`: the address peers on this machine use.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Identity {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Identity>()
            .cloned()
            .ok_or_else(|| ApiError::forbidden("クライアント証明書から機関を識別できません。"))
    }
}

/// Binds `addr` (port 0 picks a free port) and serves `router` there until `shutdown` turns
/// true, then drains open connections.
pub async fn start(
    name: &'static str,
    addr: &str,
    tls: Arc<ServerConfig>,
    router: Router,
    metrics: Metrics,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let refusals = HandshakeRefusals::new(name, &metrics);
    let router = with_common_routes(name, router, metrics);
    let handle = tokio::spawn(accept_loop(
        name,
        listener,
        TlsAcceptor::from(tls),
        router,
        refusals,
        shutdown,
    ));
    tracing::info!(system = name, %local, "listening (mutual TLS)");
    Ok(RunningServer {
        name,
        addr: local,
        handle,
    })
}

fn with_common_routes(name: &'static str, router: Router, metrics: Metrics) -> Router {
    let render = metrics.clone();
    router
        .route(
            "/health",
            get(move || async move { Json(serde_json::json!({ "system": name, "status": "ok" })) }),
        )
        .route("/metrics", get(move || async move { render.render() }))
        .layer(middleware::from_fn_with_state(
            RequestCounters::new(name, metrics),
            count_requests,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// The request counter of each (route, status) a server has answered, so that counting a
/// request is a map look-up rather than formatting its labels and searching the registry
/// under its lock (every request of every system in the process went through that lock).
#[derive(Clone)]
struct RequestCounters {
    name: &'static str,
    metrics: Metrics,
    known: Arc<std::sync::Mutex<HashMap<String, HashMap<u16, Counter>>>>,
}

impl RequestCounters {
    fn new(name: &'static str, metrics: Metrics) -> RequestCounters {
        RequestCounters {
            name,
            metrics,
            known: Arc::default(),
        }
    }

    fn count(&self, path: &str, status: u16) {
        let known = self
            .known
            .lock()
            .expect("lock")
            .get(path)
            .and_then(|s| s.get(&status))
            .cloned();
        let counter = known.unwrap_or_else(|| {
            let counter = self.metrics.counter(
                "renkei_http_requests_total",
                &[
                    ("system", self.name),
                    ("path", path),
                    ("status", &status.to_string()),
                ],
                "HTTP requests served, by route and status.",
            );
            let mut known = self.known.lock().expect("lock");
            known
                .entry(path.to_owned())
                .or_default()
                .insert(status, counter.clone());
            counter
        });
        counter.inc();
    }
}

async fn count_requests(
    State(counters): State<RequestCounters>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let path = path.as_ref().map_or("unmatched", MatchedPath::as_str);
    counters.count(path, response.status().as_u16());
    response
}

/// TLS handshakes the server refused, by reason. A peer refused there never reaches a handler,
/// so the request counters cannot show it; a peer whose certificate the network's CA did not
/// issue (or that presents none) is counted apart from other failures.
#[derive(Clone)]
struct HandshakeRefusals {
    client_certificate: Counter,
    timeout: Counter,
    other: Counter,
}

impl HandshakeRefusals {
    fn new(name: &'static str, metrics: &Metrics) -> HandshakeRefusals {
        let counter = |reason| {
            metrics.counter(
                "renkei_tls_handshakes_refused_total",
                &[("system", name), ("reason", reason)],
                "TLS handshakes refused, by reason.",
            )
        };
        HandshakeRefusals {
            client_certificate: counter("client_certificate"),
            timeout: counter("timeout"),
            other: counter("other"),
        }
    }

    /// The reason a handshake failed with `e`: tokio-rustls wraps rustls' error in the I/O error.
    fn failed(&self, e: &std::io::Error) -> &Counter {
        let tls = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        match tls {
            Some(rustls::Error::NoCertificatesPresented | rustls::Error::InvalidCertificate(_)) => {
                &self.client_certificate
            }
            _ => &self.other,
        }
    }
}

async fn accept_loop(
    name: &'static str,
    listener: TcpListener,
    acceptor: TlsAcceptor,
    router: Router,
    refusals: HandshakeRefusals,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (tcp, _) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::warn!(system = name, error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let router = router.clone();
                let watcher = graceful.watcher();
                let refusals = refusals.clone();
                tokio::spawn(async move {
                    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            tracing::debug!(system = name, error = %e, "TLS handshake refused");
                            refusals.failed(&e).inc();
                            return;
                        }
                        Err(_) => {
                            refusals.timeout.inc();
                            return;
                        }
                    };
                    let peer = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .and_then(|c| Identity::from_der(c.as_ref()));
                    let service = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
                        if let Some(peer) = &peer {
                            req.extensions_mut().insert(peer.clone());
                        }
                        router.clone().oneshot(req)
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service);
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!(system = name, error = %e, "connection ended with error");
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    tracing::info!(system = name, "shutting down: draining connections");
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN_TIMEOUT) => {
            tracing::warn!(system = name, "connections still open after drain timeout");
        }
    }
}
