//! The typed clients check every batch answer: a peer that answers with more or fewer items
//! than were asked is an error naming both counts, never a silent gap that a caller could read
//! as "not found" for the items after it.

use axum::routing::post;
use axum::{Json, Router};
use renkei_core::MyNumber;
use renkei_wire::metrics::Metrics;
use renkei_wire::msg::hub::{Fugo, IssueFugo, IssueFugoRequest, IssueFugoResponse};
use renkei_wire::msg::registry::{
    IdentityAnswer, IdentityQuery, ResidentCodeAnswer, ResidentCodeQuery, ResolveResidentCodes,
    VerifyIdentities,
};
use renkei_wire::peer::{HubClient, RegistryClient};
use renkei_wire::pki::Pki;
use renkei_wire::{CallError, Endpoint, Identity, Role};
use tokio::sync::watch;

/// Answers one item fewer than asked (J-LIS side).
async fn short_identities(Json(q): Json<IdentityQuery>) -> Json<IdentityAnswer> {
    Json(IdentityAnswer {
        residents: vec![None; q.numbers.len() - 1],
    })
}

/// Answers one item more than asked (J-LIS side).
async fn long_codes(Json(q): Json<ResidentCodeQuery>) -> Json<ResidentCodeAnswer> {
    Json(ResidentCodeAnswer {
        codes: vec![None; q.numbers.len() + 1],
    })
}

/// Answers one 符号 fewer than asked (hub side).
async fn short_fugo(Json(q): Json<IssueFugoRequest>) -> Json<IssueFugoResponse> {
    Json(IssueFugoResponse {
        fugo: vec![Some(Fugo("A".repeat(32))); q.numbers.len() - 1],
    })
}

fn numbers() -> Vec<MyNumber> {
    ["621498320257", "123456789018", "111111111118"]
        .iter()
        .map(|n| MyNumber::parse(n).unwrap())
        .collect()
}

fn assert_count_error<T: std::fmt::Debug>(result: Result<T, CallError>, asked: usize, got: usize) {
    match result {
        Err(CallError::Decode(message)) => assert_eq!(
            message,
            format!("応答の件数が一致しません（{asked}件の照会に{got}件）")
        ),
        other => panic!("expected a count error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_batch_answer_of_the_wrong_length_is_an_error() {
    renkei_wire::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::open_or_create(&dir.path().join("pki")).unwrap();
    let server = pki
        .issue(&Identity::new("registry", Role::Registry, "J-LIS"))
        .unwrap();
    let caller = pki
        .issue(&Identity::new(
            "intermediate",
            Role::Intermediate,
            "中間サーバ",
        ))
        .unwrap();
    let (_stop, shutdown) = watch::channel(false);
    let router = Router::new()
        .route(VerifyIdentities::PATH, post(short_identities))
        .route(ResolveResidentCodes::PATH, post(long_codes))
        .route(IssueFugo::PATH, post(short_fugo));
    let running = renkei_wire::server::start(
        "registry",
        "127.0.0.1:0",
        server.server_config().unwrap(),
        router,
        Metrics::default(),
        shutdown,
    )
    .await
    .unwrap();
    let tls = caller.client_config().unwrap();
    let registry = RegistryClient::new(tls.clone(), &running.url());
    let hub = HubClient::new(tls, &running.url());

    assert_count_error(registry.verify(&numbers()).await, 3, 2);
    assert_count_error(registry.resident_codes(&numbers()).await, 3, 4);
    assert_count_error(
        hub.issue_fugo(&"koiki-13".parse().unwrap(), &numbers())
            .await,
        3,
        2,
    );
}
