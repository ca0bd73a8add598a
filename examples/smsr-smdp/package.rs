//! The profile packages the SM-DP downloads: a real TS.48 package (SAIP
//! DER, TCA eUICC Profile Package v2.3) read from a file, given its own
//! ICCID per eUICC, or one it builds with [`PackageWriter`] when no file
//! is there.

use std::path::{Path, PathBuf};

use smsr::profile::{Iccid, OidList, Package, PackageWriter, ProfileHeader, Services};

/// What went wrong with a package.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The file could not be read.
    #[error("{path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The package does not parse as SAIP.
    #[error("package: {0}")]
    Saip(String),
    /// The ICCID is not 19 or 20 digits.
    #[error("ICCID {0:?}: not 19-20 digits")]
    Iccid(String),
    /// The package's EF.ICCID content is not found exactly once.
    #[error("EF.ICCID content found {0} times in the package")]
    EfIccid(usize),
}

/// A real TS.48 package of the shared test data (`$SMSR_TESTDATA` or
/// `../shared/testdata` from the workspace root).
pub const TS48: &str = "profiles/ts48v5_saip2.3_bertlv_suci.der";

/// Where the shared test data live: `$SMSR_TESTDATA`, else
/// `../shared/testdata` beside the repository.
pub fn testdata_dir() -> PathBuf {
    std::env::var_os("SMSR_TESTDATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata"),
        PathBuf::from,
    )
}

/// Reads the package at `path`.
///
/// # Errors
/// [`PackageError::Read`].
pub fn read(path: &Path) -> Result<Vec<u8>, PackageError> {
    std::fs::read(path).map_err(|error| PackageError::Read {
        path: path.to_owned(),
        error,
    })
}

/// The base package: the shared TS.48 one when it is there (`true`), else
/// one built with [`built`] (`false`), so the caller can say which.
///
/// # Errors
/// A file that exists but cannot be read; a built package that does not
/// encode.
pub fn ts48_or_built() -> Result<(Vec<u8>, bool), PackageError> {
    let path = testdata_dir().join(TS48);
    if path.exists() {
        return Ok((read(&path)?, true));
    }
    Ok((built("89000000000000000001")?, false))
}

fn header_iccid(iccid: &str) -> Result<[u8; 10], PackageError> {
    Iccid::from_digits(iccid)
        .map(|i| i.to_header())
        .ok_or_else(|| PackageError::Iccid(iccid.to_owned()))
}

/// A package built with [`PackageWriter`]: a ProfileHeader (SAIP 2.3,
/// type `smsr-smdp`, no mandatory service) for `iccid` and the `end`
/// element, for when no real package is at hand. It has no `mf`, so a
/// card that validates what it installs (as the simulated one does)
/// refuses it: the caller says so.
///
/// # Errors
/// A bad ICCID; an encoding failure.
pub fn built(iccid: &str) -> Result<Vec<u8>, PackageError> {
    let h = ProfileHeader {
        major_version: 2,
        minor_version: 3,
        profile_type: Some("smsr-smdp"),
        iccid_raw: header_iccid(iccid)?,
        pol: None,
        mandatory_services: Services(0),
        gfste_list: OidList::new_checked(&[], 0).map_err(|e| PackageError::Saip(e.to_string()))?,
        connectivity_parameters: None,
        mandatory_aids: None,
        iot_pix: None,
    };
    let mut out = Vec::new();
    let mut w = PackageWriter::new(&mut out);
    w.push_header(&h)
        .map_err(|e| PackageError::Saip(e.to_string()))?;
    w.push_end(smsr::profile::PeHeader {
        mandated: true,
        identification: 1,
    })
    .map_err(|e| PackageError::Saip(e.to_string()))?;
    Ok(out)
}

/// The ICCID (digits) of `pkg`'s ProfileHeader.
///
/// # Errors
/// The package has no readable header.
pub fn iccid_of(pkg: &[u8]) -> Result<String, PackageError> {
    let h = Package::new(pkg)
        .header()
        .map_err(|e| PackageError::Saip(e.to_string()))?;
    Iccid::from_header(&h.iccid_raw)
        .map(|i| i.to_string())
        .ok_or_else(|| PackageError::Saip("header ICCID not BCD".into()))
}

/// `pkg` for another eUICC: the ICCID of its ProfileHeader replaced by
/// `iccid` and EF.ICCID in its `mf` to match (a card refuses a mismatch),
/// rewritten with [`PackageWriter`]. A package without EF.ICCID (one from
/// [`built`]) gets the header alone.
///
/// # Errors
/// A bad ICCID, a package that does not parse, an EF.ICCID content found
/// more than once.
pub fn with_iccid(pkg: &[u8], iccid: &str) -> Result<Vec<u8>, PackageError> {
    let saip = |e: &dyn core::fmt::Display| PackageError::Saip(e.to_string());
    let raw = header_iccid(iccid)?;
    let mut bytes = pkg.to_vec();
    if let Some(ef) = Package::new(pkg).ef_iccid().map_err(|e| saip(&e))? {
        let old = ef.to_ef_iccid();
        let new = Iccid::from_header(&raw)
            .ok_or_else(|| PackageError::Iccid(iccid.to_owned()))?
            .to_ef_iccid();
        let at: Vec<usize> = pkg
            .windows(old.len())
            .enumerate()
            .filter(|(_, w)| *w == old)
            .map(|(i, _)| i)
            .collect();
        let [i] = at[..] else {
            return Err(PackageError::EfIccid(at.len()));
        };
        if let Some(dst) = bytes.get_mut(i..i + new.len()) {
            dst.copy_from_slice(&new);
        }
    }
    let mut out = Vec::new();
    let mut w = PackageWriter::new(&mut out);
    for (n, pe) in Package::new(&bytes).elements().enumerate() {
        let pe = pe.map_err(|e| saip(&e))?;
        if n == 0 {
            let mut h = ProfileHeader::from_element(&pe).map_err(|e| saip(&e))?;
            h.iccid_raw = raw;
            w.push_header(&h).map_err(|e| saip(&e))?;
        } else {
            w.push(&pe).map_err(|e| saip(&e))?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_real_package_gets_its_own_iccid_and_stays_valid() {
        let path = testdata_dir().join(TS48);
        let base = read(&path).unwrap_or_else(|e| panic!("{e} (set SMSR_TESTDATA)"));
        let other = with_iccid(&base, "8931090000000000123").unwrap();
        assert_eq!(iccid_of(&other).unwrap(), "8931090000000000123");
        assert_eq!(other.len(), base.len());
        let ef = Package::new(&other).ef_iccid().unwrap().unwrap();
        assert_eq!(ef.to_string(), "8931090000000000123");
        let opts = smsr::profile::ValidateOptions::default();
        let n = smsr::profile::validate(&Package::new(&other), opts, &mut |p| panic!("{p:?}"));
        assert_eq!(n, 0);
    }

    #[test]
    fn a_built_package_carries_the_iccid() {
        let p = built("8931090000000000124").unwrap();
        assert_eq!(iccid_of(&p).unwrap(), "8931090000000000124");
        let q = with_iccid(&p, "8931090000000000125").unwrap();
        assert_eq!(iccid_of(&q).unwrap(), "8931090000000000125");
        assert!(matches!(built("12"), Err(PackageError::Iccid(_))));
    }
}
