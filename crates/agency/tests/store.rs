//! The agency store suite, on every engine.

use std::collections::BTreeMap;

use renkei_agency::store::{NewResident, Residents, Store};
use renkei_store::testing::engines;
use renkei_wire::msg::hub::Fugo;

fn resident(i: u32, holdings: &[(&str, &str)]) -> NewResident {
    NewResident {
        atena: format!("A{i:06}"),
        fugo: Fugo(format!("FUGO{i}")),
        holdings: holdings
            .iter()
            .map(|(info, value)| {
                let mut items = BTreeMap::new();
                items.insert("項目".to_owned(), (*value).to_owned());
                ((*info).to_owned(), items)
            })
            .collect(),
    }
}

#[tokio::test]
async fn residents_and_holdings_round_trip_and_reload_replaces() {
    for engine in engines("agency_store") {
        let store = Store::open(&engine.url).await.unwrap();
        store
            .upsert_residents(vec![
                resident(1, &[("J01", "課税"), ("J02", "単身")]),
                resident(2, &[("J01", "非課税")]),
            ])
            .await
            .unwrap();
        assert_eq!(store.count().await.unwrap(), 2, "{}", engine.engine());
        assert_eq!(
            store.fugo_of("A000001").await.unwrap(),
            Some(Fugo("FUGO1".into()))
        );
        assert_eq!(store.fugo_of("A999999").await.unwrap(), None);
        let held = store
            .holding(&Fugo("FUGO1".into()), "J02")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(held["項目"], "単身");
        assert_eq!(
            store.holding(&Fugo("FUGO2".into()), "J02").await.unwrap(),
            None
        );
        // Loading again replaces a resident's holdings.
        store
            .upsert_residents(vec![resident(1, &[("J05", "要介護2")])])
            .await
            .unwrap();
        assert_eq!(store.count().await.unwrap(), 2);
        assert_eq!(
            store.holding(&Fugo("FUGO1".into()), "J01").await.unwrap(),
            None
        );
        assert_eq!(
            store
                .holding(&Fugo("FUGO1".into()), "J05")
                .await
                .unwrap()
                .unwrap()["項目"],
            "要介護2"
        );
    }
}
