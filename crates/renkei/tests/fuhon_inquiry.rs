//! A municipality's inquiry for a 広域連合's subscriber is answered from the 副本 once one is
//! uploaded, and the answer names the version (副本作成 part 5), through the real sandbox:
//! agency → hub (符号変換, permission table, 情報提供等記録) → intermediate.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use support::*;

const TOKYO: &str = "39131156";
const SETAGAYA: &str = "city-131121";
/// Rows of the sandbox's sample file (`--subscribers` caps it at 1,000).
const SAMPLE_ROWS: &str = "1000";

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// 世田谷区 asks 東京都's 広域連合 about its resident `atena`; returns the answer.
fn ask(data: &Path, atena: &str, task: &str, info: &str) -> serde_json::Value {
    let out = renkei()
        .args(["agency", "--sandbox"])
        .arg(data)
        .args(["--agency", SETAGAYA, "inquire", "--json", "--atena", atena])
        .args(["--task", task, "--info", info, "--to", "koiki-13"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["answer"].clone()
}

fn items(answer: &serde_json::Value) -> BTreeMap<String, String> {
    assert_eq!(answer["kind"], "data", "{answer}");
    serde_json::from_value(answer["items"].clone()).unwrap()
}

/// `renkei synth fuhon` for the sample's subscribers, uploaded in full.
fn upload(dir: &Path, data: &Path, kind: &str) -> PathBuf {
    let file = dir.join(format!("{kind}.csv"));
    let out = renkei()
        .args([
            "synth",
            "fuhon",
            "--kind",
            kind,
            "--count",
            SAMPLE_ROWS,
            "--out",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = renkei()
        .args(["terminal", "--sandbox"])
        .arg(data)
        .args([
            "--insurer",
            TOKYO,
            "fuhon",
            "upload",
            "--kind",
            kind,
            "--mode",
            "full",
        ])
        .arg(&file)
        .arg("--out")
        .arg(dir.join(format!("{kind}.result.csv")))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    file
}

/// Rows of a CSV file with a header, by column name.
fn rows(file: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(file).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

#[test]
fn municipalities_are_answered_from_the_fuhon_with_its_version() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = SandboxProcess::start(dir.path(), &["--subscribers", SAMPLE_ROWS]);
    let data = sandbox.data();
    let sample = data.join("samples/加入者情報_東京都.csv");
    let reg = register(&data, TOKYO, &sample, &dir.path().join("result.csv"), &[]);
    assert!(reg.status.success(), "{}", text(&reg));
    let subscribers = rows(&sample);
    let in_setagaya: Vec<(usize, String)> = subscribers
        .iter()
        .enumerate()
        .filter(|(_, r)| r["住所"].contains("世田谷区"))
        .map(|(i, r)| (i, r["被保険者番号"].clone()))
        .collect();
    assert!(!in_setagaya.is_empty());
    let (index, insured) = in_setagaya[0].clone();
    let atena = format!("{index:010}");

    // Before any 副本: 資格情報 from the registered 資格.
    let before = items(&ask(&data, &atena, "M02", "J04"));
    assert_eq!(before["被保険者番号"], insured);
    assert_eq!(before["出典"], "加入者情報（資格履歴）");

    // After the 資格情報 副本: from it, naming version 1, with the 副本's own columns.
    let shikaku = upload(dir.path(), &data, "資格");
    let row = rows(&shikaku)
        .into_iter()
        .find(|r| r["被保険者番号"] == insured)
        .expect("the 副本 holds the subscriber");
    let after = items(&ask(&data, &atena, "M02", "J04"));
    assert!(
        after["出典"].starts_with("副本 第1版（基準日 "),
        "{after:?}"
    );
    assert_eq!(after["被保険者番号"], insured);
    assert_eq!(after["一部負担金の割合"], row["一部負担金の割合"]);
    assert_eq!(after["負担区分"], row["負担区分"]);

    // 高額介護合算療養費情報 for 介護保険's 高額医療合算介護サービス費: from its 副本 for a
    // subscriber it holds, "no record" for one it does not.
    let gassan = rows(&upload(dir.path(), &data, "高額介護合算"));
    let held: Vec<&(usize, String)> = in_setagaya
        .iter()
        .filter(|(_, n)| gassan.iter().any(|r| &r["被保険者番号"] == n))
        .collect();
    let (held_index, held_insured) = held
        .first()
        .expect("a 世田谷区 subscriber with 高額介護合算");
    let answer = items(&ask(&data, &format!("{held_index:010}"), "M01", "J06"));
    assert!(answer["出典"].starts_with("副本 第1版"), "{answer:?}");
    let periods = gassan
        .iter()
        .filter(|r| &r["被保険者番号"] == held_insured)
        .count();
    let paid_items = answer.keys().filter(|k| k.starts_with("支給額")).count();
    assert_eq!(paid_items, periods, "{answer:?}");
    if let Some((other, _)) = in_setagaya
        .iter()
        .find(|(_, n)| !gassan.iter().any(|r| &r["被保険者番号"] == n))
    {
        let none = ask(&data, &format!("{other:010}"), "M01", "J06");
        assert_eq!(none["kind"], "no_record", "{none}");
    }

    // The table decides per task: 葬祭費 is for 国民健康保険's benefits, not 介護保険's.
    let refused = renkei()
        .args(["agency", "--sandbox"])
        .arg(&data)
        .args(["--agency", SETAGAYA, "inquire", "--json", "--atena", &atena])
        .args(["--task", "M01", "--info", "J07", "--to", "koiki-13"])
        .output()
        .unwrap();
    let refused: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(refused["answer"]["kind"], "refused", "{refused}");
    assert_eq!(refused["answer"]["code"], "info_not_for_task");
    sandbox.stop();
}
