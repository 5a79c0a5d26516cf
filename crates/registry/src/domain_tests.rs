use super::*;

const NUMBER: &str = "621498320257";

fn row<'a>(number: &'a str, birth: &'a str, sex: &'a str) -> [&'a str; 8] {
    [
        number,
        "12345678903",
        "山田　太郎",
        "ﾔﾏﾀﾞ ﾀﾛｳ",
        birth,
        sex,
        "東京都千代田区千代田一丁目1番1号",
        "131016",
    ]
}

#[test]
fn parses_a_good_row() {
    let r = parse_row(2, &row(NUMBER, "昭和20年4月1日", "1")).expect("valid row");
    assert_eq!(r.my_number.expose(), NUMBER);
    assert_eq!(r.resident_code.expose(), "12345678903");
    assert_eq!(r.kana, "ヤマダ\u{3000}タロウ");
    assert_eq!(r.birth, time::macros::date!(1945 - 04 - 01));
    assert_eq!(r.sex, Sex::Male);
    assert_eq!(format!("{r:?}"), "ResidentRecord(****)");
}

#[test]
fn errors_name_line_and_field_but_not_the_number() {
    let bad = "621498320258";
    let errors = parse_row(3, &row(bad, "1945-04-01", "1")).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        "3行目 個人番号: 検査数字が一致しません"
    );
    assert!(!errors[0].to_string().contains(bad));
}

#[test]
fn every_bad_field_of_a_row_is_reported() {
    let errors = parse_row(7, &row(NUMBER, "1945-02-30", "3")).unwrap_err();
    let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
    assert_eq!(fields, ["生年月日", "性別"]);
    assert_eq!(errors[0].to_string(), "7行目 生年月日: 存在しない日付です");
    let mut short = row(NUMBER, "1945-04-01", "1").to_vec();
    short[7] = "13101x";
    short[6] = " ";
    let errors = parse_row(8, &short).unwrap_err();
    assert_eq!(
        errors.iter().map(|e| e.field).collect::<Vec<_>>(),
        ["住所", "市区町村コード"]
    );
}

#[test]
fn a_row_with_the_wrong_number_of_fields_is_refused_as_a_whole() {
    let errors = parse_row(4, &[NUMBER, "x"]).unwrap_err();
    assert_eq!(
        errors[0].to_string(),
        "4行目 行: 項目数が正しくありません（8項目のところ2項目）"
    );
}

#[test]
fn header_must_match_and_may_start_with_a_bom() {
    let mut header = CSV_HEADER.to_vec();
    assert!(check_header(&header).is_ok());
    let first = format!("\u{feff}{}", CSV_HEADER[0]);
    header[0] = &first;
    assert!(check_header(&header).is_ok());
    header.pop();
    assert!(check_header(&header)
        .unwrap_err()
        .contains("個人番号,住民票コード"));
}

#[test]
fn protection_hashes_deterministically_and_seals_to_the_row() {
    let p = Protection::new(&Key32::generate(), &Key32::generate());
    let n = MyNumber::parse(NUMBER).unwrap();
    let key = p.number_key(&n);
    assert_eq!(key, p.number_key(&n));
    let sealed = p.seal(&n, &key);
    assert!(!sealed.windows(12).any(|w| w == NUMBER.as_bytes()));
    assert_eq!(p.open(&sealed, &key), Ok(n.clone()));
    assert!(p.open(&sealed, &[0; 32]).is_err());
    let other = Protection::new(&Key32::generate(), &Key32::generate());
    assert_ne!(other.number_key(&n), key);
}

#[test]
fn only_intermediate_verifies_and_only_hub_resolves() {
    assert!(authorize(Role::Intermediate, Lookup::Identities).is_ok());
    assert!(authorize(Role::Hub, Lookup::ResidentCodes).is_ok());
    for role in [Role::Insurer, Role::Agency, Role::Operator, Role::Registry] {
        assert!(authorize(role, Lookup::Identities).is_err());
        assert!(authorize(role, Lookup::ResidentCodes).is_err());
    }
    assert!(authorize(Role::Hub, Lookup::Identities)
        .unwrap_err()
        .rule
        .contains("規則"));
    assert!(authorize(Role::Intermediate, Lookup::ResidentCodes).is_err());
}

#[test]
fn batches_are_limited() {
    assert!(check_batch(MAX_BATCH).is_ok());
    assert!(check_batch(MAX_BATCH + 1)
        .unwrap_err()
        .contains("50000件まで"));
}
