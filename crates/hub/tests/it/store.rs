//! The links store suite, run on every engine (SQLite and PostgreSQL).

use renkei_hub::store::{NewLink, Store};
use renkei_hub::{AgencyCode, Fugo};
use renkei_store::testing::engines;

fn link(i: u8) -> NewLink {
    NewLink {
        number_key: [i; 32],
        person_key: [100 + i; 32],
        fugo: Fugo(format!("FUGO{i:028}")),
    }
}

fn agency(s: &str) -> AgencyCode {
    AgencyCode::parse(s).unwrap()
}

#[tokio::test]
async fn links_are_found_in_order_and_inserted_idempotently() {
    for engine in engines("hub_links") {
        let store = Store::open(&engine.url).await.unwrap();
        let koiki = agency("koiki-13");
        assert_eq!(
            store
                .insert_links(&koiki, (0..3).map(link).collect())
                .await
                .unwrap(),
            3,
            "{}",
            engine.engine()
        );
        let found = store
            .find_links(&koiki, &[[2; 32], [9; 32], [0; 32], [2; 32]])
            .await
            .unwrap();
        assert_eq!(
            found,
            vec![
                Some(link(2).fugo),
                None,
                Some(link(0).fugo),
                Some(link(2).fugo)
            ]
        );

        // Resending changes nothing; another agency's links are separate.
        assert_eq!(
            store
                .insert_links(&koiki, (0..3).map(link).collect())
                .await
                .unwrap(),
            0
        );
        assert_eq!(store.count().await.unwrap(), 3);
        let city = agency("city-131016");
        assert_eq!(
            store.find_links(&city, &[[0; 32]]).await.unwrap(),
            vec![None]
        );
        assert_eq!(store.insert_links(&city, vec![link(0)]).await.unwrap(), 1);
        assert_eq!(store.count().await.unwrap(), 4);
        assert_eq!(
            store.person_of(&koiki, &link(1).fugo).await.unwrap(),
            Some([101; 32])
        );
        assert_eq!(
            store.person_of(&koiki, &Fugo("NONE".into())).await.unwrap(),
            None
        );
    }
}

#[tokio::test]
async fn conflicting_and_duplicate_links_are_ignored() {
    for engine in engines("hub_conflict") {
        let store = Store::open(&engine.url).await.unwrap();
        let koiki = agency("koiki-13");
        store.insert_links(&koiki, vec![link(1)]).await.unwrap();
        // Same 符号 under another number key (番号の変更), and a duplicate within one batch.
        let renumbered = NewLink {
            number_key: [50; 32],
            ..link(1)
        };
        let inserted = store
            .insert_links(&koiki, vec![renumbered, link(2), link(2)])
            .await
            .unwrap();
        assert_eq!(inserted, 1, "{}", engine.engine());
        assert_eq!(store.count().await.unwrap(), 2);
        assert_eq!(store.insert_links(&koiki, vec![]).await.unwrap(), 0);
    }
}

/// The hub's own share of a 5,000-number batch (hashing, look-up, derivation, insert; J-LIS
/// and HTTP excluded): the first round links every number, the second finds every link and
/// inserts nothing. How long it takes is measured by `renkei bench`, not here.
#[tokio::test]
async fn hub_share_of_a_batch() {
    use renkei_core::{MyNumber, ResidentCode};
    use renkei_hub::{Derivation, HubConfig};

    let d = Derivation::new(&HubConfig::generate_keys());
    let koiki = agency("koiki-13");
    let numbers: Vec<_> = (0..5_000u64)
        .map(|i| MyNumber::from_body_u64(10_000_000_000 + i * 7_919))
        .collect();
    let codes: Vec<_> = (0..5_000u64)
        .map(|i| ResidentCode::from_body_u64(1_000_000_000 + i))
        .collect();
    for engine in engines("hub_share") {
        let store = Store::open(&engine.url).await.unwrap();
        store.count().await.unwrap(); // warm the connection
        for (round, expect_found, expect_inserted) in [("new", 0, 5_000), ("existing", 5_000, 0)] {
            let keys: Vec<_> = numbers.iter().map(|n| d.number_key(n)).collect();
            let found = store.find_links(&koiki, &keys).await.unwrap();
            let links: Vec<_> = keys
                .iter()
                .zip(&codes)
                .zip(&found)
                .filter(|(_, f)| f.is_none())
                .map(|((k, c), _)| {
                    let person_key = d.person_key(c);
                    NewLink {
                        number_key: *k,
                        person_key,
                        fugo: d.fugo(&person_key, &koiki),
                    }
                })
                .collect();
            let found = found.iter().filter(|f| f.is_some()).count();
            let inserted = store.insert_links(&koiki, links).await.unwrap();
            assert_eq!(
                (found, inserted),
                (expect_found, expect_inserted),
                "{} {round}",
                engine.engine()
            );
        }
        assert_eq!(store.count().await.unwrap(), 5_000);
    }
}
