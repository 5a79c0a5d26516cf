//! The caller's side: a pooled HTTP/1.1 client over mutual TLS that sends typed requests.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::ClientConfig;

use crate::endpoint::{ApiError, Endpoint};

/// Why a call failed. Displays never include request or response bodies.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("接続できません: {0}")]
    Transport(String),
    #[error("応答がありません（{0:?} 経過）")]
    Timeout(Duration),
    #[error("{0}")]
    Api(ApiError),
    #[error("応答を解釈できません: {0}")]
    Decode(String),
}

impl CallError {
    /// True when trying again later may succeed (peer down, overloaded, timed out).
    pub fn is_retryable(&self) -> bool {
        match self {
            CallError::Transport(_) | CallError::Timeout(_) => true,
            CallError::Api(e) => e.status == 503 || e.status == 502 || e.status == 504,
            CallError::Decode(_) => false,
        }
    }
}

#[derive(Clone)]
pub struct Client {
    http: hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    base: Arc<str>,
    timeout: Duration,
}

impl Client {
    /// A client for the system at `base_url` (e.g. `https://127.0.0.1:7001`).
    pub fn new(tls: Arc<ClientConfig>, base_url: &str) -> Client {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*tls).clone())
            .https_only()
            .enable_http1()
            .wrap_connector(http);
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            // Keep every connection a burst opened: a new one costs a mutual-TLS handshake
            // (several ECDSA operations), far more than an idle connection's memory.
            .pool_max_idle_per_host(1024)
            .build(connector);
        Client {
            http,
            base: base_url.trim_end_matches('/').into(),
            timeout: Duration::from_secs(120),
        }
    }

    /// The deadline for one call (default 120 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Sends `req` to `E::PATH` and decodes the typed response or the peer's [`ApiError`].
    pub async fn call<E: Endpoint>(&self, req: &E::Request) -> Result<E::Response, CallError> {
        self.call_encoded(&Encoded::<E>::new(req)?).await
    }

    /// Like [`Client::call`], with a request encoded beforehand: a caller that may send it
    /// again (retries) keeps the body instead of the request, and encodes it once.
    pub async fn call_encoded<E: Endpoint>(
        &self,
        req: &Encoded<E>,
    ) -> Result<E::Response, CallError> {
        let request = http::Request::post(format!("{}{}", self.base, E::PATH))
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(req.body.clone()))
            .map_err(|e| CallError::Transport(e.to_string()))?;
        let (status, bytes) = self.send(request).await?;
        if status.is_success() {
            serde_json::from_slice(&bytes).map_err(|e| decode_error(&e))
        } else {
            Err(CallError::Api(api_error(status, &bytes)))
        }
    }

    /// `GET path`, returning the body as text (health, metrics).
    pub async fn get_text(&self, path: &str) -> Result<String, CallError> {
        let request = http::Request::get(format!("{}{}", self.base, path))
            .body(Full::new(Bytes::new()))
            .map_err(|e| CallError::Transport(e.to_string()))?;
        let (status, bytes) = self.send(request).await?;
        if status.is_success() {
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        } else {
            Err(CallError::Api(api_error(status, &bytes)))
        }
    }

    async fn send(
        &self,
        request: http::Request<Full<Bytes>>,
    ) -> Result<(http::StatusCode, Bytes), CallError> {
        let exchange = async {
            let response = self
                .http
                .request(request)
                .await
                .map_err(|e| CallError::Transport(error_chain(&e)))?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| CallError::Transport(e.to_string()))?
                .to_bytes();
            Ok((status, bytes))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| CallError::Timeout(self.timeout))?
    }
}

/// A request of endpoint `E`, encoded as it goes on the wire. Cloning shares the body.
pub struct Encoded<E> {
    body: Bytes,
    endpoint: PhantomData<fn() -> E>,
}

impl<E: Endpoint> Encoded<E> {
    pub fn new(req: &E::Request) -> Result<Encoded<E>, CallError> {
        let body = serde_json::to_vec(req).map_err(|e| decode_error(&e))?;
        Ok(Encoded {
            body: Bytes::from(body),
            endpoint: PhantomData,
        })
    }
}

impl<E> Clone for Encoded<E> {
    fn clone(&self) -> Self {
        Encoded {
            body: self.body.clone(),
            endpoint: PhantomData,
        }
    }
}

/// serde's message can quote a value from the body (a number, a name); keep only where.
fn decode_error(e: &serde_json::Error) -> CallError {
    CallError::Decode(format!(
        "{:?} at line {} column {}",
        e.classify(),
        e.line(),
        e.column()
    ))
}

fn api_error(status: http::StatusCode, bytes: &[u8]) -> ApiError {
    match serde_json::from_slice::<ApiError>(bytes) {
        Ok(mut e) => {
            e.status = status.as_u16();
            e
        }
        Err(_) => ApiError::new(status, "http_error", format!("HTTP {status}")),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
