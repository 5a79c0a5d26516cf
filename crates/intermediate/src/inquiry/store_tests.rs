//! The inquiry look-ups, on every engine, over subscribers registered the way registration
//! stores them.

use renkei_store::testing::engines;
use renkei_wire::msg::intermediate::RawRow;

use super::*;
use crate::domain::plan::{Item, Ready};
use crate::domain::record::{parse_row, Header, COLUMNS};
use crate::store::{Applied, ChunkContext, NewJob, Tenant};

fn item(line: u64, person: u8, insured: &str, fugo: &str) -> Item {
    let header = Header::parse(&COLUMNS.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let fields = [
        "1",
        "621498320257",
        insured,
        "山田　太郎",
        "ヤマダ　タロウ",
        "1945-04-01",
        "1",
        "東京都",
        "2020-04-01",
        "",
    ];
    let record = parse_row(
        &header,
        &RawRow {
            line,
            fields: fields.iter().map(|s| s.to_string()).collect(),
        },
    )
    .unwrap();
    Item::Ready(Box::new(Ready {
        record,
        person_key: [person; 32],
        number_sealed: vec![person, 1],
        fugo: fugo.into(),
    }))
}

async fn register(store: &Store, tenant: &str, number: &str, items: Vec<Item>) {
    store
        .upsert_tenant(&Tenant {
            code: tenant.parse().unwrap(),
            name: tenant.into(),
            insurer_numbers: vec![number.into()],
        })
        .await
        .unwrap();
    let job = NewJob {
        job_id: format!("job-{tenant}"),
        insurer_number: number.into(),
        file_name: "a.csv".into(),
        header: vec!["h".into()],
        chunk_rows: 10,
    };
    store.start_job(tenant, &job).await.unwrap();
    let ctx = ChunkContext {
        job_id: job.job_id.clone(),
        insurer_number: number.into(),
        verified: "一致".into(),
    };
    match store.apply_chunk(tenant, 0, &ctx, items).await.unwrap() {
        Applied::Done(_) => {}
        Applied::PreviousPending(_) => panic!("not applied"),
    }
}

#[tokio::test]
async fn inquiry_look_ups_behave_the_same_on_every_engine() {
    for engine in engines("intermediate_inquiry") {
        let e = engine.engine();
        let store = Store::open(&engine.url).await.unwrap();
        register(
            &store,
            "koiki-13",
            "39131156",
            vec![item(2, 1, "10000001", "F1"), item(3, 2, "10000002", "F2")],
        )
        .await;
        // The same person (index key 1) with another 広域連合.
        register(
            &store,
            "koiki-14",
            "39141130",
            vec![item(2, 1, "20000001", "G1")],
        )
        .await;

        assert_eq!(
            asker_context(&store, "39131156", "0000000001", "koiki-14")
                .await
                .unwrap(),
            Some(("koiki-13".parse().unwrap(), Some("F1".to_owned()), true)),
            "{e}"
        );
        assert_eq!(
            asker_context(&store, "39131156", "0000000099", "city-131121")
                .await
                .unwrap(),
            Some(("koiki-13".parse().unwrap(), None, false)),
            "{e}"
        );
        assert_eq!(
            asker_context(&store, "39999999", "0000000001", "x")
                .await
                .unwrap(),
            None
        );

        assert_eq!(
            branch_of_fugo(&store, "koiki-13", "F2")
                .await
                .unwrap()
                .as_deref(),
            Some("0000000002"),
            "{e}"
        );
        assert_eq!(
            branch_of_fugo(&store, "koiki-14", "F2").await.unwrap(),
            None,
            "tenancy: {e}"
        );

        let person = person_of_branch(&store, "koiki-13", "0000000001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(person, vec![1; 32]);
        assert_eq!(
            subscriber_of_person(&store, "koiki-14", &person)
                .await
                .unwrap(),
            Some(("0000000001".to_owned(), "G1".to_owned())),
            "{e}"
        );
        assert_eq!(
            subscriber_of_person(&store, "koiki-14", &[2; 32])
                .await
                .unwrap(),
            None
        );

        let items = super::super::answer::answer(&store, "koiki-14", "0000000001", "J04")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(items["被保険者番号"], "20000001", "{e}");
        assert_eq!(items["資格取得年月日"], "2020-04-01");
        assert_eq!(items["資格喪失年月日"], "");
        assert_eq!(
            super::super::answer::answer(&store, "koiki-14", "0000000001", "J03")
                .await
                .unwrap(),
            None
        );
    }
}
