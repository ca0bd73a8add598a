//! SCP81 on the card side: the HTTPS session trigger (GP Amendment B
//! administration session triggering parameters, pushed over SCP80 to the
//! ISD-R) and the administration session that then runs scripts against
//! the same ISD-R model ([`CardSession`]).
//!
//! The trigger arrives as the SCP80 secured data itself, the `81` TLV
//! with nothing around it, as njiwa's `makeRAMHttpPushCommand` sends it,
//! or as the only item of a definite `AA` script (pysim_otaman's option);
//! which one SGP.02 mandates is UNCONFIRMED, so both are taken. Secured data that
//! starts with `81` but is no usable trigger (malformed, or naming a PSK
//! key the ISD-R does not hold) is run as a compact command list like any
//! other, so its PoR reports the failing C-APDU. TLS is the
//! integrator's: the simulator says which host, which PSK identity and
//! which key ([`AdminSessionRequest`]); the HTTP bytes inside the TLS
//! tunnel go through [`Euicc::admin_transmit`] / [`Euicc::admin_receive`].

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use super::card::{Card, Target};
use super::config::{EuiccConfig, PskKey};
use super::euicc::Euicc;
use super::faults::{Fault, Stage};
use super::{Error, script};
use crate::isdr::Aid;
use crate::scp81::card::{CardConfig, CardSession, ScriptExecutor};
use crate::scp81::http::{AidBuf, ScriptStatus};
use crate::scp81::psk_id::{FORMAT_SGP02, PskIdentity};
use crate::scp81::server::{EndReason, UriBuf};
use crate::scp81::trigger::{OtherAddress, TriggerParams};

/// Size of the session's receive and send buffers.
const SESSION_BUFFER: usize = 64 * 1024;

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

/// What an administration session did with the bytes it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminProgress {
    /// Waiting for more bytes, or a POST is due.
    Continue,
    /// The connection broke while a script arrived (injected fault): the
    /// script was not run; reconnect and call [`Euicc::admin_transmit`],
    /// which repeats the last POST with `X-Admin-Resume: true`.
    ConnectionLost,
    /// The session is over.
    Ended(EndReason),
}

/// One administration session of the simulated eUICC.
pub struct AdminSession {
    session: CardSession<Vec<u8>>,
    /// The request it was opened for.
    pub request: AdminSessionRequest,
}

impl core::fmt::Debug for AdminSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AdminSession")
            .field("request", &self.request)
            .field("ended", &self.session.is_ended())
            .finish_non_exhaustive()
    }
}

/// Runs scripts for the card session against the ISD-R model.
struct Executor<'a> {
    card: &'a mut Card,
}

impl ScriptExecutor for Executor<'_> {
    fn execute(
        &mut self,
        target: Option<&[u8]>,
        script_bytes: &[u8],
        response: &mut [u8],
    ) -> (ScriptStatus, usize) {
        let target = match target.map(Aid::new) {
            None => Target::IsdR,
            Some(Ok(a)) if a == Aid::ISD_R => Target::IsdR,
            Some(Ok(a)) if a == Aid::ECASD => Target::Ecasd,
            Some(Ok(a)) if self.card.profile(&a).is_some() => Target::Isdp(a),
            Some(_) => return (ScriptStatus::UnknownApplication, 0),
        };
        if !script::is_expanded(script_bytes) {
            return (ScriptStatus::ScriptFormatError, 0);
        }
        let chain = script::chaining(script_bytes);
        let card = &mut *self.card;
        if !chain.continues {
            card.start_session();
        }
        let mut exec = |apdu: &[u8]| card.execute(target, apdu);
        let out = script::run_expanded(script_bytes, &mut exec);
        if !chain.keeps {
            self.card.start_session();
        }
        let Some(out) = out else {
            return (ScriptStatus::ScriptFormatError, 0);
        };
        match response.get_mut(..out.len()) {
            Some(dst) => {
                dst.copy_from_slice(&out);
                (ScriptStatus::Ok, out.len())
            }
            None => (ScriptStatus::ScriptFormatError, 0),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Euicc {
    /// The PSK key `kvn` / `kid`, for the integrator's TLS stack.
    #[must_use]
    pub fn psk(&self, kvn: u8, kid: u8) -> Option<&PskKey> {
        self.config
            .scp81
            .iter()
            .find(|k| k.kvn == kvn && k.kid == kid)
    }

    /// Opens the administration session `request` asks for (after the
    /// integrator's PSK-TLS handshake succeeded).
    ///
    /// # Errors
    /// [`Error::Session`] when the request names an unknown key or its URI
    /// is too long.
    pub fn open_admin_session(
        &mut self,
        request: AdminSessionRequest,
    ) -> Result<AdminSession, Error> {
        if self.psk(request.kvn, request.kid).is_none() {
            return Err(Error::Session("unknown PSK key"));
        }
        let uri = UriBuf::try_from(request.uri.as_str())
            .map_err(|_| Error::Session("admin URI too long"))?;
        let mut config = CardConfig::new(uri);
        config.host = match &request.host {
            Some(h) => Some(
                h.as_str()
                    .try_into()
                    .map_err(|_| Error::Session("host too long"))?,
            ),
            None => None,
        };
        config.agent_id = match &request.agent_id {
            Some(a) => Some(
                a.as_str()
                    .try_into()
                    .map_err(|_| Error::Session("agent id too long"))?,
            ),
            None => None,
        };
        self.card.start_session();
        Ok(AdminSession {
            session: CardSession::new(
                config,
                alloc::vec![0; SESSION_BUFFER],
                alloc::vec![0; SESSION_BUFFER],
            ),
            request,
        })
    }

    /// The HTTP request the card sends now, if one is due.
    ///
    /// # Errors
    /// [`Error::Session`] when the request cannot be written.
    pub fn admin_transmit(
        &mut self,
        session: &mut AdminSession,
        now: Duration,
    ) -> Result<Option<Vec<u8>>, Error> {
        let mut out = alloc::vec![0u8; session.session.transmit_len()];
        match session.session.poll_transmit(&mut out, now) {
            Ok(Some(n)) => {
                out.truncate(n);
                Ok(Some(out))
            }
            Ok(None) => Ok(None),
            Err(_) => Err(Error::Session("request does not fit")),
        }
    }

    /// Bytes from the server (inside TLS). A complete response runs its
    /// script against the ISD-R model; notifications it causes are queued
    /// as SMS.
    ///
    /// # Errors
    /// [`Error::Session`] once the session is over.
    pub fn admin_receive(
        &mut self,
        session: &mut AdminSession,
        data: &[u8],
        now: Duration,
    ) -> Result<AdminProgress, Error> {
        if session.session.is_ended() {
            return Err(Error::Session("session over"));
        }
        if !data.is_empty() && self.faults.draw(Stage::Session) == Some(Fault::LoseConnection) {
            let half = data.get(..data.len() / 2).unwrap_or_default();
            let mut exec = Executor {
                card: &mut self.card,
            };
            session
                .session
                .handle_input(half, now, &mut exec)
                .map_err(|_| Error::Session("session over"))?;
            session.session.connection_lost();
            return Ok(AdminProgress::ConnectionLost);
        }
        let mut exec = Executor {
            card: &mut self.card,
        };
        session
            .session
            .handle_input(data, now, &mut exec)
            .map_err(|_| Error::Session("session over"))?;
        self.flush_notifications(millis(now));
        let mut ended = None;
        while let Some(e) = session.session.poll_event() {
            if let crate::scp81::card::CardEvent::Ended(r) = e {
                ended = Some(r);
            }
        }
        Ok(ended.map_or(AdminProgress::Continue, AdminProgress::Ended))
    }

    /// The integrator's connection broke: the last POST will be repeated
    /// with `X-Admin-Resume: true`.
    pub fn admin_connection_lost(&mut self, session: &mut AdminSession) {
        session.session.connection_lost();
    }
}
