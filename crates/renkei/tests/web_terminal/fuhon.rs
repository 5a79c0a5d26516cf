//! 副本 in the browser: upload, refusal, versions and drift.

use super::*;

/// Sends a 副本 file from the 副本 page and waits until its job ends.
fn send_fuhon(b: &Browser, web: &str, kind: &str, mode: &str, file: &std::path::Path) {
    b.goto(&format!("{web}/fuhon"));
    b.script(
        "document.getElementById('insurer_number').value = '39131156';
         document.getElementById('kind').value = arguments[0];
         document.getElementById('mode').value = arguments[1];",
        json!([kind, mode]),
    );
    b.type_into("#file", file.to_str().unwrap());
    b.click("#upload");
    b.find("#status-box");
    let start = Instant::now();
    let mut last = 0u64;
    loop {
        // Read in one script: the page reloads itself when the job ends.
        let v = b.script(
            "const s = document.getElementById('status'), p = document.getElementById('percent');
             return s && p && document.readyState === 'complete' ? [s.textContent, p.textContent] : null;",
            json!([]),
        );
        if let Some([status, percent]) = v
            .as_array()
            .map(|a| [a[0].as_str().unwrap(), a[1].as_str().unwrap()])
        {
            let p: u64 = percent.trim().parse().unwrap();
            assert!(
                p >= last || status != "処理中",
                "progress went back from {last} to {p}"
            );
            last = p;
            if status != "処理中" {
                break;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "副本 job did not finish"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn browser_fuhon_upload_refusal_versions_and_drift() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (sandbox, web) = start_sandbox(d);
    let data = sandbox.data();
    let (subscribers, _) = synth_subscribers(d, "subscribers.csv", &["--count", "300"]);
    let reg = register(&data, "39131156", &subscribers, &d.join("reg.csv"), &[]);
    assert!(
        reg.status.success(),
        "{}",
        String::from_utf8_lossy(&reg.stderr)
    );
    let (full0, _) = synth_fuhon(d, "資格_全件.csv", &["--kind", "資格", "--count", "300"]);
    let (full1, _) = synth_fuhon(
        d,
        "資格_正本.csv",
        &["--kind", "資格", "--count", "300", "--round", "1"],
    );
    let (bad, planted) = synth_fuhon(
        d,
        "葬祭費_誤り.csv",
        &["--kind", "葬祭費", "--count", "300", "--error-rate", "0.3"],
    );
    assert!(!planted.is_empty());
    let driver = Driver::start(d);
    let b = driver.session();
    login(&b, &web, "koiki-13-touroku", "touroku-demo");
    b.click("nav a[href='/fuhon']");
    b.find("#fuhon-form");
    assert!(b.text("#versions-shikaku").contains("まだ版はありません"));
    assert_japanese_renders(&b);

    // A full 資格情報 file: version 1, every record added, progress to 100 %.
    send_fuhon(&b, &web, "shikaku", "full", &full0);
    assert_eq!(b.text("#status"), "完了", "{}", b.text("#status-box"));
    assert_eq!(b.text("#percent"), "100");
    assert_eq!(b.text("#version-number"), "1");
    assert!(
        b.text("#version").contains("追加 300 件"),
        "{}",
        b.text("#version")
    );
    b.screenshot("fuhon-done");

    // Planted errors: refused, every planted line named, nothing changed.
    send_fuhon(&b, &web, "sosaihi", "full", &bad);
    assert_eq!(b.text("#status"), "不受理");
    let named: std::collections::BTreeSet<u64> = serde_json::from_value::<Vec<String>>(b.script(
        "return Array.from(document.querySelectorAll('#bad-rows tr')).slice(1).map(r => r.cells[0].textContent);",
        json!([]),
    ))
    .unwrap()
    .iter()
    .map(|l| l.parse().unwrap())
    .collect();
    for line in &planted {
        assert!(named.contains(line), "line {line} named: {named:?}");
    }
    assert!(b.text("#refused").contains("副本は変更していません"));
    b.screenshot("fuhon-refused");

    // The versions: 資格情報 has version 1, 葬祭費 none.
    b.goto(&format!("{web}/fuhon"));
    let versions = b.text("#versions-shikaku");
    assert!(
        versions.contains("全件") && versions.contains("300"),
        "{versions}"
    );
    assert!(b.text("#versions-sosaihi").contains("まだ版はありません"));
    assert!(b.text("#jobs").contains("不受理"));
    b.screenshot("fuhon");

    // A drift check against the next round's 正本: the differences, field by field, as a file.
    send_fuhon(&b, &web, "shikaku", "check", &full1);
    assert_eq!(b.text("#status"), "完了", "{}", b.text("#status-box"));
    let different: usize = b.text("#drift-different").replace(',', "").parse().unwrap();
    assert!(different > 0, "round 1 differs from round 0");
    let href = b.attribute("#download", "href").unwrap();
    let (status, csv) = b.fetch(&href, "GET", &[]);
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "差異",
            "被保険者番号",
            "キー",
            "項目",
            "副本の値",
            "正本の値",
            "正本の行番号"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.iter().filter(|r| &r[0] == "相違").count(), different);
    assert!(rows.iter().all(|r| &r[0] != "相違" || !r[3].is_empty()));
    b.screenshot("fuhon-drift");
    let job_path = b.current_url()[web.len()..].to_owned();
    // Still version 1: a check changes nothing.
    b.goto(&format!("{web}/fuhon"));
    assert!(!b.text("#versions-shikaku").contains("照合"));
    logout(&b, &web);

    // 照会担当 gets 403 for the page and the form post; Osaka's staff 404 for Tokyo's job.
    login(&b, &web, "koiki-13-shoukai", "shoukai-demo");
    let csrf = page_csrf(&b);
    assert_eq!(b.fetch("/fuhon", "GET", &[]).0, 403);
    assert_eq!(b.fetch(&job_path, "GET", &[]).0, 403);
    assert_eq!(b.fetch("/fuhon/jobs", "POST", &[("csrf", &csrf)]).0, 403);
    logout(&b, &web);
    login(&b, &web, "koiki-27-touroku", "touroku-demo");
    assert_eq!(b.fetch(&job_path, "GET", &[]).0, 404);
    assert_eq!(b.fetch(&format!("{job_path}/drift.csv"), "GET", &[]).0, 404);
    assert!(!b.fetch("/fuhon", "GET", &[]).1.contains("資格_全件.csv"));
    logout(&b, &web);
    login(&b, &web, "koiki-13-kanri", "kanri-demo");
    b.goto(&format!("{web}/log"));
    let log = b.text("#log");
    for action in [
        "副本登録 完了",
        "副本登録 不受理",
        "副本照合 完了",
        "差異ファイル取得",
    ] {
        assert!(log.contains(action), "office log has {action}:\n{log}");
    }
    logout(&b, &web);
    b.quit();
    sandbox.stop();
}
