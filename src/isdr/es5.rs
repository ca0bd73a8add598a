//! ES5 commands to the ISD-R (SGP.02 §4.1.1) and the ISD-P key
//! establishment relayed for the SM-DP (§4.1.3), as C-APDUs ready to go
//! into a TS 102 226 expanded remote command script
//! ([`remote`](crate::remote) `c_apdu`).
//!
//! Every builder here composes the GlobalPlatform builders of
//! [`apdu::gp`](crate::apdu::gp); this module only adds the SGP.02 data
//! (AIDs, DGIs, install parameters). Each returns an owned [`Capdu`].

use super::{Aid, Error};
use crate::apdu::gp::{
    Dgi, DgiRepr, GetData, GetStatus, InstallForInstall, InstallForPersonalization, StoreData,
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
/// 65 535 — the width is UNCONFIRMED), empty token, no Le: as in the
/// whty `HexTest` vector, whose last `00` is the token length (whty's
/// `CreateISDPApduHandler` appends a further Le `00`; GP lists Le as
/// optional here).
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

/// STORE DATA `80 E2 88 00` with DGI `dgi` { `4F` `<ISD-P AID>` }.
fn isdp_dgi(dgi: Dgi, isd_p_aid: &Aid) -> Result<Capdu, Error> {
    let mut buf = [0u8; 24];
    let data =
        DgiRepr::new(dgi, tlv::tlv(TAG_AID, isd_p_aid.as_bytes())).encode_to_slice(&mut buf)?;
    store_data_single(data, false)
}

/// ES5.EnableProfile (SGP.02 §4.1.1.2): STORE DATA `80 E2 88 00`,
/// DGI `3A03` { `4F` `<ISD-P AID>` } (njiwa).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn enable_profile(isd_p_aid: &Aid) -> Result<Capdu, Error> {
    isdp_dgi(Dgi::ENABLE_PROFILE, isd_p_aid)
}

/// ES5.DisableProfile (SGP.02 §4.1.1.3): STORE DATA `80 E2 88 00`,
/// DGI `3A04` { `4F` `<ISD-P AID>` } (njiwa).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn disable_profile(isd_p_aid: &Aid) -> Result<Capdu, Error> {
    isdp_dgi(Dgi::DISABLE_PROFILE, isd_p_aid)
}

/// ES5.SetFallBackAttribute: STORE DATA `80 E2 88 00`, DGI `3A05`
/// { `4F` `<ISD-P AID>` } (whty `SetFallBackAttrApduHandler`; whty also
/// appends Le `00`, which is left out here as for the other `88`
/// commands).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn set_fallback_attribute(isd_p_aid: &Aid) -> Result<Capdu, Error> {
    isdp_dgi(Dgi::SET_FALLBACK_ATTRIBUTE, isd_p_aid)
}

/// ES5.SetEmergencyProfileAttribute: STORE DATA `80 E2 88 00`, DGI
/// [`Dgi::SET_EMERGENCY_PROFILE_ATTRIBUTE`] { `4F` `<ISD-P AID>` }.
/// UNCONFIRMED: the DGI value has no public source (see that constant).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn set_emergency_profile_attribute(isd_p_aid: &Aid) -> Result<Capdu, Error> {
    isdp_dgi(Dgi::SET_EMERGENCY_PROFILE_ATTRIBUTE, isd_p_aid)
}

/// P2 of the SGP.02 DELETE: `40`, in both njiwa (DeleteProfileTransaction)
/// and whty (DeleteProfileApduHandler, MasterDeleteApduHandler) — not the
/// `80` of GP table 11-23, so [`apdu::gp::Delete`](crate::apdu::gp::Delete)
/// (P2 `00`/`80`) cannot be used.
pub const DELETE_P2: u8 = 0x40;

/// ES5.DeleteISDP (SGP.02 §4.1.1.4): DELETE `80 E4 00 40` `4F <ISD-P AID>`,
/// Le `00` (whty: `80E4004012 4F10… 00`; njiwa: P2 `40`). The ISD-R
/// answers `6985` when the profile is enabled or has the fall-back
/// attribute and `69E1` when its POL1 forbids deletion (whty).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn delete_isdp(isd_p_aid: &Aid) -> Result<Capdu, Error> {
    let header = Header::new(0x80, crate::apdu::gp::ins::DELETE, 0x00, DELETE_P2);
    finish(
        Command::with_data(header, tlv::tlv(TAG_AID, isd_p_aid.as_bytes()))
            .and_then(|c| c.with_le(256)),
    )
}

/// The value of the `'B6'` control reference template of a delete token
/// (GP Card Specification §11.2.2.2, table 11-25; whty MasterDelete): `42`
/// ISD-P SIN, `45` ISD-P SDIN, `5F20` application provider identifier,
/// `93` token identifier, written into `out`.
///
/// # Errors
/// TLV errors (buffer too small).
pub fn delete_token_crt<'b>(
    sin: &[u8],
    sdin: &[u8],
    provider_id: &[u8],
    token_id: &[u8],
    out: &'b mut [u8],
) -> Result<&'b [u8], Error> {
    Ok((
        tlv::tlv(Tag::new(0x42), sin),
        tlv::tlv(Tag::new(0x45), sdin),
        tlv::tlv(Tag::new(0x5F20), provider_id),
        tlv::tlv(Tag::new(0x93), token_id),
    )
        .encode_to_slice(out)?)
}

/// The bytes the delete token of ES5.MasterDelete is computed over:
/// P1 `00` ‖ P2 `40` ‖ length ‖ `4F <ISD-P AID>` ‖ `B6 <crt>` (GP delete
/// token; whty MasterDeleteApduHandler MACs them with AES-CMAC under the
/// token key), written into `out`.
///
/// # Errors
/// [`Error::OutOfRange`] when the data exceed 255 bytes; TLV errors.
pub fn master_delete_token_input<'b>(
    isd_p_aid: &Aid,
    crt: &[u8],
    out: &'b mut [u8],
) -> Result<&'b [u8], Error> {
    let data = (
        tlv::tlv(TAG_AID, isd_p_aid.as_bytes()),
        tlv::tlv(Tag::new(0xB6), crt),
    );
    let n = u8::try_from(data.encoded_len()).map_err(|_| Error::OutOfRange {
        what: "MasterDelete data (over 255 bytes)",
    })?;
    Ok(([0x00, DELETE_P2, n], data).encode_to_slice(out)?)
}

/// ES5.MasterDelete: DELETE `80 E4 00 40` `4F <ISD-P AID>` ‖ `B6 <crt>` ‖
/// `9E <token>`, Le `00` (whty MasterDeleteApduHandler). The token is
/// computed by the SM-DP over [`master_delete_token_input`]; `crt` is the
/// value from [`delete_token_crt`].
///
/// # Errors
/// [`Error::OutOfRange`] when the data exceed one short APDU.
pub fn master_delete(isd_p_aid: &Aid, crt: &[u8], token: &[u8]) -> Result<Capdu, Error> {
    let header = Header::new(0x80, crate::apdu::gp::ins::DELETE, 0x00, DELETE_P2);
    let data = (
        tlv::tlv(TAG_AID, isd_p_aid.as_bytes()),
        tlv::tlv(Tag::new(0xB6), crt),
        tlv::tlv(Tag::new(0x9E), token),
    );
    if data.encoded_len() > 255 {
        return Err(Error::OutOfRange {
            what: "MasterDelete data (over 255 bytes)",
        });
    }
    finish(Command::with_data(header, data).and_then(|c| c.with_le(256)))
}

/// ES5.HandleNotificationConfirmation (SGP.02 §4.1.1.12): STORE DATA
/// `80 E2 89 00 07` DGI `3A08` { `4E 02` `<sequence number>` }, Le `00`
/// (whty `ReceiveNotificationBySmsHandler`, njiwa).
///
/// # Errors
/// Only on an internal encoding failure.
pub fn handle_notification_confirmation(sequence_number: u16) -> Result<Capdu, Error> {
    let mut buf = [0u8; 8];
    let data = DgiRepr::new(
        Dgi::NOTIFICATION_CONFIRMATION,
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
    let data = DgiRepr::new(Dgi::CONNECTIVITY_PARAMETERS, parameters).encode_to_slice(&mut buf)?;
    store_data_single(data, false)
}

/// ES5.UpdateSMSRAddressingParameters: STORE DATA `80 E2 88 00` to the
/// ISD-R, DGI `3A07` { `parameters` }, no Le — the same DGI as the
/// connectivity parameters, with the SM-SR addressing template `A3`
/// (whty `UpdateSrAddressParaApduHandler`; e.g. from
/// [`smsr_sms_addressing_parameters`]).
///
/// # Errors
/// [`Error::OutOfRange`] above one STORE DATA block.
pub fn update_smsr_addressing_parameters(parameters: &[u8]) -> Result<Capdu, Error> {
    update_connectivity_parameters(parameters)
}

/// Swapped-BCD digits (`F`-padded) of `digits` into `out`; `None` on a
/// non-digit or when `out` is too small.
fn swapped_bcd(digits: &[u8], out: &mut [u8]) -> Option<usize> {
    let n = digits.len().div_ceil(2);
    for (i, pair) in digits.chunks(2).enumerate() {
        let d = |c: Option<&u8>| match c {
            None => Some(0x0F),
            Some(c) if c.is_ascii_digit() => Some(c - b'0'),
            Some(_) => None,
        };
        *out.get_mut(i)? = (d(pair.get(1))? << 4) | d(pair.first())?;
    }
    Some(n)
}

/// The SM-SR SMS addressing parameters `A3 { 81 <address> }`, the address
/// being its length in bytes ‖ `ton_npi` ‖ the swapped-BCD digits, as the
/// whty SM-SR builds them (it writes TON/NPI `85`). UNCONFIRMED against the
/// SGP.02 table: single source. Writes into `out`.
///
/// # Errors
/// [`Error::OutOfRange`] for a non-digit or more than 20 digits; buffer
/// errors.
pub fn smsr_sms_addressing_parameters<'b>(
    ton_npi: u8,
    digits: &str,
    out: &'b mut [u8],
) -> Result<&'b [u8], Error> {
    let bad = Error::OutOfRange {
        what: "SM-SR SMS address (1 to 20 digits)",
    };
    let d = digits.as_bytes();
    if d.is_empty() || d.len() > 20 {
        return Err(bad);
    }
    let mut addr = [0u8; 12];
    let [count, ton, bcd @ ..] = &mut addr;
    let n = swapped_bcd(d, bcd).ok_or(bad)?;
    *count = n as u8;
    *ton = ton_npi;
    let value = addr.get(..n + 2).ok_or(bad)?;
    let mut w = SliceBuffer::new(out);
    tlv::tlv(Tag::new(0xA3), tlv::tlv(Tag::new(0x81), value)).encode(&mut w)?;
    Ok(w.into_written())
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
    let bad = Error::OutOfRange {
        what: "SMSC address (1 to 20 digits)",
    };
    let mut addr = [0u8; 11];
    let [ton, bcd @ ..] = &mut addr;
    *ton = 0x91;
    let n = 1 + swapped_bcd(digits, bcd).ok_or(bad)?;
    let value = addr.get(..n).ok_or(bad)?;
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
/// entity's `7F21` certificate), Le `00`. The eUICC answers
/// `85 <random challenge>` ([`response::key_establishment_challenge`](super::response::key_establishment_challenge)).
/// njiwa writes the `3A01` length in BER form; here it follows the DGI
/// rule of the STORE DATA format.
///
/// # Errors
/// [`Error::OutOfRange`] when the DGI exceeds one 255-byte block.
pub fn key_establishment_certificate(certificate: &[u8]) -> Result<Capdu, Error> {
    let mut buf = [0u8; 260];
    let data = DgiRepr::new(Dgi::CERTIFICATE, certificate).encode_to_slice(&mut buf)?;
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
/// `85` `<DR>` `86` `<receipt>` ([`response::key_agreement`](super::response::key_agreement)).
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
        DgiRepr::new(Dgi::KEY_AGREEMENT, crt),
        DgiRepr::new(Dgi::PUBLIC_KEY, ephemeral_public_key),
        DgiRepr::new(Dgi::SIGNATURE, signature),
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

    /// whty UpdateSrAddressParaApduHandler: `80E28800` + LV(3A07 { A3 { 81
    /// { len, 85, swapped digits } } }), no Le; digits "8613800000" here.
    #[test]
    fn smsr_addressing_whty_layout() {
        let mut buf = [0u8; 32];
        let p = smsr_sms_addressing_parameters(0x85, "8613800000", &mut buf).unwrap();
        assert_eq!(
            p,
            [
                0xA3, 0x09, 0x81, 0x07, 0x05, 0x85, 0x68, 0x31, 0x08, 0x00, 0x00
            ]
        );
        assert_eq!(
            hex(&update_smsr_addressing_parameters(p).unwrap()),
            "80E288000E3A070BA309810705856831080000"
        );
        assert!(smsr_sms_addressing_parameters(0x85, "", &mut buf).is_err());
        assert!(smsr_sms_addressing_parameters(0x85, "12#", &mut buf).is_err());
    }

    #[test]
    fn delete_audit_personalization() {
        assert_eq!(
            hex(&delete_isdp(&isdp(0x10)).unwrap()),
            // whty DeleteProfileApduHandler: 80 E4 00 40, Lc 12, 4F10 <AID>, Le 00.
            "80E40040124F10A0000005591010FFFFFFFF890000100000"
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

    /// whty MasterDeleteApduHandler layout: 4F ‖ B6 {42, 45, 5F20, 93} ‖ 9E, Le.
    #[test]
    fn master_delete_whty_layout() {
        let mut crt = [0u8; 32];
        let crt = delete_token_crt(&[0x11], &[0x22, 0x22], &[0x33], &[0x44], &mut crt).unwrap();
        assert_eq!(
            crt,
            [
                0x42, 0x01, 0x11, 0x45, 0x02, 0x22, 0x22, 0x5F, 0x20, 0x01, 0x33, 0x93, 0x01, 0x44
            ]
        );
        let mut input = [0u8; 64];
        let input = master_delete_token_input(&isdp(0x10), crt, &mut input).unwrap();
        assert_eq!(&input[..5], &[0x00, 0x40, 0x22, 0x4F, 0x10]);
        assert_eq!(input.len(), 3 + 0x22);
        let c = master_delete(&isdp(0x10), crt, &[0xAB; 16]).unwrap();
        let h = hex(&c);
        assert!(h.starts_with("80E40040344F10A0000005591010FFFFFFFF8900001000B60E42011145"));
        assert!(h.ends_with("9E10ABABABABABABABABABABABABABABABAB00"));
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
