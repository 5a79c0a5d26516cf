//! The web terminal of the sandbox: started beside the systems with every insurer of the
//! profile and the operator page, its store next to theirs, and demo accounts to sign in with.

use renkei_terminal::profile::SandboxProfile;
use renkei_terminal::web::demo::{demo_login, ensure_demo_accounts, DEMO_OPERATOR, DEMO_STAFF};
use renkei_terminal::web::{Provider, WebApp, WebConfig};
use tokio::sync::watch;

use super::{Sandbox, SandboxArgs};

pub async fn start(
    args: &SandboxArgs,
    profile: &SandboxProfile,
    listen: String,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<WebApp> {
    let dir = args.data_dir.canonicalize()?.join("terminal");
    let store = match &args.store {
        Some(url) => url.clone(),
        None => format!("sqlite:{}", dir.join("terminal.db").display()),
    };
    let mut config = WebConfig::for_sandbox(profile, dir, listen, store);
    // Inquiries may also go to the sandbox's municipalities.
    let municipalities = super::agencies::MUNICIPALITIES.iter();
    config
        .providers
        .extend(municipalities.map(|&(code, name, _)| Provider {
            code: code.into(),
            name: name.into(),
        }));
    let web = WebApp::build(config, shutdown).await?;
    ensure_demo_accounts(web.store(), &profile.insurers).await?;
    Ok(web)
}

/// The URL and the demo logins (for Tokyo's 広域連合; every insurer has the same three).
pub fn print_logins(sandbox: &Sandbox) {
    eprintln!("\n統合専用端末（Web）: {}", sandbox.web.url());
    let tokyo = sandbox
        .profile
        .insurers
        .iter()
        .find(|i| i.code == "koiki-13")
        .or(sandbox.profile.insurers.first());
    if let Some(insurer) = tokyo {
        eprintln!("  デモ用ログイン（{}）:", insurer.name);
        for (suffix, role, password, _) in DEMO_STAFF {
            eprintln!(
                "    {}: ログインID {}　パスワード {password}",
                role.label(),
                demo_login(&insurer.code, suffix)
            );
        }
        eprintln!(
            "  他の広域連合も同じ形です（koiki-01-touroku … koiki-47-kanri）。運用者: ログインID {} パスワード {}",
            DEMO_OPERATOR.0, DEMO_OPERATOR.1
        );
    }
}
