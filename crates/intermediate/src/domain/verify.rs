//! 本人確認: the record's 氏名, カナ氏名, 生年月日, 性別 and 住所 must be the resident's as J-LIS
//! holds them, so that no subscriber is linked to someone else's 個人番号. The items are
//! compared with the same matching as J-LIS look-ups (`renkei_core::text`, docs/matching.md):
//! notation that denotes the same value — full/half width, hiragana/katakana, small kana,
//! spaces, old and variant kanji, 和暦, and address forms such as 一丁目2番3号 / 1-2-3 — matches;
//! anything else, even a near miss, is a mismatch naming each item that disagreed and how.

use renkei_core::text::{compare_address, compare_kana, compare_name, MatchLevel};
use renkei_wire::msg::registry::ResidentIdentity;

use super::hold::{code, Hold};
use super::record::{ChangeType, SubscriberRecord};

/// The items compared, as recorded with each registered subscriber.
pub const CHECKED_ITEMS: &str = "氏名,カナ氏名,生年月日,性別,住所";

/// How a disagreeing item compared, for the hold reason.
fn how(level: MatchLevel) -> String {
    match level {
        MatchLevel::Partial(similarity) => format!("類似度{}%", similarity / 10),
        _ => "不一致".to_owned(),
    }
}

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
    let mut differ: Vec<String> = Vec::new();
    let mut text_item = |item: &str, level: MatchLevel| {
        if !level.is_match() {
            differ.push(format!("{item}: {}", how(level)));
        }
    };
    text_item("氏名", compare_name(record.name.as_str(), &resident.name));
    text_item(
        "カナ氏名",
        compare_kana(record.kana.as_str(), &resident.kana),
    );
    if record.birth != resident.birth {
        differ.push("生年月日: 不一致".to_owned());
    }
    if record.sex != resident.sex {
        differ.push("性別: 不一致".to_owned());
    }
    let address = compare_address(&record.address, &resident.address);
    if !address.is_match() {
        differ.push(format!("住所: {}", how(address)));
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
        record_at(name, kana, birth, sex, "東京都千代田区丸の内一丁目2番3号")
    }

    fn record_at(
        name: &str,
        kana: &str,
        birth: &str,
        sex: &str,
        address: &str,
    ) -> SubscriberRecord {
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
            address,
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
    fn address_forms_and_variant_kanji_match() {
        for address in [
            "東京都千代田区丸の内1丁目2番3号",
            "千代田区丸の内1-2-3",
            "東京都千代田区丸の内１－２－３",
            "東京都 千代田区 丸の内 一丁目2番地3",
        ] {
            assert_eq!(
                cross_check(
                    &record_at("山田 太郎", "ヤマダ タロウ", "1945-04-01", "1", address),
                    Some(&resident())
                ),
                Ok(()),
                "{address}"
            );
        }
        let old_kanji = ResidentIdentity {
            name: "髙橋　一郎".into(),
            kana: "タカハシ　イチロウ".into(),
            ..resident()
        };
        assert_eq!(
            cross_check(
                &record("高橋　一郎", "ﾀｶﾊｼ ｲﾁﾛｳ", "1945-04-01", "1"),
                Some(&old_kanji)
            ),
            Ok(())
        );
    }

    #[test]
    fn another_address_or_a_near_name_is_held_naming_the_item() {
        let hold = cross_check(
            &record_at(
                "山田 太郎",
                "ヤマダ タロウ",
                "1945-04-01",
                "1",
                "大阪府大阪市北区梅田1-1-1",
            ),
            Some(&resident()),
        )
        .unwrap_err();
        assert_eq!(hold.code, code::IDENTITY_MISMATCH);
        assert!(hold.reason.contains("住所: "), "{}", hold.reason);
        assert!(!hold.reason.contains("氏名"), "{}", hold.reason);
        let hold = cross_check(
            &record_at(
                "山田 太朗",
                "ヤマダ タロウ",
                "1945-04-01",
                "1",
                "千代田区丸の内1-2-4",
            ),
            Some(&resident()),
        )
        .unwrap_err();
        assert!(
            hold.reason.contains("氏名: 類似度") && hold.reason.contains("住所: 類似度"),
            "{}",
            hold.reason
        );
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
