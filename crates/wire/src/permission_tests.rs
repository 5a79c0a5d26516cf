use super::*;
use InstitutionKind::{Insurer, Koiki, Municipality};

const ONE: &str = r#"
[[rule]]
id = "R-1"
asker = "koiki"
task = "K01"
task_name = "保険料の賦課"
provider = "municipality"
info = "J01"
info_name = "地方税関係情報"
"#;

fn tc(s: &str) -> TaskCode {
    TaskCode::parse(s).unwrap()
}

fn ic(s: &str) -> InfoCode {
    InfoCode::parse(s).unwrap()
}

fn with_second(extra: &str) -> String {
    format!("{ONE}\n[[rule]]\n{extra}")
}

#[test]
fn the_builtin_table_parses_and_permits_the_seed_examples() {
    let t = PermissionTable::builtin();
    assert_eq!(t.rules().len(), 13);
    let r = t
        .authorize(Koiki, &tc("K01"), Municipality, &ic("J01"))
        .unwrap();
    assert_eq!(r.id, "別表第二-80-1");
    assert_eq!(r.info_name, "地方税関係情報");
    assert_eq!(
        t.authorize(Koiki, &tc("K02"), Municipality, &ic("J02"))
            .unwrap()
            .id,
        "別表第二-80-4"
    );
    assert_eq!(
        t.authorize(Koiki, &tc("K03"), Koiki, &ic("J04"))
            .unwrap()
            .id,
        "別表第二-80-5"
    );
    assert_eq!(
        t.authorize(Koiki, &tc("K03"), Insurer, &ic("J04"))
            .unwrap()
            .id,
        "別表第二-80-6"
    );
    assert_eq!(
        t.authorize(Municipality, &tc("M01"), Koiki, &ic("J03"))
            .unwrap()
            .id,
        "別表第二-94-1"
    );
    assert_eq!(
        t.authorize(Municipality, &tc("M04"), Koiki, &ic("J04"))
            .unwrap()
            .id,
        "別表第二-30-2"
    );
    assert_eq!(
        t.authorize(Municipality, &tc("M01"), Koiki, &ic("J06"))
            .unwrap()
            .info_name,
        "高額介護合算療養費情報"
    );
    assert_eq!(
        t.authorize(Municipality, &tc("M03"), Koiki, &ic("J07"))
            .unwrap()
            .id,
        "別表第二-30-3"
    );
    assert_eq!(
        t.authorize(Municipality, &tc("M03"), Koiki, &ic("J06"))
            .unwrap_err()
            .code(),
        "info_not_for_task"
    );
    assert_eq!(t.tasks().len(), 8);
    assert_eq!(t.tasks()[0], ("K01", "後期高齢者医療の保険料の賦課"));
}

#[test]
fn every_builtin_rule_authorizes_itself() {
    let t = PermissionTable::builtin();
    for rule in t.rules() {
        let got = t
            .authorize(rule.asker, &rule.task, rule.provider, &rule.info)
            .unwrap();
        assert_eq!(got, rule);
    }
}

#[test]
fn each_check_refuses_with_its_own_code() {
    let t = PermissionTable::builtin();
    let cases = [
        ((Koiki, "X99", Municipality, "J01"), "unknown_task"),
        ((Koiki, "K01", Municipality, "J99"), "unknown_info"),
        (
            (Municipality, "K01", Municipality, "J01"),
            "task_not_for_asker",
        ),
        ((Koiki, "K01", Municipality, "J04"), "info_not_for_task"),
        ((Koiki, "K01", Koiki, "J01"), "provider_not_holder"),
        ((Koiki, "K03", Municipality, "J04"), "provider_not_holder"),
        ((Insurer, "K03", Koiki, "J04"), "task_not_for_asker"),
    ];
    for ((asker, task, provider, info), code) in cases {
        let refusal = t
            .authorize(asker, &tc(task), provider, &ic(info))
            .unwrap_err();
        assert_eq!(refusal.code(), code, "{asker:?} {task} {provider:?} {info}");
        assert!(refusal.to_string().contains(code), "{refusal}");
    }
}

#[test]
fn refusal_messages_name_what_was_refused_in_japanese() {
    let t = PermissionTable::builtin();
    let r = t
        .authorize(Koiki, &tc("K01"), Koiki, &ic("J01"))
        .unwrap_err();
    assert_eq!(
        r.to_string(),
        "事務「K01」の特定個人情報「J01」は後期高齢者医療広域連合に照会できません（拒否: provider_not_holder）"
    );
    let r = t
        .authorize(Municipality, &tc("K01"), Municipality, &ic("J01"))
        .unwrap_err();
    assert_eq!(
        r.to_string(),
        "市町村は事務「K01」で照会できません（拒否: task_not_for_asker）"
    );
}

#[test]
fn load_reads_a_file_and_names_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("permissions.toml");
    std::fs::write(&path, ONE).unwrap();
    assert_eq!(PermissionTable::load(&path).unwrap().rules().len(), 1);
    let missing = dir.path().join("none.toml");
    let err = PermissionTable::load(&missing).unwrap_err();
    assert!(
        matches!(err, TableError::Io { ref path, .. } if path.ends_with("none.toml")),
        "{err}"
    );
}

#[test]
fn a_missing_or_bad_field_is_named_with_its_row() {
    let cases = [
        (ONE.replace("asker = \"koiki\"\n", ""), 1, "asker"),
        (ONE.replace("\"koiki\"", "\"prefecture\""), 1, "asker"),
        (ONE.replace("\"municipality\"", "\"\""), 1, "provider"),
        (ONE.replace("\"K01\"", "\"K 01\""), 1, "task"),
        (ONE.replace("\"J01\"", "\"J01-very-long-code\""), 1, "info"),
        (
            ONE.replace("\"保険料の賦課\"", "\" 保険料の賦課\""),
            1,
            "task_name",
        ),
        (ONE.replace("id = \"R-1\"\n", ""), 1, "id"),
        (
            with_second(
                r#"id = "R-2"
asker = "koiki"
task = "K01"
task_name = "保険料の賦課"
provider = "municipality"
info = "J02""#,
            ),
            2,
            "info_name",
        ),
    ];
    for (text, want_row, want_field) in cases {
        match PermissionTable::parse(&text).unwrap_err() {
            TableError::Field {
                row,
                field,
                problem,
            } => {
                assert_eq!((row, field), (want_row, want_field), "{problem}");
            }
            other => panic!("{want_field}: {other}"),
        }
    }
}

#[test]
fn duplicates_and_conflicting_names_are_refused() {
    let dup_id = with_second(
        &ONE.replace("[[rule]]", "")
            .replace("J01", "J02")
            .replace("地方税関係情報", "住民票関係情報"),
    );
    assert_eq!(
        PermissionTable::parse(&dup_id).unwrap_err(),
        TableError::DuplicateId {
            row: 2,
            id: "R-1".into(),
            first: 1
        }
    );
    let dup_rule = with_second(&ONE.replace("[[rule]]", "").replace("R-1", "R-2"));
    assert_eq!(
        PermissionTable::parse(&dup_rule).unwrap_err(),
        TableError::DuplicateRule { row: 2, first: 1 }
    );
    let renamed = with_second(
        &ONE.replace("[[rule]]", "")
            .replace("R-1", "R-2")
            .replace("\"保険料の賦課\"", "\"保険料の徴収\"")
            .replace("municipality", "insurer"),
    );
    let err = PermissionTable::parse(&renamed).unwrap_err();
    assert!(
        matches!(
            err,
            TableError::NameMismatch {
                row: 2,
                field: "task_name",
                first: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("2行目"), "{err}");
}

#[test]
fn syntax_errors_unknown_fields_and_empty_tables_are_refused() {
    assert!(matches!(
        PermissionTable::parse("[[rule]\n"),
        Err(TableError::Syntax(_))
    ));
    let extra = ONE.replace("id = \"R-1\"", "id = \"R-1\"\nnote = \"x\"");
    assert!(
        matches!(PermissionTable::parse(&extra), Err(TableError::Syntax(m)) if m.contains("note"))
    );
    assert_eq!(PermissionTable::parse("").unwrap_err(), TableError::Empty);
}

#[test]
fn docs_list_every_shipped_rule() {
    let docs = include_str!("../../../docs/formats.md");
    for r in PermissionTable::builtin().rules() {
        let row = format!(
            "| {} | {} | {} {} | {} | {} {} |",
            r.id,
            r.asker.as_str(),
            r.task,
            r.task_name,
            r.provider.as_str(),
            r.info,
            r.info_name
        );
        assert!(docs.contains(&row), "docs/formats.md lacks {row}");
    }
}

proptest::proptest! {
    /// `authorize` permits exactly the listed combinations, for codes in and out of the table.
    #[test]
    fn authorize_permits_exactly_the_rows(
        asker in 0usize..3, provider in 0usize..3, task in 0usize..9, info in 0usize..6,
    ) {
        let kinds = [Koiki, Municipality, Insurer];
        let tasks = ["K01", "K02", "K03", "M01", "M02", "M03", "M04", "X01", ""];
        let infos = ["J01", "J02", "J03", "J04", "J99", "k01"];
        let t = PermissionTable::builtin();
        let (asker, provider, task, info) = (kinds[asker], kinds[provider], tasks[task], infos[info]);
        let listed = t.rules().iter().find(|r| {
            r.asker == asker && r.task == task && r.provider == provider && r.info == info
        });
        // An empty 事務コード cannot reach the table: it is refused where the request is read.
        let Ok(task) = TaskCode::parse(task) else {
            proptest::prop_assert!(task.is_empty(), "{task:?}");
            return Ok(());
        };
        match t.authorize(asker, &task, provider, &ic(info)) {
            Ok(rule) => proptest::prop_assert_eq!(Some(rule), listed),
            Err(refusal) => {
                proptest::prop_assert!(listed.is_none(), "{}", refusal);
                let suffix = format!("（拒否: {}）", refusal.code());
                proptest::prop_assert!(refusal.to_string().ends_with(&suffix), "{}", refusal);
            }
        }
    }
}
