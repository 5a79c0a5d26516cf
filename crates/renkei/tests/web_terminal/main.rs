//! The web terminal in a real browser (headless Chromium over WebDriver), against a real
//! `renkei sandbox`: sign in, register a 加入者情報 file and watch it reach 100 %, download the
//! result, correct a held row and send it again, sign out; roles refuse pages and form posts
//! with 403; one insurer's session cannot read another's uploads; pages render with Japanese
//! fonts at 1366×768. Screenshots go to target/web-screenshots/.

#[path = "../plain_http/mod.rs"]
mod plain_http;
#[path = "../support/mod.rs"]
mod support;
#[path = "../webdriver/mod.rs"]
mod webdriver;

mod fuhon;
mod inquiry;
mod jlis;
mod registration;

use std::time::{Duration, Instant};

use plain_http::http;
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

/// The CSRF token of the page's forms.
fn page_csrf(b: &Browser) -> String {
    let token = b.script(
        "return document.querySelector('input[name=csrf]').value;",
        json!([]),
    );
    token
        .as_str()
        .expect("the page has a form with a CSRF token")
        .to_owned()
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
