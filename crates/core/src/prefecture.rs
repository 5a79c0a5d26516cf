//! The 47 都道府県 in the order of their codes (JIS X 0401): the one list every crate uses —
//! address matching strips a leading prefecture, the synthetic population spreads residents
//! over them, and a 保険者番号's 都道府県番号 is the position in this list plus one.

/// Prefecture names; `PREFECTURES[i]` has code `i + 1` ("01" 北海道 … "47" 沖縄県).
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_jis_codes() {
        assert_eq!(PREFECTURES[0], "北海道");
        assert_eq!(PREFECTURES[12], "東京都");
        assert_eq!(PREFECTURES[26], "大阪府");
        assert_eq!(PREFECTURES[46], "沖縄県");
    }
}
