//! A small WebDriver client for the browser tests: Debian's chromium driven by its
//! chromedriver, over a blocking HTTP/1.1 client on std's TcpStream (no extra crates), plus
//! helpers to find the web terminal's URL and to write screenshots under target/.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// An HTTP response as received.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request over a fresh connection (`Connection: close`); `url` is `http://host:port/path`.
pub fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    // Servers may keep the connection open despite `Connection: close`, so the body is read
    // by its length (or its chunks) rather than to the end of the stream.
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before the response head");
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let chunked = find("transfer-encoding").is_some_and(|v| v.contains("chunked"));
    let length: Option<usize> = find("content-length").and_then(|v| v.parse().ok());
    let mut body = raw[split + 4..].to_vec();
    loop {
        let complete = if chunked {
            body.ends_with(b"0\r\n\r\n")
        } else if let Some(len) = length {
            body.len() >= len
        } else {
            method == "HEAD" || status == 204 || status == 304
        };
        if complete {
            break;
        }
        let n = stream.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&data[..end]);
        let size =
            usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

/// A chromedriver process on a free port.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub fn start(log_dir: &Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(log_dir.join("chromedriver.log")).unwrap();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("chromedriver must be installed (apt-get install chromium chromium-driver; .ci/run does)");
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        loop {
            let ready = TcpStream::connect(("127.0.0.1", port)).is_ok()
                && serde_json::from_slice::<Value>(
                    &http("GET", &format!("{url}/status"), &[], b"").body,
                )
                .map(|v| v["value"]["ready"] == json!(true))
                .unwrap_or(false);
            if ready {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, url }
    }

    /// A headless Chromium window of 1366×768.
    pub fn session(&self) -> Browser {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium_binary(),
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--window-size=1366,768", "--lang=ja-JP", "--disable-dev-shm-usage"]
            }
        }}});
        let v = call(&format!("{}/session", self.url), "POST", &caps);
        let id = v["value"]["sessionId"]
            .as_str()
            .expect("session id")
            .to_owned();
        Browser {
            base: format!("{}/session/{id}", self.url),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromium_binary() -> &'static str {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("/usr/bin/chromium")
}

fn call(url: &str, method: &str, body: &Value) -> Value {
    let body = if method == "GET" || method == "DELETE" {
        Vec::new()
    } else {
        serde_json::to_vec(body).unwrap()
    };
    let r = http(method, url, &[("Content-Type", "application/json")], &body);
    let v: Value = serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("{method} {url}: {e}: {}", r.text()));
    assert!(r.status < 300, "{method} {url}: {} {v}", r.status);
    v
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser session.
pub struct Browser {
    base: String,
}

impl Browser {
    fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        call(&format!("{}{path}", self.base), method, &body)["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }));
    }

    pub fn current_url(&self) -> String {
        self.cmd("GET", "/url", json!({}))
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The element matching `css`, waiting up to 10 s for it to appear.
    pub fn find(&self, css: &str) -> String {
        self.wait_for(css, Duration::from_secs(10))
            .unwrap_or_else(|| {
                panic!(
                    "no element {css} on {}:\n{}",
                    self.current_url(),
                    self.text("body")
                )
            })
    }

    pub fn wait_for(&self, css: &str, limit: Duration) -> Option<String> {
        let start = Instant::now();
        loop {
            let r = http(
                "POST",
                &format!("{}/element", self.base),
                &[("Content-Type", "application/json")],
                json!({"using": "css selector", "value": css})
                    .to_string()
                    .as_bytes(),
            );
            if r.status == 200 {
                let v: Value = serde_json::from_slice(&r.body).unwrap();
                let id = v["value"][ELEMENT].as_str();
                return Some(
                    id.unwrap_or_else(|| panic!("element {css}: {v}"))
                        .to_owned(),
                );
            }
            if start.elapsed() > limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn exists(&self, css: &str) -> bool {
        let v = self.cmd(
            "POST",
            "/elements",
            json!({"using": "css selector", "value": css}),
        );
        !v.as_array().unwrap().is_empty()
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.cmd(
            "POST",
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        );
    }

    pub fn clear(&self, css: &str) {
        let id = self.find(css);
        self.cmd("POST", &format!("/element/{id}/clear"), json!({}));
    }

    pub fn click(&self, css: &str) {
        let id = self.find(css);
        self.cmd("POST", &format!("/element/{id}/click"), json!({}));
    }

    pub fn text(&self, css: &str) -> String {
        let id = self.find(css);
        self.cmd("GET", &format!("/element/{id}/text"), json!({}))
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let id = self.find(css);
        self.cmd("GET", &format!("/element/{id}/property/{name}"), json!({}))
            .as_str()
            .map(str::to_owned)
    }

    pub fn script(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
    }

    /// Runs `script` with a callback as its last argument and returns what it was called with.
    pub fn script_async(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/async",
            json!({ "script": script, "args": args }),
        )
    }

    /// `fetch(path)` in the page (with its cookies): (status, body text).
    pub fn fetch(&self, path: &str, method: &str, form: &[(&str, &str)]) -> (u16, String) {
        let v = self.script_async(
            "const [path, method, form, done] = arguments;
             const opts = { method, credentials: 'same-origin', redirect: 'manual' };
             if (method === 'POST') { opts.body = new URLSearchParams(form); }
             fetch(path, opts).then(async r => done([r.status, await r.text()])).catch(e => done([0, String(e)]));",
            json!([path, method, form.iter().map(|(k, v)| vec![*k, *v]).collect::<Vec<_>>()]),
        );
        (
            v[0].as_u64().unwrap() as u16,
            v[1].as_str().unwrap_or_default().to_owned(),
        )
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let r = http("GET", &format!("{}/cookie/{name}", self.base), &[], b"");
        (r.status == 200).then(|| {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            v["value"]["value"].as_str().unwrap().to_owned()
        })
    }

    pub fn delete_cookies(&self) {
        self.cmd("DELETE", "/cookie", json!({}));
    }

    /// Saves a PNG of the window as `target/web-screenshots/<name>.png`; returns its path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let b64 = self.cmd("GET", "/screenshot", json!({}));
        let png = base64_decode(b64.as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    pub fn quit(self) {
        let _ = http("DELETE", &self.base, &[], b"");
    }
}

/// `target/web-screenshots`, next to the test binary's profile directory.
pub fn screenshot_dir() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_renkei"));
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("web-screenshots")
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let clean: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for group in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in group.iter().enumerate() {
            n |= u32::from(value(c)) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..group.len()]);
    }
    out
}

/// The web terminal's URL as `renkei sandbox` printed it.
pub fn web_url(sandbox_log: &str) -> String {
    let line = sandbox_log
        .lines()
        .find(|l| l.contains("統合専用端末（Web）"))
        .expect("the sandbox prints the web terminal's URL");
    let url = &line[line.find("http://").expect("URL")..];
    url.trim_end_matches('/').to_owned()
}
