//! Mutual TLS end to end: a server built with the shared skeleton answers a typed call from a
//! certified institution, names the caller, and refuses clients the network's CA did not certify.

use axum::routing::post;
use axum::{Json, Router};
use renkei_wire::metrics::Metrics;
use renkei_wire::pki::Pki;
use renkei_wire::{ApiError, CallError, Client, Endpoint, Identity, Role};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

struct Echo;

#[derive(Serialize, Deserialize)]
struct EchoRequest {
    text: String,
}

#[derive(Serialize, Deserialize)]
struct EchoResponse {
    text: String,
    caller: String,
    role: Role,
}

impl Endpoint for Echo {
    const PATH: &'static str = "/v1/echo";
    type Request = EchoRequest;
    type Response = EchoResponse;
}

async fn echo(
    caller: Identity,
    Json(req): Json<EchoRequest>,
) -> Result<Json<EchoResponse>, ApiError> {
    if caller.role != Role::Insurer {
        return Err(ApiError::forbidden("保険者だけが呼べます。"));
    }
    Ok(Json(EchoResponse {
        text: req.text,
        caller: caller.code,
        role: caller.role,
    }))
}

/// Asserts that `result` is the server refusing the TLS handshake with `alert` (the alert the
/// server sends names why: any other transport failure — nothing listening, a reset, a
/// timeout — does not carry it).
fn assert_refused_at_handshake<T>(result: Result<T, CallError>, alert: &str) {
    match result {
        Err(CallError::Transport(message)) => assert!(
            message.contains(&format!("received fatal alert: {alert}")),
            "expected the handshake to be refused with {alert}, got: {message}"
        ),
        Err(e) => panic!("expected the handshake to be refused with {alert}, got: {e}"),
        Ok(_) => panic!("expected the handshake to be refused with {alert}, got an answer"),
    }
}

/// The server's count of handshakes refused for a missing or untrusted client certificate.
const CERTIFICATE_REFUSALS: &str =
    "renkei_tls_handshakes_refused_total{system=\"hub\",reason=\"client_certificate\"}";

#[tokio::test]
async fn mutual_tls_identifies_callers_and_refuses_strangers() {
    renkei_wire::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::open_or_create(&dir.path().join("pki")).unwrap();
    let server_files = pki
        .issue(&Identity::new(
            "hub",
            Role::Hub,
            "情報提供ネットワークシステム",
        ))
        .unwrap();
    let insurer = pki
        .issue(&Identity::new(
            "koiki-13",
            Role::Insurer,
            "東京都後期高齢者医療広域連合",
        ))
        .unwrap();
    let agency = pki
        .issue(&Identity::new("city-131016", Role::Agency, "千代田区"))
        .unwrap();

    let (stop, shutdown) = watch::channel(false);
    let router = Router::new().route(Echo::PATH, post(echo));
    let server = renkei_wire::server::start(
        "hub",
        "127.0.0.1:0",
        server_files.server_config().unwrap(),
        router,
        Metrics::default(),
        shutdown,
    )
    .await
    .unwrap();

    // A certified insurer is identified by its certificate.
    let client = Client::new(insurer.client_config().unwrap(), &server.url());
    let answer = client
        .call::<Echo>(&EchoRequest {
            text: "こんにちは".into(),
        })
        .await
        .unwrap();
    assert_eq!(answer.text, "こんにちは");
    assert_eq!(answer.caller, "koiki-13");
    assert_eq!(answer.role, Role::Insurer);

    // A certified agency is identified too, and the handler's rule refuses it.
    let client = Client::new(agency.client_config().unwrap(), &server.url());
    match client.call::<Echo>(&EchoRequest { text: "x".into() }).await {
        Err(renkei_wire::CallError::Api(e)) => {
            assert_eq!(e.status, 403);
            assert_eq!(e.code, "forbidden");
        }
        other => panic!("expected 403, got {:?}", other.map(|r| r.text)),
    }

    // A certificate from another CA is refused during the handshake.
    let other = Pki::open_or_create(&dir.path().join("other")).unwrap();
    let mut stranger = other
        .issue(&Identity::new("koiki-13", Role::Insurer, "なりすまし"))
        .unwrap();
    stranger.ca = server_files.ca.clone(); // trusts the real CA, presents a foreign certificate
    let client = Client::new(stranger.client_config().unwrap(), &server.url());
    let refused = client.call::<Echo>(&EchoRequest { text: "x".into() }).await;
    // Every network CA has the same name, so the server finds "its" issuer and the signature
    // check fails: rustls answers with the decrypt_error alert.
    assert_refused_at_handshake(refused, "DecryptError");

    // Health and metrics are served to certified callers.
    let client = Client::new(insurer.client_config().unwrap(), &server.url());
    assert!(client.get_text("/health").await.unwrap().contains("\"ok\""));
    let metrics = client.get_text("/metrics").await.unwrap();
    assert!(
        metrics.contains(
            "renkei_http_requests_total{system=\"hub\",path=\"/v1/echo\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    // Each further request of the same route and status counts on the same line.
    for _ in 0..2 {
        client
            .call::<Echo>(&EchoRequest { text: "y".into() })
            .await
            .unwrap();
    }
    let metrics = client.get_text("/metrics").await.unwrap();
    assert!(
        metrics.contains(
            "renkei_http_requests_total{system=\"hub\",path=\"/v1/echo\",status=\"200\"} 3"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "renkei_http_requests_total{system=\"hub\",path=\"/metrics\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "renkei_http_requests_total{system=\"hub\",path=\"/v1/echo\",status=\"403\"} 1"
        ),
        "{metrics}"
    );
    // The server saw the foreign certificate: one handshake refused for it, nothing else.
    assert!(
        metrics.contains(&format!("{CERTIFICATE_REFUSALS} 1\n")),
        "{metrics}"
    );
    assert!(
        !metrics.contains("reason=\"other\"} 1") && !metrics.contains("reason=\"timeout\"} 1"),
        "{metrics}"
    );

    stop.send(true).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(20), server.handle)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn client_without_certificate_is_refused() {
    renkei_wire::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::open_or_create(dir.path()).unwrap();
    let files = pki
        .issue(&Identity::new(
            "hub",
            Role::Hub,
            "情報提供ネットワークシステム",
        ))
        .unwrap();
    let certified = pki
        .issue(&Identity::new("registry", Role::Registry, "J-LIS"))
        .unwrap();
    let (_stop, shutdown) = watch::channel(false);
    let server = renkei_wire::server::start(
        "hub",
        "127.0.0.1:0",
        files.server_config().unwrap(),
        Router::new(),
        Metrics::default(),
        shutdown,
    )
    .await
    .unwrap();

    // Trusts the CA but presents no certificate.
    let mut roots = rustls::RootCertStore::empty();
    use rustls_pki_types::pem::PemObject;
    for c in rustls_pki_types::CertificateDer::pem_file_iter(&files.ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let client = Client::new(std::sync::Arc::new(config), &server.url());
    assert_refused_at_handshake(client.get_text("/health").await, "CertificateRequired");

    // The same server answers a client with a certificate from its CA, and counted the refusal.
    let client = Client::new(certified.client_config().unwrap(), &server.url());
    assert!(client.get_text("/health").await.unwrap().contains("\"ok\""));
    let metrics = client.get_text("/metrics").await.unwrap();
    assert!(
        metrics.contains(&format!("{CERTIFICATE_REFUSALS} 1\n")),
        "{metrics}"
    );
}
