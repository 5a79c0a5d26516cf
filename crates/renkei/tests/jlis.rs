//! 個人番号入手 end to end: `renkei sandbox` in one process, `renkei terminal … jlis` in
//! another — look-ups by 個人番号, searches by 基本4情報 and a batch file, relayed by the
//! intermediate server to J-LIS over mutual TLS.

mod support;

use std::path::Path;
use std::process::Output;

use support::*;

fn jlis(data: &Path, args: &[&str]) -> Output {
    renkei()
        .args(["terminal", "--sandbox"])
        .arg(data)
        .args(["--insurer", "39131156", "jlis"])
        .args(args)
        .env("RENKEI_LOG", "debug")
        .output()
        .unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// 1丁目2番3号 → 1-2-3 (the way a counter clerk might type it).
fn hyphenated(address: &str) -> String {
    address
        .replace("丁目", "-")
        .replace('番', "-")
        .replace('号', "")
}

#[test]
fn lookups_searches_and_batches_through_the_relay() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = SandboxProcess::start(dir.path(), &[]);
    let data = sandbox.data();
    let (file, _) = synth_subscribers(dir.path(), "people.csv", &["--count", "12"]);
    let people = people(&file);
    assert_eq!(people.len(), 12);

    // By 個人番号.
    let [number, name, kana, birth, sex, address] = people[0].clone();
    let out = jlis(
        &data,
        &["lookup", "--number", &number, "--purpose", "eligibility"],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains(&name) && stdout.contains(&address),
        "{stdout}"
    );
    assert!(stdout.contains("消除　　: なし"), "{stdout}");

    // By 基本4情報, written differently: the person is the first candidate.
    let out = jlis(
        &data,
        &[
            "search",
            "--name",
            &name.replace('\u{3000}', ""),
            "--kana",
            &kana,
            "--birth",
            &birth,
            "--sex",
            &sex,
            "--address",
            &hyphenated(&address),
        ],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.starts_with(&format!("候補1 個人番号 {number} ")),
        "{stdout}"
    );
    assert!(stdout.contains("住所 正規化後一致"), "{stdout}");

    // Clear errors: no birth date, an unknown purpose, a bad number (not quoted back).
    let out = jlis(&data, &["search", "--name", &name, "--birth", ""]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--birth"),
        "{}",
        text(&out.stderr)
    );
    let out = jlis(&data, &["lookup", "--number", &number, "--purpose", "nosy"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("利用目的"),
        "{}",
        text(&out.stderr)
    );
    let out = jlis(&data, &["lookup", "--number", "123456789012"]);
    assert!(!out.status.success());
    assert!(!text(&out.stderr).contains("123456789012"));

    // A batch: half by number, half by 基本4情報, one bad row.
    let queries = dir.path().join("queries.csv");
    write_jlis_queries(&queries, &people, hyphenated);
    let answers = dir.path().join("answers.csv");
    let out = renkei()
        .args(["terminal", "--sandbox"])
        .arg(&data)
        .args(["--insurer", "39131156", "jlis", "batch"])
        .arg(&queries)
        .arg("--out")
        .arg(&answers)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("照会中 13 / 13 件 (100%)"), "{stderr}");
    assert!(
        stderr.contains("該当あり 12 件") && stderr.contains("エラー 1 件"),
        "{stderr}"
    );

    let bytes = std::fs::read(&answers).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "Excel needs the BOM");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    for (i, person) in people.iter().enumerate() {
        let reference = format!("Q{i}");
        let first = rows
            .iter()
            .find(|r| &r[0] == reference.as_str())
            .expect("answered");
        assert_eq!(
            &first[4],
            person[0].as_str(),
            "{reference}: the right person first"
        );
        if i % 2 == 1 {
            assert_eq!(&first[3], "1");
            assert_eq!(&first[16], "正規化後一致", "{reference}");
            assert_eq!(&first[14], "一致");
        }
    }
    let bad = rows.iter().find(|r| &r[0] == "BAD").unwrap();
    assert_eq!(&bad[2], "エラー");
    assert!(bad[18].contains("生年月日"), "{:?}", bad);

    // Another insurer's certificate cannot look up under 東京都's 保険者番号.
    let intermediate_url = {
        let text = std::fs::read_to_string(data.join("sandbox.toml")).unwrap();
        let value: toml::Value = toml::from_str(&text).unwrap();
        value["intermediate_url"].as_str().unwrap().to_owned()
    };
    let other = renkei()
        .args([
            "terminal",
            "--insurer",
            "39131156",
            "--intermediate",
            &intermediate_url,
        ])
        .arg("--ca")
        .arg(data.join("pki/ca.pem"))
        .arg("--cert")
        .arg(data.join("pki/koiki-27.pem"))
        .arg("--key")
        .arg(data.join("pki/koiki-27.key"))
        .args(["jlis", "lookup", "--number", &number])
        .output()
        .unwrap();
    assert!(!other.status.success());
    let refused = text(&other.stderr);
    assert!(
        refused.contains("koiki-27") && refused.contains("39131156"),
        "{refused}"
    );

    // No 個人番号 in any server log line.
    let log = sandbox.stop();
    for person in &people {
        assert!(!log.contains(&person[0]), "a 個人番号 in the sandbox log");
    }
    assert!(log.contains("個人番号による照会"), "look-ups are logged");
}

/// Registration's cross-check: a file in which 1% of the rows carry another resident's
/// 個人番号 (a real number J-LIS knows, of someone not in the file) holds every one of them,
/// naming the items that disagree, and registers the rest — notation noise included.
#[test]
fn registration_holds_every_row_with_another_residents_number() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = SandboxProcess::start(dir.path(), &[]);
    let data = sandbox.data();
    let (source, _) = synth_subscribers(
        dir.path(),
        "source.csv",
        &["--count", "2020", "--noise", "--dates", "mixed"],
    );
    let text = std::fs::read_to_string(&source).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let header = lines.remove(0);
    let column = header.split(',').position(|h| h == "個人番号").unwrap();
    let others: Vec<String> = lines[2000..]
        .iter()
        .map(|l| l.split(',').nth(column).unwrap().to_owned())
        .collect();
    lines.truncate(2000);
    let mut swapped = Vec::new();
    for (k, i) in (0..2000).step_by(100).enumerate() {
        let mut fields: Vec<&str> = lines[i].split(',').collect();
        fields[column] = &others[k];
        lines[i] = fields.join(",");
        swapped.push(i as u64 + 2); // physical line (the header is line 1)
    }
    assert_eq!(swapped.len(), 20, "1% of 2,000 rows");
    let file = dir.path().join("swapped.csv");
    std::fs::write(&file, format!("{header}\n{}\n", lines.join("\n"))).unwrap();

    let out = dir.path().join("result.csv");
    let run = register(&data, "39131156", &file, &out, &[]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rows = read_result(&out);
    assert_eq!(rows.len(), 2000);
    for row in &rows {
        if swapped.contains(&row.line) {
            assert_eq!(
                (row.result.as_str(), row.code.as_str()),
                ("保留", "IDENTITY_MISMATCH"),
                "line {}: {}",
                row.line,
                row.reason
            );
            assert!(row.reason.contains("氏名: "), "{}", row.reason);
        } else {
            assert_eq!(row.result, "登録", "line {}: {}", row.line, row.reason);
        }
    }
    sandbox.stop();
}
