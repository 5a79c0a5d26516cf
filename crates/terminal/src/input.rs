//! Reading a 加入者情報 file as sent by an insurer: UTF-8 (with or without BOM) or Shift_JIS
//! (CP932), detected from the first bytes unless given. Records are split on the raw bytes —
//! safe for CP932, whose trail bytes are never `,`, `"` or a line break — and decoded field by
//! field, so a file of any size streams in bounded memory.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use encoding_rs::{SHIFT_JIS, UTF_8};
use renkei_wire::msg::intermediate::RawRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EncodingChoice {
    /// 先頭を見て判定する
    Auto,
    Utf8,
    Cp932,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Cp932,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Cp932 => "Shift_JIS (CP932)",
        }
    }
}

/// Detects the encoding from the start of a file: a BOM or valid UTF-8 means UTF-8.
pub fn detect(head: &[u8]) -> Encoding {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return Encoding::Utf8;
    }
    match std::str::from_utf8(head) {
        Ok(_) => Encoding::Utf8,
        // A multi-byte character cut at the end of the sample is not evidence against UTF-8.
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Cp932,
    }
}

pub fn resolve(path: &Path, choice: EncodingChoice) -> io::Result<Encoding> {
    Ok(match choice {
        EncodingChoice::Utf8 => Encoding::Utf8,
        EncodingChoice::Cp932 => Encoding::Cp932,
        EncodingChoice::Auto => {
            let mut head = Vec::with_capacity(64 * 1024);
            File::open(path)?.take(64 * 1024).read_to_end(&mut head)?;
            detect(&head)
        }
    })
}

/// Splits CSV records (RFC 4180: quoted fields, `""` escapes, line breaks inside quotes) and
/// counts physical lines exactly, so that every row's 行番号 is the line staff see in an
/// editor. LF and CRLF line ends; blank lines are skipped.
pub struct RecordReader<R> {
    inner: R,
    line: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> RecordReader<R> {
    pub fn new(inner: R) -> Self {
        RecordReader {
            inner,
            line: 0,
            buf: Vec::with_capacity(1024),
        }
    }

    /// The next record: the line it starts on and its raw fields.
    pub fn next_record(&mut self) -> io::Result<Option<(u64, Vec<Vec<u8>>)>> {
        loop {
            self.buf.clear();
            if self.inner.read_until(b'\n', &mut self.buf)? == 0 {
                return Ok(None);
            }
            self.line += 1;
            let start = self.line;
            while self.buf.iter().filter(|&&b| b == b'"').count() % 2 == 1 {
                if self.inner.read_until(b'\n', &mut self.buf)? == 0 {
                    break;
                }
                self.line += 1;
            }
            if self.buf.last() == Some(&b'\n') {
                self.buf.pop();
                if self.buf.last() == Some(&b'\r') {
                    self.buf.pop();
                }
            }
            if !self.buf.is_empty() {
                return Ok(Some((start, split_fields(&self.buf))));
            }
        }
    }
}

fn split_fields(record: &[u8]) -> Vec<Vec<u8>> {
    let mut fields = Vec::with_capacity(10);
    let mut field = Vec::new();
    let mut quoted = false;
    let mut i = 0;
    while i < record.len() {
        let b = record[i];
        match (quoted, b) {
            (true, b'"') if record.get(i + 1) == Some(&b'"') => {
                field.push(b'"');
                i += 1;
            }
            (true, b'"') => quoted = false,
            (true, _) => field.push(b),
            (false, b',') => fields.push(std::mem::take(&mut field)),
            (false, b'"') if field.is_empty() => quoted = true,
            (false, _) => field.push(b),
        }
        i += 1;
    }
    fields.push(field);
    fields
}

/// The rows of a file, each with its physical line (the header is line 1).
pub struct Rows {
    reader: RecordReader<BufReader<File>>,
    encoding: Encoding,
}

impl Rows {
    pub fn open(path: &Path, encoding: Encoding) -> io::Result<(Vec<String>, Rows)> {
        let reader = RecordReader::new(BufReader::with_capacity(256 * 1024, File::open(path)?));
        let mut rows = Rows { reader, encoding };
        let header = match rows.next_row()? {
            Some(row) => row
                .fields
                .into_iter()
                .map(|f| f.trim_start_matches('\u{feff}').to_owned())
                .collect(),
            None => Vec::new(),
        };
        Ok((header, rows))
    }

    pub fn next_row(&mut self) -> io::Result<Option<RawRow>> {
        Ok(self.reader.next_record()?.map(|(line, fields)| RawRow {
            line,
            fields: fields.iter().map(|f| decode(f, self.encoding)).collect(),
        }))
    }
}

fn decode(bytes: &[u8], encoding: Encoding) -> String {
    let codec = match encoding {
        Encoding::Utf8 => UTF_8,
        Encoding::Cp932 => SHIFT_JIS,
    };
    codec.decode_without_bom_handling(bytes).0.into_owned()
}

/// SHA-256 of the file's bytes, the chunk size and the 保険者番号 it is registered under (the
/// registration job's identity), and the number of data rows — one streaming pass.
pub fn digest_and_count(
    path: &Path,
    chunk_rows: u32,
    insurer_number: &str,
) -> io::Result<(String, u64)> {
    struct Hashing<R> {
        inner: R,
        ctx: ring::digest::Context,
    }
    impl<R: Read> Read for Hashing<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.ctx.update(&buf[..n]);
            Ok(n)
        }
    }
    let mut hashing = Hashing {
        inner: File::open(path)?,
        ctx: ring::digest::Context::new(&ring::digest::SHA256),
    };
    let mut records = 0u64;
    {
        let mut reader = RecordReader::new(BufReader::with_capacity(256 * 1024, &mut hashing));
        while reader.next_record()?.is_some() {
            records += 1;
        }
    }
    let rows = records.saturating_sub(1); // the header
    io::copy(&mut hashing, &mut io::sink())?;
    hashing.ctx.update(&chunk_rows.to_be_bytes());
    hashing.ctx.update(insurer_number.as_bytes());
    Ok((hex::encode(hashing.ctx.finish().as_ref()), rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn detects_and_decodes_both_encodings() {
        let text =
            "異動区分,氏名\n1,\"山田　太郎\"\n\n1,ｿﾌﾄ,余分\n1,\"複数\n行の\"\"引用\"\"\"\n1,最後";
        let crlf = text.replace('\n', "\r\n");
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes, want) in [
            (
                "crlf.csv",
                SHIFT_JIS.encode(&crlf).0.into_owned(),
                Encoding::Cp932,
            ),
            (
                "u.csv",
                [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
                Encoding::Utf8,
            ),
            (
                "s.csv",
                SHIFT_JIS.encode(text).0.into_owned(),
                Encoding::Cp932,
            ),
        ] {
            let path = dir.path().join(name);
            std::fs::File::create(&path)
                .unwrap()
                .write_all(&bytes)
                .unwrap();
            let encoding = resolve(&path, EncodingChoice::Auto).unwrap();
            assert_eq!(encoding, want);
            let (header, mut rows) = Rows::open(&path, encoding).unwrap();
            assert_eq!(header, vec!["異動区分", "氏名"]);
            let first = rows.next_row().unwrap().unwrap();
            assert_eq!(
                (first.line, first.fields.clone()),
                (2, vec!["1".to_owned(), "山田　太郎".to_owned()])
            );
            let second = rows.next_row().unwrap().unwrap();
            assert_eq!((second.line, second.fields.len()), (4, 3), "{name}");
            assert_eq!(second.fields[1], "ｿﾌﾄ");
            let third = rows.next_row().unwrap().unwrap();
            let quoted = if name == "crlf.csv" {
                "複数\r\n行の\"引用\""
            } else {
                "複数\n行の\"引用\""
            };
            assert_eq!(
                (third.line, third.fields[1].as_str()),
                (5, quoted),
                "{name}"
            );
            let last = rows.next_row().unwrap().unwrap();
            assert_eq!(
                (last.line, last.fields.clone()),
                (7, vec!["1".to_owned(), "最後".to_owned()]),
                "{name}"
            );
            assert!(rows.next_row().unwrap().is_none());
            let (digest, count) = digest_and_count(&path, 100, "39131156").unwrap();
            assert_eq!((digest.len(), count), (64, 4));
            assert_ne!(
                digest,
                digest_and_count(&path, 200, "39131156").unwrap().0,
                "chunk size is part of the job"
            );
            assert_ne!(
                digest,
                digest_and_count(&path, 100, "39130018").unwrap().0,
                "so is the 保険者番号"
            );
        }
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn field() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-z山田ｱ,\"\\n ]{0,8}").unwrap()
    }

    proptest! {
        /// Whatever a CSV writer writes, the splitter reads back field for field, each record on
        /// the physical line where it starts.
        #[test]
        fn reads_back_what_a_csv_writer_wrote(records in proptest::collection::vec(proptest::collection::vec(field(), 1..5), 1..20), crlf: bool) {
            let mut writer = csv::WriterBuilder::new()
                .flexible(true)
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_writer(Vec::new());
            let mut expected = Vec::new();
            let mut line = 1u64;
            for record in &records {
                // A record of one empty field is a blank line, which readers skip.
                if record.len() == 1 && record[0].is_empty() {
                    continue;
                }
                writer.write_record(record).unwrap();
                expected.push((line, record.clone()));
                line += 1 + record.iter().map(|f| f.matches('\n').count() as u64).sum::<u64>();
            }
            let bytes = writer.into_inner().unwrap();
            let mut reader = RecordReader::new(bytes.as_slice());
            let mut got = Vec::new();
            while let Some((line, fields)) = reader.next_record().unwrap() {
                let fields: Vec<String> = fields.into_iter().map(|f| String::from_utf8(f).unwrap()).collect();
                got.push((line, fields));
            }
            prop_assert_eq!(got, expected);
        }
    }
}
