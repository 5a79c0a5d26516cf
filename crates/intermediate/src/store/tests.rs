//! The store suite, run against every engine.

use renkei_store::testing::engines;
use renkei_wire::msg::intermediate::RowOutcome;

use super::*;
use crate::domain::plan::{Item, Ready};
use crate::domain::record::{parse_row, Header, COLUMNS};
use renkei_wire::msg::intermediate::RawRow;

fn tenant() -> Tenant {
    Tenant {
        code: "koiki-13".parse().unwrap(),
        name: "東京都後期高齢者医療広域連合".into(),
        insurer_numbers: vec!["39130018".into(), "39131156".into()],
    }
}

fn item(line: u64, change: &str, person: u8, insured: &str, lost: &str) -> Item {
    let header = Header::parse(&COLUMNS.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let fields = [
        change,
        "621498320257",
        insured,
        "山田　太郎",
        "ヤマダ　タロウ",
        "1945-04-01",
        "1",
        "東京都",
        "2020-04-01",
        lost,
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
        fugo: format!("F{person}"),
    }))
}

fn ctx(job: &str) -> ChunkContext {
    ChunkContext {
        job_id: job.into(),
        insurer_number: "39131156".into(),
        verified: "一致".into(),
    }
}

fn job(id: &str) -> NewJob {
    NewJob {
        job_id: id.into(),
        insurer_number: "39131156".into(),
        file_name: "a.csv".into(),
        header: vec!["h".into()],
        chunk_rows: 2,
    }
}

fn done(applied: Applied) -> Vec<RowResult> {
    match applied {
        Applied::Done(results) => results,
        Applied::PreviousPending(_) => panic!("chunk was not applied"),
    }
}

fn branch(r: &RowResult) -> &str {
    match &r.outcome {
        RowOutcome::Registered { branch } => branch,
        other => panic!("not registered: {other:?}"),
    }
}

#[tokio::test]
async fn registration_store_behaves_the_same_on_every_engine() {
    renkei_wire::tls::install_crypto_provider();
    for engine in engines("intermediate") {
        let store = Store::open(&engine.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", engine.engine()));
        let e = engine.engine();
        store.upsert_tenant(&tenant()).await.unwrap();
        store.upsert_tenant(&tenant()).await.unwrap();
        assert_eq!(
            store.tenant_by_insurer_number("39130018").await.unwrap(),
            Some(tenant()),
            "{e}"
        );
        assert_eq!(
            store.tenant_by_insurer_number("39999999").await.unwrap(),
            None,
            "{e}"
        );

        let status = store.start_job("koiki-13", &job("j1")).await.unwrap();
        assert_eq!((status.chunks_done, status.finished), (0, false), "{e}");
        assert_eq!(
            store.job("koiki-13", "j1").await.unwrap(),
            Some(job("j1")),
            "{e}"
        );
        assert_eq!(
            store.job("koiki-99", "j1").await.unwrap(),
            None,
            "tenancy: {e}"
        );

        let first = done(
            store
                .apply_chunk(
                    "koiki-13",
                    0,
                    &ctx("j1"),
                    vec![
                        item(2, "1", 1, "10000001", ""),
                        item(3, "1", 2, "10000002", ""),
                    ],
                )
                .await
                .unwrap(),
        );
        assert_eq!(branch(&first[0]), "0000000001", "{e}");
        assert_eq!(branch(&first[1]), "0000000002", "{e}");

        // The same chunk again is answered from the stored results and changes nothing.
        let again = done(
            store
                .apply_chunk(
                    "koiki-13",
                    0,
                    &ctx("j1"),
                    vec![item(2, "1", 7, "10000007", "")],
                )
                .await
                .unwrap(),
        );
        assert_eq!(again, first, "{e}");
        assert_eq!(store.count_subscribers("koiki-13").await.unwrap(), 2, "{e}");
        assert_eq!(
            store.chunk_results("koiki-13", "j1", 0).await.unwrap(),
            Some(first.clone()),
            "{e}"
        );

        // A later chunk: loss for person 1, duplicate number with another insured number for person 2.
        let second = done(
            store
                .apply_chunk(
                    "koiki-13",
                    1,
                    &ctx("j1"),
                    vec![
                        item(4, "3", 1, "10000001", "2025-03-31"),
                        item(5, "1", 2, "10000099", ""),
                    ],
                )
                .await
                .unwrap(),
        );
        assert_eq!(branch(&second[0]), "0000000001", "{e}");
        assert!(
            matches!(&second[1].outcome, RowOutcome::Held { code, .. } if code == "DUPLICATE_IN_FILE"),
            "{e}"
        );
        let s = store
            .subscriber_by_insured("koiki-13", "10000001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.lost, Some(time::macros::date!(2025 - 03 - 31)), "{e}");
        assert_eq!(s.version, 2, "{e}");
        let history = store.history("koiki-13", "0000000001").await.unwrap();
        assert_eq!(
            history.iter().map(|h| h.change).collect::<Vec<_>>(),
            vec![1, 3],
            "{e}"
        );
        assert_eq!(history[1].line, 4, "{e}");

        let status = store
            .finish_job("koiki-13", "j1", 4)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                status.chunks_done,
                status.rows_done,
                status.registered,
                status.held,
                status.finished
            ),
            (2, 4, 3, 1, true),
            "{e}"
        );

        // Chunks apply in file order: a chunk whose predecessor is missing writes nothing.
        store.start_job("koiki-13", &job("j3")).await.unwrap();
        let early = store
            .apply_chunk(
                "koiki-13",
                1,
                &ctx("j3"),
                vec![item(2, "1", 9, "10000009", "")],
            )
            .await
            .unwrap();
        assert!(
            matches!(early, Applied::PreviousPending(ref back) if back.len() == 1),
            "{e}"
        );
        assert_eq!(
            store.chunk_results("koiki-13", "j3", 1).await.unwrap(),
            None,
            "{e}"
        );
        assert_eq!(
            store
                .subscriber_by_insured("koiki-13", "10000009")
                .await
                .unwrap(),
            None,
            "{e}"
        );

        // Another file with the same person registers nothing new and keeps the branch.
        store.start_job("koiki-13", &job("j2")).await.unwrap();
        let third = done(
            store
                .apply_chunk(
                    "koiki-13",
                    0,
                    &ctx("j2"),
                    vec![item(2, "1", 2, "10000002", "")],
                )
                .await
                .unwrap(),
        );
        assert_eq!(branch(&third[0]), "0000000002", "{e}");
        assert_eq!(store.count_subscribers("koiki-13").await.unwrap(), 2, "{e}");
        let history = store.history("koiki-13", "0000000002").await.unwrap();
        assert_eq!(
            history
                .iter()
                .map(|h| (h.version, h.change, h.job_id.as_str(), h.line))
                .collect::<Vec<_>>(),
            vec![(1, 1, "j1", 3)],
            "{e}: the version stays the first file's"
        );
    }
}

/// The 資格 history through every path that makes or keeps a version: a registration of the
/// same values by another file (no version), a change in a later file (the stored version
/// moves to the history), a new subscriber losing 資格 within its own chunk.
#[tokio::test]
async fn history_keeps_every_version_with_its_change_job_and_line() {
    renkei_wire::tls::install_crypto_provider();
    for engine in engines("intermediate_history") {
        let store = Store::open(&engine.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", engine.engine()));
        let e = engine.engine();
        store.upsert_tenant(&tenant()).await.unwrap();
        let history = |branch: &'static str| {
            let store = &store;
            async move {
                store
                    .history("koiki-13", branch)
                    .await
                    .unwrap()
                    .iter()
                    .map(|h| {
                        (
                            h.version,
                            h.change,
                            h.job_id.clone(),
                            h.line,
                            h.insured_number.clone(),
                        )
                    })
                    .collect::<Vec<_>>()
            }
        };
        let v = |version: u32, change: i64, job: &str, line: u64, insured: &str| {
            (version, change, job.to_owned(), line, insured.to_owned())
        };
        for (id, rows) in [
            ("a", vec![item(2, "1", 7, "10000007", "")]),
            ("b", vec![item(5, "1", 7, "10000007", "")]),
            ("c", vec![item(9, "2", 7, "10000077", "")]),
            (
                "d",
                vec![
                    item(2, "1", 8, "10000008", ""),
                    item(3, "3", 8, "10000008", "2025-03-31"),
                ],
            ),
        ] {
            store.start_job("koiki-13", &job(id)).await.unwrap();
            done(
                store
                    .apply_chunk("koiki-13", 0, &ctx(id), rows)
                    .await
                    .unwrap(),
            );
            if id == "b" {
                assert_eq!(
                    history("0000000001").await,
                    vec![v(1, 1, "a", 2, "10000007")],
                    "{e}"
                );
            }
        }
        assert_eq!(
            history("0000000001").await,
            vec![v(1, 1, "a", 2, "10000007"), v(2, 2, "c", 9, "10000077")],
            "{e}"
        );
        assert_eq!(
            history("0000000002").await,
            vec![v(1, 1, "d", 2, "10000008"), v(2, 3, "d", 3, "10000008")],
            "{e}"
        );
        let s = store
            .subscriber_by_insured("koiki-13", "10000077")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.version, s.source_job.as_str(), s.origin()),
            (2, "c", ("c", 9)),
            "{e}"
        );
    }
}
