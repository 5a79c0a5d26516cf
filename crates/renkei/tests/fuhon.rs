//! 副本作成 end to end, as an integrator runs it: `renkei sandbox` in one process, subscribers
//! registered with the terminal, 副本 files from `renkei synth fuhon`, uploaded and checked
//! with `renkei terminal … fuhon`, over mutual TLS on loopback.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use support::*;

const TOKYO: &str = "39131156";

fn fuhon(data: &Path, insurer: &str, args: &[&str], file: &Path, out: &Path) -> Output {
    renkei()
        .args(["terminal", "--sandbox"])
        .arg(data)
        .args(["--insurer", insurer, "fuhon"])
        .args(args)
        .arg(file)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn upload(data: &Path, insurer: &str, kind: &str, mode: &str, file: &Path, out: &Path) -> Output {
    fuhon(
        data,
        insurer,
        &["upload", "--kind", kind, "--mode", mode],
        file,
        out,
    )
}

/// A result or drift file (UTF-8 with BOM) as rows of strings, header first.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "Excel needs the BOM");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[3..]);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn fuhon_on_sqlite_uploads_versions_refuses_bad_files_and_reports_drift() {
    round_trip(&[]);
}

#[test]
fn fuhon_on_postgres_uploads_versions_refuses_bad_files_and_reports_drift() {
    let Some(pg) = renkei_store::testing::PostgresPrefix::new("fuhon") else {
        return;
    };
    round_trip(&["--store", &pg.url]);
}

fn round_trip(store: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sandbox = SandboxProcess::start(d, &[&["--subscribers", "1500"], store].concat());
    let data = sandbox.data();
    let (subscribers, _) = synth_subscribers(d, "subscribers.csv", &["--count", "1500"]);
    let run = register(&data, TOKYO, &subscribers, &d.join("reg.csv"), &[]);
    assert!(run.status.success(), "{}", stderr(&run));

    // 資格情報: a full snapshot, CP932.
    let (full0, _) = synth_fuhon(
        d,
        "shikaku0.csv",
        &["--kind", "資格", "--count", "1500", "--encoding", "cp932"],
    );
    let out = d.join("r1.csv");
    let run = upload(&data, TOKYO, "資格", "full", &full0, &out);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stderr(&run).contains("資格情報 版 1"), "{}", stderr(&run));
    let rows = read_csv(&out);
    assert_eq!(
        rows[0],
        ["結果", "版", "行番号", "項目", "理由コード", "内容"]
    );
    assert_eq!((rows[1][0].as_str(), rows[1][1].as_str()), ("登録", "1"));
    assert!(rows[1][5].contains("追加 1,500 件"), "{:?}", rows[1]);

    // The same file again: no new version.
    let run = upload(&data, TOKYO, "資格", "full", &full0, &out);
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(
        read_csv(&out)[1][..2],
        ["登録済み".to_string(), "1".to_string()]
    );

    // A delta to round 1, then a drift check: none against round 1, the delta's rows against round 0.
    let (delta1, _) = synth_fuhon(
        d,
        "shikaku1d.csv",
        &[
            "--kind", "資格", "--count", "1500", "--round", "1", "--mode", "delta",
        ],
    );
    let changes = std::fs::read_to_string(&delta1).unwrap().lines().count() as u64 - 1;
    assert!(changes > 10, "{changes}");
    let run = upload(&data, TOKYO, "資格", "delta", &delta1, &out);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        read_csv(&out)[1][5].contains(&format!("変更 {changes} 件")),
        "{:?}",
        read_csv(&out)[1]
    );
    let (full1, _) = synth_fuhon(
        d,
        "shikaku1.csv",
        &["--kind", "資格", "--count", "1500", "--round", "1"],
    );
    let drift = d.join("drift.csv");
    let run = fuhon(&data, TOKYO, &["diff", "--kind", "資格"], &full1, &drift);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("副本なし 0 件、正本なし 0 件、相違 0 項目"),
        "{}",
        stderr(&run)
    );
    assert_eq!(read_csv(&drift).len(), 1, "header only");
    let run = fuhon(&data, TOKYO, &["diff", "--kind", "資格"], &full0, &drift);
    assert!(run.status.success(), "{}", stderr(&run));
    let rows = read_csv(&drift);
    assert_eq!(
        rows[0],
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
    let drifted: BTreeSet<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    let delta_text = std::fs::read_to_string(&delta1).unwrap();
    let changed: BTreeSet<&str> = delta_text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(
        drifted, changed,
        "the drift names exactly the subscribers the delta changed"
    );
    assert!(
        rows[1..].iter().all(|r| r[0] == "相違" && !r[3].is_empty()),
        "field by field"
    );

    // A 葬祭費 file with planted errors: refused, every planted line named, nothing changed.
    let (bad, planted) = synth_fuhon(
        d,
        "sosai_bad.csv",
        &["--kind", "葬祭費", "--count", "1500", "--error-rate", "0.3"],
    );
    assert!(planted.len() >= 5, "{planted:?}");
    let run = upload(&data, TOKYO, "葬祭費", "full", &bad, &out);
    assert!(!run.status.success());
    assert!(
        stderr(&run).contains("副本は変更していません"),
        "{}",
        stderr(&run)
    );
    let rows = read_csv(&out);
    assert_eq!(rows[1][0], "不受理");
    let named: BTreeSet<u64> = rows[2..].iter().map(|r| r[2].parse().unwrap()).collect();
    assert_eq!(
        named,
        planted.iter().copied().collect(),
        "every bad row, nothing else"
    );
    assert!(
        rows[2..]
            .iter()
            .all(|r| !r[3].is_empty() && !r[4].is_empty()),
        "each names its field"
    );
    let (good, _) = synth_fuhon(d, "sosai.csv", &["--kind", "葬祭費", "--count", "1500"]);
    let run = upload(&data, TOKYO, "葬祭費", "full", &good, &out);
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(
        read_csv(&out)[1][1],
        "1",
        "the refused file made no version"
    );

    // 高額介護合算療養費情報.
    let (kogaku, _) = synth_fuhon(
        d,
        "kogaku.csv",
        &["--kind", "高額介護合算", "--count", "1500"],
    );
    let run = upload(&data, TOKYO, "高額介護合算", "full", &kogaku, &out);
    assert!(run.status.success(), "{}", stderr(&run));

    // Tenancy: 北海道's 広域連合 cannot upload 東京都's subscribers.
    let run = upload(&data, "39011002", "資格", "full", &full0, &out);
    assert!(!run.status.success());
    let rows = read_csv(&out);
    assert_eq!(rows.len(), 2 + 1500, "every row refused");
    assert!(
        rows[2..].iter().all(|r| r[4] == "FOREIGN_INSURER_NUMBER"),
        "{:?}",
        &rows[2]
    );
    sandbox.stop();
}

#[test]
fn killing_the_servers_mid_upload_keeps_the_previous_version_and_a_resend_makes_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sandbox = SandboxProcess::start(d, &["--subscribers", "3000"]);
    let data = sandbox.data();
    let (subscribers, _) = synth_subscribers(d, "subscribers.csv", &["--count", "3000"]);
    let run = register(&data, TOKYO, &subscribers, &d.join("reg.csv"), &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (full0, _) = synth_fuhon(d, "s0.csv", &["--kind", "資格", "--count", "3000"]);
    let (full1, _) = synth_fuhon(
        d,
        "s1.csv",
        &["--kind", "資格", "--count", "3000", "--round", "1"],
    );
    let out = d.join("r.csv");
    let run = upload(&data, TOKYO, "資格", "full", &full0, &out);
    assert!(run.status.success(), "{}", stderr(&run));

    let mut terminal = renkei()
        .args(["terminal", "--sandbox"])
        .arg(&data)
        .args([
            "--insurer",
            TOKYO,
            "fuhon",
            "upload",
            "--kind",
            "資格",
            "--mode",
            "full",
            "--chunk-rows",
            "20",
        ])
        .arg(&full1)
        .arg("--out")
        .arg(d.join("crashed.csv"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let db = data.join("intermediate/intermediate.db");
    let start = Instant::now();
    loop {
        let staged = count(&db, "SELECT COUNT(*) FROM fuhon_chunks");
        if staged >= 10 {
            assert!(
                staged < 150,
                "the upload finished before the crash; make it larger"
            );
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    sandbox.kill();
    terminal.kill().unwrap();
    terminal.wait().unwrap();
    assert!(
        !d.join("crashed.csv").exists(),
        "no result file for an unfinished upload"
    );

    let sandbox = SandboxProcess::start(d, &["--subscribers", "3000"]);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM fuhon_versions"),
        1,
        "still version 1"
    );
    let drift = d.join("drift.csv");
    let run = fuhon(&data, TOKYO, &["diff", "--kind", "資格"], &full0, &drift);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("副本 版 1 と照合: 副本なし 0 件、正本なし 0 件、相違 0 項目"),
        "{}",
        stderr(&run)
    );
    for expected in ["登録", "登録済み"] {
        let run = upload(&data, TOKYO, "資格", "full", &full1, &out);
        assert!(run.status.success(), "{}", stderr(&run));
        assert_eq!(
            read_csv(&out)[1][..2],
            [expected.to_string(), "2".to_string()]
        );
    }
    sandbox.stop();
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM fuhon_versions"),
        2,
        "exactly one new version"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM fuhon_records WHERE to_version IS NULL"
        ),
        3000
    );
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap_or(0)
}
