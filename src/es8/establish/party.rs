//! The off-card party of one scenario #3 key establishment (GP Card
//! Specification Amendment A §3.8 / Amendment E; SGP.02 §4.1.3.1 for an
//! ISD-P, §3.8 steps 14-23 for the ISD-R): the ephemeral key
//! ESK.xx.ECKA, the CRT, the signature by SK.xx.ECDSA over DGI `3A02` ‖
//! DGI `7F49` ‖ DGI `0085` { challenge }, and at the end the shared secret
//! with PK.ECASD.ECKA, the derivation with the card's DR and the
//! constant-time receipt check. The SM-DP ([`super::SmDp`]) and SM-SR2
//! ([`crate::isdr::handover::SmSr2`]) are this party with their own key
//! set derivation. Private keys stay in the caller's [`EckaProvider`].

use alloc::vec::Vec;

use subtle::ConstantTimeEq;

use super::{key_agreement_commands, signed_data};
use crate::crypto::ecka::{PrivateKey, PublicKey, RECEIPT_LEN, SharedSecret, Signature};
use crate::crypto::{EckaProvider, Software};
use crate::es8::Error;
use crate::es8::crt::{Field, KeyAgreementCrt, ScenarioParameters};
use crate::es8::public_key::PublicKeyDo;

/// One off-card scenario #3 run: the CRT, the ephemeral key `esk` (a
/// provider handle, fresh for each run), PK.ECASD.ECKA and the SIN of the
/// security domain (used when the CRT carries SDIN). Keys are not
/// printed.
pub struct OffCardParty<P: EckaProvider = Software> {
    provider: P,
    crt: KeyAgreementCrt,
    esk: P::PrivateKey,
    pk_ecasd: PublicKey,
    sin: Option<Field>,
}

impl<P: EckaProvider> core::fmt::Debug for OffCardParty<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OffCardParty")
            .field("crt", &self.crt)
            .field("pk_ecasd", &self.pk_ecasd)
            .finish_non_exhaustive()
    }
}

impl OffCardParty {
    /// A run with the in-memory ephemeral key `esk`.
    ///
    /// # Errors
    /// As [`OffCardParty::with_provider`].
    pub fn new(
        crt: KeyAgreementCrt,
        esk: PrivateKey,
        pk_ecasd: PublicKey,
        sin: Option<&[u8]>,
    ) -> Result<Self, Error> {
        Self::with_provider(Software, crt, esk, pk_ecasd, sin)
    }
}

impl<P: EckaProvider> OffCardParty<P> {
    /// A run with `esk` held by `provider`.
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

    /// ePK.xx.ECKA and the signature by `sk` over [`signed_data`] with the
    /// card's `challenge` (none in scenario #3 without challenge).
    ///
    /// # Errors
    /// Provider errors; over-long data.
    pub fn sign(
        &self,
        sk: &P::PrivateKey,
        challenge: Option<&[u8]>,
    ) -> Result<(PublicKeyDo, Signature), Error> {
        let epk = PublicKeyDo::of(&self.provider.public_key(&self.esk)?);
        let signed = signed_data(&self.crt, &epk, challenge)?;
        Ok((epk, self.provider.sign(sk, &signed)?))
    }

    /// The key agreement STORE DATA, signed with `sk` over `challenge`,
    /// numbered on from `first_block` ([`key_agreement_commands`]).
    ///
    /// # Errors
    /// As [`OffCardParty::sign`].
    pub fn key_agreement_commands(
        &self,
        sk: &P::PrivateKey,
        challenge: Option<&[u8]>,
        first_block: u8,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let (epk, signature) = self.sign(sk, challenge)?;
        key_agreement_commands(&self.crt, &epk, &signature, first_block)
    }

    /// The end of the run: the shared secret with PK.ECASD.ECKA, the keys
    /// and expected receipt from `derive` (called with Z, the CRT, `dr`
    /// and the SIN), and the card's `receipt` compared in constant time.
    ///
    /// # Errors
    /// [`Error::FieldValue`] for a DR missing where the CRT asks for one
    /// (scenario parameter `02`) or given where it does not;
    /// [`Error::FieldLength`] for a receipt of the wrong size;
    /// [`Error::ReceiptMismatch`]; provider errors and those of `derive`.
    pub fn finish_with<T>(
        &self,
        dr: Option<&[u8]>,
        receipt: &[u8],
        derive: impl FnOnce(
            &SharedSecret,
            &KeyAgreementCrt,
            Option<&[u8]>,
            Option<&[u8]>,
        ) -> Result<(T, [u8; RECEIPT_LEN]), Error>,
    ) -> Result<T, Error> {
        let wants_dr = self.crt.parameters.contains(ScenarioParameters::INCLUDE_DR);
        if wants_dr != dr.is_some() {
            return Err(Error::FieldValue {
                what: "DR (present exactly when scenario parameter 02 is set)",
                offset: 0,
            });
        }
        let z = self.provider.agree(&self.esk, &self.pk_ecasd)?;
        let (keys, expected) = derive(&z, &self.crt, dr, self.sin.as_deref())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn party() -> OffCardParty {
        let ecasd = PrivateKey::from_bytes(&[0x0E; 32]).unwrap();
        let esk = PrivateKey::from_bytes(&[0x0F; 32]).unwrap();
        // An SCP03 key set CRT (AES-128, KVN 30) with scenario parameter
        // 02 (DR included).
        let crt = hex::decode("a61390020302950110800188810110820101830130").unwrap();
        let crt = KeyAgreementCrt::parse(&crt, 0).unwrap();
        OffCardParty::new(crt, esk, ecasd.public_key(), Some(b"SIN1")).unwrap()
    }

    fn never(
        _: &SharedSecret,
        _: &KeyAgreementCrt,
        _: Option<&[u8]>,
        _: Option<&[u8]>,
    ) -> Result<((), [u8; RECEIPT_LEN]), Error> {
        Err(Error::ReceiptMismatch)
    }

    /// A DR where none is due or none where one is, and a receipt of the
    /// wrong size, are refused before any comparison; the SIN is passed to
    /// the derivation; Debug shows no key.
    #[test]
    fn finish_checks() {
        let p = party();
        assert!(matches!(
            p.finish_with(None, &[0; 16], never),
            Err(Error::FieldValue { .. })
        ));
        let derive =
            |_: &SharedSecret, _: &KeyAgreementCrt, _: Option<&[u8]>, sin: Option<&[u8]>| {
                assert_eq!(sin, Some(&b"SIN1"[..]));
                Ok(((), [7; RECEIPT_LEN]))
            };
        assert!(matches!(
            p.finish_with(Some(&[1]), &[7; 15], derive),
            Err(Error::FieldLength { len: 15, .. })
        ));
        assert_eq!(
            p.finish_with(Some(&[1]), &[8; 16], derive),
            Err(Error::ReceiptMismatch)
        );
        assert_eq!(p.finish_with(Some(&[1]), &[7; 16], derive), Ok(()));
        let shown = alloc::format!("{p:?}");
        assert!(
            shown.contains("OffCardParty") && !shown.contains("esk"),
            "{shown}"
        );
    }
}
