//! The ISD-P side of SCP03t (SGP.02 §4.1.3.3): a sans-IO state machine
//! that answers `84` / `85`, verifies and deciphers each `86` segment, and
//! answers every refusal with the error TLV `9F xx` (the status word the
//! APDU form would return). Any refusal closes the session (GP Amendment D
//! §5.6: a failed verification ends the secure channel), so a replayed,
//! reordered or altered segment stops the load.

use subtle::ConstantTimeEq;

use crate::tlv::Buffer;

use super::command::{
    CardError, ExternalAuthenticate, InitializeUpdate, InitializeUpdateResponse, sw,
};
use super::kdf::{constant, cryptogram};
use super::{CHALLENGE_LEN, Error, ErrorKind, SecurityLevel, Session, StaticKeys, tag};
use crate::crypto::{Scp03Provider, Software};

/// The largest sequence counter (3 octets, GP Amendment D §6.2.2.1).
const MAX_SEQUENCE_COUNTER: u32 = 0x00FF_FFFF;

#[derive(Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "the session lives inline: the layer is no_std without alloc"
)]
enum State<P: Scp03Provider> {
    Idle,
    /// `84` answered: the session keys `[S-ENC, S-MAC, S-RMAC]` (provider
    /// handles) and both challenges.
    Initialized {
        keys: [P::Key; 3],
        host: [u8; CHALLENGE_LEN],
        card: [u8; CHALLENGE_LEN],
    },
    Open(Session<P>),
}

impl<P: Scp03Provider> core::fmt::Debug for State<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Idle => f.write_str("Idle"),
            Self::Initialized { .. } => f.write_str("Initialized"),
            Self::Open(s) => f.debug_tuple("Open").field(s).finish(),
        }
    }
}

/// What [`Card::handle`] did with one command TLV.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<'p> {
    /// `84` answered with the card challenge and cryptogram.
    Initialized,
    /// `85` verified: the session is open at this level.
    Opened(SecurityLevel),
    /// An `86` segment verified and deciphered; answer it with
    /// [`Card::respond`].
    Segment(&'p [u8]),
}

/// The card (ISD-P) end of SCP03t, holding the ISD-P key set (in a
/// crypto provider, see [`StaticKeys`]).
#[derive(Debug, Clone)]
pub struct Card<P: Scp03Provider = Software> {
    keys: StaticKeys<P>,
    kvn: u8,
    aid: heapless::Vec<u8, 16>,
    sequence_counter: u32,
    max_segment_len: usize,
    state: State<P>,
}

/// The status word the card answers a refusal with.
pub(crate) const fn status_word(kind: &ErrorKind) -> u16 {
    match kind {
        ErrorKind::MacMismatch | ErrorKind::CryptogramMismatch => sw::SECURITY_STATUS_NOT_SATISFIED,
        ErrorKind::OutOfSequence(_) | ErrorKind::CounterExhausted => sw::CONDITIONS_NOT_SATISFIED,
        ErrorKind::SegmentTooLarge { .. } => sw::WRONG_LENGTH,
        ErrorKind::CardError { sw, .. } => *sw,
        _ => sw::INCORRECT_DATA,
    }
}

impl<P: Scp03Provider + Clone> Card<P> {
    /// A card holding `keys` as key version `kvn` of the security domain
    /// `aid`, whose next INITIALIZE UPDATE uses `sequence_counter`, and that
    /// refuses segment TLVs longer than `max_segment_len`.
    ///
    /// # Errors
    /// [`ErrorKind::BadValue`] for an AID longer than 16 octets or a
    /// sequence counter beyond 3 octets.
    pub fn new(
        keys: StaticKeys<P>,
        kvn: u8,
        aid: &[u8],
        sequence_counter: u32,
        max_segment_len: usize,
    ) -> Result<Self, Error> {
        let aid = heapless::Vec::from_slice(aid)
            .map_err(|_| Error::new(ErrorKind::BadValue("AID length"), 0))?;
        if sequence_counter > MAX_SEQUENCE_COUNTER {
            return Err(Error::new(ErrorKind::BadValue("sequence counter"), 0));
        }
        Ok(Self {
            keys,
            kvn,
            aid,
            sequence_counter,
            max_segment_len,
            state: State::Idle,
        })
    }

    /// The sequence counter the next INITIALIZE UPDATE will use.
    pub const fn sequence_counter(&self) -> u32 {
        self.sequence_counter
    }

    /// Whether a session is open.
    pub const fn is_open(&self) -> bool {
        matches!(self.state, State::Open(_))
    }

    /// The open session, for commands sent in the APDU form inside it
    /// (ES8.UpdateConnectivityParameters, SGP.02 §4.1.3.4).
    pub fn session_mut(&mut self) -> Option<&mut Session<P>> {
        match &mut self.state {
            State::Open(s) => Some(s),
            _ => None,
        }
    }

    /// Ends the session.
    pub fn close(&mut self) {
        self.state = State::Idle;
    }

    /// Handles one command TLV: its answer (or, on a refusal, the error TLV
    /// `9F xx`) goes to `out`; a segment's plaintext goes to `plain`.
    ///
    /// # Errors
    /// The refusal (the session is then closed and the error TLV written),
    /// or the buffer's error.
    pub fn handle<'p>(
        &mut self,
        command: &[u8],
        plain: &'p mut [u8],
        out: &mut dyn Buffer,
    ) -> Result<Step<'p>, Error> {
        let first = command.first().copied();
        let result = match first {
            Some(tag::INITIALIZE_UPDATE) => self.initialize_update(command, out),
            Some(tag::EXTERNAL_AUTHENTICATE) => self.external_authenticate(command, out),
            Some(tag::SEGMENT) => self.segment(command, plain),
            _ => Err(Error::new(ErrorKind::BadValue("SCP03t command tag"), 0)),
        };
        result.or_else(|e| {
            self.state = State::Idle;
            CardError {
                tag: first.unwrap_or(tag::ERROR),
                sw: status_word(&e.kind),
            }
            .emit(out)?;
            Err(e)
        })
    }

    fn initialize_update(
        &mut self,
        command: &[u8],
        out: &mut dyn Buffer,
    ) -> Result<Step<'static>, Error> {
        let c = InitializeUpdate::parse(command)?;
        if c.kvn != 0 && c.kvn != self.kvn {
            return Err(Error::new(
                ErrorKind::CardError {
                    tag: tag::INITIALIZE_UPDATE,
                    sw: sw::REFERENCED_DATA_NOT_FOUND,
                },
                2,
            ));
        }
        let counter = self.sequence_counter;
        if counter > MAX_SEQUENCE_COUNTER {
            return Err(Error::new(ErrorKind::CounterExhausted, 0));
        }
        let [_, s0, s1, s2] = counter.to_be_bytes();
        let card = self.keys.card_challenge([s0, s1, s2], &self.aid)?;
        self.sequence_counter = counter + 1;
        let keys = self.keys.derive_session(&c.host_challenge, &card)?;
        let p = self.keys.provider();
        let card_cryptogram = cryptogram(
            p,
            &keys[1],
            constant::CARD_CRYPTOGRAM,
            &c.host_challenge,
            &card,
        )?;
        InitializeUpdateResponse {
            key_diversification_data: [0; 10],
            kvn: self.kvn,
            scp_id: 0x03,
            i_param: InitializeUpdateResponse::SGP02_I,
            card_challenge: card,
            card_cryptogram,
            sequence_counter: Some([s0, s1, s2]),
        }
        .emit_tlv(out)?;
        self.state = State::Initialized {
            keys,
            host: c.host_challenge,
            card,
        };
        Ok(Step::Initialized)
    }

    fn external_authenticate(
        &mut self,
        command: &[u8],
        out: &mut dyn Buffer,
    ) -> Result<Step<'static>, Error> {
        let State::Initialized { keys, host, card } =
            core::mem::replace(&mut self.state, State::Idle)
        else {
            return Err(Error::new(
                ErrorKind::OutOfSequence("EXTERNAL AUTHENTICATE"),
                0,
            ));
        };
        let c = ExternalAuthenticate::parse(command)?;
        let level = SecurityLevel::parse(c.security_level)
            .ok_or(Error::new(ErrorKind::BadSecurityLevel(c.security_level), 2))?;
        let p = self.keys.provider();
        let expected = cryptogram(p, &keys[1], constant::HOST_CRYPTOGRAM, &host, &card)?;
        if !bool::from(expected.ct_eq(&c.host_cryptogram)) {
            return Err(Error::new(ErrorKind::CryptogramMismatch, 3));
        }
        let mut session = Session::from_handles(p.clone(), keys, level, [0; 16], 1)?;
        let mac = session.c_mac(&[
            &ExternalAuthenticate::HEADER,
            &[c.security_level],
            &c.host_cryptogram,
        ])?;
        if !bool::from(mac.ct_eq(&c.c_mac)) {
            return Err(Error::new(ErrorKind::MacMismatch, 11));
        }
        out.put(&[tag::EXTERNAL_AUTHENTICATE, 0])?;
        self.state = State::Open(session);
        Ok(Step::Opened(level))
    }

    fn segment<'p>(&mut self, command: &[u8], plain: &'p mut [u8]) -> Result<Step<'p>, Error> {
        let State::Open(session) = &mut self.state else {
            return Err(Error::new(ErrorKind::OutOfSequence("segment"), 0));
        };
        if command.len() > self.max_segment_len {
            return Err(Error::new(
                ErrorKind::SegmentTooLarge {
                    len: command.len(),
                    max: self.max_segment_len,
                },
                0,
            ));
        }
        let (_, p) = session.unwrap(command, plain)?;
        Ok(Step::Segment(p))
    }

    /// Answers the last segment with `data` (R-ENCRYPTION and R-MAC as the
    /// level says) in an `86` response TLV; returns its length.
    ///
    /// # Errors
    /// [`ErrorKind::OutOfSequence`] without an open session; the buffer's
    /// error.
    pub fn respond(&self, data: &[u8], out: &mut dyn Buffer) -> Result<usize, Error> {
        let State::Open(session) = &self.state else {
            return Err(Error::new(ErrorKind::OutOfSequence("segment response"), 0));
        };
        session.wrap_response(tag::SEGMENT, data, out)
    }

    /// Refuses the last segment after it was deciphered (e.g. the package
    /// does not validate, or exceeds the quota): writes `9F46 | sw` and
    /// closes the session.
    ///
    /// # Errors
    /// The buffer's error.
    pub fn refuse(&mut self, status: u16, out: &mut dyn Buffer) -> Result<usize, Error> {
        self.state = State::Idle;
        CardError {
            tag: tag::SEGMENT,
            sw: status,
        }
        .emit(out)
    }
}
