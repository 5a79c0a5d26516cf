//! Who is at the browser: staff roles, argon2 password hashes, session cookies that expire,
//! and the CSRF token every form carries.
//!
//! The cookie holds a random token; the store keeps only its SHA-256, so a copy of the
//! database lets nobody sign in. Each session has its own CSRF token, checked on every POST
//! (the login form, which has no session yet, uses a double-submit cookie instead).

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Redirect, Response};
use http::request::Parts;
use ring::rand::{SecureRandom, SystemRandom};

use super::error::WebError;
use super::store::{Account, Session, OPERATOR_TENANT};
use super::WebState;

pub const SESSION_COOKIE: &str = "renkei_session";
pub const LOGIN_CSRF_COOKIE: &str = "renkei_login_csrf";

/// What a member of staff may do. An account holds any number of roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    /// 登録担当: 加入者情報 registration and 副本.
    Registration,
    /// 照会担当: inquiries and J-LIS look-ups.
    Inquiry,
    /// 管理者: the office's accounts and its log.
    Admin,
    /// 運用者: the operator page of the network's systems (operator accounts only).
    Operator,
}

impl StaffRole {
    pub const STAFF: [StaffRole; 3] = [
        StaffRole::Registration,
        StaffRole::Inquiry,
        StaffRole::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Registration => "registration",
            StaffRole::Inquiry => "inquiry",
            StaffRole::Admin => "admin",
            StaffRole::Operator => "operator",
        }
    }

    pub fn parse(s: &str) -> Option<StaffRole> {
        Some(match s {
            "registration" => StaffRole::Registration,
            "inquiry" => StaffRole::Inquiry,
            "admin" => StaffRole::Admin,
            "operator" => StaffRole::Operator,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            StaffRole::Registration => "登録担当",
            StaffRole::Inquiry => "照会担当",
            StaffRole::Admin => "管理者",
            StaffRole::Operator => "運用者",
        }
    }
}

/// Hashes a password with argon2id (the crate's default parameters) and a random salt.
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .expect("system random source");
    let salt = SaltString::encode_b64(&salt).expect("16-byte salt encodes");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new random token (256 bits, hex).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("system random source");
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        token.as_bytes(),
    ))
}

/// Compares two tokens in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The value of cookie `name` in the request.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` for the session: not readable by scripts, never sent cross-site.
pub fn session_cookie(token: &str, max_age: i64) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}")
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A signed-in member of staff, taken from the session cookie. Pages that need no role
/// still need this; a request without a live session is sent to the login page.
#[derive(Debug, Clone)]
pub struct Staff {
    pub account: Account,
    pub session: Session,
}

impl Staff {
    pub fn has(&self, role: StaffRole) -> bool {
        self.account.roles.iter().any(|r| r == role.as_str())
    }

    /// 403 unless the account holds `role`: the one refusal of a role, which the role
    /// extractors ([`Registrar`], [`Inquirer`], [`Admin`], [`Operator`]) give.
    pub fn require(&self, role: StaffRole) -> Result<(), WebError> {
        if self.has(role) {
            Ok(())
        } else {
            Err(WebError::Forbidden(format!(
                "この画面を使うには「{}」の権限が必要です。管理者に権限の付与を依頼してください。",
                role.label()
            )))
        }
    }

    /// 403 unless the form's CSRF token is this session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if same_token(token, &self.session.csrf) {
            Ok(())
        } else {
            Err(WebError::Forbidden(
                "フォームの有効期限が切れています。画面を読み込み直してから、もう一度操作してください。".into(),
            ))
        }
    }

    pub fn tenant(&self) -> &str {
        &self.account.tenant
    }

    pub fn is_operator(&self) -> bool {
        self.account.tenant == OPERATOR_TENANT
    }
}

/// Not signed in (or the session expired): go to the login page.
pub struct SignIn;

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        Redirect::to("/login").into_response()
    }
}

impl FromRequestParts<Arc<WebState>> for Staff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<WebState>,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie(parts, SESSION_COOKIE) else {
            return Err(SignIn.into_response());
        };
        let hash = token_hash(token);
        let now = now();
        let store = &state.store;
        let session = store
            .session(&hash, now)
            .await
            .map_err(|e| WebError::from(e).into_response())?
            .ok_or_else(|| SignIn.into_response())?;
        let account = store
            .account(&session.login_id)
            .await
            .map_err(|e| WebError::from(e).into_response())?
            .ok_or_else(|| SignIn.into_response())?;
        // Sliding idle timeout, written at most once a minute per session.
        let expires = now + state.config.session_idle_secs;
        if expires - session.expires_at >= 60 {
            let capped = expires.min(session.created_at + state.config.session_max_secs);
            store
                .touch_session(&hash, capped)
                .await
                .map_err(|e| WebError::from(e).into_response())?;
        }
        Ok(Staff { account, session })
    }
}

/// A member of staff who holds one role; a handler states the role it needs by taking one of
/// these instead of [`Staff`], so the 403 comes from [`Staff::require`] before the handler runs
/// (and before its form or upload is read).
macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident => $role:expr) => {
        $(#[$doc])*
        pub struct $name(pub Staff);

        impl FromRequestParts<Arc<WebState>> for $name {
            type Rejection = Response;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &Arc<WebState>,
            ) -> Result<Self, Self::Rejection> {
                let staff = Staff::from_request_parts(parts, state).await?;
                staff.require($role).map_err(IntoResponse::into_response)?;
                Ok($name(staff))
            }
        }
    };
}

role_extractor!(
    /// 登録担当: 加入者情報 registration and 副本.
    Registrar => StaffRole::Registration
);
role_extractor!(
    /// 照会担当: inquiries and J-LIS look-ups.
    Inquirer => StaffRole::Inquiry
);
role_extractor!(
    /// 管理者: the office's accounts and its log.
    Admin => StaffRole::Admin
);
role_extractor!(
    /// 運用者: the operator page.
    Operator => StaffRole::Operator
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("正しい馬バッテリー");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("正しい馬バッテリー", &h));
        assert!(!verify_password("正しい馬バッテリ", &h));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(h, hash_password("正しい馬バッテリー"), "salted");
    }

    #[test]
    fn tokens_are_random_and_compared_exactly() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
        assert!(!same_token("", ""));
        assert!(!same_token(&a, &a[..63]));
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn roles_round_trip() {
        for r in [
            StaffRole::Registration,
            StaffRole::Inquiry,
            StaffRole::Admin,
            StaffRole::Operator,
        ] {
            assert_eq!(StaffRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(StaffRole::parse("root"), None);
    }
}
