//! The web store suite, run against every engine.

use renkei_store::testing::engines;

use super::*;

fn account(login_id: &str, tenant: &str, roles: &[&str]) -> Account {
    Account {
        login_id: login_id.into(),
        tenant: tenant.into(),
        display_name: format!("{login_id} さん"),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into(),
        active: true,
        created_at: 1_700_000_000,
    }
}

fn upload(id: &str, tenant: &str, created_at: i64) -> Upload {
    Upload {
        id: id.into(),
        tenant: tenant.into(),
        insurer_number: "39131156".into(),
        login_id: "a".into(),
        file_name: "加入者.csv".into(),
        status: UploadStatus::Running,
        rows_total: 10,
        rows_done: 0,
        registered: 0,
        held: 0,
        error: String::new(),
        parent_id: String::new(),
        parent_line: 0,
        created_at,
        finished_at: None,
    }
}

async fn each_engine(name: &str, test: impl AsyncFn(WebStore)) {
    for engine in engines(name) {
        let store = WebStore::open(&engine.url).await.unwrap();
        eprintln!("engine {}", engine.engine());
        test(store).await;
    }
}

#[tokio::test]
async fn accounts_belong_to_their_tenant() {
    each_engine("web_accounts", async |s| {
        assert!(s
            .create_account(&account("tokyo-kanri", "koiki-13", &["admin"]))
            .await
            .unwrap());
        assert!(!s
            .create_account(&account("tokyo-kanri", "koiki-27", &[]))
            .await
            .unwrap());
        s.create_account(&account(
            "tokyo-touroku",
            "koiki-13",
            &["registration", "inquiry"],
        ))
        .await
        .unwrap();
        s.create_account(&account("osaka-kanri", "koiki-27", &["admin"]))
            .await
            .unwrap();

        let tokyo = s.accounts("koiki-13").await.unwrap();
        assert_eq!(
            tokyo
                .iter()
                .map(|a| a.login_id.as_str())
                .collect::<Vec<_>>(),
            ["tokyo-kanri", "tokyo-touroku"]
        );
        assert_eq!(tokyo[1].roles, ["registration", "inquiry"]);
        assert_eq!(
            s.account("tokyo-kanri").await.unwrap().unwrap().tenant,
            "koiki-13"
        );

        // Another tenant cannot change an account it does not own.
        let roles = vec!["admin".to_owned()];
        assert!(!s
            .update_account("koiki-27", "tokyo-touroku", "x", &roles, false)
            .await
            .unwrap());
        assert!(!s
            .set_password("koiki-27", "tokyo-touroku", "h")
            .await
            .unwrap());
        assert!(s
            .update_account("koiki-13", "tokyo-touroku", "登録 太郎", &roles, true)
            .await
            .unwrap());
        assert!(s
            .set_password("koiki-13", "tokyo-touroku", "new-hash")
            .await
            .unwrap());
        let changed = s.account("tokyo-touroku").await.unwrap().unwrap();
        assert_eq!(
            (
                changed.display_name.as_str(),
                changed.roles,
                changed.password_hash.as_str()
            ),
            ("登録 太郎", roles, "new-hash")
        );
    })
    .await;
}

#[tokio::test]
async fn sessions_expire_and_end_with_their_account() {
    each_engine("web_sessions", async |s| {
        s.create_account(&account("u1", "koiki-13", &["registration"]))
            .await
            .unwrap();
        let session = Session {
            token_hash: "th1".into(),
            login_id: "u1".into(),
            tenant: "koiki-13".into(),
            csrf: "c1".into(),
            created_at: 1000,
            expires_at: 2000,
        };
        s.create_session(&session).await.unwrap();
        assert_eq!(s.session("th1", 1999).await.unwrap(), Some(session.clone()));
        assert_eq!(s.session("th1", 2000).await.unwrap(), None, "expired");
        assert_eq!(s.session("other", 1500).await.unwrap(), None);
        s.touch_session("th1", 3000).await.unwrap();
        assert!(
            s.session("th1", 2500).await.unwrap().is_some(),
            "sliding expiry"
        );

        // A deactivated account's sessions stop working at once.
        s.update_account("koiki-13", "u1", "u1", &[], false)
            .await
            .unwrap();
        assert_eq!(s.session("th1", 1500).await.unwrap(), None);
        s.update_account("koiki-13", "u1", "u1", &[], true)
            .await
            .unwrap();
        assert!(s.session("th1", 1500).await.unwrap().is_some());
        s.delete_sessions_of("u1").await.unwrap();
        assert_eq!(s.session("th1", 1500).await.unwrap(), None);

        // Starting a session sweeps expired ones.
        s.create_session(&Session {
            token_hash: "old".into(),
            created_at: 10,
            expires_at: 20,
            ..session.clone()
        })
        .await
        .unwrap();
        s.create_session(&Session {
            token_hash: "new".into(),
            created_at: 30,
            expires_at: 90,
            ..session.clone()
        })
        .await
        .unwrap();
        s.touch_session("old", 100).await.unwrap();
        assert_eq!(
            s.session("old", 50).await.unwrap(),
            None,
            "swept, not revived"
        );
        s.delete_session("new").await.unwrap();
        assert_eq!(s.session("new", 50).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn office_log_pages_sorts_and_stays_in_its_tenant() {
    each_engine("web_log", async |s| {
        for i in 0..25 {
            s.append_log(&LogEntry {
                tenant: "koiki-13".into(),
                at: 1000 + i,
                login_id: format!("u{}", i % 3),
                action: "ログイン".into(),
                detail: format!("#{i}"),
            })
            .await
            .unwrap();
        }
        s.append_log(&LogEntry {
            tenant: "koiki-27".into(),
            at: 5000,
            login_id: "x".into(),
            action: "ログイン".into(),
            detail: "osaka".into(),
        })
        .await
        .unwrap();
        let newest = PageQuery {
            sort: "at",
            desc: true,
            offset: 0,
            limit: 10,
        };
        let (page, total) = s.log("koiki-13", newest).await.unwrap();
        assert_eq!(total, 25);
        assert_eq!(page.len(), 10);
        assert_eq!(page[0].detail, "#24");
        assert!(page.iter().all(|e| e.tenant == "koiki-13"));
        let (last, _) = s
            .log(
                "koiki-13",
                PageQuery {
                    offset: 20,
                    ..newest
                },
            )
            .await
            .unwrap();
        assert_eq!(
            last.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(),
            ["#4", "#3", "#2", "#1", "#0"]
        );
        let by_user = PageQuery {
            sort: "login_id",
            desc: false,
            offset: 0,
            limit: 30,
        };
        let (sorted, _) = s.log("koiki-13", by_user).await.unwrap();
        assert!(sorted.windows(2).all(|w| w[0].login_id <= w[1].login_id));
        let (osaka, total) = s.log("koiki-27", newest).await.unwrap();
        assert_eq!(
            (osaka.len(), total, osaka[0].detail.as_str()),
            (1, 1, "osaka")
        );
    })
    .await;
}

#[tokio::test]
async fn uploads_are_tenant_scoped_and_interrupted_on_restart() {
    each_engine("web_uploads", async |s| {
        s.insert_upload(&upload("u-a", "koiki-13", 100))
            .await
            .unwrap();
        s.insert_upload(&upload("u-b", "koiki-13", 200))
            .await
            .unwrap();
        s.insert_upload(&upload("u-c", "koiki-27", 300))
            .await
            .unwrap();
        assert_eq!(s.upload("koiki-27", "u-a").await.unwrap(), None);
        let done = UploadProgress {
            status: UploadStatus::Done,
            rows_total: 10,
            rows_done: 10,
            registered: 8,
            held: 2,
            error: String::new(),
            finished_at: Some(250),
        };
        s.update_upload("u-b", &done).await.unwrap();
        let b = s.upload("koiki-13", "u-b").await.unwrap().unwrap();
        assert_eq!(
            (b.status, b.registered, b.held, b.finished_at),
            (UploadStatus::Done, 8, 2, Some(250))
        );

        let page = PageQuery {
            sort: "created_at",
            desc: true,
            offset: 0,
            limit: 10,
        };
        let (list, total) = s.uploads("koiki-13", page).await.unwrap();
        assert_eq!(total, 2);
        assert_eq!(
            list.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
            ["u-b", "u-a"]
        );

        let fix = Upload {
            parent_id: "u-a".into(),
            parent_line: 7,
            ..upload("u-fix", "koiki-13", 400)
        };
        s.insert_upload(&fix).await.unwrap();
        let other = Upload {
            parent_id: "u-a".into(),
            ..upload("u-osaka", "koiki-27", 500)
        };
        s.insert_upload(&other).await.unwrap();
        assert_eq!(s.corrections("koiki-13", "u-a").await.unwrap(), vec![fix]);
        assert_eq!(s.corrections("koiki-13", "u-b").await.unwrap(), vec![]);

        assert_eq!(s.interrupt_running().await.unwrap(), 4);
        assert_eq!(
            s.upload("koiki-13", "u-a").await.unwrap().unwrap().status,
            UploadStatus::Interrupted
        );
        assert_eq!(
            s.upload("koiki-13", "u-b").await.unwrap().unwrap().status,
            UploadStatus::Done
        );
    })
    .await;
}

fn inquiry(id: &str, tenant: &str, created_at: i64) -> Inquiry {
    Inquiry {
        request_id: id.into(),
        tenant: tenant.into(),
        login_id: "a".into(),
        insurer_number: "39131156".into(),
        branch: "0000000001".into(),
        task: "K01".into(),
        info: "J01".into(),
        provider: "city-131121".into(),
        kind: "unavailable".into(),
        answer: r#"{"kind":"unavailable","message":"x"}"#.into(),
        record: 0,
        attempts: 1,
        created_at,
        answered_at: created_at,
    }
}

#[tokio::test]
async fn inquiries_are_tenant_scoped_and_resends_replace_the_answer() {
    each_engine("web_inquiries", async |s| {
        for i in 0..3 {
            assert!(s
                .save_inquiry(&inquiry(&format!("T-{i}"), "koiki-13", 100 + i))
                .await
                .unwrap());
        }
        s.save_inquiry(&inquiry("O-1", "koiki-27", 50))
            .await
            .unwrap();
        let page = PageQuery {
            sort: "created_at",
            desc: true,
            offset: 0,
            limit: 2,
        };
        let (rows, total) = s.inquiries("koiki-13", page).await.unwrap();
        assert_eq!(total, 3);
        assert_eq!(
            rows.iter()
                .map(|r| r.request_id.as_str())
                .collect::<Vec<_>>(),
            ["T-2", "T-1"]
        );
        // A re-send replaces the answer and counts the attempt; what was asked stays.
        let mut again = inquiry("T-0", "koiki-13", 900);
        again.kind = "data".into();
        again.answer = r#"{"kind":"data","items":{}}"#.into();
        again.record = 7;
        again.branch = "changed".into();
        assert!(s.save_inquiry(&again).await.unwrap());
        let got = s.inquiry("koiki-13", "T-0").await.unwrap().unwrap();
        assert_eq!(
            (
                got.kind.as_str(),
                got.record,
                got.attempts,
                got.branch.as_str()
            ),
            ("data", 7, 2, "0000000001")
        );
        assert_eq!((got.created_at, got.answered_at), (100, 900));
        // Another tenant can neither read nor overwrite it.
        assert_eq!(s.inquiry("koiki-27", "T-0").await.unwrap(), None);
        let mut theft = inquiry("T-0", "koiki-27", 1000);
        theft.kind = "no_record".into();
        assert!(!s.save_inquiry(&theft).await.unwrap());
        assert_eq!(
            s.inquiry("koiki-13", "T-0").await.unwrap().unwrap().kind,
            "data"
        );
        let (rows, total) = s.inquiries("koiki-27", page).await.unwrap();
        assert_eq!((rows.len(), total), (1, 1));
    })
    .await;
}

fn batch(id: &str, tenant: &str, created_at: i64) -> JlisBatch {
    JlisBatch {
        id: id.into(),
        tenant: tenant.into(),
        login_id: "a".into(),
        insurer_number: "39131156".into(),
        purpose: "subscriber".into(),
        file_name: "照会.csv".into(),
        status: "running".into(),
        rows_total: 0,
        rows_done: 0,
        found: 0,
        not_found: 0,
        errors: 0,
        error: String::new(),
        created_at,
        finished_at: None,
    }
}

#[tokio::test]
async fn jlis_batches_are_tenant_scoped_and_failed_on_restart() {
    each_engine("web_jlis", async |s| {
        s.insert_jlis_batch(&batch("b1", "koiki-13", 10))
            .await
            .unwrap();
        s.insert_jlis_batch(&batch("b2", "koiki-13", 20))
            .await
            .unwrap();
        s.insert_jlis_batch(&batch("o1", "koiki-27", 30))
            .await
            .unwrap();
        let mut done = batch("b1", "koiki-13", 10);
        (done.status, done.rows_total, done.rows_done) = ("done".into(), 5, 5);
        (done.found, done.not_found, done.errors, done.finished_at) = (3, 1, 1, Some(99));
        s.update_jlis_batch(&done).await.unwrap();
        assert_eq!(s.jlis_batch("koiki-13", "b1").await.unwrap(), Some(done));
        assert_eq!(s.jlis_batch("koiki-27", "b1").await.unwrap(), None);
        let page = PageQuery {
            sort: "created_at",
            desc: true,
            offset: 0,
            limit: 20,
        };
        let (rows, total) = s.jlis_batches("koiki-13", page).await.unwrap();
        assert_eq!(total, 2);
        assert_eq!(rows[0].id, "b2");
        assert_eq!(s.fail_running_jlis_batches("停止").await.unwrap(), 2);
        let b2 = s.jlis_batch("koiki-13", "b2").await.unwrap().unwrap();
        assert_eq!((b2.status.as_str(), b2.error.as_str()), ("failed", "停止"));
        let b1 = s.jlis_batch("koiki-13", "b1").await.unwrap().unwrap();
        assert_eq!(b1.status, "done", "a finished batch stays done");
    })
    .await;
}
