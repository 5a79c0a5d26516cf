//! Failed sign-ins and locks in the store, run against every engine.

use renkei_store::testing::engines;

use super::*;

const LIMIT: FailureLimit = FailureLimit {
    max_failures: 3,
    window_secs: 100,
    lock_secs: 50,
};

async fn fail(s: &WebStore, subject: &str, now: i64) -> FailureCount {
    s.count_login_failure(FailureKind::LoginId, subject, now, LIMIT)
        .await
        .unwrap()
}

fn account(login_id: &str, tenant: &str) -> Account {
    Account {
        login_id: login_id.into(),
        tenant: tenant.into(),
        display_name: login_id.into(),
        roles: vec![],
        password_hash: String::new(),
        active: true,
        created_at: 0,
    }
}

#[tokio::test]
async fn failures_lock_within_the_window_and_the_lock_ends() {
    for engine in engines("web_throttle") {
        eprintln!("engine {}", engine.engine());
        let s = WebStore::open(&engine.url).await.unwrap();
        let id = FailureKind::LoginId;
        assert_eq!(fail(&s, "a", 1000).await.failures, 1);
        assert_eq!(fail(&s, "a", 1010).await.failures, 2);
        assert_eq!(s.login_locked_until(id, "a", 1010).await.unwrap(), None);
        let third = fail(&s, "a", 1020).await;
        assert_eq!((third.failures, third.locked_until), (3, Some(1070)));
        assert_eq!(
            s.login_locked_until(id, "a", 1069).await.unwrap(),
            Some(1070)
        );
        // Another ID and the same name as an address are counters of their own.
        assert_eq!(fail(&s, "b", 1020).await.failures, 1);
        assert_eq!(s.login_locked_until(id, "b", 1020).await.unwrap(), None);
        let address = s
            .count_login_failure(FailureKind::Address, "a", 1020, LIMIT)
            .await
            .unwrap();
        assert_eq!(
            address,
            FailureCount {
                failures: 1,
                locked_until: None
            }
        );

        // The lock survives a restart of the web terminal (a new store on the same database).
        drop(s);
        let s = WebStore::open(&engine.url).await.unwrap();
        assert_eq!(
            s.login_locked_until(id, "a", 1030).await.unwrap(),
            Some(1070)
        );
        // Once it has ended, counting starts afresh.
        assert_eq!(s.login_locked_until(id, "a", 1070).await.unwrap(), None);
        assert_eq!(
            fail(&s, "a", 1071).await,
            FailureCount {
                failures: 1,
                locked_until: None
            }
        );

        // Failures older than the window no longer count.
        assert_eq!(fail(&s, "c", 2000).await.failures, 1);
        assert_eq!(fail(&s, "c", 2050).await.failures, 2);
        assert_eq!(
            fail(&s, "c", 2101).await.failures,
            1,
            "window from 2000 passed"
        );
        assert_eq!(fail(&s, "c", 2110).await.failures, 2);

        // Clearing (a successful sign-in, an unlock) forgets failures and lifts a lock.
        fail(&s, "c", 2120).await;
        assert_eq!(
            s.login_locked_until(id, "c", 2120).await.unwrap(),
            Some(2170)
        );
        s.clear_login_failures(id, "c").await.unwrap();
        assert_eq!(s.login_locked_until(id, "c", 2120).await.unwrap(), None);
        assert_eq!(fail(&s, "c", 2121).await.failures, 1);
    }
}

#[tokio::test]
async fn a_tenant_sees_only_its_own_locked_accounts() {
    for engine in engines("web_locked_accounts") {
        eprintln!("engine {}", engine.engine());
        let s = WebStore::open(&engine.url).await.unwrap();
        for (login_id, tenant) in [
            ("tokyo-a", "koiki-13"),
            ("tokyo-b", "koiki-13"),
            ("osaka-a", "koiki-27"),
        ] {
            s.create_account(&account(login_id, tenant)).await.unwrap();
        }
        for login_id in ["tokyo-b", "osaka-a", "nobody"] {
            for t in 0..3 {
                fail(&s, login_id, 500 + t).await;
            }
        }
        fail(&s, "tokyo-a", 502).await;
        assert_eq!(
            s.locked_accounts("koiki-13", 510).await.unwrap(),
            [("tokyo-b".to_owned(), 552)]
        );
        assert_eq!(
            s.locked_accounts("koiki-27", 510).await.unwrap(),
            [("osaka-a".to_owned(), 552)]
        );
        assert!(s.locked_accounts("koiki-13", 552).await.unwrap().is_empty());
    }
}
