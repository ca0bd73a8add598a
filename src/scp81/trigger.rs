//! Administration session triggering parameters (GlobalPlatform Amendment B
//! §4.7 / table 4-3 in v1.1.3, "table 3-3" in the pySim and njiwa
//! implementations), the TLV an SM-SR pushes to the ISD-R to make it open
//! the HTTPS session (SGP.02 §2.4.3.1 "HTTPS session triggering").
//!
//! ```text
//! 81 Administration session triggering parameters     (`81 00`: use stored defaults)
//!  ├─ 83 Administration session parameters
//!  │   ├─ 84 Connection parameters: CAT OPEN CHANNEL COMPREHENSION-TLVs (TS 102 223 §6.6.27)
//!  │   ├─ 85 Security parameters: L PSK identity ‖ 02 ‖ KVN ‖ KID [‖ extra]
//!  │   ├─ A5 Extended security parameters
//!  │   ├─ 86 Retry policy: retry counter (2) ‖ Timer value TLV `25 03 hh mm ss` ‖ [report]
//!  │   └─ 89 HTTP POST parameters: 8A Host, 8B agent id (X-Admin-From), 8C admin URI
//!  └─ B3 DNS resolution parameters: D6 FQDN, FA DNS server connection parameters
//! ```
//!
//! The views borrow the input; [`TriggerParams::emit`] writes exactly what
//! [`TriggerParams::parse`] reads (each child in the order above, minimal
//! BER lengths).

use super::Error;
use crate::tlv::{self, Encode, Options, Reader, Tag, Tlv};

pub mod connection;
pub use connection::{
    AddressType, BearerDescription, BearerType, ConnectionParams, Ctlv, OtherAddress,
    TransportLevel, TransportProtocol, ctlv_tag,
};

/// The tags of the triggering parameters.
pub mod tag {
    use crate::tlv::Tag;
    /// Administration session triggering parameters.
    pub const TRIGGER: Tag = Tag::new(0x81);
    /// Administration session parameters.
    pub const SESSION: Tag = Tag::new(0x83);
    /// Connection parameters.
    pub const CONNECTION: Tag = Tag::new(0x84);
    /// Security parameters.
    pub const SECURITY: Tag = Tag::new(0x85);
    /// Extended security parameters.
    pub const EXTENDED_SECURITY: Tag = Tag::new(0xA5);
    /// Retry policy.
    pub const RETRY_POLICY: Tag = Tag::new(0x86);
    /// HTTP POST parameters.
    pub const HTTP_POST: Tag = Tag::new(0x89);
    /// Administration host (`Host`).
    pub const HOST: Tag = Tag::new(0x8A);
    /// Agent identity (`X-Admin-From`).
    pub const AGENT_ID: Tag = Tag::new(0x8B);
    /// Administration URI.
    pub const URI: Tag = Tag::new(0x8C);
    /// DNS resolution parameters.
    pub const DNS: Tag = Tag::new(0xB3);
    /// Remote administration server FQDN.
    pub const FQDN: Tag = Tag::new(0xD6);
    /// DNS server connection parameters.
    pub const DNS_CONNECTION: Tag = Tag::new(0xFA);
}

/// The whole `81` TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TriggerParams<'a> {
    /// `83`; absent together with `dns` gives `81 00` (card defaults).
    pub session: Option<SessionParams<'a>>,
    /// `B3`.
    pub dns: Option<DnsParams<'a>>,
}

/// `83`: how to reach and authenticate to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionParams<'a> {
    /// `84` value: OPEN CHANNEL COMPREHENSION-TLVs (bearer description,
    /// buffer size, UICC/terminal interface transport level, data
    /// destination address, ...), as bytes: GP Amendment B makes `84` a
    /// container the ISD-R hands to the terminal, so the trigger codec
    /// carries it opaquely; [`SessionParams::connection_params`] decodes it
    /// and [`ConnectionParams::emit`] writes it.
    pub connection: Option<&'a [u8]>,
    /// `85`.
    pub security: Option<SecurityParams<'a>>,
    /// `A5` value, raw.
    pub extended_security: Option<&'a [u8]>,
    /// `86`.
    pub retry_policy: Option<RetryPolicy<'a>>,
    /// `89`.
    pub http_post: Option<HttpPostParams<'a>>,
}

/// `85`: which TLS-PSK key the card uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecurityParams<'a> {
    /// The PSK identity the card sends in the handshake (for SGP.02, the hex
    /// text of [`PskIdentity`](super::psk_id::PskIdentity)); 0 to 255 octets.
    pub psk_identity: &'a [u8],
    /// Key version number of the PSK key (SCP81 key sets use `40`–`4F`).
    pub kvn: u8,
    /// Key identifier within that version.
    pub kid: u8,
    /// Octets after KVN and KID (pySim calls one such octet "SHA type"),
    /// kept as sent; empty in the common case.
    pub extra: &'a [u8],
}

/// A CAT Timer value TLV (TS 102 223 §8.38): tag `25` (or `A5` with the
/// comprehension-required bit), length 3, then hour, minute and second
/// octets as sent (TS 102 223 codes each as semi-octet BCD, like the TS
/// 23.040 time stamp; they are kept raw here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerValue {
    /// `true` for tag `A5`, `false` for `25`.
    pub comprehension_required: bool,
    /// Hour, minute, second octets.
    pub hms: [u8; 3],
}

/// `86`: what the card does when it cannot open the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy<'a> {
    /// Retry counter (big-endian, 2 octets).
    pub counter: u16,
    /// Retry waiting delay.
    pub waiting_delay: TimerValue,
    /// Retry failure report data after the timer (raw; njiwa sends `87 00`).
    pub failure_report: &'a [u8],
}

/// `89`: the HTTP POST the card sends first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HttpPostParams<'a> {
    /// `8A`: value of the `Host` header.
    pub host: Option<&'a str>,
    /// `8B`: value of `X-Admin-From` (SGP.02: `//se-id/eid/<EID>;//aa-id/aid/<RID>/<PIX>`).
    pub agent_id: Option<&'a str>,
    /// `8C`: the request target of the first POST.
    pub uri: Option<&'a str>,
}

/// `B3`: how to resolve the server's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DnsParams<'a> {
    /// `D6`: the FQDN, raw.
    pub fqdn: Option<&'a [u8]>,
    /// `FA`: connection parameters of the DNS server, raw COMPREHENSION-TLVs.
    pub connection: Option<&'a [u8]>,
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

const OPTS: Options = Options::strict();

/// Refuses a child that comes before one already seen: the parser accepts
/// the table order only, so that parse and emit are exact inverses.
fn in_order(last: &mut usize, rank: usize, what: &'static str, offset: usize) -> Result<(), Error> {
    if rank < *last {
        return Err(Error::BadValue { what, offset });
    }
    *last = rank;
    Ok(())
}

/// Stores `v` in `slot`, refusing a second occurrence.
fn once<T>(slot: &mut Option<T>, v: T, what: &'static str, offset: usize) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error::Duplicate { what, offset });
    }
    *slot = Some(v);
    Ok(())
}

fn children<'a>(t: &Tlv<'a>) -> Reader<'a> {
    Reader::with_base(t.value(), t.value_offset(), OPTS)
}

fn text<'a>(t: &Tlv<'a>, what: &'static str) -> Result<&'a str, Error> {
    core::str::from_utf8(t.value()).map_err(|e| Error::BadValue {
        what,
        offset: t.value_offset() + e.valid_up_to(),
    })
}

impl<'a> TriggerParams<'a> {
    /// Parses the `81` TLV, which must cover all of `input`.
    ///
    /// # Errors
    /// [`Error::Tlv`] for broken framing, [`Error::UnexpectedTag`],
    /// [`Error::Duplicate`], [`Error::BadLength`], [`Error::BadValue`] (with
    /// byte offsets into `input`).
    pub fn parse(input: &'a [u8]) -> Result<Self, Error> {
        let t = Tlv::parse_exact(input, OPTS)?;
        if t.tag() != tag::TRIGGER {
            return Err(Error::UnexpectedTag {
                tag: t.tag(),
                context: "administration session triggering parameters",
                offset: 0,
            });
        }
        let mut out = Self::default();
        let mut last = 0;
        for c in children(&t) {
            let c = c?;
            let rank = usize::from(c.tag() == tag::DNS);
            in_order(&mut last, rank, "order of 83/B3 in 81", c.offset())?;
            match c.tag() {
                tag::SESSION => once(
                    &mut out.session,
                    SessionParams::from_tlv(&c)?,
                    "83",
                    c.offset(),
                )?,
                tag::DNS => once(&mut out.dns, DnsParams::from_tlv(&c)?, "B3", c.offset())?,
                other => {
                    return Err(Error::UnexpectedTag {
                        tag: other,
                        context: "81",
                        offset: c.offset(),
                    });
                }
            }
        }
        Ok(out)
    }
}

impl<'a> SessionParams<'a> {
    fn from_tlv(t: &Tlv<'a>) -> Result<Self, Error> {
        let mut out = Self::default();
        let mut last = 0;
        for c in children(t) {
            let c = c?;
            let at = c.offset();
            let rank = match c.tag() {
                tag::CONNECTION => 0,
                tag::SECURITY => 1,
                tag::EXTENDED_SECURITY => 2,
                tag::RETRY_POLICY => 3,
                tag::HTTP_POST => 4,
                other => {
                    return Err(Error::UnexpectedTag {
                        tag: other,
                        context: "83",
                        offset: at,
                    });
                }
            };
            in_order(&mut last, rank, "order of 84/85/A5/86/89 in 83", at)?;
            match rank {
                0 => once(&mut out.connection, c.value(), "84", at)?,
                1 => once(&mut out.security, SecurityParams::from_tlv(&c)?, "85", at)?,
                2 => once(&mut out.extended_security, c.value(), "A5", at)?,
                3 => once(&mut out.retry_policy, RetryPolicy::from_tlv(&c)?, "86", at)?,
                _ => once(&mut out.http_post, HttpPostParams::from_tlv(&c)?, "89", at)?,
            }
        }
        Ok(out)
    }
}

impl<'a> SessionParams<'a> {
    /// The `84` connection parameters, decoded.
    ///
    /// # Errors
    /// As [`ConnectionParams::parse`], offsets counted from the start of
    /// the `84` value.
    pub fn connection_params(&self) -> Result<Option<ConnectionParams<'a>>, Error> {
        self.connection.map(ConnectionParams::parse).transpose()
    }
}

impl<'a> SecurityParams<'a> {
    fn from_tlv(t: &Tlv<'a>) -> Result<Self, Error> {
        let v = t.value();
        let at = t.value_offset();
        let (&id_len, rest) = v.split_first().ok_or(Error::MissingField {
            what: "PSK identity length",
            offset: at,
        })?;
        let (psk_identity, rest) =
            rest.split_at_checked(usize::from(id_len))
                .ok_or(Error::BadLength {
                    what: "PSK identity",
                    len: usize::from(id_len),
                    offset: at,
                })?;
        let key_at = at + 1 + psk_identity.len();
        match rest {
            [2, kvn, kid, extra @ ..] => Ok(Self {
                psk_identity,
                kvn: *kvn,
                kid: *kid,
                extra,
            }),
            [] => Err(Error::MissingField {
                what: "KVN/KID",
                offset: key_at,
            }),
            [l, ..] => Err(Error::BadLength {
                what: "KVN/KID",
                len: usize::from(*l),
                offset: key_at,
            }),
        }
    }
}

impl TimerValue {
    fn parse(v: &[u8], at: usize) -> Result<Self, Error> {
        match v {
            [t @ (0x25 | 0xA5), 3, h, m, s] => Ok(Self {
                comprehension_required: *t == 0xA5,
                hms: [*h, *m, *s],
            }),
            [0x25 | 0xA5, l, ..] => Err(Error::BadLength {
                what: "retry waiting delay (timer value)",
                len: usize::from(*l),
                offset: at,
            }),
            _ => Err(Error::BadValue {
                what: "retry waiting delay (timer value tag)",
                offset: at,
            }),
        }
    }

    const fn octets(&self) -> [u8; 5] {
        let [h, m, s] = self.hms;
        [
            if self.comprehension_required {
                0xA5
            } else {
                0x25
            },
            3,
            h,
            m,
            s,
        ]
    }
}

impl<'a> RetryPolicy<'a> {
    fn from_tlv(t: &Tlv<'a>) -> Result<Self, Error> {
        let v = t.value();
        let at = t.value_offset();
        let (counter, rest) = v.split_first_chunk::<2>().ok_or(Error::BadLength {
            what: "retry policy",
            len: v.len(),
            offset: at,
        })?;
        let (timer, failure_report) = rest.split_at_checked(5).ok_or(Error::BadLength {
            what: "retry policy",
            len: v.len(),
            offset: at,
        })?;
        Ok(Self {
            counter: u16::from_be_bytes(*counter),
            waiting_delay: TimerValue::parse(timer, at + 2)?,
            failure_report,
        })
    }
}

impl<'a> HttpPostParams<'a> {
    fn from_tlv(t: &Tlv<'a>) -> Result<Self, Error> {
        let mut out = Self::default();
        let mut last = 0;
        for c in children(t) {
            let c = c?;
            let at = c.offset();
            let rank = match c.tag() {
                tag::HOST => 0,
                tag::AGENT_ID => 1,
                tag::URI => 2,
                other => {
                    return Err(Error::UnexpectedTag {
                        tag: other,
                        context: "89",
                        offset: at,
                    });
                }
            };
            in_order(&mut last, rank, "order of 8A/8B/8C in 89", at)?;
            match rank {
                0 => once(&mut out.host, text(&c, "8A admin host")?, "8A", at)?,
                1 => once(&mut out.agent_id, text(&c, "8B agent id")?, "8B", at)?,
                _ => once(&mut out.uri, text(&c, "8C admin URI")?, "8C", at)?,
            }
        }
        Ok(out)
    }
}

impl<'a> DnsParams<'a> {
    fn from_tlv(t: &Tlv<'a>) -> Result<Self, Error> {
        let mut out = Self::default();
        let mut last = 0;
        for c in children(t) {
            let c = c?;
            let at = c.offset();
            in_order(
                &mut last,
                usize::from(c.tag() == tag::DNS_CONNECTION),
                "order of D6/FA in B3",
                at,
            )?;
            match c.tag() {
                tag::FQDN => once(&mut out.fqdn, c.value(), "D6", at)?,
                tag::DNS_CONNECTION => once(&mut out.connection, c.value(), "FA", at)?,
                other => {
                    return Err(Error::UnexpectedTag {
                        tag: other,
                        context: "B3",
                        offset: at,
                    });
                }
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------
// Emitting
// ---------------------------------------------------------------------------

/// The `85` value as an [`Encode`].
struct SecurityValue<'s, 'a>(&'s SecurityParams<'a>);

impl Encode for SecurityValue<'_, '_> {
    fn encoded_len(&self) -> usize {
        1 + self.0.psk_identity.len() + 3 + self.0.extra.len()
    }

    fn encode(&self, out: &mut dyn tlv::Buffer) -> Result<(), tlv::Error> {
        let p = self.0;
        let len = u8::try_from(p.psk_identity.len())
            .map_err(|_| tlv::Error::new(tlv::ErrorKind::ValueTooLong, out.written()))?;
        out.put(&[len])?;
        out.put(p.psk_identity)?;
        out.put(&[2, p.kvn, p.kid])?;
        out.put(p.extra)
    }
}

/// The `86` value as an [`Encode`].
struct RetryValue<'s, 'a>(&'s RetryPolicy<'a>);

impl Encode for RetryValue<'_, '_> {
    fn encoded_len(&self) -> usize {
        2 + 5 + self.0.failure_report.len()
    }

    fn encode(&self, out: &mut dyn tlv::Buffer) -> Result<(), tlv::Error> {
        out.put(&self.0.counter.to_be_bytes())?;
        out.put(&self.0.waiting_delay.octets())?;
        out.put(self.0.failure_report)
    }
}

fn opt_bytes(t: Tag, v: Option<&[u8]>) -> Option<tlv::TlvEncoder<&[u8]>> {
    v.map(|v| tlv::tlv(t, v))
}

impl SessionParams<'_> {
    fn encoder(&self) -> impl Encode + '_ {
        tlv::tlv(
            tag::SESSION,
            (
                opt_bytes(tag::CONNECTION, self.connection),
                self.security
                    .as_ref()
                    .map(|s| tlv::tlv(tag::SECURITY, SecurityValue(s))),
                opt_bytes(tag::EXTENDED_SECURITY, self.extended_security),
                self.retry_policy
                    .as_ref()
                    .map(|r| tlv::tlv(tag::RETRY_POLICY, RetryValue(r))),
                self.http_post.as_ref().map(|p| {
                    tlv::tlv(
                        tag::HTTP_POST,
                        (
                            opt_bytes(tag::HOST, p.host.map(str::as_bytes)),
                            opt_bytes(tag::AGENT_ID, p.agent_id.map(str::as_bytes)),
                            opt_bytes(tag::URI, p.uri.map(str::as_bytes)),
                        ),
                    )
                }),
            ),
        )
    }
}

impl DnsParams<'_> {
    fn encoder(&self) -> impl Encode + '_ {
        tlv::tlv(
            tag::DNS,
            (
                opt_bytes(tag::FQDN, self.fqdn),
                opt_bytes(tag::DNS_CONNECTION, self.connection),
            ),
        )
    }
}

impl TriggerParams<'_> {
    fn encoder(&self) -> impl Encode + '_ {
        tlv::tlv(
            tag::TRIGGER,
            (
                self.session.as_ref().map(SessionParams::encoder),
                self.dns.as_ref().map(DnsParams::encoder),
            ),
        )
    }

    /// Bytes [`TriggerParams::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        self.encoder().encoded_len()
    }

    /// Writes the `81` TLV at the start of `out`; returns its length.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`]; [`Error::TooLong`] for a PSK identity over
    /// 255 octets.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, Error> {
        if let Some(s) = self.session.as_ref().and_then(|s| s.security.as_ref())
            && s.psk_identity.len() > 255
        {
            return Err(Error::TooLong {
                what: "PSK identity in 85",
                max: 255,
            });
        }
        let needed = self.buffer_len();
        let available = out.len();
        self.encoder()
            .encode_to_slice(out)
            .map(<[u8]>::len)
            .map_err(|_| Error::BufferTooSmall { needed, available })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::std_instead_of_alloc, clippy::std_instead_of_core)]
    extern crate std;
    use super::*;
    use std::{vec, vec::Vec};

    fn emit(t: &TriggerParams<'_>) -> Vec<u8> {
        let mut v = vec![0u8; t.buffer_len()];
        assert_eq!(t.emit(&mut v).unwrap(), v.len());
        v
    }

    /// pySim `SecurityParams._test_de_encode` (osmocom/pysim@597f1e0:
    /// pySim/global_platform/http.py): `85 08 04 deadbeef 02 00 40`.
    #[test]
    fn pysim_security_params_vector() {
        let input = hex::decode("810c830a850804deadbeef020040").unwrap();
        let t = TriggerParams::parse(&input).unwrap();
        let s = t.session.unwrap().security.unwrap();
        assert_eq!(s.psk_identity, &[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!((s.kvn, s.kid, s.extra), (0x00, 0x40, &[][..]));
        assert_eq!(emit(&t), input);
    }

    /// pySim `AdminHostParam` / `AdminUriParam` test vectors (same file).
    #[test]
    fn pysim_http_post_vectors() {
        let host = hex::decode("8a0a61646d696e2e686f7374").unwrap();
        let uri = hex::decode("8c1668747470733a2f2f61646d696e2e686f73742f757269").unwrap();
        let t = TriggerParams {
            session: Some(SessionParams {
                http_post: Some(HttpPostParams {
                    host: Some("admin.host"),
                    agent_id: None,
                    uri: Some("https://admin.host/uri"),
                }),
                ..SessionParams::default()
            }),
            dns: None,
        };
        let out = emit(&t);
        let mut expect = vec![0x81, 0x28, 0x83, 0x26, 0x89, 0x24];
        expect.extend_from_slice(&host);
        expect.extend_from_slice(&uri);
        assert_eq!(out, expect);
        assert_eq!(TriggerParams::parse(&out).unwrap(), t);
    }

    #[test]
    fn defaults_trigger_is_81_00() {
        assert_eq!(emit(&TriggerParams::default()), [0x81, 0x00]);
        assert_eq!(
            TriggerParams::parse(&[0x81, 0x00]).unwrap(),
            TriggerParams::default()
        );
    }

    #[test]
    fn errors_carry_offsets() {
        // unknown tag 99 inside 83 at offset 4
        assert_eq!(
            TriggerParams::parse(&hex::decode("8104830299 00".replace(' ', "")).unwrap()),
            Err(Error::UnexpectedTag {
                tag: Tag::new(0x99),
                context: "83",
                offset: 4
            })
        );
        // 85 with identity length running past the end
        assert_eq!(
            TriggerParams::parse(&hex::decode("8106830485020501").unwrap()),
            Err(Error::BadLength {
                what: "PSK identity",
                len: 5,
                offset: 6
            })
        );
        // 85 with a KVN/KID length of 3
        assert_eq!(
            TriggerParams::parse(&hex::decode("81088306850401aa0340").unwrap()),
            Err(Error::BadLength {
                what: "KVN/KID",
                len: 3,
                offset: 8
            })
        );
        // 89 before 85
        assert_eq!(
            TriggerParams::parse(&hex::decode("810c830a8900850601aa02400100").unwrap()),
            Err(Error::BadValue {
                what: "order of 84/85/A5/86/89 in 83",
                offset: 6
            })
        );
        // duplicate 89
        assert_eq!(
            TriggerParams::parse(&hex::decode("8106830489008900").unwrap()),
            Err(Error::Duplicate {
                what: "89",
                offset: 6
            })
        );
        // bad timer tag in 86
        assert_eq!(
            TriggerParams::parse(&hex::decode("810b8309860700012403000100").unwrap()),
            Err(Error::BadValue {
                what: "retry waiting delay (timer value tag)",
                offset: 8
            })
        );
        // non-UTF-8 admin URI
        assert_eq!(
            TriggerParams::parse(&hex::decode("8107830589038c01ff").unwrap()),
            Err(Error::BadValue {
                what: "8C admin URI",
                offset: 8
            })
        );
        assert!(matches!(
            TriggerParams::parse(&[0x82, 0x00]),
            Err(Error::UnexpectedTag { .. })
        ));
        assert!(matches!(
            TriggerParams::parse(&[0x81, 0x00, 0x00]),
            Err(Error::Tlv(_))
        ));
    }

    /// `84` is carried as bytes and decoded on request.
    #[test]
    fn connection_parameters_decode_on_request() {
        // 84 holding a 3C with a 2-octet value.
        let input = hex::decode("8108830684043c020200").unwrap();
        let t = TriggerParams::parse(&input).unwrap();
        assert_eq!(emit(&t), input);
        assert_eq!(
            t.session.unwrap().connection_params(),
            Err(Error::BadLength {
                what: "UICC/terminal interface transport level (3C)",
                len: 2,
                offset: 2
            })
        );
        let mut conn = [0u8; 12];
        let n = ConnectionParams::tcp_client("127.0.0.1:8443".parse().unwrap())
            .emit(&mut conn)
            .unwrap();
        let t = TriggerParams {
            session: Some(SessionParams {
                connection: conn.get(..n),
                ..SessionParams::default()
            }),
            dns: None,
        };
        let bytes = emit(&t);
        let parsed = TriggerParams::parse(&bytes).unwrap();
        let c = parsed
            .session
            .unwrap()
            .connection_params()
            .unwrap()
            .unwrap();
        assert_eq!(c.server_address(), Some("127.0.0.1:8443".parse().unwrap()));
        assert_eq!(SessionParams::default().connection_params(), Ok(None));
    }

    #[test]
    fn emit_rejects_overlong_identity_and_small_buffers() {
        let id = [b'A'; 256];
        let t = TriggerParams {
            session: Some(SessionParams {
                security: Some(SecurityParams {
                    psk_identity: &id,
                    kvn: 0x40,
                    kid: 1,
                    extra: &[],
                }),
                ..SessionParams::default()
            }),
            dns: None,
        };
        assert_eq!(
            t.emit(&mut [0u8; 600]),
            Err(Error::TooLong {
                what: "PSK identity in 85",
                max: 255
            })
        );
        assert_eq!(
            TriggerParams::default().emit(&mut [0u8; 1]),
            Err(Error::BufferTooSmall {
                needed: 2,
                available: 1
            })
        );
    }
}
