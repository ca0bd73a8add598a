//! ES8.EstablishISDPKeySet, scenario #3 with random challenge (SGP.02
//! §4.1.3.1 and §5.5.2; GP Card Specification Amendment E; njiwa
//! `ECKeyAgreementEG` / `DownloadProfileTransaction` as a second reading):
//!
//! 1. INSTALL [for personalization] of the ISD-P;
//! 2. STORE DATA P1 `09` P2 `00`: DGI `3A01` { `7F21` SM-DP certificate };
//!    the card verifies it with the CI key and answers `85` random challenge;
//! 3. STORE DATA P1 `89` P2 `01`: DGI `3A02` { `A6` CRT } ‖ DGI `7F49`
//!    { ePK.DP.ECKA } ‖ DGI `5F37` { signature }, the SM-DP signing DGI
//!    `3A02` ‖ DGI `7F49` ‖ DGI `0085` { challenge } with SK.DP.ECDSA;
//!    the card answers `85` DR (when the CRT asks for one) ‖ `86` receipt.
//!
//! Both sides derive the key set with [`derive()`]; the SM-DP compares the
//! receipt in constant time. The off-card steps (ephemeral key, CRT,
//! signature, DR, receipt check) are [`OffCardParty`]'s, shared with
//! SM-SR2's ISD-R key establishment ([`crate::isdr::handover::SmSr2`]).

use alloc::vec::Vec;

use super::crt::{KeyAgreementCrt, ScenarioParameters};
use super::public_key::PublicKeyDo;
use super::{Error, KeySet, tags};
use crate::apdu::gp::{Dgi, DgiReader, DgiRepr, InstallForPersonalization, StoreData, StoreDataP1};
use crate::apdu::{Command, Header, Response};
use crate::crypto::ecka::{
    self, DerivedKeys, PrivateKey, PublicKey, RECEIPT_LEN, SharedInfo, SharedSecret, Signature,
};
use crate::crypto::{EckaProvider, Software};
use crate::tlv::{self, Encode, Reader};

mod party;

pub use party::OffCardParty;

/// DGI of the random challenge in the signed key agreement data (njiwa:
/// `00 85`, SGP.02 v3.1 table 81).
pub const DGI_CHALLENGE: Dgi = Dgi(0x0085);
/// The ISD-P key set is AES (GP v2.3 table 11-16 `88`); the PSK-TLS
/// type the KDF also takes is for the ISD-R only.
const ISDP_KEY_TYPE_AES: u8 = 0x88;
/// Longest random challenge / DR accepted (the simulated card sends 16).
pub const MAX_RANDOM: usize = 32;

/// A random challenge or derivation random.
pub type Random = heapless::Vec<u8, MAX_RANDOM>;

/// The key set and receipt of one derivation.
#[derive(Debug, Clone)]
pub struct Derivation {
    /// The new ISD-P key set.
    pub key_set: KeySet,
    /// The receipt the card sends (tag `86`).
    pub receipt: [u8; RECEIPT_LEN],
}

/// Derives the key set and the receipt from `z` as the CRT says
/// (SharedInfo with DR when [`ScenarioParameters::INCLUDE_DR`], HostID and
/// SIN ‖ SDIN when the CRT carries them and `sin` is known).
///
/// # Errors
/// [`Error::Crypto`] for a key usage other than `10` or a non-AES key.
pub fn derive(
    z: &SharedSecret,
    crt: &KeyAgreementCrt,
    dr: Option<&[u8]>,
    sin: Option<&[u8]>,
) -> Result<Derivation, Error> {
    let sin_sdin = match (sin, crt.sdin.as_deref()) {
        (Some(sin), Some(sdin)) => Some((sin, sdin)),
        _ => None,
    };
    let info = SharedInfo {
        key_usage: crt.key_usage,
        key_type: crt.key_type,
        key_length: crt.key_length,
        derivation_random: dr,
        host_id: crt.host_id.as_deref(),
        sin_sdin,
    };
    if crt.key_type != ISDP_KEY_TYPE_AES {
        return Err(ecka::Error::KeyLength(crt.key_length).into());
    }
    let keys = DerivedKeys::derive(z, &info)?;
    let [s_enc, s_mac, dek] = keys.keys() else {
        return Err(ecka::Error::KeyUsage(crt.key_usage.0).into());
    };
    let crt_tlv = crt.to_vec()?;
    let receipt = ecka::receipt(keys.receipt_key(), &crt_tlv, dr)?;
    Ok(Derivation {
        key_set: KeySet {
            kvn: crt.key_version,
            key_id: crt.key_id,
            s_enc: s_enc.clone(),
            s_mac: s_mac.clone(),
            dek: dek.clone(),
        },
        receipt,
    })
}

/// The octets SK.DP.ECDSA signs: DGI `3A02` ‖ DGI `7F49` ‖ DGI `0085`
/// { challenge } (the last only when the card sent a challenge).
///
/// # Errors
/// Only for values over the DGI length limit.
pub fn signed_data(
    crt: &KeyAgreementCrt,
    epk: &PublicKeyDo,
    challenge: Option<&[u8]>,
) -> Result<Vec<u8>, Error> {
    Ok((
        DgiRepr::new(Dgi::KEY_AGREEMENT, crt),
        DgiRepr::new(Dgi::PUBLIC_KEY, epk),
        challenge.map(|c| DgiRepr::new(DGI_CHALLENGE, c)),
    )
        .to_vec()?)
}

/// The key agreement data of step 3 as the card reads it.
#[derive(Debug, Clone)]
pub struct KeyAgreementData {
    /// The CRT.
    pub crt: KeyAgreementCrt,
    /// ePK.DP.ECKA.
    pub epk: PublicKeyDo,
    /// The SM-DP's signature.
    pub signature: Signature,
}

impl KeyAgreementData {
    /// Parses DGI `3A02` ‖ DGI `7F49` ‖ DGI `5F37`, in that order, nothing
    /// else.
    ///
    /// # Errors
    /// A malformed or missing DGI or a malformed field.
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        let mut dgis = DgiReader::new(data);
        let mut next = |dgi: Dgi| match dgis.next() {
            Some(Ok(d)) if d.tag == dgi => Ok(d),
            Some(Err(e)) => Err(Error::Apdu(e)),
            other => Err(Error::MissingTag {
                expected: tlv::Tag::new(u32::from(dgi.0)),
                offset: other.and_then(Result::ok).map_or(data.len(), |d| d.offset),
            }),
        };
        let crt = next(Dgi::KEY_AGREEMENT)?;
        let crt = KeyAgreementCrt::parse(crt.value, crt.offset + crt.raw.len() - crt.value.len())?;
        let epk = next(Dgi::PUBLIC_KEY)?;
        let epk =
            PublicKeyDo::parse_bytes(epk.value, epk.offset + epk.raw.len() - epk.value.len())?;
        let sig = next(Dgi::SIGNATURE)?;
        let signature = Signature::from_bytes(sig.value).map_err(|_| Error::FieldLength {
            what: "signature",
            len: sig.value.len(),
            offset: sig.offset,
        })?;
        if let Some(extra) = dgis.next() {
            let offset = extra.map_or(data.len(), |d| d.offset);
            return Err(tlv::Error::new(tlv::ErrorKind::TrailingData, offset).into());
        }
        Ok(Self {
            crt,
            epk,
            signature,
        })
    }
}

fn random(t: &tlv::Tlv<'_>, what: &'static str) -> Result<Random, Error> {
    if t.value().is_empty() {
        return Err(Error::FieldLength {
            what,
            len: 0,
            offset: t.value_offset(),
        });
    }
    heapless::Vec::from_slice(t.value()).map_err(|_| Error::FieldLength {
        what,
        len: t.value().len(),
        offset: t.value_offset(),
    })
}

/// Parses the card's answer to the certificate: `85` random challenge,
/// or nothing (scenario #3 without challenge).
///
/// # Errors
/// [`Error::Refused`] for a status other than `9000`; a malformed TLV.
pub fn parse_certificate_response(r: &Response<'_>) -> Result<Option<Random>, Error> {
    if !r.sw().is_success() {
        return Err(Error::Refused(r.sw()));
    }
    let mut reader = Reader::new(r.data());
    let challenge = super::read::optional(&mut reader, tags::RANDOM)?
        .map(|t| random(&t, "random challenge"))
        .transpose()?;
    super::read::end(&mut reader)?;
    Ok(challenge)
}

/// Parses the card's answer to the key agreement: `85` DR (when the CRT
/// asks for one) ‖ `86` receipt.
///
/// # Errors
/// [`Error::Refused`] for a status other than `9000`; a missing DR or
/// receipt; a malformed TLV.
pub fn parse_key_agreement_response(
    r: &Response<'_>,
    crt: &KeyAgreementCrt,
) -> Result<(Option<Random>, [u8; RECEIPT_LEN]), Error> {
    if !r.sw().is_success() {
        return Err(Error::Refused(r.sw()));
    }
    let mut reader = Reader::new(r.data());
    let dr = if crt.parameters.contains(ScenarioParameters::INCLUDE_DR) {
        Some(random(
            &super::read::expect(&mut reader, tags::RANDOM)?,
            "DR",
        )?)
    } else {
        None
    };
    let receipt = super::read::fixed(&super::read::expect(&mut reader, tags::RECEIPT)?, "receipt")?;
    super::read::end(&mut reader)?;
    Ok((dr, receipt))
}

/// STORE DATA commands for `data` in DGI format with response expected,
/// from block `first_block`; the last block is marked last only when
/// `last` (the certificate's STORE DATA is followed by the key agreement).
///
/// # Errors
/// [`Error::Apdu`] for data needing more than 256 blocks.
pub fn store_data(data: &[u8], first_block: u8, last: bool) -> Result<Vec<Vec<u8>>, Error> {
    let p1 = StoreDataP1::DGI | StoreDataP1::RESPONSE_EXPECTED;
    let blocks = StoreData::new(p1, data).first_block(first_block).blocks()?;
    let mut out = Vec::new();
    for cmd in blocks {
        let h = cmd.header();
        let p1 = if last {
            h.p1
        } else {
            h.p1 & !StoreDataP1::LAST_BLOCK.0
        };
        let cmd =
            Command::with_data(Header::new(h.cla, h.ins, p1, h.p2), cmd.data())?.with_le(256)?;
        out.push(cmd.to_vec()?);
    }
    Ok(out)
}

/// STORE DATA `80 E2 89 <n>` of DGI `3A02` { `crt` } ‖ DGI `7F49`
/// { `epk` } ‖ DGI `5F37` { `signature` }, Le `00`, from block
/// `first_block` (step 3).
///
/// # Errors
/// [`Error::Apdu`] for over-long data.
pub fn key_agreement_commands(
    crt: &KeyAgreementCrt,
    epk: &PublicKeyDo,
    signature: &Signature,
    first_block: u8,
) -> Result<Vec<Vec<u8>>, Error> {
    let data = (
        DgiRepr::new(Dgi::KEY_AGREEMENT, crt),
        DgiRepr::new(Dgi::PUBLIC_KEY, epk),
        DgiRepr::new(Dgi::SIGNATURE, signature.0),
    )
        .to_vec()?;
    store_data(&data, first_block, true)
}

/// The SM-DP side of one key establishment: an [`OffCardParty`] whose
/// EC private keys (the ephemeral ESK.DP.ECKA and the signing
/// SK.DP.ECDSA) are held by an [`EckaProvider`]: [`Software`] by default
/// ([`SmDp::new`] from a [`PrivateKey`]), any provider's handles with
/// [`SmDp::with_provider`].
pub struct SmDp<P: EckaProvider = Software> {
    party: OffCardParty<P>,
}

impl<P: EckaProvider> core::fmt::Debug for SmDp<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("SmDp").field(&self.party).finish()
    }
}

impl SmDp {
    /// A key establishment of the key set `crt` describes, with the
    /// ephemeral key `esk` (ESK.DP.ECKA, fresh for each run: the caller
    /// brings the randomness) and the ECASD key from its certificate.
    /// `sin` is the ISD-P's SIN, when the CRT carries SDIN / HostID.
    ///
    /// # Errors
    /// [`Error::FieldLength`] for a SIN over 16 octets.
    pub fn new(
        crt: KeyAgreementCrt,
        esk: PrivateKey,
        pk_ecasd: PublicKey,
        sin: Option<&[u8]>,
    ) -> Result<Self, Error> {
        SmDp::with_provider(Software, crt, esk, pk_ecasd, sin)
    }
}

impl<P: EckaProvider> SmDp<P> {
    /// As [`SmDp::new`], with the ephemeral key `esk` held by `provider`.
    ///
    /// # Errors
    /// [`Error::FieldLength`] for a SIN over 16 octets.
    pub fn with_provider(
        provider: P,
        crt: KeyAgreementCrt,
        esk: P::PrivateKey,
        pk_ecasd: PublicKey,
        sin: Option<&[u8]>,
    ) -> Result<Self, Error> {
        let party = OffCardParty::with_provider(provider, crt, esk, pk_ecasd, sin)?;
        Ok(Self { party })
    }

    /// Steps 1 and 2: INSTALL [for personalization] of `isdp_aid` and the
    /// STORE DATA of `certificate` (the `7F21` TLV) in DGI `3A01`.
    ///
    /// # Errors
    /// [`Error::Apdu`] for an AID over 16 octets or an over-long certificate.
    pub fn certificate_commands(
        &self,
        isdp_aid: &[u8],
        certificate: &[u8],
    ) -> Result<Vec<Vec<u8>>, Error> {
        let mut out = Vec::new();
        out.push(
            InstallForPersonalization::new(isdp_aid)
                .command()?
                .to_vec()?,
        );
        let data = DgiRepr::new(Dgi::CERTIFICATE, certificate).to_vec()?;
        out.extend(store_data(&data, 0, false)?);
        Ok(out)
    }

    /// Step 3: the key agreement STORE DATA, signed with `sk_dp`
    /// (SK.DP.ECDSA) over the card's `challenge`; `first_block` continues
    /// the numbering of the certificate's blocks (1 after a single block).
    ///
    /// # Errors
    /// As [`store_data`].
    pub fn key_agreement_commands(
        &self,
        sk_dp: &P::PrivateKey,
        challenge: Option<&[u8]>,
        first_block: u8,
    ) -> Result<Vec<Vec<u8>>, Error> {
        self.party
            .key_agreement_commands(sk_dp, challenge, first_block)
    }

    /// The end: derives the key set from the card's DR and checks its
    /// receipt in constant time.
    ///
    /// # Errors
    /// [`Error::Refused`] / parse errors of the answer,
    /// [`Error::ReceiptMismatch`] when the receipt is not the one computed.
    pub fn finish(&self, answer: &Response<'_>) -> Result<KeySet, Error> {
        let (dr, receipt) = parse_key_agreement_response(answer, self.crt())?;
        self.party
            .finish_with(dr.as_deref(), &receipt, |z, crt, dr, sin| {
                derive(z, crt, dr, sin).map(|d| (d.key_set, d.receipt))
            })
    }

    /// The CRT of this run.
    #[must_use]
    pub const fn crt(&self) -> &KeyAgreementCrt {
        self.party.crt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// P1 `09` on every certificate block (more STORE DATA follows), `89`
    /// on the last key agreement block; P2 counts on; Le `00` each time.
    #[test]
    fn store_data_headers() {
        let data = [0x5A; 300];
        let cert = store_data(&data, 0, false).unwrap();
        let hdrs: Vec<&[u8]> = cert.iter().filter_map(|c| c.get(..4)).collect();
        assert_eq!(hdrs, [[0x80, 0xE2, 0x09, 0x00], [0x80, 0xE2, 0x09, 0x01]]);
        assert!(cert.iter().all(|c| c.last() == Some(&0x00)));
        let ka = store_data(&data[..10], 2, true).unwrap();
        assert_eq!(
            ka,
            [[&[0x80, 0xE2, 0x89, 0x02, 0x0A][..], &[0x5A; 10], &[0x00]].concat()]
        );
    }

    #[test]
    fn answers_are_checked() {
        let crt = KeyAgreementCrt {
            parameters: ScenarioParameters::INCLUDE_DR,
            key_usage: ecka::KeyUsageQualifier::SCP03_KEY_SET,
            key_access: None,
            key_type: 0x88,
            key_length: 16,
            key_id: 1,
            key_version: 0x30,
            initial_counter: None,
            sdin: None,
            host_id: None,
        };
        let ok = crate::apdu::StatusWord::SUCCESS;
        let mut good = Vec::from([0x85, 0x02, 0xAA, 0xBB, 0x86, 0x10]);
        good.extend_from_slice(&[0x11; 16]);
        let (dr, receipt) = parse_key_agreement_response(&Response::new(&good, ok), &crt).unwrap();
        assert_eq!(dr.as_deref(), Some(&[0xAA, 0xBB][..]));
        assert_eq!(receipt, [0x11; 16]);
        // A 15-octet receipt, an empty DR, a missing DR.
        assert!(parse_key_agreement_response(&Response::new(&good[..21], ok), &crt).is_err());
        let empty_dr = [&[0x85, 0x00][..], &good[4..]].concat();
        assert!(parse_key_agreement_response(&Response::new(&empty_dr, ok), &crt).is_err());
        assert!(parse_key_agreement_response(&Response::new(&good[4..], ok), &crt).is_err());
        // The certificate answer: a challenge, nothing, or a refusal.
        let ch = parse_certificate_response(&Response::new(&[0x85, 0x01, 0x07], ok)).unwrap();
        assert_eq!(ch.as_deref(), Some(&[0x07][..]));
        assert_eq!(
            parse_certificate_response(&Response::new(&[], ok)).unwrap(),
            None
        );
        let refused = crate::apdu::StatusWord(0x6982);
        assert_eq!(
            parse_certificate_response(&Response::new(&[], refused)),
            Err(Error::Refused(refused))
        );
    }
}
