//! Key custody: what RegisterEIS and the key import hand in (the clear
//! SCP80 KIc/KID and SCP81 PSK of [`crate::store::Secrets`], zeroized on drop) is sealed
//! by a [`Custody`] backend into the text the store keeps in its `secrets`
//! table, and opened again by the same backend when OTA (SCP80 wrap,
//! unwrap, PoR checks) or the SCP81 PSK callback needs the keys. The store
//! never sees clear keys: [`crate::store::sqlite::SqliteStore`] and
//! [`crate::store::postgres::PostgresStore`] take a custody at open, seal
//! in `register`/`register_many` and open in `secrets`.
//!
//! Backends:
//! * [`sealed::Sealed`], the embedded default: AES-256-GCM under a master
//!   key ([`master::MasterKey`]) from a file (`--master-key-file`) or the
//!   `SMSR_MASTER_KEY` environment variable, never the database or the
//!   config file.
//! * [`pkcs11::Pkcs11`] (`--keys pkcs11:FILE`): the SCP80 KIc / KID are
//!   token objects and the SCP81 PSK is wrapped under the token's key-wrap
//!   key; the record holds labels only, and OTA runs through the token
//!   ([`vault::Vault`]).
//!
//! OTA and the SCP81 listener take [`vault::EuiccKeys`] from
//! [`Custody::keys`] (through [`crate::store::held::HeldKeys`]), whatever
//! the custody: clear [`crate::store::Secrets`] exist only on the sealed
//! custody.
//!
//! The MSISDN stays in the clear beside the sealed record (the MO SMS
//! path looks eUICCs up by it); it is also inside the sealed record.

mod backend;
pub mod cleanup;
pub mod des3;
pub mod guard;
pub mod import;
pub mod master;
pub mod pkcs11;
pub mod rekey;
pub mod scp03_import;
pub mod sealed;
pub mod sealing;
pub mod vault;

pub use backend::{Custody, CustodyError};

/// Which custody backend `--keys` chose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Backend {
    /// `--keys sealed` (the default): AES-256-GCM under the master key.
    #[default]
    Sealed,
    /// `--keys pkcs11:FILE`: the token `FILE` describes
    /// ([`pkcs11::Pkcs11File`]).
    Pkcs11(std::path::PathBuf),
}

impl std::str::FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            None if s == "sealed" => Ok(Self::Sealed),
            Some(("pkcs11", file)) if !file.is_empty() => Ok(Self::Pkcs11(file.into())),
            _ => Err(format!("--keys {s:?}: `sealed` or `pkcs11:FILE`")),
        }
    }
}

/// The custody `backend` names: the token of a PKCS#11 file, or as
/// [`custody`].
///
/// # Errors
/// As [`custody`], or the token cannot be opened.
pub fn custody_for(
    backend: &Backend,
    master_key_file: Option<&std::path::Path>,
    temporary: bool,
) -> Result<std::sync::Arc<dyn Custody>, String> {
    match backend {
        Backend::Sealed => custody(master_key_file, temporary),
        Backend::Pkcs11(file) => Ok(std::sync::Arc::new(pkcs11::Pkcs11::open(file)?)),
    }
}

/// The custody of a server or command: the sealed custody under the
/// master key of `master_key_file`, else of [`master::ENV`]; with neither,
/// a fresh random key when `temporary` (the demo's throw-away database),
/// else an error saying where the key goes.
///
/// # Errors
/// The key cannot be read, or none is given for a lasting database.
pub fn custody(
    master_key_file: Option<&std::path::Path>,
    temporary: bool,
) -> Result<std::sync::Arc<dyn Custody>, String> {
    let key = match master::MasterKey::from_sources(master_key_file).map_err(|e| e.to_string())? {
        Some(k) => k,
        None if temporary => master::MasterKey::generate().map_err(|e| e.to_string())?,
        None => {
            return Err(format!(
                "no master key for the secrets at rest: give --master-key-file FILE \
                 (64 hex digits) or {} (hex); make one with `smsr-server keygen FILE`",
                master::ENV
            ));
        }
    };
    Ok(std::sync::Arc::new(sealed::Sealed::new(&key)))
}

/// `smsr-server keygen FILE`: writes a fresh master key (64 hex digits)
/// to a new file readable by its owner only; an existing file is never
/// overwritten.
///
/// # Errors
/// No randomness, or the file exists or cannot be written.
pub fn keygen(path: &std::path::Path) -> Result<String, String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let key = master::MasterKey::generate().map_err(|e| e.to_string())?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(key.dangerous_hex().as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(key.id())
}
