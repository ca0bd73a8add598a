//! SCP03t: SCP03 (GlobalPlatform Card Specification v2.3 Amendment D)
//! applied to the TLV-carried commands that load a profile package into an
//! ISD-P (SGP.02 §4.1.3.3 / §5.4.4, ES8.DownloadAndInstallation; SGP.22
//! names the same protection "BSP", §2.6.4).
//!
//! * [`kdf`]: the Amendment D §4.1.5 key derivation; [`StaticKeys`]
//!   (Key-ENC, Key-MAC: AES-128, AES-192 or AES-256) and [`SessionKeys`]
//!   (S-ENC `04`, S-MAC `06`, S-RMAC `07`), the card and host cryptograms
//!   (`00`, `01`) and the pseudo-random card challenge (`02`).
//! * [`Session`]: C-MAC chaining, C-DECRYPTION with the counter ICV, R-MAC
//!   and R-ENCRYPTION, at a [`SecurityLevel`].
//! * The command TLVs ([`tag`]): `84` INITIALIZE UPDATE and `85` EXTERNAL
//!   AUTHENTICATE ([`InitializeUpdate`], [`InitializeUpdateResponse`],
//!   [`ExternalAuthenticate`]), `86` a segment of the profile package
//!   ([`segment`]); the card's error TLV `9F 4x` ([`CardError`]).
//! * Sans-IO state machines for both ends: [`Host`] (the SM-DP) and
//!   [`Card`] (the ISD-P).
//! * Every key operation runs through a crypto provider
//!   ([`crate::crypto::Scp03Provider`], default [`crate::crypto::Software`]):
//!   [`StaticKeys::with_provider`] takes key handles, the session keys are
//!   derived inside the provider and [`Session`], [`Host`] and [`Card`]
//!   hold handles only, so an HSM keeps every SCP03 key.
//!
//! What was checked, and where:
//! * Only S8 mode: SGP.02 fixes the i parameter to `70` (njiwa refuses any
//!   other value): `10` pseudo-random card challenge, `20` R-MAC, `40`
//!   R-ENCRYPTION support (as openjavacard-tools decodes i), b1 = 0 S8
//!   mode (GP Amendment D; the b1 position is UNCONFIRMED against a second
//!   public source). A response with b1 set (S16) is refused.
//! * `87` / `88` are not SGP.02 SCP03t commands: in SGP.22 BSP `87` is an
//!   enciphered + MACed TLV (ConfigureISDP, ReplaceSessionKeys) and `88` a
//!   MAC-only one (StoreMetadata); [`Session::wrap`] and
//!   [`Session::wrap_mac_only`] produce both (checked against pySim's BSP
//!   vectors) but the SGP.02 flow here uses `84`/`85`/`86` only.
//! * No SGP.02 segment size limit was found; njiwa cuts 512-octet plaintext
//!   chunks, SGP.22 §2.5.3 allows 1020 octets per TLV. The limit is the
//!   caller's ([`segment::SGP22_MAX_SEGMENT_LEN`] by default) and the card
//!   refuses a larger TLV.

mod apdu;
mod card;
mod command;
mod error;
mod host;
pub mod kdf;
mod level;
pub mod segment;
mod session;

pub use apdu::WrappedApdu;
pub use card::{Card, Step};
pub use command::{
    CardError, ExternalAuthenticate, InitializeUpdate, InitializeUpdateResponse, peek_tag, sw,
};
pub use error::{Error, ErrorKind};
pub use host::Host;
pub use kdf::{SessionKeys, StaticKeys};
pub use level::SecurityLevel;
pub use session::Session;

/// Length of a challenge and a cryptogram (S8 mode).
pub const CHALLENGE_LEN: usize = 8;

/// Length of a C-MAC or R-MAC (S8 mode).
pub const MAC_LEN: usize = 8;

/// The SCP03t command TLV tags (SGP.02 §4.1.3.3, as njiwa codes them).
pub mod tag {
    /// INITIALIZE UPDATE.
    pub const INITIALIZE_UPDATE: u8 = 0x84;
    /// EXTERNAL AUTHENTICATE.
    pub const EXTERNAL_AUTHENTICATE: u8 = 0x85;
    /// A segment of the profile package.
    pub const SEGMENT: u8 = 0x86;
    /// First octet of the card's error TLV `9F 4x`.
    pub const ERROR: u8 = 0x9F;
}
