//! Errors of the synthetic-data generators, in the words of the files they write.

/// Why synthetic data could not be produced or written.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// Writing the output failed.
    #[error("書き込みに失敗しました: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV writer failed.
    #[error("CSVの書き込みに失敗しました: {0}")]
    Csv(#[from] csv::Error),
    /// Not a prefecture code `"01"`..`"47"`.
    #[error("都道府県コードが正しくありません: {0}（01〜47）")]
    Prefecture(String),
    /// `min_age` higher than anyone in the population can be.
    #[error("最低年齢 {age} 歳の住民は作れません（{max} 歳まで）")]
    MinAge {
        /// The requested age.
        age: u32,
        /// The highest possible age.
        max: u32,
    },
    /// More residents than one index block holds.
    #[error("人数 {count} は上限 {max} を超えています")]
    TooMany {
        /// The requested count.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// `error_rate` outside 0.0..=1.0.
    #[error("誤りの割合は0.0〜1.0で指定してください: {0}")]
    ErrorRate(f64),
    /// A field has a character CP932 cannot encode.
    #[error("{line}行目にShift_JIS（CP932）で表せない文字があります")]
    Unencodable {
        /// Physical line in the file (header = 1).
        line: u64,
    },
}
