//! An upload cut off by a stop of `renkei web` continues after the restart, each row once.

use std::time::Duration;

use super::*;

#[test]
fn an_upload_cut_off_by_a_stop_continues_after_the_restart_and_registers_each_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = SandboxProcess::start(dir.path(), &["--subscribers", "300"]);
    let profile = renkei_terminal::profile::SandboxProfile::load(&sandbox.data()).unwrap();
    let tokyo = profile.insurer("39131156").unwrap();
    let unreachable = unreachable_url();
    let config = dir.path().join("web.toml");
    let write_config = |intermediate: &str| {
        write_web_config(
            &config,
            dir.path(),
            &profile,
            tokyo,
            intermediate,
            "retry_for_secs = 120\n",
            "",
        )
    };
    write_config(&unreachable);
    add_account(
        &config,
        &tokyo.code,
        "clerk",
        "登録 太郎",
        "registration",
        "clerk-password",
    );

    // Upload while the intermediate server is out of reach: the upload keeps retrying…
    let (web, url) = start_web(&config);
    let cookie = sign_in(&url, "clerk", "clerk-password");
    let csrf = csrf_of(&url, &cookie, "/registrations");
    let sample = std::fs::read(sandbox.data().join("samples/加入者情報_東京都.csv")).unwrap();
    let rows = sample
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count()
        - 1;
    let boundary = "renkei-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf.as_str()), ("insurer_number", "39131156")] {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"東京.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes());
    body.extend_from_slice(&sample);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = http(
        "POST",
        &format!("{url}/registrations"),
        &[
            ("Cookie", &cookie),
            (
                "Content-Type",
                &format!("multipart/form-data; boundary={boundary}"),
            ),
        ],
        &body,
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let id = r
        .header("location")
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let p = wait_status(&url, &cookie, &id, "running");
    assert_eq!(p["rows_done"], 0);
    // …until the web terminal stops: at the next start it is 中断, offering the re-send.
    std::thread::sleep(Duration::from_millis(500));
    stop_web(web);
    write_config(&profile.intermediate_url);
    let (web, url) = start_web(&config);
    let cookie = sign_in(&url, "clerk", "clerk-password");
    let p = progress(&url, &cookie, &id);
    assert_eq!(
        (p["status"].as_str(), p["status_label"].as_str()),
        (Some("interrupted"), Some("中断"))
    );
    let page = http(
        "GET",
        &format!("{url}/registrations/{id}"),
        &[("Cookie", &cookie)],
        b"",
    )
    .text();
    assert!(page.contains("続きから再送する"), "{page}");

    let csrf = csrf_of(&url, &cookie, &format!("/registrations/{id}"));
    let form = format!("csrf={csrf}");
    let r = http(
        "POST",
        &format!("{url}/registrations/{id}/retry"),
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    );
    assert_eq!(r.status, 303);
    let p = wait_status(&url, &cookie, &id, "done");
    assert_eq!(
        (
            p["rows_done"].as_u64(),
            p["registered"].as_u64(),
            p["held"].as_u64()
        ),
        (Some(rows as u64), Some(rows as u64), Some(0))
    );
    let result = http(
        "GET",
        &format!("{url}/registrations/{id}/result.csv"),
        &[("Cookie", &cookie)],
        b"",
    );
    assert_eq!(result.status, 200);
    let text = result.text();
    assert_eq!(
        text.lines().filter(|l| l.contains(",登録,")).count(),
        rows,
        "every row registered once"
    );

    // A finished upload is not sent again.
    let again = http(
        "POST",
        &format!("{url}/registrations/{id}/retry"),
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    );
    assert_eq!(again.status, 303, "a finished upload is not sent again");
    assert_eq!(progress(&url, &cookie, &id)["status"], "done");
    stop_web(web);
    sandbox.stop();
}
