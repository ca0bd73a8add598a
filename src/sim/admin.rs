//! SCP81 on the card side: the administration session that runs scripts
//! against the ISD-R model ([`CardSession`]) once a trigger pushed over
//! SCP80 asked for it (read in the leaf module `sim/trigger.rs`). TLS is
//! the integrator's: the simulator says which host, which PSK identity and
//! which key ([`AdminSessionRequest`]); the HTTP bytes inside the TLS
//! tunnel go through [`Euicc::admin_transmit`] / [`Euicc::admin_receive`].

use alloc::vec::Vec;
use core::time::Duration;

use super::card::{Card, Target};
use super::config::PskKey;
use super::euicc::Euicc;
use super::faults::{Fault, Stage};
pub use super::trigger::AdminSessionRequest;
use super::{Error, script};
use crate::isdr::Aid;
use crate::scp81::card::{CardConfig, CardSession, ScriptExecutor};
use crate::scp81::http::ScriptStatus;
use crate::scp81::server::{EndReason, UriBuf};

/// Size of the session's receive and send buffers.
const SESSION_BUFFER: usize = 64 * 1024;

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
        let chain = script::chaining(script_bytes);
        let card = &mut *self.card;
        if !chain.continues {
            card.start_session();
        }
        // An ISD-P's SCP03t session lasts the admin session (`sim/relay.rs`).
        let out = card.run_secured(target, script_bytes);
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
        self.set_isdr_arrival(super::isdr_keys::Arrival::Scp81 {
            kvn: session.request.kvn,
            key_id: session.request.kid,
        });
        if !data.is_empty() && self.faults.draw(Stage::Session) == Some(Fault::LoseConnection) {
            let (half, _) = data.split_at(data.len() / 2);
            let mut exec = Executor {
                card: &mut self.card,
            };
            session
                .session
                .handle_input(half, now, &mut exec)
                .map_err(|_| Error::Session("session over"))?;
            self.apply_isdr_key_changes();
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
        self.apply_isdr_key_changes();
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
