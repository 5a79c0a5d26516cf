//! Jobs of every kind left running by a stop (as a crash leaves them: rows still `running`)
//! are, at the next start of `renkei web`, resumed when their files are still on disk and
//! sending again is harmless (J-LIS query files, 副本), left 中断 to be continued on request
//! (registration), or failed with the reason when they cannot go on.

use std::path::Path;
use std::time::Duration;

use renkei_terminal::web::store::{
    JlisBatch, Job, JobKind, JobStatus, Upload, UploadStatus, WebStore,
};

use super::*;

fn job(id: &str, tenant: &str, kind: JobKind, file_name: &str, params: &str, input: &str) -> Job {
    Job {
        id: id.into(),
        tenant: tenant.into(),
        kind,
        login_id: "clerk".into(),
        file_name: file_name.into(),
        params: params.into(),
        input: input.into(),
        result: String::new(),
        status: JobStatus::Running,
        done: 0,
        total: 0,
        counts: "[0,0,0]".into(),
        outcome: String::new(),
        reason: String::new(),
        created_at: 1_700_000_000,
        finished_at: None,
    }
}

fn batch(id: &str, tenant: &str) -> JlisBatch {
    JlisBatch {
        id: id.into(),
        tenant: tenant.into(),
        login_id: "asker".into(),
        insurer_number: "39131156".into(),
        purpose: renkei_wire::msg::registry::DEFAULT_PURPOSE.into(),
        file_name: "照会.csv".into(),
        status: "running".into(),
        rows_total: 0,
        rows_done: 0,
        found: 0,
        not_found: 0,
        errors: 0,
        error: String::new(),
        created_at: 1_700_000_000,
        finished_at: None,
    }
}

fn copy_into(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap();
}

fn get_json(url: &str, cookie: &str, path: &str) -> serde_json::Value {
    let r = http("GET", &format!("{url}{path}"), &[("Cookie", cookie)], b"");
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    serde_json::from_slice(&r.body).unwrap()
}

fn wait_for(url: &str, cookie: &str, path: &str, status: &str) -> serde_json::Value {
    let start = std::time::Instant::now();
    loop {
        let p = get_json(url, cookie, path);
        if p["status"] == status {
            return p;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{path} never became {status}: {p}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn jobs_cut_off_by_a_stop_resume_or_say_why_they_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sandbox = SandboxProcess::start(d, &["--subscribers", "300"]);
    let data = sandbox.data();
    let profile = renkei_terminal::profile::SandboxProfile::load(&data).unwrap();
    let tokyo = profile.insurer("39131156").unwrap();
    let tenant = tokyo.code.as_str();
    let config = d.join("web.toml");
    write_web_config(
        &config,
        d,
        &profile,
        tokyo,
        &profile.intermediate_url,
        "",
        "",
    );
    add_account(
        &config,
        tenant,
        "clerk",
        "登録 太郎",
        "registration",
        "clerk-password",
    );
    add_account(
        &config,
        tenant,
        "asker",
        "照会 花子",
        "inquiry",
        "asker-password",
    );

    // The files: subscribers registered (副本 rows refer to them), a 副本 file, a query file.
    let (subscribers, _) = synth_subscribers(d, "subscribers.csv", &["--count", "300"]);
    let reg = register(&data, "39131156", &subscribers, &d.join("reg.csv"), &[]);
    assert!(
        reg.status.success(),
        "{}",
        String::from_utf8_lossy(&reg.stderr)
    );
    let (fuhon_file, _) = synth_fuhon(d, "資格_全件.csv", &["--kind", "資格", "--count", "300"]);
    let people: Vec<_> = people(&subscribers).into_iter().take(6).collect();
    let queries = d.join("照会.csv");
    write_jlis_queries(&queries, &people, str::to_owned);

    // What a crash leaves: rows still running, each kind with and without its file on disk.
    let web = d.join("web");
    let (jlis_ok, jlis_gone) = ("a".repeat(32), "b".repeat(32));
    let (fuhon_ok, fuhon_gone) = ("c".repeat(32), "d".repeat(32));
    let upload_id = "e".repeat(32);
    copy_into(&queries, &web.join(format!("jlis/{jlis_ok}/query.csv")));
    copy_into(
        &fuhon_file,
        &web.join(format!("fuhon/{tenant}/{fuhon_ok}/資格_全件.csv")),
    );
    copy_into(
        &subscribers,
        &web.join(format!("uploads/{upload_id}/input.csv")),
    );
    let fuhon_params =
        r#"{"insurer_number":"39131156","kind":"shikaku","mode":"full","as_of":null}"#;
    let jlis_params = format!(
        r#"{{"insurer_number":"39131156","purpose":"{}"}}"#,
        renkei_wire::msg::registry::DEFAULT_PURPOSE
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = WebStore::open_url(&format!("sqlite:{}", web.join("terminal.db").display()))
            .await
            .unwrap();
        for id in [&jlis_ok, &jlis_gone] {
            store.insert_jlis_batch(&batch(id, tenant)).await.unwrap();
            let mut j = job(
                id,
                tenant,
                JobKind::JlisBatch,
                "照会.csv",
                &jlis_params,
                &format!("jlis/{id}/query.csv"),
            );
            (j.login_id, j.result) = ("asker".into(), format!("jlis/{id}/answer.csv"));
            store.insert_job(&j).await.unwrap();
        }
        for id in [&fuhon_ok, &fuhon_gone] {
            let input = format!("fuhon/{tenant}/{id}/資格_全件.csv");
            let j = job(
                id,
                tenant,
                JobKind::Fuhon,
                "資格_全件.csv",
                fuhon_params,
                &input,
            );
            store.insert_job(&j).await.unwrap();
        }
        let upload = Upload {
            id: upload_id.clone(),
            tenant: tenant.into(),
            insurer_number: "39131156".into(),
            login_id: "clerk".into(),
            file_name: "加入者.csv".into(),
            status: UploadStatus::Running,
            rows_total: 0,
            rows_done: 0,
            registered: 0,
            held: 0,
            error: String::new(),
            parent_id: String::new(),
            parent_line: 0,
            created_at: 1_700_000_000,
            finished_at: None,
        };
        store.insert_upload(&upload).await.unwrap();
        let params = r#"{"insurer_number":"39131156"}"#;
        let mut j = job(
            &upload_id,
            tenant,
            JobKind::Registration,
            "加入者.csv",
            params,
            &format!("uploads/{upload_id}/input.csv"),
        );
        j.result = format!("uploads/{upload_id}/result.csv");
        store.insert_job(&j).await.unwrap();
    });

    let (process, url) = start_web(&config);
    let clerk = sign_in(&url, "clerk", "clerk-password");
    let asker = sign_in(&url, "asker", "asker-password");

    // J-LIS: the file on disk is answered again, from its first row, to the end.
    let p = wait_for(
        &url,
        &asker,
        &format!("/jlis/batches/{jlis_ok}/progress"),
        "done",
    );
    assert_eq!(
        (p["found"].as_i64(), p["errors"].as_i64()),
        (Some(people.len() as i64), Some(1)),
        "{p}"
    );
    let answer = http(
        "GET",
        &format!("{url}/jlis/batches/{jlis_ok}/answer.csv"),
        &[("Cookie", &asker)],
        b"",
    );
    assert_eq!(answer.status, 200);
    // …the one whose file is gone says so.
    let p = get_json(&url, &asker, &format!("/jlis/batches/{jlis_gone}/progress"));
    assert_eq!(p["status"], "failed", "{p}");
    assert!(
        p["error"]
            .as_str()
            .unwrap()
            .contains("照会ファイルが端末に残っていない"),
        "{p}"
    );

    // 副本: the file on disk is sent again and makes its version…
    let p = wait_for(
        &url,
        &clerk,
        &format!("/fuhon/jobs/{fuhon_ok}/progress"),
        "done",
    );
    assert_eq!(p["version"]["version"], 1, "{p}");
    assert_eq!(p["rows_done"], p["rows_total"], "{p}");
    // …the one whose file is gone says so.
    let p = get_json(&url, &clerk, &format!("/fuhon/jobs/{fuhon_gone}/progress"));
    assert_eq!(p["status"], "failed", "{p}");
    assert!(
        p["message"]
            .as_str()
            .unwrap()
            .contains("副本ファイルが端末に残っていない"),
        "{p}"
    );

    // Registration waits for 「続きから再送する」.
    let p = progress(&url, &clerk, &upload_id);
    assert_eq!(p["status"], "interrupted", "{p}");
    let page = http(
        "GET",
        &format!("{url}/registrations/{upload_id}"),
        &[("Cookie", &clerk)],
        b"",
    )
    .text();
    assert!(page.contains("続きから再送する"), "{page}");

    stop_web(process);
    sandbox.stop();
}
