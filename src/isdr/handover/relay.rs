//! What SM-SR1 sends to the ISD-R for SM-SR2 and reads back (SGP.02
//! §3.8 steps 7-22): ES7.AuthenticateSMSR relayed as
//! ES5.EstablishISDRkeyset with SM-SR2's certificate, and
//! ES7.CreateAdditionalKeySet relayed as the key agreement.
//!
//! The commands are those of the ISD-P key establishment (SGP.02
//! §4.1.3.1, [`crate::es8::establish`]) sent to the ISD-R itself, which
//! hands them to the ECASD: no INSTALL [for personalization] comes first
//! (njiwa `EISHandoverTransaction` sends the `3A01` STORE DATA alone; the
//! ISD-P variant needs the INSTALL only to reach the ISD-P).
//!
//! 1. STORE DATA `80 E2 09 00` DGI `3A01` { `7F21` CERT.SR.ECDSA, type
//!    `C8 01 02` } (more blocks P2 `01`…) → `85` random challenge;
//! 2. STORE DATA `80 E2 89 <n>` DGI `3A02` { `A6` } ‖ DGI `7F49`
//!    { ePK.SR.ECKA } ‖ DGI `5F37` { signature } → `85` DR ‖ `86` receipt.

use alloc::vec::Vec;

use super::keys::{IsdrKeySetRequest, IsdrKeySetType};
use crate::apdu::Response;
use crate::apdu::gp::{Dgi, DgiRepr};
use crate::crypto::ecka::{RECEIPT_LEN, Signature};
use crate::es8::Error;
use crate::es8::certificate::{CertificateRef, DISCRETIONARY_SM_SR};
use crate::es8::crt::{Field, KeyAgreementCrt, ScenarioParameters};
use crate::es8::establish::{self, Random};
use crate::es8::public_key::PublicKeyDo;
use crate::tlv::Encode;

/// ES7 `ECCKeyLength` "ECC-256": the only length this crate computes on
/// (P-256, brainpoolP256r1).
pub const ECC_KEY_LENGTH_256: u16 = 256;

/// ES5.EstablishISDRkeyset, first part (ES7.AuthenticateSMSR): the STORE
/// DATA of DGI `3A01` with `certificate` (the `7F21` TLV), P1 `09` on
/// every block, from block 0, Le `00`.
///
/// # Errors
/// A malformed certificate, or one that is not an SM-SR's (`C8 01 02`,
/// [`Error::FieldValue`]): refused before anything goes to the card.
pub fn authenticate_smsr_commands(certificate: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let cert = CertificateRef::parse(certificate)?;
    if !cert.has_type(&DISCRETIONARY_SM_SR) {
        return Err(Error::FieldValue {
            what: "certificate type (SM-SR C8 01 02)",
            offset: 0,
        });
    }
    let data = DgiRepr::new(Dgi::CERTIFICATE, certificate).to_vec()?;
    establish::store_data(&data, 0, false)
}

/// The ISD-R's answer to the certificate: the random challenge `85`,
/// which SGP.02 §3.8 step 12 requires (ES7 `RandomChallenge`).
///
/// # Errors
/// [`Error::Refused`] for a status other than `9000` (e.g. the ECASD
/// refusing the certificate); [`Error::MissingTag`] without a challenge.
pub fn parse_authenticate_smsr_response(r: &Response<'_>) -> Result<Random, Error> {
    establish::parse_certificate_response(r)?.ok_or(Error::MissingTag {
        expected: crate::es8::tags::RANDOM,
        offset: 0,
    })
}

/// The parameters of ES7.CreateAdditionalKeySet (SGP.02 §5.7.3; njiwa
/// `ES7.createAdditionalKeySet`): what SM-SR2 sends and SM-SR1 relays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAdditionalKeySet {
    /// `KeyVersionNumber` of the new SCP80 key set.
    pub kvn: u8,
    /// `InitialSequenceCounter`.
    pub initial_sequence_counter: u64,
    /// `ECCKeyLength` in bits ("ECC-256" = 256).
    pub ecc_key_length: u16,
    /// `ScenarioParameter`.
    pub scenario_parameters: ScenarioParameters,
    /// `HostID`, with scenario parameter `04`.
    pub host_id: Option<Field>,
    /// `EphemeralPublicKey` ePK.SR.ECKA.
    pub epk: PublicKeyDo,
    /// `Signature` by SK.SR.ECDSA over [`establish::signed_data`].
    pub signature: Signature,
}

impl CreateAdditionalKeySet {
    /// The key set request these parameters describe; `sdin` is the
    /// ISD-R SDIN from the EIS (used with scenario parameter `04`).
    ///
    /// # Errors
    /// [`Error::FieldValue`] for an ECC key length other than 256 or the
    /// refusals of [`IsdrKeySetRequest::crt`].
    pub fn request(&self, sdin: Option<&[u8]>) -> Result<IsdrKeySetRequest, Error> {
        if self.ecc_key_length != ECC_KEY_LENGTH_256 {
            return Err(Error::FieldValue {
                what: "ECC key length (ECC-256)",
                offset: 0,
            });
        }
        let with_host = self
            .scenario_parameters
            .contains(ScenarioParameters::HOST_ID);
        let sdin = match (with_host, sdin) {
            (true, Some(s)) => Some(Field::from_slice(s).map_err(|_| Error::FieldLength {
                what: "SDIN",
                len: s.len(),
                offset: 0,
            })?),
            _ => None,
        };
        let request = IsdrKeySetRequest {
            key_set: IsdrKeySetType::Scp80,
            kvn: self.kvn,
            initial_counter: self.initial_sequence_counter,
            parameters: self.scenario_parameters,
            host_id: self.host_id.clone(),
            sdin,
        };
        request.crt()?;
        Ok(request)
    }

    /// The `A6` CRT SM-SR1 sends (and SM-SR2 signed).
    ///
    /// # Errors
    /// As [`CreateAdditionalKeySet::request`].
    pub fn crt(&self, sdin: Option<&[u8]>) -> Result<KeyAgreementCrt, Error> {
        self.request(sdin)?.crt()
    }

    /// ES5.EstablishISDRkeyset, second part: the key agreement STORE
    /// DATA, numbered on from `first_block` (1 after a one-block
    /// certificate).
    ///
    /// # Errors
    /// As [`CreateAdditionalKeySet::request`].
    pub fn commands(&self, sdin: Option<&[u8]>, first_block: u8) -> Result<Vec<Vec<u8>>, Error> {
        let crt = self.crt(sdin)?;
        key_agreement_commands(&crt, &self.epk, &self.signature, first_block)
    }
}

/// STORE DATA `80 E2 89 <n>` of DGI `3A02` { `crt` } ‖ DGI `7F49`
/// { `epk` } ‖ DGI `5F37` { `signature` }, Le `00`: the ISD-P layout
/// ([`establish::key_agreement_commands`]) sent to the ISD-R.
pub use crate::es8::establish::key_agreement_commands;

/// The ISD-R's answer to the key agreement (ES7 `DerivationRandom`,
/// `Receipt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAgreementAnswer {
    /// DR, when the CRT asks for one (scenario parameter `02`).
    pub dr: Option<Random>,
    /// The receipt.
    pub receipt: [u8; RECEIPT_LEN],
}

/// Parses the answer to the key agreement of `crt`.
///
/// # Errors
/// [`Error::Refused`] for a status other than `9000`; a missing DR or
/// receipt; a malformed TLV.
pub fn parse_key_agreement_response(
    r: &Response<'_>,
    crt: &KeyAgreementCrt,
) -> Result<KeyAgreementAnswer, Error> {
    let (dr, receipt) = establish::parse_key_agreement_response(r, crt)?;
    Ok(KeyAgreementAnswer { dr, receipt })
}
