//! The job table, run against every engine.

use renkei_store::testing::engines;

use super::*;

fn job(id: &str, tenant: &str, kind: JobKind, created_at: i64) -> Job {
    Job {
        id: id.into(),
        tenant: tenant.into(),
        kind,
        login_id: "clerk".into(),
        file_name: "副本.csv".into(),
        params: r#"{"insurer_number":"39131156"}"#.into(),
        input: format!("fuhon/{tenant}/{id}/副本.csv"),
        result: String::new(),
        status: JobStatus::Running,
        done: 0,
        total: 0,
        counts: "[0,0,0]".into(),
        outcome: String::new(),
        reason: String::new(),
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
async fn jobs_keep_progress_and_outcome_within_their_tenant() {
    each_engine("web_jobs", async |s| {
        let mut j = job("f1", "koiki-13", JobKind::Fuhon, 10);
        s.insert_job(&j).await.unwrap();
        assert_eq!(s.job("koiki-13", "f1").await.unwrap().as_ref(), Some(&j));
        assert_eq!(
            s.job("koiki-27", "f1").await.unwrap(),
            None,
            "another tenant's"
        );

        s.job_progress("f1", 40, 100, "[2,0,0]").await.unwrap();
        let running = s.job("koiki-13", "f1").await.unwrap().unwrap();
        assert_eq!(
            (running.done, running.total, running.counts.as_str()),
            (40, 100, "[2,0,0]")
        );

        (j.status, j.done, j.total, j.counts) = (JobStatus::Done, 100, 100, "[2,0,0]".into());
        (j.outcome, j.result, j.finished_at) = (
            r#"{"refused":true}"#.into(),
            "fuhon/koiki-13/f1/drift.csv".into(),
            Some(99),
        );
        s.update_job(&j).await.unwrap();
        assert_eq!(s.job("koiki-13", "f1").await.unwrap().as_ref(), Some(&j));
        // Progress arriving after the end changes nothing.
        s.job_progress("f1", 1, 1, "[0,0,0]").await.unwrap();
        assert_eq!(s.job("koiki-13", "f1").await.unwrap().as_ref(), Some(&j));
    })
    .await;
}

#[tokio::test]
async fn fuhon_jobs_are_listed_newest_first_and_unfinished_ones_found_after_a_stop() {
    each_engine("web_jobs_list", async |s| {
        s.insert_job(&job("f1", "koiki-13", JobKind::Fuhon, 10))
            .await
            .unwrap();
        s.insert_job(&job("f2", "koiki-13", JobKind::Fuhon, 20))
            .await
            .unwrap();
        s.insert_job(&job("r1", "koiki-13", JobKind::Registration, 30))
            .await
            .unwrap();
        s.insert_job(&job("j1", "koiki-27", JobKind::JlisBatch, 5))
            .await
            .unwrap();
        let mut failed = job("f0", "koiki-13", JobKind::Fuhon, 1);
        (failed.status, failed.reason) = (JobStatus::Failed, "理由".into());
        s.insert_job(&failed).await.unwrap();

        let newest = PageQuery {
            sort: "created_at",
            desc: true,
            offset: 0,
            limit: 2,
        };
        let (rows, total) = s.fuhon_jobs("koiki-13", newest).await.unwrap();
        assert_eq!(total, 3, "the tenant's 副本 jobs only");
        assert_eq!(
            rows.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
            ["f2", "f1"]
        );

        let unfinished = s.unfinished_jobs().await.unwrap();
        assert_eq!(
            unfinished
                .iter()
                .map(|j| (j.id.as_str(), j.kind))
                .collect::<Vec<_>>(),
            [
                ("j1", JobKind::JlisBatch),
                ("f1", JobKind::Fuhon),
                ("f2", JobKind::Fuhon),
                ("r1", JobKind::Registration)
            ],
            "every tenant's running jobs, oldest first"
        );
    })
    .await;
}

#[test]
fn kinds_and_statuses_round_trip() {
    for k in [JobKind::Registration, JobKind::JlisBatch, JobKind::Fuhon] {
        assert_eq!(JobKind::parse(k.as_str()).unwrap(), k);
    }
    for st in [
        JobStatus::Running,
        JobStatus::Done,
        JobStatus::Failed,
        JobStatus::Interrupted,
    ] {
        assert_eq!(JobStatus::parse(st.as_str()).unwrap(), st);
    }
    assert!(JobKind::parse("backup").is_err());
    assert!(JobStatus::parse("paused").is_err());
}
