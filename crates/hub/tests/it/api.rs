//! IssueFugo over real mutual TLS, with a real registry behind the hub.

use std::time::{Duration, Instant};

use renkei_core::{AgencyCode, MyNumber};
use renkei_hub::MAX_BATCH;
use renkei_store::testing::engines;
use renkei_wire::msg::hub::{IssueFugo, IssueFugoResponse};
use renkei_wire::{CallError, Client, Endpoint, Role};
use serde::{Deserialize, Serialize};

use crate::helpers::{
    hub_config, number, spawn_hub, spawn_registry, spawn_sqlite_hub, unknown, url_string, TestPki,
};

fn code(s: &str) -> AgencyCode {
    AgencyCode::parse(s).unwrap()
}

/// IssueFugo with the institution code as free text, as a careless or hostile caller sends it.
struct LooseIssue;

#[derive(Serialize, Deserialize)]
struct LooseIssueRequest {
    agency: String,
    numbers: Vec<MyNumber>,
}

impl Endpoint for LooseIssue {
    const PATH: &'static str = IssueFugo::PATH;
    type Request = LooseIssueRequest;
    type Response = IssueFugoResponse;
}

fn expect_api_error<T>(result: Result<T, CallError>, status: u16, code: &str) -> String {
    match result {
        Err(CallError::Api(e)) => {
            assert_eq!((e.status, e.code.as_str()), (status, code), "{}", e.message);
            e.message
        }
        Err(e) => panic!("expected {status} {code}, got {e}"),
        Ok(_) => panic!("expected {status} {code}, got an answer"),
    }
}

#[tokio::test]
async fn the_same_person_and_agency_always_get_the_same_fugo() {
    let pki = TestPki::new();
    let registry = spawn_registry(&pki, 10).await;
    let hub = spawn_sqlite_hub(&pki, &registry.app.url()).await;
    let intermediate = pki.hub_client("intermediate", Role::Intermediate, &hub.app.url());

    let asked = [number(3), unknown(1), number(5)];
    let first = intermediate
        .issue_fugo(&code("koiki-13"), &asked)
        .await
        .unwrap();
    assert!(first[0].is_some() && first[1].is_none() && first[2].is_some());
    assert_ne!(first[0], first[2]);
    assert_eq!(
        intermediate
            .issue_fugo(&code("koiki-13"), &asked)
            .await
            .unwrap(),
        first
    );

    // Another agency gets another 符号 for the same person.
    let city = intermediate
        .issue_fugo(&code("city-131016"), &asked)
        .await
        .unwrap();
    assert!(city[0].is_some() && city[0] != first[0] && city[2] != first[2]);
    assert_eq!(hub.app.store().count().await.unwrap(), 4);

    // After a restart — and with J-LIS down — issued 符号 are answered from the links.
    let config = hub.shut_down().await;
    registry.shut_down().await;
    let hub = spawn_hub(config).await;
    let intermediate = pki.hub_client("intermediate", Role::Intermediate, &hub.app.url());
    let again = intermediate
        .issue_fugo(&code("koiki-13"), &[number(5), number(3)])
        .await
        .unwrap();
    assert_eq!(again, vec![first[2].clone(), first[0].clone()]);

    // A number not linked yet needs J-LIS: 503, retryable, quickly.
    let started = Instant::now();
    let result = intermediate
        .issue_fugo(&code("koiki-13"), &[number(7)])
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(&result, Err(e) if e.is_retryable()));
    let message = expect_api_error(result, 503, "registry_unavailable");
    assert!(message.contains("再送"), "{message}");
}

#[tokio::test]
async fn agencies_obtain_only_their_own_fugo() {
    let pki = TestPki::new();
    let registry = spawn_registry(&pki, 3).await;
    let hub = spawn_sqlite_hub(&pki, &registry.app.url()).await;
    let url = hub.app.url();

    let city = pki.hub_client("city-131016", Role::Agency, &url);
    let own = city
        .issue_fugo(&code("city-131016"), &[number(1)])
        .await
        .unwrap();
    assert!(own[0].is_some());
    let message = expect_api_error(
        city.issue_fugo(&code("koiki-13"), &[number(1)]).await,
        403,
        "forbidden",
    );
    assert!(
        message.contains("自機関") && message.contains("規則"),
        "{message}"
    );

    for (who, role) in [("koiki-13", Role::Insurer), ("operator", Role::Operator)] {
        let caller = pki.hub_client(who, role, &url);
        let message = expect_api_error(
            caller.issue_fugo(&code("koiki-13"), &[number(1)]).await,
            403,
            "forbidden",
        );
        assert!(message.contains("規則"), "{message}");
    }
    // The 符号 an agency obtained itself is the one intermediate gets for it.
    let intermediate = pki.hub_client("intermediate", Role::Intermediate, &url);
    assert_eq!(
        intermediate
            .issue_fugo(&code("city-131016"), &[number(1)])
            .await
            .unwrap(),
        own
    );
    // A malformed institution code cannot be built on this side: send it as raw JSON. It is
    // refused where the body is read, naming the field.
    let loose = Client::new(
        pki.files("intermediate", Role::Intermediate)
            .client_config()
            .unwrap(),
        &url,
    );
    match loose
        .call::<LooseIssue>(&LooseIssueRequest {
            agency: "東京".into(),
            numbers: vec![number(1)],
        })
        .await
    {
        Err(CallError::Api(e)) => {
            assert_eq!((e.status, e.code.as_str()), (400, "invalid_request"));
            assert!(e.message.contains("項目「agency」"), "{}", e.message);
        }
        Err(e) => panic!("expected a 400, got {e}"),
        Ok(_) => panic!("expected a 400, got an answer"),
    }

    let raw = Client::new(
        pki.files("intermediate", Role::Intermediate)
            .client_config()
            .unwrap(),
        &url,
    );
    let numbers = (0..MAX_BATCH as u64 + 1).map(unknown).collect();
    let request = renkei_wire::msg::hub::IssueFugoRequest {
        agency: code("koiki-13"),
        numbers,
    };
    expect_api_error(
        raw.call::<renkei_wire::msg::hub::IssueFugo>(&request).await,
        400,
        "batch_too_large",
    );
    let metrics = raw.get_text("/metrics").await.unwrap();
    assert!(
        metrics.contains("renkei_hub_fugo_total{result=\"issued\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("renkei_hub_fugo_total{result=\"existing\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_hub_without_its_registry_answers_503() {
    let pki = TestPki::new();
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hub = spawn_sqlite_hub(&pki, &format!("https://127.0.0.1:{port}")).await;
    let intermediate = pki.hub_client("intermediate", Role::Intermediate, &hub.app.url());
    let started = Instant::now();
    expect_api_error(
        intermediate
            .issue_fugo(&code("koiki-13"), &[number(1)])
            .await,
        503,
        "registry_unavailable",
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(hub.app.store().count().await.unwrap(), 0);
}

/// A 5,000-number batch end to end through the hub, on each engine: issued the first time
/// (J-LIS asked for every number), answered from the links the second time. How long it takes
/// is measured by `renkei bench`, not here.
#[tokio::test]
async fn a_large_batch_is_issued_once_then_answered_from_the_links() {
    let pki = TestPki::new();
    let registry = spawn_registry(&pki, 5_000).await;
    let numbers: Vec<_> = (0..5_000).map(number).collect();
    for engine in engines("hub_timing") {
        let config = hub_config(
            &pki,
            &registry.app.url(),
            &url_string(&engine.url),
            renkei_hub::HubConfig::generate_keys(),
        );
        let hub = spawn_hub(config).await;
        let intermediate = pki.hub_client("intermediate", Role::Intermediate, &hub.app.url());
        let issued = intermediate
            .issue_fugo(&code("koiki-13"), &numbers)
            .await
            .unwrap();
        let again = intermediate
            .issue_fugo(&code("koiki-13"), &numbers)
            .await
            .unwrap();
        assert!(issued.iter().all(Option::is_some), "{}", engine.engine());
        assert_eq!(issued, again, "{}", engine.engine());
        assert_eq!(hub.app.store().count().await.unwrap(), 5_000);
        let raw = Client::new(
            pki.files("intermediate", Role::Intermediate)
                .client_config()
                .unwrap(),
            &hub.app.url(),
        );
        let metrics = raw.get_text("/metrics").await.unwrap();
        for line in [
            "renkei_hub_fugo_total{result=\"issued\"} 5000",
            "renkei_hub_fugo_total{result=\"existing\"} 5000",
        ] {
            assert!(metrics.contains(line), "{}: {metrics}", engine.engine());
        }
        hub.shut_down().await;
    }
}
