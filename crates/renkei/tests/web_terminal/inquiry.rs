//! 情報照会 in the browser: each kind of answer read, and roles enforced.

use super::*;

/// Fills the inquiry form (lists chosen by code, after checking the provider is offered by
/// its Japanese name) and sends it.
fn inquire(b: &Browser, branch: &str, task: &str, info: &str, provider: &str, provider_name: &str) {
    let offered = b.script(
        "const o = Array.from(document.querySelectorAll('#provider option')).find(o => o.value === arguments[0]);
         return o ? o.textContent : null;",
        json!([provider]),
    );
    assert_eq!(
        offered.as_str(),
        Some(provider_name),
        "provider listed by name"
    );
    b.clear("#branch");
    b.type_into("#branch", branch);
    let set = b.script(
        "const [task, info, provider] = arguments;
         for (const [id, v] of [['task', task], ['info', info], ['provider', provider]]) {
           const s = document.getElementById(id);
           if (!Array.from(s.options).some(o => o.value === v)) return id + ' has no ' + v;
           s.value = v;
         }
         return 'ok';",
        json!([task, info, provider]),
    );
    assert_eq!(set.as_str(), Some("ok"));
    b.click("#inquire");
}

#[test]
fn browser_inquiry_reads_each_kind_of_answer_and_roles_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let (sandbox, web) = start_sandbox(dir.path());
    let data = sandbox.data();
    let sample = data.join("samples/加入者情報_東京都.csv");
    let out = dir.path().join("result.csv");
    let reg = register(&data, "39131156", &sample, &out, &[]);
    assert!(
        reg.status.success(),
        "{}",
        String::from_utf8_lossy(&reg.stderr)
    );
    let results = read_result(&out);
    let (setagaya, branch) = registered_in(&sample, &results, "世田谷区");
    let (_, nerima_branch) = registered_in(&sample, &results, "練馬区");
    let driver = Driver::start(dir.path());
    let b = driver.session();

    login(&b, &web, "koiki-13-shoukai", "shoukai-demo");
    b.click("nav a[href='/inquiries']");
    b.find("#inquiry-form");
    assert!(b.text("#task").contains("後期高齢者医療の保険料の賦課"));
    assert!(b.text("#info").contains("地方税関係情報"));
    assert!(
        !b.text("#provider").contains(TOKYO),
        "the office does not ask itself"
    );
    assert_japanese_renders(&b);
    b.screenshot("inquiries");

    // 情報あり: 地方税関係情報 of a 世田谷区 resident, as 世田谷区 holds it.
    inquire(&b, &branch, "K01", "J01", "city-131121", "世田谷区");
    b.find("#inquiry");
    assert_eq!(b.text("#kind"), "情報あり");
    assert_eq!(b.text("#provider"), "世田谷区");
    let expected = renkei_agency::holdings::synthetic(setagaya as u64)
        .into_iter()
        .find(|(c, _)| *c == "J01")
        .map(|(_, items)| items)
        .expect("世田谷区 holds 地方税関係情報 for its residents");
    let shown = b.script(
        "return Array.from(document.querySelectorAll('#answer-items tr')).slice(1)
           .map(tr => Array.from(tr.cells).map(td => td.textContent));",
        json!([]),
    );
    let shown: Vec<(String, String)> = serde_json::from_value::<Vec<[String; 2]>>(shown)
        .unwrap()
        .into_iter()
        .map(|[k, v]| (k, v))
        .collect();
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(k, v)| (k, if v.is_empty() { "—".into() } else { v }))
        .collect();
    assert_eq!(shown, expected, "the data as 世田谷区 holds it");
    assert!(!b.exists("#resend"), "an answered inquiry is not re-sent");
    let data_path = b.current_url()[web.len()..].to_owned();
    b.screenshot("inquiry-data");

    // 拒否: 資格情報 is not for 保険料の賦課; the rule is named.
    b.goto(&format!("{web}/inquiries"));
    inquire(&b, &branch, "K01", "J04", "city-131121", "世田谷区");
    b.find("#inquiry");
    assert_eq!(b.text("#kind"), "拒否");
    assert_eq!(b.text("#refusal-code"), "info_not_for_task");
    assert!(b.text("#refusal").contains("資格情報") || b.text("#refusal").contains("J04"));
    b.screenshot("inquiry-refused");

    // 該当なし: 住民票関係情報 of a 練馬区 resident asked at 世田谷区.
    b.goto(&format!("{web}/inquiries"));
    inquire(&b, &nerima_branch, "K01", "J02", "city-131121", "世田谷区");
    b.find("#inquiry");
    assert_eq!(b.text("#kind"), "該当なし");

    // An unknown 枝番 is no exchange: the form says so, keeping what was entered.
    b.goto(&format!("{web}/inquiries"));
    inquire(&b, "9999999999", "K01", "J01", "city-131121", "世田谷区");
    assert!(b.text("#form-error").contains("9999999999"));
    assert_eq!(
        b.attribute("#branch", "value").as_deref(),
        Some("9999999999")
    );

    // The office's inquiries, newest first.
    let list = b.text("#inquiries");
    for kind in ["情報あり", "拒否", "該当なし"] {
        assert!(list.contains(kind), "{kind} in:\n{list}");
    }
    assert!(list.contains("令和") && list.contains("世田谷区"), "{list}");
    assert_eq!(
        b.script("return document.querySelectorAll('#inquiries td.kind-data, #inquiries td.kind-refused, #inquiries td.kind-no_record').length;", json!([])),
        json!(3)
    );
    // A re-send is only for 応答なし; a wrong CSRF token is refused first.
    let csrf = page_csrf(&b);
    assert_eq!(
        b.fetch(&format!("{data_path}/resend"), "POST", &[("csrf", "0000")])
            .0,
        403
    );
    assert_eq!(
        b.fetch(&format!("{data_path}/resend"), "POST", &[("csrf", &csrf)])
            .0,
        400
    );
    logout(&b, &web);

    // 登録担当 has no 照会担当 role: 403 for the page, an inquiry and its form post.
    login(&b, &web, "koiki-13-touroku", "touroku-demo");
    assert!(!b.exists("nav a[href='/inquiries']"));
    let csrf = page_csrf(&b);
    assert_eq!(b.fetch("/inquiries", "GET", &[]).0, 403);
    assert_eq!(b.fetch(&data_path, "GET", &[]).0, 403);
    let form = [
        ("csrf", csrf.as_str()),
        ("insurer_number", "39131156"),
        ("branch", branch.as_str()),
        ("task", "K01"),
        ("info", "J01"),
        ("provider", "city-131121"),
    ];
    assert_eq!(b.fetch("/inquiries", "POST", &form).0, 403);
    assert_eq!(
        b.fetch(&format!("{data_path}/resend"), "POST", &[("csrf", &csrf)])
            .0,
        403
    );
    assert_eq!(
        b.fetch("/jlis/batches", "POST", &[("csrf", &csrf)]).0,
        403,
        "J-LIS too"
    );
    logout(&b, &web);

    // Osaka's inquiry clerk sees nothing of Tokyo's inquiries.
    login(&b, &web, "koiki-27-shoukai", "shoukai-demo");
    let (status, body) = b.fetch(&data_path, "GET", &[]);
    assert_eq!(status, 404);
    assert!(!body.contains(&branch));
    let (status, list) = b.fetch("/inquiries", "GET", &[]);
    assert_eq!(status, 200);
    assert!(!list.contains(&branch) && list.contains("まだ照会はありません"));
    logout(&b, &web);

    // The office log has the inquiries, with their answers.
    login(&b, &web, "koiki-13-kanri", "kanri-demo");
    b.goto(&format!("{web}/log"));
    let log = b.text("#log");
    assert!(log.contains("情報照会"), "{log}");
    assert!(
        log.contains("情報あり") && log.contains("拒否（info_not_for_task）"),
        "{log}"
    );
    logout(&b, &web);
    b.quit();
    sandbox.stop();
}
