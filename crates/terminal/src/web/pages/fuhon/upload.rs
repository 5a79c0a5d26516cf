//! A 副本 file sent from the browser: its form checked and its file saved, then uploaded (or
//! checked) by a background job ([`crate::web::jobs::fuhon`]) whose page shows its progress.

use super::*;

/// The multipart form: `csrf`, `insurer_number`, `kind`, `mode` (`full`, `delta` or `check`)
/// and `as_of` before `file`.
pub(super) async fn upload(
    State(state): State<Arc<WebState>>,
    Registrar(staff): Registrar,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, WebError> {
    // The role extractor ran first: a post without the role is refused whatever its body,
    // and a body that is no multipart form is refused here, after it.
    let mut multipart = multipart.map_err(|e| {
        WebError::BadRequest(format!(
            "送信されたフォームを読めません（{e}）。画面から送信してください。"
        ))
    })?;
    let bad = |e: axum::extract::multipart::MultipartError| {
        WebError::BadRequest(format!(
            "送信されたフォームを読めません（{e}）。もう一度送信してください。"
        ))
    };
    let mut csrf_ok = false;
    let (mut insurer, mut kind, mut mode, mut as_of) =
        (String::new(), String::new(), String::new(), String::new());
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "csrf" => {
                staff.check_csrf(&field.text().await.map_err(bad)?)?;
                csrf_ok = true;
            }
            "insurer_number" => insurer = field.text().await.map_err(bad)?,
            "kind" => kind = field.text().await.map_err(bad)?,
            "mode" => mode = field.text().await.map_err(bad)?,
            "as_of" => as_of = field.text().await.map_err(bad)?,
            "file" if csrf_ok => {
                let fail = |m: String| async { show_page(&state, &staff, Some(m)).await };
                let number = match InsurerNumber::parse(insurer.trim()) {
                    Ok(n)
                        if insurer_numbers(&state, &staff)
                            .iter()
                            .any(|x| x == n.as_str()) =>
                    {
                        n
                    }
                    _ => {
                        return Ok(fail("保険者番号を一覧から選んでください。".into())
                            .await?
                            .into_response())
                    }
                };
                let Some(kind) = FuhonKind::parse(&kind) else {
                    return Ok(fail("副本の種類を一覧から選んでください。".into())
                        .await?
                        .into_response());
                };
                let Some(mode) = UploadMode::parse(&mode) else {
                    return Ok(fail("全件・差分・照合のいずれかを選んでください。".into())
                        .await?
                        .into_response());
                };
                let as_of = Some(as_of.trim().to_owned()).filter(|s| !s.is_empty());
                if let Some(d) = &as_of {
                    if renkei_core::parse_date(d).is_err() {
                        return Ok(fail(format!(
                            "基準日「{d}」は日付として読めません（例: 2026-04-01、令和8年4月1日）。"
                        ))
                        .await?
                        .into_response());
                    }
                }
                let as_of = as_of
                    .map(|d| renkei_core::parse_date(&d).map(|d| d.to_string()))
                    .transpose()
                    .ok()
                    .flatten();
                let file_name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| WebError::BadRequest("副本ファイルを選んでください。".into()))?;
                let id = new_token()[..32].to_owned();
                let dir = jobs::file(&state, &jobs::fuhon::dir(staff.tenant(), &id));
                // Keep the office's file name: the intermediate server records it.
                let input = dir.join(&file_name);
                let written = save(&input, &mut field).await?;
                if written == 0 {
                    let _ = tokio::fs::remove_dir_all(&dir).await;
                    return Ok(fail(format!(
                        "{file_name}: ファイルが空です。副本ファイルを選び直してください。"
                    ))
                    .await?
                    .into_response());
                }
                let job = Job {
                    id: id.clone(),
                    tenant: staff.tenant().to_owned(),
                    kind: JobKind::Fuhon,
                    login_id: staff.account.login_id.clone(),
                    file_name: file_name.clone(),
                    params: String::new(),
                    input: String::new(),
                    result: String::new(),
                    status: JobStatus::Running,
                    done: 0,
                    total: 0,
                    counts: "[0,0,0]".into(),
                    outcome: String::new(),
                    reason: String::new(),
                    created_at: now(),
                    finished_at: None,
                };
                let params = Params {
                    insurer_number: number.to_string(),
                    kind,
                    mode: mode.code().to_owned(),
                    as_of,
                };
                let action = if mode == UploadMode::Check {
                    "副本照合 開始"
                } else {
                    "副本登録 開始"
                };
                record(
                    &state,
                    &staff,
                    action,
                    format!(
                        "{file_name}（{}、{}、保険者番号 {number}）",
                        kind.label(),
                        mode_label(mode.code())
                    ),
                )
                .await?;
                let client = client(&state, &staff)?;
                jobs::fuhon::start(&state, job, &params, client).await?;
                return Ok(Redirect::to(&format!("/fuhon/jobs/{id}")).into_response());
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(WebError::Forbidden("フォームの有効期限が切れています。画面を読み込み直してから、もう一度操作してください。".into()));
    }
    Err(WebError::BadRequest(
        "副本ファイルを選んでください。".into(),
    ))
}
