//! SM-SR2's side of the ISD-R key establishment (SGP.02 §3.8 steps
//! 14-23), sans-IO: from the random challenge SM-SR1 relays, the ES7
//! CreateAdditionalKeySet parameters (ePK.SR.ECKA and the signature by
//! SK.SR.ECDSA); from the DR and receipt it relays back, the new ISD-R
//! keys after a constant-time receipt check. Private keys stay in the
//! caller's [`EckaProvider`].

use alloc::vec::Vec;

use subtle::ConstantTimeEq;

use super::keys::{self, IsdrKeySetRequest, IsdrKeySetType, IsdrKeys};
use super::relay::{self, CreateAdditionalKeySet, ECC_KEY_LENGTH_256};
use crate::crypto::ecka::{PrivateKey, PublicKey, Signature};
use crate::crypto::{EckaProvider, Software};
use crate::es8::Error;
use crate::es8::crt::{Field, KeyAgreementCrt};
use crate::es8::establish;
use crate::es8::public_key::PublicKeyDo;

/// One ISD-R key establishment by SM-SR2: the request, its ephemeral
/// key ESK.SR.ECKA (a provider handle), PK.ECASD.ECKA from the EIS and
/// the ISD-R SIN (when the CRT carries SDIN).
pub struct SmSr2<P: EckaProvider = Software> {
    provider: P,
    request: IsdrKeySetRequest,
    crt: KeyAgreementCrt,
    esk: P::PrivateKey,
    pk_ecasd: PublicKey,
    sin: Option<Field>,
}

impl<P: EckaProvider> core::fmt::Debug for SmSr2<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SmSr2")
            .field("request", &self.request)
            .field("pk_ecasd", &self.pk_ecasd)
            .finish_non_exhaustive()
    }
}

impl SmSr2 {
    /// A run with the in-memory ephemeral key `esk` (fresh for each run:
    /// the caller brings the randomness).
    ///
    /// # Errors
    /// As [`SmSr2::with_provider`].
    pub fn new(
        request: IsdrKeySetRequest,
        esk: PrivateKey,
        pk_ecasd: PublicKey,
        sin: Option<&[u8]>,
    ) -> Result<Self, Error> {
        Self::with_provider(Software, request, esk, pk_ecasd, sin)
    }
}

impl<P: EckaProvider> SmSr2<P> {
    /// A run with `esk` held by `provider`.
    ///
    /// # Errors
    /// The refusals of [`IsdrKeySetRequest::crt`]; a SIN over 16 octets.
    pub fn with_provider(
        provider: P,
        request: IsdrKeySetRequest,
        esk: P::PrivateKey,
        pk_ecasd: PublicKey,
        sin: Option<&[u8]>,
    ) -> Result<Self, Error> {
        let crt = request.crt()?;
        let sin = sin
            .map(|s| {
                Field::from_slice(s).map_err(|_| Error::FieldLength {
                    what: "SIN",
                    len: s.len(),
                    offset: 0,
                })
            })
            .transpose()?;
        Ok(Self {
            provider,
            request,
            crt,
            esk,
            pk_ecasd,
            sin,
        })
    }

    /// The CRT of this run.
    #[must_use]
    pub const fn crt(&self) -> &KeyAgreementCrt {
        &self.crt
    }

    fn sign(
        &self,
        sk_sr: &P::PrivateKey,
        challenge: &[u8],
    ) -> Result<(PublicKeyDo, Signature), Error> {
        let epk = PublicKeyDo::of(&self.provider.public_key(&self.esk)?);
        let signed = establish::signed_data(&self.crt, &epk, Some(challenge))?;
        Ok((epk, self.provider.sign(sk_sr, &signed)?))
    }

    /// The ES7.CreateAdditionalKeySet parameters for the card's
    /// `challenge`, signed with `sk_sr` (SK.SR.ECDSA).
    ///
    /// # Errors
    /// [`Error::FieldValue`] when this run is not an SCP80 key set (ES7
    /// carries no key type); provider errors.
    pub fn create_additional_key_set(
        &self,
        sk_sr: &P::PrivateKey,
        challenge: &[u8],
    ) -> Result<CreateAdditionalKeySet, Error> {
        if self.request.key_set != IsdrKeySetType::Scp80 {
            return Err(Error::FieldValue {
                what: "key set type (ES7 creates SCP80 key sets)",
                offset: 0,
            });
        }
        let (epk, signature) = self.sign(sk_sr, challenge)?;
        Ok(CreateAdditionalKeySet {
            kvn: self.request.kvn,
            initial_sequence_counter: self.request.initial_counter,
            ecc_key_length: ECC_KEY_LENGTH_256,
            scenario_parameters: self.request.parameters,
            host_id: self.request.host_id.clone(),
            epk,
            signature,
        })
    }

    /// The key agreement STORE DATA SM-SR2 sends itself, over its own
    /// secure channel (e.g. the SCP81 PSK after the hand-over, njiwa
    /// `CreateSCP81KeySet`; here with the signature, as the ECASD checks
    /// one on every key agreement).
    ///
    /// # Errors
    /// Provider errors; over-long data.
    pub fn key_agreement_commands(
        &self,
        sk_sr: &P::PrivateKey,
        challenge: &[u8],
        first_block: u8,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let (epk, signature) = self.sign(sk_sr, challenge)?;
        relay::key_agreement_commands(&self.crt, &epk, &signature, first_block)
    }

    /// Derives the new ISD-R keys from the card's `dr` and checks its
    /// `receipt` in constant time (step 23: from here SM-SR2 manages the
    /// eUICC).
    ///
    /// # Errors
    /// [`Error::ReceiptMismatch`]; [`Error::FieldLength`] for a receipt
    /// of the wrong size; a DR missing where the CRT asks for one
    /// or given where it does not ([`Error::FieldValue`]); provider and derivation errors.
    pub fn finish(&self, dr: Option<&[u8]>, receipt: &[u8]) -> Result<IsdrKeys, Error> {
        let wants_dr = self
            .crt
            .parameters
            .contains(crate::es8::crt::ScenarioParameters::INCLUDE_DR);
        if wants_dr != dr.is_some() {
            return Err(Error::FieldValue {
                what: "DR (present exactly when scenario parameter 02 is set)",
                offset: 0,
            });
        }
        let z = self.provider.agree(&self.esk, &self.pk_ecasd)?;
        let (keys, expected) = keys::derive(&z, &self.crt, dr, self.sin.as_deref())?;
        if expected.len() != receipt.len() {
            return Err(Error::FieldLength {
                what: "receipt",
                len: receipt.len(),
                offset: 0,
            });
        }
        if bool::from(expected.ct_eq(receipt)) {
            Ok(keys)
        } else {
            Err(Error::ReceiptMismatch)
        }
    }
}
