use time::macros::date;

use super::*;

const NUMBER: &str = "621498320257";
const TODAY: Date = date!(2025 - 06 - 30);

fn moved(id: &str) -> ReportedChange {
    ReportedChange {
        line: Some(2),
        change_id: id.into(),
        kind: "転居".into(),
        my_number: NUMBER.into(),
        effective_on: "令和6年4月1日".into(),
        address: "東京都世田谷区太子堂一丁目1番1号".into(),
        municipality_code: "131121".into(),
        ..ReportedChange::default()
    }
}

fn refusal(r: Result<Report, Refused>) -> Refused {
    match r {
        Err(e) => e,
        Ok(_) => panic!("expected a refusal"),
    }
}

#[test]
fn only_municipalities_with_a_valid_code_may_report() {
    let city = Identity::new("city-131121", Role::Agency, "世田谷区");
    assert_eq!(Municipality::of(&city).unwrap().code(), "131121");
    for (code, role) in [
        ("city-131121", Role::Insurer),
        ("city-131122", Role::Agency),
        ("city-13112", Role::Agency),
        ("koiki-13", Role::Agency),
        ("intermediate", Role::Intermediate),
    ] {
        let refused = Municipality::of(&Identity::new(code, role, "x")).unwrap_err();
        assert!(refused.rule.contains("異動の届出者"), "{code}");
    }
    let setagaya = Municipality::of(&city).unwrap();
    assert!(setagaya.holds("131121") && setagaya.holds("13112"));
    assert!(!setagaya.holds("131202") && !setagaya.holds(""));
}

#[test]
fn local_government_codes_carry_their_check_digit() {
    for good in ["131016", "131121", "131202", "271276", "13112"] {
        assert!(valid_local_government_code(good), "{good}");
    }
    for bad in ["131017", "1311", "1311212", "13112a", ""] {
        assert!(!valid_local_government_code(bad), "{bad}");
    }
}

#[test]
fn each_kind_parses_into_its_change() {
    let r = parse("2行目", &moved("A1"), TODAY).unwrap();
    assert_eq!(r.change_id, "A1");
    assert_eq!(r.change.kind().label(), "転居");
    assert_eq!(r.change.on(), date!(2024 - 04 - 01));
    let renamed = ReportedChange {
        kind: "氏名変更".into(),
        name: " 佐藤  花子 ".into(),
        kana: "さとう　はなこ".into(),
        ..moved("A2")
    };
    match parse("x", &renamed, TODAY).unwrap().change {
        ResidentChange::Renamed { name, kana, .. } => {
            assert_eq!(
                (name.as_str(), kana.as_str()),
                ("佐藤　花子", "サトウ　ハナコ")
            );
        }
        other => panic!("{other:?}"),
    }
    let removed = ReportedChange {
        kind: "removed".into(),
        reason: "死亡".into(),
        ..moved("A3")
    };
    assert!(matches!(
        parse("x", &removed, TODAY).unwrap().change,
        ResidentChange::Removed {
            reason: RemovalReason::Death,
            ..
        }
    ));
}

#[test]
fn refusals_name_the_record_the_field_and_never_the_value() {
    let cases: Vec<(ReportedChange, &str, &str)> = vec![
        (moved(" "), "blank_item", "変更ID"),
        (
            ReportedChange {
                kind: "引越".into(),
                ..moved("B")
            },
            "invalid_kind",
            "異動区分",
        ),
        (
            ReportedChange {
                my_number: "621498320258".into(),
                ..moved("B")
            },
            "invalid_number",
            "個人番号",
        ),
        (
            ReportedChange {
                effective_on: "2024-02-30".into(),
                ..moved("B")
            },
            "invalid_date",
            "異動年月日",
        ),
        (
            ReportedChange {
                effective_on: "2025-07-01".into(),
                ..moved("B")
            },
            "invalid_date",
            "異動年月日",
        ),
        (
            ReportedChange {
                address: "　".into(),
                ..moved("B")
            },
            "blank_item",
            "住所",
        ),
        (
            ReportedChange {
                municipality_code: "131122".into(),
                ..moved("B")
            },
            "invalid_item",
            "市区町村コード",
        ),
        (
            ReportedChange {
                kind: "氏名変更".into(),
                name: "佐藤".into(),
                ..moved("B")
            },
            "blank_item",
            "氏名カナ",
        ),
        (
            ReportedChange {
                kind: "消除".into(),
                reason: "行方不明".into(),
                ..moved("B")
            },
            "invalid_item",
            "消除事由",
        ),
    ];
    for (change, code, field) in cases {
        let e = refusal(parse("7行目", &change, TODAY));
        assert_eq!(e.code, code, "{}", e.reason);
        assert!(
            e.reason.starts_with(&format!("7行目 {field}: ")),
            "{}",
            e.reason
        );
        assert!(!e.reason.contains("62149832025"), "{}", e.reason);
    }
}

#[test]
fn a_change_id_twice_in_a_batch_is_refused_the_second_time() {
    let mut second = moved("X");
    second.line = Some(5);
    let third = ReportedChange {
        line: None,
        ..moved("Y")
    };
    let results = parse_batch(&[moved("X"), second, third], TODAY);
    assert!(results[0].is_ok());
    let e = results[1].clone().err().unwrap();
    assert_eq!(e.code, "duplicate_change_id");
    assert!(
        e.reason.starts_with("5行目 変更ID") && e.reason.contains("2行目"),
        "{}",
        e.reason
    );
    assert!(
        results[2].is_ok(),
        "a record without a line is named by position"
    );
    assert_eq!(record_name(3, &moved("Y")), "2行目");
    assert_eq!(record_name(3, &ReportedChange::default()), "3件目");
}

#[test]
fn the_judge_checks_residence_removal_and_order() {
    let me = Municipality("131121".into());
    let state = |code: &str, removed, last| ResidentState {
        municipality_code: code.into(),
        birth: date!(1945 - 04 - 01),
        removed_on: removed,
        last_change: last,
    };
    let change = parse("x", &moved("J"), TODAY).unwrap().change;
    assert_eq!(
        judge(&me, &state("131121", None, None), &change),
        Verdict::Applied
    );
    assert_eq!(
        judge(&me, &state("131202", None, None), &change),
        Verdict::NotYourResident
    );
    let gone = date!(2023 - 01 - 01);
    assert_eq!(
        judge(&me, &state("13112", Some(gone), None), &change),
        Verdict::AlreadyRemoved(gone)
    );
    let later = date!(2024 - 05 - 01);
    assert_eq!(
        judge(&me, &state("131121", None, Some(later)), &change),
        Verdict::BeforeLastChange(later)
    );
    let same_day = date!(2024 - 04 - 01);
    assert_eq!(
        judge(&me, &state("131121", None, Some(same_day)), &change),
        Verdict::Applied
    );
    let mut young = state("131121", None, None);
    young.birth = date!(2024 - 05 - 01);
    assert_eq!(judge(&me, &young, &change), Verdict::BeforeBirth);
    match outcome("4行目", &me, Verdict::NotYourResident) {
        ChangeOutcome::Refused { code, reason } => {
            assert_eq!(code, "not_your_resident");
            assert!(reason.starts_with("4行目 個人番号: ") && reason.contains("131121"));
        }
        other => panic!("{other:?}"),
    }
}
