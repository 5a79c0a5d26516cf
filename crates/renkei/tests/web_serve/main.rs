//! The web terminal outside the sandbox: `renkei web --config FILE add-account` creates the
//! office's first 管理者, `renkei web --config FILE` serves until SIGTERM, and that account
//! signs in over HTTP; an upload cut off by a stop continues after the restart
//! ([`resume`]); jobs of every kind cut off by a stop resume or say why they cannot
//! ([`restart_jobs`]); an inquiry without an answer is re-sent under the same number
//! ([`resend`]).

#[path = "../plain_http/mod.rs"]
mod plain_http;
#[path = "../support/mod.rs"]
mod support;

mod resend;
mod restart_jobs;
mod resume;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use plain_http::{http, Response};
use support::*;

fn cookie_value(r: &Response, name: &str) -> Option<String> {
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
    // Each refusal fails the command, says why, and creates nothing.
    let refused = |out: &std::process::Output, why: &str| {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(stderr.contains(why), "expected {why:?} in: {stderr}");
    };
    let again = add("koiki-13", "tokyo-admin", "correct horse battery");
    refused(&again, "ログインID tokyo-admin は既に使われています");
    let stranger = add("koiki-99", "someone", "correct horse battery");
    refused(
        &stranger,
        "機関コード koiki-99 は設定ファイルの insurers にありません",
    );
    let short = add("koiki-13", "short-pw", "short");
    refused(&short, "10文字以上");
    let accounts: Vec<(String, String)> = {
        let db = dir.path().join("web/terminal.db");
        let conn =
            rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap();
        let mut stmt = conn
            .prepare("SELECT tenant, login_id FROM accounts ORDER BY tenant, login_id")
            .unwrap();
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(
        accounts,
        [("koiki-13".to_owned(), "tokyo-admin".to_owned())],
        "only the first account exists"
    );

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

/// The inquiry's HTML form post; returns the response.
fn post_form(url: &str, cookie: &str, path: &str, form: &[(&str, &str)]) -> Response {
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

/// The address of a port nobody listens on: an intermediate server out of reach.
fn unreachable_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("https://127.0.0.1:{port}")
}

/// Writes `config`: a `renkei web` for 東京都's office with its data under `dir/web`, talking
/// to `intermediate`; `settings` go with the top-level ones, `tables` after the insurer.
fn write_web_config(
    config: &std::path::Path,
    dir: &std::path::Path,
    profile: &renkei_terminal::profile::SandboxProfile,
    tokyo: &renkei_terminal::profile::InsurerProfile,
    intermediate: &str,
    settings: &str,
    tables: &str,
) {
    std::fs::write(
        config,
        format!(
            r#"listen = "127.0.0.1:0"
store = "sqlite:{web}/terminal.db"
data_dir = "{web}"
intermediate_url = "{intermediate}"
ca = "{ca}"
{settings}
[[insurers]]
code = "{code}"
name = "{name}"
insurer_numbers = ["39131156"]
cert = "{cert}"
key = "{key}"
{tables}"#,
            web = dir.join("web").display(),
            ca = profile.ca.display(),
            code = tokyo.code,
            name = tokyo.name,
            cert = tokyo.cert.display(),
            key = tokyo.key.display(),
        ),
    )
    .unwrap()
}

/// `renkei web --config config add-account`: one account of `tenant`, which must be created.
fn add_account(
    config: &std::path::Path,
    tenant: &str,
    login_id: &str,
    name: &str,
    role: &str,
    password: &str,
) {
    let add = renkei()
        .args(["web", "--config"])
        .arg(config)
        .args(["add-account", "--tenant", tenant, "--login-id", login_id])
        .args(["--name", name, "--role", role])
        .env("RENKEI_WEB_PASSWORD", password)
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
}
