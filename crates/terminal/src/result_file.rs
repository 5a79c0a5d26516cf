//! The result file of 加入者情報作成: CSV in UTF-8 with a BOM (so Excel opens it correctly),
//! one row per input data row in input order:
//! `行番号,被保険者番号,結果,被保険者枝番,理由コード,理由`. It is written beside the target
//! as `*.part` and renamed when complete, so a half-written file never looks finished.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use renkei_wire::msg::intermediate::{RowOutcome, RowResult};

pub use renkei_wire::files::REGISTRATION_RESULT_COLUMNS as HEADER;

pub struct ResultFile {
    writer: csv::Writer<BufWriter<File>>,
    partial: PathBuf,
    target: PathBuf,
}

impl ResultFile {
    pub fn create(target: &Path) -> io::Result<ResultFile> {
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(".part");
        let partial = target.with_file_name(name);
        let mut file = BufWriter::new(File::create(&partial)?);
        file.write_all(b"\xEF\xBB\xBF")?;
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(file);
        writer.write_record(HEADER).map_err(io::Error::other)?;
        Ok(ResultFile {
            writer,
            partial,
            target: target.to_owned(),
        })
    }

    pub fn write(&mut self, result: &RowResult) -> io::Result<()> {
        let line = result.line.to_string();
        let record: [&str; 6] = match &result.outcome {
            RowOutcome::Registered { branch } => {
                [&line, &result.insured_number, "登録", branch, "", ""]
            }
            RowOutcome::Held { code, reason } => {
                [&line, &result.insured_number, "保留", "", code, reason]
            }
        };
        self.writer.write_record(record).map_err(io::Error::other)
    }

    /// Flushes and moves the file into place.
    pub fn finish(self) -> io::Result<()> {
        let mut file = self
            .writer
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))?;
        file.flush()?;
        file.get_ref().sync_all()?;
        drop(file);
        std::fs::rename(&self.partial, &self.target)
    }
}
