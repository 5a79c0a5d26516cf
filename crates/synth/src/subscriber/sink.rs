//! Writes CSV rows one at a time in UTF-8 or CP932, so a file of any size streams.

use std::io::{BufWriter, Write};

use super::Encoding;
use crate::error::SynthError;

pub(crate) struct Sink<W: Write> {
    out: BufWriter<W>,
    encoding: Encoding,
    row: Vec<u8>,
}

impl<W: Write> Sink<W> {
    pub(crate) fn new(w: W, encoding: Encoding) -> Sink<W> {
        Sink {
            out: BufWriter::new(w),
            encoding,
            row: Vec::with_capacity(512),
        }
    }

    /// Writes one record; `line` is its physical line, for error messages.
    pub(crate) fn write_row(&mut self, line: u64, fields: &[&str]) -> Result<(), SynthError> {
        self.row.clear();
        let terminator = match self.encoding {
            Encoding::Utf8 => csv::Terminator::Any(b'\n'),
            Encoding::Cp932 => csv::Terminator::CRLF,
        };
        {
            let mut csv = csv::WriterBuilder::new()
                .terminator(terminator)
                .buffer_capacity(512)
                .from_writer(&mut self.row);
            csv.write_record(fields)?;
            csv.flush()?;
        }
        match self.encoding {
            Encoding::Utf8 => self.out.write_all(&self.row)?,
            Encoding::Cp932 => {
                let text = std::str::from_utf8(&self.row).expect("fields are UTF-8");
                let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
                if unmappable {
                    return Err(SynthError::Unencodable { line });
                }
                self.out.write_all(&bytes)?;
            }
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<(), SynthError> {
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp932_rows_round_trip_and_end_in_crlf() {
        let mut out = Vec::new();
        let mut sink = Sink::new(&mut out, Encoding::Cp932);
        sink.write_row(1, &["氏名", "ﾔﾏﾀﾞ ﾀﾛｳ", "𠮷"]).unwrap_err();
        sink.write_row(1, &["氏名", "ﾔﾏﾀﾞ ﾀﾛｳ", "やまだ"]).unwrap();
        sink.finish().unwrap();
        let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&out);
        assert!(!bad);
        assert_eq!(text, "氏名,ﾔﾏﾀﾞ ﾀﾛｳ,やまだ\r\n");
    }
}
