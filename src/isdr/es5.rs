//! ES5 commands to the ISD-R (SGP.02 §4.1.1) and the ISD-P key
//! establishment relayed for the SM-DP (§4.1.3), as C-APDUs ready to go
//! into a TS 102 226 expanded remote command script
//! ([`remote`](crate::remote) `c_apdu`).
//!
//! Every builder here composes the GlobalPlatform builders of
//! [`apdu::gp`](crate::apdu::gp); this module only adds the SGP.02 data
//! (AIDs, DGIs, install parameters). Each returns an owned [`Capdu`].

use super::{Aid, Error, dgi};
use crate::apdu::gp::{
    Delete, Dgi, GetData, GetStatus, InstallForInstall, InstallForPersonalization, StoreData,
    StoreDataP1,
};
use crate::apdu::{Command, CommandApdu, Header};
use crate::tlv::{self, Encode, SliceBuffer, Tag};

/// An owned C-APDU (short form: at most 261 bytes).
pub type Capdu = CommandApdu<261>;

/// Privileges of an ISD-P: Security Domain, Trusted Path, Authorized
/// Management (GP §11.1.2; SGP.02 §4.1.1.1; whty, njiwa).
pub const ISDP_PRIVILEGES: [u8; 3] = [0x80, 0xC0, 0x00];

/// Install parameters `C9 04 81 02 03 70`: SCP03 with "i" = `70`
/// (SGP.02 §4.1.1.1 table 10; GP Amendment D §5.1; whty, njiwa).
pub const ISDP_INSTALL_PARAMETERS: [u8; 6] = [0xC9, 0x04, 0x81, 0x02, 0x03, 0x70];

const TAG_AID: Tag = Tag::new(0x4F);

fn finish<D: Encode>(cmd: Result<Command<D>, crate::apdu::Error>) -> Result<Capdu, Error> {
    Ok(cmd?.to_apdu()?)
}

/// ES5.CreateISDP (SGP.02 §4.1.1.1): INSTALL [for install and make
/// selectable] `80 E6 0C 00` of the ISD-P module `…0E00` from the load file
/// `…0D00` as `isd_p_aid`, privileges `80 C0 00`, install parameters
/// `C9 04 81 02 03 70`, and with `memory_quota` the system parameters
/// `EF { 83 <quota> }` (njiwa: tag `83`, value in 2 bytes, 4 bytes above
/// 65 535 — the width is UNCONFIRMED), empty token, no Le (as in the whty
/// vector, whose last `00` is the token length).
///
/// # Errors
/// [`Error::OutOfRange`] when `isd_p_aid` is not an ISD-P AID.
pub fn create_isdp(isd_p_aid: &Aid, memory_quota: Option<u32>) -> Result<Capdu, Error> {
    if !isd_p_aid.is_isd_p() {
        return Err(Error::OutOfRange {
            what: "ISD-P AID (SGP.02 prefix and TAR 000010..00FFFF)",
        });
    }
    let quota = memory_quota.map(|q| match u16::try_from(q) {
        Ok(small) => tlv::tlv(
            Tag::new(0xEF),
            tlv::tlv(Tag::new(0x83), QuotaBytes::Two(small)),
        ),
        Err(_) => tlv::tlv(
            Tag::new(0xEF),
            tlv::tlv(Tag::new(0x83), QuotaBytes::Four(q)),
        ),
    });
    let mut params = [0u8; 16];
    let params = (ISDP_INSTALL_PARAMETERS, quota).encode_to_slice(&mut params)?;
    let cmd = InstallForInstall::new(
        Aid::ISD_P_LOAD_FILE.as_bytes(),
        Aid::ISD_P_MODULE.as_bytes(),
        isd_p_aid.as_bytes(),
    )
    .privileges(&ISDP_PRIVILEGES)
    .parameters(params)
    .make_selectable(true)
    .command();
    finish(cmd)
}

#[derive(Debug, Clone, Copy)]
enum QuotaBytes {
    Two(u16),
    Four(u32),
}

impl Encode for QuotaBytes {
    fn encoded_len(&self) -> usize {
        match self {
            QuotaBytes::Two(_) => 2,
            QuotaBytes::Four(_) => 4,
        }
    }
    fn encode(&self, out: &mut dyn tlv::Buffer) -> Result<(), tlv::Error> {
        match self {
            QuotaBytes::Two(v) => out.put(&v.to_be_bytes()),
            QuotaBytes::Four(v) => out.put(&v.to_be_bytes()),
        }
    }
}

/// One STORE DATA (last block, DGI format, block 0) carrying `data`,
/// with `response` setting P1 b1 and Le `00`.
fn store_data_single(data: &[u8], response: bool) -> Result<Capdu, Error> {
    let p1 = if response {
        StoreDataP1(StoreDataP1::DGI.0 | StoreDataP1::RESPONSE_EXPECTED.0)
    } else {
        StoreDataP1::DGI
    };
    let mut blocks = StoreData::new(p1, data).blocks()?;
    let cmd = blocks.next().ok_or(Error::OutOfRange {
        what: "STORE DATA block",
    })?;
    if blocks.next().is_some() {
        return Err(Error::OutOfRange {
            what: "STORE DATA data (over 255 bytes)",
        });
    }
    if response {
        finish(cmd.with_le(256))
    } else {
        finish(Ok(cmd))
    }
}

/// STORE DATA `80 E2 88 00` with DGI `dgi` { `4F` <ISD-P AID> }.
fn isdp_dgi(dgi_tag: u16, isd_p_aid: &Aid) -> Result<Capdu, Error> {
    let mut buf = [0u8; 24];
    let data =
        Dgi::new(dgi_tag, tlv::tlv(TAG_AID, isd_p_aid.as_bytes())).encode_to_slice(&mut buf)?;
    store_data_single(data, false)
}

/// ES5.EnableProfile (SGP.02 §4.1.1.2): STORE DATA `80 E2 88 00`,
/// DGI `3A03` { `4F` <ISD-P AID> } (njiwa).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn enable_profile(isd_p_aid: &Aid) -> Result<Capdu, Error> {
    isdp_dgi(dgi::ENABLE_PROFILE, isd_p_aid)
}

/// ES5.DisableProfile (SGP.02 §4.1.1.3): STORE DATA `80 E2 88 00`,
/// DGI `3A04` { `4F` <ISD-P AID> } (njiwa).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn disable_profile(isd_p_aid: &Aid) -> Result<Capdu, Error> {
    isdp_dgi(dgi::DISABLE_PROFILE, isd_p_aid)
}

/// ES5.SetFallBackAttribute: STORE DATA `80 E2 88 00`, DGI `3A05`
/// { `4F` <ISD-P AID> } (whty `SetFallBackAttrApduHandler`; whty also
/// appends Le `00`, which is left out here as for the other `88`
/// commands).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn set_fallback_attribute(isd_p_aid: &Aid) -> Result<Capdu, Error> {
    isdp_dgi(dgi::SET_FALLBACK_ATTRIBUTE, isd_p_aid)
}

/// ES5.SetEmergencyProfileAttribute: STORE DATA `80 E2 88 00`, DGI
/// [`dgi::SET_EMERGENCY_PROFILE_ATTRIBUTE`] { `4F` <ISD-P AID> }.
/// UNCONFIRMED: the DGI value has no public source (see that constant).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn set_emergency_profile_attribute(isd_p_aid: &Aid) -> Result<Capdu, Error> {
    isdp_dgi(dgi::SET_EMERGENCY_PROFILE_ATTRIBUTE, isd_p_aid)
}

/// ES5.DeleteISDP (SGP.02 §4.1.1.4): GP DELETE `80 E4 00 80` `4F` <ISD-P
/// AID>, Le `00` — the ISD-P with its related objects (GP table 11-23;
/// njiwa writes P2 `40`).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn delete_isdp(isd_p_aid: &Aid) -> Result<Capdu, Error> {
    finish(Delete::object_and_related(isd_p_aid.as_bytes()).command())
}

/// ES5.MasterDelete: GP DELETE `80 E4 00 80` `4F` <ISD-P AID> ‖ `B6`
/// <control reference template> ‖ `9E` <delete token>, the token computed
/// by the SM-DP (GP token-based deletion, GP §C.4). UNCONFIRMED: inferred
/// from the whty ISD-P personalisation (token key, SDIN/SIN/provider id);
/// no public MasterDelete trace exists.
///
/// # Errors
/// Only on an internal encoding failure.
pub fn master_delete(isd_p_aid: &Aid, crt: &[u8], token: &[u8]) -> Result<Capdu, Error> {
    finish(
        Delete::object_and_related(isd_p_aid.as_bytes())
            .control_reference_template(crt)
            .token(token)
            .command(),
    )
}

/// ES5.HandleNotificationConfirmation (SGP.02 §4.1.1.12): STORE DATA
/// `80 E2 89 00 07` DGI `3A08` { `4E 02` <sequence number> }, Le `00`
/// (whty `ReceiveNotificationBySmsHandler`, njiwa).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn handle_notification_confirmation(sequence_number: u16) -> Result<Capdu, Error> {
    let mut buf = [0u8; 8];
    let data = Dgi::new(
        dgi::NOTIFICATION_CONFIRMATION,
        tlv::tlv(Tag::new(0x4E), sequence_number.to_be_bytes()),
    )
    .encode_to_slice(&mut buf)?;
    store_data_single(data, true)
}

/// ES3/ES5.UpdateConnectivityParameters (SGP.02 §4.1.3.4): STORE DATA
/// `80 E2 88 00`, DGI `3A07` { `parameters` } — the parameters are the
/// connectivity parameter TLVs, e.g. from [`sms_connectivity_parameters`].
/// whty sends it to the ISD-P inside its SCP03 session.
///
/// # Errors
/// [`Error::OutOfRange`] above one STORE DATA block.
pub fn update_connectivity_parameters(parameters: &[u8]) -> Result<Capdu, Error> {
    let mut buf = [0u8; 260];
    let data = Dgi::new(dgi::CONNECTIVITY_PARAMETERS, parameters).encode_to_slice(&mut buf)?;
    store_data_single(data, false)
}

/// ES5.UpdateSMSRAddressingParameters: STORE DATA `80 E2 88 00`, DGI
/// [`dgi::SMSR_ADDRESSING_PARAMETERS`] { `parameters` }. UNCONFIRMED DGI.
///
/// # Errors
/// [`Error::OutOfRange`] above one STORE DATA block.
pub fn update_smsr_addressing_parameters(parameters: &[u8]) -> Result<Capdu, Error> {
    let mut buf = [0u8; 260];
    let data = Dgi::new(dgi::SMSR_ADDRESSING_PARAMETERS, parameters).encode_to_slice(&mut buf)?;
    store_data_single(data, false)
}

/// The SMS connectivity parameters `A0 { 06 <TON/NPI 91> <SMSC address,
/// swapped BCD, F-padded> }` as built by whty for UpdateConnectivity-
/// Parameters. Writes into `out` and returns the written part.
///
/// # Errors
/// [`Error::OutOfRange`] for a non-digit or more than 20 digits; buffer
/// errors.
pub fn sms_connectivity_parameters<'b>(smsc: &str, out: &'b mut [u8]) -> Result<&'b [u8], Error> {
    let digits = smsc.as_bytes();
    if digits.is_empty() || digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Error::OutOfRange {
            what: "SMSC address (1 to 20 digits)",
        });
    }
    let mut addr = [0u8; 11];
    addr[0] = 0x91;
    for (i, pair) in digits.chunks(2).enumerate() {
        let lo = pair.first().map_or(0x0F, |d| d - b'0');
        let hi = pair.get(1).map_or(0x0F, |d| d - b'0');
        if let Some(b) = addr.get_mut(i + 1) {
            *b = (hi << 4) | lo;
        }
    }
    let n = 1 + digits.len().div_ceil(2);
    let value = addr.get(..n).unwrap_or_default();
    let mut w = SliceBuffer::new(out);
    tlv::tlv(Tag::new(0xA0), tlv::tlv(Tag::new(0x06), value)).encode(&mut w)?;
    Ok(w.into_written())
}

/// ES5.eUICCCapabilityAudit, first command: GET DATA `80 CA FF 21 00`
/// (Extended Card Resources Information; njiwa, pySim).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn audit_card_resources() -> Result<Capdu, Error> {
    finish(GetData::tag(0xFF21).command())
}

/// ES5.eUICCCapabilityAudit / AuditEIS: GET STATUS `80 F2 40 02` of the
/// ISD-P `isd_p_aid`, or with `None` of every application (`4F 00`); the
/// answer is a list of `'E3'` entries ([`audit::IsdpStatusList`](super::audit::IsdpStatusList)).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn audit_isdp_status(isd_p_aid: Option<&Aid>) -> Result<Capdu, Error> {
    let aid = isd_p_aid.map_or(&[][..], Aid::as_bytes);
    finish(GetStatus::new(GetStatus::APPLICATIONS).aid(aid).command())
}

/// GET DATA `80 CA 00 5A 00` for the EID, sent to the ECASD
/// (SGP.02 §2.2.2; answer parsed by [`Eid::from_get_data`](super::Eid::from_get_data)).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn get_eid() -> Result<Capdu, Error> {
    finish(GetData::tag(0x005A).command())
}

/// Key establishment step 0 (SGP.02 §4.1.3.1): INSTALL [for
/// personalization] `80 E6 20 00` of the ISD-P, so that the following
/// STORE DATA reach it.
///
/// # Errors
/// Only on an internal encoding failure.
pub fn install_for_personalization(isd_p_aid: &Aid) -> Result<Capdu, Error> {
    finish(InstallForPersonalization::new(isd_p_aid.as_bytes()).command())
}

/// Key establishment step 1 (scenario #3, GP Amendment E; SGP.02
/// §4.1.3.1): STORE DATA `80 E2 09 00` — DGI format, response expected,
/// not the last block — carrying DGI `3A01` { `certificate` } (the off-card
/// entity's `7F21` certificate), Le `00`. The eUICC answers `85` <random
/// challenge> ([`response::key_establishment_challenge`](super::response::key_establishment_challenge)).
/// njiwa writes the `3A01` length in BER form; here it follows the DGI
/// rule of the STORE DATA format.
///
/// # Errors
/// [`Error::OutOfRange`] when the DGI exceeds one 255-byte block.
pub fn key_establishment_certificate(certificate: &[u8]) -> Result<Capdu, Error> {
    let mut buf = [0u8; 260];
    let data = Dgi::new(dgi::CERTIFICATE, certificate).encode_to_slice(&mut buf)?;
    if data.len() > 255 {
        return Err(Error::OutOfRange {
            what: "certificate DGI (over 255 bytes)",
        });
    }
    let p1 = StoreDataP1::DGI.0 | StoreDataP1::RESPONSE_EXPECTED.0;
    let cmd = Command::with_data(Header::new(0x80, 0xE2, p1, 0x00), data)?.with_le(256);
    finish(cmd)
}

/// Key establishment step 2: STORE DATA `80 E2 89 01` — last block,
/// block 1, DGI format, response expected — carrying DGI `3A02`
/// { `crt` (the whole `A6` CRT) } ‖ DGI `7F49` { `ephemeral_public_key` }
/// ‖ DGI `5F37` { `signature` }, Le `00` (njiwa). The eUICC answers
/// `85` <DR> `86` <receipt> ([`response::key_agreement`](super::response::key_agreement)).
///
/// # Errors
/// [`Error::OutOfRange`] when the data exceed one 255-byte block.
pub fn key_establishment_key_agreement(
    crt: &[u8],
    ephemeral_public_key: &[u8],
    signature: &[u8],
) -> Result<Capdu, Error> {
    let mut buf = [0u8; 270];
    let data = (
        Dgi::new(dgi::KEY_AGREEMENT, crt),
        Dgi::new(dgi::PUBLIC_KEY, ephemeral_public_key),
        Dgi::new(dgi::SIGNATURE, signature),
    );
    if data.encoded_len() > 255 {
        return Err(Error::OutOfRange {
            what: "key agreement data (over 255 bytes)",
        });
    }
    let data = data.encode_to_slice(&mut buf)?;
    let p1 = StoreDataP1::LAST_BLOCK.0 | StoreDataP1::DGI.0 | StoreDataP1::RESPONSE_EXPECTED.0;
    let cmd = Command::with_data(Header::new(0x80, 0xE2, p1, 0x01), data)?.with_le(256);
    finish(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(c: &Capdu) -> heapless::String<600> {
        use core::fmt::Write;
        let mut s = heapless::String::new();
        for b in c.as_bytes() {
            write!(s, "{b:02X}").unwrap();
        }
        s
    }

    fn isdp(tar: u32) -> Aid {
        Aid::isd_p(super::super::Tar::from_value(tar)).unwrap()
    }

    /// whty HexTest.isdP (code index id 42197888474), ISD-P `…1300`.
    #[test]
    fn create_isdp_whty_vector() {
        assert_eq!(
            hex(&create_isdp(&isdp(0x13), None).unwrap()),
            "80E60C003F10A0000005591010FFFFFFFF8900000D0010A0000005591010FFFFFFFF8900000E0010A0000005591010FFFFFFFF89000013000380C00006C9048102037000"
        );
    }

    /// njiwa CreateISDPTransaction: `EF { 83 02 <quota> }` after `C9`.
    #[test]
    fn create_isdp_with_quota() {
        let c = create_isdp(&isdp(0x13), Some(0x8000)).unwrap();
        assert!(hex(&c).starts_with("80E60C0045"));
        assert!(hex(&c).ends_with("0380C0000CC90481020370EF048302800000"));
        let big = create_isdp(&isdp(0x13), Some(0x0001_0000)).unwrap();
        assert!(hex(&big).ends_with("0380C0000EC90481020370EF0683040001000000"));
        assert!(create_isdp(&Aid::ISD_R, None).is_err());
    }

    /// sgp02.md §1.2 (njiwa EnableProfileTransaction): ISD-P `…1000`.
    #[test]
    fn enable_disable_fallback() {
        assert_eq!(
            hex(&enable_profile(&isdp(0x10)).unwrap()),
            "80E28800153A03124F10A0000005591010FFFFFFFF8900001000"
        );
        assert_eq!(
            hex(&disable_profile(&isdp(0x10)).unwrap()),
            "80E28800153A04124F10A0000005591010FFFFFFFF8900001000"
        );
        // whty SetFallBackAttrApduHandler (id 42167015769), without its Le.
        assert_eq!(
            hex(&set_fallback_attribute(&isdp(0x10)).unwrap()),
            "80E28800153A05124F10A0000005591010FFFFFFFF8900001000"
        );
    }

    /// whty ReceiveNotificationBySmsHandler: "80E28900073A08044E02" + seq + "00".
    #[test]
    fn notification_confirmation_whty() {
        assert_eq!(
            hex(&handle_notification_confirmation(0x0102).unwrap()),
            "80E28900073A08044E02010200"
        );
    }

    /// whty ParametersApdu.cmdDataApdu input `0607913386994211F1` inside
    /// `A0`, DGI `3A07`, `80E28800` + length (code index id 41974641933).
    #[test]
    fn connectivity_whty() {
        let mut buf = [0u8; 32];
        let p = sms_connectivity_parameters("33689924111", &mut buf).unwrap();
        assert_eq!(
            p,
            [
                0xA0, 0x09, 0x06, 0x07, 0x91, 0x33, 0x86, 0x99, 0x42, 0x11, 0xF1
            ]
        );
        assert_eq!(
            hex(&update_connectivity_parameters(p).unwrap()),
            "80E288000E3A070BA0090607913386994211F1"
        );
        assert!(sms_connectivity_parameters("12a", &mut buf).is_err());
    }

    #[test]
    fn delete_audit_personalization() {
        assert_eq!(
            hex(&delete_isdp(&isdp(0x10)).unwrap()),
            "80E4008012 4F10A0000005591010FFFFFFFF890000100000"
                .replace(' ', "")
                .as_str()
        );
        assert_eq!(hex(&audit_card_resources().unwrap()), "80CAFF2100");
        assert_eq!(hex(&audit_isdp_status(None).unwrap()), "80F24002024F0000");
        assert_eq!(
            hex(&audit_isdp_status(Some(&isdp(0x10))).unwrap()),
            "80F24002124F10A0000005591010FFFFFFFF890000100000"
        );
        assert_eq!(hex(&get_eid().unwrap()), "80CA005A00");
        // njiwa ECKeyAgreementEG: 80 E6 20 00 with 00 00 10 <AID> 00 00 00.
        assert_eq!(
            hex(&install_for_personalization(&isdp(0x10)).unwrap()),
            "80E6200016000010A0000005591010FFFFFFFF8900001000000000"
        );
    }

    #[test]
    fn key_establishment() {
        let c = key_establishment_certificate(&[0x7F, 0x21, 0x01, 0x00]).unwrap();
        assert_eq!(hex(&c), "80E20900073A01047F21010000");
        let k = key_establishment_key_agreement(&[0xA6, 0x00], &[0x86, 0x00], &[0xAA]).unwrap();
        assert_eq!(
            hex(&k),
            "80E289010E3A0202A6007F4902860 05F3701AA00"
                .replace(' ', "")
                .as_str()
        );
        assert!(key_establishment_certificate(&[0u8; 253]).is_err());
    }
}
