//! `renkei sandbox --residents-file`: residents from a file join the synthetic population at
//! J-LIS, bad rows are reported by line and field, and the people loaded can be registered.

mod support;

use renkei_core::{MyNumber, ResidentCode};
use support::*;

#[test]
fn residents_from_a_file_can_be_registered_and_bad_rows_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let a = MyNumber::from_body_u64(95_000_000_001);
    let b = MyNumber::from_body_u64(95_000_000_002);
    let residents = dir.path().join("residents.csv");
    std::fs::write(
        &residents,
        format!(
            "個人番号,住民票コード,氏名,氏名カナ,生年月日,性別,住所,市区町村コード\n\
             {},{},髙橋　ハナ,タカハシ　ハナ,1940-02-29,2,東京都杉並区阿佐谷南1丁目1番1号,131156\n\
             {},{},渡邊　一郎,ワタナベ　イチロウ,昭和10年1月1日,1,東京都杉並区荻窪2丁目3番4号,131156\n\
             123456789012,{},誤り　太郎,アヤマリ　タロウ,1950-01-01,1,東京都,131156\n",
            a.expose(),
            ResidentCode::from_body_u64(9_500_000_001).expose(),
            b.expose(),
            ResidentCode::from_body_u64(9_500_000_002).expose(),
            ResidentCode::from_body_u64(9_500_000_003).expose(),
        ),
    )
    .unwrap();
    let sandbox = SandboxProcess::start(
        dir.path(),
        &[
            "--subscribers",
            "0",
            "--residents-file",
            residents.to_str().unwrap(),
        ],
    );
    let log = sandbox.log_text();
    assert!(log.contains("3 行中 2 行を投入"), "{log}");
    assert!(
        log.contains("4行目 個人番号"),
        "the bad row is named by line and field: {log}"
    );

    let subscribers = dir.path().join("subscribers.csv");
    std::fs::write(
        &subscribers,
        format!(
            "異動区分,個人番号,被保険者番号,氏名,氏名カナ,生年月日,性別,住所,資格取得年月日,資格喪失年月日\n\
             1,{},13000001,髙橋 ハナ,ﾀｶﾊｼ ﾊﾅ,S150229,2,東京都杉並区阿佐谷南1丁目1番1号,2015-02-28,\n\
             1,{},13000002,渡邊　一郎,わたなべ　いちろう,1935-01-01,1,東京都杉並区荻窪2丁目3番4号,R070401,\n",
            a.expose(),
            b.expose()
        ),
    )
    .unwrap();
    let out = dir.path().join("result.csv");
    let run = register(&sandbox.data(), "39131156", &subscribers, &out, &[]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rows = read_result(&out);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.result == "登録"), "{rows:?}");
    sandbox.stop();
}
