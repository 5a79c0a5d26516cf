//! 個人番号入手: history (転居・氏名変更・消除), the look-up log on both engines, and the
//! look-up endpoints over real mutual TLS.

use renkei_core::Sex;
use renkei_registry::history::{ChangeKind, HistoryEntry, RemovalReason, ResidentChange};
use renkei_registry::jlis::LookupKind;
use renkei_store::testing::engines;
use renkei_wire::msg::registry::{Basic4Query, ItemMatch, LookupRequest, SearchRequest};
use renkei_wire::peer::RegistryClient;
use renkei_wire::{CallError, Role};
use time::macros::date;

use crate::helpers::{number, open, resident, spawn_registry, unknown, TestPki};

#[tokio::test]
async fn history_keeps_moves_renames_and_removal_and_the_index_follows() {
    for engine in engines("reg_history") {
        let store = open(&engine.url).await;
        let records: Vec<_> = (0..3).map(resident).collect();
        store.upsert_residents(&records).await.unwrap();
        let e = engine.engine();

        let moved = ResidentChange::Moved {
            on: date!(2024 - 04 - 01),
            address: "大阪府大阪市北区梅田一丁目1番1号".into(),
            municipality_code: "271276".into(),
        };
        assert!(
            store.record_change(&number(1), &moved).await.unwrap(),
            "{e}"
        );
        let renamed = ResidentChange::Renamed {
            on: date!(2024 - 06 - 01),
            name: "佐藤　花子".into(),
            kana: "サトウ　ハナコ".into(),
        };
        assert!(store.record_change(&number(1), &renamed).await.unwrap());
        assert!(!store.record_change(&unknown(1), &renamed).await.unwrap());
        let blank = ResidentChange::Renamed {
            on: date!(2024 - 07 - 01),
            name: "　".into(),
            kana: "サトウ".into(),
        };
        let refused = store.record_change(&number(1), &blank).await.unwrap_err();
        assert!(refused.to_string().contains("氏名変更"), "{refused}");

        let now = store.current(&[number(1), unknown(1)]).await.unwrap();
        let one = now[0].as_ref().expect("known");
        assert_eq!(one.address, "大阪府大阪市北区梅田一丁目1番1号", "{e}");
        assert_eq!(one.name, "佐藤　花子");
        assert_eq!(one.removal, None);
        assert!(now[1].is_none());

        let removed = ResidentChange::Removed {
            on: date!(2025 - 01 - 10),
            reason: RemovalReason::Death,
        };
        assert!(store.record_change(&number(1), &removed).await.unwrap());
        let one = store.current(&[number(1)]).await.unwrap()[0]
            .clone()
            .unwrap();
        let removal = one.removal.expect("消除");
        assert_eq!(removal.on, date!(2025 - 01 - 10), "{e}");
        assert_eq!(removal.reason, Some(RemovalReason::Death));
        // The older view of the same resident says 消除 too.
        assert_eq!(
            store.identities(&[number(1)]).await.unwrap()[0]
                .as_ref()
                .unwrap()
                .removed_on,
            Some(date!(2025 - 01 - 10))
        );

        let history = store.history(&number(1)).await.unwrap();
        let kinds: Vec<ChangeKind> = history.iter().map(|h| h.kind).collect();
        assert_eq!(
            kinds,
            [ChangeKind::Moved, ChangeKind::Renamed, ChangeKind::Removed],
            "{e}"
        );
        assert_eq!(
            HistoryEntry::fields(&history[0].before),
            [records[1].address.as_str(), "131016"]
        );
        assert_eq!(
            HistoryEntry::fields(&history[1].before),
            [records[1].name.as_str(), records[1].kana.as_str()]
        );
        assert_eq!(
            HistoryEntry::fields(&history[1].after),
            ["佐藤　花子", "サトウ　ハナコ"]
        );
        assert_eq!(history[2].after, "死亡");
        assert!(store.history(&number(0)).await.unwrap().is_empty());

        // The search index follows: the new name is found (flagged 消除), the old one not.
        let q = |name: &str| {
            renkei_core::text::Basic4::query(Some(name), None, records[1].birth, None, None)
                .unwrap()
        };
        let hits = store.index().search(&q("佐藤花子"), 10);
        assert_eq!(hits.len(), 1, "{e}");
        assert_eq!(hits[0].my_number, number(1));
        assert!(hits[0].removed);
        assert!(store
            .index()
            .search(&q(&records[1].name), 10)
            .iter()
            .all(|h| h.my_number != number(1)));

        // A store opened again builds the same index from what it holds.
        drop(store);
        if let renkei_store::StoreUrl::Sqlite(_) = engine.url {
            // (SQLite reopens the same file; PostgreSQL the same schema.)
        }
    }
}

#[tokio::test]
async fn the_index_is_rebuilt_from_the_store_on_open() {
    for engine in engines("reg_index_open") {
        let keys = renkei_registry::RegistryConfig::generate_keys();
        let protection = renkei_registry::domain::Protection::new(&keys.number_hash, &keys.seal);
        let store = renkei_registry::Store::open(&engine.url, protection.clone())
            .await
            .unwrap();
        let records: Vec<_> = (0..50).map(resident).collect();
        store.upsert_residents(&records).await.unwrap();
        store
            .set_removed(&[number(7)], Some(date!(2024 - 01 - 01)))
            .await
            .unwrap();
        drop(store);
        let again = renkei_registry::Store::open(&engine.url, protection)
            .await
            .unwrap();
        assert_eq!(again.index().len(), 50, "{}", engine.engine());
        let q = renkei_core::text::Basic4::query(
            Some(&records[7].name),
            None,
            records[7].birth,
            Some(Sex::Female),
            Some("千代田区千代田1-7-1"),
        )
        .unwrap();
        let hits = again.index().search(&q, 3);
        assert_eq!(hits[0].my_number, number(7));
        assert!(hits[0].removed);
    }
}

#[tokio::test]
async fn the_look_up_log_is_kept_on_both_engines() {
    use renkei_registry::jlis::LogEntry;
    for engine in engines("reg_lookup_log") {
        let store = open(&engine.url).await;
        let entry = |i: u32| LogEntry {
            at: format!("2026-01-01T00:00:0{i}Z"),
            caller: "intermediate".into(),
            on_behalf_of: "koiki-13".into(),
            insurer_number: Some("39131156".parse().unwrap()),
            purpose: "subscriber".into(),
            kind: if i.is_multiple_of(2) {
                LookupKind::Number
            } else {
                LookupKind::Basic4
            },
            asked: format!("asked {i}"),
            candidates: i,
        };
        store.append_log(vec![entry(1), entry(2)]).await.unwrap();
        store.append_log(vec![entry(3)]).await.unwrap();
        let last = store.recent_log(2).await.unwrap();
        assert_eq!(last, vec![entry(2), entry(3)], "{}", engine.engine());
    }
}

fn client(pki: &TestPki, code: &str, role: Role, url: &str) -> RegistryClient {
    RegistryClient::new(pki.files(code, role).client_config().unwrap(), url)
}

fn lookup(
    purpose: &str,
    on_behalf_of: Option<&str>,
    numbers: Vec<renkei_core::MyNumber>,
) -> LookupRequest {
    LookupRequest {
        purpose: purpose.into(),
        insurer_number: Some("39131156".parse().unwrap()),
        on_behalf_of: on_behalf_of.map(|c| c.parse().unwrap()),
        numbers,
    }
}

fn api_error<T: std::fmt::Debug>(r: Result<T, CallError>) -> (u16, String, String) {
    match r {
        Err(CallError::Api(e)) => (e.status, e.code, e.message),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn insurers_look_up_and_search_with_a_purpose_and_every_look_up_is_logged() {
    let pki = TestPki::new();
    let store = format!("sqlite:{}", pki.dir.path().join("registry.db").display());
    let registry = spawn_registry(&pki, &store).await;
    let mut records: Vec<_> = (0..20).map(resident).collect();
    // A look-alike of resident 3: same name, kana, birth and sex, another address.
    let mut twin = resident(100);
    twin.name = records[3].name.clone();
    twin.sex = records[3].sex;
    twin.address = "北海道札幌市中央区北一条西二丁目1番地".into();
    records.push(twin);
    registry
        .app
        .store()
        .upsert_residents(&records)
        .await
        .unwrap();
    registry
        .app
        .store()
        .record_change(
            &number(5),
            &ResidentChange::Removed {
                on: date!(2025 - 02 - 01),
                reason: RemovalReason::Emigration,
            },
        )
        .await
        .unwrap();
    let url = registry.app.url();
    let relay = client(&pki, "intermediate", Role::Intermediate, &url);

    // By 個人番号: current state, 消除 said, unknown numbers answered as None.
    let answer = relay
        .lookup(&lookup(
            "subscriber",
            Some("koiki-13"),
            vec![number(2), unknown(1), number(5)],
        ))
        .await
        .unwrap();
    assert_eq!(answer.residents[0].as_ref().unwrap().name, records[2].name);
    assert!(answer.residents[1].is_none());
    let removal = answer.residents[2].as_ref().unwrap().removal.unwrap();
    assert_eq!(removal.reason, Some(RemovalReason::Emigration));

    // By 基本4情報, written differently: the right person first, then the look-alike.
    let query = Basic4Query {
        name: Some(records[3].name.replace('\u{3000}', " ")),
        kana: Some("ﾔﾏﾀﾞ ﾀﾛｳ".into()),
        birth: Some(records[3].birth),
        sex: Some(records[3].sex),
        address: Some("千代田区千代田1-3-1".into()),
    };
    let search = SearchRequest {
        purpose: "eligibility".into(),
        insurer_number: Some("39131156".parse().unwrap()),
        on_behalf_of: Some("koiki-13".parse().unwrap()),
        limit: Some(30),
        queries: vec![query.clone()],
    };
    let answer = relay.search(&search).await.unwrap();
    let found = &answer.results[0];
    assert_eq!(found[0].my_number, number(3));
    assert_eq!(found[0].items.name, ItemMatch::Normalized);
    assert_eq!(found[0].items.kana, ItemMatch::Normalized);
    assert_eq!(found[0].items.birth, ItemMatch::Exact);
    assert_eq!(found[0].items.sex, ItemMatch::Exact);
    assert_eq!(found[0].items.address, ItemMatch::Normalized);
    assert_eq!(found[0].resident.address, records[3].address);
    let twin = found
        .iter()
        .find(|c| c.my_number == number(100))
        .expect("the look-alike is a candidate");
    assert_eq!(twin.items.name, ItemMatch::Normalized);
    assert_eq!(twin.items.address, ItemMatch::None);
    assert!(found[0].score > twin.score);
    assert!(found.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(found.iter().all(|c| c.resident.birth == records[3].birth));

    // An insurer may ask for itself, directly.
    let insurer = client(&pki, "koiki-13", Role::Insurer, &url);
    let direct = SearchRequest {
        on_behalf_of: None,
        ..search.clone()
    };
    assert_eq!(
        insurer.search(&direct).await.unwrap().results[0][0].my_number,
        number(3)
    );

    // Refusals: other roles, other names, unknown purposes, missing items.
    let hub = client(&pki, "hub", Role::Hub, &url);
    assert_eq!(api_error(hub.search(&search).await).0, 403);
    let (status, _, _) = api_error(
        insurer
            .search(&SearchRequest {
                on_behalf_of: Some("koiki-14".parse().unwrap()),
                ..search.clone()
            })
            .await,
    );
    assert_eq!(status, 403);
    let (status, code, message) = api_error(
        relay
            .lookup(&lookup("curiosity", Some("koiki-13"), vec![number(1)]))
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "bad_lookup"));
    assert!(message.contains("利用目的"), "{message}");
    let (status, _, message) = api_error(
        relay
            .lookup(&lookup("subscriber", None, vec![number(1)]))
            .await,
    );
    assert_eq!(status, 400);
    assert!(message.contains("on_behalf_of"), "{message}");
    let no_birth = SearchRequest {
        queries: vec![
            query.clone(),
            Basic4Query {
                birth: None,
                ..query.clone()
            },
        ],
        ..search.clone()
    };
    let (status, _, message) = api_error(relay.search(&no_birth).await);
    assert_eq!(status, 400);
    assert!(
        message.contains("2件目") && message.contains("生年月日"),
        "{message}"
    );
    let no_name = SearchRequest {
        queries: vec![Basic4Query {
            name: None,
            kana: None,
            ..query.clone()
        }],
        ..search.clone()
    };
    let (_, _, message) = api_error(relay.search(&no_name).await);
    assert!(message.contains("氏名"), "{message}");

    // The log: who, for whom, purpose, what (never the number), how many.
    let log = registry.app.store().recent_log(100).await.unwrap();
    assert_eq!(log.len(), 3 + 1 + 1, "{log:?}");
    let by_number = &log[..3];
    assert!(by_number.iter().all(|e| e.kind == LookupKind::Number
        && e.caller == "intermediate"
        && e.on_behalf_of == "koiki-13"
        && e.purpose == "subscriber"
        && e.insurer_number.as_deref() == Some("39131156")));
    assert_eq!(
        by_number.iter().map(|e| e.candidates).collect::<Vec<_>>(),
        [1, 0, 1]
    );
    for (e, n) in by_number.iter().zip([number(2), unknown(1), number(5)]) {
        assert!(!e.asked.contains(n.expose()), "plaintext number in the log");
        assert_eq!(e.asked, registry.app.store().number_key_hex(&n));
    }
    assert_eq!(log[3].kind, LookupKind::Basic4);
    assert_eq!(log[3].purpose, "eligibility");
    assert_eq!(log[3].candidates, found.len() as u32);
    assert!(
        log[3].asked.contains("生年月日=1945-04-01"),
        "{}",
        log[3].asked
    );
    assert_eq!(
        (log[4].caller.as_str(), log[4].on_behalf_of.as_str()),
        ("koiki-13", "koiki-13")
    );
}
