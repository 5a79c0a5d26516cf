//! Measuring how well searches by 基本4情報 find the person they are for: the index answers
//! each query and the rank of the expected 個人番号 is counted. Used by the accuracy test
//! (`tests/it/accuracy.rs`) and by `renkei bench jlis --accuracy`.

use renkei_core::text::Basic4;
use renkei_core::MyNumber;

use crate::index::SearchIndex;

/// Counts of an accuracy run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accuracy {
    pub searches: u64,
    /// The expected person ranked first.
    pub right_first: u64,
    /// The expected person among the candidates, but not first.
    pub right_lower: u64,
    /// The expected person not among the candidates.
    pub missed: u64,
    /// Candidates returned whose 生年月日 differs from the query's (must stay 0).
    pub other_birth: u64,
}

impl Accuracy {
    /// Share of searches with the right person first.
    pub fn first_rate(&self) -> f64 {
        self.right_first as f64 / self.searches.max(1) as f64
    }

    fn add(&mut self, other: Accuracy) {
        self.searches += other.searches;
        self.right_first += other.right_first;
        self.right_lower += other.right_lower;
        self.missed += other.missed;
        self.other_birth += other.other_birth;
    }
}

/// Runs every `(query, expected)` case against `index` (on up to four threads), keeping
/// `limit` candidates per search.
pub fn evaluate(index: &SearchIndex, cases: &[(Basic4, MyNumber)], limit: usize) -> Accuracy {
    let run = |cases: &[(Basic4, MyNumber)]| {
        let mut a = Accuracy::default();
        for (query, expected) in cases {
            let hits = index.search(query, limit);
            a.searches += 1;
            a.other_birth += hits.iter().filter(|h| h.birth != query.birth()).count() as u64;
            match hits.iter().position(|h| &h.my_number == expected) {
                Some(0) => a.right_first += 1,
                Some(_) => a.right_lower += 1,
                None => a.missed += 1,
            }
        }
        a
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if threads < 2 || cases.len() < 1_000 {
        return run(cases);
    }
    let run = &run;
    std::thread::scope(|scope| {
        let workers: Vec<_> = cases
            .chunks(cases.len().div_ceil(threads))
            .map(|chunk| scope.spawn(move || run(chunk)))
            .collect();
        let mut total = Accuracy::default();
        for w in workers {
            total.add(w.join().expect("accuracy thread"));
        }
        total
    })
}
