//! 加入者情報作成 at the intermediate server through real peers (J-LIS, the hub) over mutual
//! TLS, on both engines: rows that match J-LIS are registered with a 枝番 each, a row J-LIS
//! does not know and a row whose 氏名 differs are held naming why, and a chunk sent again is
//! answered from what was applied — the same 枝番, nothing registered twice.

use renkei_intermediate::store::Tenant;
use renkei_store::testing::engines;
use renkei_testkit::{
    hub_config, intermediate_config, number, resident, spawn_hub, spawn_intermediate,
    spawn_registry, store_url_named, unknown, TestPki,
};
use renkei_wire::files::SUBSCRIBER_COLUMNS;
use renkei_wire::msg::intermediate::{
    FinishRegistrationRequest, RawRow, RegisterChunkRequest, RowOutcome, StartRegistrationRequest,
};
use renkei_wire::peer::IntermediateClient;
use renkei_wire::Role;

const INSURER: &str = "39131156";

/// A 新規 row for resident `i` as J-LIS holds them, on line `line`.
fn row(line: u64, i: u64) -> RawRow {
    let r = resident(i);
    RawRow {
        line,
        fields: vec![
            "1".into(),
            r.my_number.expose().to_owned(),
            format!("{:08}", 75_000_000 + i),
            r.name,
            r.kana,
            "昭和20年4月1日".into(),
            if i.is_multiple_of(2) { "1" } else { "2" }.into(),
            r.address,
            "R070401".into(),
            String::new(),
        ],
    }
}

#[tokio::test]
async fn rows_are_registered_or_held_by_reason_and_a_resent_chunk_changes_nothing() {
    for engine in engines("intermediate_registration") {
        let url = &engine.url;
        let pki = TestPki::new();
        let registry = spawn_registry(&pki, &pki.sqlite("registry"), (0..4).map(resident)).await;
        let hub = spawn_hub(hub_config(
            &pki,
            &registry.app.url(),
            &store_url_named(url, "hub"),
            renkei_hub::HubConfig::generate_keys(),
        ))
        .await;
        let intermediate = spawn_intermediate(intermediate_config(
            &pki,
            &registry.app.url(),
            &hub.app.url(),
            &store_url_named(url, "intermediate"),
        ))
        .await;
        intermediate
            .app
            .store()
            .upsert_tenant(&Tenant {
                code: "koiki-13".parse().unwrap(),
                name: "東京都後期高齢者医療広域連合".into(),
                insurer_numbers: vec![INSURER.into()],
            })
            .await
            .unwrap();
        let client = IntermediateClient::new(
            &pki.files("koiki-13", Role::Insurer),
            &intermediate.app.url(),
        )
        .unwrap();

        let insurer_number = INSURER.parse().unwrap();
        let job_id = "ab".repeat(32);
        client
            .start_registration(&StartRegistrationRequest {
                insurer_number: INSURER.parse().unwrap(),
                job_id: job_id.clone(),
                file_name: "加入者情報.csv".into(),
                header: SUBSCRIBER_COLUMNS.iter().map(|c| c.to_string()).collect(),
                chunk_rows: 10,
            })
            .await
            .unwrap();
        let mut stranger = row(4, 0);
        stranger.fields[1] = unknown(1).expose().to_owned();
        stranger.fields[2] = "75009999".into();
        let mut renamed = row(5, 3);
        renamed.fields[3] = "別人　次郎".into();
        let chunk = RegisterChunkRequest {
            insurer_number,
            job_id: job_id.clone(),
            seq: 0,
            rows: vec![row(2, 1), row(3, 2), stranger, renamed],
        };
        let encoded = IntermediateClient::encode_chunk(&chunk).unwrap();
        let first = client.register_encoded_chunk(&encoded).await.unwrap();
        let lines: Vec<_> = first.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 4, 5], "{}", engine.engine());
        let branches: Vec<_> = first[..2]
            .iter()
            .map(|r| match &r.outcome {
                RowOutcome::Registered { branch } => branch.clone(),
                held => panic!("{}: line {} held: {held:?}", engine.engine(), r.line),
            })
            .collect();
        assert_ne!(branches[0], branches[1]);
        let held: Vec<_> = first[2..]
            .iter()
            .map(|r| match &r.outcome {
                RowOutcome::Held { code, reason } => (code.as_str(), reason.clone()),
                registered => panic!("line {} registered: {registered:?}", r.line),
            })
            .collect();
        assert_eq!(held[0].0, "UNKNOWN_MY_NUMBER", "{}", held[0].1);
        assert_eq!(held[1].0, "IDENTITY_MISMATCH", "{}", held[1].1);
        assert!(held[1].1.contains("氏名"), "{}", held[1].1);
        for r in &first {
            assert!(!format!("{r:?}").contains(number(1).expose()));
        }

        // Sent again: the same answer, from what was applied.
        let again = client.register_encoded_chunk(&encoded).await.unwrap();
        assert_eq!(again, first, "{}", engine.engine());
        let status = client
            .finish_registration(&FinishRegistrationRequest {
                insurer_number: INSURER.parse().unwrap(),
                job_id,
                chunks: 1,
                rows: 4,
            })
            .await
            .unwrap();
        assert_eq!(
            (status.registered, status.held, status.finished),
            (2, 2, true),
            "{}",
            engine.engine()
        );

        intermediate.shut_down().await;
        hub.shut_down().await;
        registry.shut_down().await;
    }
}
