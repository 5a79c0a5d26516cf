//! 個人番号入手 in the browser: look-up, search and batch, with the number kept out of URLs and logs.

use super::*;

/// Waits on a J-LIS batch page until it is done, checking the progress never goes back.
fn wait_batch_done(b: &Browser) {
    let start = Instant::now();
    let mut last = 0u64;
    while !b.exists("#done") {
        assert!(
            !b.exists("#batch-error"),
            "batch failed: {}",
            b.text("#batch-error")
        );
        if let Some(p) = b
            .script(
                "var e = document.getElementById('percent'); return e ? e.textContent : null;",
                json!([]),
            )
            .as_str()
        {
            let p: u64 = p.trim().parse().unwrap();
            assert!(p >= last, "progress went back from {last} to {p}");
            last = p;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "batch did not finish"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(b.text("#percent"), "100");
}

#[test]
fn browser_jlis_lookup_search_and_batch_keep_the_number_out_of_urls_and_logs() {
    let dir = tempfile::tempdir().unwrap();
    let (sandbox, web) = start_sandbox(dir.path());
    let (file, _) = synth_subscribers(dir.path(), "people.csv", &["--count", "8"]);
    let people = people(&file);
    let driver = Driver::start(dir.path());
    let b = driver.session();
    login(&b, &web, "koiki-13-shoukai", "shoukai-demo");
    b.click("nav a[href='/jlis']");
    b.find("#lookup-form");
    assert_japanese_renders(&b);
    b.screenshot("jlis");

    // By 個人番号: the current 基本4情報; the number is in no URL and shown only masked.
    let [number, name, kana, birth, sex, address] = people[0].clone();
    b.type_into("#number", &number);
    b.click("#lookup");
    b.find("#lookup-answer");
    assert_eq!(b.text("#resident-name"), name);
    assert_eq!(b.text("#resident-address"), address);
    assert_eq!(b.text("#resident-removal"), "なし");
    assert!(!b.current_url().contains(&number));
    let html = b.script("return document.documentElement.outerHTML;", json!([]));
    assert!(
        !html.as_str().unwrap().contains(&number),
        "the number is not echoed back"
    );
    assert!(b.text("#lookup-answer").contains(&number[8..]));
    b.screenshot("jlis-lookup");
    // A wrong number: an error that does not repeat it.
    b.type_into("#number", "123456789012");
    b.click("#lookup");
    let error = b.text("#form-error");
    assert!(
        error.contains("個人番号") && !error.contains("123456789012"),
        "{error}"
    );

    // By 基本4情報: ranked candidates with score and per-item judgement.
    b.type_into("#name", &name.replace('\u{3000}', ""));
    b.type_into("#kana", &kana);
    b.type_into("#birth", &birth);
    b.script(
        "document.getElementById('sex').value = arguments[0];",
        json!([sex]),
    );
    b.type_into("#address", &address);
    b.click("#search");
    b.find("#search-answer");
    let first = b.script(
        "const r = document.querySelector('#candidates tr.candidate');
         return [r.querySelector('.my-number').textContent, r.querySelector('.score').textContent, r.textContent];",
        json!([]),
    );
    assert_eq!(
        first[0].as_str(),
        Some(number.as_str()),
        "the person ranks first"
    );
    let score: u32 = first[1].as_str().unwrap().trim().parse().unwrap();
    assert!(score > 0 && score <= 1000, "{score}");
    let row = first[2].as_str().unwrap();
    assert!(
        row.contains("一致") && row.contains("（"),
        "per-item judgement and 和暦: {row}"
    );
    assert_eq!(
        b.attribute("#birth", "value").as_deref(),
        Some(birth.as_str()),
        "the form keeps the query"
    );
    b.screenshot("jlis-search");
    // Without 生年月日 the form names the item.
    b.clear("#birth");
    b.script(
        "document.getElementById('birth').removeAttribute('required');",
        json!([]),
    );
    b.click("#search");
    assert!(b.text("#form-error").contains("生年月日"));

    // A query file: by number and by 基本4情報, one bad row; progress to 100 %, then the answers.
    let queries = dir.path().join("一括照会.csv");
    write_jlis_queries(&queries, &people, str::to_owned);
    b.goto(&format!("{web}/jlis"));
    b.type_into("#file", queries.to_str().unwrap());
    b.click("#upload");
    b.find("#status-box");
    wait_batch_done(&b);
    assert_eq!(b.text("#found"), people.len().to_string());
    assert_eq!(b.text("#errors"), "1");
    b.screenshot("jlis-batch-done");
    let href = b.attribute("#download", "href").unwrap();
    let (status, csv) = b.fetch(&href, "GET", &[]);
    assert_eq!(status, 200);
    let csv = csv.trim_start_matches('\u{feff}');
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    for (i, person) in people.iter().enumerate() {
        let reference = format!("Q{i}");
        let first = rows
            .iter()
            .find(|r| &r[0] == reference.as_str())
            .expect("answered");
        assert_eq!(
            &first[4],
            person[0].as_str(),
            "{reference}: the right person first"
        );
    }
    let bad = rows.iter().find(|r| &r[0] == "BAD").unwrap();
    assert_eq!(&bad[2], "エラー");
    assert!(bad[18].contains("生年月日"), "{bad:?}");
    let batch_path = b.current_url()[web.len()..].to_owned();
    logout(&b, &web);

    // 登録担当 gets 403; another insurer's staff 404; the office log has no 個人番号.
    login(&b, &web, "koiki-13-touroku", "touroku-demo");
    let csrf = page_csrf(&b);
    assert_eq!(b.fetch("/jlis", "GET", &[]).0, 403);
    assert_eq!(b.fetch(&batch_path, "GET", &[]).0, 403);
    let lookup = [
        ("csrf", csrf.as_str()),
        ("insurer_number", "39131156"),
        ("purpose", "subscriber"),
        ("number", number.as_str()),
    ];
    assert_eq!(b.fetch("/jlis/lookup", "POST", &lookup).0, 403);
    logout(&b, &web);
    login(&b, &web, "koiki-27-shoukai", "shoukai-demo");
    assert_eq!(b.fetch(&batch_path, "GET", &[]).0, 404);
    assert_eq!(
        b.fetch(&format!("{batch_path}/answer.csv"), "GET", &[]).0,
        404
    );
    logout(&b, &web);
    login(&b, &web, "koiki-13-kanri", "kanri-demo");
    b.goto(&format!("{web}/log"));
    let log = b.text("#log");
    for action in [
        "J-LIS 個人番号照会",
        "J-LIS 基本4情報検索",
        "J-LIS 一括照会 完了",
        "J-LIS 回答ファイル取得",
    ] {
        assert!(log.contains(action), "office log has {action}:\n{log}");
    }
    for person in &people {
        assert!(!log.contains(&person[0]), "no 個人番号 in the office log");
    }
    logout(&b, &web);
    b.quit();
    let sandbox_log = sandbox.stop();
    for person in &people {
        assert!(
            !sandbox_log.contains(&person[0]),
            "no 個人番号 in the log lines"
        );
    }
}
