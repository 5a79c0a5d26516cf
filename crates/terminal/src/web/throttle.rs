//! ログイン停止: after too many failed sign-ins for one login ID, or from one client address,
//! sign-in is refused for a while — even with the right password, and without saying whether
//! it was right — so that passwords cannot be guessed without end. Unknown login IDs are
//! counted and locked exactly like known ones, so the answers tell nobody which IDs exist.
//!
//! The counters live in the store ([`FailureKind`]): a lock outlives a restart and holds for
//! every instance serving one database. A successful sign-in clears its login ID's counter
//! (not the address's: that one limits password spraying over many IDs), and a 管理者 can lift
//! a lock early from the accounts page.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use http::Extensions;
use renkei_store::StoreError;
use time::OffsetDateTime;

use super::render::JST;
use super::store::{Account, FailureKind, FailureLimit, LogEntry};
use super::{WebConfig, WebState};

pub(crate) fn default_max_failures() -> i64 {
    5
}

pub(crate) fn default_window() -> i64 {
    15 * 60
}

pub(crate) fn default_lock() -> i64 {
    15 * 60
}

pub(crate) fn default_max_failures_per_address() -> i64 {
    50
}

/// The office log's action for a lock, and for a 管理者 lifting one.
pub const LOCKED_ACTION: &str = "ログイン停止";
pub const UNLOCKED_ACTION: &str = "ログイン停止解除";

impl WebConfig {
    fn login_id_limit(&self) -> FailureLimit {
        FailureLimit {
            max_failures: self.login_max_failures.max(1),
            window_secs: self.login_window_secs,
            lock_secs: self.login_lock_secs,
        }
    }

    fn address_limit(&self) -> FailureLimit {
        FailureLimit {
            max_failures: self.login_max_failures_per_address.max(1),
            ..self.login_id_limit()
        }
    }
}

/// The client's address (the TCP peer; behind a proxy, the proxy's), or `unknown` when the
/// server was not started with connection info.
pub fn client_address(extensions: &Extensions) -> String {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The counter's name for a login ID as typed: longer than any valid ID is cut, so that
/// nobody fills the table with huge keys.
pub fn login_subject(login_id: &str) -> String {
    login_id.chars().take(80).collect()
}

/// `23時45分`, with the date in front when the lock ends on another day (JST).
pub fn until_text(until: i64, now: i64) -> String {
    let at = |ts: i64| {
        OffsetDateTime::from_unix_timestamp(ts)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .to_offset(JST)
    };
    let (end, today) = (at(until), at(now));
    let time = format!("{}時{:02}分", end.hour(), end.minute());
    if end.date() == today.date() {
        time
    } else {
        format!("{}月{}日 {time}", u8::from(end.month()), end.day())
    }
}

fn login_id_message(until: i64, now: i64) -> String {
    format!(
        "ログインの失敗が続いたため、このアカウントは一時的に停止されています。{}までお待ちいただくか、事務所の管理者に停止の解除を依頼してください。",
        until_text(until, now)
    )
}

fn address_message(until: i64, now: i64) -> String {
    format!(
        "この端末からのログインの失敗が続いたため、{}までログインを受け付けていません。",
        until_text(until, now)
    )
}

/// The message to refuse a sign-in with, if the login ID or the address is locked.
pub async fn refusal(
    state: &WebState,
    login_id: &str,
    address: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let store = &state.store;
    let subject = login_subject(login_id);
    if let Some(until) = store
        .login_locked_until(FailureKind::LoginId, &subject, now)
        .await?
    {
        return Ok(Some(login_id_message(until, now)));
    }
    Ok(store
        .login_locked_until(FailureKind::Address, address, now)
        .await?
        .map(|until| address_message(until, now)))
}

/// Counts a failed sign-in for the login ID and the address. The failure that locks the login
/// ID is written to its office's log (「ログイン停止」); returns the message to refuse with
/// when either is locked now.
pub async fn count_failure(
    state: &WebState,
    login_id: &str,
    account: Option<&Account>,
    address: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let store = &state.store;
    let id_limit = state.config.login_id_limit();
    let subject = login_subject(login_id);
    let id = store
        .count_login_failure(FailureKind::LoginId, &subject, now, id_limit)
        .await?;
    let by_address = store
        .count_login_failure(
            FailureKind::Address,
            address,
            now,
            state.config.address_limit(),
        )
        .await?;
    if let (Some(until), true) = (id.locked_until, id.failures == id_limit.max_failures) {
        let detail = format!(
            "ログインに{}回続けて失敗したため、{}まで停止（接続元 {address}）",
            id.failures,
            until_text(until, now)
        );
        match account {
            Some(a) => {
                store
                    .append_log(&LogEntry {
                        tenant: a.tenant.clone(),
                        at: now,
                        login_id: a.login_id.clone(),
                        action: LOCKED_ACTION.into(),
                        detail,
                    })
                    .await?
            }
            // No office to tell; the ID as typed may be a password typed in the wrong field.
            None => tracing::warn!(%address, until, "an unknown login ID was locked"),
        }
    }
    if let Some(until) = by_address.locked_until {
        if by_address.failures == state.config.address_limit().max_failures {
            tracing::warn!(%address, until, "a client address was locked after failed sign-ins");
        }
    }
    Ok(match (id.locked_until, by_address.locked_until) {
        (Some(until), _) => Some(login_id_message(until, now)),
        (None, Some(until)) => Some(address_message(until, now)),
        (None, None) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_a_lock_is_shown_in_jst_with_the_date_only_when_it_is_another_day() {
        // 2026-11-25T14:30:00Z is 23:30 JST on the 25th.
        let now = 1_795_617_000;
        assert_eq!(until_text(now + 15 * 60, now), "23時45分");
        assert_eq!(until_text(now + 40 * 60, now), "11月26日 0時10分");
        assert!(login_id_message(now + 15 * 60, now).contains("23時45分まで"));
        assert!(address_message(now + 15 * 60, now).contains("23時45分まで"));
    }

    #[test]
    fn an_overlong_login_id_is_cut_for_its_counter() {
        assert_eq!(login_subject("tokyo-admin"), "tokyo-admin");
        assert_eq!(login_subject(&"あ".repeat(500)).chars().count(), 80);
    }

    #[test]
    fn limits_come_from_the_config_and_never_go_below_one() {
        let mut config: WebConfig = toml::from_str(
            r#"listen = "127.0.0.1:0"
store = "sqlite:x.db"
data_dir = "x"
intermediate_url = "https://127.0.0.1:9"
ca = "ca.pem"
insurers = []
"#,
        )
        .unwrap();
        assert_eq!(
            config.login_id_limit(),
            FailureLimit {
                max_failures: 5,
                window_secs: 900,
                lock_secs: 900
            }
        );
        assert_eq!(config.address_limit().max_failures, 50);
        config.login_max_failures = 0;
        assert_eq!(config.login_id_limit().max_failures, 1);
    }
}
