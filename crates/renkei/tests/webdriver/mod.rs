//! The browser tests' WebDriver side: Debian's chromedriver on a free port (killed on drop)
//! driving headless Chromium through `fantoccini`, behind a blocking facade so the tests read
//! as plain steps; plus the web terminal's URL and screenshots under target/.

use std::future::Future;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

/// A chromedriver process on a free port.
pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    pub fn start(log_dir: &Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(log_dir.join("chromedriver.log")).unwrap();
        let mut child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("chromedriver must be installed (apt-get install chromium chromium-driver; .ci/run does)");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(child.try_wait().unwrap().is_none(), "chromedriver exited");
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let url = format!("http://127.0.0.1:{port}");
        Driver { child, url }
    }

    /// A headless Chromium window of 1366×768.
    pub fn session(&self) -> Browser {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium_binary(),
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--window-size=1366,768", "--lang=ja-JP", "--disable-dev-shm-usage"]
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        // chromedriver speaks plain HTTP on loopback: no TLS connector (and no TLS crate).
        let client = rt
            .block_on(
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(caps)
                    .connect(&self.url),
            )
            .unwrap_or_else(|e| panic!("a Chromium session from {}: {e}", self.url));
        Browser { rt, client }
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

/// One browser session; each call waits for its WebDriver command and panics on an error.
pub struct Browser {
    rt: tokio::runtime::Runtime,
    client: Client,
}

impl Browser {
    fn run<T>(&self, what: &str, command: impl Future<Output = Result<T, CmdError>>) -> T {
        self.rt
            .block_on(command)
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    pub fn goto(&self, url: &str) {
        self.run(url, self.client.goto(url));
    }

    pub fn current_url(&self) -> String {
        self.run("current URL", self.client.current_url()).into()
    }

    /// The element matching `css`, waiting up to 10 s for it to appear.
    pub fn find(&self, css: &str) -> Element {
        self.wait_for(css, Duration::from_secs(10))
            .unwrap_or_else(|| {
                panic!(
                    "no element {css} on {}:\n{}",
                    self.current_url(),
                    self.text("body")
                )
            })
    }

    pub fn wait_for(&self, css: &str, limit: Duration) -> Option<Element> {
        let wait = self
            .client
            .wait()
            .at_most(limit)
            .every(Duration::from_millis(100));
        match self.rt.block_on(wait.for_element(Locator::Css(css))) {
            Ok(element) => Some(element),
            Err(CmdError::WaitTimeout) => None,
            Err(e) => panic!("element {css}: {e}"),
        }
    }

    pub fn exists(&self, css: &str) -> bool {
        !self
            .run(css, self.client.find_all(Locator::Css(css)))
            .is_empty()
    }

    /// Types `text` into the field; into an `<input type=file>`, a path chooses that file.
    pub fn type_into(&self, css: &str, text: &str) {
        self.run(css, self.find(css).send_keys(text));
    }

    pub fn clear(&self, css: &str) {
        self.run(css, self.find(css).clear());
    }

    pub fn click(&self, css: &str) {
        self.run(css, self.find(css).click());
    }

    pub fn text(&self, css: &str) -> String {
        self.run(css, self.find(css).text())
    }

    /// The element's DOM property `name` (so `value` is what the field holds now, `href` is
    /// absolute).
    pub fn attribute(&self, css: &str, name: &str) -> Option<String> {
        self.run(css, self.find(css).prop(name))
    }

    /// Runs `script` with `args` (a JSON array) and returns what it returned.
    pub fn script(&self, script: &str, args: Value) -> Value {
        let Value::Array(args) = args else {
            panic!("script arguments are an array: {args}")
        };
        self.run(script, self.client.execute(script, args))
    }

    /// `fetch(path)` in the page (with its cookies): (status, body text).
    pub fn fetch(&self, path: &str, method: &str, form: &[(&str, &str)]) -> (u16, String) {
        let script = "const [path, method, form, done] = arguments;
             const opts = { method, credentials: 'same-origin', redirect: 'manual' };
             if (method === 'POST') { opts.body = new URLSearchParams(form); }
             fetch(path, opts).then(async r => done([r.status, await r.text()])).catch(e => done([0, String(e)]));";
        let form: Vec<[&str; 2]> = form.iter().map(|(k, v)| [*k, *v]).collect();
        let args = vec![json!(path), json!(method), json!(form)];
        let v = self.run(path, self.client.execute_async(script, args));
        (
            v[0].as_u64().unwrap() as u16,
            v[1].as_str().unwrap_or_default().to_owned(),
        )
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        match self.rt.block_on(self.client.get_named_cookie(name)) {
            Ok(cookie) => Some(cookie.value().to_owned()),
            Err(e) if e.is_no_such_cookie() => None,
            Err(e) => panic!("cookie {name}: {e}"),
        }
    }

    /// Saves a PNG of the window as `target/web-screenshots/<name>.png`; returns its path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.run("screenshot", self.client.screenshot());
        assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    pub fn quit(self) {
        drop(self);
    }
}

impl Drop for Browser {
    /// Ends the session, and so Chromium, also when a test panics: killing chromedriver alone
    /// would leave the browser running.
    fn drop(&mut self) {
        let close = self.client.clone().close();
        let _ = self.rt.block_on(async {
            // (a timer is made inside the runtime)
            tokio::time::timeout(Duration::from_secs(10), close).await
        });
    }
}

/// `target/web-screenshots`, next to the test binary's profile directory.
fn screenshot_dir() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_renkei"));
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("web-screenshots")
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
