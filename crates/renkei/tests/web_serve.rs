//! The web terminal outside the sandbox: `renkei web --config FILE add-account` creates the
//! office's first 管理者, `renkei web --config FILE` serves until SIGTERM, and that account
//! signs in over HTTP.

mod support;
mod webdriver;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use support::*;
use webdriver::http;

fn cookie_value(r: &webdriver::Response, name: &str) -> Option<String> {
    r.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

#[test]
fn web_serves_from_a_config_file_and_its_first_admin_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let out = renkei()
        .args(["pki", "--dir"])
        .arg(&pki)
        .args([
            "issue",
            "--code",
            "koiki-13",
            "--role",
            "insurer",
            "--name",
            "東京都後期高齢者医療広域連合",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = dir.path().join("web.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:0"
store = "sqlite:{dir}/web/terminal.db"
data_dir = "{dir}/web"
intermediate_url = "https://127.0.0.1:9"
ca = "{pki}/ca.pem"
session_idle_secs = 600

[[insurers]]
code = "koiki-13"
name = "東京都後期高齢者医療広域連合"
insurer_numbers = ["39131156"]
cert = "{pki}/koiki-13.pem"
key = "{pki}/koiki-13.key"
"#,
            dir = dir.path().display(),
            pki = pki.display()
        ),
    )
    .unwrap();
    assert!(
        pki.join("ca.pem").exists() && pki.join("koiki-13.pem").exists(),
        "pki file names"
    );

    let add = |tenant: &str, login: &str, password: &str| {
        renkei()
            .args(["web", "--config"])
            .arg(&config)
            .args([
                "add-account",
                "--tenant",
                tenant,
                "--login-id",
                login,
                "--name",
                "管理 花子",
                "--role",
                "admin",
                "--role",
                "registration",
            ])
            .env("RENKEI_WEB_PASSWORD", password)
            .output()
            .unwrap()
    };
    let ok = add("koiki-13", "tokyo-admin", "correct horse battery");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let again = add("koiki-13", "tokyo-admin", "correct horse battery");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("既に使われています"));
    let stranger = add("koiki-99", "someone", "correct horse battery");
    assert!(String::from_utf8_lossy(&stranger.stderr).contains("koiki-99"));
    let short = add("koiki-13", "short-pw", "short");
    assert!(String::from_utf8_lossy(&short.stderr).contains("10文字以上"));

    let (child, url) = start_web(&config);

    let page = http("GET", &format!("{url}/login"), &[], b"");
    assert_eq!(page.status, 200);
    let login_csrf = cookie_value(&page, "renkei_login_csrf").expect("login CSRF cookie");
    let cookie = format!("renkei_login_csrf={login_csrf}");
    let form =
        |password: &str| format!("login_id=tokyo-admin&password={password}&csrf={login_csrf}");
    let post = |body: String| {
        http(
            "POST",
            &format!("{url}/login"),
            &[
                ("Cookie", &cookie),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        )
    };
    assert_eq!(post(form("wrong+password")).status, 401);
    let signed_in = post(form("correct+horse+battery"));
    assert_eq!(
        (signed_in.status, signed_in.header("location")),
        (303, Some("/"))
    );
    let session = cookie_value(&signed_in, "renkei_session").expect("session cookie");
    assert!(signed_in.header("set-cookie").unwrap().contains("HttpOnly"));
    let home = http(
        "GET",
        &format!("{url}/"),
        &[("Cookie", &format!("renkei_session={session}"))],
        b"",
    );
    assert_eq!(home.status, 200);
    let text = home.text();
    assert!(
        text.contains("管理 花子") && text.contains("東京都後期高齢者医療広域連合"),
        "{text}"
    );
    assert!(
        text.contains("職員アカウント") && text.contains("加入者情報の登録"),
        "menu follows the roles"
    );
    // Only the upload takes large bodies; a huge login form is refused before it is read.
    let huge = vec![b'a'; 3 * 1024 * 1024];
    let r = http(
        "POST",
        &format!("{url}/login"),
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &huge,
    );
    assert_eq!(r.status, 413);
    // Without the login page's cookie the form is refused.
    let forged = http(
        "POST",
        &format!("{url}/login"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form("correct+horse+battery").as_bytes(),
    );
    assert_eq!(forged.status, 403);

    stop_web(child);
}

/// A `renkei web` process, killed if a test fails before stopping it.
struct WebProcess(Option<std::process::Child>);

impl Drop for WebProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `renkei web --config` on `config`, returning the process and its URL.
fn start_web(config: &std::path::Path) -> (WebProcess, String) {
    let mut child = renkei()
        .args(["web", "--config"])
        .arg(config)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut url = String::new();
    for _ in 0..200 {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(at) = line.find("http://") {
            url = line[at..].trim().trim_end_matches('/').to_owned();
            break;
        }
    }
    assert!(!url.is_empty(), "renkei web prints its URL");
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (WebProcess(Some(child)), url)
}

fn stop_web(mut process: WebProcess) {
    let mut child = process.0.take().unwrap();
    signal(&child, "TERM");
    let status = wait_with_limit(&mut child, Duration::from_secs(30));
    assert!(
        status.success(),
        "renkei web stops cleanly on SIGTERM: {status}"
    );
}

/// Signs in over HTTP; returns the session cookie header value.
fn sign_in(url: &str, login_id: &str, password: &str) -> String {
    let page = http("GET", &format!("{url}/login"), &[], b"");
    let csrf = cookie_value(&page, "renkei_login_csrf").unwrap();
    let body = format!("login_id={login_id}&password={password}&csrf={csrf}");
    let r = http(
        "POST",
        &format!("{url}/login"),
        &[
            ("Cookie", &format!("renkei_login_csrf={csrf}")),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    format!(
        "renkei_session={}",
        cookie_value(&r, "renkei_session").unwrap()
    )
}

/// The CSRF token of the signed-in session, from a form on `path`.
fn csrf_of(url: &str, cookie: &str, path: &str) -> String {
    let page = http("GET", &format!("{url}{path}"), &[("Cookie", cookie)], b"").text();
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    page[at..at + 64].to_owned()
}

fn progress(url: &str, cookie: &str, id: &str) -> serde_json::Value {
    let r = http(
        "GET",
        &format!("{url}/registrations/{id}/progress"),
        &[("Cookie", cookie)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    serde_json::from_slice(&r.body).unwrap()
}

fn wait_status(url: &str, cookie: &str, id: &str, status: &str) -> serde_json::Value {
    let start = std::time::Instant::now();
    loop {
        let p = progress(url, cookie, id);
        if p["status"] == status {
            return p;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "upload never became {status}: {p}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_upload_cut_off_by_a_stop_continues_after_the_restart_and_registers_each_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = SandboxProcess::start(dir.path(), &["--subscribers", "300"]);
    let profile = renkei_terminal::profile::SandboxProfile::load(&sandbox.data()).unwrap();
    let tokyo = profile.insurer("39131156").unwrap();
    let unreachable = {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("https://127.0.0.1:{port}")
    };
    let config = dir.path().join("web.toml");
    let write_config = |intermediate: &str| {
        std::fs::write(
            &config,
            format!(
                r#"listen = "127.0.0.1:0"
store = "sqlite:{web}/terminal.db"
data_dir = "{web}"
intermediate_url = "{intermediate}"
ca = "{ca}"
retry_for_secs = 120

[[insurers]]
code = "{code}"
name = "{name}"
insurer_numbers = ["39131156"]
cert = "{cert}"
key = "{key}"
"#,
                web = dir.path().join("web").display(),
                ca = profile.ca.display(),
                code = tokyo.code,
                name = tokyo.name,
                cert = tokyo.cert.display(),
                key = tokyo.key.display(),
            ),
        )
        .unwrap()
    };
    write_config(&unreachable);
    let add = renkei()
        .args(["web", "--config"])
        .arg(&config)
        .args([
            "add-account",
            "--tenant",
            &tokyo.code,
            "--login-id",
            "clerk",
            "--name",
            "登録 太郎",
            "--role",
            "registration",
        ])
        .env("RENKEI_WEB_PASSWORD", "clerk-password")
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );

    // Upload while the intermediate server is out of reach: the upload keeps retrying…
    let (web, url) = start_web(&config);
    let cookie = sign_in(&url, "clerk", "clerk-password");
    let csrf = csrf_of(&url, &cookie, "/registrations");
    let sample = std::fs::read(sandbox.data().join("samples/加入者情報_東京都.csv")).unwrap();
    let rows = sample
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count()
        - 1;
    let boundary = "renkei-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf.as_str()), ("insurer_number", "39131156")] {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"東京.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
    body.extend_from_slice(&sample);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = http(
        "POST",
        &format!("{url}/registrations"),
        &[
            ("Cookie", &cookie),
            (
                "Content-Type",
                &format!("multipart/form-data; boundary={boundary}"),
            ),
        ],
        &body,
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let id = r
        .header("location")
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let p = wait_status(&url, &cookie, &id, "running");
    assert_eq!(p["rows_done"], 0);
    // …until the web terminal stops: at the next start it is 中断, offering the re-send.
    std::thread::sleep(Duration::from_millis(500));
    stop_web(web);
    write_config(&profile.intermediate_url);
    let (web, url) = start_web(&config);
    let cookie = sign_in(&url, "clerk", "clerk-password");
    let p = progress(&url, &cookie, &id);
    assert_eq!(
        (p["status"].as_str(), p["status_label"].as_str()),
        (Some("interrupted"), Some("中断"))
    );
    let page = http(
        "GET",
        &format!("{url}/registrations/{id}"),
        &[("Cookie", &cookie)],
        b"",
    )
    .text();
    assert!(page.contains("続きから再送する"), "{page}");

    let csrf = csrf_of(&url, &cookie, &format!("/registrations/{id}"));
    let form = format!("csrf={csrf}");
    let r = http(
        "POST",
        &format!("{url}/registrations/{id}/retry"),
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    );
    assert_eq!(r.status, 303);
    let p = wait_status(&url, &cookie, &id, "done");
    assert_eq!(
        (
            p["rows_done"].as_u64(),
            p["registered"].as_u64(),
            p["held"].as_u64()
        ),
        (Some(rows as u64), Some(rows as u64), Some(0))
    );
    let result = http(
        "GET",
        &format!("{url}/registrations/{id}/result.csv"),
        &[("Cookie", &cookie)],
        b"",
    );
    assert_eq!(result.status, 200);
    let text = result.text();
    assert_eq!(
        text.lines().filter(|l| l.contains(",登録,")).count(),
        rows,
        "every row registered once"
    );

    // A finished upload is not sent again.
    let again = http(
        "POST",
        &format!("{url}/registrations/{id}/retry"),
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    );
    assert_eq!(again.status, 303, "a finished upload is not sent again");
    assert_eq!(progress(&url, &cookie, &id)["status"], "done");
    stop_web(web);
    sandbox.stop();
}

/// The inquiry's HTML form post; returns the response.
fn post_form(url: &str, cookie: &str, path: &str, form: &[(&str, &str)]) -> webdriver::Response {
    let body: Vec<String> = form
        .iter()
        .map(|(k, v)| format!("{k}={}", percent(v)))
        .collect();
    http(
        "POST",
        &format!("{url}{path}"),
        &[
            ("Cookie", cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body.join("&").as_bytes(),
    )
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

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
    let mut reader = csv::Reader::from_path(&sample).unwrap();
    let i = reader
        .records()
        .map(Result::unwrap)
        .position(|r| r[7].contains("世田谷区"))
        .expect("a subscriber living in 世田谷区");
    let branch = results
        .iter()
        .find(|r| r.line == i as u64 + 2)
        .unwrap()
        .branch
        .clone();

    let profile = renkei_terminal::profile::SandboxProfile::load(&data).unwrap();
    let tokyo = profile.insurer("39131156").unwrap();
    let unreachable = {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("https://127.0.0.1:{port}")
    };
    let config = dir.path().join("web.toml");
    let write_config = |intermediate: &str| {
        std::fs::write(
            &config,
            format!(
                r#"listen = "127.0.0.1:0"
store = "sqlite:{web}/terminal.db"
data_dir = "{web}"
intermediate_url = "{intermediate}"
ca = "{ca}"

[[insurers]]
code = "{code}"
name = "{name}"
insurer_numbers = ["39131156"]
cert = "{cert}"
key = "{key}"

[[providers]]
code = "city-131121"
name = "世田谷区"
"#,
                web = dir.path().join("web").display(),
                ca = profile.ca.display(),
                code = tokyo.code,
                name = tokyo.name,
                cert = tokyo.cert.display(),
                key = tokyo.key.display(),
            ),
        )
        .unwrap()
    };
    write_config(&unreachable);
    let add = renkei()
        .args(["web", "--config"])
        .arg(&config)
        .args([
            "add-account",
            "--tenant",
            &tokyo.code,
            "--login-id",
            "asker",
            "--name",
            "照会 次郎",
            "--role",
            "inquiry",
        ])
        .env("RENKEI_WEB_PASSWORD", "asker-password")
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
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
