//! Held rows (保留) of a finished upload: listed with their reasons from the result file, and
//! corrected one at a time — the row's fields as the file had them, edited in a form and sent
//! again as a one-row file under the same 保険者番号. The list shows each correction's outcome.

use std::collections::HashMap;
use std::path::Path as FsPath;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use renkei_core::InsurerNumber;
use serde::Serialize;

use super::files::{input_path, result_path, upload_dir};
use super::{own_upload, start, HELD_LIST};
use crate::input::{resolve, EncodingChoice, Rows};
use crate::web::auth::{new_token, Registrar, Staff};
use crate::web::error::WebError;
use crate::web::pages::render;
use crate::web::render::{Table, TableQuery};
use crate::web::store::{Upload, UploadStatus};
use crate::web::WebState;

#[derive(Debug, Clone, Serialize)]
pub struct HeldRow {
    line: i64,
    insured: String,
    code: String,
    reason: String,
    /// The latest correction sent for this row: its upload and how it ended.
    correction_id: Option<String>,
    correction: Option<String>,
}

fn correction_label(u: &Upload) -> String {
    match u.status {
        UploadStatus::Done if u.registered > 0 => "再送済み（登録）".into(),
        UploadStatus::Done => "再送済み（保留）".into(),
        other => format!("再送済み（{}）", other.label()),
    }
}

/// The held rows of a result file, as one sorted page.
pub fn page(
    result: &FsPath,
    corrections: &[Upload],
    query: &TableQuery,
    base: &str,
) -> Result<(Vec<HeldRow>, Table), WebError> {
    let rows = read_held(result)?;
    let (mut page, table) = HELD_LIST.slice(query, base, rows, |rows, by, desc| {
        match by {
            "insured" => rows.sort_by(|a, b| a.insured.cmp(&b.insured).then(a.line.cmp(&b.line))),
            "code" => rows.sort_by(|a, b| a.code.cmp(&b.code).then(a.line.cmp(&b.line))),
            _ => rows.sort_by_key(|r| r.line),
        }
        if desc {
            rows.reverse();
        }
    });
    for row in &mut page {
        if let Some(c) = corrections.iter().rev().find(|c| c.parent_line == row.line) {
            row.correction_id = Some(c.id.clone());
            row.correction = Some(correction_label(c));
        }
    }
    Ok((page, table))
}

fn read_held(result: &FsPath) -> Result<Vec<HeldRow>, WebError> {
    let bytes = std::fs::read(result)
        .map_err(|e| WebError::Internal(format!("結果ファイルを読めません（{e}）")))?;
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::Reader::from_reader(text);
    let mut held = Vec::new();
    for record in reader.records() {
        let r =
            record.map_err(|e| WebError::Internal(format!("結果ファイルが壊れています（{e}）")))?;
        if r.get(2) == Some("保留") {
            held.push(HeldRow {
                line: r.get(0).and_then(|l| l.parse().ok()).unwrap_or(0),
                insured: r.get(1).unwrap_or_default().to_owned(),
                code: r.get(4).unwrap_or_default().to_owned(),
                reason: r.get(5).unwrap_or_default().to_owned(),
                correction_id: None,
                correction: None,
            });
        }
    }
    Ok(held)
}

/// The upload's held row at `line` and the file's header and fields for it.
async fn held_row(
    state: &WebState,
    staff: &Staff,
    id: &str,
    line: i64,
) -> Result<(Upload, HeldRow, Vec<String>, Vec<String>), WebError> {
    let upload = own_upload(state, staff, id).await?;
    if upload.status != UploadStatus::Done {
        return Err(WebError::NotFound);
    }
    let held = read_held(&result_path(state, id))?
        .into_iter()
        .find(|h| h.line == line)
        .ok_or(WebError::NotFound)?;
    let input = input_path(state, id);
    let (header, fields) = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
        let encoding = resolve(&input, EncodingChoice::Auto)?;
        let (header, mut rows) = Rows::open(&input, encoding)?;
        while let Some(row) = rows.next_row()? {
            if row.line == line as u64 {
                return Ok((header, Some(row.fields)));
            }
        }
        Ok((header, None))
    })
    .await
    .map_err(|e| WebError::Internal(e.to_string()))?
    .map_err(|e| WebError::Internal(format!("登録したファイルを読めません（{e}）")))?;
    let fields = fields.ok_or(WebError::NotFound)?;
    Ok((upload, held, header, fields))
}

#[derive(Serialize)]
struct Field {
    name: String,
    label: String,
    value: String,
}

pub async fn edit(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    Path((id, line)): Path<(String, i64)>,
) -> Result<Html<String>, WebError> {
    let (upload, held, header, values) = held_row(&state, &staff, &id, line).await?;
    let fields: Vec<Field> = header
        .iter()
        .enumerate()
        .map(|(i, label)| Field {
            name: format!("f{i}"),
            label: label.clone(),
            value: values.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    render(
        &state,
        &staff,
        "held_edit.html",
        minijinja::context! { upload_id => upload.id, file_name => upload.file_name, held, fields },
    )
}

pub async fn resend(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    Path((id, line)): Path<(String, i64)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    staff.check_csrf(form.get("csrf").map(String::as_str).unwrap_or_default())?;
    let (upload, _, header, _) = held_row(&state, &staff, &id, line).await?;
    let fields: Vec<String> = (0..header.len())
        .map(|i| {
            form.get(&format!("f{i}"))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        })
        .collect();
    let new_id = new_token()[..32].to_owned();
    let path = input_path(&state, &new_id);
    write_one_row(&path, &header, &fields)
        .map_err(|e| WebError::Internal(format!("修正ファイルを保存できません（{e}）")))?;
    let stem = upload
        .file_name
        .strip_suffix(".csv")
        .unwrap_or(&upload.file_name);
    let file_name = format!("{stem}_{line}行目の修正.csv");
    let insurer_number = InsurerNumber::parse(&upload.insurer_number)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    if let Err(e) = start(
        &state,
        &staff,
        new_id.clone(),
        insurer_number,
        file_name,
        Some((id, line)),
    )
    .await
    {
        let _ = std::fs::remove_dir_all(upload_dir(&state, &new_id));
        return Err(e);
    }
    Ok(Redirect::to(&format!("/registrations/{new_id}")).into_response())
}

/// A one-row 加入者情報 file in UTF-8, readable by the owner only.
fn write_one_row(path: &FsPath, header: &[String], fields: &[String]) -> std::io::Result<()> {
    std::fs::create_dir_all(path.parent().expect("upload dir"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(options.open(path)?);
    writer.write_record(header).map_err(std::io::Error::other)?;
    writer.write_record(fields).map_err(std::io::Error::other)?;
    writer.flush()
}
