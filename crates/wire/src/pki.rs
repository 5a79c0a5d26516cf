//! `renkei pki`: the network's private CA and one certificate per institution.
//!
//! Layout of a PKI directory: `ca.pem` and `ca.key` (the CA; its key stays with the operator
//! who issues certificates), and `<code>.pem` / `<code>.key` per institution. Certificates name
//! the institution in the subject (CN code, OU role, O name) and are valid for `localhost` and
//! 127.0.0.1 so the sandbox can serve on loopback.

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

use crate::identity::Identity;
use crate::tls::TlsFiles;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("証明書の生成に失敗しました: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("機関コードに使えない文字が含まれています: {0}")]
    BadCode(String),
    #[error("{path}: 既存の証明書は {existing} のものです（{requested} ではありません）。別の機関コードを使うか、古い証明書と鍵を退避してから発行し直してください")]
    Mismatch {
        path: PathBuf,
        existing: String,
        requested: String,
    },
}

const CA_NAME: &str = "renkei マイナンバーネットワーク CA";

/// A PKI directory with its CA.
pub struct Pki {
    dir: PathBuf,
}

impl Pki {
    /// Opens the PKI at `dir`, creating the directory and the CA if they do not exist yet.
    pub fn open_or_create(dir: &Path) -> Result<Pki, PkiError> {
        fs::create_dir_all(dir).map_err(|source| PkiError::Io {
            path: dir.into(),
            source,
        })?;
        let pki = Pki {
            dir: dir.to_owned(),
        };
        if !pki.ca_cert_path().exists() {
            let key = KeyPair::generate()?;
            let cert = ca_params().self_signed(&key)?;
            write_private(&pki.dir.join("ca.key"), &key.serialize_pem())?;
            write(&pki.ca_cert_path(), &cert.pem())?;
        }
        Ok(pki)
    }

    pub fn ca_cert_path(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// Paths of an institution's certificate, whether or not issued yet.
    pub fn files(&self, code: &str) -> TlsFiles {
        TlsFiles {
            ca: self.ca_cert_path(),
            cert: self.dir.join(format!("{code}.pem")),
            key: self.dir.join(format!("{code}.key")),
        }
    }

    /// Issues a certificate for `who` unless one exists already; returns its files. An existing
    /// certificate is kept only if it names the same institution (code, role and name): a
    /// different one under the same code is refused rather than silently reused.
    pub fn issue(&self, who: &Identity) -> Result<TlsFiles, PkiError> {
        if who.code.is_empty()
            || !who
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(PkiError::BadCode(who.code.clone()));
        }
        let files = self.files(&who.code);
        if files.cert.exists() && files.key.exists() {
            let existing = existing_identity(&files.cert)?;
            if existing.as_ref() == Some(who) {
                return Ok(files);
            }
            return Err(PkiError::Mismatch {
                path: files.cert.clone(),
                existing: existing
                    .map_or_else(|| "読み取れない証明書".to_owned(), |i| describe(&i)),
                requested: describe(who),
            });
        }
        let ca_key_pem = read(&self.dir.join("ca.key"))?;
        let ca_key = KeyPair::from_pem(&ca_key_pem)?;
        let issuer = Issuer::new(ca_params(), ca_key);

        let mut params = CertificateParams::new(vec!["localhost".to_owned()])?;
        params
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, DnValue::Utf8String(who.code.clone()));
        dn.push(
            DnType::OrganizationalUnitName,
            DnValue::Utf8String(who.role.as_str().into()),
        );
        dn.push(
            DnType::OrganizationName,
            DnValue::Utf8String(who.name.clone()),
        );
        params.distinguished_name = dn;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(825);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;
        write_private(&files.key, &key.serialize_pem())?;
        write(&files.cert, &cert.pem())?;
        Ok(files)
    }
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, DnValue::Utf8String(CA_NAME.into()));
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(3650);
    params
}

/// The institution an existing certificate file names, if it can be read as one.
fn existing_identity(path: &Path) -> Result<Option<Identity>, PkiError> {
    use rustls_pki_types::pem::PemObject;
    let pem = read(path)?;
    Ok(
        rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
            .ok()
            .and_then(|der| Identity::from_der(&der)),
    )
}

fn describe(who: &Identity) -> String {
    format!("{} / {} / {}", who.code, who.role.as_str(), who.name)
}

fn read(path: &Path) -> Result<String, PkiError> {
    fs::read_to_string(path).map_err(|source| PkiError::Io {
        path: path.into(),
        source,
    })
}

fn write(path: &Path, text: &str) -> Result<(), PkiError> {
    fs::write(path, text).map_err(|source| PkiError::Io {
        path: path.into(),
        source,
    })
}

fn write_private(path: &Path, text: &str) -> Result<(), PkiError> {
    write(path, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(|source| {
            PkiError::Io {
                path: path.into(),
                source,
            }
        })?;
    }
    Ok(())
}
