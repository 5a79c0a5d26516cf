use super::*;
use crate::domain::record::{parse_row, Header, COLUMNS};
use renkei_wire::msg::intermediate::RawRow;

const JOB: &str = "job-a";

fn ctx(job: &str) -> PlanContext<'_> {
    PlanContext {
        job_id: job,
        insurer_number: "39131156",
        verified: "一致",
    }
}

fn ready(line: u64, change: &str, person: u8, insured: &str, address: &str, lost: &str) -> Item {
    let header = Header::parse(&COLUMNS.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let fields = [
        change,
        "621498320257",
        insured,
        "山田　太郎",
        "ヤマダ　タロウ",
        "1945-04-01",
        "1",
        address,
        "2020-04-01",
        lost,
    ];
    let record = parse_row(
        &header,
        &RawRow {
            line,
            fields: fields.iter().map(|s| s.to_string()).collect(),
        },
    )
    .unwrap();
    Item::Ready(Box::new(Ready {
        record,
        person_key: [person; 32],
        number_sealed: vec![person],
        fugo: format!("F{person}"),
    }))
}

fn outcome(plan: &Plan, i: usize) -> &RowOutcome {
    &plan.results[i].outcome
}

fn held_code(plan: &Plan, i: usize) -> &str {
    match outcome(plan, i) {
        RowOutcome::Held { code, .. } => code,
        other => panic!("row {i} not held: {other:?}"),
    }
}

fn existing_from(plan: &Plan) -> Existing {
    let mut e = Existing::default();
    for s in plan.inserts.iter().chain(&plan.updates) {
        e.insured_owner
            .insert(s.insured_number.clone(), s.person_key);
        e.by_person.insert(s.person_key, s.clone());
    }
    e
}

#[test]
fn new_rows_get_sequential_branches_and_a_first_version() {
    let items = vec![
        ready(2, "1", 1, "10000001", "東京都", ""),
        ready(3, "1", 2, "10000002", "東京都", ""),
    ];
    let plan = plan_chunk(&ctx(JOB), items, Existing::default(), 41);
    assert_eq!(
        outcome(&plan, 0),
        &RowOutcome::Registered {
            branch: "0000000041".into()
        }
    );
    assert_eq!(
        outcome(&plan, 1),
        &RowOutcome::Registered {
            branch: "0000000042".into()
        }
    );
    assert_eq!(plan.next_branch, 43);
    assert_eq!(plan.inserts.len(), 2);
    for s in &plan.inserts {
        // The first version lives in the subscriber; nothing is superseded.
        assert_eq!((s.version, s.change), (1, ChangeType::New));
        assert_eq!(s.version_origin, None);
    }
    assert_eq!(plan.inserts[1].origin(), (JOB, 3));
    assert!(plan.history.is_empty() && plan.archive.is_empty());
    assert!(plan.updates.is_empty());
}

#[test]
fn a_version_superseded_in_its_own_chunk_goes_to_the_history() {
    let items = vec![
        ready(2, "1", 1, "10000001", "東京都", ""),
        ready(7, "2", 1, "10000001", "大阪府", ""),
    ];
    let plan = plan_chunk(&ctx(JOB), items, Existing::default(), 1);
    assert_eq!(plan.inserts.len(), 1);
    let s = &plan.inserts[0];
    assert_eq!(
        (s.version, s.change, s.origin()),
        (2, ChangeType::Change, (JOB, 7))
    );
    assert_eq!(s.address, "大阪府");
    assert_eq!(plan.history.len(), 1);
    let old = &plan.history[0];
    assert_eq!(
        (old.version, old.change, old.origin()),
        (1, ChangeType::New, (JOB, 2))
    );
    assert_eq!(old.address, "東京都");
    assert!(plan.archive.is_empty(), "nothing stored is superseded");
}

#[test]
fn same_number_with_another_insured_number_in_one_file_is_held() {
    let items = vec![
        ready(2, "1", 1, "10000001", "東京都", ""),
        ready(9, "1", 1, "10000099", "東京都", ""),
    ];
    let plan = plan_chunk(&ctx(JOB), items, Existing::default(), 1);
    assert!(matches!(outcome(&plan, 0), RowOutcome::Registered { .. }));
    assert_eq!(held_code(&plan, 1), code::DUPLICATE_IN_FILE);
    assert!(
        matches!(outcome(&plan, 1), RowOutcome::Held { reason, .. } if reason.contains("2行目"))
    );
    assert_eq!(plan.inserts.len(), 1);
}

#[test]
fn resending_changes_nothing_and_keeps_the_branch() {
    let first = plan_chunk(
        &ctx(JOB),
        vec![ready(2, "1", 1, "10000001", "東京都", "")],
        Existing::default(),
        1,
    );
    let again = plan_chunk(
        &ctx("job-b"),
        vec![ready(2, "1", 1, "10000001", "東京都", "")],
        existing_from(&first),
        2,
    );
    assert_eq!(
        outcome(&again, 0),
        &RowOutcome::Registered {
            branch: "0000000001".into()
        }
    );
    assert!(
        again.history.is_empty() && again.archive.is_empty(),
        "an identical row must not add history"
    );
    assert!(again.inserts.is_empty());
    // The row moves the source, not the version: that stays the first job's line 2.
    let s = &again.updates[0];
    assert_eq!(
        (s.source_job.as_str(), s.version, s.change),
        ("job-b", 1, ChangeType::New)
    );
    assert_eq!(s.origin(), (JOB, 2));
    assert_eq!(again.next_branch, 2);
    assert_eq!(
        again.updates[0].number_sealed,
        first.inserts[0].number_sealed
    );
}

#[test]
fn change_and_loss_update_history() {
    let first = plan_chunk(
        &ctx(JOB),
        vec![ready(2, "1", 1, "10000001", "東京都", "")],
        Existing::default(),
        1,
    );
    let items = vec![
        ready(2, "2", 1, "10000001", "大阪府", ""),
        ready(3, "3", 1, "10000001", "大阪府", "2025-03-31"),
    ];
    let plan = plan_chunk(&ctx("job-b"), items, existing_from(&first), 2);
    // The stored version 1 is copied to the history by the store; version 2, made and
    // superseded in this chunk, is written by it; version 3 is the subscriber.
    assert_eq!(plan.archive, vec!["0000000001".to_owned()]);
    assert_eq!(plan.history.len(), 1);
    let v2 = &plan.history[0];
    assert_eq!(
        (v2.version, v2.change, v2.origin()),
        (2, ChangeType::Change, ("job-b", 2))
    );
    assert_eq!(plan.updates.len(), 1);
    assert_eq!(plan.updates[0].version, 3);
    assert_eq!(plan.updates[0].change, ChangeType::Loss);
    assert_eq!(
        plan.updates[0].lost,
        Some(time::macros::date!(2025 - 03 - 31))
    );
    assert_eq!(plan.updates[0].address, "大阪府");
}

#[test]
fn rules_that_hold() {
    // 変更 / 喪失 of somebody not registered.
    let plan = plan_chunk(
        &ctx(JOB),
        vec![ready(2, "2", 1, "10000001", "東京都", "")],
        Existing::default(),
        1,
    );
    assert_eq!(held_code(&plan, 0), code::NOT_REGISTERED);
    // 被保険者番号 of another person.
    let first = plan_chunk(
        &ctx(JOB),
        vec![ready(2, "1", 1, "10000001", "東京都", "")],
        Existing::default(),
        1,
    );
    let plan = plan_chunk(
        &ctx("job-b"),
        vec![ready(2, "1", 2, "10000001", "東京都", "")],
        existing_from(&first),
        2,
    );
    assert_eq!(held_code(&plan, 0), code::INSURED_NUMBER_TAKEN);
    // 新規 under another number for a registered person (from another file).
    let plan = plan_chunk(
        &ctx("job-b"),
        vec![ready(2, "1", 1, "10000077", "東京都", "")],
        existing_from(&first),
        2,
    );
    assert_eq!(held_code(&plan, 0), code::ALREADY_REGISTERED);
    // 喪失 naming another 被保険者番号.
    let plan = plan_chunk(
        &ctx("job-b"),
        vec![ready(2, "3", 1, "10000077", "東京都", "2025-01-01")],
        existing_from(&first),
        2,
    );
    assert_eq!(held_code(&plan, 0), code::INSURED_NUMBER_MISMATCH);
    // 変更 of the 被保険者番号 is allowed and frees the old one.
    let plan = plan_chunk(
        &ctx("job-b"),
        vec![
            ready(2, "2", 1, "10000077", "東京都", ""),
            ready(3, "1", 2, "10000001", "東京都", ""),
        ],
        existing_from(&first),
        2,
    );
    assert!(
        matches!(outcome(&plan, 0), RowOutcome::Registered { branch } if branch == "0000000001")
    );
    assert!(
        matches!(outcome(&plan, 1), RowOutcome::Registered { branch } if branch == "0000000002")
    );
}

#[test]
fn held_items_pass_through_in_order() {
    let items = vec![
        Item::Held {
            line: 2,
            insured_number: "x".into(),
            hold: Hold::new(code::MISSING_FIELD, "氏名: 値がありません"),
        },
        ready(3, "1", 1, "10000001", "東京都", ""),
    ];
    let plan = plan_chunk(&ctx(JOB), items, Existing::default(), 1);
    assert_eq!(
        plan.results.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert_eq!(held_code(&plan, 0), code::MISSING_FIELD);
}
