//! 情報照会 end to end through the real sandbox: an insurer's staff ask a municipality by 枝番
//! (terminal → intermediate → hub → agency), a municipality asks the 広域連合 by 宛名番号
//! (agency → hub → intermediate), and an auditor verifies the 情報提供等記録 offline — and
//! finds every kind of tampering, naming the first bad entry.

mod support;

use std::path::Path;
use std::process::Output;

use support::*;

const SETAGAYA: &str = "city-131121";
const NERIMA: &str = "city-131202";

fn inquire(data: &Path, args: &[&str]) -> Output {
    renkei()
        .args(["terminal", "--sandbox"])
        .arg(data)
        .args(["--insurer", "39131156", "inquire", "--json"])
        .args(args)
        .output()
        .unwrap()
}

fn agency_inquire(data: &Path, agency: &str, args: &[&str]) -> Output {
    renkei()
        .args(["agency", "--sandbox"])
        .arg(data)
        .args(["--agency", agency, "inquire", "--json"])
        .args(args)
        .output()
        .unwrap()
}

fn audit(data: &Path, store: Option<&str>) -> Output {
    let mut cmd = renkei();
    cmd.args(["audit", "verify", "--sandbox"]).arg(data);
    if let Some(url) = store {
        cmd.args(["--store", url]);
    }
    cmd.env("RUST_BACKTRACE", "0").output().unwrap()
}

fn reconcile(data: &Path, store: Option<&str>) -> Output {
    let mut cmd = renkei();
    cmd.args(["audit", "reconcile", "--sandbox"]).arg(data);
    if let Some(url) = store {
        cmd.args(["--store", url]);
    }
    cmd.env("RUST_BACKTRACE", "0").output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// (position in the sample file, 個人番号, 被保険者番号, municipality code) of each row.
fn sample_rows(file: &Path) -> Vec<(usize, String, String, String)> {
    let mut reader = csv::Reader::from_path(file).unwrap();
    reader
        .records()
        .enumerate()
        .map(|(i, r)| {
            let r = r.unwrap();
            let address = &r[7];
            let code = if address.contains("世田谷区") {
                "131121"
            } else if address.contains("練馬区") {
                "131202"
            } else {
                ""
            };
            (i, r[1].to_owned(), r[2].to_owned(), code.to_owned())
        })
        .collect()
}

fn items(v: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    serde_json::from_value(v["answer"]["items"].clone()).unwrap()
}

fn sqlite_text(path: &Path, sql: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn inquiries_flow_through_the_sandbox_and_the_audit_finds_any_tampering() {
    flow(None);
}

#[test]
fn inquiries_flow_through_the_sandbox_on_postgres() {
    let Some(pg) = renkei_store::testing::PostgresPrefix::new("inquiry") else {
        return;
    };
    flow(Some(&pg.url));
}

/// The whole flow; on SQLite also the checks that read the stores' files and the tampering.
fn flow(store: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let mut extra = vec!["--subscribers", "2000"];
    if let Some(url) = store {
        extra.extend(["--store", url]);
    }
    let sandbox = SandboxProcess::start(dir.path(), &extra);
    let data = sandbox.data();
    let sample = data.join("samples/加入者情報_東京都.csv");
    let out = dir.path().join("result.csv");
    let reg = register(&data, "39131156", &sample, &out, &[]);
    assert!(reg.status.success(), "{}", text(&reg));
    let results = read_result(&out);
    let rows = sample_rows(&sample);
    let branch_of = |i: usize| {
        let row = results.iter().find(|r| r.line == i as u64 + 2).unwrap();
        assert_eq!(row.result, "登録", "{row:?}");
        row.branch.clone()
    };
    let (setagaya, number, insured, _) = rows.iter().find(|r| r.3 == "131121").unwrap().clone();
    let (nerima, _, _, _) = rows.iter().find(|r| r.3 == "131202").unwrap().clone();
    let expected = |i: usize, code: &str| {
        renkei_agency::holdings::synthetic(i as u64)
            .into_iter()
            .find(|(c, _)| *c == code)
            .map(|(_, items)| items)
    };

    // 広域連合 → 世田谷区: 地方税関係情報 for 保険料の賦課.
    let branch = branch_of(setagaya);
    let args = [
        "--branch",
        &branch,
        "--task",
        "K01",
        "--info",
        "J01",
        "--to",
        SETAGAYA,
        "--request-id",
        "e2e-1",
    ];
    let first = inquire(&data, &args);
    assert!(first.status.success(), "{}", text(&first));
    let first_json = json(&first);
    assert_eq!(first_json["answer"]["kind"], "data");
    assert_eq!(Some(items(&first_json)), expected(setagaya, "J01"));
    assert_eq!(first_json["replayed"], false);
    // Re-sent: the recorded outcome, the same entry.
    let again = json(&inquire(&data, &args));
    assert_eq!(again["replayed"], true);
    assert_eq!(again["record"], first_json["record"]);
    assert_eq!(items(&again), items(&first_json));

    // 住民票関係情報 of a 練馬区 resident asked at 世田谷区: no record.
    let nerima_branch = branch_of(nerima);
    let none = inquire(
        &data,
        &[
            "--branch",
            &nerima_branch,
            "--task",
            "K01",
            "--info",
            "J02",
            "--to",
            SETAGAYA,
        ],
    );
    assert!(none.status.success(), "{}", text(&none));
    assert_eq!(json(&none)["answer"]["kind"], "no_record");
    let nerima_data = json(&inquire(
        &data,
        &[
            "--branch",
            &nerima_branch,
            "--task",
            "K02",
            "--info",
            "J02",
            "--to",
            NERIMA,
        ],
    ));
    assert_eq!(Some(items(&nerima_data)), expected(nerima, "J02"));

    // Refused by the table, with the rule; the exit status says so.
    let refused = inquire(
        &data,
        &[
            "--branch", &branch, "--task", "M01", "--info", "J03", "--to", SETAGAYA,
        ],
    );
    assert!(!refused.status.success());
    let refused_json = json(&refused);
    assert_eq!(refused_json["answer"]["kind"], "refused");
    assert_eq!(refused_json["answer"]["code"], "task_not_for_asker");
    // An unknown 枝番 is an error naming it, not an exchange.
    let unknown = inquire(
        &data,
        &[
            "--branch",
            "9999999999",
            "--task",
            "K01",
            "--info",
            "J01",
            "--to",
            SETAGAYA,
        ],
    );
    assert!(!unknown.status.success());
    assert!(text(&unknown).contains("9999999999"), "{}", text(&unknown));

    // 世田谷区 → 広域連合: 資格情報 for 介護保険, answered from the registered 資格.
    let atena = format!("{setagaya:010}");
    let asked = agency_inquire(
        &data,
        SETAGAYA,
        &[
            "--atena", &atena, "--task", "M02", "--info", "J04", "--to", "koiki-13",
        ],
    );
    assert!(asked.status.success(), "{}", text(&asked));
    let asked = json(&asked);
    assert_eq!(items(&asked)["被保険者番号"], insured);

    // Between two 広域連合 hosted by intermediate: the same people registered with 神奈川県's
    // union too; 東京都 asks by its own 枝番 alone, inside intermediate, recorded by the hub.
    let profile: toml::Value =
        toml::from_str(&std::fs::read_to_string(data.join("sandbox.toml")).unwrap()).unwrap();
    let kanagawa = profile["insurers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"].as_str() == Some("koiki-14"))
        .unwrap();
    let kanagawa_number = kanagawa["insurer_numbers"][0].as_str().unwrap().to_owned();
    let out14 = dir.path().join("result14.csv");
    let reg = register(&data, &kanagawa_number, &sample, &out14, &[]);
    assert!(reg.status.success(), "{}", text(&reg));
    assert!(read_result(&out14).iter().all(|r| r.result == "登録"));
    let between = [
        "--branch",
        &branch,
        "--task",
        "K03",
        "--info",
        "J04",
        "--to",
        "koiki-14",
        "--request-id",
        "e2e-x",
    ];
    let other = inquire(&data, &between);
    assert!(other.status.success(), "{}", text(&other));
    let other_json = json(&other);
    assert_eq!(items(&other_json)["被保険者番号"], insured);
    assert_eq!(
        json(&inquire(&data, &between))["record"],
        other_json["record"]
    );
    let refused_between = json(&inquire(
        &data,
        &[
            "--branch", &branch, "--task", "K02", "--info", "J01", "--to", "koiki-14",
        ],
    ));
    assert_eq!(refused_between["answer"]["code"], "provider_not_holder");

    let outputs = [&first, &none, &refused, &other]
        .iter()
        .map(|o| text(o))
        .collect::<String>()
        + &asked.to_string();
    assert!(!outputs.contains(&number), "個人番号 shown");
    if let Some(url) = store {
        let log = sandbox.stop();
        assert!(!log.contains(&number), "個人番号 in the sandbox log");
        let ok = audit(&data, Some(url));
        assert!(ok.status.success(), "{}", text(&ok));
        assert!(text(&ok).contains("7 件"), "{}", text(&ok));
        let ok = reconcile(&data, Some(url));
        assert!(ok.status.success(), "{}", text(&ok));
        assert!(text(&ok).contains("各機関の記録 11 件"), "{}", text(&ok));
        return;
    }

    // No 符号 crosses: neither the CLI outputs nor the other side's store hold the other
    // side's 符号; no 個人番号 in any output or log.
    let koiki_fugo = sqlite_text(
        &data.join("intermediate/intermediate.db"),
        &format!("SELECT fugo FROM subscribers WHERE tenant = 'koiki-13' AND branch = '{branch}'"),
    );
    let city_fugo = sqlite_text(
        &data.join(format!("agencies/{SETAGAYA}/agency.db")),
        &format!("SELECT fugo FROM residents WHERE atena = '{atena}'"),
    );
    assert_eq!((koiki_fugo.len(), city_fugo.len()), (1, 1));
    assert_ne!(koiki_fugo[0], city_fugo[0]);
    for secret in [&koiki_fugo[0], &city_fugo[0], &number] {
        assert!(!outputs.contains(secret.as_str()), "{secret} shown");
    }
    let mut agency_db = std::fs::read(data.join(format!("agencies/{SETAGAYA}/agency.db"))).unwrap();
    agency_db.extend(
        std::fs::read(data.join(format!("agencies/{SETAGAYA}/agency.db-wal"))).unwrap_or_default(),
    );
    assert!(
        contains(&agency_db, city_fugo[0].as_bytes()),
        "the check reads the store"
    );
    assert!(!contains(&agency_db, koiki_fugo[0].as_bytes()));
    let log = sandbox.stop();
    assert!(!log.contains(&number), "個人番号 in the sandbox log");
    // (The hub holds every agency's 符号 in its links: that is what 符号変換 needs.)
    let system = "intermediate/intermediate.db";
    let mut bytes = std::fs::read(data.join(system)).unwrap();
    bytes.extend(std::fs::read(data.join(format!("{system}-wal"))).unwrap_or_default());
    assert!(
        contains(&bytes, koiki_fugo[0].as_bytes()),
        "the check reads the store"
    );
    assert!(
        !contains(&bytes, city_fugo[0].as_bytes()),
        "{system} holds the city's 符号"
    );

    // The audit passes on the untouched log, with every entry signed at shutdown.
    let ok = audit(&data, None);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("未署名の末尾 0 件"), "{}", text(&ok));
    let entries = sqlite_text(
        &data.join("hub/hub.db"),
        "SELECT CAST(COUNT(*) AS TEXT) FROM record_log",
    );
    assert_eq!(
        entries,
        vec!["7".to_owned()],
        "one entry per exchange, none for re-sends"
    );

    // Each kind of tampering fails the audit and names the first bad entry.
    let hub_db = data.join("hub/hub.db");
    let pristine = std::fs::read(&hub_db).unwrap();
    // One byte inside entry 5's request signature itself (after the certificate), wherever
    // the evidence ends (a batch signature adds its proof after the digest).
    let evidence: Vec<u8> = rusqlite::Connection::open(&hub_db)
        .unwrap()
        .query_row(
            "SELECT request_signature FROM record_log WHERE seq = 5",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let cert_len = u32::from_be_bytes(evidence[..4].try_into().unwrap()) as usize;
    let at = 4 + cert_len + 4 + 8; // 0-based, inside the DER signature
    let flip_signature = format!(
        "UPDATE record_log SET request_signature = CAST(substr(request_signature, 1, {at}) \
         || X'{:02X}' || substr(request_signature, {}) AS BLOB) WHERE seq = 5",
        evidence[at] ^ 1,
        at + 2
    );
    let cases: &[(&str, &str)] = &[
        ("UPDATE record_log SET task = 'K02' WHERE seq = 2", "第2号"),
        ("UPDATE record_log SET outcome = 0 WHERE seq = 4", "第4号"),
        ("DELETE FROM record_log WHERE seq = 3", "第3号"),
        (
            "UPDATE record_log SET seq = -1 WHERE seq = 2; UPDATE record_log SET seq = 2 WHERE seq = 3; \
             UPDATE record_log SET seq = 3 WHERE seq = -1",
            "第2号",
        ),
        (&flip_signature, "第5号"),
        ("UPDATE record_checkpoints SET signature = zeroblob(64)", "第1号"),
        ("DELETE FROM record_log WHERE seq = 5", "第5号"),
        // Rows the store cannot read are named too.
        ("UPDATE record_log SET person = X'00' WHERE seq = 6", "第6号"),
        ("UPDATE record_log SET time_micros = 'abc' WHERE seq = 3", "第3号"),
    ];
    for (sql, first_bad) in cases {
        std::fs::write(&hub_db, &pristine).unwrap();
        let conn = rusqlite::Connection::open(&hub_db).unwrap();
        conn.execute_batch(sql).unwrap();
        drop(conn);
        let out = audit(&data, None);
        assert!(!out.status.success(), "{sql}: audit passed");
        let message = text(&out);
        assert!(message.contains(first_bad), "{sql}: {message}");
    }
    std::fs::write(&hub_db, &pristine).unwrap();
    assert!(audit(&data, None).status.success());

    // Every party kept its own record of each exchange it took part in, once, and they
    // agree with the hub's log: the asker's 7 (intermediate 6, 世田谷区 1) and the providers'
    // 3 (世田谷区, 練馬区, the 広域連合 answering 世田谷区) plus the one inside intermediate
    // (the 2 "no record"/refused ones the hub answered itself have none).
    let ok = reconcile(&data, None);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(
        text(&ok).contains("情報提供等記録 7 件、各機関の記録 11 件"),
        "{}",
        text(&ok)
    );
    let first_seq = first_json["record"].as_u64().unwrap();
    let intermediate_db = data.join("intermediate/intermediate.db");
    let setagaya_db = data.join(format!("agencies/{SETAGAYA}/agency.db"));
    let cases: &[(&Path, &str, String)] = &[
        (
            &intermediate_db,
            "UPDATE party_records SET outcome = 1 WHERE request_id = 'e2e-1'",
            format!("結果（該当なし）が第{first_seq}号（提供）と違います"),
        ),
        (
            &setagaya_db,
            "DELETE FROM party_records WHERE request_id = 'e2e-1'",
            format!("第{first_seq}号（照会者 koiki-13、照会番号 e2e-1）: 提供者"),
        ),
        (
            &intermediate_db,
            "UPDATE party_records SET hub_seq = hub_seq + 1 WHERE request_id = 'e2e-x' AND side = 0",
            "記録した番号".to_owned(),
        ),
        (
            &setagaya_db,
            "UPDATE party_records SET request_id = 'forged' WHERE side = 0",
            "照会番号 forged）: 情報提供等記録に対応する記録がありません".to_owned(),
        ),
    ];
    for (db, sql, expected) in cases {
        // Everything into the main file first, so that restoring it restores the store.
        rusqlite::Connection::open(db)
            .unwrap()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        let pristine = std::fs::read(db).unwrap();
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.execute_batch(sql).unwrap();
        drop(conn);
        let out = reconcile(&data, None);
        assert!(!out.status.success(), "{sql}: reconcile passed");
        assert!(
            text(&out).contains(expected.as_str()),
            "{sql}: {}",
            text(&out)
        );
        std::fs::write(db, &pristine).unwrap();
    }
    assert!(reconcile(&data, None).status.success());
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
