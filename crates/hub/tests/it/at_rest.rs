//! Neither a 個人番号 nor a 住民票コード rests in the hub's store, on any engine.

use renkei_hub::HubConfig;
use renkei_store::testing::engines;
use renkei_store::StoreUrl;
use renkei_wire::Role;

use crate::helpers::{
    hub_config, number, pg_dump, resident, spawn_hub, spawn_registry, sqlite_bytes, url_string,
    TestPki,
};

#[tokio::test]
async fn no_number_or_resident_code_at_rest() {
    let pki = TestPki::new();
    let registry = spawn_registry(&pki, 300).await;
    let numbers: Vec<_> = (0..300).map(number).collect();
    for engine in engines("hub_rest") {
        let config = hub_config(
            &pki,
            &registry.app.url(),
            &url_string(&engine.url),
            HubConfig::generate_keys(),
        );
        let hub = spawn_hub(config).await;
        let intermediate = pki.hub_client("intermediate", Role::Intermediate, &hub.app.url());
        intermediate
            .issue_fugo(&code("koiki-13"), &numbers)
            .await
            .unwrap();
        intermediate
            .issue_fugo(&code("city-131016"), &numbers)
            .await
            .unwrap();
        hub.shut_down().await;

        let stored = match &engine.url {
            StoreUrl::Sqlite(path) => sqlite_bytes(path),
            StoreUrl::Postgres { conn, schema } => {
                pg_dump(conn, &format!("SELECT l::text FROM {schema}.links l")).await
            }
        };
        assert!(
            stored.len() > 600 * 64,
            "{}: the dump holds the links",
            engine.engine()
        );
        for i in 0..300 {
            let r = resident(i);
            let (n, c) = (
                r.my_number.expose().as_bytes(),
                r.resident_code.expose().as_bytes(),
            );
            assert!(
                !stored.windows(n.len()).any(|w| w == n),
                "{}: 個人番号 at rest",
                engine.engine()
            );
            assert!(
                !stored.windows(c.len()).any(|w| w == c),
                "{}: 住民票コード at rest",
                engine.engine()
            );
        }
    }
}

fn code(s: &str) -> renkei_core::AgencyCode {
    renkei_core::AgencyCode::parse(s).unwrap()
}
