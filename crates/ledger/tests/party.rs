//! The parties' own records: exactly once per key on both engines, read back as written, and
//! reconciled against the hub's log, naming the first disagreement.

use std::collections::HashSet;

use renkei_ledger::party::{
    reconcile, Engine, PartyLog, PartyRecord, PartyRecords, PartyStore, Side,
};
use renkei_ledger::record_log::{Entry, Exchange, LogWriter, Outcome};
use renkei_store::postgres::Postgres;
use renkei_store::sqlite::Sqlite;
use renkei_store::testing::engines;
use renkei_store::StoreUrl;

async fn open(url: &StoreUrl) -> Engine {
    match url {
        StoreUrl::Sqlite(path) => {
            Engine::Sqlite(Sqlite::open(path, &[renkei_ledger::party::SQLITE]).unwrap())
        }
        StoreUrl::Postgres { conn, schema } => Engine::Postgres(
            Postgres::connect(conn, schema, &[renkei_ledger::party::POSTGRES])
                .await
                .unwrap(),
        ),
    }
}

fn record(i: u64, side: Side, outcome: Outcome, hub_seq: Option<u64>) -> PartyRecord {
    let mut r = PartyRecord::now(
        if side == Side::Asked {
            "koiki-13"
        } else {
            "city-131121"
        },
        side,
        "koiki-13",
        "city-131121",
        "K01",
        "J01",
        &format!("req-{i}"),
        outcome,
        hub_seq,
    );
    r.time_micros = 1_764_000_000_000_000 + i as i64;
    r
}

#[tokio::test]
async fn party_records_are_kept_once_per_key_on_both_engines() {
    for engine in engines("party_records") {
        let db = open(&engine.url).await;
        let log = PartyLog::start(db.clone());
        let mut written = Vec::new();
        let mut waits = Vec::new();
        for i in 0..300u64 {
            let (side, outcome) = match i % 4 {
                0 => (Side::Asked, Outcome::Data),
                1 => (Side::Provided, Outcome::NoRecord),
                2 => (Side::Asked, Outcome::Refused("provider_not_holder".into())),
                _ => (Side::Asked, Outcome::Unavailable),
            };
            let r = record(i, side, outcome, (side == Side::Asked).then_some(i + 1));
            written.push(r.clone());
            let log = log.clone();
            waits.push(tokio::spawn(async move { log.record(r).await }));
        }
        for w in waits {
            w.await.unwrap().unwrap();
        }
        // A re-send of the same key changes nothing, even with another outcome or time.
        let mut again = written[0].clone();
        again.outcome = Outcome::NoRecord;
        again.time_micros += 5;
        log.record(again).await.unwrap();
        // The same request id, unavailable first and final later, is two records.
        let mut final_ = written[3].clone();
        final_.outcome = Outcome::Data;
        final_.hub_seq = Some(999);
        log.record(final_.clone()).await.unwrap();
        written.push(final_);

        let mut read = db.read_all().await.unwrap();
        let key = |r: &PartyRecord| (r.request_id.clone(), r.outcome != Outcome::Unavailable);
        read.sort_by_key(key);
        written.sort_by_key(key);
        assert_eq!(read, written, "{}", engine.engine());
    }
}

fn hub_log(n: u64) -> Vec<Entry> {
    let key = {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
    };
    let mut w = LogWriter::new(key, 1000);
    let now = time::OffsetDateTime::now_utc();
    (0..n)
        .map(|i| {
            w.append(
                Exchange {
                    asker: "koiki-13".into(),
                    provider: "city-131121".into(),
                    task: "K01".into(),
                    info: "J01".into(),
                    outcome: if i % 2 == 0 {
                        Outcome::Data
                    } else {
                        Outcome::NoRecord
                    },
                    disclosable: true,
                    request_id: format!("req-{i}"),
                    person: [i as u8; 32],
                    request_signature: vec![1],
                    answer_signature: vec![2],
                },
                now,
            )
            .0
        })
        .collect()
}

fn parties(hub: &[Entry]) -> Vec<PartyRecords> {
    let asked = hub
        .iter()
        .map(|e| {
            let x = &e.exchange;
            record(e.seq - 1, Side::Asked, x.outcome.clone(), Some(e.seq))
        })
        .collect();
    let provided = hub
        .iter()
        .map(|e| record(e.seq - 1, Side::Provided, e.exchange.outcome.clone(), None))
        .collect();
    vec![
        PartyRecords {
            system: "中間サーバ".into(),
            covers: HashSet::from(["koiki-13".to_owned()]),
            records: asked,
        },
        PartyRecords {
            system: "情報保有機関 city-131121".into(),
            covers: HashSet::from(["city-131121".to_owned()]),
            records: provided,
        },
    ]
}

#[test]
fn reconciliation_names_the_first_disagreement() {
    let hub = hub_log(20);
    assert_eq!(hub[0].seq, 1);
    let clean = reconcile(&hub, &parties(&hub)).unwrap();
    assert_eq!((clean.hub_entries, clean.party_records), (20, 40));

    // A provider's record with another outcome than the hub's entry 8.
    let mut p = parties(&hub);
    p[1].records[7].outcome = Outcome::Data;
    let d = reconcile(&hub, &p).unwrap_err();
    assert_eq!((d.seq, d.count), (Some(8), 1), "{d}");
    assert!(d.message.contains("結果"), "{d}");

    // The asker's record of entry 5 missing, and a wrong number at entry 12: 5 comes first.
    let mut p = parties(&hub);
    p[0].records.remove(4);
    p[0].records[10].hub_seq = Some(13);
    let d = reconcile(&hub, &p).unwrap_err();
    assert_eq!((d.seq, d.count), (Some(5), 2), "{d}");
    assert!(
        d.message.contains("照会者（中間サーバ）の記録がありません"),
        "{d}"
    );

    // A record the hub never made.
    let mut p = parties(&hub);
    p[0].records
        .push(record(77, Side::Asked, Outcome::Data, None));
    let d = reconcile(&hub, &p).unwrap_err();
    assert_eq!((d.seq, d.count), (None, 1), "{d}");
    assert!(d.message.contains("req-77"), "{d}");

    // An entry removed from the hub's log: both parties' records of it are orphans.
    let mut short = hub.clone();
    short.remove(2);
    let d = reconcile(&short, &parties(&hub)).unwrap_err();
    assert_eq!(d.count, 2, "{d}");
    assert!(d.message.contains("req-2"), "{d}");

    // A changed task at the provider.
    let mut p = parties(&hub);
    p[1].records[15].task = "K02".into();
    let d = reconcile(&hub, &p).unwrap_err();
    assert_eq!(d.seq, Some(16), "{d}");
}
