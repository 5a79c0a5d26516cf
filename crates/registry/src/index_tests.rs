use super::*;
use renkei_core::text::MatchLevel;
use time::macros::date;

fn n(i: u64) -> MyNumber {
    MyNumber::from_body_u64(10_000_000_000 + i)
}

fn add(index: &SearchIndex, i: u64, name: &str, kana: &str, birth: Date, address: &str) {
    index.upsert(vec![Prepared::new(
        &n(i),
        name,
        kana,
        birth,
        Sex::Male,
        address,
    )]);
}

#[test]
fn ranks_the_right_person_first_and_keeps_to_the_birth_date() {
    let index = SearchIndex::new();
    let birth = date!(1945 - 04 - 01);
    add(
        &index,
        1,
        "山田　太郎",
        "ヤマダ　タロウ",
        birth,
        "東京都千代田区丸の内一丁目2番3号",
    );
    add(
        &index,
        2,
        "山田　太郎",
        "ヤマダ　タロウ",
        birth,
        "大阪府大阪市北区梅田一丁目1番1号",
    );
    add(
        &index,
        3,
        "山田　太郎",
        "ヤマダ　タロウ",
        date!(1945 - 04 - 02),
        "東京都千代田区丸の内一丁目2番3号",
    );
    add(
        &index,
        4,
        "鈴木　花子",
        "スズキ　ハナコ",
        birth,
        "東京都千代田区丸の内一丁目2番3号",
    );
    let q = Basic4::query(
        Some("山田太郎"),
        Some("ﾔﾏﾀﾞ ﾀﾛｳ"),
        birth,
        Some(Sex::Male),
        Some("千代田区丸の内1-2-3"),
    )
    .unwrap();
    let hits = index.search(&q, 10);
    let numbers: Vec<_> = hits.iter().map(|h| h.my_number.clone()).collect();
    assert_eq!(numbers, vec![n(1), n(2)]);
    assert_eq!(hits[0].score.address, Some(MatchLevel::Normalized));
    assert_eq!(hits[0].score.name, Some(MatchLevel::Normalized));
    assert!(hits[0].score.score > hits[1].score.score);
}

#[test]
fn updates_move_people_between_days_and_removal_frees_them() {
    let index = SearchIndex::new();
    add(
        &index,
        1,
        "山田　太郎",
        "ヤマダ　タロウ",
        date!(1945 - 04 - 01),
        "東京都",
    );
    add(
        &index,
        1,
        "山田　太郎",
        "ヤマダ　タロウ",
        date!(1950 - 01 - 01),
        "東京都",
    );
    let q = |b| Basic4::query(Some("山田太郎"), None, b, None, None).unwrap();
    assert!(index.search(&q(date!(1945 - 04 - 01)), 10).is_empty());
    assert_eq!(index.search(&q(date!(1950 - 01 - 01)), 10).len(), 1);
    index.set_removed(&[n(1)], true);
    assert!(index.search(&q(date!(1950 - 01 - 01)), 10)[0].removed);
    index.remove(&n(1));
    assert!(index.search(&q(date!(1950 - 01 - 01)), 10).is_empty());
    assert_eq!(index.len(), 0);
    add(
        &index,
        2,
        "佐藤　一郎",
        "サトウ　イチロウ",
        date!(1950 - 01 - 01),
        "東京都",
    );
    assert_eq!(index.stats().residents, 1);
}
