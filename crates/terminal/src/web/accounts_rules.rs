//! What a login ID and a password must look like (the 職員アカウント page and `renkei web
//! add-account` apply the same rules).

pub const MIN_PASSWORD_CHARS: usize = 10;

/// Login IDs: 3–64 of a–z, 0–9, `.`, `_`, `-`.
pub fn check_login_id(id: &str) -> Result<(), String> {
    let ok = (3..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err("ログインIDは半角の英小文字・数字・「.」「_」「-」で3～64文字にしてください。".into())
    }
}

pub fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() >= MIN_PASSWORD_CHARS {
        Ok(())
    } else {
        Err(format!(
            "パスワードは{MIN_PASSWORD_CHARS}文字以上にしてください。"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_ids_and_passwords_are_checked() {
        assert!(check_login_id("koiki-13-touroku").is_ok());
        assert!(check_login_id("ab").is_err());
        assert!(check_login_id("Yamada").is_err());
        assert!(check_login_id("山田").is_err());
        assert!(check_password("0123456789").is_ok());
        assert!(check_password("短いパスワード").is_err());
        assert!(check_password("十文字の日本語パスワード").is_ok());
    }
}
