//! 加入者情報 files read back as a validator would: every planted error is really wrong at the
//! line reported, and every notation variant still means the resident's true values.

use std::collections::{HashMap, HashSet};

use renkei_core::date::{age_on, parse_date, DateError};
use renkei_core::id::{IdError, MyNumber};
use renkei_core::text::{normalize_kana, normalize_name};
use renkei_synth::{
    is_reserved_unknown, residents, write_subscriber_file, DateStyle, Encoding, PlantedError,
    PopulationSpec, Resident, SubscriberFileSpec, SubscriberFileSummary, REFERENCE_DAY,
    SUBSCRIBER_HEADER,
};

fn population(count: u64) -> PopulationSpec {
    PopulationSpec {
        seed: 11,
        count,
        prefecture: Some("13".into()),
        min_age: Some(75),
    }
}

fn file_spec(error_rate: f64, noise: bool, date_style: DateStyle) -> SubscriberFileSpec {
    SubscriberFileSpec {
        seed: 11,
        encoding: Encoding::Utf8,
        date_style,
        error_rate,
        notation_noise: noise,
    }
}

fn write(spec: &SubscriberFileSpec, pop: &PopulationSpec) -> (Vec<u8>, SubscriberFileSummary) {
    let mut out = Vec::new();
    let summary = write_subscriber_file(&mut out, spec, residents(pop)).expect("written");
    (out, summary)
}

/// Records with their physical line numbers, as the csv crate reports them.
fn read(bytes: &[u8]) -> Vec<(u64, csv::StringRecord)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes);
    let rows: Vec<(u64, csv::StringRecord)> = reader
        .records()
        .map(|r| {
            let r = r.expect("valid csv");
            (r.position().expect("position").line(), r)
        })
        .collect();
    assert_eq!(rows[0].1.iter().collect::<Vec<_>>(), SUBSCRIBER_HEADER);
    rows[1..].to_vec()
}

/// Whether a record states exactly `truth`'s personal data (modulo notation).
fn denotes(record: &csv::StringRecord, truth: &Resident) -> bool {
    record[1] == *truth.my_number.expose()
        && normalize_name(&record[3]) == normalize_name(&truth.name)
        && normalize_kana(&record[4]) == normalize_kana(&truth.kana)
        && parse_date(&record[5]) == Ok(truth.birth)
        && record[6] == truth.sex.code().to_string()
        && record[7] == truth.address
}

#[test]
fn every_planted_error_is_real_and_at_its_line() {
    let pop = population(900);
    let truths: Vec<Resident> = residents(&pop).collect();
    let (bytes, summary) = write(&file_spec(0.4, true, DateStyle::Mixed), &pop);
    let records = read(&bytes);
    assert_eq!(summary.rows, 900);
    assert_eq!(records.len(), 900);
    let planted: HashMap<u64, PlantedError> =
        summary.planted.iter().map(|p| (p.line, p.error)).collect();
    let kinds: HashSet<PlantedError> = planted.values().copied().collect();
    assert_eq!(
        kinds.len(),
        PlantedError::ALL.len(),
        "every kind planted: {kinds:?}"
    );
    let population_numbers: HashSet<&str> = truths.iter().map(|r| r.my_number.expose()).collect();
    let mut insured = HashSet::new();
    let mut line_of_number: HashMap<String, u64> = HashMap::new();

    for (row, (line, rec)) in records.iter().enumerate() {
        assert_eq!(*line, row as u64 + 2, "physical line");
        assert!(
            insured.insert(rec[2].to_owned()),
            "insured numbers are unique"
        );
        assert_eq!(rec[2].len(), 8);
        assert_eq!(&rec[0], "1");
        assert_eq!(&rec[9], "");
        let truth = &truths[row];
        let same_name = normalize_name(&rec[3]) == normalize_name(&truth.name);
        let same_kana = normalize_kana(&rec[4]) == normalize_kana(&truth.kana);
        match planted.get(line) {
            None => {
                assert!(
                    denotes(rec, truth),
                    "clean line {line} must denote the resident"
                );
                let acquired = parse_date(&rec[8]).expect("valid 資格取得年月日");
                assert!(age_on(truth.birth, acquired) >= 75 && acquired <= REFERENCE_DAY);
                line_of_number.insert(rec[1].to_owned(), *line);
            }
            Some(PlantedError::BadCheckDigit) => {
                assert_eq!(MyNumber::parse(&rec[1]), Err(IdError::CheckDigit));
                assert_eq!(&rec[1][..11], &truth.my_number.expose()[..11]);
                assert!(same_name && same_kana);
            }
            Some(PlantedError::ImpossibleDate) => {
                let birth = parse_date(&rec[5]);
                let acquired = parse_date(&rec[8]);
                assert!(
                    birth == Err(DateError::Impossible) || acquired == Err(DateError::Impossible),
                    "line {line}: {} / {}",
                    &rec[5],
                    &rec[8]
                );
                assert_eq!(&rec[1], truth.my_number.expose());
            }
            Some(PlantedError::MissingName) => {
                assert_eq!(&rec[3], "");
                assert!(same_kana);
            }
            Some(PlantedError::NameMismatch) => {
                assert!(!rec[3].is_empty() && !same_name, "line {line}: {}", &rec[3]);
                assert!(same_kana && parse_date(&rec[5]) == Ok(truth.birth));
            }
            Some(PlantedError::KanaMismatch) => {
                assert!(!same_kana && same_name, "line {line}: {}", &rec[4]);
            }
            Some(PlantedError::BirthMismatch) => {
                let birth = parse_date(&rec[5]).expect("still a valid date");
                assert_ne!(birth, truth.birth);
                assert!(same_name && same_kana);
            }
            Some(PlantedError::SexMismatch) => {
                assert_ne!(rec[6], truth.sex.code().to_string());
                assert!(rec[6] == *"1" || rec[6] == *"2");
            }
            Some(PlantedError::UnknownNumber) => {
                let number = MyNumber::parse(&rec[1]).expect("valid check digit");
                assert!(is_reserved_unknown(&number));
                assert!(!population_numbers.contains(&rec[1]));
                assert!(same_name && same_kana);
            }
            Some(PlantedError::DuplicateNumberOtherInsured) => {
                let earlier = line_of_number[&rec[1]];
                assert!(earlier < *line && !planted.contains_key(&earlier));
                let earlier_truth = &truths[earlier as usize - 2];
                assert!(denotes(rec, earlier_truth), "same person as line {earlier}");
                assert_ne!(&records[earlier as usize - 2].1[2], &rec[2]);
            }
        }
    }
}

#[test]
fn noise_varies_notation_but_not_meaning() {
    let pop = population(400);
    let truths: Vec<Resident> = residents(&pop).collect();
    let (bytes, summary) = write(&file_spec(0.0, true, DateStyle::Iso), &pop);
    assert!(summary.planted.is_empty());
    let records = read(&bytes);
    let mut half_width = 0;
    let mut hiragana = 0;
    let mut ascii_space = 0;
    let mut wareki_birth = 0;
    for ((_, rec), truth) in records.iter().zip(&truths) {
        assert!(denotes(rec, truth));
        assert_eq!(parse_date(&rec[8]).map(|d| d.to_string().len()), Ok(10));
        half_width += usize::from(rec[4].contains(|c| ('\u{FF66}'..='\u{FF9F}').contains(&c)));
        hiragana += usize::from(rec[4].contains(|c| ('\u{3041}'..='\u{3096}').contains(&c)));
        ascii_space += usize::from(rec[3].contains(' '));
        wareki_birth += usize::from(!rec[5].contains('-'));
    }
    for (what, n) in [
        ("half-width", half_width),
        ("hiragana", hiragana),
        ("space", ascii_space),
        ("和暦", wareki_birth),
    ] {
        assert!(n > 20, "{what}: {n}");
    }
}

#[test]
fn fixed_styles_write_every_date_in_that_style() {
    let pop = population(100);
    type LooksRight = fn(&str) -> bool;
    let cases: [(DateStyle, LooksRight); 4] = [
        (DateStyle::Iso, |s| s.len() == 10 && s.as_bytes()[4] == b'-'),
        (DateStyle::WarekiKanji, |s| {
            s.ends_with('日') && !s.starts_with(|c: char| c.is_ascii_digit())
        }),
        (DateStyle::WarekiLetter, |s| {
            s.len() == 7 && s.starts_with(['T', 'S', 'H', 'R'])
        }),
        (DateStyle::WarekiDigit, |s| {
            s.len() == 7 && s.starts_with(['2', '3', '4', '5'])
        }),
    ];
    for (style, looks_right) in cases {
        let (bytes, _) = write(&file_spec(0.0, false, style), &pop);
        for (_, rec) in read(&bytes) {
            assert!(
                looks_right(&rec[5]) && looks_right(&rec[8]),
                "{style:?}: {} {}",
                &rec[5],
                &rec[8]
            );
            assert_eq!(
                &rec[4],
                rec[4].replace(' ', "\u{3000}"),
                "canonical kana without noise"
            );
        }
    }
}

#[test]
fn same_spec_same_bytes() {
    let pop = population(300);
    let spec = file_spec(0.2, true, DateStyle::Mixed);
    assert_eq!(write(&spec, &pop), write(&spec, &pop));
    let other = SubscriberFileSpec {
        seed: 12,
        ..spec.clone()
    };
    assert_ne!(write(&spec, &pop).0, write(&other, &pop).0);
}

#[test]
fn cp932_round_trips_to_the_utf8_file() {
    let pop = population(300);
    let utf8 = file_spec(0.2, true, DateStyle::Mixed);
    let cp932 = SubscriberFileSpec {
        encoding: Encoding::Cp932,
        ..utf8.clone()
    };
    let (text, utf8_summary) = write(&utf8, &pop);
    let (bytes, cp932_summary) = write(&cp932, &pop);
    assert_eq!(utf8_summary, cp932_summary);
    let (decoded, _, had_errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!had_errors);
    let text = String::from_utf8(text).expect("utf-8");
    assert_eq!(decoded, text.replace('\n', "\r\n"));
}

#[test]
fn error_rate_bounds() {
    let pop = population(200);
    let (_, none) = write(&file_spec(0.0, false, DateStyle::Iso), &pop);
    assert!(none.planted.is_empty());
    let (_, all) = write(&file_spec(1.0, false, DateStyle::Iso), &pop);
    assert_eq!(all.planted.len(), 200);
    assert_ne!(
        all.planted[0].error,
        PlantedError::DuplicateNumberOtherInsured
    );
    assert!(all.planted.windows(2).all(|w| w[0].line < w[1].line));
}
