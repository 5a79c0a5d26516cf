//! `renkei web --config FILE`: the web terminal as its own server outside the sandbox, and
//! `renkei web --config FILE add-account …` to create accounts (the first 管理者 of an office
//! comes from here; the rest from the 職員アカウント page).

use std::io::Read;
use std::path::{Path, PathBuf};

use super::accounts_rules::{check_login_id, check_password};
use super::auth::{hash_password, now, StaffRole};
use super::store::{Account, WebStore, OPERATOR_TENANT};
use super::WebConfig;
use crate::cli::CliError;

#[derive(Debug, clap::Args)]
pub struct WebArgs {
    /// 設定ファイル（TOML。項目は docs/operations.md の「Web terminal」）
    #[arg(long)]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Option<WebCommand>,
}

#[derive(Debug, clap::Subcommand)]
pub enum WebCommand {
    /// 職員アカウントを作成します（パスワードは環境変数 RENKEI_WEB_PASSWORD、なければ標準入力の1行目）
    AddAccount {
        /// 保険者の機関コード（設定ファイルの insurers の code）、または運用者なら operator
        #[arg(long)]
        tenant: String,
        /// ログインID
        #[arg(long)]
        login_id: String,
        /// 氏名
        #[arg(long)]
        name: String,
        /// 権限（複数指定可）
        #[arg(long = "role", value_parser = ["registration", "inquiry", "admin", "operator"], required = true)]
        roles: Vec<String>,
    },
}

pub fn load_config(path: &Path) -> Result<WebConfig, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError(format!("{}: 設定ファイルを読めません: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| {
        CliError(format!(
            "{}: 設定ファイルが正しくありません: {}",
            path.display(),
            e.message()
        ))
    })
}

/// Creates one account from the command line.
pub async fn add_account(config: &WebConfig, command: WebCommand) -> Result<String, CliError> {
    let WebCommand::AddAccount {
        tenant,
        login_id,
        name,
        roles,
    } = command;
    let known = tenant == OPERATOR_TENANT || config.insurers.iter().any(|i| i.code == tenant);
    if !known {
        return Err(CliError(format!(
            "機関コード {tenant} は設定ファイルの insurers にありません"
        )));
    }
    let operator_role = roles.iter().any(|r| r == StaffRole::Operator.as_str());
    if operator_role != (tenant == OPERATOR_TENANT) {
        return Err(CliError(
            "operator の権限は機関コード operator のアカウントだけに付けられます".into(),
        ));
    }
    check_login_id(&login_id).map_err(CliError)?;
    let password = match std::env::var("RENKEI_WEB_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError(format!("標準入力を読めません: {e}")))?;
            text.lines().next().unwrap_or_default().to_owned()
        }
    };
    check_password(&password).map_err(CliError)?;
    let store = WebStore::open_url(&config.store)
        .await
        .map_err(|e| CliError(e.to_string()))?;
    let account = Account {
        login_id: login_id.clone(),
        tenant,
        display_name: name,
        roles,
        password_hash: hash_password(&password),
        active: true,
        created_at: now(),
    };
    match store.create_account(&account).await {
        Ok(true) => Ok(format!("アカウント {login_id} を作成しました")),
        Ok(false) => Err(CliError(format!(
            "ログインID {login_id} は既に使われています"
        ))),
        Err(e) => Err(CliError(e.to_string())),
    }
}
