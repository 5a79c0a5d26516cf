//! 情報照会 through a real hub to a real agency over mutual TLS, with a real registry: the
//! test plays `intermediate` asking for the insurer koiki-13. Runs on both store engines.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use renkei_agency::app::ResidentToRegister;
use renkei_agency::holdings;
use renkei_hub::inquiry::evidence;
use renkei_hub::{DirectoryEntry, HubConfig};
use renkei_ledger::record_log::verify_with;
use renkei_store::testing::{engines, TestStore};
use renkei_store::StoreUrl;
use renkei_testkit::{
    agency_config, hub_config, number, resident, spawn_agency, spawn_hub, spawn_registry,
    store_url_named, TestAgency, TestHub, TestPki, TestRegistry,
};
use renkei_wire::msg::hub::Fugo;
use renkei_wire::msg::inquiry::{Inquire, InquireRequest, InquireResponse, InquiryAnswer};
use renkei_wire::peer::HubClient;
use renkei_wire::signing::{SignatureVerifier, Signer};
use renkei_wire::tls::TlsFiles;
use renkei_wire::{CallError, Client, Role};

const CITY: &str = "city-131016";
const KOIKI: &str = "koiki-13";
const HUNG: &str = "city-131024";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Net {
    pki: TestPki,
    hub_url: String,
    hub: TestHub,
    agency: Option<TestAgency>,
    _registry: TestRegistry,
    intermediate: TlsFiles,
    log_public_key: Vec<u8>,
}

impl Net {
    fn files(&self, code: &str, role: Role) -> TlsFiles {
        self.pki.files(code, role)
    }

    async fn inquire(&self, req: &InquireRequest) -> Result<InquireResponse, CallError> {
        Client::new(self.intermediate.client_config().unwrap(), &self.hub_url)
            .call::<Inquire>(req)
            .await
    }
}

/// The hub's directory: the city (its agency), a city that never answers, and koiki-13.
fn directory(agency_port: u16, hung_port: u16) -> Vec<DirectoryEntry> {
    let entry = |code: &str, kind: &str, url: String, signer: &str| DirectoryEntry {
        code: code.into(),
        kind: kind.into(),
        url,
        signer: signer.into(),
    };
    vec![
        entry(
            CITY,
            "municipality",
            format!("https://127.0.0.1:{agency_port}"),
            CITY,
        ),
        entry(
            HUNG,
            "municipality",
            format!("https://127.0.0.1:{hung_port}"),
            HUNG,
        ),
        entry(KOIKI, "koiki", "https://127.0.0.1:1".into(), "intermediate"),
    ]
}

/// A port that accepts connections and never answers (a provider that hangs).
fn hung_port() -> u16 {
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hung.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in hung.incoming() {
            held.push(conn);
        }
    });
    port
}

async fn start(url: &StoreUrl) -> Net {
    let pki = TestPki::new();
    let registry = spawn_registry(&pki, &pki.sqlite("registry"), (0..10).map(resident)).await;
    let agency_port = free_port();
    let hub_keys = HubConfig::generate_keys();
    let log_public_key = hub_keys.log_public_key();
    let mut config = hub_config(
        &pki,
        &registry.app.url(),
        &store_url_named(url, "hub"),
        hub_keys,
    );
    config.directory = directory(agency_port, hung_port());
    config.inquiry_deadline_ms = 500;
    let hub = spawn_hub(config).await;
    let agency = spawn_agency(agency_config(
        &pki,
        CITY,
        &format!("127.0.0.1:{agency_port}"),
        &hub.app.url(),
        &store_url_named(url, "city"),
    ))
    .await;
    // The city knows residents 0..5.
    let registered = agency
        .app
        .register_residents(
            (0..5)
                .map(|i| ResidentToRegister {
                    atena: format!("A{i:06}"),
                    number: number(i),
                    holdings: holdings::synthetic(i)
                        .into_iter()
                        .map(|(c, items)| (c.to_owned(), items))
                        .collect(),
                })
                .collect(),
        )
        .await
        .unwrap();
    assert_eq!(registered, 5);
    Net {
        hub_url: hub.app.url(),
        intermediate: pki.files("intermediate", Role::Intermediate),
        pki,
        hub,
        agency: Some(agency),
        _registry: registry,
        log_public_key,
    }
}

fn request(signer: &Signer, id: &str, fugo: &Fugo, task: &str, info: &str) -> InquireRequest {
    let mut r = InquireRequest {
        request_id: id.into(),
        asker: KOIKI.parse().unwrap(),
        fugo: fugo.clone(),
        task: task.parse().unwrap(),
        info: info.parse().unwrap(),
        provider: CITY.parse().unwrap(),
        signature: signer.sign(b""),
    };
    r.signature = signer.sign(&r.signed_message());
    r
}

fn items(i: u64, code: &str) -> BTreeMap<String, String> {
    holdings::synthetic(i)
        .into_iter()
        .find(|(c, _)| *c == code)
        .unwrap()
        .1
}

/// One engine's network and what the steps of the inquiry flow share.
struct Flow {
    engine: &'static str,
    net: Net,
    signer: Signer,
    as_intermediate: HubClient,
    koiki_fugo: Vec<Option<Fugo>>,
    city_fugo: Vec<Option<Fugo>>,
}

impl Flow {
    async fn start(engine: &TestStore) -> Flow {
        let net = start(&engine.url).await;
        let signer = Signer::load(&net.intermediate).unwrap();
        let as_intermediate =
            HubClient::new(net.intermediate.client_config().unwrap(), &net.hub_url);
        let koiki_fugo = as_intermediate
            .issue_fugo(
                &KOIKI.parse().unwrap(),
                &(0..8).map(number).collect::<Vec<_>>(),
            )
            .await
            .unwrap();
        let city_fugo = as_intermediate
            .issue_fugo(&CITY.parse().unwrap(), &[number(1)])
            .await
            .unwrap();
        Flow {
            engine: engine.engine(),
            net,
            signer,
            as_intermediate,
            koiki_fugo,
            city_fugo,
        }
    }

    /// koiki-13's 符号 of resident `i`.
    fn f(&self, i: usize) -> Fugo {
        self.koiki_fugo[i].clone().unwrap()
    }

    async fn data_is_converted_and_a_resend_replays_it(&self) {
        // Data, converted to the city's 符号 and back: the answer never carries a 符号.
        let r = self
            .net
            .inquire(&request(&self.signer, "q-1", &self.f(1), "K01", "J01"))
            .await
            .unwrap();
        assert_eq!(
            r.answer,
            InquiryAnswer::Data {
                items: items(1, "J01")
            },
            "{}",
            self.engine
        );
        assert!(!r.replayed);
        let shown = serde_json::to_string(&r).unwrap();
        assert!(
            !shown.contains(&self.city_fugo[0].as_ref().unwrap().0)
                && !shown.contains(&self.f(1).0)
        );
        assert!(!shown.contains(&number(1).expose().to_string()));

        // Re-sent: the same outcome and entry, nothing appended.
        let again = self
            .net
            .inquire(&request(&self.signer, "q-1", &self.f(1), "K01", "J01"))
            .await
            .unwrap();
        assert_eq!(
            (again.record, again.replayed, &again.answer),
            (r.record, true, &r.answer)
        );
        // The same id for another inquiry is refused, not recorded.
        let reused = self
            .net
            .inquire(&request(&self.signer, "q-1", &self.f(1), "K01", "J02"))
            .await;
        assert!(matches!(reused, Err(CallError::Api(e)) if e.code == "request_id_reused"));
    }

    async fn unknown_residents_and_missing_records_are_no_record(&self) {
        // A resident the city does not know (no 符号 of the city), and one it holds no
        // 介護 record for.
        let r = self
            .net
            .inquire(&request(&self.signer, "q-2", &self.f(6), "K01", "J02"))
            .await
            .unwrap();
        assert_eq!(r.answer, InquiryAnswer::NoRecord);
        let uncertified = (0..5).find(|&i| holdings::synthetic(i).len() == 2).unwrap();
        let r = self
            .net
            .inquire(&request(
                &self.signer,
                "q-3",
                &self.f(uncertified as usize),
                "K04",
                "J05",
            ))
            .await
            .unwrap();
        assert_eq!(r.answer, InquiryAnswer::NoRecord);
    }

    async fn a_refusal_names_its_rule_and_is_recorded_once(&self) {
        // Refused with the rule, recorded once also when re-sent.
        let refused = self
            .net
            .inquire(&request(&self.signer, "q-4", &self.f(1), "K01", "J04"))
            .await
            .unwrap();
        match &refused.answer {
            InquiryAnswer::Refused { code, message } => {
                assert_eq!(code, "info_not_for_task");
                assert!(message.contains("J04"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let again = self
            .net
            .inquire(&request(&self.signer, "q-4", &self.f(1), "K01", "J04"))
            .await
            .unwrap();
        assert_eq!((again.record, again.replayed), (refused.record, true));
    }

    async fn bad_requests_are_refused_and_not_recorded(&self) {
        // Not recorded: an unknown 符号, a bad signature, a caller asking for someone else.
        let unknown = self
            .net
            .inquire(&request(
                &self.signer,
                "q-5",
                &Fugo("AAAA".into()),
                "K01",
                "J01",
            ))
            .await;
        assert!(matches!(unknown, Err(CallError::Api(e)) if e.code == "unknown_fugo"));
        let mut forged = request(&self.signer, "q-6", &self.f(2), "K01", "J01");
        forged.info = "J02".parse().unwrap();
        assert!(
            matches!(self.net.inquire(&forged).await, Err(CallError::Api(e)) if e.code == "bad_signature")
        );
        let city_tls = self.net.files(CITY, Role::Agency);
        let as_city = Client::new(city_tls.client_config().unwrap(), &self.net.hub_url);
        let mut other = request(
            &Signer::load(&city_tls).unwrap(),
            "q-7",
            &self.f(2),
            "K01",
            "J01",
        );
        other.signature = Signer::load(&city_tls)
            .unwrap()
            .sign(&other.signed_message());
        let e = as_city.call::<Inquire>(&other).await.unwrap_err();
        assert!(matches!(e, CallError::Api(e) if e.status == 403));
    }

    async fn a_silent_or_stopped_provider_is_unavailable_in_time(&mut self) {
        // A provider that never answers: unavailable within the deadline (500 ms).
        self.as_intermediate
            .issue_fugo(&HUNG.parse().unwrap(), &[number(2)])
            .await
            .unwrap();
        let mut to_hung = request(&self.signer, "q-hung", &self.f(2), "K01", "J01");
        to_hung.provider = HUNG.parse().unwrap();
        to_hung.signature = self.signer.sign(&to_hung.signed_message());
        let started = Instant::now();
        let hung = self.net.inquire(&to_hung).await.unwrap();
        assert!(
            matches!(hung.answer, InquiryAnswer::Unavailable { .. }),
            "{:?}",
            hung.answer
        );
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(450) && took < Duration::from_secs(2),
            "{took:?}"
        );

        // The provider goes down: unavailable within the deadline, recorded once, retryable.
        self.net.agency.take().unwrap().shut_down().await;
        let started = Instant::now();
        let down = self
            .net
            .inquire(&request(&self.signer, "q-8", &self.f(3), "K01", "J01"))
            .await
            .unwrap();
        assert!(
            matches!(down.answer, InquiryAnswer::Unavailable { .. }),
            "{:?}",
            down.answer
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        let retry = self
            .net
            .inquire(&request(&self.signer, "q-8", &self.f(3), "K01", "J01"))
            .await
            .unwrap();
        assert!(matches!(retry.answer, InquiryAnswer::Unavailable { .. }));
        assert_eq!(retry.record, down.record);
    }

    async fn unavailable_calls_leak_no_threads_or_connections(&self) {
        // Many such calls at once leak neither threads nor connections: after a first round
        // has grown the pools, more rounds leave thread and descriptor counts where they were.
        let threads = || count_lines("/proc/self/status", "Threads:");
        let fds = || std::fs::read_dir("/proc/self/fd").unwrap().count();
        let threads_before = threads();
        let mut after_first = (0, 0);
        for round in 0..3 {
            let mut tasks = Vec::new();
            for k in 0..200 {
                let req = request(
                    &self.signer,
                    &format!("down-{round}-{k}"),
                    &self.f(k % 5),
                    "K01",
                    "J02",
                );
                let client = Client::new(
                    self.net.intermediate.client_config().unwrap(),
                    &self.net.hub_url,
                );
                tasks.push(tokio::spawn(
                    async move { client.call::<Inquire>(&req).await },
                ));
            }
            for t in tasks {
                let r = t.await.unwrap().unwrap();
                assert!(matches!(r.answer, InquiryAnswer::Unavailable { .. }));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            if round == 0 {
                after_first = (threads(), fds());
            }
        }
        let d = fds();
        assert!(d <= after_first.1 + 16, "fds {} → {d}", after_first.1);
        // Store work runs on tokio's blocking pool, which grows with concurrency (bounded)
        // and lets idle threads go after 10 s: every thread must be gone by then.
        let waiting = Instant::now();
        while threads() > threads_before + 2 && waiting.elapsed() < Duration::from_secs(15) {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert!(
            threads() <= threads_before + 2,
            "threads {threads_before} → {} (peak after one round {})",
            threads(),
            after_first.0
        );
    }

    async fn the_log_records_each_exchange_once_and_audits(&self) {
        // The log: one entry per exchange, chained, checkpointed, every signature valid.
        let log = self.net.hub.app.store().read_log().await.unwrap();
        assert_eq!(log.entries.len(), 6 + 600, "{}", self.engine);
        let verifier = SignatureVerifier::new(&self.net.pki.pki.ca_cert_path()).unwrap();
        let summary = verify_with(
            &log.entries,
            &log.checkpoints,
            &self.net.log_public_key,
            |e| evidence::verify_entry(e, &verifier),
        )
        .unwrap();
        assert_eq!(summary.entries, 606);
        use renkei_ledger::record_log::Outcome;
        let outcomes: Vec<_> = log.entries[..6]
            .iter()
            .map(|e| e.exchange.outcome.clone())
            .collect();
        assert_eq!(
            outcomes,
            vec![
                Outcome::Data,
                Outcome::NoRecord,
                Outcome::NoRecord,
                Outcome::Refused("info_not_for_task".into()),
                Outcome::Unavailable,
                Outcome::Unavailable,
            ]
        );
        // A forged signature in a rehashed chain beyond the last checkpoint is still caught,
        // by the sender signature check, naming the entry.
        let mut forged = log.entries.clone();
        let answer = forged[0].exchange.answer_signature.clone();
        forged[1].exchange.answer_signature = answer; // entry 2 (no record) "signed" with entry 1's
        let mut prev = forged[0].hash;
        for e in &mut forged[1..] {
            e.hash =
                renkei_ledger::record_log::entry_hash(&prev, e.seq, e.time_micros, &e.exchange);
            prev = e.hash;
        }
        let err = verify_with(&forged, &[], &self.net.log_public_key, |e| {
            evidence::verify_entry(e, &verifier)
        })
        .unwrap_err();
        assert_eq!(err.first_bad_entry(), 2, "{err}");
        // With the checkpoints, the rewritten chain is caught by them as well.
        assert!(
            verify_with(&forged, &log.checkpoints, &self.net.log_public_key, |_| Ok(
                ()
            ))
            .is_err()
        );

        // Data answers carry the city's signature; the request the intermediate's.
        let (sig, _) = evidence::decode(&log.entries[0].exchange.answer_signature).unwrap();
        assert_eq!(
            verifier.verify(&sig, b"x").unwrap_err(),
            "署名が内容と一致しません"
        );
    }
}

#[tokio::test]
async fn inquiries_are_answered_converted_signed_and_recorded_once() {
    for engine in engines("agency_inquiry") {
        let mut flow = Flow::start(&engine).await;
        flow.data_is_converted_and_a_resend_replays_it().await;
        flow.unknown_residents_and_missing_records_are_no_record()
            .await;
        flow.a_refusal_names_its_rule_and_is_recorded_once().await;
        flow.bad_requests_are_refused_and_not_recorded().await;
        flow.a_silent_or_stopped_provider_is_unavailable_in_time()
            .await;
        flow.unavailable_calls_leak_no_threads_or_connections()
            .await;
        flow.the_log_records_each_exchange_once_and_audits().await;
    }
}

fn count_lines(path: &str, key: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l[key.len()..].trim().parse().ok())
        .unwrap()
}

/// Inquiries sent at the same moment are signed in batches (one ECDSA signature over a Merkle
/// root, by the asker and by the agency): each log entry keeps its own proof, every entry
/// audits alone, and a changed proof or a proof moved to another entry names that entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_inquiries_are_batch_signed_and_every_entry_audits() {
    for engine in engines("agency_batch") {
        let net = start(&engine.url).await;
        let signer = Signer::load(&net.intermediate).unwrap();
        let as_intermediate =
            HubClient::new(net.intermediate.client_config().unwrap(), &net.hub_url);
        let fugo = as_intermediate
            .issue_fugo(
                &KOIKI.parse().unwrap(),
                &(0..5).map(number).collect::<Vec<_>>(),
            )
            .await
            .unwrap();
        let tasks: Vec<_> = (0..48)
            .map(|k| {
                let mut req = request(
                    &signer,
                    &format!("b-{k}"),
                    fugo[k % 5].as_ref().unwrap(),
                    "K01",
                    "J01",
                );
                let (signer, client) = (
                    signer.clone(),
                    Client::new(net.intermediate.client_config().unwrap(), &net.hub_url),
                );
                tokio::spawn(async move {
                    req.signature = signer.sign_batched(&req.signed_message()).await;
                    client.call::<Inquire>(&req).await
                })
            })
            .collect();
        for (k, t) in tasks.into_iter().enumerate() {
            let r = t.await.unwrap().unwrap();
            assert_eq!(
                r.answer,
                InquiryAnswer::Data {
                    items: items((k % 5) as u64, "J01")
                },
                "{}",
                engine.engine()
            );
        }

        let log = net.hub.app.store().read_log().await.unwrap();
        assert_eq!(log.entries.len(), 48);
        let proofs = |pick: fn(&renkei_ledger::record_log::Entry) -> &Vec<u8>| {
            log.entries
                .iter()
                .filter(|e| evidence::decode(pick(e)).unwrap().0.batch.is_some())
                .count()
        };
        let batched_requests = proofs(|e| &e.exchange.request_signature);
        let batched_answers = proofs(|e| &e.exchange.answer_signature);
        assert!(
            // (A burst of 48 signed within 1 ms; how many share a batch depends on scheduling.)
            batched_requests >= 8 && batched_answers >= 2,
            "requests {batched_requests}, answers {batched_answers} of 48 batch-signed"
        );
        let verifier = SignatureVerifier::new(&net.pki.pki.ca_cert_path()).unwrap();
        let audit = |entries: &[renkei_ledger::record_log::Entry]| {
            // A fresh verifier each time: nothing remembered from the untouched log.
            let verifier = SignatureVerifier::new(&net.pki.pki.ca_cert_path()).unwrap();
            verify_with(entries, &[], &net.log_public_key, |e| {
                evidence::verify_entry(e, &verifier)
            })
        };
        assert_eq!(
            verify_with(&log.entries, &log.checkpoints, &net.log_public_key, |e| {
                evidence::verify_entry(e, &verifier)
            })
            .unwrap()
            .entries,
            48
        );
        let rehash = |entries: &mut Vec<renkei_ledger::record_log::Entry>| {
            let mut prev = entries[0].hash;
            for e in &mut entries[1..] {
                e.hash =
                    renkei_ledger::record_log::entry_hash(&prev, e.seq, e.time_micros, &e.exchange);
                prev = e.hash;
            }
        };
        let (i, j) = {
            let batched: Vec<usize> = (1..48)
                .filter(|&i| {
                    evidence::decode(&log.entries[i].exchange.request_signature)
                        .unwrap()
                        .0
                        .batch
                        .is_some()
                })
                .collect();
            (batched[0], batched[1])
        };
        // A changed sibling hash (the last byte of the evidence) fails that entry.
        let mut bent = log.entries.clone();
        *bent[i].exchange.request_signature.last_mut().unwrap() ^= 1;
        rehash(&mut bent);
        let err = audit(&bent).unwrap_err();
        assert_eq!(err.first_bad_entry(), bent[i].seq, "{err}");
        // Another entry's batch signature and proof, moved here: fails too.
        let mut moved = log.entries.clone();
        moved[j].exchange.request_signature = log.entries[i].exchange.request_signature.clone();
        rehash(&mut moved);
        let err = audit(&moved).unwrap_err();
        assert_eq!(err.first_bad_entry(), moved[j].seq, "{err}");
    }
}
