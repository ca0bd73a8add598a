//! The tags of ES8 key establishment and of the SGP.02 certificates
//! (SGP.02 §2.3.2 / §4.1.3.1, GP Card Specification Amendment E; njiwa
//! `ECKeyAgreementEG` and `Utils.ECC` as a second reading), defined once.

use crate::tlv::Tag;

/// Certificate (GP Amd E; SGP.02 §2.3.2).
pub const CERTIFICATE: Tag = Tag::new(0x7F21);
/// Certificate serial number.
pub const SERIAL: Tag = Tag::new(0x93);
/// CA identifier (issuer).
pub const CA_ID: Tag = Tag::new(0x42);
/// Subject identifier.
pub const SUBJECT_ID: Tag = Tag::new(0x5F20);
/// Key usage (certificate) / key usage qualifier (CRT).
pub const KEY_USAGE: Tag = Tag::new(0x95);
/// Effective date, YYYYMMDD in BCD (optional).
pub const EFFECTIVE_DATE: Tag = Tag::new(0x5F25);
/// Expiration date, YYYYMMDD in BCD.
pub const EXPIRATION_DATE: Tag = Tag::new(0x5F24);
/// Discretionary data (SGP.02 v3.1 table 76: `C8` certificate type, …).
pub const DISCRETIONARY_DATA: Tag = Tag::new(0x73);
/// Public key data object.
pub const PUBLIC_KEY: Tag = Tag::new(0x7F49);
/// The point `04 ‖ X ‖ Y` inside `7F49`.
pub const PUBLIC_KEY_Q: Tag = Tag::new(0xB0);
/// The key parameter reference (curve) inside `7F49`.
pub const KEY_PARAMETER_REFERENCE: Tag = Tag::new(0xF0);
/// Signature `r ‖ s`.
pub const SIGNATURE: Tag = Tag::new(0x5F37);
/// Control reference template for key agreement (CRT, ISO 7816-8).
pub const CRT_KEY_AGREEMENT: Tag = Tag::new(0xA6);
/// Scenario identifier and parameters, inside `A6`.
pub const SCENARIO: Tag = Tag::new(0x90);
/// Key access, inside `A6`.
pub const KEY_ACCESS: Tag = Tag::new(0x96);
/// Key type, inside `A6`.
pub const KEY_TYPE: Tag = Tag::new(0x80);
/// Key length, inside `A6`.
pub const KEY_LENGTH: Tag = Tag::new(0x81);
/// Key identifier, inside `A6`.
pub const KEY_ID: Tag = Tag::new(0x82);
/// Key version number, inside `A6`.
pub const KEY_VERSION: Tag = Tag::new(0x83);
/// Initial sequence counter, inside `A6`.
pub const INITIAL_COUNTER: Tag = Tag::new(0x91);
/// Security Domain Image Number, inside `A6`.
pub const SDIN: Tag = Tag::new(0x45);
/// HostID, inside `A6`.
pub const HOST_ID: Tag = Tag::new(0x84);
/// Random challenge (card → SM-DP) and derivation random DR.
pub const RANDOM: Tag = Tag::new(0x85);
/// Receipt.
pub const RECEIPT: Tag = Tag::new(0x86);
