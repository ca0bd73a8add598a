//! SM-SR2's side of the ISD-R key establishment (SGP.02 §3.8 steps
//! 14-23), sans-IO: from the random challenge SM-SR1 relays, the ES7
//! CreateAdditionalKeySet parameters (ePK.SR.ECKA and the signature by
//! SK.SR.ECDSA); from the DR and receipt it relays back, the new ISD-R
//! keys after a constant-time receipt check. Private keys stay in the
//! caller's [`EckaProvider`].

use alloc::vec::Vec;

use super::keys::{self, IsdrKeySetRequest, IsdrKeySetType, IsdrKeys};
use super::relay::{CreateAdditionalKeySet, ECC_KEY_LENGTH_256};
use crate::crypto::ecka::{PrivateKey, PublicKey};
use crate::crypto::{EckaProvider, Software};
use crate::es8::Error;
use crate::es8::crt::KeyAgreementCrt;
use crate::es8::establish::OffCardParty;

/// One ISD-R key establishment by SM-SR2: the request and the scenario
/// #3 [`OffCardParty`] of its CRT (ephemeral key ESK.SR.ECKA as a
/// provider handle, PK.ECASD.ECKA from the EIS and the ISD-R SIN, used
/// when the CRT carries SDIN).
pub struct SmSr2<P: EckaProvider = Software> {
    request: IsdrKeySetRequest,
    party: OffCardParty<P>,
}

impl<P: EckaProvider> core::fmt::Debug for SmSr2<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SmSr2")
            .field("request", &self.request)
            .field("party", &self.party)
            .finish()
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
        let party = OffCardParty::with_provider(provider, crt, esk, pk_ecasd, sin)?;
        Ok(Self { request, party })
    }

    /// The CRT of this run.
    #[must_use]
    pub const fn crt(&self) -> &KeyAgreementCrt {
        self.party.crt()
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
        let (epk, signature) = self.party.sign(sk_sr, Some(challenge))?;
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
        self.party
            .key_agreement_commands(sk_sr, Some(challenge), first_block)
    }

    /// Derives the new ISD-R keys from the card's `dr` and checks its
    /// `receipt` in constant time (step 23: from here SM-SR2 manages the
    /// eUICC).
    ///
    /// # Errors
    /// As [`OffCardParty::finish_with`] ([`Error::ReceiptMismatch`], a
    /// receipt of the wrong size, a DR missing where the CRT asks for one
    /// or given where it does not); derivation errors of [`keys::derive`].
    pub fn finish(&self, dr: Option<&[u8]>, receipt: &[u8]) -> Result<IsdrKeys, Error> {
        self.party.finish_with(dr, receipt, keys::derive)
    }
}
