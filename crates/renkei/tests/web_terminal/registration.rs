//! Registration in the browser: the whole flow from sign-in to a corrected resend, and roles,
//! CSRF and tenants enforced on its pages.

use super::*;

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
    let csrf = page_csrf(&b);
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
    let csrf = page_csrf(&b);
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
