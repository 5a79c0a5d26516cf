//! The files that cross between institutions besides the network's messages: what an insurer
//! sends to `intermediate`, what it gets back, and what loads J-LIS. Defined once here for both
//! the programs that write them (the terminal, `renkei synth`) and those that read them.
//! docs/formats.md describes each column.

/// 加入者情報: the header of the file an insurer registers (columns may come in any order).
pub const SUBSCRIBER_COLUMNS: [&str; 10] = [
    "異動区分",
    "個人番号",
    "被保険者番号",
    "氏名",
    "氏名カナ",
    "生年月日",
    "性別",
    "住所",
    "資格取得年月日",
    "資格喪失年月日",
];

/// The result file of 加入者情報作成, one row per input data row.
pub const REGISTRATION_RESULT_COLUMNS: [&str; 6] = [
    "行番号",
    "被保険者番号",
    "結果",
    "被保険者枝番",
    "理由コード",
    "理由",
];

/// Residents as J-LIS holds them (本人確認情報), in this order.
pub const RESIDENT_COLUMNS: [&str; 8] = [
    "個人番号",
    "住民票コード",
    "氏名",
    "氏名カナ",
    "生年月日",
    "性別",
    "住所",
    "市区町村コード",
];
