//! `renkei synth` end to end: arguments parsed as the binary parses them, files written.

use clap::{CommandFactory, Parser};
use renkei_synth::cli::{run, SynthArgs, SynthCommand};
use renkei_synth::SynthError;

#[derive(Parser)]
#[command(name = "synth")]
struct Cli {
    #[command(subcommand)]
    what: SynthCommand,
}

fn synth(args: &[&str]) -> anyhow::Result<()> {
    let cli = Cli::try_parse_from(std::iter::once("synth").chain(args.iter().copied()))?;
    run(SynthArgs { what: cli.what })
}

#[test]
fn command_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn writes_residents_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("residents.csv");
    synth(&[
        "residents",
        "--seed",
        "3",
        "--count",
        "25",
        "--prefecture",
        "01",
        "--out",
        out.to_str().unwrap(),
    ])
    .unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(renkei_synth::RESIDENTS_HEADER.join(",").as_str())
    );
    assert_eq!(lines.clone().count(), 25);
    assert!(lines.all(|l| l.contains(",北海道")));
}

#[test]
fn writes_subscribers_and_planted_list() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("subscribers.csv");
    let planted = dir.path().join("planted.csv");
    synth(&[
        "subscribers",
        "--count",
        "200",
        "--encoding",
        "cp932",
        "--dates",
        "mixed",
        "--error-rate",
        "0.1",
        "--noise",
        "--out",
        out.to_str().unwrap(),
        "--planted",
        planted.to_str().unwrap(),
    ])
    .unwrap();
    let bytes = std::fs::read(&out).unwrap();
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    assert_eq!(text.lines().count(), 201);
    assert!(text.starts_with("異動区分,個人番号,被保険者番号,"));
    let list = std::fs::read_to_string(&planted).unwrap();
    let mut lines = list.lines();
    assert_eq!(lines.next(), Some("line,error"));
    let listed: Vec<&str> = lines.collect();
    assert!(!listed.is_empty());
    for entry in listed {
        let (line, error) = entry.split_once(',').unwrap();
        let line: usize = line.parse().unwrap();
        assert!((2..=201).contains(&line));
        assert!(
            renkei_synth::PlantedError::ALL
                .iter()
                .any(|e| e.code() == error),
            "{error}"
        );
    }
}

#[test]
fn writes_insurers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("insurers.csv");
    synth(&["insurers", "--out", out.to_str().unwrap()]).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("機関コード,名称,都道府県コード,保険者番号,市区町村コード\n"));
    assert!(text.contains("koiki-13,東京都後期高齢者医療広域連合,13,39131156,131156\n"));
    assert_eq!(
        text.lines().count(),
        1 + renkei_synth::municipalities().len()
    );
}

#[test]
fn refuses_bad_arguments() {
    // Each refusal names what is wrong, not just any failure (a missing file, a panic caught
    // elsewhere, an unrelated argument would all be errors too).
    let err = synth(&["subscribers", "--count", "5", "--prefecture", "99"]).unwrap_err();
    assert!(
        matches!(err.downcast_ref(), Some(SynthError::Prefecture(code)) if code == "99"),
        "{err:#}"
    );
    assert_eq!(
        err.to_string(),
        "都道府県コードが正しくありません: 99（01〜47）"
    );

    let err = synth(&["subscribers", "--count", "5", "--dates", "julian"]).unwrap_err();
    let clap = err.downcast_ref::<clap::Error>().expect("a clap error");
    assert_eq!(clap.kind(), clap::error::ErrorKind::InvalidValue, "{clap}");
    let text = clap.to_string();
    assert!(
        text.contains("'julian'") && text.contains("--dates"),
        "{text}"
    );

    let err = synth(&["residents", "--count", "5", "--min-age", "200"]).unwrap_err();
    assert!(
        matches!(
            err.downcast_ref(),
            Some(SynthError::MinAge { age: 200, .. })
        ),
        "{err:#}"
    );
    assert!(
        err.to_string()
            .starts_with("最低年齢 200 歳の住民は作れません"),
        "{err}"
    );
}
