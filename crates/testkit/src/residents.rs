//! Synthetic residents for tests: the `i`-th resident, and numbers J-LIS does not know.

use renkei_core::{MyNumber, ResidentCode, Sex};
use renkei_registry::ResidentRecord;

/// The `i`-th synthetic resident (numbers spread over the space, all valid).
pub fn resident(i: u64) -> ResidentRecord {
    ResidentRecord {
        my_number: number(i),
        resident_code: ResidentCode::from_body_u64(1_000_000_000 + i * 13),
        name: format!("山田　太郎{i}"),
        kana: "ヤマダ\u{3000}タロウ".into(),
        birth: time::macros::date!(1945 - 04 - 01),
        sex: [Sex::Male, Sex::Female][(i % 2) as usize],
        address: format!("東京都千代田区千代田一丁目{i}番1号"),
        municipality_code: "131016".into(),
    }
}

/// The 個人番号 of resident `i`.
pub fn number(i: u64) -> MyNumber {
    MyNumber::from_body_u64(10_000_000_000 + i * 7_919)
}

/// A number no synthetic resident has.
pub fn unknown(i: u64) -> MyNumber {
    MyNumber::from_body_u64(90_000_000_000 + i)
}
