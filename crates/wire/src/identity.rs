//! Who is calling: the institution named in the peer's certificate.
//!
//! `renkei pki` writes the institution code into the subject's CN, its kind into OU and its
//! Japanese name into O. Servers read them from the verified client certificate and hand the
//! resulting [`Identity`] to handlers, which authorize by [`Role`] and code.

use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};

/// The kind of institution a certificate was issued to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// J-LIS / 住基ネット.
    Registry,
    /// 情報提供ネットワークシステム.
    Hub,
    /// 医療保険者向け中間サーバ.
    Intermediate,
    /// A 医療保険者 (tenant of `intermediate`), using the 統合専用端末.
    Insurer,
    /// Another 情報保有機関 (市町村 and others).
    Agency,
    /// An operator of one of the systems.
    Operator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Registry => "registry",
            Role::Hub => "hub",
            Role::Intermediate => "intermediate",
            Role::Insurer => "insurer",
            Role::Agency => "agency",
            Role::Operator => "operator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "registry" => Role::Registry,
            "hub" => Role::Hub,
            "intermediate" => Role::Intermediate,
            "insurer" => Role::Insurer,
            "agency" => Role::Agency,
            "operator" => Role::Operator,
            _ => return None,
        })
    }
}

/// An authenticated institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Institution code, e.g. `koiki-13`, `hub`, `registry`.
    pub code: String,
    pub role: Role,
    /// Japanese name, e.g. 東京都後期高齢者医療広域連合.
    pub name: String,
}

impl Identity {
    pub fn new(code: impl Into<String>, role: Role, name: impl Into<String>) -> Identity {
        Identity {
            code: code.into(),
            role,
            name: name.into(),
        }
    }

    /// Reads the identity from a DER certificate (already verified against the CA by TLS).
    pub fn from_der(der: &[u8]) -> Option<Identity> {
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let subject = cert.subject();
        let code = subject.iter_common_name().next()?.as_str().ok()?.to_owned();
        let role = Role::parse(subject.iter_organizational_unit().next()?.as_str().ok()?)?;
        let name = subject
            .iter_organization()
            .next()
            .and_then(|o| o.as_str().ok())
            .unwrap_or_default()
            .to_owned();
        Some(Identity { code, role, name })
    }
}
