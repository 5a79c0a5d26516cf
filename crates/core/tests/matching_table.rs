//! Table tests for `renkei_core::text` matching with real Japanese names and addresses: which
//! notations match exactly, after normalization, partially, or not at all, and how a
//! candidate for a 基本4情報 search is scored.

use renkei_core::text::{
    address_key, compare_address, compare_kana, compare_name, score_candidate, Basic4, MatchLevel,
    QueryError,
};
use renkei_core::{Date, Sex};
use time::macros::date;

#[test]
fn names_written_with_old_or_variant_kanji_match_after_normalization() {
    let pairs = [
        ("髙橋 一郎", "高橋一郎"),
        ("山﨑 花子", "山崎 花子"),
        ("齋藤 茂", "斎藤　茂"),
        ("齊藤 茂", "斉藤 茂"),
        ("渡邊 健一", "渡辺 健一"),
        ("渡邉 健一", "渡邊 健一"),
        ("澤田 亜希", "沢田 亜希"),
        ("濱口 優", "浜口 優"),
        ("國分 太一", "国分 太一"),
        ("櫻井 翔", "桜井 翔"),
        ("廣瀬 すず", "広瀬 すず"),
        ("德永 英明", "徳永 英明"),
        ("芥川 龍之介", "芥川 竜之介"),
        ("小嶋 陽菜", "小島 陽菜"),
        ("冨田 勲", "富田 勲"),
        ("𠮷田 沙保里", "吉田 沙保里"),
        ("佐々木 希", "佐佐木 希"),
        ("ＳＭＩＴＨ　ＪＯＨＮ", "SMITH JOHN"),
        ("中嶌 惠子", "中島 恵子"),
        ("眞鍋 かをり", "真鍋 かをり"),
    ];
    for (a, b) in pairs {
        assert_eq!(compare_name(a, b), MatchLevel::Normalized, "{a} / {b}");
        assert_eq!(compare_name(b, a), MatchLevel::Normalized, "{b} / {a}");
    }
}

#[test]
fn different_names_do_not_match() {
    assert_eq!(
        compare_name("山田 太郎", "山田 次郎"),
        MatchLevel::Partial(750)
    );
    assert_eq!(compare_name("佐藤 健", "加藤 健"), MatchLevel::Partial(666));
    assert_eq!(compare_name("田中 一郎", "鈴木 花子"), MatchLevel::None);
    assert_eq!(compare_name("高田", "高橋"), MatchLevel::None);
}

#[test]
fn kana_readings_match_across_scripts_small_kana_and_long_vowels() {
    let pairs = [
        ("ヤマダ タロウ", "やまだ　たろう"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"),
        ("キッカワ", "キツカワ"),
        ("ジョウジ", "ジヨウジ"),
        ("ユーコ", "ユコ"),
        ("ヴィクトリア", "ブィクトリア"),
        ("ミチヅル", "ミチズル"),
        ("チヂワ", "チジワ"),
        ("カヲル", "カオル"),
        ("スミス・ジョン", "スミス ジョン"),
        ("サヽキ", "ササキ"),
    ];
    for (a, b) in pairs {
        assert_eq!(compare_kana(a, b), MatchLevel::Normalized, "{a} / {b}");
    }
    assert_eq!(
        compare_kana("ヤマダタロウ", "ヤマダタロウ"),
        MatchLevel::Exact
    );
}

#[test]
fn one_kana_typo_is_a_partial_match() {
    // One letter changed in six: 1000 × (1 − 1/6) rounded down.
    assert_eq!(
        compare_kana("ヤマダタロウ", "ヤマダタロオ"),
        MatchLevel::Partial(833)
    );
    // One letter missing in six.
    assert_eq!(
        compare_kana("ヤマダタロウ", "ヤマダタロ"),
        MatchLevel::Partial(833)
    );
    assert_eq!(
        compare_kana("スズキハナコ", "サトウイチロウ"),
        MatchLevel::None
    );
}

#[test]
fn addresses_in_every_common_form_share_one_key() {
    let key = "千代田区霞ヶ関1-2-3";
    let forms = [
        "東京都千代田区霞が関一丁目二番三号",
        "東京都千代田区霞が関1丁目2番3号",
        "千代田区霞が関1-2-3",
        "千代田区霞ヶ関１－２－３",
        "千代田区 霞が関 1丁目2番地3",
        "東京都　千代田区霞が関１‐２‐３",
        "千代田区霞ケ関1−2−3",
        "千代田区霞が関1ー2ー3",
        "千代田区霞が関1ｰ2ｰ3",
        "千代田区霞が関1の2の3",
    ];
    for form in forms {
        assert_eq!(address_key(form), key, "{form}");
    }
}

#[test]
fn address_forms_table() {
    let cases = [
        ("大阪府大阪市北区梅田三丁目一番三号", "大阪市北区梅田3-1-3"),
        ("北海道札幌市中央区北一条西二丁目", "札幌市中央区北一条西2"),
        ("新潟県長岡市大字寺泊二百十五番地", "長岡市寺泊215"),
        ("茨城県つくば市字竹園1-2", "つくば市竹園1-2"),
        (
            "京都府京都市中京区寺町通二条下る榎木町九十五番地の三",
            "京都市中京区寺町通二条下る榎木町95-3",
        ),
        ("東京都千代田区二番町", "千代田区2町"),
        ("千代田区2番町", "千代田区2町"),
        (
            "港区六本木6-10-1 六本木ヒルズ森タワー",
            "港区六本木6-10-1六本木ヒルズ森タワー",
        ),
        (
            "横浜市西区みなとみらい二丁目2-1 ランドマーク101号室",
            "横浜市西区みなとみらい2-2-1ランドマーク101号室",
        ),
        (
            "神奈川県川崎市川崎区駅前本町十一番地二",
            "川崎市川崎区駅前本町11-2",
        ),
        (
            "宮城県仙台市青葉区国分町三丁目七-一",
            "仙台市青葉区国分町3-7-1",
        ),
        (
            "福岡県福岡市博多区博多駅前二丁目二〇番一号",
            "福岡市博多区博多駅前2-20-1",
        ),
        ("東京都渋谷区恵比寿四丁目二十番三号", "渋谷区恵比寿4-20-3"),
        ("長野県松本市大字島立一番地の二", "松本市島立1-2"),
        ("長野県松本市島立1番地2", "松本市島立1-2"),
        ("愛知県名古屋市中区栄三ー二ー一", "名古屋市中区栄3-2-1"),
        (
            "兵庫県神戸市中央区加納町六丁目五番一号",
            "神戸市中央区加納町6-5-1",
        ),
        ("広島県廣島市中区基町十番五十二号", "広島市中区基町10-52"),
        (
            "埼玉県さいたま市浦和区高砂三丁目十五番一号",
            "さいたま市浦和区高砂3-15-1",
        ),
        ("沖縄県那覇市泉崎一丁目二番二号", "那覇市泉崎1-2-2"),
        ("岩手県盛岡市内丸十番一号", "盛岡市内丸10-1"),
        ("三重県津市広明町十三番地", "津市広明町13"),
        (
            "東京都港区六本木六丁目十番一号　六本木ヒルズ森タワー",
            "港区六本木6-10-1六本木ヒルズ森タワー",
        ),
    ];
    for (written, key) in cases {
        assert_eq!(address_key(written), key, "{written}");
    }
}

#[test]
fn address_levels() {
    assert_eq!(
        compare_address("東京都千代田区霞が関1-2-3", "東京都千代田区霞が関1-2-3"),
        MatchLevel::Exact
    );
    assert_eq!(
        compare_address("東京都千代田区霞が関一丁目二番三号", "千代田区霞が関1-2-3"),
        MatchLevel::Normalized
    );
    // A different house number in the same block is close, not equal.
    assert!(matches!(
        compare_address("千代田区霞が関1-2-3", "千代田区霞が関1-2-5"),
        MatchLevel::Partial(_)
    ));
    assert_eq!(
        compare_address("千代田区霞が関1-2-3", "大阪市北区梅田3-1-3"),
        MatchLevel::None
    );
}

fn query(name: &str, kana: &str, birth: Date, sex: Sex, address: &str) -> Basic4 {
    Basic4::query(Some(name), Some(kana), birth, Some(sex), Some(address)).expect("valid query")
}

fn record(name: &str, kana: &str, birth: Date, sex: Sex, address: &str) -> Basic4 {
    Basic4::record(Some(name), Some(kana), birth, Some(sex), Some(address))
}

#[test]
fn a_different_birth_date_is_never_a_candidate() {
    let q = query(
        "山田太郎",
        "ヤマダタロウ",
        date!(1945 - 04 - 01),
        Sex::Male,
        "千代田区霞が関1-2-3",
    );
    let r = record(
        "山田太郎",
        "ヤマダタロウ",
        date!(1945 - 04 - 02),
        Sex::Male,
        "千代田区霞が関1-2-3",
    );
    assert_eq!(score_candidate(&q, &r), None);
}

#[test]
fn the_score_says_how_each_item_matched() {
    let birth = date!(1945 - 04 - 01);
    let q = query(
        "髙橋一郎",
        "タカハシイチロウ",
        birth,
        Sex::Male,
        "東京都千代田区霞が関一丁目二番三号",
    );
    let same = record(
        "髙橋一郎",
        "タカハシイチロウ",
        birth,
        Sex::Male,
        "東京都千代田区霞が関一丁目二番三号",
    );
    let variant = record(
        "高橋 一郎",
        "ﾀｶﾊｼ ｲﾁﾛｳ",
        birth,
        Sex::Male,
        "千代田区霞が関1-2-3",
    );
    let moved = record(
        "高橋一郎",
        "タカハシイチロウ",
        birth,
        Sex::Male,
        "大阪市北区梅田3-1-3",
    );
    let typo = record(
        "高橋一郎",
        "タカハシイチロ",
        birth,
        Sex::Female,
        "千代田区霞が関1-2-3",
    );

    let exact = score_candidate(&q, &same).expect("same birth");
    assert_eq!(exact.name, Some(MatchLevel::Exact));
    assert_eq!(exact.address, Some(MatchLevel::Exact));
    assert_eq!(exact.score, 1000);

    let normalized = score_candidate(&q, &variant).expect("same birth");
    assert_eq!(normalized.name, Some(MatchLevel::Normalized));
    assert_eq!(normalized.kana, Some(MatchLevel::Normalized));
    assert_eq!(normalized.sex, Some(MatchLevel::Exact));
    assert_eq!(normalized.address, Some(MatchLevel::Normalized));
    assert_eq!(normalized.score, 955);

    let other_address = score_candidate(&q, &moved).expect("same birth");
    assert_eq!(other_address.address, Some(MatchLevel::None));
    assert_eq!(other_address.score, 680);

    let near = score_candidate(&q, &typo).expect("same birth");
    assert_eq!(near.kana, Some(MatchLevel::Partial(875)));
    assert_eq!(near.sex, Some(MatchLevel::None));
    assert_eq!(near.score, 805);

    let mut ranked = [exact, normalized, other_address, near];
    ranked.sort_by_key(|s| std::cmp::Reverse(s.score));
    // A near miss on the reading still ranks above the same name at another address.
    assert_eq!(ranked.map(|s| s.score), [1000, 955, 805, 680]);
}

#[test]
fn items_not_given_are_not_compared() {
    let birth = date!(1990 - 12 - 31);
    let q = Basic4::query(None, Some("やまだ はなこ"), birth, None, None).expect("kana suffices");
    let r = record(
        "山田花子",
        "ヤマダ ハナコ",
        birth,
        Sex::Female,
        "札幌市中央区北一条西2",
    );
    let score = score_candidate(&q, &r).expect("same birth");
    assert_eq!((score.name, score.sex, score.address), (None, None, None));
    assert_eq!(score.kana, Some(MatchLevel::Normalized));
    assert_eq!(score.score, 950);
}

#[test]
fn a_query_needs_a_name_or_a_kana_name() {
    let birth = date!(1990 - 12 - 31);
    assert_eq!(
        Basic4::query(None, Some(" "), birth, Some(Sex::Male), Some("札幌市")),
        Err(QueryError::NoName)
    );
    assert_eq!(
        QueryError::NoName.to_string(),
        "氏名またはカナ氏名を指定してください"
    );
    // A record without 氏名 or カナ cannot be found by 性別 and 住所 alone.
    let q = Basic4::query(Some("山田花子"), None, birth, None, None).expect("name");
    let r = Basic4::record(None, Some("ヤマダハナコ"), birth, None, None);
    assert_eq!(score_candidate(&q, &r), None);
}
