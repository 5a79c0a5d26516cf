//! An inquiry the provider does not answer is re-sent from the web terminal under the same
//! 照会番号, and answered then.

use super::*;

#[test]
fn an_inquiry_without_an_answer_is_resent_under_the_same_number_and_then_answered() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = SandboxProcess::start(dir.path(), &["--subscribers", "300"]);
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
    let (_, branch) = registered_in(&sample, &results, "世田谷区");

    let profile = renkei_terminal::profile::SandboxProfile::load(&data).unwrap();
    let tokyo = profile.insurer("39131156").unwrap();
    let unreachable = unreachable_url();
    let config = dir.path().join("web.toml");
    let write_config = |intermediate: &str| {
        write_web_config(
            &config,
            dir.path(),
            &profile,
            tokyo,
            intermediate,
            "",
            "\n[[providers]]\ncode = \"city-131121\"\nname = \"世田谷区\"\n",
        )
    };
    write_config(&unreachable);
    add_account(
        &config,
        &tokyo.code,
        "asker",
        "照会 次郎",
        "inquiry",
        "asker-password",
    );

    // The intermediate server is out of reach: 応答なし, with the re-send button.
    let (web, url) = start_web(&config);
    let cookie = sign_in(&url, "asker", "asker-password");
    let csrf = csrf_of(&url, &cookie, "/inquiries");
    let form = [
        ("csrf", csrf.as_str()),
        ("insurer_number", "39131156"),
        ("branch", branch.as_str()),
        ("task", "K01"),
        ("info", "J01"),
        ("provider", "city-131121"),
    ];
    let r = post_form(&url, &cookie, "/inquiries", &form);
    assert_eq!(r.status, 303, "{}", r.text());
    let path = r.header("location").unwrap().to_owned();
    let page = http("GET", &format!("{url}{path}"), &[("Cookie", &cookie)], b"").text();
    assert!(
        page.contains("応答なし") && page.contains("id=\"resend\""),
        "{page}"
    );
    let request_id = path.rsplit('/').next().unwrap().to_owned();
    // Still out of reach: the same inquiry, one more attempt.
    let r = post_form(&url, &cookie, &format!("{path}/resend"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.text());
    let page = http("GET", &format!("{url}{path}"), &[("Cookie", &cookie)], b"").text();
    assert!(
        page.contains("送信 2 回") && page.contains("応答なし"),
        "{page}"
    );
    stop_web(web);

    // Reachable again: the re-send under the same 照会番号 is answered and recorded once.
    write_config(&profile.intermediate_url);
    let (web, url) = start_web(&config);
    let cookie = sign_in(&url, "asker", "asker-password");
    let csrf = csrf_of(&url, &cookie, &path);
    let r = post_form(&url, &cookie, &format!("{path}/resend"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.text());
    let page = http("GET", &format!("{url}{path}"), &[("Cookie", &cookie)], b"").text();
    assert!(
        page.contains("情報あり") && page.contains("送信 3 回") && page.contains(&request_id),
        "{page}"
    );
    assert!(page.contains("課税所得"), "the data is shown: {page}");
    assert!(!page.contains("id=\"resend\""), "answered: no more re-send");
    let list = http(
        "GET",
        &format!("{url}/inquiries"),
        &[("Cookie", &cookie)],
        b"",
    )
    .text();
    assert_eq!(
        list.matches(&format!("/inquiries/{request_id}")).count(),
        1,
        "one inquiry"
    );
    stop_web(web);
    sandbox.stop();
}
