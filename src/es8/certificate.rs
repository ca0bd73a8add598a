//! The SGP.02 certificates of off-card entities and of the ECASD (SGP.02
//! §2.3.2, tables 76/77 for the SM-DP, table 39 for the SM-SR; GP Card
//! Specification Amendment E certificate format), sent in DGI `3A01`:
//!
//! ```text
//! 7F21 {
//!   93 serial ‖ 42 CA identifier ‖ 5F20 subject identifier ‖ 95 key usage ‖
//!   [5F25 effective date] ‖ 5F24 expiration date ‖ 73 discretionary data ‖
//!   7F49 { B0 Q, F0 curve } ‖ 5F37 signature (r ‖ s)
//! }
//! ```
//!
//! The tag order is the one njiwa `makeCertSigningData` writes. The CI
//! signs (ECDSA, SHA-256) the concatenation of every TLV inside `7F21`
//! before `5F37`, as they are encoded: [`CertificateRef::signed_data`].

use alloc::vec::Vec;

use super::public_key::PublicKeyDo;
use super::{Error, read, tags};
use crate::crypto::ecka::{self, SIGNATURE_LEN, Signature};
use crate::tlv::{self, Encode, Reader, Tlv};

/// Certificate type `C8 01 01` of an SM-DP certificate in the
/// discretionary data (SGP.02 v3.1 table 76 / v4.1 table 77, njiwa).
pub const DISCRETIONARY_SM_DP: [u8; 3] = [0xC8, 0x01, 0x01];
/// Certificate type `C8 01 02` of an SM-SR certificate (SGP.02 table 39).
pub const DISCRETIONARY_SM_SR: [u8; 3] = [0xC8, 0x01, 0x02];

/// A certificate as it lies in the input: every field borrowed.
#[derive(Debug, Clone, Copy)]
pub struct CertificateRef<'a> {
    /// Serial number (`93`).
    pub serial: &'a [u8],
    /// CA identifier (`42`).
    pub ca_id: &'a [u8],
    /// Subject identifier (`5F20`).
    pub subject_id: &'a [u8],
    /// Key usage (`95`), one or two octets.
    pub key_usage: &'a [u8],
    /// Effective date YYYYMMDD, BCD (`5F25`), when present.
    pub effective_date: Option<[u8; 4]>,
    /// Expiration date YYYYMMDD, BCD (`5F24`).
    pub expiration_date: [u8; 4],
    /// Discretionary data (`73`): its value, TLVs such as `C8 01 01`.
    pub discretionary_data: &'a [u8],
    /// The certified public key (`7F49`).
    pub public_key: PublicKeyDo,
    /// The CI's signature (`5F37`).
    pub signature: Signature,
    /// The octets the CI signed: every TLV before `5F37`.
    pub signed_data: &'a [u8],
    /// The whole `7F21` TLV.
    pub raw: &'a [u8],
}

fn date(t: &Tlv<'_>, what: &'static str) -> Result<[u8; 4], Error> {
    let d = read::fixed::<4>(t, what)?;
    if d.iter().any(|b| b >> 4 > 9 || b & 0x0F > 9) {
        return Err(Error::FieldValue {
            what,
            offset: t.value_offset(),
        });
    }
    Ok(d)
}

fn bytes<'a>(
    r: &mut Reader<'a>,
    tag: tlv::Tag,
    what: &'static str,
    max: usize,
) -> Result<&'a [u8], Error> {
    let t = read::expect(r, tag)?;
    if t.value().is_empty() || t.value().len() > max {
        return Err(Error::FieldLength {
            what,
            len: t.value().len(),
            offset: t.value_offset(),
        });
    }
    Ok(t.value())
}

impl<'a> CertificateRef<'a> {
    /// Parses a `7F21` TLV that covers all of `input`, strictly (DER
    /// lengths, the tag order above, nothing left over).
    ///
    /// # Errors
    /// A malformed TLV, a missing or misplaced tag, a field of the wrong
    /// size, a date that is not BCD, or trailing data.
    pub fn parse(input: &'a [u8]) -> Result<Self, Error> {
        let cert = Tlv::parse_exact(input, tlv::Options::strict())?;
        if cert.tag() != tags::CERTIFICATE {
            return Err(Error::MissingTag {
                expected: tags::CERTIFICATE,
                offset: 0,
            });
        }
        let mut r = cert.children();
        let start = r.offset();
        let serial = bytes(&mut r, tags::SERIAL, "serial number", 20)?;
        let ca_id = bytes(&mut r, tags::CA_ID, "CA identifier", 64)?;
        let subject_id = bytes(&mut r, tags::SUBJECT_ID, "subject identifier", 64)?;
        let key_usage = bytes(&mut r, tags::KEY_USAGE, "key usage", 2)?;
        let effective_date = read::optional(&mut r, tags::EFFECTIVE_DATE)?
            .map(|t| date(&t, "effective date"))
            .transpose()?;
        let expiration_date = date(
            &read::expect(&mut r, tags::EXPIRATION_DATE)?,
            "expiration date",
        )?;
        let discretionary_data = read::expect(&mut r, tags::DISCRETIONARY_DATA)?.value();
        let public_key = PublicKeyDo::parse_value(&read::expect(&mut r, tags::PUBLIC_KEY)?)?;
        let sig_start = r.offset();
        let sig = read::expect(&mut r, tags::SIGNATURE)?;
        let signature = Signature(read::fixed::<SIGNATURE_LEN>(&sig, "signature")?);
        read::end(&mut r)?;
        let signed_data = input.get(start..sig_start).ok_or(Error::FieldLength {
            what: "certificate body",
            len: input.len(),
            offset: start,
        })?;
        Ok(Self {
            serial,
            ca_id,
            subject_id,
            key_usage,
            effective_date,
            expiration_date,
            discretionary_data,
            public_key,
            signature,
            signed_data,
            raw: input,
        })
    }

    /// Whether the discretionary data carry the certificate type TLV
    /// `certificate_type` (e.g. [`DISCRETIONARY_SM_SR`], `C8 01 02`;
    /// SGP.02 table 39 / 77).
    #[must_use]
    pub fn has_type(&self, certificate_type: &[u8]) -> bool {
        tlv::Reader::new(self.discretionary_data)
            .find_tag(tlv::Tag::new(0xC8))
            .ok()
            .flatten()
            .is_some_and(|t| t.raw() == certificate_type)
    }

    /// Verifies the CI's signature over [`CertificateRef::signed_data`].
    ///
    /// # Errors
    /// [`Error::Crypto`] when it does not verify under `ci`.
    pub fn verify(&self, ci: &ecka::PublicKey) -> Result<(), Error> {
        Ok(self.signature.verify(ci, self.signed_data)?)
    }

    /// The owned copy.
    #[must_use]
    pub fn to_owned(&self) -> Certificate {
        Certificate {
            serial: self.serial.to_vec(),
            ca_id: self.ca_id.to_vec(),
            subject_id: self.subject_id.to_vec(),
            key_usage: self.key_usage.to_vec(),
            effective_date: self.effective_date,
            expiration_date: self.expiration_date,
            discretionary_data: self.discretionary_data.to_vec(),
            public_key: self.public_key,
            signature: self.signature,
        }
    }
}

/// An SGP.02 certificate, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// Serial number (`93`, 1..=20 octets).
    pub serial: Vec<u8>,
    /// CA identifier (`42`).
    pub ca_id: Vec<u8>,
    /// Subject identifier (`5F20`).
    pub subject_id: Vec<u8>,
    /// Key usage (`95`, one or two octets).
    pub key_usage: Vec<u8>,
    /// Effective date YYYYMMDD, BCD (`5F25`).
    pub effective_date: Option<[u8; 4]>,
    /// Expiration date YYYYMMDD, BCD (`5F24`).
    pub expiration_date: [u8; 4],
    /// Discretionary data (`73`) value.
    pub discretionary_data: Vec<u8>,
    /// The certified public key (`7F49`).
    pub public_key: PublicKeyDo,
    /// The CI's signature (`5F37`).
    pub signature: Signature,
}

impl Certificate {
    /// Parses and copies a `7F21` TLV (see [`CertificateRef::parse`]).
    ///
    /// # Errors
    /// As [`CertificateRef::parse`].
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        CertificateRef::parse(input).map(|c| c.to_owned())
    }

    fn body(&self) -> impl Encode + '_ {
        (
            tlv::tlv(tags::SERIAL, &self.serial[..]),
            tlv::tlv(tags::CA_ID, &self.ca_id[..]),
            tlv::tlv(tags::SUBJECT_ID, &self.subject_id[..]),
            tlv::tlv(tags::KEY_USAGE, &self.key_usage[..]),
            self.effective_date
                .map(|d| tlv::tlv(tags::EFFECTIVE_DATE, d)),
            tlv::tlv(tags::EXPIRATION_DATE, self.expiration_date),
            tlv::tlv(tags::DISCRETIONARY_DATA, &self.discretionary_data[..]),
            tlv::tlv(tags::PUBLIC_KEY, self.public_key),
        )
    }

    fn whole(&self) -> impl Encode + '_ {
        tlv::tlv(
            tags::CERTIFICATE,
            (self.body(), tlv::tlv(tags::SIGNATURE, self.signature.0)),
        )
    }

    /// The octets the CI signs: every TLV before `5F37`.
    ///
    /// # Errors
    /// Only for a value beyond the 4-octet BER length.
    pub fn signed_data(&self) -> Result<Vec<u8>, Error> {
        Ok(self.body().to_vec()?)
    }

    /// Signs the certificate with the CI's private key (replacing
    /// [`Certificate::signature`]).
    ///
    /// # Errors
    /// As [`Certificate::signed_data`].
    pub fn sign(&mut self, ci: &ecka::PrivateKey) -> Result<(), Error> {
        self.signature = Signature::sign(ci, &self.signed_data()?);
        Ok(())
    }

    /// Verifies the CI's signature.
    ///
    /// # Errors
    /// [`Error::Crypto`] when it does not verify under `ci`.
    pub fn verify(&self, ci: &ecka::PublicKey) -> Result<(), Error> {
        Ok(self.signature.verify(ci, &self.signed_data()?)?)
    }

    /// Octets [`Certificate::emit`] writes (the whole `7F21` TLV).
    #[must_use]
    pub fn buffer_len(&self) -> usize {
        self.whole().encoded_len()
    }

    /// Writes the `7F21` TLV at the start of `out`; returns its length.
    ///
    /// # Errors
    /// [`tlv::ErrorKind::BufferTooSmall`] when `out` is too short.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, Error> {
        Ok(self.whole().encode_to_slice(out)?.len())
    }

    /// The `7F21` TLV in a new `Vec`.
    ///
    /// # Errors
    /// Only for a value beyond the 4-octet BER length.
    pub fn to_vec(&self) -> Result<Vec<u8>, Error> {
        Ok(self.whole().to_vec()?)
    }
}
