//! Signatures by an institution over the messages it sends (情報照会 requests and answers).
//!
//! Each institution signs with the private key of its own TLS certificate (ECDSA P-256,
//! SHA-256, ASN.1 DER signature) and sends the certificate with the signature, so that anyone
//! holding the network CA's certificate — the hub at once, an auditor years later — can check
//! who signed what. The signed bytes are built with [`message`]: a domain tag, then each part
//! as a big-endian u32 length and its bytes, so no two different lists of parts sign the same.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING,
};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::identity::Identity;
use crate::tls::{TlsError, TlsFiles};

pub mod batch;

pub use batch::BatchProof;

/// A sender's signature with the certificate that verifies it (both hex in JSON).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderSignature {
    /// DER of the signer's certificate.
    #[serde(with = "hex_bytes")]
    pub cert: Vec<u8>,
    /// ECDSA P-256 / SHA-256 signature, ASN.1 DER: over the message itself, or, with
    /// `batch`, over the root of the batch the message was signed in ([`batch`]).
    #[serde(with = "hex_bytes")]
    pub signature: Vec<u8>,
    /// Where the message sits in a batch signature; absent for a message signed alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchProof>,
}

impl SenderSignature {
    /// A placeholder before signing (no certificate, no signature).
    pub fn empty() -> SenderSignature {
        SenderSignature {
            cert: Vec::new(),
            signature: Vec::new(),
            batch: None,
        }
    }
}

impl std::fmt::Debug for SenderSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SenderSignature({} bytes)", self.signature.len())
    }
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(text).map_err(|_| serde::de::Error::custom("16進数ではありません"))
    }
}

/// The bytes to sign: `tag ‖ 0x00 ‖ (u32 length ‖ part)*`.
pub fn message(tag: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut m =
        Vec::with_capacity(tag.len() + 1 + parts.iter().map(|p| p.len() + 4).sum::<usize>());
    m.extend_from_slice(tag.as_bytes());
    m.push(0);
    for p in parts {
        m.extend_from_slice(&(p.len() as u32).to_be_bytes());
        m.extend_from_slice(p);
    }
    m
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .try_into()
        .expect("SHA-256 is 32 bytes")
}

/// Signs with an institution's TLS key.
#[derive(Clone)]
pub struct Signer {
    keys: Arc<Keys>,
    /// The batching task of [`Signer::sign_batched`], started on first use.
    batcher: Arc<OnceLock<batch::Batcher>>,
}

/// The key pair and the certificate that goes with each signature.
struct Keys {
    pair: EcdsaKeyPair,
    cert: Vec<u8>,
    rng: SystemRandom,
}

impl Keys {
    fn sign(&self, message: &[u8]) -> SenderSignature {
        let signature = self
            .pair
            .sign(&self.rng, message)
            .expect("ECDSA signing with a valid key");
        SenderSignature {
            cert: self.cert.clone(),
            signature: signature.as_ref().to_vec(),
            batch: None,
        }
    }
}

impl Signer {
    /// Loads the key and certificate named in `files` (the key must be ECDSA P-256, as
    /// `renkei pki` issues).
    pub fn load(files: &TlsFiles) -> Result<Signer, TlsError> {
        let read = |path: &Path, reason: String| TlsError::Read {
            path: path.into(),
            reason,
        };
        let cert = CertificateDer::from_pem_file(&files.cert)
            .map_err(|e| read(&files.cert, e.to_string()))?;
        let key = match PrivateKeyDer::from_pem_file(&files.key)
            .map_err(|e| read(&files.key, e.to_string()))?
        {
            PrivateKeyDer::Pkcs8(k) => k,
            _ => return Err(read(&files.key, "PKCS#8 の鍵ではありません".into())),
        };
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            key.secret_pkcs8_der(),
            &rng,
        )
        .map_err(|e| read(&files.key, format!("ECDSA P-256 の鍵ではありません: {e}")))?;
        Ok(Signer {
            keys: Arc::new(Keys {
                pair,
                cert: cert.as_ref().to_vec(),
                rng,
            }),
            batcher: Arc::new(OnceLock::new()),
        })
    }

    /// Signs `message` alone, at once.
    pub fn sign(&self, message: &[u8]) -> SenderSignature {
        self.keys.sign(message)
    }

    /// Signs `message` together with the others this signer is asked to sign within
    /// [`batch::WINDOW`] (one ECDSA signature over their Merkle root, see [`batch`]). Costs up
    /// to a millisecond of latency and saves the signer and every verifier an ECDSA operation
    /// per message under load. Needs a Tokio runtime.
    pub async fn sign_batched(&self, message: &[u8]) -> SenderSignature {
        let batcher = self
            .batcher
            .get_or_init(|| batch::Batcher::start(self.keys.clone()));
        batcher.sign(&self.keys, message).await
    }
}

/// Checks sender signatures: the certificate was issued by the network CA, and the signature
/// over the message verifies with its key. Certificates already checked are remembered (by
/// SHA-256) with their signer and public key, so steady traffic costs one ECDSA verification
/// per signature and no certificate parsing.
pub struct SignatureVerifier {
    certs: Arc<dyn ClientCertVerifier>,
    known: Mutex<HashMap<[u8; 32], Arc<KnownSigner>>>,
    /// Batch signatures already verified: digest of (certificate, signed root, signature).
    roots: Mutex<HashSet<[u8; 32]>>,
}

/// Verified batch roots remembered at most; the set is emptied when full.
const KNOWN_ROOTS: usize = 65_536;

/// A certificate the CA issued: who it names and its public key.
struct KnownSigner {
    identity: Identity,
    key: UnparsedPublicKey<Vec<u8>>,
}

/// Certificates remembered at most; the map is emptied when full.
const KNOWN_SIGNERS: usize = 10_000;

impl SignatureVerifier {
    /// A verifier trusting the CA certificate(s) in the PEM file at `ca`.
    pub fn new(ca: &Path) -> Result<SignatureVerifier, TlsError> {
        let mut roots = RootCertStore::empty();
        let certs = CertificateDer::pem_file_iter(ca)
            .map_err(|e| TlsError::Read {
                path: ca.into(),
                reason: e.to_string(),
            })?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::Read {
                path: ca.into(),
                reason: e.to_string(),
            })?;
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| TlsError::Config(e.to_string()))?;
        }
        let certs = WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::new(rustls::crypto::ring::default_provider()),
        )
        .build()
        .map_err(|e| TlsError::Config(e.to_string()))?;
        Ok(SignatureVerifier {
            certs,
            known: Mutex::new(HashMap::new()),
            roots: Mutex::new(HashSet::new()),
        })
    }

    /// The institution that signed `message`, or why the signature is not acceptable
    /// (in Japanese).
    pub fn verify(&self, s: &SenderSignature, message: &[u8]) -> Result<Identity, String> {
        let (cert_digest, signer) = self.signer(&s.cert)?;
        let mismatch = || "署名が内容と一致しません".to_owned();
        let Some(proof) = &s.batch else {
            signer
                .key
                .verify(message, &s.signature)
                .map_err(|_| mismatch())?;
            return Ok(signer.identity.clone());
        };
        let root = proof.root(message).ok_or_else(mismatch)?;
        let signed = batch::root_message(proof.size, &root);
        let seen = sha256(&self::message(
            "renkei/verified-root",
            &[&cert_digest, &signed, &s.signature],
        ));
        if self.roots.lock().expect("lock").contains(&seen) {
            return Ok(signer.identity.clone());
        }
        signer
            .key
            .verify(&signed, &s.signature)
            .map_err(|_| mismatch())?;
        let mut roots = self.roots.lock().expect("lock");
        if roots.len() >= KNOWN_ROOTS {
            roots.clear();
        }
        roots.insert(seen);
        Ok(signer.identity.clone())
    }

    /// The signer of certificate `cert`, checked against the CA once.
    fn signer(&self, cert: &[u8]) -> Result<([u8; 32], Arc<KnownSigner>), String> {
        let digest = sha256(cert);
        if let Some(known) = self.known.lock().expect("lock").get(&digest) {
            return Ok((digest, known.clone()));
        }
        self.certs
            .verify_client_cert(&CertificateDer::from(cert), &[], UnixTime::now())
            .map_err(|e| {
                format!("署名者の証明書がネットワーク CA の発行したものではありません: {e}")
            })?;
        let (_, parsed) = X509Certificate::from_der(cert)
            .map_err(|_| "署名者の証明書を解釈できません".to_owned())?;
        let key = parsed.public_key().subject_public_key.data.to_vec();
        let identity = Identity::from_der(cert)
            .ok_or_else(|| "署名者の証明書に機関の情報がありません".to_owned())?;
        let signer = Arc::new(KnownSigner {
            identity,
            key: UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, key),
        });
        let mut known = self.known.lock().expect("lock");
        if known.len() >= KNOWN_SIGNERS {
            known.clear();
        }
        known.insert(digest, signer.clone());
        Ok((digest, signer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Role;
    use crate::pki::Pki;

    #[test]
    fn signatures_verify_and_name_the_signer_and_fail_on_any_change() {
        crate::tls::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::open_or_create(&dir.path().join("pki")).unwrap();
        let files = pki
            .issue(&Identity::new("city-131016", Role::Agency, "千代田区"))
            .unwrap();
        let signer = Signer::load(&files).unwrap();
        let verifier = SignatureVerifier::new(&files.ca).unwrap();
        let m = message("t", &[b"a", b"bc"]);
        let s = signer.sign(&m);
        let who = verifier.verify(&s, &m).unwrap();
        assert_eq!((who.code.as_str(), who.role), ("city-131016", Role::Agency));
        // Same bytes split differently are a different message.
        assert!(verifier.verify(&s, &message("t", &[b"ab", b"c"])).is_err());
        let mut bad = s.clone();
        bad.signature[10] ^= 1;
        assert!(verifier.verify(&bad, &m).is_err());
        // A certificate from another CA is refused.
        let other = Pki::open_or_create(&dir.path().join("other")).unwrap();
        let stranger = Signer::load(
            &other
                .issue(&Identity::new("city-131016", Role::Agency, "偽"))
                .unwrap(),
        )
        .unwrap();
        let err = verifier.verify(&stranger.sign(&m), &m).unwrap_err();
        assert!(err.contains("CA"), "{err}");
    }
}
