//! 本人確認: the record's 氏名, カナ氏名, 生年月日 and 性別 must be the resident's as J-LIS holds
//! them, so that no subscriber is linked to someone else's 個人番号. Notation that denotes the
//! same value (full/half width, hiragana/katakana, spaces, 和暦) matches; anything else is a
//! mismatch naming each item that disagreed. (住所 joins when address normalization lands.)

use renkei_core::text::{normalize_kana, normalize_name};
use renkei_wire::msg::registry::ResidentIdentity;

use super::hold::{code, Hold};
use super::record::{ChangeType, SubscriberRecord};

/// The items compared, as recorded with each registered subscriber.
pub const CHECKED_ITEMS: &str = "氏名,カナ氏名,生年月日,性別";

/// Compares a record with J-LIS's 本人確認情報 (`None`: J-LIS knows no such 個人番号).
pub fn cross_check(
    record: &SubscriberRecord,
    resident: Option<&ResidentIdentity>,
) -> Result<(), Hold> {
    let Some(resident) = resident else {
        return Err(Hold::field(
            code::UNKNOWN_MY_NUMBER,
            "個人番号",
            "住基ネットに該当する住民がいません",
        ));
    };
    let mut differ = Vec::new();
    if record.name.normalized() != normalize_name(&resident.name) {
        differ.push("氏名");
    }
    if record.kana.normalized() != normalize_kana(&resident.kana) {
        differ.push("カナ氏名");
    }
    if record.birth != resident.birth {
        differ.push("生年月日");
    }
    if record.sex != resident.sex {
        differ.push("性別");
    }
    if !differ.is_empty() {
        return Err(Hold::new(
            code::IDENTITY_MISMATCH,
            format!(
                "本人確認情報が一致しません（{}）。個人番号が別の方のものでないか確認してください",
                differ.join("、")
            ),
        ));
    }
    if let (Some(removed), ChangeType::New | ChangeType::Change) =
        (resident.removed_on, record.change)
    {
        return Err(Hold::new(
            code::RESIDENT_REMOVED,
            format!(
                "住民票が消除されています（{}）",
                renkei_core::to_wareki(removed)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::record::{parse_row, Header, COLUMNS};
    use renkei_core::Sex;
    use renkei_wire::msg::intermediate::RawRow;
    use time::macros::date;

    fn record(name: &str, kana: &str, birth: &str, sex: &str) -> SubscriberRecord {
        let header =
            Header::parse(&COLUMNS.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        let fields = [
            "1",
            "621498320257",
            "13000001",
            name,
            kana,
            birth,
            sex,
            "東京都",
            "2020-04-01",
            "",
        ];
        parse_row(
            &header,
            &RawRow {
                line: 2,
                fields: fields.iter().map(|s| s.to_string()).collect(),
            },
        )
        .unwrap()
    }

    fn resident() -> ResidentIdentity {
        ResidentIdentity {
            name: "山田　太郎".into(),
            kana: "ヤマダ　タロウ".into(),
            birth: date!(1945 - 04 - 01),
            sex: Sex::Male,
            address: "東京都千代田区丸の内1丁目2番3号".into(),
            removed_on: None,
        }
    }

    #[test]
    fn notation_differences_match() {
        for (name, kana, birth) in [
            ("山田 太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", "S200401"),
            ("山田太郎", "やまだ　たろう", "3200401"),
            ("山田　太郎", "ヤマダタロウ", "昭和20年4月1日"),
        ] {
            assert_eq!(
                cross_check(&record(name, kana, birth, "1"), Some(&resident())),
                Ok(()),
                "{name} {kana}"
            );
        }
    }

    #[test]
    fn every_true_difference_is_named() {
        let hold = cross_check(
            &record("山田　次郎", "ヤマダ　ジロウ", "1945-04-02", "2"),
            Some(&resident()),
        )
        .unwrap_err();
        assert_eq!(hold.code, code::IDENTITY_MISMATCH);
        for item in ["氏名", "カナ氏名", "生年月日", "性別"] {
            assert!(hold.reason.contains(item), "{}", hold.reason);
        }
        let hold = cross_check(
            &record("山田　太郎", "ヤマダ　タロウ", "1945-04-01", "2"),
            Some(&resident()),
        )
        .unwrap_err();
        assert!(
            hold.reason.contains("性別") && !hold.reason.contains("氏名、"),
            "{}",
            hold.reason
        );
    }

    #[test]
    fn unknown_and_removed_residents_are_held() {
        let r = record("山田 太郎", "ヤマダ タロウ", "1945-04-01", "1");
        assert_eq!(
            cross_check(&r, None).unwrap_err().code,
            code::UNKNOWN_MY_NUMBER
        );
        let removed = ResidentIdentity {
            removed_on: Some(date!(2024 - 01 - 01)),
            ..resident()
        };
        assert_eq!(
            cross_check(&r, Some(&removed)).unwrap_err().code,
            code::RESIDENT_REMOVED
        );
    }
}
