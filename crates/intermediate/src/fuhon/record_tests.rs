use super::*;

fn header(kind: FuhonKind, delta: bool) -> Vec<String> {
    let mut h: Vec<String> = kind.columns().iter().map(|c| c.to_string()).collect();
    if delta {
        h.insert(0, CHANGE_COLUMN.into());
    }
    h
}

fn raw(line: u64, fields: &[&str]) -> RawRow {
    RawRow {
        line,
        fields: fields.iter().map(|f| f.to_string()).collect(),
    }
}

fn ours() -> Vec<String> {
    vec!["39131156".into(), "39130018".into()]
}

#[test]
fn reads_a_shikaku_row_into_canonical_fields() {
    let layout = Layout::new(
        FuhonKind::Shikaku,
        UploadMode::Full,
        &header(FuhonKind::Shikaku, false),
    )
    .unwrap();
    let row = parse_row(
        &layout,
        &raw(
            2,
            &[
                "39131156",
                "１２３４５６７８",
                "",
                "令和2年4月1日",
                "",
                "1割",
                "一般I",
            ],
        ),
        &ours(),
    )
    .unwrap();
    assert_eq!(row.key, "12345678");
    assert_eq!(row.op, Op::Put);
    assert_eq!(row.branch, None);
    assert_eq!(row.fields, ["39131156", "2020-04-01", "", "1", "一般Ⅰ"]);
    assert_eq!(field_names(FuhonKind::Shikaku).len(), row.fields.len());
}

#[test]
fn names_every_bad_field_of_a_row() {
    let layout = Layout::new(
        FuhonKind::Shikaku,
        UploadMode::Full,
        &header(FuhonKind::Shikaku, false),
    )
    .unwrap();
    let errors = parse_row(
        &layout,
        &raw(7, &["39131156", "1234", "", "2020-02-30", "", "4", "一般Ⅰ"]),
        &ours(),
    )
    .unwrap_err();
    let named: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            ("被保険者番号", "INVALID_INSURED_NUMBER"),
            ("資格取得年月日", "INVALID_DATE"),
            ("一部負担金の割合", "INVALID_RATE"),
        ]
    );
    assert!(errors.iter().all(|e| e.line == 7));
}

#[test]
fn refuses_another_insurers_number_and_inconsistent_burden() {
    let layout = Layout::new(
        FuhonKind::Shikaku,
        UploadMode::Full,
        &header(FuhonKind::Shikaku, false),
    )
    .unwrap();
    let errors = parse_row(
        &layout,
        &raw(
            3,
            &[
                "33120015",
                "12345678",
                "",
                "2020-04-01",
                "2019-01-01",
                "3",
                "一般Ⅰ",
            ],
        ),
        &ours(),
    )
    .unwrap_err();
    let codes: Vec<&str> = errors.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(
        codes,
        ["FOREIGN_INSURER_NUMBER", "INCONSISTENT", "INCONSISTENT"]
    );
    assert_eq!(errors[1].field, "資格喪失年月日");
    assert_eq!(errors[2].field, "負担区分");
}

#[test]
fn kogaku_period_runs_from_august_to_july_and_is_part_of_the_key() {
    let kind = FuhonKind::KogakuGassan;
    let layout = Layout::new(kind, UploadMode::Full, &header(kind, false)).unwrap();
    let row = parse_row(
        &layout,
        &raw(
            2,
            &[
                "39131156",
                "12345678",
                "",
                "2024-08-01",
                "2025-07-31",
                "600,000",
                "200000",
                "240000",
                "2026-02-20",
            ],
        ),
        &ours(),
    )
    .unwrap();
    assert_eq!(row.key, "12345678/2024-08-01");
    assert_eq!(row.fields[3..6], ["600000", "200000", "240000"]);
    let errors = parse_row(
        &layout,
        &raw(
            3,
            &[
                "39131156",
                "12345678",
                "",
                "2024-04-01",
                "2025-03-31",
                "100",
                "100",
                "300",
                "2025-01-01",
            ],
        ),
        &ours(),
    )
    .unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "計算期間開始年月日",
            "計算期間終了年月日",
            "支給額",
            "支給年月日"
        ]
    );
}

#[test]
fn delta_rows_carry_their_change_type_and_deletions_need_only_the_key() {
    let kind = FuhonKind::Sosaihi;
    let layout = Layout::new(kind, UploadMode::Delta, &header(kind, true)).unwrap();
    let add = parse_row(
        &layout,
        &raw(
            2,
            &[
                "1", "39131156", "12345678", "", "R060105", "50000", "R060301",
            ],
        ),
        &ours(),
    )
    .unwrap();
    assert_eq!(
        (add.op, add.fields.as_slice()),
        (
            Op::Add,
            ["39131156", "2024-01-05", "50000", "2024-03-01"]
                .map(String::from)
                .as_slice()
        )
    );
    let del = parse_row(
        &layout,
        &raw(3, &["3", "", "12345678", "", "", "", ""]),
        &ours(),
    )
    .unwrap();
    assert_eq!(
        (del.op, del.fields.len(), del.key.as_str()),
        (Op::Delete, 0, "12345678")
    );
    let bad = parse_row(
        &layout,
        &raw(
            4,
            &[
                "9", "39131156", "12345678", "", "R060105", "50000", "R060301",
            ],
        ),
        &ours(),
    )
    .unwrap_err();
    assert_eq!(bad[0].field, CHANGE_COLUMN);
    let short = parse_row(&layout, &raw(5, &["1", "39131156"]), &ours()).unwrap_err();
    assert_eq!(short[0].code, "FIELD_COUNT");
}

#[test]
fn headers_must_name_every_column_of_the_kind() {
    let kind = FuhonKind::Shikaku;
    let mut h = header(kind, false);
    h.reverse();
    assert!(Layout::new(kind, UploadMode::Full, &h).is_ok(), "any order");
    let e = Layout::new(kind, UploadMode::Delta, &header(kind, false)).unwrap_err();
    assert!(e.contains("異動区分"), "{e}");
    let e = Layout::new(FuhonKind::Sosaihi, UploadMode::Full, &header(kind, false)).unwrap_err();
    assert!(e.contains("死亡年月日"), "{e}");
    assert!(
        Layout::new(kind, UploadMode::Full, &header(kind, true)).is_err(),
        "異動区分 only in delta files"
    );
}

#[test]
fn fields_round_trip_through_storage_form() {
    let f = vec!["39131156".to_string(), String::new(), "1".into()];
    assert_eq!(split_fields(&join_fields(&f)), f);
    assert!(split_fields("").is_empty());
}
