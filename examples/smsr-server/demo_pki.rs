//! The demo's throw-away PKI for the ES interfaces' mutual TLS (SGP.02
//! §5): made at start with the `openssl` crate in a fresh temporary
//! directory (keys mode 0600), removed when the demo ends. A CA signs the
//! SM-SR's certificate and one per ES client (each also the server
//! certificate of that client's `ReplyTo` listener); a second CA signs a
//! certificate with a configured name, which the SM-SR must refuse. P-256
//! keys, ECDSA with SHA-256, valid two days, subjectAltName DNS name and
//! IP 127.0.0.1.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509NameBuilder};
use serde_json::json;
use smsr_smdp::soap::TlsFiles;

use crate::config::EsConfig;

/// The SM-SR's certificate name (its `ReplyTo` peers expect it).
pub const SMSR: &str = "smsr";

/// The ES clients: certificate name, identity, role. Each MNO is also
/// its own SM-DP (the identity of both certificates).
pub const CLIENTS: [(&str, &str, &str); 4] = [
    ("mno-a", "MNO-A", "mno"),
    ("smdp-a", "MNO-A", "smdp"),
    ("mno-b", "MNO-B", "mno"),
    ("smdp-b", "MNO-B", "smdp"),
];

/// The PKI's directory and files.
pub struct DemoPki {
    dir: PathBuf,
}

type Made<T> = Result<T, openssl::error::ErrorStack>;

fn key() -> Made<PKey<Private>> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    PKey::from_ec_key(EcKey::generate(&group)?)
}

/// A certificate for `name` with `key`, signed by `issuer` (none:
/// self-signed CA).
fn certificate(
    name: &str,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
) -> Made<X509> {
    let mut subject = X509NameBuilder::new()?;
    subject.append_entry_by_nid(Nid::COMMONNAME, name)?;
    let subject = subject.build();
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    b.set_serial_number(&*serial.to_asn1_integer()?)?;
    b.set_subject_name(&subject)?;
    b.set_issuer_name(issuer.map_or(&*subject, |(c, _)| c.subject_name()))?;
    b.set_pubkey(key)?;
    b.set_not_before(&*Asn1Time::days_from_now(0)?)?;
    b.set_not_after(&*Asn1Time::days_from_now(2)?)?;
    match issuer {
        None => {
            b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()?,
            )?;
        }
        Some((ca, _)) => {
            b.append_extension(BasicConstraints::new().critical().build()?)?;
            b.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
            b.append_extension(
                ExtendedKeyUsage::new()
                    .server_auth()
                    .client_auth()
                    .build()?,
            )?;
            let san = SubjectAlternativeName::new()
                .dns(name)
                .ip("127.0.0.1")
                .build(&b.x509v3_context(Some(ca), None))?;
            b.append_extension(san)?;
        }
    }
    let signer = issuer.map_or(key, |(_, k)| k);
    b.sign(signer, MessageDigest::sha256())?;
    Ok(b.build())
}

fn write(path: &Path, bytes: &[u8], private: bool) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if private { 0o600 } else { 0o644 })
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("{}: {e}", path.display()))
}

impl DemoPki {
    /// Makes the CA, the SM-SR's and every client's certificate, and the
    /// rogue CA's `rogue` certificate (named `mno-a`).
    ///
    /// # Errors
    /// The directory or a file cannot be made, or OpenSSL failed.
    pub fn create() -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!(
            "smsr-demo-pki-{}-{}",
            std::process::id(),
            crate::ops::now_ms()
        ));
        std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let pki = Self { dir };
        pki.fill().map_err(|e| format!("demo PKI: {e}"))?;
        Ok(pki)
    }

    fn fill(&self) -> Result<(), String> {
        let ssl = |e: openssl::error::ErrorStack| e.to_string();
        for (ca, leaves) in [
            (
                "ca",
                std::iter::once(SMSR)
                    .chain(CLIENTS.iter().map(|c| c.0))
                    .collect::<Vec<_>>(),
            ),
            ("rogue-ca", vec!["rogue"]),
        ] {
            let ca_key = key().map_err(ssl)?;
            let ca_cert = certificate(ca, &ca_key, None).map_err(ssl)?;
            write(&self.pem(ca), &ca_cert.to_pem().map_err(ssl)?, false)?;
            for leaf in leaves {
                let name = if leaf == "rogue" { "mno-a" } else { leaf };
                let k = key().map_err(ssl)?;
                let c = certificate(name, &k, Some((&ca_cert, &ca_key))).map_err(ssl)?;
                write(&self.pem(leaf), &c.to_pem().map_err(ssl)?, false)?;
                let private = k.private_key_to_pem_pkcs8().map_err(ssl)?;
                write(&self.key(leaf), &private, true)?;
            }
        }
        Ok(())
    }

    fn pem(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.pem"))
    }

    fn key(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.key"))
    }

    /// The files of certificate `name` (a client, [`SMSR`] or `rogue`) with
    /// the CA.
    pub fn files(&self, name: &str) -> TlsFiles {
        TlsFiles {
            cert: self.pem(name),
            key: self.key(name),
            ca: self.pem("ca"),
        }
    }

    /// The ES listener's config: on 127.0.0.1 (any port), the SM-SR's
    /// certificate, the clients of [`CLIENTS`], and each identity's
    /// notification endpoint in `notify` (identity, URL).
    ///
    /// # Errors
    /// The config does not read (a bug here).
    pub fn es_config(&self, notify: &[(&str, &str)]) -> Result<EsConfig, String> {
        let clients: Vec<_> = CLIENTS
            .iter()
            .map(|(name, id, role)| json!({"Name": name, "Id": id, "Roles": [role]}))
            .collect();
        let notifications: Vec<_> = notify
            .iter()
            .map(|(id, url)| json!({"Id": id, "Url": url}))
            .collect();
        let v = json!({
            "Listen": "127.0.0.1:0",
            "Cert": self.pem(SMSR), "Key": self.key(SMSR), "ClientCa": self.pem("ca"),
            "Clients": clients, "Notifications": notifications,
            "CallbackBackoffMs": 100,
        });
        serde_json::from_value(v).map_err(|e| format!("demo Es config: {e}"))
    }
}

impl Drop for DemoPki {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            tracing::warn!("cannot remove {}: {e}", self.dir.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::x509::X509VerifyResult;

    #[test]
    fn every_leaf_is_signed_by_its_ca_and_the_files_go_with_the_pki() {
        let pki = DemoPki::create().unwrap();
        let dir = pki.dir.clone();
        let read = |p: &Path| X509::from_pem(&std::fs::read(p).unwrap()).unwrap();
        let ca = read(&pki.pem("ca"));
        for name in std::iter::once(SMSR).chain(CLIENTS.iter().map(|c| c.0)) {
            let f = pki.files(name);
            let leaf = read(&f.cert);
            assert_eq!(ca.issued(&leaf), X509VerifyResult::OK, "{name}");
            assert!(leaf.verify(&ca.public_key().unwrap()).unwrap(), "{name}");
            let sans: Vec<_> = leaf
                .subject_alt_names()
                .unwrap()
                .iter()
                .map(|n| {
                    (
                        n.dnsname().map(str::to_owned),
                        n.ipaddress().map(<[u8]>::to_vec),
                    )
                })
                .collect();
            assert!(sans.contains(&(Some(name.to_owned()), None)), "{name}");
            assert!(sans.contains(&(None, Some(vec![127, 0, 0, 1]))), "{name}");
            let mode = std::os::unix::fs::PermissionsExt::mode(
                &std::fs::metadata(&f.key).unwrap().permissions(),
            );
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
        // The rogue certificate names a client but is not the CA's.
        let rogue = read(&pki.files("rogue").cert);
        assert_ne!(ca.issued(&rogue), X509VerifyResult::OK);
        let es = pki.es_config(&[("MNO-A", "https://127.0.0.1:1/")]).unwrap();
        assert_eq!(es.clients.len(), CLIENTS.len());
        assert_eq!(es.notifications.len(), 1);
        drop(pki);
        assert!(!dir.exists(), "the PKI outlived the demo");
    }
}
