//! The residents CSV: what J-LIS holds about each synthetic resident, for seeding `registry`.
//! UTF-8, header `個人番号,住民票コード,氏名,氏名カナ,生年月日,性別,住所,市区町村コード`,
//! 生年月日 as `YYYY-MM-DD`, 性別 as 1 (男) or 2 (女).

use std::io::Write;

use renkei_core::date::to_iso;

use crate::error::SynthError;
use crate::population::Resident;

/// The header row of the residents CSV.
pub use renkei_wire::files::RESIDENT_COLUMNS as RESIDENTS_HEADER;

/// Writes `residents` as the residents CSV; returns the number of data rows written.
pub fn write_residents_csv<W: Write>(
    w: W,
    residents: impl Iterator<Item = Resident>,
) -> Result<u64, SynthError> {
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record(RESIDENTS_HEADER)?;
    let mut rows = 0;
    for r in residents {
        let sex = r.sex.code().to_string();
        csv.write_record([
            r.my_number.expose(),
            r.resident_code.expose(),
            &r.name,
            &r.kana,
            &to_iso(r.birth),
            &sex,
            &r.address,
            &r.municipality_code,
        ])?;
        rows += 1;
    }
    csv.flush()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::{residents, PopulationSpec};

    #[test]
    fn writes_header_and_rows() {
        let spec = PopulationSpec {
            seed: 3,
            count: 50,
            ..Default::default()
        };
        let mut out = Vec::new();
        assert_eq!(write_residents_csv(&mut out, residents(&spec)).unwrap(), 50);
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(RESIDENTS_HEADER.join(",").as_str()));
        let first = lines.next().unwrap();
        let r = crate::population::resident(3, 0);
        assert!(first.starts_with(&format!(
            "{},{},",
            r.my_number.expose(),
            r.resident_code.expose()
        )));
        assert!(first.ends_with(&format!(",{},{}", r.address, r.municipality_code)));
        assert_eq!(text.lines().count(), 51);
    }

    #[test]
    fn same_seed_same_bytes() {
        let spec = PopulationSpec {
            seed: 9,
            count: 300,
            ..Default::default()
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_residents_csv(&mut a, residents(&spec)).unwrap();
        write_residents_csv(&mut b, residents(&spec)).unwrap();
        assert_eq!(a, b);
        let other = PopulationSpec { seed: 10, ..spec };
        let mut c = Vec::new();
        write_residents_csv(&mut c, residents(&other)).unwrap();
        assert_ne!(a, c);
    }
}
