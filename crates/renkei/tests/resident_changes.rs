//! 異動の届出 end to end: `renkei sandbox` in one process; 世田谷区's staff report a 転居 and a
//! 消除 with `renkei agency … report-changes` (a CP932 file with bad rows beside the good
//! ones); an insurer's `renkei terminal … jlis lookup` answers the new state; a re-sent file
//! changes nothing; no log line carries a 個人番号.

mod support;

use std::path::Path;
use std::process::Output;

use support::*;

const SETAGAYA: &str = "city-131121";

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// (個人番号, 住所) of each row of the sandbox's sample 加入者情報 file.
fn people(file: &Path) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_path(file).unwrap();
    let h = reader.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let (n, a) = (col("個人番号"), col("住所"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[n].to_owned(), r[a].to_owned())
        })
        .collect()
}

fn report(data: &Path, file: &Path, out: &Path) -> Output {
    renkei()
        .args(["agency", "--sandbox"])
        .arg(data)
        .args(["--agency", SETAGAYA, "report-changes"])
        .arg(file)
        .arg("--out")
        .arg(out)
        .env("RENKEI_LOG", "debug")
        .output()
        .unwrap()
}

fn lookup(data: &Path, number: &str) -> String {
    let out = renkei()
        .args(["terminal", "--sandbox"])
        .arg(data)
        .args([
            "--insurer",
            "39131156",
            "jlis",
            "lookup",
            "--number",
            number,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// The result file's rows (after its BOM and header).
fn results(file: &Path) -> Vec<csv::StringRecord> {
    let bytes = std::fs::read(file).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "Excel needs the BOM");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["行番号", "変更ID", "結果", "理由コード", "理由"]
    );
    reader.records().map(Result::unwrap).collect()
}

#[test]
fn a_move_reported_by_setagaya_is_answered_by_the_registry() {
    flow(None);
}

#[test]
fn a_move_reported_by_setagaya_is_answered_by_the_registry_on_postgres() {
    let Some(pg) = renkei_store::testing::PostgresPrefix::new("changes") else {
        return;
    };
    flow(Some(&pg.url));
}

fn flow(store: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let extra: Vec<&str> = store.map(|url| vec!["--store", url]).unwrap_or_default();
    let sandbox = SandboxProcess::start(dir.path(), &extra);
    let data = sandbox.data();
    let people = people(&data.join("samples/加入者情報_東京都.csv"));
    let in_city = |city: &str| {
        people
            .iter()
            .filter(|(_, a)| a.contains(city))
            .map(|(n, _)| n.clone())
            .collect::<Vec<_>>()
    };
    let (setagaya, nerima) = (in_city("世田谷区"), in_city("練馬区"));
    assert!(setagaya.len() >= 2 && !nerima.is_empty());
    let (moving, dying, elsewhere) = (&setagaya[0], &setagaya[1], &nerima[0]);
    let before = lookup(&data, moving);
    assert!(!before.contains("経堂九丁目"), "{before}");

    // The file as a municipality's system might write it: CP932, CRLF, 和暦 beside 西暦.
    let new_address = "東京都世田谷区経堂九丁目8番7号";
    let csv = format!(
        "変更ID,異動区分,個人番号,異動年月日,氏名,氏名カナ,住所,市区町村コード,消除事由\r\n\
         T-1,転居,{moving},2025-01-15,,,{new_address},131121,\r\n\
         T-2,消除,{dying},令和7年1月20日,,,,,死亡\r\n\
         T-3,転居,{elsewhere},2025-01-15,,,東京都世田谷区成城一丁目1番1号,131121,\r\n\
         T-4,転居,{moving},2025-13-01,,,{new_address},131121,\r\n\
         T-5,転居,{moving}\r\n"
    );
    let file = dir.path().join("異動.csv");
    std::fs::write(&file, encoding_rs::SHIFT_JIS.encode(&csv).0).unwrap();
    let out_file = dir.path().join("result.csv");

    let run = report(&data, &file, &out_file);
    let stderr = text(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("届出中 5 / 5 件 (100%)"), "{stderr}");
    assert!(
        stderr.contains("反映 2 件") && stderr.contains("不受理 3 件"),
        "{stderr}"
    );
    let rows = results(&out_file);
    let row = |line: &str| rows.iter().find(|r| &r[0] == line).expect(line).clone();
    assert_eq!((&row("2")[1], &row("2")[2]), ("T-1", "反映"));
    assert_eq!(&row("3")[2], "反映");
    for (line, code, named) in [
        ("4", "not_your_resident", "4行目 個人番号: "),
        ("5", "invalid_date", "5行目 異動年月日: "),
        ("6", "invalid_row", "6行目 行: "),
    ] {
        let r = row(line);
        assert_eq!((&r[2], &r[3]), ("不受理", code), "{r:?}");
        assert!(r[4].starts_with(named), "{r:?}");
    }

    // The insurer's terminal sees the 転居 and the 消除 at J-LIS.
    let after = lookup(&data, moving);
    assert!(
        after.contains(&format!("住所　　: {new_address}")),
        "{after}"
    );
    assert!(after.contains("消除　　: なし"), "{after}");
    let removed = lookup(&data, dying);
    assert!(
        removed.contains("消除　　: 令和7年1月20日（死亡）"),
        "{removed}"
    );

    // Re-sent (as after a lost answer): already applied, nothing recorded twice.
    let again = report(&data, &file, &out_file);
    let stderr = text(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(stderr.contains("反映済み（再送） 2 件"), "{stderr}");
    let rows = results(&out_file);
    assert_eq!(&rows[0][2], "反映済み");
    assert_eq!(&rows[0][3], "already_applied");

    // One change on the command line: 世田谷区 may not rename 練馬区's resident; 練馬区 may.
    let one = |agency: &str| {
        renkei()
            .args(["agency", "--sandbox"])
            .arg(&data)
            .args(["--agency", agency, "report-change", "--id", "N-1"])
            .args([
                "--kind",
                "氏名変更",
                "--number",
                elsewhere,
                "--date",
                "2025-02-01",
            ])
            .args(["--name", "練馬　花子", "--kana", "ねりま　はなこ"])
            .output()
            .unwrap()
    };
    let refused = one(SETAGAYA);
    let refusal = text(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        refusal.contains("1件目 個人番号: ") && refusal.contains("not_your_resident"),
        "{refusal}"
    );
    let accepted = one("city-131202");
    assert!(accepted.status.success(), "{}", text(&accepted.stderr));
    assert!(text(&accepted.stdout).contains("N-1: 反映しました"));
    let renamed = lookup(&data, elsewhere);
    assert!(renamed.contains("カナ　　: ネリマ　ハナコ"), "{renamed}");

    let log = sandbox.stop();
    let cli = [&run, &again, &refused, &accepted]
        .map(|o| text(&o.stderr))
        .concat();
    for (number, _) in &people {
        assert!(
            !log.contains(number.as_str()),
            "a 個人番号 in the sandbox log"
        );
        assert!(
            !cli.contains(number.as_str()),
            "a 個人番号 in the command's output"
        );
    }
    assert!(
        log.contains("住民の異動を反映") && log.contains("131121"),
        "accepted reports are logged"
    );
}
