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
use crate::scp81::trigger::{OtherAddress, TriggerParams};

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
    /// transport (read them with
    /// [`ConnectionParams::parse`](crate::scp81::trigger::ConnectionParams::parse));
    /// empty without `84`.
    pub connection: Vec<u8>,
    /// The server's address from `84`: the data destination address, an
    /// Other Address data object after the transport level (TS 102 223
    /// §8.58, §6.6.27): type (`21` IPv4, `57` IPv6) and the address octets.
    pub address: Option<(u8, Vec<u8>)>,
    /// The port from `84`: the UICC/terminal interface transport level
    /// data object (TS 102 223 §8.59, tag `3C`/`BC`): protocol type (`01`
    /// UDP, `02` TCP client) and port.
    pub transport: Option<(u8, u16)>,
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
    let params = session
        .map(|s| s.connection_params())
        .transpose()
        .ok()?
        .flatten();
    let address = params
        .and_then(|c| c.destination)
        .and_then(|d| match d.value {
            OtherAddress::Dynamic => None,
            OtherAddress::Ipv4(ip) => Some((0x21, ip.octets().to_vec())),
            OtherAddress::Ipv6(ip) => Some((0x57, ip.octets().to_vec())),
            OtherAddress::Unknown {
                address_type,
                address,
            } => Some((address_type.0, address.to_vec())),
        });
    let transport = params
        .and_then(|c| c.transport)
        .map(|t| (t.value.protocol.0, t.value.port));
    Some(AdminSessionRequest {
        psk_identity,
        kvn: key.kvn,
        kid: key.kid,
        host: post.and_then(|p| p.host).map(ToString::to_string),
        agent_id: post.and_then(|p| p.agent_id).map(ToString::to_string),
        uri: post.and_then(|p| p.uri).unwrap_or("/").to_string(),
        connection: session
            .and_then(|s| s.connection)
            .map_or_else(Vec::new, <[u8]>::to_vec),
        address,
        transport,
    })
}
