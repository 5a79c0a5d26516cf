//! The table of permitted inquiries (情報照会の許可表), modelled on 番号法 別表第二: who
//! (照会者の種別) may ask whom (提供者の種別) for which 特定個人情報, for which 事務. The table is data,
//! not code: `data/permissions.toml`, embedded at build time and also loadable from a file.
//! The format and the refusal codes are in docs/formats.md ("Permission table").

use std::collections::{HashMap, HashSet};
use std::path::Path;

use renkei_core::{InfoCode, TaskCode};
use serde::Deserialize;

/// The table shipped with renkei.
pub const BUILTIN: &str = include_str!("../data/permissions.toml");

/// The kind of an institution, as the table names askers and providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionKind {
    /// 後期高齢者医療広域連合.
    Koiki,
    /// 市町村.
    Municipality,
    /// Another 医療保険者 (協会けんぽ, 健保組合, 国保組合).
    Insurer,
}

impl InstitutionKind {
    pub fn parse(s: &str) -> Option<InstitutionKind> {
        match s {
            "koiki" => Some(InstitutionKind::Koiki),
            "municipality" => Some(InstitutionKind::Municipality),
            "insurer" => Some(InstitutionKind::Insurer),
            _ => None,
        }
    }

    /// The code used in the table file.
    pub fn as_str(self) -> &'static str {
        match self {
            InstitutionKind::Koiki => "koiki",
            InstitutionKind::Municipality => "municipality",
            InstitutionKind::Insurer => "insurer",
        }
    }

    /// The kind's name in Japanese, for messages.
    pub fn name(self) -> &'static str {
        match self {
            InstitutionKind::Koiki => "後期高齢者医療広域連合",
            InstitutionKind::Municipality => "市町村",
            InstitutionKind::Insurer => "医療保険者",
        }
    }
}

/// One permitted (asker kind, 事務, provider kind, 特定個人情報).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Stable id in 別表第二 項番 style, e.g. `別表第二-80-1`.
    pub id: String,
    pub asker: InstitutionKind,
    /// 事務コード and its name.
    pub task: TaskCode,
    pub task_name: String,
    pub provider: InstitutionKind,
    /// 特定個人情報コード and its name.
    pub info: InfoCode,
    pub info_name: String,
}

/// Why an inquiry is not permitted: the check that refused it, with a stable code
/// ([`Refusal::code`]) and a Japanese message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("事務コード「{task}」は許可表にありません（拒否: unknown_task）")]
    UnknownTask { task: String },
    #[error("特定個人情報コード「{info}」は許可表にありません（拒否: unknown_info）")]
    UnknownInfo { info: String },
    #[error("{}は事務「{task}」で照会できません（拒否: task_not_for_asker）", asker.name())]
    TaskNotForAsker {
        asker: InstitutionKind,
        task: String,
    },
    #[error("事務「{task}」では特定個人情報「{info}」を照会できません（拒否: info_not_for_task）")]
    InfoNotForTask { task: String, info: String },
    #[error("事務「{task}」の特定個人情報「{info}」は{}に照会できません（拒否: provider_not_holder）", provider.name())]
    ProviderNotHolder {
        task: String,
        info: String,
        provider: InstitutionKind,
    },
}

impl Refusal {
    /// The stable code of the check that refused, as recorded in the 情報提供等記録.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownTask { .. } => "unknown_task",
            Refusal::UnknownInfo { .. } => "unknown_info",
            Refusal::TaskNotForAsker { .. } => "task_not_for_asker",
            Refusal::InfoNotForTask { .. } => "info_not_for_task",
            Refusal::ProviderNotHolder { .. } => "provider_not_holder",
        }
    }
}

/// A table file that cannot be used. Row numbers count `[[rule]]` entries from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("許可表を読めません（{path}）: {message}")]
    Io { path: String, message: String },
    #[error("許可表の書式が正しくありません: {0}")]
    Syntax(String),
    #[error("許可表に規則がありません")]
    Empty,
    #[error("許可表の{row}行目の規則: 項目「{field}」{problem}")]
    Field {
        row: usize,
        field: &'static str,
        problem: String,
    },
    #[error("許可表の{row}行目の規則: 規則ID「{id}」は{first}行目と重複しています")]
    DuplicateId {
        row: usize,
        id: String,
        first: usize,
    },
    #[error("許可表の{row}行目の規則: 同じ内容の規則が{first}行目にあります")]
    DuplicateRule { row: usize, first: usize },
    #[error("許可表の{row}行目の規則: 項目「{field}」の名称「{name}」が{first}行目の「{earlier}」と違います（コード {code}）")]
    NameMismatch {
        row: usize,
        field: &'static str,
        code: String,
        name: String,
        earlier: String,
        first: usize,
    },
}

/// The parsed, validated table.
#[derive(Debug, Clone)]
pub struct PermissionTable {
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Option<String>,
    asker: Option<String>,
    task: Option<String>,
    task_name: Option<String>,
    provider: Option<String>,
    info: Option<String>,
    info_name: Option<String>,
}

impl PermissionTable {
    /// The table shipped with renkei (`crates/wire/data/permissions.toml`).
    pub fn builtin() -> PermissionTable {
        PermissionTable::parse(BUILTIN).expect("the shipped permission table is valid")
    }

    /// Reads and parses a table file (an operator's own table).
    pub fn load(path: &Path) -> Result<PermissionTable, TableError> {
        let text = std::fs::read_to_string(path).map_err(|e| TableError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        PermissionTable::parse(&text)
    }

    /// Parses and validates a table: every field present and well formed, ids unique, no
    /// rule twice, and each 事務コード and 特定個人情報コード with one name throughout.
    pub fn parse(text: &str) -> Result<PermissionTable, TableError> {
        let raw: RawTable = toml::from_str(text).map_err(|e| TableError::Syntax(e.to_string()))?;
        if raw.rule.is_empty() {
            return Err(TableError::Empty);
        }
        let mut rules: Vec<Rule> = Vec::with_capacity(raw.rule.len());
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut tuples: HashMap<(InstitutionKind, TaskCode, InstitutionKind, InfoCode), usize> =
            HashMap::new();
        let mut task_names: HashMap<String, (String, usize)> = HashMap::new();
        let mut info_names: HashMap<String, (String, usize)> = HashMap::new();
        for (i, r) in raw.rule.into_iter().enumerate() {
            let row = i + 1;
            let rule = Rule {
                id: text_field(row, "id", r.id)?,
                asker: kind_field(row, "asker", r.asker)?,
                task: code_field(row, "task", r.task, TaskCode::parse)?,
                task_name: text_field(row, "task_name", r.task_name)?,
                provider: kind_field(row, "provider", r.provider)?,
                info: code_field(row, "info", r.info, InfoCode::parse)?,
                info_name: text_field(row, "info_name", r.info_name)?,
            };
            if let Some(&first) = ids.get(&rule.id) {
                return Err(TableError::DuplicateId {
                    row,
                    id: rule.id,
                    first,
                });
            }
            ids.insert(rule.id.clone(), row);
            let tuple = (
                rule.asker,
                rule.task.clone(),
                rule.provider,
                rule.info.clone(),
            );
            if let Some(&first) = tuples.get(&tuple) {
                return Err(TableError::DuplicateRule { row, first });
            }
            tuples.insert(tuple, row);
            same_name(
                &mut task_names,
                row,
                "task_name",
                &rule.task,
                &rule.task_name,
            )?;
            same_name(
                &mut info_names,
                row,
                "info_name",
                &rule.info,
                &rule.info_name,
            )?;
            rules.push(rule);
        }
        Ok(PermissionTable { rules })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Finds the rule permitting the inquiry, or says which check refused it. Checks run in a
    /// fixed order — 事務 known, 特定個人情報 known, 事務 open to the asker's kind, the
    /// information provided for that 事務, the provider's kind its holder — so a request gets
    /// the same refusal every time.
    pub fn authorize(
        &self,
        asker: InstitutionKind,
        task: &TaskCode,
        provider: InstitutionKind,
        info: &InfoCode,
    ) -> Result<&Rule, Refusal> {
        let (task, info) = (task.as_str(), info.as_str());
        if !self.rules.iter().any(|r| r.task == task) {
            return Err(Refusal::UnknownTask { task: task.into() });
        }
        if !self.rules.iter().any(|r| r.info == info) {
            return Err(Refusal::UnknownInfo { info: info.into() });
        }
        let for_asker = || {
            self.rules
                .iter()
                .filter(|r| r.asker == asker && r.task == task)
        };
        if for_asker().next().is_none() {
            return Err(Refusal::TaskNotForAsker {
                asker,
                task: task.into(),
            });
        }
        let mut for_info = for_asker().filter(|r| r.info == info).peekable();
        if for_info.peek().is_none() {
            return Err(Refusal::InfoNotForTask {
                task: task.into(),
                info: info.into(),
            });
        }
        for_info
            .find(|r| r.provider == provider)
            .ok_or_else(|| Refusal::ProviderNotHolder {
                task: task.into(),
                info: info.into(),
                provider,
            })
    }

    /// The distinct 事務コード in the table, in file order.
    pub fn tasks(&self) -> Vec<(&str, &str)> {
        let mut seen = HashSet::new();
        self.rules
            .iter()
            .filter(|r| seen.insert(r.task.as_str()))
            .map(|r| (r.task.as_str(), r.task_name.as_str()))
            .collect()
    }
}

fn text_field(row: usize, field: &'static str, v: Option<String>) -> Result<String, TableError> {
    match v {
        None => Err(TableError::Field {
            row,
            field,
            problem: "がありません".into(),
        }),
        Some(s) if s.trim().is_empty() => Err(TableError::Field {
            row,
            field,
            problem: "が空です".into(),
        }),
        Some(s) if s.trim() != s || s.chars().any(char::is_control) => Err(TableError::Field {
            row,
            field,
            problem: "に前後の空白か制御文字があります".into(),
        }),
        Some(s) => Ok(s),
    }
}

/// A code: 1 to 16 ASCII letters, digits, `-` or `_`, so it can travel in URLs and CLI flags.
fn code_field<T>(
    row: usize,
    field: &'static str,
    v: Option<String>,
    parse: fn(&str) -> Result<T, renkei_core::IdError>,
) -> Result<T, TableError> {
    let s = text_field(row, field, v)?;
    parse(&s).map_err(|e| TableError::Field {
        row,
        field,
        problem: format!("「{s}」: {e}"),
    })
}

fn kind_field(
    row: usize,
    field: &'static str,
    v: Option<String>,
) -> Result<InstitutionKind, TableError> {
    let s = text_field(row, field, v)?;
    InstitutionKind::parse(&s).ok_or_else(|| TableError::Field {
        row,
        field,
        problem: format!("「{s}」は koiki・municipality・insurer のいずれかで指定してください"),
    })
}

fn same_name(
    names: &mut HashMap<String, (String, usize)>,
    row: usize,
    field: &'static str,
    code: &str,
    name: &str,
) -> Result<(), TableError> {
    match names.get(code) {
        Some((earlier, first)) if earlier != name => Err(TableError::NameMismatch {
            row,
            field,
            code: code.into(),
            name: name.into(),
            earlier: earlier.clone(),
            first: *first,
        }),
        Some(_) => Ok(()),
        None => {
            names.insert(code.into(), (name.into(), row));
            Ok(())
        }
    }
}

#[cfg(test)]
#[path = "permission_tests.rs"]
mod tests;
