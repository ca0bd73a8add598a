//! The HTTPS session trigger on the card side (GP Amendment B
//! administration session triggering parameters, pushed over SCP80 to the
//! ISD-R): what the eUICC reads from it ([`AdminSessionRequest`]). A leaf
//! module: the packet handling ([`super::Euicc`]) and the administration
//! session ([`super::admin`]) both use it, it uses neither.
//!
//! The trigger arrives as the SCP80 secured data itself, the `81` TLV
//! with nothing around it, as njiwa's `makeRAMHttpPushCommand` sends it,
//! or as the only item of a definite `AA` script (pysim_otaman's option);
//! which one SGP.02 mandates is UNCONFIRMED, so both are taken. Secured data that
//! starts with `81` but is no usable trigger (malformed, or naming a PSK
//! key the ISD-R does not hold) is run as a compact command list like any
//! other, so its PoR reports the failing C-APDU.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::config::{EuiccConfig, PskKey};
use crate::isdr::Aid;
use crate::scp81::http::AidBuf;
use crate::scp81::psk_id::{FORMAT_SGP02, PskIdentity};
use crate::scp81::trigger::TriggerParams;

/// "Open an administration session to this host with this PSK identity",
/// what the eUICC takes from a trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSessionRequest {
    /// The PSK identity to send in the TLS handshake (the trigger's `85`,
    /// else the SGP.02 identity text built from the EID and key).
    pub psk_identity: Vec<u8>,
    /// Key version number of the PSK key.
    pub kvn: u8,
    /// Key identifier of the PSK key.
    pub kid: u8,
    /// `Host` header (`8A`).
    pub host: Option<String>,
    /// `X-Admin-From` (`8B`).
    pub agent_id: Option<String>,
    /// Target of the first POST (`8C`, default `/`).
    pub uri: String,
    /// The OPEN CHANNEL parameters (`84`), raw, for the integrator's
    /// transport.
    pub connection: Vec<u8>,
    /// The server's address from `84`: the Other Address data object
    /// (TS 102 223 §8.58, tag `3E`/`BE`): type (`21` IPv4, `57` IPv6) and
    /// the address octets.
    pub address: Option<(u8, Vec<u8>)>,
    /// The port from `84`: the UICC/terminal interface transport level
    /// data object (TS 102 223 §8.59, tag `3C`/`BC`): protocol type (`01`
    /// UDP, `02` TCP client) and port.
    pub transport: Option<(u8, u16)>,
}

/// The COMPREHENSION-TLV data objects of `data` (TS 102 223 annex C: tag
/// octet with the comprehension-required bit b8, length in one octet or
/// `81 xx`); stops at the first malformed one.
fn ctlvs(mut data: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    core::iter::from_fn(move || {
        let (&tag, rest) = data.split_first()?;
        let (len, rest) = match rest.split_first()? {
            (0x81, r) => {
                let (&l, r) = r.split_first()?;
                (usize::from(l), r)
            }
            (&l, r) if l < 0x80 => (usize::from(l), r),
            _ => return None,
        };
        let (value, rest) = rest.split_at_checked(len)?;
        data = rest;
        Some((tag & 0x7F, value))
    })
}

/// The `81` TLV of a push: the secured data itself when it starts with
/// `81` (njiwa), or the single item of a definite `AA` script (the framing
/// a GP Amd B tool, pysim_otaman, offers; `scp81::push::PushFraming`).
pub(crate) fn trigger_tlv(payload: &[u8]) -> Option<&[u8]> {
    match payload.first()? {
        0x81 => Some(payload),
        0xAA => {
            let (t, _) = crate::tlv::Tlv::parse(payload).ok()?;
            let inner = t.value();
            let (item, rest) = crate::tlv::Tlv::parse(inner).ok()?;
            (item.tag().raw() == 0x81 && rest.is_empty()).then_some(inner)
        }
        _ => None,
    }
}

/// Reads a trigger for `config`'s ISD-R; `None` when `payload` is not a
/// well-formed trigger naming one of its PSK keys.
pub(crate) fn trigger(config: &EuiccConfig, payload: &[u8]) -> Option<AdminSessionRequest> {
    let t = TriggerParams::parse(payload).ok()?;
    let session = t.session.as_ref();
    let security = session.and_then(|s| s.security.as_ref());
    let key: &PskKey = match security {
        Some(s) => config
            .scp81
            .iter()
            .find(|k| k.kvn == s.kvn && k.kid == s.kid)?,
        None => config.scp81.first()?,
    };
    let psk_identity = match security {
        Some(s) => s.psk_identity.to_vec(),
        None => {
            let id = PskIdentity {
                format: FORMAT_SGP02,
                eid: *config.eid.as_bcd(),
                isd_r_aid: AidBuf::from_slice(Aid::ISD_R.as_bytes()).ok()?,
                key_id: key.kid,
                key_version: key.kvn,
            };
            id.to_text().ok()?.as_bytes().to_vec()
        }
    };
    let post = session.and_then(|s| s.http_post.as_ref());
    let connection = session.and_then(|s| s.connection).unwrap_or_default();
    let address = ctlvs(connection).find_map(|(t, v)| match (t, v) {
        (0x3E, [kind, addr @ ..]) => Some((*kind, addr.to_vec())),
        _ => None,
    });
    let transport = ctlvs(connection).find_map(|(t, v)| match (t, v) {
        (0x3C, [kind, hi, lo]) => Some((*kind, u16::from_be_bytes([*hi, *lo]))),
        _ => None,
    });
    Some(AdminSessionRequest {
        psk_identity,
        kvn: key.kvn,
        kid: key.kid,
        host: post.and_then(|p| p.host).map(ToString::to_string),
        agent_id: post.and_then(|p| p.agent_id).map(ToString::to_string),
        uri: post.and_then(|p| p.uri).unwrap_or("/").to_string(),
        connection: connection.to_vec(),
        address,
        transport,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comprehension_tlvs() {
        // Tag 3C with the comprehension-required bit (BC), a long length.
        let long = [
            &[0x47, 0x81, 0x80][..],
            &[0x41; 0x80],
            &[0xBC, 0x03, 0x01, 0x04, 0x00],
        ]
        .concat();
        let got: Vec<_> = ctlvs(&long).map(|(t, v)| (t, v.len())).collect();
        assert_eq!(got, [(0x47, 0x80), (0x3C, 3)]);
        assert_eq!(ctlvs(&[0x3C, 0x05, 0x01]).count(), 0);
        assert_eq!(ctlvs(&[0x3C, 0x82, 0x00, 0x01, 0x00]).count(), 0);
    }
}
