//! The web terminal in a real browser (headless Chromium over WebDriver), against a real
//! `renkei sandbox`: sign in, register a 加入者情報 file and watch it reach 100 %, download the
//! result, correct a held row and send it again, sign out; roles refuse pages and form posts
//! with 403; one insurer's session cannot read another's uploads; pages render with Japanese
//! fonts at 1366×768. Screenshots go to target/web-screenshots/.

mod support;
mod webdriver;

use std::time::{Duration, Instant};

use serde_json::json;
use support::*;
use webdriver::*;

const TOKYO: &str = "東京都後期高齢者医療広域連合";

fn start_sandbox(dir: &std::path::Path) -> (SandboxProcess, String) {
    let sandbox = SandboxProcess::start(dir, &["--subscribers", "400"]);
    let url = web_url(&sandbox.log_text());
    (sandbox, url)
}

fn login(b: &Browser, web: &str, login_id: &str, password: &str) {
    b.goto(&format!("{web}/login"));
    b.type_into("#login_id", login_id);
    b.type_into("#password", password);
    b.click("#login");
    b.find("#who");
}

fn logout(b: &Browser, web: &str) {
    b.goto(&format!("{web}/"));
    b.click("#logout");
    b.find("#login_id");
    assert!(b.current_url().ends_with("/login"));
    b.goto(&format!("{web}/"));
    assert!(
        b.current_url().ends_with("/login"),
        "signed out: the home page sends to the login page"
    );
}

/// A copy of the sandbox's Tokyo sample with one row's 生年月日 made impossible; returns the
/// file, its number of data rows, the broken row's line and the date it had.
fn file_with_one_bad_row(
    data: &std::path::Path,
    dir: &std::path::Path,
) -> (std::path::PathBuf, usize, u64, String) {
    let sample = std::fs::read_to_string(data.join("samples/加入者情報_東京都.csv")).unwrap();
    let mut lines: Vec<String> = sample.lines().map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let birth = header.iter().position(|h| *h == "生年月日").unwrap();
    let bad_line = 7u64;
    let mut fields: Vec<String> = lines[bad_line as usize - 1]
        .split(',')
        .map(str::to_owned)
        .collect();
    let original = std::mem::replace(&mut fields[birth], "1945-02-30".to_owned());
    lines[bad_line as usize - 1] = fields.join(",");
    let path = dir.join("加入者情報_ブラウザ.csv");
    std::fs::write(&path, lines.join("\r\n") + "\r\n").unwrap();
    (path, lines.len() - 1, bad_line, original)
}

/// Waits on an upload's page until it is done, checking the progress shown never goes back
/// and ends at 100 %.
fn wait_until_done(b: &Browser) {
    let start = Instant::now();
    let mut last = 0u64;
    loop {
        if b.exists("#done") {
            break;
        }
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
            !b.exists("#upload-error"),
            "upload failed: {}",
            b.text("#upload-error")
        );
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "registration did not finish"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(b.text("#percent"), "100");
    let bar = b.script(
        "return document.getElementById('progress').value;",
        json!([]),
    );
    assert_eq!(bar.as_f64(), Some(100.0), "the progress bar is full");
}

/// Japanese text is drawn with real glyphs: two different kanji drawn on a canvas in the
/// page's font differ (tofu boxes would be identical), a font of the page's stack with CJK
/// glyphs is present, and nothing overflows a 1366-pixel-wide window.
fn assert_japanese_renders(b: &Browser) {
    let v = b.script(
        "const font = getComputedStyle(document.body).fontFamily;
         function draw(ch) {
           const c = document.createElement('canvas'); c.width = 40; c.height = 40;
           const g = c.getContext('2d'); g.fillStyle = '#000'; g.font = '32px ' + font; g.fillText(ch, 2, 34);
           return Array.from(g.getImageData(0, 0, 40, 40).data).join(',');
         }
         const g = document.createElement('canvas').getContext('2d'); g.font = '20px ' + font;
         return { differ: draw('国') !== draw('口') && draw('連') !== draw('携'),
                  inked: draw('国') !== draw(' '),
                  ipa: document.fonts.check('20px IPAGothic', '統合専用端末'),
                  width: g.measureText('統合専用端末').width,
                  scroll: document.documentElement.scrollWidth, inner: window.innerWidth };",
        json!([]),
    );
    assert_eq!(
        v["differ"],
        json!(true),
        "kanji are drawn as distinct glyphs (no tofu): {v}"
    );
    assert_eq!(v["inked"], json!(true), "kanji are drawn at all: {v}");
    assert_eq!(v["ipa"], json!(true), "IPAGothic is available: {v}");
    let width = v["width"].as_f64().unwrap();
    assert!(
        (100.0..=140.0).contains(&width),
        "six full-width characters at 20px are ~120px wide: {v}"
    );
    assert_eq!(v["inner"], json!(1366), "window is 1366 wide: {v}");
    assert!(
        v["scroll"].as_u64().unwrap() <= 1366,
        "no horizontal overflow at 1366×768: {v}"
    );
}

#[test]
fn browser_registration_from_login_to_corrected_resend_and_logout() {
    let dir = tempfile::tempdir().unwrap();
    let (sandbox, web) = start_sandbox(dir.path());
    let (file, rows, bad_line, original_birth) = file_with_one_bad_row(&sandbox.data(), dir.path());
    let driver = Driver::start(dir.path());
    let b = driver.session();

    b.goto(&format!("{web}/login"));
    b.screenshot("login");
    assert_japanese_renders(&b);
    login(&b, &web, "koiki-13-touroku", "touroku-demo");
    assert_eq!(b.text("#tenant-name"), TOKYO);
    b.screenshot("home");

    // Upload under 39131156 and watch the progress reach 100 %.
    b.goto(&format!("{web}/registrations"));
    assert_japanese_renders(&b);
    b.screenshot("registrations");
    b.script(
        "document.getElementById('insurer_number').value = '39131156';",
        json!([]),
    );
    b.type_into("#file", file.to_str().unwrap());
    b.click("#upload");
    b.find("#status-box");
    let upload_url = b.current_url();
    wait_until_done(&b);
    assert_eq!(b.text("#registered"), (rows - 1).to_string());
    assert_eq!(b.text("#held"), "1");
    b.screenshot("upload-done");

    // Download the result file through the browser's session and check its rows.
    let href = b.attribute("#download", "href").unwrap();
    let (status, csv) = b.fetch(&href, "GET", &[]);
    assert_eq!(status, 200);
    let csv = csv.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let results: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(results.len(), rows, "one result row per input row");
    for r in &results {
        let line: u64 = r[0].parse().unwrap();
        if line == bad_line {
            assert_eq!((&r[2], &r[4]), ("保留", "INVALID_DATE"), "{r:?}");
            assert!(
                r[5].contains("生年月日"),
                "the reason names the field: {r:?}"
            );
        } else {
            assert_eq!(&r[2], "登録", "{r:?}");
            assert_eq!(r[3].len(), 10, "a 枝番 for each registered row: {r:?}");
        }
    }
    // The download is an attachment named after the file.
    let session = b.cookie("renkei_session").expect("session cookie");
    let response = http(
        "GET",
        &href,
        &[("Cookie", &format!("renkei_session={session}"))],
        b"",
    );
    assert_eq!(response.status, 200);
    assert!(response
        .header("content-disposition")
        .unwrap()
        .contains("attachment"));
    assert!(response.body.starts_with(b"\xEF\xBB\xBF"), "BOM for Excel");

    // The held row is listed with its reason; correct it and send it again.
    let held = b.text("#held-rows");
    assert!(
        held.contains("INVALID_DATE") && held.contains(&bad_line.to_string()),
        "{held}"
    );
    b.click("a.fix");
    b.find("#fix-form");
    assert!(b.text("#held-reason").contains("生年月日"));
    b.screenshot("held-edit");
    let birth = "input[data-column='生年月日']";
    assert_eq!(b.attribute(birth, "value").as_deref(), Some("1945-02-30"));
    b.clear(birth);
    b.type_into(birth, &original_birth);
    b.click("#resend");
    b.find("#status-box");
    wait_until_done(&b);
    assert_eq!(
        (b.text("#registered"), b.text("#held")),
        ("1".to_owned(), "0".to_owned())
    );
    b.screenshot("resend-done");
    b.goto(&upload_url);
    assert!(b.text("#held-rows").contains("再送済み（登録）"));

    // The office log shows what was done (read by the office's administrator).
    logout(&b, &web);
    login(&b, &web, "koiki-13-kanri", "kanri-demo");
    b.goto(&format!("{web}/log"));
    let log = b.text("#log");
    for action in [
        "ログイン",
        "加入者情報登録 開始",
        "加入者情報登録 完了",
        "結果ファイル取得",
        "保留分の再送",
        "ログアウト",
    ] {
        assert!(log.contains(action), "office log has {action}:\n{log}");
    }
    assert!(log.contains("令和"), "dates in 和暦: {log}");
    assert_japanese_renders(&b);
    b.screenshot("office-log");
    b.goto(&format!("{web}/accounts"));
    assert!(b.text("#accounts").contains("koiki-13-touroku"));
    b.screenshot("accounts");
    logout(&b, &web);
    b.quit();
    sandbox.stop();
}

#[test]
fn roles_csrf_and_tenants_are_enforced_in_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let (sandbox, web) = start_sandbox(dir.path());
    let driver = Driver::start(dir.path());
    let b = driver.session();

    // Tokyo's registration clerk uploads a file.
    login(&b, &web, "koiki-13-touroku", "touroku-demo");
    b.goto(&format!("{web}/registrations"));
    b.script(
        "document.getElementById('insurer_number').value = '39131156';",
        json!([]),
    );
    let sample = sandbox.data().join("samples/加入者情報_東京都.csv");
    b.type_into("#file", sample.to_str().unwrap());
    b.click("#upload");
    b.find("#status-box");
    wait_until_done(&b);
    let tokyo_upload = b.current_url();
    let tokyo_path = &tokyo_upload[web.len()..];

    // A file the intermediate server refuses (no 個人番号 column): the page says why and what
    // to do, and offers no re-send of the same file.
    let sample_text = std::fs::read_to_string(&sample).unwrap();
    let without_number: String = sample_text
        .lines()
        .map(|l| {
            l.split(',')
                .enumerate()
                .filter(|(i, _)| *i != 1)
                .map(|(_, f)| f)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let bad = dir.path().join("個人番号なし.csv");
    std::fs::write(&bad, without_number).unwrap();
    b.goto(&format!("{web}/registrations"));
    b.type_into("#file", bad.to_str().unwrap());
    b.click("#upload");
    let error = b
        .wait_for("#upload-error", Duration::from_secs(60))
        .map(|_| b.text("#upload-error"));
    assert!(
        error.as_deref().unwrap_or_default().contains("個人番号"),
        "{error:?}"
    );
    assert!(b.text("#failed-hint").contains("ファイルを直し"));
    assert!(!b.exists("#retry"), "no re-send of a refused file");
    assert_eq!(b.text("#status"), "失敗");
    b.screenshot("upload-refused");
    // A form post with a wrong CSRF token is refused.
    let (status, _) = b.fetch(&format!("{tokyo_path}/retry"), "POST", &[("csrf", "0000")]);
    assert_eq!(status, 403, "wrong CSRF token");
    // The clerk has no 管理者 role: 403 for the page and for its form post.
    let csrf = b.script(
        "return document.querySelector('input[name=csrf]').value;",
        json!([]),
    );
    let csrf = csrf.as_str().unwrap().to_owned();
    assert_eq!(b.fetch("/accounts", "GET", &[]).0, 403);
    assert_eq!(b.fetch("/log", "GET", &[]).0, 403);
    let create = [
        ("csrf", csrf.as_str()),
        ("login_id", "intruder"),
        ("display_name", "x"),
        ("password", "0123456789abc"),
        ("role_admin", "on"),
    ];
    assert_eq!(b.fetch("/accounts", "POST", &create).0, 403);
    b.goto(&format!("{web}/accounts"));
    assert!(b.text("#error-message").contains("管理者"));
    assert!(
        b.exists("#logout") && b.exists("nav"),
        "the 403 page keeps the menu and sign-out"
    );
    b.screenshot("forbidden");
    logout(&b, &web);

    // Tokyo's inquiry clerk: no 登録担当 role, so no registration page, upload or download.
    login(&b, &web, "koiki-13-shoukai", "shoukai-demo");
    assert!(
        !b.exists("nav a[href='/registrations']"),
        "the menu offers only what the roles allow"
    );
    let can_do = b.text("#can-do");
    assert!(
        can_do.contains("情報照会") && !can_do.contains("加入者情報の登録"),
        "{can_do}"
    );
    let csrf = b.script(
        "return document.querySelector('input[name=csrf]').value;",
        json!([]),
    );
    let csrf = csrf.as_str().unwrap().to_owned();
    assert_eq!(b.fetch("/registrations", "GET", &[]).0, 403);
    assert_eq!(b.fetch(tokyo_path, "GET", &[]).0, 403);
    assert_eq!(
        b.fetch(&format!("{tokyo_path}/result.csv"), "GET", &[]).0,
        403
    );
    assert_eq!(
        b.fetch(&format!("{tokyo_path}/retry"), "POST", &[("csrf", &csrf)])
            .0,
        403
    );
    assert_eq!(
        b.fetch(
            "/accounts",
            "POST",
            &[
                ("csrf", &csrf),
                ("login_id", "x"),
                ("display_name", "x"),
                ("password", "0123456789")
            ]
        )
        .0,
        403
    );
    logout(&b, &web);

    // Osaka's staff: Tokyo's upload, result, progress and accounts do not exist for them.
    login(&b, &web, "koiki-27-touroku", "touroku-demo");
    assert!(!b.text("#who").contains(TOKYO));
    for path in [
        tokyo_path.to_owned(),
        format!("{tokyo_path}/result.csv"),
        format!("{tokyo_path}/progress"),
    ] {
        let (status, body) = b.fetch(&path, "GET", &[]);
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("加入者情報_東京都"), "{path}");
    }
    let (status, list) = b.fetch("/registrations", "GET", &[]);
    assert_eq!(status, 200);
    assert!(
        !list.contains("加入者情報_東京都.csv"),
        "Tokyo's upload is not in Osaka's list"
    );
    // The same with Osaka's cookie outside the browser: the tenant comes from the session.
    let osaka = b.cookie("renkei_session").expect("session cookie");
    let r = http(
        "GET",
        &tokyo_upload,
        &[("Cookie", &format!("renkei_session={osaka}"))],
        b"",
    );
    assert_eq!(r.status, 404);
    logout(&b, &web);
    login(&b, &web, "koiki-27-kanri", "kanri-demo");
    assert_eq!(b.fetch("/accounts/koiki-13-touroku", "GET", &[]).0, 404);
    let (_, log) = b.fetch("/log", "GET", &[]);
    assert!(
        !log.contains("koiki-13"),
        "Osaka's office log holds nothing of Tokyo's"
    );
    logout(&b, &web);
    let r = http(
        "GET",
        &format!("{web}/log"),
        &[("Cookie", &format!("renkei_session={osaka}"))],
        b"",
    );
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/login")),
        "a signed-out cookie is dead"
    );

    // The operator page: every system healthy, with its counts.
    login(&b, &web, "operator", "operator-demo");
    b.goto(&format!("{web}/operator"));
    for system in ["registry", "hub", "intermediate"] {
        let text = b.text(&format!("#system-{system}"));
        assert!(text.contains("正常"), "{system}: {text}");
        assert!(
            text.contains("renkei_http_requests_total"),
            "{system}: {text}"
        );
    }
    assert_eq!(
        b.fetch("/registrations", "GET", &[]).0,
        403,
        "operators do not register"
    );
    assert_japanese_renders(&b);
    b.screenshot("operator");
    logout(&b, &web);
    b.quit();
    sandbox.stop();
}

/// (0-based position in the sample file, 枝番) of the first registered row whose address is in
/// `ward`.
fn registered_in(sample: &std::path::Path, results: &[ResultRow], ward: &str) -> (usize, String) {
    let mut reader = csv::Reader::from_path(sample).unwrap();
    let i = reader
        .records()
        .map(Result::unwrap)
        .position(|r| r[7].contains(ward))
        .unwrap_or_else(|| panic!("a subscriber living in {ward}"));
    let row = results.iter().find(|r| r.line == i as u64 + 2).unwrap();
    assert_eq!(row.result, "登録", "{row:?}");
    (i, row.branch.clone())
}

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
    let csrf = b
        .script(
            "return document.querySelector('input[name=csrf]').value;",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_owned();
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
    let csrf = b
        .script(
            "return document.querySelector('input[name=csrf]').value;",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_owned();
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

/// One row of a synthetic 加入者情報 file: (個人番号, 氏名, カナ, 生年月日, 性別, 住所).
fn people(file: &std::path::Path) -> Vec<[String; 6]> {
    let mut reader = csv::Reader::from_path(file).unwrap();
    let h = reader.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let cols = ["個人番号", "氏名", "氏名カナ", "生年月日", "性別", "住所"].map(col);
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            cols.map(|c| r[c].to_owned())
        })
        .collect()
}

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
    let mut w = csv::Writer::from_path(&queries).unwrap();
    w.write_record([
        "整理番号",
        "個人番号",
        "氏名",
        "氏名カナ",
        "生年月日",
        "性別",
        "住所",
    ])
    .unwrap();
    for (i, [number, name, kana, birth, sex, address]) in people.iter().enumerate() {
        let reference = format!("Q{i}");
        if i % 2 == 0 {
            w.write_record([reference.as_str(), number, "", "", "", "", ""])
                .unwrap();
        } else {
            w.write_record([reference.as_str(), "", name, kana, birth, sex, address])
                .unwrap();
        }
    }
    w.write_record(["BAD", "", "山田太郎", "", "", "", ""])
        .unwrap();
    w.flush().unwrap();
    drop(w);
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
    let csrf = b
        .script(
            "return document.querySelector('input[name=csrf]').value;",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_owned();
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

/// `renkei synth fuhon …` into `dir`; returns the file and the planted lines.
fn synth_fuhon(dir: &std::path::Path, name: &str, args: &[&str]) -> (std::path::PathBuf, Vec<u64>) {
    let file = dir.join(name);
    let planted = dir.join(format!("{name}.planted.csv"));
    let out = renkei()
        .args(["synth", "fuhon", "--out"])
        .arg(&file)
        .arg("--planted")
        .arg(&planted)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = Vec::new();
    if planted.exists() {
        for r in csv::Reader::from_path(&planted).unwrap().records() {
            lines.push(r.unwrap()[0].parse().unwrap());
        }
    }
    (file, lines)
}

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
    let csrf = b
        .script(
            "return document.querySelector('input[name=csrf]').value;",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_owned();
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
