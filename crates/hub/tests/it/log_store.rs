//! The 情報提供等記録 at rest and its single writer, on every engine: entries round-trip
//! exactly, a request id is recorded once however often (and however concurrently) it is
//! sent, the chain never forks under concurrent appends, and a restarted writer continues the
//! same chain.

use std::collections::HashSet;

use renkei_core::crypto::Key32;
use renkei_hub::recorder::Recorder;
use renkei_hub::store::Store;
use renkei_hub::HubKeys;
use renkei_ledger::record_log::{verify, Exchange, Outcome};
use renkei_store::testing::engines;

fn keys() -> HubKeys {
    renkei_hub::HubConfig::generate_keys()
}

fn exchange(asker: &str, id: &str, outcome: Outcome) -> Exchange {
    Exchange {
        asker: asker.into(),
        provider: "city-131016".into(),
        task: "K01".into(),
        info: "J01".into(),
        outcome,
        disclosable: true,
        request_id: id.into(),
        person: [7; 32],
        request_signature: vec![1, 2, 3],
        answer_signature: vec![],
    }
}

#[tokio::test]
async fn entries_are_recorded_once_per_request_and_chain_without_forks() {
    let keys = keys();
    let public = keys.log_public_key();
    for engine in engines("hub_log") {
        let store = Store::open(&engine.url).await.unwrap();
        let (recorder, writer) = Recorder::start(store.clone(), keys.log_key_pair())
            .await
            .unwrap();

        // 200 concurrent appends, each request id sent twice at the same time.
        let mut tasks = Vec::new();
        for i in 0..200 {
            for _ in 0..2 {
                let r = recorder.clone();
                let outcome = match i % 4 {
                    0 => Outcome::Data,
                    1 => Outcome::NoRecord,
                    2 => Outcome::Refused("unknown_task".into()),
                    _ => Outcome::Unavailable,
                };
                tasks.push(tokio::spawn(async move {
                    r.record(exchange("koiki-13", &format!("req-{i}"), outcome))
                        .await
                        .unwrap()
                }));
            }
        }
        let mut new = 0;
        let mut seqs = HashSet::new();
        for t in tasks {
            let recorded = t.await.unwrap();
            new += usize::from(recorded.new);
            seqs.insert(recorded.entry.seq);
        }
        assert_eq!((new, seqs.len()), (200, 200), "{}", engine.engine());

        // An unavailable request may later get its final outcome once; re-sends add nothing.
        let later = recorder
            .record(exchange("koiki-13", "req-3", Outcome::Data))
            .await
            .unwrap();
        assert!(later.new);
        let again = recorder
            .record(exchange("koiki-13", "req-3", Outcome::Data))
            .await
            .unwrap();
        assert!(!again.new);
        assert_eq!(again.entry.seq, later.entry.seq);
        // The same id from another asker is another exchange.
        assert!(
            recorder
                .record(exchange("koiki-14", "req-3", Outcome::Data))
                .await
                .unwrap()
                .new
        );
        let found = store.recorded("koiki-13", "req-3").await.unwrap();
        assert_eq!(
            found
                .iter()
                .map(|e| e.exchange.outcome.clone())
                .collect::<Vec<_>>(),
            vec![Outcome::Data, Outcome::Unavailable]
        );
        // The writer's memory answers the replay check exactly like the store (it holds the
        // whole log since it started empty), also that an id was never used — the same
        // entries, without the sender signatures.
        let slim: Vec<_> = found
            .into_iter()
            .map(|mut e| {
                e.exchange.request_signature.clear();
                e.exchange.answer_signature.clear();
                e
            })
            .collect();
        assert_eq!(recorder.recorded("koiki-13", "req-3"), Some(slim));
        assert_eq!(recorder.recorded("koiki-13", "req-unused"), Some(vec![]));
        drop(recorder);
        writer.await.unwrap();

        // A new writer (a restarted hub) continues the chain, and a re-send still finds the
        // stored entry beyond its memory.
        let (recorder, writer) = Recorder::start(store.clone(), keys.log_key_pair())
            .await
            .unwrap();
        let resent = recorder
            .record(exchange("koiki-13", "req-0", Outcome::Data))
            .await
            .unwrap();
        assert!(!resent.new, "{}", engine.engine());
        let next = recorder
            .record(exchange("koiki-13", "req-new", Outcome::NoRecord))
            .await
            .unwrap();
        assert_eq!(next.entry.seq, 203);
        // After a restart the memory holds only what this run wrote: older ids, and ids it
        // has not seen, need the store.
        assert_eq!(recorder.recorded("koiki-13", "req-1"), None);
        assert_eq!(recorder.recorded("koiki-13", "req-unused"), None);
        // (From memory, without the sender signatures: the store keeps those.)
        let mut slim = next.entry.clone();
        slim.exchange.request_signature.clear();
        assert_eq!(recorder.recorded("koiki-13", "req-new"), Some(vec![slim]));
        drop(recorder);
        writer.await.unwrap();

        let log = store.read_log().await.unwrap();
        assert_eq!(log.entries.len(), 203);
        let summary = verify(&log.entries, &log.checkpoints, &public).unwrap();
        assert_eq!(summary.entries, 203);
        // The writer checkpoints when it stops: nothing is left unsigned.
        assert_eq!(summary.unsigned_tail, 0, "{}", engine.engine());
        // Every field round-trips exactly.
        assert_eq!(
            store.recorded("koiki-13", "req-new").await.unwrap()[0],
            log.entries[202]
        );

        // Another key does not verify the checkpoints.
        let other = HubKeys {
            log_signing: Key32::generate(),
            ..keys.clone()
        };
        assert!(verify(&log.entries, &log.checkpoints, &other.log_public_key()).is_err());
    }
}
