//! ログイン停止 over HTTP: the web terminal runs in-process on a free port (no insurer, so no
//! network is needed) and is driven like a browser would — the login page's CSRF cookie, the
//! form, the session cookie. Lock periods are a few seconds so that tests can outwait them.

use std::path::Path;
use std::time::Duration;

use renkei_store::testing::engines;
use renkei_store::StoreUrl;
use renkei_terminal::web::auth::{hash_password, now};
use renkei_terminal::web::store::{Account, PageQuery};
use renkei_terminal::web::{WebApp, WebConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

const TENANT: &str = "koiki-13";
const PASSWORD: &str = "correct horse battery";

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next()?.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }
}

/// One HTTP/1.1 request on its own connection.
async fn http(port: u16, method: &str, path: &str, cookie: &str, body: &str) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    Reply {
        status: status.parse().unwrap(),
        headers: lines
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        body: body.to_owned(),
    }
}

fn store_url(url: &StoreUrl) -> String {
    match url {
        StoreUrl::Sqlite(path) => format!("sqlite:{}", path.display()),
        StoreUrl::Postgres { conn, schema } => {
            let sep = if conn.contains('?') { '&' } else { '?' };
            format!("{conn}{sep}schema={schema}")
        }
    }
}

struct Terminal {
    app: WebApp,
    stop: watch::Sender<bool>,
    /// The login page's CSRF token, also sent as its cookie.
    csrf: String,
}

impl Terminal {
    /// A web terminal on `store` with a lock of `lock_secs`, `max` failures per login ID and
    /// `per_address` per client address.
    async fn start(store: &str, dir: &Path, lock_secs: i64, max: i64, per_address: i64) -> Self {
        let config: WebConfig = toml::from_str(&format!(
            r#"listen = "127.0.0.1:0"
store = "{store}"
data_dir = "{dir}"
intermediate_url = "https://127.0.0.1:9"
ca = "{dir}/ca.pem"
insurers = []
login_max_failures = {max}
login_lock_secs = {lock_secs}
login_max_failures_per_address = {per_address}
"#,
            dir = dir.display()
        ))
        .unwrap();
        let (stop, shutdown) = watch::channel(false);
        let app = WebApp::build(config, shutdown).await.unwrap();
        let page = http(app.port(), "GET", "/login", "", "").await;
        let csrf = page.cookie("renkei_login_csrf").unwrap();
        Terminal { app, stop, csrf }
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        self.app.wait().await;
    }

    async fn add(&self, login_id: &str, roles: &[&str]) {
        let account = Account {
            login_id: login_id.into(),
            tenant: TENANT.into(),
            display_name: format!("{login_id} さん"),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            password_hash: hash_password(PASSWORD),
            active: true,
            created_at: now(),
        };
        assert!(self.app.store().create_account(&account).await.unwrap());
    }

    async fn login(&self, login_id: &str, password: &str) -> Reply {
        let body = format!(
            "login_id={login_id}&password={}&csrf={}",
            password.replace(' ', "+"),
            self.csrf
        );
        let cookie = format!("renkei_login_csrf={}", self.csrf);
        http(self.app.port(), "POST", "/login", &cookie, &body).await
    }

    /// Signs in and returns the session cookie and the session's CSRF token.
    async fn session(&self, login_id: &str) -> (String, String) {
        let r = self.login(login_id, PASSWORD).await;
        assert_eq!(r.status, 303, "{login_id} signs in: {}", r.body);
        let cookie = format!("renkei_session={}", r.cookie("renkei_session").unwrap());
        let home = http(self.app.port(), "GET", "/", &cookie, "").await;
        let csrf = home.body.split("name=\"csrf\" value=\"").nth(1).unwrap();
        (cookie, csrf[..64].to_owned())
    }

    async fn office_log(&self) -> Vec<(String, String, String)> {
        let page = PageQuery {
            sort: "at",
            desc: false,
            offset: 0,
            limit: 1000,
        };
        let (entries, _) = self.app.store().log(TENANT, page).await.unwrap();
        entries
            .into_iter()
            .map(|e| (e.login_id, e.action, e.detail))
            .collect()
    }
}

fn assert_locked(r: &Reply) {
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(
        r.body.contains("一時的に停止されています") && r.body.contains("分までお待ちいただくか"),
        "{}",
        r.body
    );
}

/// A fresh SQLite store in `dir`.
fn sqlite(dir: &Path) -> String {
    format!("sqlite:{}/terminal.db", dir.display())
}

#[tokio::test]
async fn five_wrong_passwords_lock_an_id_even_against_the_right_one_until_the_lock_ends() {
    let dir = tempfile::tempdir().unwrap();
    let t = Terminal::start(&sqlite(dir.path()), dir.path(), 2, 5, 50).await;
    t.add("tokyo-touroku", &["registration"]).await;
    t.add("tokyo-shoukai", &["inquiry"]).await;
    for _ in 0..4 {
        assert_eq!(t.login("tokyo-touroku", "wrong").await.status, 401);
    }
    // The fifth failure locks, and says so.
    assert_locked(&t.login("tokyo-touroku", "wrong").await);
    let refused = t.login("tokyo-touroku", PASSWORD).await;
    assert_locked(&refused);
    assert_eq!(refused.cookie("renkei_session"), None);
    // Another ID is not affected.
    assert_eq!(t.login("tokyo-shoukai", PASSWORD).await.status, 303);
    let log = t.office_log().await;
    let locks: Vec<_> = log.iter().filter(|e| e.1 == "ログイン停止").collect();
    assert_eq!(locks.len(), 1, "{log:?}");
    assert_eq!(locks[0].0, "tokyo-touroku");
    assert!(
        locks[0].2.contains("5回") && locks[0].2.contains("127.0.0.1"),
        "{log:?}"
    );
    // After the lock period the right password works again.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(t.login("tokyo-touroku", PASSWORD).await.status, 303);
    t.stop().await;
}

#[tokio::test]
async fn a_successful_sign_in_resets_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let t = Terminal::start(&sqlite(dir.path()), dir.path(), 60, 5, 50).await;
    t.add("tokyo-touroku", &["registration"]).await;
    for _ in 0..4 {
        assert_eq!(t.login("tokyo-touroku", "wrong").await.status, 401);
    }
    assert_eq!(t.login("tokyo-touroku", PASSWORD).await.status, 303);
    for _ in 0..4 {
        assert_eq!(t.login("tokyo-touroku", "wrong").await.status, 401);
    }
    assert_eq!(t.login("tokyo-touroku", PASSWORD).await.status, 303);
    t.stop().await;
}

#[tokio::test]
async fn unknown_ids_are_locked_the_same_way_as_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let t = Terminal::start(&sqlite(dir.path()), dir.path(), 60, 5, 50).await;
    t.add("tokyo-touroku", &["registration"]).await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..6 {
        let k = t.login("tokyo-touroku", "wrong").await;
        let u = t.login("tokyo-nobody", "wrong").await;
        // The same page apart from the login ID echoed in the form.
        assert_eq!(
            k.body.replace("tokyo-touroku", "ID"),
            u.body.replace("tokyo-nobody", "ID")
        );
        known.push(k.status);
        unknown.push(u.status);
    }
    assert_eq!(known, [401, 401, 401, 401, 429, 429]);
    assert_eq!(known, unknown);
    t.stop().await;
}

#[tokio::test]
async fn failures_from_one_address_over_many_ids_lock_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let t = Terminal::start(&sqlite(dir.path()), dir.path(), 60, 5, 4).await;
    t.add("tokyo-touroku", &["registration"]).await;
    for id in ["a-one", "a-two", "a-three"] {
        assert_eq!(t.login(id, "wrong").await.status, 401);
    }
    let fourth = t.login("a-four", "wrong").await;
    assert_eq!(fourth.status, 429);
    assert!(fourth
        .body
        .contains("この端末からのログインの失敗が続いたため"));
    // Now no ID signs in from this address, not even with the right password.
    let r = t.login("tokyo-touroku", PASSWORD).await;
    assert_eq!(r.status, 429);
    assert!(
        r.body.contains("分までログインを受け付けていません"),
        "{}",
        r.body
    );
    t.stop().await;
}

#[tokio::test]
async fn an_administrator_unlocks_an_account_and_nobody_else_can() {
    let dir = tempfile::tempdir().unwrap();
    let t = Terminal::start(&sqlite(dir.path()), dir.path(), 600, 3, 50).await;
    t.add("tokyo-kanri", &["admin"]).await;
    t.add("tokyo-shoukai", &["inquiry"]).await;
    t.add("tokyo-touroku", &["registration"]).await;
    let (admin, admin_csrf) = t.session("tokyo-kanri").await;
    let (staff, staff_csrf) = t.session("tokyo-shoukai").await;
    for _ in 0..3 {
        t.login("tokyo-touroku", "wrong").await;
    }
    assert_locked(&t.login("tokyo-touroku", PASSWORD).await);

    let port = t.app.port();
    let list = http(port, "GET", "/accounts", &admin, "").await;
    assert!(list.body.contains("ログイン停止中（"), "{}", list.body);
    let edit = http(port, "GET", "/accounts/tokyo-touroku", &admin, "").await;
    assert!(edit.body.contains("停止を解除する"), "{}", edit.body);

    let unlock = "/accounts/tokyo-touroku/unlock";
    let by_staff = http(port, "POST", unlock, &staff, &format!("csrf={staff_csrf}")).await;
    assert_eq!(by_staff.status, 403);
    let forged = http(port, "POST", unlock, &admin, &format!("csrf={staff_csrf}")).await;
    assert_eq!(forged.status, 403);
    assert_locked(&t.login("tokyo-touroku", PASSWORD).await);

    let done = http(port, "POST", unlock, &admin, &format!("csrf={admin_csrf}")).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let list = http(port, "GET", "/accounts", &admin, "").await;
    assert!(!list.body.contains("ログイン停止中"));
    let log = t.office_log().await;
    assert!(
        log.iter()
            .any(|e| e.0 == "tokyo-kanri" && e.1 == "ログイン停止解除" && e.2 == "tokyo-touroku"),
        "{log:?}"
    );
    // Unlocked, and with a fresh count.
    assert_eq!(t.login("tokyo-touroku", "wrong").await.status, 401);
    assert_eq!(t.login("tokyo-touroku", PASSWORD).await.status, 303);
    t.stop().await;
}

#[tokio::test]
async fn a_lock_survives_a_restart_of_the_web_terminal() {
    for engine in engines("web_lock_restart") {
        eprintln!("engine {}", engine.engine());
        let dir = tempfile::tempdir().unwrap();
        let store = store_url(&engine.url);
        let t = Terminal::start(&store, dir.path(), 600, 5, 50).await;
        t.add("tokyo-touroku", &["registration"]).await;
        for _ in 0..5 {
            t.login("tokyo-touroku", "wrong").await;
        }
        assert_locked(&t.login("tokyo-touroku", PASSWORD).await);
        t.stop().await;

        let t = Terminal::start(&store, dir.path(), 600, 5, 50).await;
        assert_locked(&t.login("tokyo-touroku", PASSWORD).await);
        t.stop().await;
    }
}
