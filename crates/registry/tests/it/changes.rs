//! 異動の届出 over real mutual TLS on both engines: municipalities report 転居・氏名変更・消除
//! of their own residents; bad records are refused one by one naming the record and the
//! field; re-sent batches change nothing (also after a restart); look-ups and searches answer
//! the new state.

use renkei_registry::config::{RegistryConfig, RegistryKeys};
use renkei_registry::history::{ChangeKind, RemovalReason};
use renkei_registry::{Application, ResidentRecord};
use renkei_store::testing::engines;
use renkei_store::StoreUrl;
use renkei_wire::msg::registry::{Basic4Query, LookupRequest, SearchRequest};
use renkei_wire::msg::resident_changes::{
    ChangeOutcome, ChangeReport, ReportResidentChanges, ReportedChange,
};
use renkei_wire::peer::RegistryClient;
use renkei_wire::{CallError, Client, Role};
use time::macros::date;
use tokio::sync::watch;

use crate::helpers::{number, resident, unknown, TestPki};

const SETAGAYA: &str = "city-131121";
const NERIMA: &str = "city-131202";

fn store_string(url: &StoreUrl) -> String {
    match url {
        StoreUrl::Sqlite(path) => format!("sqlite:{}", path.display()),
        StoreUrl::Postgres { conn, schema } => format!("{conn}?schema={schema}"),
    }
}

async fn start(
    pki: &TestPki,
    store: &str,
    keys: &RegistryKeys,
) -> (Application, watch::Sender<bool>) {
    let config = RegistryConfig {
        listen: "127.0.0.1:0".into(),
        store: store.into(),
        tls: pki.files("registry", Role::Registry),
        keys: keys.clone(),
    };
    let (stop, shutdown) = watch::channel(false);
    let app = Application::build(config, shutdown)
        .await
        .expect("registry starts");
    (app, stop)
}

fn client(pki: &TestPki, code: &str, role: Role, url: &str) -> RegistryClient {
    RegistryClient::new(pki.files(code, role).client_config().unwrap(), url)
}

/// Residents 0–4 live in 世田谷区 (131121), 5 in 練馬区 (131202).
fn residents() -> Vec<ResidentRecord> {
    (0..6)
        .map(|i| ResidentRecord {
            municipality_code: if i < 5 { "131121" } else { "131202" }.into(),
            address: format!("東京都世田谷区太子堂一丁目{i}番1号"),
            ..resident(i)
        })
        .collect()
}

fn change(line: u64, id: &str, kind: &str, n: &str, on: &str) -> ReportedChange {
    ReportedChange {
        line: Some(line),
        change_id: id.into(),
        kind: kind.into(),
        my_number: n.into(),
        effective_on: on.into(),
        ..ReportedChange::default()
    }
}

fn moved(line: u64, id: &str, n: &str, on: &str, address: &str, code: &str) -> ReportedChange {
    ReportedChange {
        address: address.into(),
        municipality_code: code.into(),
        ..change(line, id, "転居", n, on)
    }
}

/// The batch of the test: (change, expected code or "" for 反映, field named).
fn batch() -> Vec<(ReportedChange, &'static str, &'static str)> {
    let n = |i| number(i).expose().to_owned();
    vec![
        (
            moved(
                2,
                "S-1",
                &n(0),
                "2024-04-01",
                "東京都世田谷区経堂二丁目3番4号",
                "131121",
            ),
            "",
            "",
        ),
        (
            ReportedChange {
                name: "佐藤　花子".into(),
                kana: "サトウ　ハナコ".into(),
                ..change(3, "S-2", "氏名変更", &n(1), "令和6年5月1日")
            },
            "",
            "",
        ),
        (
            ReportedChange {
                reason: "死亡".into(),
                ..change(4, "S-3", "消除", &n(2), "2024-06-01")
            },
            "",
            "",
        ),
        (
            moved(
                5,
                "S-4",
                &n(5),
                "2024-04-01",
                "東京都練馬区豊玉北六丁目1番1号",
                "131202",
            ),
            "not_your_resident",
            "個人番号",
        ),
        (
            moved(
                6,
                "S-5",
                unknown(1).expose(),
                "2024-04-01",
                "東京都世田谷区成城一丁目1番1号",
                "131121",
            ),
            "unknown_number",
            "個人番号",
        ),
        (
            moved(
                7,
                "S-6",
                &n(4),
                "2024-02-30",
                "東京都世田谷区成城一丁目1番1号",
                "131121",
            ),
            "invalid_date",
            "異動年月日",
        ),
        (
            moved(8, "S-7", &n(4), "2024-04-01", " ", "131121"),
            "blank_item",
            "住所",
        ),
        (
            ReportedChange {
                name: "山田　一郎".into(),
                kana: "ヤマダ　イチロウ".into(),
                ..change(9, "S-8", "氏名変更", &n(2), "2024-07-01")
            },
            "already_removed",
            "個人番号",
        ),
        (
            moved(
                10,
                "S-9",
                &n(0),
                "2024-03-01",
                "東京都世田谷区玉川一丁目1番1号",
                "131121",
            ),
            "before_last_change",
            "異動年月日",
        ),
        (
            moved(
                11,
                "S-10",
                &n(3),
                "2024-05-01",
                "東京都練馬区豊玉北六丁目12番1号",
                "131202",
            ),
            "",
            "",
        ),
    ]
}

fn check(results: &[renkei_wire::msg::resident_changes::ChangeResult], resend: bool) {
    let expected = batch();
    assert_eq!(results.len(), expected.len());
    for (r, (c, code, field)) in results.iter().zip(&expected) {
        assert_eq!(r.change_id, c.change_id);
        match (&r.outcome, *code) {
            (ChangeOutcome::Applied, "") if !resend => {}
            (ChangeOutcome::AlreadyApplied, "") if resend => {}
            (ChangeOutcome::Refused { code: got, reason }, want) if !want.is_empty() => {
                assert_eq!(got, want, "{}: {reason}", c.change_id);
                let line = c.line.unwrap();
                assert!(
                    reason.starts_with(&format!("{line}行目 {field}: ")),
                    "{reason}"
                );
                assert!(!reason.contains(c.my_number.trim()), "{reason}");
            }
            (other, want) => panic!("{}: {other:?}, expected {want:?}", c.change_id),
        }
    }
}

#[tokio::test]
async fn municipalities_report_changes_of_their_own_residents() {
    for engine in engines("reg_changes") {
        let e = engine.engine();
        let pki = TestPki::new();
        let store = store_string(&engine.url);
        let keys = RegistryConfig::generate_keys();
        let (app, stop) = start(&pki, &store, &keys).await;
        app.store().upsert_residents(&residents()).await.unwrap();
        let url = app.url();
        let setagaya = client(&pki, SETAGAYA, Role::Agency, &url);
        let changes: Vec<ReportedChange> = batch().into_iter().map(|(c, _, _)| c).collect();

        // Valid records beside bad ones are applied; each bad one names its line and field.
        check(&setagaya.report_changes(&changes).await.unwrap(), false);
        // Re-sent (as after a timeout): nothing is recorded twice — 転居 S-10 included, though
        // the resident has left 世田谷区 since.
        check(&setagaya.report_changes(&changes).await.unwrap(), true);
        let history = app.store().history(&number(0)).await.unwrap();
        assert_eq!(history.len(), 1, "{e}: {history:?}");
        assert_eq!(history[0].kind, ChangeKind::Moved);

        // The same 変更ID for another change is refused.
        let reused = moved(
            2,
            "S-1",
            number(4).expose(),
            "2024-04-01",
            "東京都世田谷区成城一丁目1番1号",
            "131121",
        );
        let r = setagaya.report_changes(&[reused]).await.unwrap();
        assert!(
            matches!(&r[0].outcome, ChangeOutcome::Refused { code, .. } if code == "change_id_reused"),
            "{e}: {r:?}"
        );

        // After the 転居 out of the city, the resident is 練馬区's: 世田谷区 may no longer
        // report for them, 練馬区 may — and a 変更ID is per municipality.
        let rename = |line| ReportedChange {
            name: "山田　次郎".into(),
            kana: "ヤマダ　ジロウ".into(),
            ..change(line, "S-11", "氏名変更", number(3).expose(), "2024-08-01")
        };
        let r = setagaya.report_changes(&[rename(2)]).await.unwrap();
        assert!(
            matches!(&r[0].outcome, ChangeOutcome::Refused { code, .. } if code == "not_your_resident"),
            "{e}: {r:?}"
        );
        let nerima = client(&pki, NERIMA, Role::Agency, &url);
        let r = nerima.report_changes(&[rename(2)]).await.unwrap();
        assert_eq!(r[0].outcome, ChangeOutcome::Applied, "{e}");

        // Look-up and search answer the new state, and say 消除.
        let insurer = client(&pki, "koiki-13", Role::Insurer, &url);
        let now = insurer
            .lookup(&LookupRequest {
                purpose: "subscriber".into(),
                insurer_number: Some("39131156".parse().unwrap()),
                on_behalf_of: None,
                numbers: vec![number(0), number(1), number(2), number(3)],
            })
            .await
            .unwrap()
            .residents;
        let now: Vec<_> = now.into_iter().map(Option::unwrap).collect();
        assert_eq!(now[0].address, "東京都世田谷区経堂二丁目3番4号", "{e}");
        assert_eq!(
            (now[1].name.as_str(), now[1].kana.as_str()),
            ("佐藤　花子", "サトウ　ハナコ")
        );
        let removal = now[2].removal.expect("消除");
        assert_eq!(
            (removal.on, removal.reason),
            (date!(2024 - 06 - 01), Some(RemovalReason::Death))
        );
        assert_eq!(now[3].name, "山田　次郎");
        assert_eq!(now[3].address, "東京都練馬区豊玉北六丁目12番1号");
        let search = |name: &str| SearchRequest {
            purpose: "subscriber".into(),
            insurer_number: Some("39131156".parse().unwrap()),
            on_behalf_of: None,
            limit: Some(3),
            queries: vec![Basic4Query {
                name: Some(name.into()),
                birth: Some(date!(1945 - 04 - 01)),
                ..Basic4Query::default()
            }],
        };
        let found = insurer.search(&search("佐藤花子")).await.unwrap().results;
        assert_eq!(found[0][0].my_number, number(1), "{e}");
        let found = insurer
            .search(&search(&resident(2).name))
            .await
            .unwrap()
            .results;
        let gone = found[0]
            .iter()
            .find(|c| c.my_number == number(2))
            .expect("found");
        assert!(gone.resident.removal.is_some(), "{e}: a search says 消除");

        // A restart keeps the 変更ID: the re-sent batch is still not applied twice.
        stop.send(true).unwrap();
        app.wait().await;
        let (app, stop) = start(&pki, &store, &keys).await;
        let setagaya = client(&pki, SETAGAYA, Role::Agency, &app.url());
        check(&setagaya.report_changes(&changes).await.unwrap(), true);
        assert_eq!(
            app.store().history(&number(0)).await.unwrap().len(),
            1,
            "{e}"
        );
        assert_eq!(
            app.store().history(&number(3)).await.unwrap().len(),
            2,
            "{e}"
        );
        stop.send(true).unwrap();
        app.wait().await;
    }
}

#[tokio::test]
async fn the_same_batch_sent_twice_at_once_is_applied_once() {
    for engine in engines("reg_changes_race") {
        let e = engine.engine();
        let pki = TestPki::new();
        let (app, stop) = start(
            &pki,
            &store_string(&engine.url),
            &RegistryConfig::generate_keys(),
        )
        .await;
        app.store().upsert_residents(&residents()).await.unwrap();
        let setagaya = client(&pki, SETAGAYA, Role::Agency, &app.url());
        let changes: Vec<ReportedChange> = (0..5)
            .map(|i| {
                let address = format!("東京都世田谷区成城{i}丁目1番1号");
                moved(
                    i + 2,
                    &format!("R-{i}"),
                    number(i).expose(),
                    "2024-09-01",
                    &address,
                    "131121",
                )
            })
            .collect();
        let (a, b) = tokio::join!(
            setagaya.report_changes(&changes),
            setagaya.report_changes(&changes)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        for (x, y) in a.iter().zip(&b) {
            let mut both = [x.outcome.clone(), y.outcome.clone()];
            both.sort_by_key(|o| *o != ChangeOutcome::Applied);
            assert_eq!(
                both,
                [ChangeOutcome::Applied, ChangeOutcome::AlreadyApplied],
                "{e}"
            );
        }
        for i in 0..5 {
            assert_eq!(
                app.store().history(&number(i)).await.unwrap().len(),
                1,
                "{e}"
            );
        }
        stop.send(true).unwrap();
        app.wait().await;
    }
}

fn expect_forbidden<T: std::fmt::Debug>(result: Result<T, CallError>) -> String {
    match result {
        Err(CallError::Api(e)) => {
            assert_eq!(
                (e.status, e.code.as_str()),
                (403, "forbidden"),
                "{}",
                e.message
            );
            e.message
        }
        other => panic!("expected 403, got {other:?}"),
    }
}

#[tokio::test]
async fn only_municipalities_may_report_and_batches_are_bounded() {
    let pki = TestPki::new();
    let store = format!("sqlite:{}", pki.dir.path().join("registry.db").display());
    let (app, _stop) = start(&pki, &store, &RegistryConfig::generate_keys()).await;
    app.store().upsert_residents(&residents()).await.unwrap();
    let url = app.url();
    let one = vec![moved(
        2,
        "X-1",
        number(0).expose(),
        "2024-04-01",
        "東京都世田谷区経堂一丁目1番1号",
        "131121",
    )];
    for (code, role) in [
        ("koiki-13", Role::Insurer),
        ("intermediate", Role::Intermediate),
        ("hub", Role::Hub),
        ("pref-13", Role::Agency),
        ("city-131122", Role::Agency),
    ] {
        let message = expect_forbidden(client(&pki, code, role, &url).report_changes(&one).await);
        assert!(message.contains("異動の届出者"), "{code}: {message}");
    }
    assert!(app.store().history(&number(0)).await.unwrap().is_empty());

    let raw = Client::new(
        pki.files(SETAGAYA, Role::Agency).client_config().unwrap(),
        &url,
    );
    let too_many = ChangeReport {
        changes: (0..1_001)
            .map(|i| change(i + 2, &format!("B{i}"), "転居", "", ""))
            .collect(),
    };
    match raw.call::<ReportResidentChanges>(&too_many).await {
        Err(CallError::Api(e)) => {
            assert_eq!((e.status, e.code.as_str()), (400, "batch_too_large"));
            assert!(e.message.contains("1000件まで"), "{}", e.message);
        }
        other => panic!("expected 400, got {other:?}"),
    }
    // The client splits a long list itself; records without a line are named by position.
    let many: Vec<ReportedChange> = (0..1_001)
        .map(|i| ReportedChange {
            line: None,
            ..change(0, &format!("B{i}"), "転居", "", "")
        })
        .collect();
    let results = client(&pki, SETAGAYA, Role::Agency, &url)
        .report_changes(&many)
        .await
        .unwrap();
    assert_eq!(results.len(), 1_001);
    match &results[1_000].outcome {
        ChangeOutcome::Refused { code, reason } => {
            assert_eq!(code, "blank_item");
            assert_eq!(reason, "1件目 個人番号: 値がありません");
        }
        other => panic!("{other:?}"),
    }
}
