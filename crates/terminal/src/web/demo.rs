//! Demo accounts for the sandbox: for each insurer one account per role, and one operator,
//! with published passwords (never use them outside a sandbox). Each distinct password is
//! hashed once and the hash reused, so seeding 47 insurers stays fast.

use std::collections::HashMap;

use renkei_store::StoreError;

use super::auth::{hash_password, now, StaffRole};
use super::store::{Account, WebStore, OPERATOR_TENANT};
use crate::profile::InsurerProfile;

/// (login ID suffix, role, password, Japanese name) of each insurer's demo accounts.
pub const DEMO_STAFF: [(&str, StaffRole, &str, &str); 3] = [
    (
        "touroku",
        StaffRole::Registration,
        "touroku-demo",
        "登録担当（デモ）",
    ),
    (
        "shoukai",
        StaffRole::Inquiry,
        "shoukai-demo",
        "照会担当（デモ）",
    ),
    ("kanri", StaffRole::Admin, "kanri-demo", "管理者（デモ）"),
];

pub const DEMO_OPERATOR: (&str, &str) = ("operator", "operator-demo");

/// The login ID of an insurer's demo account, e.g. `koiki-13-touroku`.
pub fn demo_login(insurer_code: &str, suffix: &str) -> String {
    format!("{insurer_code}-{suffix}")
}

/// Creates the demo accounts that do not exist yet; returns how many were created.
pub async fn ensure_demo_accounts(
    store: &WebStore,
    insurers: &[InsurerProfile],
) -> Result<u64, StoreError> {
    let mut hashes: HashMap<&str, String> = HashMap::new();
    let mut hash = |password: &'static str| {
        hashes
            .entry(password)
            .or_insert_with(|| hash_password(password))
            .clone()
    };
    let mut accounts = Vec::new();
    for insurer in insurers {
        for (suffix, role, password, name) in DEMO_STAFF {
            accounts.push(Account {
                login_id: demo_login(&insurer.code, suffix),
                tenant: insurer.code.clone(),
                display_name: name.to_owned(),
                roles: vec![role.as_str().to_owned()],
                password_hash: String::new(),
                active: true,
                created_at: 0,
            });
            let last = accounts.last_mut().expect("just pushed");
            if store.account(&last.login_id).await?.is_some() {
                accounts.pop();
            } else {
                last.password_hash = hash(password);
            }
        }
    }
    if store.account(DEMO_OPERATOR.0).await?.is_none() {
        accounts.push(Account {
            login_id: DEMO_OPERATOR.0.to_owned(),
            tenant: OPERATOR_TENANT.to_owned(),
            display_name: "運用者（デモ）".to_owned(),
            roles: vec![StaffRole::Operator.as_str().to_owned()],
            password_hash: hash(DEMO_OPERATOR.1),
            active: true,
            created_at: 0,
        });
    }
    let mut created = 0;
    let at = now();
    for mut account in accounts {
        account.created_at = at;
        if store.create_account(&account).await? {
            created += 1;
        }
    }
    Ok(created)
}
