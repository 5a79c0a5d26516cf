//! The residents CSV loader: good rows load, bad rows are named by line and field.

use std::io::Write;

use renkei_registry::{load_residents_csv, LoadError};
use renkei_store::testing::engines;

use crate::helpers::{number, open, resident};

const HEADER: &str = "個人番号,住民票コード,氏名,氏名カナ,生年月日,性別,住所,市区町村コード";

fn line(i: u64) -> String {
    let r = resident(i);
    format!(
        "{},{},{},ﾔﾏﾀﾞ ﾀﾛｳ,昭和20年4月1日,{},{},131016\n",
        r.my_number.expose(),
        r.resident_code.expose(),
        r.name,
        r.sex.code(),
        r.address
    )
}

fn write_csv(dir: &tempfile::TempDir, body: &str) -> std::path::PathBuf {
    let path = dir.path().join("residents.csv");
    std::fs::write(&path, body).unwrap();
    path
}

#[tokio::test]
async fn loads_good_rows_and_names_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let bad_number = "621498320258";
    let body = format!(
        "\u{feff}{HEADER}\n{}{bad_number},12345678903,山田　次郎,ヤマダ,1945-04-01,1,東京都,131016\n{}{},12345678903,山田,ヤマダ,1945-02-30,3,東京都,131016\n{}",
        line(0),
        line(1),
        number(9).expose(),
        line(2),
    );
    let path = write_csv(&dir, &body);
    for engine in engines("reg_load") {
        let store = open(&engine.url).await;
        let summary = load_residents_csv(&store, &path).await.unwrap();
        assert_eq!(
            (summary.rows, summary.loaded, summary.rejected),
            (5, 3, 2),
            "{}",
            engine.engine()
        );
        let messages: Vec<_> = summary.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            messages,
            [
                "3行目 個人番号: 検査数字が一致しません",
                "5行目 生年月日: 存在しない日付です",
                "5行目 性別: 性別は1（男）または2（女）で指定してください"
            ]
        );
        assert!(messages
            .iter()
            .all(|m| !m.contains(bad_number) && !m.contains(number(9).expose())));
        assert_eq!(store.count().await.unwrap(), 3);
        let ids = store
            .identities(&[number(0), number(1), number(2), number(9)])
            .await
            .unwrap();
        assert!(ids[..3].iter().all(Option::is_some) && ids[3].is_none());
        assert_eq!(ids[0].as_ref().unwrap().kana, "ヤマダ\u{3000}タロウ");

        // Loading the same file again changes nothing.
        load_residents_csv(&store, &path).await.unwrap();
        assert_eq!(store.count().await.unwrap(), 3);
    }
}

#[tokio::test]
async fn a_wrong_header_rejects_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_csv(&dir, &format!("個人番号,氏名\n{}", line(0)));
    let store = open(&engines("reg_header").remove(0).url).await;
    match load_residents_csv(&store, &path).await {
        Err(LoadError::Header(m)) => assert!(m.contains("見出し行"), "{m}"),
        other => panic!("expected a header error, got {other:?}"),
    }
    assert_eq!(store.count().await.unwrap(), 0);
    let missing = load_residents_csv(&store, &dir.path().join("none.csv")).await;
    assert!(matches!(missing, Err(LoadError::Open { .. })));
}

#[tokio::test]
async fn lists_at_most_a_hundred_problems() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = format!("{HEADER}\n");
    for _ in 0..150 {
        body.push_str("1,2\n");
    }
    let path = write_csv(&dir, &body);
    let store = open(&engines("reg_many").remove(0).url).await;
    let summary = load_residents_csv(&store, &path).await.unwrap();
    assert_eq!((summary.rejected, summary.errors.len()), (150, 100));
    assert_eq!(
        summary.errors[0].to_string(),
        "2行目 行: 項目数が正しくありません（8項目のところ2項目）"
    );
}

/// Streams a large file through several batches, every row loaded. How fast is a question for
/// `renkei bench`, not for this test.
#[tokio::test]
async fn loads_a_large_file_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.csv");
    let n = 50_000;
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(file, "{HEADER}").unwrap();
    for i in 0..n {
        file.write_all(line(i).as_bytes()).unwrap();
    }
    drop(file);
    let store = open(&engines("reg_large").remove(0).url).await;
    let summary = load_residents_csv(&store, &path).await.unwrap();
    assert_eq!((summary.loaded, summary.rejected), (n, 0));
    assert_eq!(store.count().await.unwrap(), n);
}
