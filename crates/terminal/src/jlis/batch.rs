//! `jlis batch`: a file of queries answered row by row (the file formats are in
//! `docs/formats.md`, 個人番号入手).

use super::*;

/// Counts of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchSummary {
    pub rows: u64,
    pub found: u64,
    pub not_found: u64,
    pub errors: u64,
}

/// A row of the query file, read.
enum Asked {
    Number(MyNumber),
    Basic4(Basic4Query),
}

struct QueryRow {
    reference: String,
    asked: Result<Asked, String>,
}

fn read_query(line: u64, fields: &[String]) -> QueryRow {
    let field = |i: usize| fields.get(i).map(|s| s.trim()).unwrap_or("");
    let reference = field(0).to_owned();
    if fields.len() != QUERY_COLUMNS.len() {
        return QueryRow {
            reference,
            asked: Err(format!(
                "{line}行目: 項目数が正しくありません（{}項目のところ{}項目）",
                QUERY_COLUMNS.len(),
                fields.len()
            )),
        };
    }
    let asked = if !field(1).is_empty() {
        MyNumber::parse(field(1))
            .map(Asked::Number)
            .map_err(|e| format!("{line}行目 個人番号: {e}"))
    } else if field(4).is_empty() {
        Err(format!(
            "{line}行目 生年月日: 個人番号がない行は基本4情報での検索になり、生年月日が必要です"
        ))
    } else {
        query_of(
            Some(field(2)),
            Some(field(3)),
            field(4),
            Some(field(5)),
            Some(field(6)),
        )
        .map(Asked::Basic4)
        .map_err(|(item, e)| {
            let column = match item {
                "name" => "氏名",
                "birth" => "生年月日",
                _ => "性別",
            };
            format!("{line}行目 {column}: {e}")
        })
    };
    QueryRow { reference, asked }
}

/// Answers every row of the query file `file` into `out`, sending [`BATCH_REQUEST`] rows per
/// request, with progress on stderr. A bad row gets an error line in the answer file and does
/// not stop the others.
pub async fn batch(
    client: &JlisClient,
    file: &Path,
    out: &Path,
    purpose: &str,
    limit: u32,
    encoding: EncodingChoice,
) -> Result<BatchSummary, CliError> {
    let tty = std::io::stderr().is_terminal();
    let summary = batch_with_progress(client, file, out, purpose, limit, encoding, |s, total| {
        if s.rows == 0 {
            return;
        }
        let line = format!(
            "照会中 {} / {} 件 ({}%)",
            group(s.rows),
            group(total),
            (s.rows * 100).checked_div(total).unwrap_or(100)
        );
        if tty {
            eprint!("\r{line}   ");
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{line}");
        }
    })
    .await?;
    if tty {
        eprintln!();
    }
    Ok(summary)
}

/// [`batch`], reporting the counts so far and the number of rows after each request to
/// `progress` (the web terminal shows them) instead of on stderr.
pub async fn batch_with_progress(
    client: &JlisClient,
    file: &Path,
    out: &Path,
    purpose: &str,
    limit: u32,
    encoding: EncodingChoice,
    mut progress: impl FnMut(&BatchSummary, u64),
) -> Result<BatchSummary, CliError> {
    let io = |e: std::io::Error| CliError(format!("{}: {e}", file.display()));
    let encoding = resolve(file, encoding).map_err(io)?;
    let (header, mut rows) = Rows::open(file, encoding).map_err(io)?;
    let header: Vec<&str> = header.iter().map(|h| h.trim()).collect();
    if header != QUERY_COLUMNS {
        return Err(CliError(format!(
            "{}: 見出し行が正しくありません。次の見出しが必要です: {}",
            file.display(),
            QUERY_COLUMNS.join(",")
        )));
    }
    let mut queries = Vec::new();
    while let Some(row) = rows.next_row().map_err(io)? {
        if row.fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        queries.push(read_query(row.line, &row.fields));
    }

    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(
        std::fs::File::create(out).map_err(|e| CliError(format!("{}: {e}", out.display())))?,
    ));
    let write_err = |e: csv::Error| CliError(format!("{}: {e}", out.display()));
    // Excel opens a UTF-8 CSV correctly only with a BOM.
    let mut first = ANSWER_COLUMNS.map(str::to_owned);
    first[0] = format!("\u{feff}{}", first[0]);
    writer.write_record(&first).map_err(write_err)?;

    let mut summary = BatchSummary::default();
    let total = queries.len() as u64;
    progress(&summary, total);
    for chunk in queries.chunks(BATCH_REQUEST) {
        let numbers: Vec<MyNumber> = chunk
            .iter()
            .filter_map(|q| match &q.asked {
                Ok(Asked::Number(n)) => Some(n.clone()),
                _ => None,
            })
            .collect();
        let searches: Vec<Basic4Query> = chunk
            .iter()
            .filter_map(|q| match &q.asked {
                Ok(Asked::Basic4(b)) => Some(b.clone()),
                _ => None,
            })
            .collect();
        let mut looked_up = if numbers.is_empty() {
            Vec::new()
        } else {
            client
                .lookup(purpose, numbers)
                .await
                .map_err(call_error)?
                .residents
        }
        .into_iter();
        let mut searched = if searches.is_empty() {
            Vec::new()
        } else {
            client
                .search(purpose, limit, searches)
                .await
                .map_err(call_error)?
                .results
        }
        .into_iter();
        for q in chunk {
            summary.rows += 1;
            let lines = match &q.asked {
                Err(e) => {
                    summary.errors += 1;
                    vec![answer_line(&q.reference, "", "エラー", None, purpose, e)]
                }
                Ok(Asked::Number(n)) => match looked_up.next().flatten() {
                    Some(r) => {
                        summary.found += 1;
                        vec![resident_line(&q.reference, n, &r, purpose)]
                    }
                    None => {
                        summary.not_found += 1;
                        vec![answer_line(
                            &q.reference,
                            "個人番号",
                            "該当なし",
                            None,
                            purpose,
                            "",
                        )]
                    }
                },
                Ok(Asked::Basic4(_)) => {
                    let found = searched.next().unwrap_or_default();
                    if found.is_empty() {
                        summary.not_found += 1;
                        vec![answer_line(
                            &q.reference,
                            "基本4情報",
                            "該当なし",
                            None,
                            purpose,
                            "",
                        )]
                    } else {
                        summary.found += 1;
                        found
                            .iter()
                            .enumerate()
                            .map(|(rank, c)| candidate_line(&q.reference, rank + 1, c, purpose))
                            .collect()
                    }
                }
            };
            for line in lines {
                writer.write_record(&line).map_err(write_err)?;
            }
        }
        progress(&summary, total);
    }
    writer
        .flush()
        .map_err(|e| CliError(format!("{}: {e}", out.display())))?;
    Ok(summary)
}

fn answer_line(
    reference: &str,
    kind: &str,
    result: &str,
    rank: Option<usize>,
    purpose: &str,
    error: &str,
) -> Vec<String> {
    let mut line = vec![String::new(); ANSWER_COLUMNS.len()];
    line[0] = reference.to_owned();
    line[1] = kind.to_owned();
    line[2] = result.to_owned();
    line[3] = rank.map(|r| r.to_string()).unwrap_or_default();
    line[17] = purpose.to_owned();
    line[18] = error.to_owned();
    line
}

fn fill_resident(line: &mut [String], r: &CurrentResident) {
    line[6] = r.name.clone();
    line[7] = r.kana.clone();
    line[8] = r.birth.to_string();
    line[9] = r.sex.code().to_string();
    line[10] = r.address.clone();
    line[11] = r.removal.as_ref().map(removal_text).unwrap_or_default();
}

fn resident_line(reference: &str, n: &MyNumber, r: &CurrentResident, purpose: &str) -> Vec<String> {
    let mut line = answer_line(reference, "個人番号", "該当あり", None, purpose, "");
    line[4] = n.expose().to_owned();
    fill_resident(&mut line, r);
    line
}

fn candidate_line(reference: &str, rank: usize, c: &Candidate, purpose: &str) -> Vec<String> {
    let mut line = answer_line(reference, "基本4情報", "候補", Some(rank), purpose, "");
    line[4] = c.my_number.expose().to_owned();
    line[5] = c.score.to_string();
    fill_resident(&mut line, &c.resident);
    line[12] = c.items.name.label();
    line[13] = c.items.kana.label();
    line[14] = c.items.birth.label();
    line[15] = c.items.sex.label();
    line[16] = c.items.address.label();
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(s: &[&str]) -> Vec<String> {
        s.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn a_query_row_is_a_number_or_a_search_and_errors_name_line_and_column() {
        let by_number = read_query(2, &fields(&["A1", "621498320257", "", "", "", "", ""]));
        assert!(matches!(by_number.asked, Ok(Asked::Number(_))));
        let search = read_query(
            3,
            &fields(&[
                "A2",
                "",
                "山田太郎",
                "ヤマダタロウ",
                "昭和20年4月1日",
                "1",
                "東京都",
            ]),
        );
        match search.asked {
            Ok(Asked::Basic4(q)) => {
                assert_eq!(q.birth, Some(time::macros::date!(1945 - 04 - 01)));
                assert_eq!(q.sex, Some(Sex::Male));
            }
            _ => panic!("a search"),
        }
        let bad = read_query(4, &fields(&["A3", "123", "", "", "", "", ""]));
        let e = bad.asked.err().unwrap();
        assert!(e.starts_with("4行目 個人番号"), "{e}");
        assert!(!e.contains("123"), "{e}");
        let no_birth = read_query(5, &fields(&["A4", "", "山田太郎", "", "", "", ""]));
        assert!(no_birth.asked.err().unwrap().starts_with("5行目 生年月日"));
        let no_name = read_query(6, &fields(&["A5", "", "", "", "1945-04-01", "", ""]));
        assert!(no_name.asked.err().unwrap().starts_with("6行目 氏名"));
        let short = read_query(7, &fields(&["A6", ""]));
        assert!(short.asked.err().unwrap().contains("項目数"));
    }

    #[test]
    fn purposes_are_checked_before_sending() {
        assert!(check_purpose("subscriber").is_ok());
        assert!(check_purpose("nosy").unwrap_err().0.contains("subscriber"));
    }
}
