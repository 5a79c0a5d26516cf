//! The provide path every holder shares: who may ask it, which provider it answers for, and
//! that each answer is recorded once as provided and signed by the holder — checked with a
//! holder whose data is a map, a real SQLite party log and a real signing key.

use std::collections::BTreeMap;

use renkei_core::{AgencyCode, InfoCode};
use renkei_ledger::exchange::{provide, ExchangeError, Holder};
use renkei_ledger::party::{Engine, PartyLog, PartyStore, Side, SQLITE};
use renkei_ledger::record_log::Outcome;
use renkei_store::sqlite::Sqlite;
use renkei_store::StoreError;
use renkei_wire::msg::hub::Fugo;
use renkei_wire::msg::inquiry::{answer_message, ProvideRequest, Provided};
use renkei_wire::permission::InstitutionKind;
use renkei_wire::pki::Pki;
use renkei_wire::signing::{SignatureVerifier, Signer};
use renkei_wire::{ApiError, Identity, Role};

/// Holds one item for one person, for `city-131121` only.
struct OneCity;

impl Holder for OneCity {
    fn name(&self) -> &'static str {
        "情報保有機関"
    }

    fn answers_for(&self, provider: &AgencyCode) -> bool {
        *provider == "city-131121"
    }

    async fn holding(
        &self,
        _provider: &AgencyCode,
        fugo: &Fugo,
        info: &InfoCode,
    ) -> Result<Option<BTreeMap<String, String>>, StoreError> {
        Ok((fugo.0 == "HELD" && *info == "J01")
            .then(|| BTreeMap::from([("住民税".to_owned(), "非課税".to_owned())])))
    }
}

fn request(id: &str, provider: &str, fugo: &str) -> ProvideRequest {
    ProvideRequest {
        request_id: id.into(),
        asker: "koiki-13".parse().unwrap(),
        asker_kind: InstitutionKind::Koiki,
        provider: provider.parse().unwrap(),
        fugo: Fugo(fugo.into()),
        task: "K01".parse().unwrap(),
        info: "J01".parse().unwrap(),
    }
}

#[tokio::test]
async fn a_holder_answers_the_hub_only_for_its_own_providers_and_records_each_answer() {
    renkei_wire::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::open_or_create(&dir.path().join("pki")).unwrap();
    let files = pki
        .issue(&Identity::new("city-131121", Role::Agency, "世田谷区"))
        .unwrap();
    let signer = Signer::load(&files).unwrap();
    let verifier = SignatureVerifier::new(&files.ca).unwrap();
    let db = Sqlite::open(&dir.path().join("party.db"), &[SQLITE]).unwrap();
    let records = PartyLog::start(Engine::Sqlite(db.clone()));
    let hub = Identity::new("hub", Role::Hub, "情報提供ネットワークシステム");

    // Data, then no record: each signed by the holder over exactly its answer.
    for (id, fugo, want) in [
        (
            "R-1",
            "HELD",
            Provided::Data {
                items: BTreeMap::from([("住民税".to_owned(), "非課税".to_owned())]),
            },
        ),
        ("R-2", "NOBODY", Provided::NoRecord),
    ] {
        let req = request(id, "city-131121", fugo);
        let answer = provide(&OneCity, &records, &signer, &hub, &req)
            .await
            .unwrap();
        assert_eq!(answer.answer, want);
        let signed_by = verifier
            .verify(&answer.signature, &answer_message(&req, &answer.answer))
            .unwrap();
        assert_eq!(signed_by.code, "city-131121");
    }

    // Not the hub: refused before anything is read or recorded.
    let insurer = Identity::new("koiki-13", Role::Insurer, "東京都後期高齢者医療広域連合");
    let refused = provide(
        &OneCity,
        &records,
        &signer,
        &insurer,
        &request("R-3", "city-131121", "HELD"),
    )
    .await
    .unwrap_err();
    assert!(matches!(refused, ExchangeError::NotFromHub), "{refused}");
    assert_eq!(ApiError::from(refused).status, 403);

    // Another provider's inquiry: refused, naming the request and the provider.
    let wrong = provide(
        &OneCity,
        &records,
        &signer,
        &hub,
        &request("R-4", "city-131130", "HELD"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        wrong.to_string(),
        "照会番号 R-4: 提供者「city-131130」宛ての照会ですが、この機関は回答できません"
    );
    let api = ApiError::from(wrong);
    assert_eq!((api.status, api.code.as_str()), (400, "wrong_provider"));

    // The holder's own record: the two answers it gave, as provided, nothing for the refusals.
    let kept = Engine::Sqlite(db).read_all().await.unwrap();
    let mut seen: Vec<_> = kept
        .iter()
        .map(|r| (r.request_id.as_str(), r.side, r.party.as_str(), &r.outcome))
        .collect();
    seen.sort_by_key(|s| s.0);
    assert_eq!(
        seen,
        vec![
            ("R-1", Side::Provided, "city-131121", &Outcome::Data),
            ("R-2", Side::Provided, "city-131121", &Outcome::NoRecord),
        ]
    );
}
