//! SM-SR change on the card side of ES5 (GSMA SGP.02 §3.8): the ISD-R
//! key establishment SM-SR1 relays for SM-SR2 (ES5.EstablishISDRkeyset,
//! §4.1.1.7, carrying ES7.AuthenticateSMSR and
//! ES7.CreateAdditionalKeySet, §5.7) and ES5.FinaliseISDRhandover
//! (§4.1.1.9).
//!
//! The ISD-R variant is scenario #3 of the ISD-P key establishment
//! ([`crate::es8::establish`], [`crate::crypto::ecka`]) aimed at the
//! ISD-R: the certificate is SM-SR2's (`C8 01 02`) and the CRT asks for
//! an SCP80 key set (or an SCP81 PSK), see [`keys`].
//!
//! * [`relay`]: SM-SR1's commands and answer parsers;
//! * [`smsr2`]: SM-SR2's sans-IO side, private keys behind an
//!   [`EckaProvider`](crate::crypto::EckaProvider);
//! * [`finalise`]: the DELETE of SM-SR1's key sets.
//!
//! Errors are those of the scenario #3 layer, [`crate::es8::Error`].

pub mod finalise;
pub mod keys;
pub mod relay;
pub mod smsr2;

pub use finalise::{
    KeyRange, finalise_isdr_handover, parse_finalise_request, parse_finalise_response,
};
pub use keys::{IsdrKeySetRequest, IsdrKeySetType, IsdrKeys};
pub use relay::{CreateAdditionalKeySet, KeyAgreementAnswer};
pub use smsr2::SmSr2;
