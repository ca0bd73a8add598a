//! The DGIs of the ISD-R and ISD-P functions of SGP.02 (STORE DATA in DGI
//! format, GP Card Specification v2.3 §11.11), as named values of
//! [`Dgi`] (encoded with [`DgiRepr`](crate::apdu::gp::DgiRepr)).
//!
//! ```
//! use smsr::isdr::dgi::Dgi;
//! assert_eq!(Dgi::ENABLE_PROFILE, Dgi(0x3A03));
//! ```

pub use crate::apdu::gp::Dgi;

/// SGP.02 DGIs; defined here once and used by [`es5`](super::es5) and the
/// simulated card.
impl Dgi {
    /// Certificate of the off-card entity, key establishment (SGP.02
    /// §4.1.3.1; njiwa `ECKeyAgreementEG`).
    pub const CERTIFICATE: Dgi = Dgi(0x3A01);
    /// Key agreement: CRT `'A6'` (SGP.02 §4.1.3.1; njiwa).
    pub const KEY_AGREEMENT: Dgi = Dgi(0x3A02);
    /// ES5.EnableProfile (SGP.02 §4.1.1.2; njiwa).
    pub const ENABLE_PROFILE: Dgi = Dgi(0x3A03);
    /// ES5.DisableProfile (SGP.02 §4.1.1.3; njiwa).
    pub const DISABLE_PROFILE: Dgi = Dgi(0x3A04);
    /// ES5.SetFallBackAttribute (whty `SetFallBackAttrApduHandler`).
    pub const SET_FALLBACK_ATTRIBUTE: Dgi = Dgi(0x3A05);
    /// ES3/ES5.UpdateConnectivityParameters (SGP.02 §4.1.3.4; njiwa, whty),
    /// also ES5.UpdateSMSRAddressingParameters to the ISD-R (whty
    /// `UpdateSrAddressParaApduHandler`, template `A3`).
    pub const CONNECTIVITY_PARAMETERS: Dgi = Dgi(0x3A07);
    /// ES5.HandleNotificationConfirmation (SGP.02 §4.1.1.12; njiwa, whty).
    pub const NOTIFICATION_CONFIRMATION: Dgi = Dgi(0x3A08);
    /// ES5.SetEmergencyProfileAttribute. UNCONFIRMED: no public
    /// implementation was found (njiwa and whty predate the emergency
    /// profile); `3A09` is an assumption after the confirmed `3A03`..`3A08`.
    pub const SET_EMERGENCY_PROFILE_ATTRIBUTE: Dgi = Dgi(0x3A09);
    /// Ephemeral public key `7F49` in the key agreement data (SGP.02
    /// §4.1.3.1; GP Amd A/E).
    pub const PUBLIC_KEY: Dgi = Dgi(0x7F49);
    /// Signature `5F37` in the key agreement data (SGP.02 §4.1.3.1; GP
    /// Amd A/E).
    pub const SIGNATURE: Dgi = Dgi(0x5F37);
}
