//! The registry's API over real mutual TLS, through the typed client.

use renkei_wire::msg::registry::{IdentityQuery, VerifyIdentities};
use renkei_wire::peer::RegistryClient;
use renkei_wire::{CallError, Client, Role};

use crate::helpers::{number, resident, spawn_registry, unknown, TestPki};

fn client(pki: &TestPki, code: &str, role: Role, url: &str) -> RegistryClient {
    RegistryClient::new(pki.files(code, role).client_config().unwrap(), url)
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
async fn intermediate_verifies_identities_in_order() {
    let pki = TestPki::new();
    let store = format!("sqlite:{}", pki.dir.path().join("registry.db").display());
    let registry = spawn_registry(&pki, &store).await;
    let records: Vec<_> = (0..10).map(resident).collect();
    registry
        .app
        .store()
        .upsert_residents(&records)
        .await
        .unwrap();

    let intermediate = client(
        &pki,
        "intermediate",
        Role::Intermediate,
        &registry.app.url(),
    );
    let answer = intermediate
        .verify(&[number(4), unknown(1), number(0)])
        .await
        .unwrap();
    assert_eq!(answer.len(), 3);
    assert_eq!(answer[0].as_ref().unwrap().name, records[4].name);
    assert!(answer[1].is_none());
    assert_eq!(answer[2].as_ref().unwrap().address, records[0].address);

    // More than one batch: the client splits, the answer keeps the order.
    let mut many: Vec<_> = (0..10_050).map(unknown).collect();
    many.push(number(9));
    let answer = intermediate.verify(&many).await.unwrap();
    assert_eq!(answer.len(), 10_051);
    assert!(answer[..10_050].iter().all(Option::is_none));
    assert_eq!(answer[10_050].as_ref().unwrap().name, records[9].name);

    let hub = client(&pki, "hub", Role::Hub, &registry.app.url());
    let codes = hub.resident_codes(&[number(3), unknown(2)]).await.unwrap();
    assert_eq!(codes, vec![Some(records[3].resident_code.clone()), None]);

    let raw = Client::new(
        pki.files("intermediate", Role::Intermediate)
            .client_config()
            .unwrap(),
        &registry.app.url(),
    );
    let metrics = raw.get_text("/metrics").await.unwrap();
    assert!(
        metrics.contains("renkei_registry_lookups_total{lookup=\"identity\",result=\"found\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "renkei_registry_lookups_total{lookup=\"resident_code\",result=\"unknown\"} 1"
        ),
        "{metrics}"
    );
    assert!(!metrics.contains(number(4).expose()));
    registry.shut_down().await;
}

#[tokio::test]
async fn each_question_is_refused_to_other_roles() {
    let pki = TestPki::new();
    let store = format!("sqlite:{}", pki.dir.path().join("registry.db").display());
    let registry = spawn_registry(&pki, &store).await;
    registry
        .app
        .store()
        .upsert_residents(&[resident(1)])
        .await
        .unwrap();
    let url = registry.app.url();

    let insurer = client(&pki, "koiki-13", Role::Insurer, &url);
    let message = expect_api_error(insurer.resident_codes(&[number(1)]).await, 403, "forbidden");
    assert!(
        message.contains("住民票コード") && message.contains("規則"),
        "{message}"
    );
    expect_api_error(insurer.verify(&[number(1)]).await, 403, "forbidden");

    let hub = client(&pki, "hub", Role::Hub, &url);
    let message = expect_api_error(hub.verify(&[number(1)]).await, 403, "forbidden");
    assert!(message.contains("本人確認情報"), "{message}");
    let intermediate = client(&pki, "intermediate", Role::Intermediate, &url);
    expect_api_error(
        intermediate.resident_codes(&[number(1)]).await,
        403,
        "forbidden",
    );
    let agency = client(&pki, "city-131016", Role::Agency, &url);
    expect_api_error(agency.resident_codes(&[number(1)]).await, 403, "forbidden");
}

#[tokio::test]
async fn oversized_batches_are_refused_with_a_clear_message() {
    let pki = TestPki::new();
    let store = format!("sqlite:{}", pki.dir.path().join("registry.db").display());
    let registry = spawn_registry(&pki, &store).await;
    let raw = Client::new(
        pki.files("intermediate", Role::Intermediate)
            .client_config()
            .unwrap(),
        &registry.app.url(),
    );
    let numbers = (0..renkei_registry::MAX_BATCH as u64 + 1)
        .map(unknown)
        .collect();
    let message = expect_api_error(
        raw.call::<VerifyIdentities>(&IdentityQuery { numbers })
            .await,
        400,
        "batch_too_large",
    );
    assert!(message.contains("50000件まで"), "{message}");
}
