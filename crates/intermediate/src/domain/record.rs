//! 加入者情報: one row of the file an insurer sends, read into a [`SubscriberRecord`] that can
//! only exist valid. A row that cannot be read is held with the first field at fault.

use renkei_core::text::{nfkc, trim_ja, KanaName, PersonName};
use renkei_core::{parse_date, Date, InsuredNumber, MyNumber, Sex};
use renkei_wire::msg::intermediate::RawRow;

use super::hold::{code, Hold};

/// 異動区分.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    /// 1 新規
    New = 1,
    /// 2 変更
    Change = 2,
    /// 3 喪失 (loss of eligibility)
    Loss = 3,
}

impl ChangeType {
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<ChangeType> {
        match code {
            1 => Some(ChangeType::New),
            2 => Some(ChangeType::Change),
            3 => Some(ChangeType::Loss),
            _ => None,
        }
    }
}

/// A valid 加入者情報 row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberRecord {
    pub line: u64,
    pub change: ChangeType,
    pub my_number: MyNumber,
    pub insured_number: InsuredNumber,
    pub name: PersonName,
    pub kana: KanaName,
    pub birth: Date,
    pub sex: Sex,
    pub address: String,
    /// 資格取得年月日
    pub acquired: Date,
    /// 資格喪失年月日
    pub lost: Option<Date>,
}

/// The columns of the 加入者情報 file, in the canonical order.
pub use renkei_wire::files::SUBSCRIBER_COLUMNS as COLUMNS;

/// Where each canonical column sits in the file (files may order columns freely).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    index: [usize; 10],
    width: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("見出し行に必要な列がありません: {}", .0.join("、"))]
    Missing(Vec<&'static str>),
    #[error("見出し行に同じ列が2回あります: {0}")]
    Repeated(&'static str),
}

impl Header {
    /// The row's 被保険者番号 as written (for a held row's result line), whatever else is wrong.
    pub fn insured_number_of<'a>(&self, raw: &'a RawRow) -> &'a str {
        raw.fields
            .get(self.index[2])
            .map(String::as_str)
            .unwrap_or_default()
    }

    pub fn parse(fields: &[String]) -> Result<Header, HeaderError> {
        let names: Vec<String> = fields
            .iter()
            .map(|f| trim_ja(&nfkc(f.trim_start_matches('\u{feff}'))).to_owned())
            .collect();
        let mut index = [0usize; 10];
        let mut missing = Vec::new();
        for (i, column) in COLUMNS.iter().enumerate() {
            let mut found = names.iter().enumerate().filter(|(_, n)| n == column);
            match (found.next(), found.next()) {
                (Some((at, _)), None) => index[i] = at,
                (Some(_), Some(_)) => return Err(HeaderError::Repeated(column)),
                (None, _) => missing.push(*column),
            }
        }
        if !missing.is_empty() {
            return Err(HeaderError::Missing(missing));
        }
        Ok(Header {
            index,
            width: fields.len(),
        })
    }
}

/// Reads one row, or says why it is held (naming the first field at fault, in column order).
pub fn parse_row(header: &Header, raw: &RawRow) -> Result<SubscriberRecord, Hold> {
    if raw.fields.len() != header.width {
        return Err(Hold::new(
            code::COLUMN_COUNT,
            format!(
                "列の数が正しくありません（{}列のところ{}列）",
                header.width,
                raw.fields.len()
            ),
        ));
    }
    let get = |i: usize| trim_ja(&raw.fields[header.index[i]]).to_owned();
    let required = |i: usize| {
        let value = get(i);
        if value.is_empty() {
            Err(Hold::field(
                code::MISSING_FIELD,
                COLUMNS[i],
                "値がありません",
            ))
        } else {
            Ok(value)
        }
    };

    let change = match nfkc(&required(0)?).as_str() {
        "1" => ChangeType::New,
        "2" => ChangeType::Change,
        "3" => ChangeType::Loss,
        _ => {
            return Err(Hold::field(
                code::INVALID_CHANGE_TYPE,
                COLUMNS[0],
                "1（新規）・2（変更）・3（喪失）のいずれかを指定してください",
            ))
        }
    };
    let my_number = MyNumber::parse(&required(1)?)
        .map_err(|e| Hold::field(code::INVALID_MY_NUMBER, COLUMNS[1], e))?;
    let insured_number = InsuredNumber::parse(&required(2)?)
        .map_err(|e| Hold::field(code::INVALID_INSURED_NUMBER, COLUMNS[2], e))?;
    let name = PersonName::parse(&required(3)?)
        .map_err(|e| Hold::field(code::INVALID_NAME, COLUMNS[3], e))?;
    let kana = KanaName::parse(&required(4)?)
        .map_err(|e| Hold::field(code::INVALID_KANA, COLUMNS[4], e))?;
    let date = |i: usize, value: &str| {
        parse_date(value).map_err(|e| Hold::field(code::INVALID_DATE, COLUMNS[i], e))
    };
    let birth = date(5, &required(5)?)?;
    let sex = Sex::parse(&required(6)?).map_err(|_| {
        Hold::field(
            code::INVALID_SEX,
            COLUMNS[6],
            "1（男）または2（女）を指定してください",
        )
    })?;
    let address = required(7)?;
    let acquired = date(8, &required(8)?)?;
    let lost = match get(9) {
        v if v.is_empty() => None,
        v => Some(date(9, &v)?),
    };
    if change == ChangeType::Loss && lost.is_none() {
        return Err(Hold::field(
            code::LOSS_DATE_REQUIRED,
            COLUMNS[9],
            "異動区分が3（喪失）の行には必要です",
        ));
    }
    if let Some(lost) = lost {
        if lost < acquired {
            return Err(Hold::field(
                code::LOSS_BEFORE_ACQUISITION,
                COLUMNS[9],
                "資格取得年月日より前の日付です",
            ));
        }
    }
    Ok(SubscriberRecord {
        line: raw.line,
        change,
        my_number,
        insured_number,
        name,
        kana,
        birth,
        sex,
        address,
        acquired,
        lost,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header::parse(&COLUMNS.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn row(fields: &[&str]) -> RawRow {
        RawRow {
            line: 7,
            fields: fields.iter().map(|s| s.to_string()).collect(),
        }
    }

    const GOOD: [&str; 10] = [
        "1",
        "621498320257",
        "13000001",
        "山田　太郎",
        "ヤマダ　タロウ",
        "昭和20年4月1日",
        "1",
        "東京都千代田区丸の内1丁目2番3号",
        "R020401",
        "",
    ];

    #[test]
    fn reads_a_good_row_in_any_date_form() {
        let r = parse_row(&header(), &row(&GOOD)).unwrap();
        assert_eq!(r.change, ChangeType::New);
        assert_eq!(r.birth, time::macros::date!(1945 - 04 - 01));
        assert_eq!(r.acquired, time::macros::date!(2020 - 04 - 01));
        assert_eq!(r.lost, None);
        assert_eq!(r.line, 7);
    }

    #[test]
    fn holds_name_the_field_and_never_the_number() {
        let cases: Vec<(usize, &str, &str, &str)> = vec![
            (1, "621498320258", code::INVALID_MY_NUMBER, "個人番号"),
            (3, "", code::MISSING_FIELD, "氏名"),
            (4, "山田", code::INVALID_KANA, "氏名カナ"),
            (5, "平成31年5月1日", code::INVALID_DATE, "生年月日"),
            (8, "2020-02-30", code::INVALID_DATE, "資格取得年月日"),
            (6, "3", code::INVALID_SEX, "性別"),
            (0, "9", code::INVALID_CHANGE_TYPE, "異動区分"),
            (2, "1234", code::INVALID_INSURED_NUMBER, "被保険者番号"),
        ];
        for (i, value, want, field) in cases {
            let mut fields = GOOD;
            fields[i] = value;
            let hold = parse_row(&header(), &row(&fields)).unwrap_err();
            assert_eq!(hold.code, want, "column {i}");
            assert!(hold.reason.starts_with(field), "{}", hold.reason);
            assert!(!hold.reason.contains("62149832025"), "{}", hold.reason);
        }
    }

    #[test]
    fn loss_needs_a_date_after_acquisition() {
        let mut fields = GOOD;
        fields[0] = "3";
        assert_eq!(
            parse_row(&header(), &row(&fields)).unwrap_err().code,
            code::LOSS_DATE_REQUIRED
        );
        fields[9] = "2019-01-01";
        assert_eq!(
            parse_row(&header(), &row(&fields)).unwrap_err().code,
            code::LOSS_BEFORE_ACQUISITION
        );
        fields[9] = "2021-01-01";
        assert_eq!(
            parse_row(&header(), &row(&fields)).unwrap().lost,
            Some(time::macros::date!(2021 - 01 - 01))
        );
    }

    #[test]
    fn header_may_reorder_and_must_be_complete() {
        let mut names: Vec<String> = COLUMNS.iter().rev().map(|s| s.to_string()).collect();
        names[0] = format!("\u{feff}{}", names[0]);
        let h = Header::parse(&names).unwrap();
        let fields: Vec<&str> = GOOD.iter().rev().copied().collect();
        assert_eq!(
            parse_row(&h, &row(&fields))
                .unwrap()
                .insured_number
                .as_str(),
            "13000001"
        );
        names.retain(|n| n != "氏名カナ");
        assert_eq!(
            Header::parse(&names).unwrap_err(),
            HeaderError::Missing(vec!["氏名カナ"])
        );
    }

    #[test]
    fn wrong_column_count_is_held() {
        let hold = parse_row(&header(), &row(&GOOD[..9])).unwrap_err();
        assert_eq!(hold.code, code::COLUMN_COUNT);
        assert_eq!(header().insured_number_of(&row(&GOOD[..9])), "13000001");
        assert_eq!(header().insured_number_of(&row(&GOOD[..1])), "");
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any row either reads as a valid record or is held with a reason naming a column, and
        /// a reason never repeats the 個人番号 it was given.
        #[test]
        fn any_row_is_read_or_held_with_a_named_field(fields in proptest::collection::vec(".{0,14}", 0..12)) {
            let header = Header::parse(&COLUMNS.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
            let raw = RawRow { line: 9, fields: fields.clone() };
            match parse_row(&header, &raw) {
                Ok(record) => prop_assert_eq!(record.line, 9),
                Err(hold) => {
                    prop_assert!(hold.code == code::COLUMN_COUNT || COLUMNS.iter().any(|c| hold.reason.starts_with(c)), "{:?}", hold);
                    if let Some(number) = fields.get(1).filter(|n| n.chars().filter(|c| c.is_ascii_digit()).count() >= 6) {
                        prop_assert!(!hold.reason.contains(number.as_str()), "{:?}", hold);
                    }
                }
            }
        }
    }
}
