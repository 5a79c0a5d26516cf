//! The 副本 suite, run against every engine through the service (parse, stage, commit, read,
//! drift), with subscribers registered by the registration store as in production.

mod fixtures;

use renkei_core::InsurerNumber;
use renkei_store::testing::{engines, TestStore};
use renkei_wire::msg::fuhon::{
    CommitFuhonResponse, DriftKind, FuhonDriftRequest, FuhonKind, UploadMode,
};
use time::macros::date;

use crate::fuhon::service::{FuhonError, FuhonService};
use crate::store::{Store, Tenant};

use fixtures::*;

const KIND: FuhonKind = FuhonKind::Shikaku;

/// One engine's store with two tenants and their subscribers, and the steps of the suite.
struct Suite {
    e: &'static str,
    store: Store,
    svc: FuhonService,
}

impl Suite {
    async fn start(engine: &TestStore) -> Suite {
        let e = engine.engine();
        let store = Store::open(&engine.url)
            .await
            .unwrap_or_else(|err| panic!("{e}: {err}"));
        for (code, numbers) in [
            ("koiki-13", vec!["39130018", TOKYO]),
            ("koiki-01", vec![HOKKAIDO]),
        ] {
            store
                .upsert_tenant(&Tenant {
                    code: code.parse().unwrap(),
                    name: code.into(),
                    insurer_numbers: numbers.iter().map(|s| s.to_string()).collect(),
                })
                .await
                .unwrap();
        }
        register(
            &store,
            "koiki-13",
            TOKYO,
            "j13",
            &(1..=10).map(insured).collect::<Vec<_>>(),
            13,
        )
        .await;
        register(
            &store,
            "koiki-01",
            HOKKAIDO,
            "j01",
            &[20_000_001, 20_000_002].map(|n| n.to_string()),
            1,
        )
        .await;
        let svc = FuhonService::new(&store);
        Suite { e, store, svc }
    }

    async fn branch_of(&self, i: u32) -> String {
        self.store
            .subscriber_by_insured("koiki-13", &insured(i))
            .await
            .unwrap()
            .unwrap()
            .branch
    }

    /// A full 資格情報 upload by koiki-13 under TOKYO.
    async fn full(
        &self,
        rows: &[Vec<String>],
        as_of: &'static str,
        digest: &'static str,
    ) -> Upload {
        upload(
            &self.svc,
            "koiki-13",
            TOKYO,
            KIND,
            UploadMode::Full,
            rows,
            as_of,
            digest,
        )
        .await
        .unwrap()
    }

    /// Versions 1 and 2 from full files (the same file again makes none); their rows.
    async fn full_files_make_versions(&self) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
        let e = self.e;
        let kind = KIND;
        // Version 1: every subscriber.
        let v1_rows: Vec<Vec<String>> = (1..=10).map(|i| shikaku(i, "1", "一般Ⅰ", "")).collect();
        let v1 = self.full(&v1_rows, "2026-04-01", "a1").await;
        let info = committed(&v1);
        assert_eq!((info.version, info.added, info.records), (1, 10, 10), "{e}");

        // The same file again: no new version.
        let again = self.full(&v1_rows, "2026-04-01", "a1").await;
        assert_eq!(committed(&again).version, 1, "{e}");
        assert_eq!(
            versions(&self.svc, "koiki-13", TOKYO, kind).await,
            [1],
            "{e}"
        );

        // Version 2: subscriber 2 changes, 3 is gone (full mode computes the delta itself).
        let mut v2_rows = v1_rows.clone();
        v2_rows[1] = shikaku(2, "3", "現役並みⅠ", "");
        v2_rows.remove(2);
        let v2 = self.full(&v2_rows, "2026-05-01", "a2").await;
        let info = committed(&v2).clone();
        assert_eq!(
            (
                info.version,
                info.added,
                info.changed,
                info.deleted,
                info.unchanged,
                info.records
            ),
            (2, 0, 1, 1, 8, 9),
            "{e}"
        );

        (v1_rows, v2_rows)
    }

    async fn a_bad_file_changes_nothing(&self, v2_rows: &[Vec<String>]) {
        let e = self.e;
        let kind = KIND;
        // A bad file changes nothing, and every bad row and field is named.
        let mut bad = v2_rows.to_vec();
        bad[0][3] = "2020-02-30".into(); // line 2
        bad[4][5] = "5".into(); // line 6
        bad[5] = shikaku(5, "1", "一般Ⅰ", ""); // line 7: duplicate of line 5 (subscriber 5)
        bad.push(
            [TOKYO, "20000001", "", "2020-04-01", "", "1", "一般Ⅰ"]
                .map(String::from)
                .to_vec(),
        ); // line 11: another insurer's subscriber
        bad.push(
            [HOKKAIDO, &insured(1), "", "2020-04-01", "", "1", "一般Ⅰ"]
                .map(String::from)
                .to_vec(),
        ); // line 12
        let r = self.full(&bad, "2026-05-02", "bad").await;
        assert_eq!(
            refused(&r),
            [
                (2, "資格取得年月日".to_string(), "INVALID_DATE".to_string()),
                (6, "一部負担金の割合".into(), "INVALID_RATE".into()),
                (7, "被保険者番号".into(), "DUPLICATE_KEY".into()),
                (11, "被保険者番号".into(), "UNKNOWN_SUBSCRIBER".into()),
                (12, "保険者番号".into(), "FOREIGN_INSURER_NUMBER".into()),
            ],
            "{e}"
        );
        let dup_only = {
            let mut d = v2_rows.to_vec();
            d[5] = shikaku(5, "1", "一般Ⅰ", "");
            self.full(&d, "2026-05-02", "dup").await
        };
        assert_eq!(
            refused(&dup_only),
            [(7, "被保険者番号".to_string(), "DUPLICATE_KEY".to_string())],
            "{e}"
        );
        assert_eq!(
            versions(&self.svc, "koiki-13", TOKYO, kind).await,
            [2, 1],
            "{e}"
        );
    }

    async fn deltas_apply_in_order_or_not_at_all(&self) {
        let e = self.e;
        let kind = KIND;
        let delta = |op: &str, row: Vec<String>| [vec![op.to_string()], row].concat();
        // Delta: add 3 back, change 4, delete 10, in order; a later row may see an earlier one.
        let d_rows = vec![
            delta("1", shikaku(3, "2", "一般Ⅱ", "")),
            delta("2", shikaku(4, "1", "低所得Ⅰ", "")),
            delta("3", shikaku(10, "1", "一般Ⅰ", "")),
            delta("2", shikaku(3, "2", "一般Ⅱ", "2026-05-31")),
        ];
        let d = upload(
            &self.svc,
            "koiki-13",
            TOKYO,
            kind,
            UploadMode::Delta,
            &d_rows,
            "2026-06-01",
            "d1",
        )
        .await
        .unwrap();
        let info = committed(&d).clone();
        assert_eq!(
            (
                info.version,
                info.added,
                info.changed,
                info.deleted,
                info.records
            ),
            (3, 1, 2, 1, 9),
            "{e}"
        );

        // A delta adding what is there, changing or deleting what is not: refused, row named.
        let bad_delta = vec![
            delta("1", shikaku(1, "1", "一般Ⅰ", "")),
            delta("2", shikaku(10, "1", "一般Ⅰ", "")),
            delta("3", shikaku(10, "1", "一般Ⅰ", "")),
            delta("3", shikaku(2, "1", "一般Ⅰ", "")),
            delta(
                "1",
                [TOKYO, "20000002", "", "2020-04-01", "", "1", "一般Ⅰ"]
                    .map(String::from)
                    .to_vec(),
            ),
        ];
        let r = upload(
            &self.svc,
            "koiki-13",
            TOKYO,
            kind,
            UploadMode::Delta,
            &bad_delta,
            "2026-06-02",
            "d2",
        )
        .await
        .unwrap();
        assert_eq!(
            refused(&r),
            [
                (2, "異動区分".to_string(), "ALREADY_EXISTS".to_string()),
                (3, "異動区分".into(), "NOT_FOUND".into()),
                (4, "異動区分".into(), "NOT_FOUND".into()),
                (6, "被保険者番号".into(), "UNKNOWN_SUBSCRIBER".into()),
            ],
            "{e}"
        );
        assert_eq!(
            versions(&self.svc, "koiki-13", TOKYO, kind).await,
            [3, 2, 1],
            "{e}"
        );
    }

    async fn reads_as_of_a_day_find_the_version_in_force(&self) {
        let e = self.e;
        let kind = KIND;
        let fuhon = self.svc.store();
        // Reading as of a day: the version in force then, and the record it held.
        let b2 = self.branch_of(2).await;
        let april = fuhon
            .records_as_of("koiki-13", kind, &b2, date!(2026 - 04 - 15))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((april.version.version, april.records.len()), (1, 1), "{e}");
        assert_eq!(april.records[0].get("一部負担金の割合"), Some("1"), "{e}");
        let may = fuhon
            .records_as_of("koiki-13", kind, &b2, date!(2026 - 05 - 20))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (may.version.version, may.records[0].get("負担区分")),
            (2, Some("現役並みⅠ")),
            "{e}"
        );
        assert_eq!(may.records[0].since_version, 2, "{e}");
        assert!(
            fuhon
                .records_as_of("koiki-13", kind, &b2, date!(2026 - 03 - 31))
                .await
                .unwrap()
                .is_none(),
            "{e}"
        );
        let b10 = self.branch_of(10).await;
        let june = fuhon
            .records_as_of("koiki-13", kind, &b10, date!(2026 - 07 - 01))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (june.version.version, june.records.len()),
            (3, 0),
            "{e}: deleted in version 3"
        );
        let b3 = self.branch_of(3).await;
        let june3 = fuhon
            .records_as_of("koiki-13", kind, &b3, date!(2026 - 06 - 01))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            june3.records[0].get("資格喪失年月日"),
            Some("2026-05-31"),
            "{e}"
        );
    }

    async fn inquiries_are_answered_from_the_fuhon_in_force(&self) {
        let e = self.e;
        let (b2, b10) = (self.branch_of(2).await, self.branch_of(10).await);
        let may = self
            .svc
            .store()
            .records_as_of("koiki-13", KIND, &b2, date!(2026 - 05 - 20))
            .await
            .unwrap()
            .unwrap();
        // Inquiries for 資格情報 (J04) are answered from the 副本 in force that day, naming the
        // version; before the first version, from the registered 資格; a deleted record is "no
        // record"; kinds without a 副本 version yet have nothing.
        use crate::inquiry::answer::{answer_as_of, SOURCE_ITEM};
        let may_answer = answer_as_of(&self.store, "koiki-13", &b2, "J04", date!(2026 - 05 - 20))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(may_answer["負担区分"], "現役並みⅠ", "{e}");
        assert_eq!(
            may_answer["被保険者番号"], may.records[0].insured_number,
            "{e}"
        );
        assert_eq!(
            may_answer[SOURCE_ITEM],
            format!("副本 第2版（基準日 {}）", may.version.as_of),
            "{e}"
        );
        let before = answer_as_of(&self.store, "koiki-13", &b2, "J04", date!(2026 - 03 - 31))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(before[SOURCE_ITEM], "加入者情報（資格履歴）", "{e}");
        assert_eq!(
            answer_as_of(&self.store, "koiki-13", &b10, "J04", date!(2026 - 07 - 01))
                .await
                .unwrap(),
            None,
            "{e}: deleted from the 副本"
        );
        assert_eq!(
            answer_as_of(&self.store, "koiki-13", &b2, "J07", date!(2026 - 07 - 01))
                .await
                .unwrap(),
            None,
            "{e}: no 葬祭費 副本 uploaded"
        );
    }

    /// Version 4 after a crash mid-commit; its rows and its upload.
    async fn a_crash_mid_commit_keeps_the_previous_version(&self) -> (Vec<Vec<String>>, Upload) {
        let e = self.e;
        let kind = KIND;
        let fuhon = self.svc.store();
        let b2 = self.branch_of(2).await;
        // A crash in the middle of a commit leaves the previous version intact and readable;
        // sending the file again makes exactly one new version.
        let v4_rows: Vec<Vec<String>> = (1..=10).map(|i| shikaku(i, "2", "一般Ⅱ", "")).collect();
        fuhon.simulate_crash_after(3);
        let crashed = self.full(&v4_rows, "2026-07-01", "a4").await;
        assert!(
            matches!(crashed.outcome, Err(FuhonError::Store(_))),
            "{e}: {:?}",
            crashed.outcome
        );
        fuhon.simulate_crash_after(0);
        assert_eq!(
            versions(&self.svc, "koiki-13", TOKYO, kind).await,
            [3, 2, 1],
            "{e}"
        );
        let still = fuhon
            .records_as_of("koiki-13", kind, &b2, date!(2026 - 07 - 02))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (still.version.version, still.records[0].get("負担区分")),
            (3, Some("現役並みⅠ")),
            "{e}"
        );
        let v4 = self.full(&v4_rows, "2026-07-01", "a4").await;
        assert_eq!(
            (
                committed(&v4).version,
                committed(&v4).changed,
                committed(&v4).added
            ),
            (4, 9, 1),
            "{e}"
        );
        let resent = self.full(&v4_rows, "2026-07-01", "a4").await;
        assert_eq!(committed(&resent).version, 4, "{e}");
        assert_eq!(
            versions(&self.svc, "koiki-13", TOKYO, kind).await,
            [4, 3, 2, 1],
            "{e}"
        );

        (v4_rows, v4)
    }

    async fn another_insurer_can_neither_write_nor_read(
        &self,
        v4_rows: &[Vec<String>],
        v4: &Upload,
    ) {
        let e = self.e;
        let kind = KIND;
        let fuhon = self.svc.store();
        let b2 = self.branch_of(2).await;
        // Tenancy: another insurer can neither write nor read this tenant's 副本.
        let foreign = upload(
            &self.svc,
            "koiki-01",
            TOKYO,
            kind,
            UploadMode::Full,
            v4_rows,
            "2026-07-01",
            "x",
        )
        .await;
        assert!(matches!(foreign, Err(FuhonError::Forbidden(_))), "{e}");
        let own_number = upload(
            &self.svc,
            "koiki-01",
            HOKKAIDO,
            kind,
            UploadMode::Full,
            v4_rows,
            "2026-07-01",
            "y",
        )
        .await
        .unwrap();
        let codes: Vec<String> = refused(&own_number)
            .into_iter()
            .map(|(_, _, c)| c)
            .collect();
        assert!(
            codes.iter().all(|c| c == "FOREIGN_INSURER_NUMBER"),
            "{e}: {codes:?}"
        );
        assert!(
            versions(&self.svc, "koiki-01", HOKKAIDO, kind)
                .await
                .is_empty(),
            "{e}"
        );
        let peek = self
            .svc
            .drift(
                &koiki("koiki-01"),
                FuhonDriftRequest {
                    insurer_number: InsurerNumber::parse(HOKKAIDO).unwrap(),
                    session: v4.session.clone(),
                    after: None,
                },
            )
            .await;
        assert!(matches!(peek, Err(FuhonError::UnknownSession)), "{e}");
        assert!(
            fuhon
                .records_as_of("koiki-01", kind, &b2, date!(2026 - 07 - 02))
                .await
                .unwrap()
                .is_none(),
            "{e}"
        );
    }

    async fn drift_names_each_difference(&self, v4_rows: &[Vec<String>]) {
        let e = self.e;
        let kind = KIND;
        // Drift: a 正本 extract where 5 differs, 6 is missing and 11 is unknown to the 副本.
        let mut master = v4_rows.to_vec();
        master[4][6] = "現役並みⅡ".into();
        master[4][5] = "3".into();
        master.remove(5);
        master.push(shikaku(11, "1", "一般Ⅰ", ""));
        let check = upload(
            &self.svc,
            "koiki-13",
            TOKYO,
            kind,
            UploadMode::Check,
            &master,
            "2026-07-01",
            "m",
        )
        .await
        .unwrap();
        assert!(
            matches!(check.outcome, Ok(CommitFuhonResponse::Checked { version: Some(ref v) }) if v.version == 4),
            "{e}"
        );
        let page = self
            .svc
            .drift(
                &koiki("koiki-13"),
                FuhonDriftRequest {
                    insurer_number: InsurerNumber::parse(TOKYO).unwrap(),
                    session: check.session.clone(),
                    after: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(page.next, None, "{e}");
        let got: Vec<(String, DriftKind, Option<String>)> = page
            .rows
            .iter()
            .map(|r| (r.key.clone(), r.drift, r.field.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    insured(5),
                    DriftKind::Different,
                    Some("一部負担金の割合".to_string())
                ),
                (
                    insured(5),
                    DriftKind::Different,
                    Some("負担区分".to_string())
                ),
                (insured(6), DriftKind::MissingInMaster, None),
                (insured(11), DriftKind::MissingInFuhon, None),
            ],
            "{e}"
        );
        assert_eq!(
            versions(&self.svc, "koiki-13", TOKYO, kind).await,
            [4, 3, 2, 1],
            "{e}: a check makes no version"
        );
    }
}

#[tokio::test]
async fn fuhon_behaves_the_same_on_every_engine() {
    renkei_wire::tls::install_crypto_provider();
    for engine in engines("fuhon") {
        let suite = Suite::start(&engine).await;
        let (_v1, v2) = suite.full_files_make_versions().await;
        suite.a_bad_file_changes_nothing(&v2).await;
        suite.deltas_apply_in_order_or_not_at_all().await;
        suite.reads_as_of_a_day_find_the_version_in_force().await;
        suite.inquiries_are_answered_from_the_fuhon_in_force().await;
        let (v4_rows, v4) = suite.a_crash_mid_commit_keeps_the_previous_version().await;
        suite
            .another_insurer_can_neither_write_nor_read(&v4_rows, &v4)
            .await;
        suite.drift_names_each_difference(&v4_rows).await;
    }
}
