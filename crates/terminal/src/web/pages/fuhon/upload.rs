//! A 副本 file sent from the browser: checked, uploaded to the intermediate server in the
//! background with progress, and the outcome kept as the job's record.

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
                let dir = job_dir(&state, staff.tenant(), &id);
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
                let job = FuhonJob {
                    id: id.clone(),
                    tenant: staff.tenant().to_owned(),
                    login_id: staff.account.login_id.clone(),
                    insurer_number: number.to_string(),
                    kind,
                    mode: mode.code().to_owned(),
                    file_name: file_name.clone(),
                    status: "running".into(),
                    rows_total: 0,
                    rows_done: 0,
                    errors_total: 0,
                    errors: Vec::new(),
                    version: None,
                    already: false,
                    drift: [0; 3],
                    message: String::new(),
                    created_at: now(),
                    finished_at: None,
                };
                write_job(&state, &job)
                    .map_err(|e| WebError::Internal(format!("処理記録を保存できません（{e}）")))?;
                state.fuhon.put(&job);
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
                tokio::spawn(run(state.clone(), staff.clone(), client, job, input, as_of));
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

/// Sends the file, then (a check) pages the drift into `drift.csv`; records the outcome.
async fn run(
    state: Arc<WebState>,
    staff: Staff,
    client: FuhonClient,
    mut job: FuhonJob,
    input: PathBuf,
    as_of: Option<String>,
) {
    let mode = UploadMode::parse(&job.mode).unwrap_or(UploadMode::Full);
    let number = InsurerNumber::parse(&job.insurer_number).expect("checked on upload");
    let id = job.id.clone();
    let jobs = state.clone();
    let sent = fuhon::send_with_progress(
        &client,
        &number,
        job.kind,
        mode,
        &input,
        EncodingChoice::Auto,
        as_of,
        CHUNK_ROWS,
        move |done, total, errors| {
            jobs.fuhon.update(&id, |j| {
                (j.rows_done, j.rows_total, j.errors_total) = (done, total, errors);
            })
        },
    )
    .await;
    if let Some(live) = state.fuhon.get(&job.id) {
        (job.rows_done, job.rows_total) = (live.rows_done, live.rows_total);
    }
    let result = match sent {
        Ok(Sent::Already(v)) => {
            job.already = true;
            job.version = Some(v);
            job.status = "done".into();
            Ok(())
        }
        Ok(Sent::Done(Outcome::Refused(errors, total), _)) => {
            job.status = "refused".into();
            job.errors_total = total;
            job.errors = errors.into_iter().take(ERRORS_SHOWN).collect();
            Ok(())
        }
        Ok(Sent::Done(Outcome::Committed(v), session)) => {
            job.rows_done = job.rows_total;
            if mode == UploadMode::Check {
                job.version = (v.version > 0).then_some(v);
                let dir = input.parent().expect("the job's directory").to_owned();
                drift(&client, &number, &session, &mut job, &dir).await
            } else {
                job.version = Some(v);
                job.status = "done".into();
                Ok(())
            }
        }
        Err(e) => Err(e.0),
    };
    if let Err(message) = result {
        job.status = "failed".into();
        job.message = message.replace(&input.display().to_string(), &job.file_name);
    }
    job.finished_at = Some(now());
    if let Err(e) = write_job(&state, &job) {
        tracing::error!(error = %e, "could not record the end of a 副本 job");
    }
    state.fuhon.remove(&job.id);
    let what = if mode == UploadMode::Check {
        "副本照合"
    } else {
        "副本登録"
    };
    let (action, detail) = match job.status.as_str() {
        "done" if mode == UploadMode::Check => (
            format!("{what} 完了"),
            format!(
                "{}: 副本なし {}、正本なし {}、相違 {}",
                job.file_name,
                group(job.drift[0] as i64),
                group(job.drift[1] as i64),
                group(job.drift[2] as i64)
            ),
        ),
        "done" => (
            format!("{what} 完了"),
            format!(
                "{}: {} 版 {}",
                job.file_name,
                job.kind.label(),
                job.version.as_ref().map_or(0, |v| v.version)
            ),
        ),
        "refused" => (
            format!("{what} 不受理"),
            format!(
                "{}: 誤り {} 件",
                job.file_name,
                group(job.errors_total as i64)
            ),
        ),
        _ => (
            format!("{what} 失敗"),
            format!("{}: {}", job.file_name, job.message),
        ),
    };
    if let Err(e) = record(&state, &staff, &action, detail).await {
        tracing::error!(error = %e, "could not write the office log");
    }
}
