//! The commit's exits and counts against an in-memory transaction that keeps the current
//! version's records and logs every step, so the order of reads and writes is checked too.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use super::*;
use crate::fuhon::delta::Current;
use crate::fuhon::record::Op;

/// One session's staged rows and one kind's current records, in memory.
struct Fake {
    state: Option<SessionState>,
    totals: ChunkTotals,
    chunk_errors: Vec<RowError>,
    latest: Option<VersionInfo>,
    /// In line order.
    staged: Vec<Staged>,
    current: RefCell<BTreeMap<String, Current>>,
    closed: RefCell<Vec<String>>,
    log: RefCell<Vec<String>>,
}

impl Fake {
    /// An open session whose chunks all arrived, with no version before it.
    fn new(staged: Vec<Staged>) -> Fake {
        Fake {
            state: Some(SessionState::Open),
            totals: ChunkTotals {
                chunks: 1,
                rows: staged.len() as u64,
                bad: 0,
            },
            chunk_errors: Vec::new(),
            latest: None,
            staged,
            current: RefCell::default(),
            closed: RefCell::default(),
            log: RefCell::default(),
        }
    }

    /// As if version `version` holding `records` (key, fields) were current.
    fn on(mut self, version: u64, records: &[(&str, &str)]) -> Fake {
        self.latest = Some(info(version, records.len() as u64));
        *self.current.get_mut() = records
            .iter()
            .map(|(k, f)| (k.to_string(), current(version, k, f)))
            .collect();
        self
    }

    fn log(&self, step: impl Into<String>) {
        self.log.borrow_mut().push(step.into());
    }

    fn steps(&self) -> Vec<String> {
        self.log.borrow().clone()
    }

    fn records(&self) -> Vec<(String, u64, String)> {
        let current = self.current.borrow();
        current
            .iter()
            .map(|(k, c)| (k.clone(), c.from_version, c.fields.clone()))
            .collect()
    }
}

impl CommitTx for Fake {
    async fn session_state(&self) -> Result<Option<SessionState>, StoreError> {
        self.log("state");
        Ok(self.state)
    }

    async fn chunk_totals(&self) -> Result<ChunkTotals, StoreError> {
        self.log("totals");
        Ok(self.totals)
    }

    async fn chunk_errors(&self) -> Result<Vec<RowError>, StoreError> {
        self.log("chunk errors");
        Ok(self.chunk_errors.clone())
    }

    async fn latest(&self) -> Result<Option<VersionInfo>, StoreError> {
        self.log("latest");
        Ok(self.latest.clone())
    }

    async fn duplicates(&self) -> Result<Vec<(u64, String, String)>, StoreError> {
        self.log("duplicates");
        let mut rows: Vec<&Staged> = self
            .staged
            .iter()
            .filter(|s| self.staged.iter().filter(|t| t.key == s.key).count() > 1)
            .collect();
        rows.sort_by(|a, b| (&a.key, a.line).cmp(&(&b.key, b.line)));
        Ok(rows
            .into_iter()
            .map(|s| (s.line, s.key.clone(), s.insured.clone()))
            .collect())
    }

    async fn close_unmatched(&self, version: u64) -> Result<u64, StoreError> {
        self.log(format!("close {version}"));
        let mut current = self.current.borrow_mut();
        let gone: Vec<String> = current
            .iter()
            .filter(|(k, c)| {
                !self
                    .staged
                    .iter()
                    .any(|s| &s.key == *k && s.fields == c.fields)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in &gone {
            current.remove(k);
        }
        self.closed.borrow_mut().extend(gone.iter().cloned());
        Ok(gone.len() as u64)
    }

    async fn insert_unmatched(&self, version: u64) -> Result<u64, StoreError> {
        self.log(format!("insert {version}"));
        let mut current = self.current.borrow_mut();
        let mut inserted = 0;
        for s in &self.staged {
            if !current.contains_key(&s.key) {
                current.insert(s.key.clone(), current_row(version, s));
                inserted += 1;
            }
        }
        Ok(inserted)
    }

    async fn count_replaced(&self, version: u64) -> Result<u64, StoreError> {
        self.log(format!("replaced {version}"));
        let closed = self.closed.borrow();
        Ok(closed
            .iter()
            .filter(|k| self.staged.iter().any(|s| &&s.key == k))
            .count() as u64)
    }

    async fn staged_page(&self, after: u64, limit: usize) -> Result<Vec<Staged>, StoreError> {
        self.log(format!("page after {after}"));
        Ok(self
            .staged
            .iter()
            .filter(|s| s.line > after)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn current_of(&self, rows: &[Staged]) -> Result<CurrentMap, StoreError> {
        let current = self.current.borrow();
        Ok(rows
            .iter()
            .map(|r| (r.key.clone(), current.get(&r.key).cloned()))
            .collect())
    }

    async fn apply_writes(&self, version: u64, writes: &[Write]) -> Result<(), StoreError> {
        self.log(format!("write {} as {version}", writes.len()));
        let mut current = self.current.borrow_mut();
        for w in writes {
            match w {
                Write::Close { key } | Write::Remove { key } => {
                    current.remove(key);
                }
                Write::Insert { key, record } => {
                    current.insert(key.clone(), record.clone());
                }
            }
        }
        Ok(())
    }

    async fn insert_version(&self, info: &VersionInfo) -> Result<(), StoreError> {
        self.log(format!("version {}", info.version));
        Ok(())
    }

    async fn mark_done(&self, version: Option<u64>) -> Result<(), StoreError> {
        self.log(format!("done {version:?}"));
        Ok(())
    }
}

fn session(mode: UploadMode) -> Session {
    Session {
        id: "s1".into(),
        kind: FuhonKind::Shikaku,
        mode,
        digest: "d-new".into(),
        insurer_number: "39131156".into(),
        file_name: "f.csv".into(),
        header: Vec::new(),
        as_of: "2025-04-01".into(),
        state: SessionState::Open,
    }
}

fn info(version: u64, records: u64) -> VersionInfo {
    VersionInfo {
        kind: FuhonKind::Shikaku,
        version,
        mode: UploadMode::Full,
        as_of: "2025-03-01".into(),
        committed_at: "2025-03-01T00:00:00Z".into(),
        digest: format!("d{version}"),
        records,
        added: records,
        changed: 0,
        deleted: 0,
        unchanged: 0,
    }
}

fn row(line: u64, op: Op, key: &str, fields: &str) -> Staged {
    Staged {
        line,
        op,
        key: key.into(),
        insured: format!("i{key}"),
        branch: format!("b{key}"),
        fields: fields.into(),
    }
}

fn current(version: u64, key: &str, fields: &str) -> Current {
    current_row(version, &row(0, Op::Put, key, fields))
}

fn current_row(version: u64, s: &Staged) -> Current {
    Current {
        from_version: version,
        insured: s.insured.clone(),
        branch: s.branch.clone(),
        fields: s.fields.clone(),
    }
}

fn error(line: u64) -> RowError {
    RowError {
        line,
        field: "資格取得年月日".into(),
        code: "INVALID_DATE".into(),
        message: "日付ではありません".into(),
    }
}

async fn run(tx: &Fake, mode: UploadMode) -> Committed {
    commit(
        tx,
        &session(mode),
        1,
        tx.staged.len() as u64,
        &Hook::default(),
    )
    .await
    .unwrap()
}

fn steps(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}

/// The statistics of a version, without its commit time.
fn counts(c: &Committed) -> (u64, u64, u64, u64, u64, u64) {
    let Committed::Version(v) = c else {
        panic!("not a version: {c:?}")
    };
    (
        v.version,
        v.records,
        v.added,
        v.changed,
        v.deleted,
        v.unchanged,
    )
}

#[tokio::test]
async fn a_session_not_open_is_left_alone() {
    for state in [None, Some(SessionState::Done)] {
        let tx = Fake {
            state,
            ..Fake::new(vec![row(2, Op::Put, "a", "x")])
        };
        let out = run(&tx, UploadMode::Full).await;
        assert_eq!(out, Committed::NotOpen);
        assert!(!out.commits_transaction());
        assert_eq!(tx.steps(), steps(&["state"]));
    }
}

#[tokio::test]
async fn a_session_missing_chunks_or_rows_reports_what_arrived() {
    let tx = Fake::new(vec![row(2, Op::Put, "a", "x")]);
    let out = commit(&tx, &session(UploadMode::Full), 2, 1, &Hook::default())
        .await
        .unwrap();
    assert_eq!(out, Committed::Incomplete { chunks: 1, rows: 1 });
    let out = commit(&tx, &session(UploadMode::Delta), 1, 5, &Hook::default())
        .await
        .unwrap();
    assert_eq!(out, Committed::Incomplete { chunks: 1, rows: 1 });
    assert!(!out.commits_transaction());
    assert_eq!(tx.records(), []);
}

#[tokio::test]
async fn a_full_file_is_refused_with_the_chunks_errors_and_every_repeated_key() {
    let mut tx = Fake::new(vec![
        row(2, Op::Put, "a", "x"),
        row(3, Op::Put, "b", "x"),
        row(4, Op::Put, "a", "y"),
        row(6, Op::Put, "a", "z"),
    ])
    .on(1, &[("c", "x")]);
    tx.totals.rows = 5;
    tx.totals.bad = 1;
    tx.chunk_errors = vec![error(5)];
    let out = commit(&tx, &session(UploadMode::Full), 1, 5, &Hook::default())
        .await
        .unwrap();
    let Committed::Refused { errors, total } = &out else {
        panic!("{out:?}")
    };
    let named: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.code.as_str())).collect();
    assert_eq!(
        named,
        [
            (4, "DUPLICATE_KEY"),
            (5, "INVALID_DATE"),
            (6, "DUPLICATE_KEY")
        ]
    );
    assert_eq!(*total, 3);
    assert!(errors[0].message.contains("2行目と重複"));
    assert!(!out.commits_transaction());
    assert_eq!(
        tx.steps(),
        steps(&["state", "totals", "chunk errors", "latest", "duplicates"])
    );
    assert_eq!(tx.records(), [("c".into(), 1, "x".into())]);
}

#[tokio::test]
async fn a_check_is_marked_done_against_the_current_version_and_writes_no_record() {
    let tx = Fake::new(vec![row(2, Op::Put, "a", "y")]).on(3, &[("a", "x")]);
    let out = run(&tx, UploadMode::Check).await;
    assert_eq!(out, Committed::Checked(Some(info(3, 1))));
    assert!(out.commits_transaction());
    assert!(!out.drops_staging());
    assert_eq!(
        tx.steps(),
        steps(&["state", "totals", "latest", "duplicates", "done None"])
    );
    assert_eq!(tx.records(), [("a".into(), 3, "x".into())]);
}

#[tokio::test]
async fn a_full_file_replaces_the_current_version_and_counts_what_changed() {
    let tx = Fake::new(vec![
        row(2, Op::Put, "a", "x"),
        row(3, Op::Put, "b", "y"),
        row(4, Op::Put, "d", "z"),
    ])
    .on(3, &[("a", "x"), ("b", "x"), ("c", "x")]);
    let out = run(&tx, UploadMode::Full).await;
    // (version, records, added, changed, deleted, unchanged)
    assert_eq!(counts(&out), (4, 3, 1, 1, 1, 1));
    assert!(out.commits_transaction() && out.drops_staging());
    let Committed::Version(v) = &out else {
        unreachable!()
    };
    assert_eq!(
        (v.mode, v.digest.as_str(), v.as_of.as_str()),
        (UploadMode::Full, "d-new", "2025-04-01")
    );
    assert_eq!(
        tx.steps(),
        steps(&[
            "state",
            "totals",
            "latest",
            "duplicates",
            "close 4",
            "insert 4",
            "replaced 4",
            "version 4",
            "done Some(4)"
        ])
    );
    assert_eq!(
        tx.records(),
        [
            ("a".into(), 3, "x".into()),
            ("b".into(), 4, "y".into()),
            ("d".into(), 4, "z".into())
        ]
    );
}

#[tokio::test]
async fn a_first_full_file_makes_version_one() {
    let tx = Fake::new(vec![row(2, Op::Put, "a", "x"), row(3, Op::Put, "b", "x")]);
    assert_eq!(
        counts(&run(&tx, UploadMode::Full).await),
        (1, 2, 2, 0, 0, 0)
    );
}

#[tokio::test]
async fn a_delta_is_applied_page_by_page_each_judged_after_the_pages_before() {
    let n = STEP_ROWS as u64;
    let mut rows: Vec<Staged> = (1..=n)
        .map(|i| row(i + 1, Op::Add, &format!("k{i}"), "x"))
        .collect();
    // On the second page: a change of a record the first page added, and a deletion of one
    // the previous version held.
    rows.push(row(n + 2, Op::Change, "k1", "y"));
    rows.push(row(n + 3, Op::Delete, "old", ""));
    let tx = Fake::new(rows).on(7, &[("old", "x"), ("kept", "x")]);
    let out = run(&tx, UploadMode::Delta).await;
    assert_eq!(counts(&out), (8, n + 1, n, 1, 1, 0));
    let pages: Vec<String> = tx
        .steps()
        .into_iter()
        .filter(|s| s.starts_with("page") || s.starts_with("write"))
        .collect();
    assert_eq!(
        pages,
        [
            "page after 0".to_string(),
            format!("write {n} as 8"),
            format!("page after {}", n + 1),
            "write 3 as 8".to_string(),
            format!("page after {}", n + 3),
        ]
    );
    let records = tx.records();
    assert_eq!(records.len() as u64, n + 1);
    assert!(records.contains(&("k1".into(), 8, "y".into())));
    assert!(records.contains(&("kept".into(), 7, "x".into())));
    assert!(!records.iter().any(|(k, _, _)| k == "old"));
}

#[tokio::test]
async fn a_delta_is_refused_with_every_row_that_cannot_apply_and_makes_no_version() {
    let mut tx = Fake::new(vec![
        row(2, Op::Change, "nobody", "y"),
        row(4, Op::Add, "a", "y"),
        row(5, Op::Delete, "a", ""),
        row(6, Op::Delete, "a", ""),
    ])
    .on(2, &[("a", "x")]);
    tx.totals.rows = 5;
    tx.totals.bad = 1;
    tx.chunk_errors = vec![error(3)];
    let out = commit(&tx, &session(UploadMode::Delta), 1, 5, &Hook::default())
        .await
        .unwrap();
    let Committed::Refused { errors, total } = &out else {
        panic!("{out:?}")
    };
    let named: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.code.as_str())).collect();
    assert_eq!(
        named,
        [
            (2, "NOT_FOUND"),
            (3, "INVALID_DATE"),
            (4, "ALREADY_EXISTS"),
            (6, "NOT_FOUND")
        ]
    );
    assert_eq!(*total, 4);
    assert!(!out.commits_transaction());
    let steps = tx.steps();
    assert!(!steps
        .iter()
        .any(|s| s.starts_with("version") || s.starts_with("done")));
}

#[tokio::test]
async fn a_crash_while_writing_fails_the_commit() {
    let hook = Hook::default();
    hook.0.store(2, Ordering::Relaxed);
    let full =
        Fake::new(vec![row(2, Op::Put, "a", "x"), row(3, Op::Put, "b", "x")]).on(1, &[("c", "x")]);
    let err = commit(&full, &session(UploadMode::Full), 1, 2, &hook).await;
    assert!(matches!(err, Err(StoreError::Io(_))), "{err:?}");
    assert_eq!(full.steps().last().unwrap(), "insert 2");
    let delta = Fake::new(vec![row(2, Op::Add, "a", "x"), row(3, Op::Add, "b", "x")]);
    let err = commit(&delta, &session(UploadMode::Delta), 1, 2, &hook).await;
    assert!(matches!(err, Err(StoreError::Io(_))), "{err:?}");
    assert!(!delta.steps().iter().any(|s| s.starts_with("version")));
}

#[test]
fn a_refusal_names_at_most_the_cap_and_counts_all() {
    let errors: Vec<RowError> = (0..MAX_COMMIT_ERRORS as u64 + 5).rev().map(error).collect();
    let Committed::Refused { errors, total } = capped(errors) else {
        unreachable!()
    };
    assert_eq!(total, MAX_COMMIT_ERRORS as u64 + 5);
    assert_eq!(errors.len(), MAX_COMMIT_ERRORS);
    assert_eq!(
        (errors[0].line, errors[MAX_COMMIT_ERRORS - 1].line),
        (0, MAX_COMMIT_ERRORS as u64 - 1)
    );
}
