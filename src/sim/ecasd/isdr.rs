//! The ECASD's part in an SM-SR change (SGP.02 §3.8 steps 10-21): the key
//! agreement for the ISD-R after SM-SR2's certificate (`C8 01 02`) was
//! verified against the CI. The signature over DGI `3A02` ‖ DGI `7F49` ‖
//! DGI `0085` { challenge } is checked with PK.SR.ECDSA, the CRT must ask
//! for an ISD-R key set ([`handover::keys`]: SCP80, or an SCP81 PSK), the
//! keys come from [`handover::keys::derive`] and wait for the ISD-R
//! ([`Ecasd::take_isdr_keys`]). Refusals as for an ISD-P (module
//! [`super`]): `6982` a signature that does not verify, `6A80` anything
//! malformed or a CRT for another key set.

use alloc::vec::Vec;

use super::{Agreed, Ecasd, Pending, encode};
use crate::apdu::StatusWord;
use crate::es8::crt::ScenarioParameters;
use crate::es8::tags;
use crate::isdr::handover::{self, IsdrKeys};
use crate::tlv;

impl Ecasd {
    pub(super) fn isdr_key_agreement(
        &mut self,
        p: &Pending,
        data: &[u8],
    ) -> Result<Vec<u8>, StatusWord> {
        let Agreed { ka, dr, z } = self.agree(p, data)?;
        let sin = ka.crt.sdin.as_ref().map(|_| self.sin.as_slice());
        let (keys, receipt) = handover::keys::derive(&z, &ka.crt, dr.as_ref().map(|d| &d[..]), sin)
            .map_err(|_| StatusWord::INCORRECT_DATA)?;
        let answer = encode((
            dr.as_ref().map(|dr| tlv::tlv(tags::RANDOM, *dr)),
            tlv::tlv(tags::RECEIPT, receipt),
        ))?;
        self.isdr_keys.push((keys, ka.crt.parameters));
        Ok(answer)
    }

    /// The ISD-R keys derived since the last call, for the ISD-R to
    /// install (the ECASD keeps no copy).
    pub fn take_isdr_keys(&mut self) -> Vec<IsdrKeys> {
        self.take_isdr_establishments()
            .into_iter()
            .map(|(keys, _)| keys)
            .collect()
    }

    /// As [`Ecasd::take_isdr_keys`], each with the scenario parameters of
    /// its CRT (the ISD-R honours [`ScenarioParameters::DELETE_KEYS`]).
    pub fn take_isdr_establishments(&mut self) -> Vec<(IsdrKeys, ScenarioParameters)> {
        core::mem::take(&mut self.isdr_keys)
    }
}
