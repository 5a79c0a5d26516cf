//! Search accuracy on a synthetic population with planted look-alikes (the issue's
//! acceptance test): searches with all four items (written with harmless notation
//! differences) find the right person first at least 99% of the time and never return a
//! person born on another day. The index and scoring are exercised directly, without a
//! server; `renkei bench jlis --accuracy` runs the same check in release mode.

use renkei_core::text::Basic4;
use renkei_core::MyNumber;
use renkei_registry::accuracy::evaluate;
use renkei_registry::index::{prepare_all, Prepared, SearchIndex};
use renkei_synth::{
    look_alike, residents, search_items, LookAlike, LookAlikeKind, PopulationSpec, Resident,
};

/// Residents in the population (1,000,000 as the issue asks; override with
/// RENKEI_ACCURACY_RESIDENTS for a quicker local run).
fn population() -> u64 {
    std::env::var("RENKEI_ACCURACY_RESIDENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn prepare(people: &[Resident]) -> Vec<Prepared> {
    prepare_all(people, |r| {
        Prepared::new(&r.my_number, &r.name, &r.kana, r.birth, r.sex, &r.address)
    })
}

#[test]
fn searches_find_the_right_person_first_among_look_alikes() {
    let spec = PopulationSpec {
        seed: 11,
        count: population(),
        prefecture: None,
        min_age: None,
    };
    let people: Vec<Resident> = residents(&spec).collect();
    // Every 10th resident gets a look-alike (OtherAddress, VariantKanji, KanaTypo in turn).
    let planted: Vec<LookAlike> = people
        .iter()
        .step_by(10)
        .enumerate()
        .map(|(n, r)| look_alike(spec.seed, n as u64, r, LookAlikeKind::ALL[n % 3]))
        .collect();
    let index = SearchIndex::new();
    for chunk in people.chunks(100_000) {
        index.upsert(prepare(chunk));
    }
    let twins: Vec<Resident> = planted.iter().map(|l| l.resident.clone()).collect();
    index.upsert(prepare(&twins));
    assert_eq!(index.len(), people.len() + planted.len());

    // Search for every imitated resident (n % 10 == 0), plus as many others (n % 10 == 5).
    let cases: Vec<(Basic4, MyNumber)> = people
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 5 == 0)
        .map(|(n, r)| {
            let w = search_items(r, n as u64);
            let query = Basic4::query(
                Some(&w.name),
                Some(&w.kana),
                w.birth,
                Some(w.sex),
                Some(&w.address),
            )
            .unwrap();
            (query, r.my_number.clone())
        })
        .collect();
    let result = evaluate(&index, &cases, 10);
    assert_eq!(result.searches, cases.len() as u64, "{result:?}");
    assert_eq!(result.other_birth, 0, "never another 生年月日: {result:?}");
    assert!(
        result.first_rate() >= 0.99,
        "right person first in {:.3}% of searches: {result:?}",
        result.first_rate() * 100.0
    );
}
