//! The SM-DP side of SCP03t (SGP.02 §4.1.3.3, §5.4.4): a sans-IO state
//! machine that opens the session with `84` / `85`, then wraps `86`
//! segments and unwraps the card's responses.

use crate::tlv::Buffer;

use crate::crypto::{Scp03Provider, Software};

use super::command::{ExternalAuthenticate, InitializeUpdate, InitializeUpdateResponse, expect};
use super::{CHALLENGE_LEN, Error, ErrorKind, SecurityLevel, Session, StaticKeys, tag};

#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "the session lives inline: the layer is no_std without alloc"
)]
enum State<P: Scp03Provider> {
    /// `84` not yet sent or not yet answered.
    Start,
    /// Card authenticated; `85` to send.
    CardAuthenticated(Session<P>, [u8; CHALLENGE_LEN]),
    /// `85` sent, its answer awaited.
    Authenticating(Session<P>),
    /// The session is open.
    Open(Session<P>),
    /// A failure closed the session.
    Closed,
}

/// The host (SM-DP) end of one SCP03t session, over the ISD-P key set
/// held by a crypto provider (see [`StaticKeys`]): the session keys are
/// derived inside it and the protocol code holds handles only.
#[derive(Debug, Clone)]
pub struct Host<P: Scp03Provider = Software> {
    keys: StaticKeys<P>,
    command: InitializeUpdate,
    level: SecurityLevel,
    state: State<P>,
}

impl<P: Scp03Provider + Clone> Host<P> {
    /// A host that will open a session with the ISD-P key set `keys`
    /// (version `kvn`, identifier `kid`) at `level`, with a fresh random
    /// `host_challenge` from the caller.
    ///
    /// # Errors
    /// [`ErrorKind::BadSecurityLevel`] for a level GP Amendment D does not
    /// define.
    pub fn new(
        keys: StaticKeys<P>,
        kvn: u8,
        kid: u8,
        host_challenge: [u8; CHALLENGE_LEN],
        level: SecurityLevel,
    ) -> Result<Self, Error> {
        SecurityLevel::parse(level.0).ok_or(Error::new(ErrorKind::BadSecurityLevel(level.0), 0))?;
        Ok(Self {
            keys,
            command: InitializeUpdate {
                kvn,
                kid,
                host_challenge,
            },
            level,
            state: State::Start,
        })
    }

    /// Writes the `84` INITIALIZE UPDATE TLV; returns its length.
    ///
    /// # Errors
    /// The buffer's error.
    pub fn initialize_update(&self, out: &mut dyn Buffer) -> Result<usize, Error> {
        self.command.emit(out)
    }

    /// Takes the card's `84` answer: derives the session keys and checks the
    /// card cryptogram in constant time.
    ///
    /// # Errors
    /// [`ErrorKind::CardError`] for a `9F44` answer; a malformed answer;
    /// [`ErrorKind::CryptogramMismatch`] (the session is then closed);
    /// [`ErrorKind::OutOfSequence`] after the handshake.
    pub fn handle_initialize_update_response(&mut self, tlv: &[u8]) -> Result<(), Error> {
        if !matches!(self.state, State::Start) {
            return Err(Error::new(
                ErrorKind::OutOfSequence("INITIALIZE UPDATE response"),
                0,
            ));
        }
        let r = InitializeUpdateResponse::parse_tlv(tlv)?;
        let host = &self.command.host_challenge;
        let card = &r.card_challenge;
        let session = Session::derive(&self.keys, host, card, self.level)?;
        let expected = session.card_cryptogram(host, card)?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            &expected[..],
            &r.card_cryptogram[..],
        )) {
            self.state = State::Closed;
            return Err(Error::new(ErrorKind::CryptogramMismatch, 2 + 21));
        }
        let host_cryptogram = session.host_cryptogram(host, card)?;
        self.state = State::CardAuthenticated(session, host_cryptogram);
        Ok(())
    }

    /// Writes the `85` EXTERNAL AUTHENTICATE TLV (C-MAC only; the counter
    /// does not change); returns its length.
    ///
    /// # Errors
    /// [`ErrorKind::OutOfSequence`] before the card is authenticated; the
    /// buffer's error.
    pub fn external_authenticate(&mut self, out: &mut dyn Buffer) -> Result<usize, Error> {
        let State::CardAuthenticated(mut session, host_cryptogram) =
            core::mem::replace(&mut self.state, State::Closed)
        else {
            return Err(Error::new(
                ErrorKind::OutOfSequence("EXTERNAL AUTHENTICATE"),
                0,
            ));
        };
        let level = self.level.0;
        let c_mac = session.c_mac(&[&ExternalAuthenticate::HEADER, &[level], &host_cryptogram])?;
        let n = ExternalAuthenticate {
            security_level: level,
            host_cryptogram,
            c_mac,
        }
        .emit(out)?;
        self.state = State::Authenticating(session);
        Ok(n)
    }

    /// Takes the card's `85` answer (`85 00`): the session is open.
    ///
    /// # Errors
    /// [`ErrorKind::CardError`] for `9F45`; any other answer.
    pub fn handle_external_authenticate_response(&mut self, tlv: &[u8]) -> Result<(), Error> {
        let State::Authenticating(session) = core::mem::replace(&mut self.state, State::Closed)
        else {
            return Err(Error::new(
                ErrorKind::OutOfSequence("EXTERNAL AUTHENTICATE response"),
                0,
            ));
        };
        if !expect(tlv, tag::EXTERNAL_AUTHENTICATE)?.is_empty() {
            return Err(Error::new(
                ErrorKind::BadValue("EXTERNAL AUTHENTICATE response"),
                1,
            ));
        }
        self.state = State::Open(session);
        Ok(())
    }

    /// The open session, to wrap segments ([`Session::wrap`],
    /// [`Session::wrap_package`]) and unwrap answers
    /// ([`Session::unwrap_response`]).
    ///
    /// # Errors
    /// [`ErrorKind::OutOfSequence`] before the handshake ends or after a
    /// failure.
    pub fn session(&mut self) -> Result<&mut Session<P>, Error> {
        match &mut self.state {
            State::Open(s) => Ok(s),
            _ => Err(Error::new(ErrorKind::OutOfSequence("segment"), 0)),
        }
    }

    /// Whether the session is open.
    pub const fn is_open(&self) -> bool {
        matches!(self.state, State::Open(_))
    }
}
