//! Query files (一括照会) in the browser: upload, answering in the background with progress,
//! the page of one file and the answer download.

use super::*;

fn batch_dir(state: &WebState, id: &str) -> PathBuf {
    jobs::file(state, &jobs::jlis::dir(id))
}

fn query_path(state: &WebState, id: &str) -> PathBuf {
    batch_dir(state, id).join("query.csv")
}

fn answer_path(state: &WebState, id: &str) -> PathBuf {
    batch_dir(state, id).join("answer.csv")
}

/// The multipart form: `csrf`, `insurer_number` and `purpose` before `file`.
pub(super) async fn upload(
    State(state): State<Arc<WebState>>,
    Inquirer(staff): Inquirer,
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
    let (mut insurer_number, mut purpose) = (String::new(), DEFAULT_PURPOSE.to_owned());
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "csrf" => {
                staff.check_csrf(&field.text().await.map_err(bad)?)?;
                csrf_ok = true;
            }
            "insurer_number" => insurer_number = field.text().await.map_err(bad)?,
            "purpose" => purpose = field.text().await.map_err(bad)?,
            "file" if csrf_ok => {
                let fail = |message: String| async {
                    show_page(
                        &state,
                        &staff,
                        &TableQuery::default(),
                        Some(message),
                        None,
                        None,
                    )
                    .await
                };
                let (client, insurer) = match client(&state, &staff, &insurer_number, &purpose) {
                    Ok(c) => c,
                    Err(message) => return Ok(fail(message).await?.into_response()),
                };
                let file_name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| WebError::BadRequest("照会ファイルを選んでください。".into()))?;
                let id = new_token()[..32].to_owned();
                let written = save(&query_path(&state, &id), &mut field).await?;
                if written == 0 {
                    let _ = tokio::fs::remove_dir_all(batch_dir(&state, &id)).await;
                    return Ok(fail(format!(
                        "{file_name}: ファイルが空です。照会ファイルを選び直してください。"
                    ))
                    .await?
                    .into_response());
                }
                let batch = JlisBatch {
                    id: id.clone(),
                    tenant: staff.tenant().to_owned(),
                    login_id: staff.account.login_id.clone(),
                    insurer_number: insurer.to_string(),
                    purpose: purpose.clone(),
                    file_name: file_name.clone(),
                    status: "running".into(),
                    rows_total: 0,
                    rows_done: 0,
                    found: 0,
                    not_found: 0,
                    errors: 0,
                    error: String::new(),
                    created_at: now(),
                    finished_at: None,
                };
                state.store.insert_jlis_batch(&batch).await?;
                record(
                    &state,
                    &staff,
                    "J-LIS 一括照会 開始",
                    format!("{file_name}（保険者番号 {insurer}、利用目的 {purpose}）"),
                )
                .await?;
                jobs::jlis::start(&state, &batch, client).await?;
                return Ok(Redirect::to(&format!("/jlis/batches/{id}")).into_response());
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(WebError::Forbidden("フォームの有効期限が切れています。画面を読み込み直してから、もう一度操作してください。".into()));
    }
    Err(WebError::BadRequest(
        "照会ファイルを選んでください。".into(),
    ))
}

async fn own(state: &WebState, staff: &Staff, id: &str) -> Result<JlisBatch, WebError> {
    state
        .store
        .jlis_batch(staff.tenant(), id)
        .await?
        .ok_or(WebError::NotFound)
}

pub(super) async fn show(
    State(state): State<Arc<WebState>>,
    Inquirer(staff): Inquirer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let b = own(&state, &staff, &id).await?;
    render(
        &state,
        &staff,
        "jlis_batch.html",
        minijinja::context! { batch => batch_view(&state, &b) },
    )
}

pub(super) async fn progress(
    State(state): State<Arc<WebState>>,
    Inquirer(staff): Inquirer,
    Path(id): Path<String>,
) -> Result<Json<BatchView>, WebError> {
    let b = own(&state, &staff, &id).await?;
    Ok(Json(batch_view(&state, &b)))
}

pub(super) async fn download(
    State(state): State<Arc<WebState>>,
    Inquirer(staff): Inquirer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let b = own(&state, &staff, &id).await?;
    if b.status != "done" {
        return Err(WebError::BadRequest(
            "回答ファイルは照会が完了してから取得できます。".into(),
        ));
    }
    let file = tokio::fs::File::open(answer_path(&state, &id))
        .await
        .map_err(|_| WebError::NotFound)?;
    let stem = b.file_name.strip_suffix(".csv").unwrap_or(&b.file_name);
    record(
        &state,
        &staff,
        "J-LIS 回答ファイル取得",
        b.file_name.clone(),
    )
    .await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, attachment(&format!("回答_{stem}.csv"))),
        ],
        Body::from_stream(file_stream(file)),
    )
        .into_response())
}
