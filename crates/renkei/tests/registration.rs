//! 加入者情報作成 end to end, as an integrator runs it: `renkei sandbox` in one process, the
//! terminal CLI in another, files from `renkei synth`, over mutual TLS on loopback.

mod support;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use support::*;

fn expected_code(planted: &str) -> &'static str {
    match planted {
        "bad_check_digit" => "INVALID_MY_NUMBER",
        "impossible_date" => "INVALID_DATE",
        "missing_name" => "MISSING_FIELD",
        "name_mismatch" | "kana_mismatch" | "birth_mismatch" | "sex_mismatch" => {
            "IDENTITY_MISMATCH"
        }
        "unknown_number" => "UNKNOWN_MY_NUMBER",
        "duplicate_number_other_insured" => "DUPLICATE_IN_FILE",
        other => panic!("unknown planted error {other}"),
    }
}

#[test]
fn registration_on_sqlite_holds_every_bad_row_registers_the_rest_and_is_idempotent() {
    full_registration(&[]);
}

#[test]
fn registration_on_postgres_holds_every_bad_row_registers_the_rest_and_is_idempotent() {
    let Some(pg) = renkei_store::testing::PostgresPrefix::new("registration") else {
        return;
    };
    full_registration(&["--store", &pg.url]);
}

fn full_registration(store: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = SandboxProcess::start(dir.path(), &[&["--subscribers", "3000"], store].concat());
    let data = sandbox.data();

    // CP932, mixed 和暦/Western dates, harmless notation noise, 5% planted errors.
    let (file, planted) = synth_subscribers(
        dir.path(),
        "subscribers.csv",
        &[
            "--count",
            "3000",
            "--encoding",
            "cp932",
            "--dates",
            "mixed",
            "--noise",
            "--error-rate",
            "0.05",
        ],
    );
    assert!(
        planted.len() > 50,
        "expected planted errors, got {}",
        planted.len()
    );
    let kinds: HashSet<&str> = planted.iter().map(|(_, e)| e.as_str()).collect();
    assert_eq!(kinds.len(), 9, "every kind of planted error: {kinds:?}");

    let out = dir.path().join("result.csv");
    let run = register(&data, "39131156", &file, &out, &["--chunk-rows", "250"]);
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "register failed: {stderr}");
    assert!(stderr.contains("完了: 3,000 行"), "{stderr}");
    // Progress: not a terminal here, so one line per 10% up to 100%.
    assert!(
        stderr.contains("登録中") && stderr.contains("3,000 / 3,000 行 (100%)"),
        "{stderr}"
    );

    let rows = read_result(&out);
    assert_eq!(rows.len(), 3000, "one result row per input row");
    assert!(
        rows.windows(2).all(|w| w[0].line < w[1].line),
        "input order"
    );
    assert_eq!(
        rows[0].line, 2,
        "line numbers are the file's lines (header = 1)"
    );
    let planted: HashMap<u64, String> = planted.into_iter().collect();
    let mut branches = HashSet::new();
    for row in &rows {
        match planted.get(&row.line) {
            Some(error) => {
                assert_eq!(
                    row.result, "保留",
                    "line {} ({error}) must be held: {row:?}",
                    row.line
                );
                assert_eq!(
                    row.code,
                    expected_code(error),
                    "line {} ({error}): {row:?}",
                    row.line
                );
                assert!(!row.reason.is_empty() && row.branch.is_empty(), "{row:?}");
            }
            None => {
                assert_eq!(
                    row.result, "登録",
                    "line {} is clean and must be registered: {row:?}",
                    row.line
                );
                assert!(
                    branches.insert(row.branch.clone()),
                    "枝番 assigned twice: {row:?}"
                );
            }
        }
    }
    // Reasons name the field, in Japanese.
    let identity = rows.iter().find(|r| r.code == "IDENTITY_MISMATCH").unwrap();
    assert!(
        identity.reason.contains("本人確認情報が一致しません"),
        "{identity:?}"
    );

    // Sending the same file again changes nothing and returns the same 枝番.
    let again = dir.path().join("again.csv");
    let run = register(&data, "39131156", &file, &again, &["--chunk-rows", "250"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&out).unwrap());

    // Another insurer's certificate cannot register under 東京都's 保険者番号.
    let other = renkei()
        .args(["terminal", "--insurer", "39131156", "--intermediate"])
        .arg(profile_value(&data, "intermediate_url"))
        .arg("--ca")
        .arg(data.join("pki/ca.pem"))
        .arg("--cert")
        .arg(data.join("pki/koiki-27.pem"))
        .arg("--key")
        .arg(data.join("pki/koiki-27.key"))
        .args(["register"])
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("refused.csv"))
        .output()
        .unwrap();
    assert!(!other.status.success());
    let refused = String::from_utf8_lossy(&other.stderr);
    assert!(
        refused.contains("39131156") && refused.contains("koiki-27"),
        "{refused}"
    );

    // No 個人番号 in any log line or output of the whole run.
    let terminal_logs = [run.stderr, run.stdout, other.stderr, other.stdout].concat();
    let logs = sandbox.stop() + &String::from_utf8_lossy(&terminal_logs);
    assert!(logs.contains("chunk applied"), "debug logs were captured");
    for number in numbers_in(&file) {
        assert!(!logs.contains(&number), "a 個人番号 appears in the logs");
    }
}

#[test]
fn killing_the_servers_mid_file_loses_nothing_and_registers_nothing_twice() {
    const ROWS: usize = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let sandbox = SandboxProcess::start(dir.path(), &["--subscribers", "20000"]);
    let data = sandbox.data();
    let (file, _) = synth_subscribers(dir.path(), "large.csv", &["--count", "20000"]);
    let out = dir.path().join("result.csv");

    let mut terminal = renkei()
        .args(["terminal", "--sandbox"])
        .arg(&data)
        .args(["--insurer", "39131156", "register"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--chunk-rows", "200", "--parallel", "2"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Kill everything once some chunks, but not all, are applied.
    let db = data.join("intermediate/intermediate.db");
    let start = Instant::now();
    loop {
        let applied = count(&db, "SELECT COUNT(*) FROM reg_chunks");
        if applied >= 10 {
            assert!(
                applied < (ROWS / 200) as i64,
                "the file finished before the crash; make it larger"
            );
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    sandbox.kill();
    terminal.kill().unwrap();
    terminal.wait().unwrap();
    assert!(
        !out.exists(),
        "an unfinished result file must not look finished"
    );

    // Start again on the same data and send the same file again.
    let sandbox = SandboxProcess::start(dir.path(), &["--subscribers", "20000"]);
    let run = register(&data, "39131156", &file, &out, &["--chunk-rows", "200"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rows = read_result(&out);
    assert_eq!(rows.len(), ROWS);
    assert!(
        rows.iter().all(|r| r.result == "登録"),
        "every row registered"
    );
    let branches: HashSet<&str> = rows.iter().map(|r| r.branch.as_str()).collect();
    assert_eq!(branches.len(), ROWS, "each row its own 枝番");
    sandbox.stop();

    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM subscribers"),
        ROWS as i64,
        "registered exactly once"
    );
    // One 資格 history entry each: the first version, kept in the subscriber (the history
    // table holds superseded versions only).
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM subscribers WHERE version = 1 AND change_type = 1"
        ),
        ROWS as i64,
        "one 資格 history entry each"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM subscriber_history"),
        0,
        "no version superseded"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(DISTINCT branch) FROM subscribers"),
        ROWS as i64
    );
}

fn count(db: &std::path::Path, sql: &str) -> i64 {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or(0)
}

fn profile_value(data: &std::path::Path, key: &str) -> String {
    let text = std::fs::read_to_string(data.join("sandbox.toml")).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    value[key].as_str().unwrap().to_owned()
}
