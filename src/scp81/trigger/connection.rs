//! The trigger's connection parameters, the value of `84`: the
//! COMPREHENSION-TLV data objects the ISD-R copies into its CAT OPEN
//! CHANNEL proactive command (GP Amendment B §4.7 table 4-3 "Connection
//! parameters"; ETSI TS 102 223 §6.6.27).
//!
//! TS 102 223 §6.6.27.4 (packet data service bearer) and §6.6.27.6
//! (default bearer) list the data objects in this order, which
//! [`ConnectionParams`] keeps (one field each):
//!
//! ```text
//! 05 Alpha identifier (§8.2)            1E Icon identifier (§8.31)
//! 35 Bearer description (§8.52)         39 Buffer size (§8.55)
//! 47 Network Access Name (§8.61)        3E Other address: local address (§8.58)
//! 0D Text string: user login (§8.15)    0D Text string: user password (§8.15)
//! 3C UICC/terminal interface transport level (§8.59)
//! 3E Data destination address: Other address (§8.58)
//! 50 Text attribute (§8.72)             68 Frame identifier (§8.80)
//! ```
//!
//! A `3E` before `3C` is the local address, after it the data destination
//! address. From the first object with another tag on, the rest is kept
//! raw ([`ConnectionParams::others`]), so that [`ConnectionParams::emit`]
//! writes back exactly the bytes [`ConnectionParams::parse`] read,
//! comprehension-required bits included.
//!
//! Which objects an SM-SR must send: bearer description (`35`) and buffer
//! size (`39`) are mandatory in every UICC-client-mode OPEN CHANNEL
//! (TS 102 223 §6.6.27.1–.4 and .6; a public terminal implementation,
//! Qualcomm's GSTK `gstk_open_ch.c`, refuses the command without them,
//! and requires the data destination address once a UDP/TCP transport
//! level is given), and GP Amendment B hands `84` to the terminal as it
//! is; njiwa and pySim send both. [`ConnectionParams::default_bearer_tcp_client`]
//! builds that form, [`ConnectionParams::check_open_channel`] checks it.
//! The TS 102 223 tables themselves were not available to check: the
//! "mandatory" reading is from those implementations (UNCONFIRMED against
//! the ETSI text).
//!
//! Tags are the single-octet form (TS 101 220 §7.1.1.1: b8 is the
//! comprehension-required flag; `00`, `80`, `FF` are not tags and `7F`
//! starts the three-octet form, which no OPEN CHANNEL object uses); lengths
//! are one octet `00`–`7F` or `81 80`–`81 FF` (TS 101 220 §7.1.2, the only
//! forms TS 102 223 annex C allows in a proactive command), minimal.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::scp81::Error;
use crate::tlv::{Buffer, SliceBuffer};

/// The COMPREHENSION-TLV tags of OPEN CHANNEL (TS 102 223 §9.3), without
/// the comprehension-required bit.
pub mod ctlv_tag {
    /// Alpha identifier.
    pub const ALPHA_IDENTIFIER: u8 = 0x05;
    /// Text string (user login, user password).
    pub const TEXT_STRING: u8 = 0x0D;
    /// Icon identifier.
    pub const ICON_IDENTIFIER: u8 = 0x1E;
    /// Bearer description.
    pub const BEARER_DESCRIPTION: u8 = 0x35;
    /// Buffer size.
    pub const BUFFER_SIZE: u8 = 0x39;
    /// UICC/terminal interface transport level.
    pub const TRANSPORT_LEVEL: u8 = 0x3C;
    /// Other address (local address, data destination address).
    pub const OTHER_ADDRESS: u8 = 0x3E;
    /// Network Access Name.
    pub const NETWORK_ACCESS_NAME: u8 = 0x47;
    /// Text attribute.
    pub const TEXT_ATTRIBUTE: u8 = 0x50;
    /// Frame identifier.
    pub const FRAME_IDENTIFIER: u8 = 0x68;
}

/// One data object's value and its comprehension-required flag (b8 of the
/// tag, TS 101 220 §7.1.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctlv<T> {
    /// Tag sent with b8 set.
    pub comprehension_required: bool,
    /// The decoded value.
    pub value: T,
}

impl<T> Ctlv<T> {
    /// `value` under the tag without the comprehension-required bit (what
    /// the SM-SR sends; the ISD-R builds the proactive command).
    pub const fn new(value: T) -> Self {
        Self {
            comprehension_required: false,
            value,
        }
    }
}

/// Bearer type, the first octet of a Bearer description (TS 102 223
/// §8.52); an open code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BearerType(pub u8);

impl BearerType {
    /// `01` CSD.
    pub const CSD: Self = Self(0x01);
    /// `02` GPRS / UTRAN packet service.
    pub const PACKET: Self = Self(0x02);
    /// `03` default bearer for the requested transport layer.
    pub const DEFAULT: Self = Self(0x03);
}

/// `35` Bearer description (TS 102 223 §8.52).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BearerDescription<'a> {
    /// Bearer type.
    pub bearer_type: BearerType,
    /// Bearer parameters after the type, raw (empty for the default
    /// bearer).
    pub parameters: &'a [u8],
}

/// Transport protocol type of the transport level object (TS 102 223
/// §8.59); an open code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransportProtocol(pub u8);

impl TransportProtocol {
    /// `01` UDP, UICC in client mode, remote connection.
    pub const UDP_CLIENT_REMOTE: Self = Self(0x01);
    /// `02` TCP, UICC in client mode, remote connection (SCP81).
    pub const TCP_CLIENT_REMOTE: Self = Self(0x02);
    /// `03` TCP, UICC in server mode.
    pub const TCP_SERVER: Self = Self(0x03);
}

/// `3C` UICC/terminal interface transport level (TS 102 223 §8.59).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportLevel {
    /// Transport protocol type.
    pub protocol: TransportProtocol,
    /// Port number.
    pub port: u16,
}

/// Type of address of an Other address object (TS 102 223 §8.58); an open
/// code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressType(pub u8);

impl AddressType {
    /// `21` IPv4.
    pub const IPV4: Self = Self(0x21);
    /// `57` IPv6.
    pub const IPV6: Self = Self(0x57);
}

/// `3E` Other address (TS 102 223 §8.58).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherAddress<'a> {
    /// Empty value: as local address, "dynamic address requested".
    Dynamic,
    /// Type `21`, four octets.
    Ipv4(Ipv4Addr),
    /// Type `57`, sixteen octets.
    Ipv6(Ipv6Addr),
    /// Another type, its address octets raw (parsing never yields `21`
    /// or `57` here).
    Unknown {
        /// Type of address.
        address_type: AddressType,
        /// Address octets.
        address: &'a [u8],
    },
}

impl<'a> OtherAddress<'a> {
    /// The IP address, for types `21` and `57`.
    pub const fn ip(&self) -> Option<IpAddr> {
        match *self {
            Self::Ipv4(ip) => Some(IpAddr::V4(ip)),
            Self::Ipv6(ip) => Some(IpAddr::V6(ip)),
            Self::Dynamic | Self::Unknown { .. } => None,
        }
    }

    fn parse(v: &'a [u8], at: usize) -> Result<Self, Error> {
        let Some((&kind, address)) = v.split_first() else {
            return Ok(Self::Dynamic);
        };
        let bad = Error::BadLength {
            what: "other address (3E)",
            len: v.len(),
            offset: at,
        };
        match AddressType(kind) {
            AddressType::IPV4 => <[u8; 4]>::try_from(address)
                .map(|o| Self::Ipv4(o.into()))
                .map_err(|_| bad),
            AddressType::IPV6 => <[u8; 16]>::try_from(address)
                .map(|o| Self::Ipv6(o.into()))
                .map_err(|_| bad),
            address_type => Ok(Self::Unknown {
                address_type,
                address,
            }),
        }
    }
}

impl From<IpAddr> for OtherAddress<'_> {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(ip) => Self::Ipv4(ip),
            IpAddr::V6(ip) => Self::Ipv6(ip),
        }
    }
}

/// The `84` value: the OPEN CHANNEL data objects, in the TS 102 223
/// §6.6.27 order (see the [module documentation](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConnectionParams<'a> {
    /// `05` Alpha identifier, raw.
    pub alpha_identifier: Option<Ctlv<&'a [u8]>>,
    /// `1E` Icon identifier, raw.
    pub icon_identifier: Option<Ctlv<&'a [u8]>>,
    /// `35` Bearer description.
    pub bearer: Option<Ctlv<BearerDescription<'a>>>,
    /// `39` Buffer size (octets).
    pub buffer_size: Option<Ctlv<u16>>,
    /// `47` Network Access Name, raw (TS 23.003 labels).
    pub network_access_name: Option<Ctlv<&'a [u8]>>,
    /// `3E` before `3C`: the local address.
    pub local_address: Option<Ctlv<OtherAddress<'a>>>,
    /// First `0D`: user login (data coding scheme ‖ text), raw.
    pub user_login: Option<Ctlv<&'a [u8]>>,
    /// Second `0D`: user password, raw.
    pub user_password: Option<Ctlv<&'a [u8]>>,
    /// `3C` UICC/terminal interface transport level.
    pub transport: Option<Ctlv<TransportLevel>>,
    /// `3E` after `3C`: the data destination address (the SM-SR).
    pub destination: Option<Ctlv<OtherAddress<'a>>>,
    /// `50` Text attribute, raw.
    pub text_attribute: Option<Ctlv<&'a [u8]>>,
    /// `68` Frame identifier, raw.
    pub frame_identifier: Option<Ctlv<&'a [u8]>>,
    /// The data objects from the first one with a tag outside the table
    /// on, raw (well-formed COMPREHENSION-TLVs); written last.
    pub others: &'a [u8],
}

/// One data object of [`ConnectionParams`] in the table order.
#[derive(Clone, Copy)]
enum Value<'s, 'a> {
    Raw(&'a [u8]),
    Bearer(&'s BearerDescription<'a>),
    Size(u16),
    Address(&'s OtherAddress<'a>),
    Transport(TransportLevel),
}

impl Value<'_, '_> {
    const fn len(&self) -> usize {
        match self {
            Self::Raw(v) => v.len(),
            Self::Bearer(b) => 1 + b.parameters.len(),
            Self::Size(_) => 2,
            Self::Transport(_) => 3,
            Self::Address(OtherAddress::Dynamic) => 0,
            Self::Address(OtherAddress::Ipv4(_)) => 5,
            Self::Address(OtherAddress::Ipv6(_)) => 17,
            Self::Address(OtherAddress::Unknown { address, .. }) => 1 + address.len(),
        }
    }

    fn write(&self, out: &mut SliceBuffer<'_>) -> Result<(), crate::tlv::Error> {
        match *self {
            Self::Raw(v) => out.put(v),
            Self::Bearer(b) => {
                out.put(&[b.bearer_type.0])?;
                out.put(b.parameters)
            }
            Self::Size(s) => out.put(&s.to_be_bytes()),
            Self::Transport(t) => {
                let [hi, lo] = t.port.to_be_bytes();
                out.put(&[t.protocol.0, hi, lo])
            }
            Self::Address(OtherAddress::Dynamic) => Ok(()),
            Self::Address(OtherAddress::Ipv4(ip)) => {
                out.put(&[AddressType::IPV4.0])?;
                out.put(&ip.octets())
            }
            Self::Address(OtherAddress::Ipv6(ip)) => {
                out.put(&[AddressType::IPV6.0])?;
                out.put(&ip.octets())
            }
            Self::Address(OtherAddress::Unknown {
                address_type,
                address,
            }) => {
                out.put(&[address_type.0])?;
                out.put(address)
            }
        }
    }
}

/// Octets of the length field for a value of `len` octets (3 over 255,
/// where [`ConnectionParams::emit`] fails).
const fn length_octets(len: usize) -> usize {
    match len {
        0..0x80 => 1,
        0x80..=0xFF => 2,
        _ => 3,
    }
}

/// Splits the first COMPREHENSION-TLV off `data` (which starts at byte
/// offset `at`): tag octet (with its b8), value, rest.
fn split_ctlv(data: &[u8], at: usize) -> Result<(u8, &[u8], &[u8]), Error> {
    let (&tag, rest) = data.split_first().ok_or(Error::MissingField {
        what: "COMPREHENSION-TLV tag",
        offset: at,
    })?;
    if matches!(tag, 0x00 | 0x7F | 0x80 | 0xFF) {
        return Err(Error::BadValue {
            what: "COMPREHENSION-TLV tag (00, 80, FF or the three-octet 7F form)",
            offset: at,
        });
    }
    let short = |len: usize| Error::BadLength {
        what: "COMPREHENSION-TLV length",
        len,
        offset: at + 1,
    };
    let (len, rest) = match rest {
        [l @ 0x00..=0x7F, r @ ..] => (usize::from(*l), r),
        [0x81, l @ 0x80..=0xFF, r @ ..] => (usize::from(*l), r),
        [l, ..] => return Err(short(usize::from(*l))),
        [] => return Err(short(0)),
    };
    let (value, rest) = rest.split_at_checked(len).ok_or(Error::BadLength {
        what: "COMPREHENSION-TLV value",
        len,
        offset: at,
    })?;
    Ok((tag, value, rest))
}

/// Rank of a data object in the table order, `None` for a tag outside it.
/// `3E` is the local address before `3C` and the destination after it; a
/// second `0D` is the password.
const fn rank(tag: u8, after_transport: bool, after_login: bool) -> Option<usize> {
    Some(match tag {
        ctlv_tag::ALPHA_IDENTIFIER => 0,
        ctlv_tag::ICON_IDENTIFIER => 1,
        ctlv_tag::BEARER_DESCRIPTION => 2,
        ctlv_tag::BUFFER_SIZE => 3,
        ctlv_tag::NETWORK_ACCESS_NAME => 4,
        ctlv_tag::OTHER_ADDRESS if !after_transport => 5,
        ctlv_tag::TEXT_STRING if !after_login => 6,
        ctlv_tag::TEXT_STRING => 7,
        ctlv_tag::TRANSPORT_LEVEL => 8,
        ctlv_tag::OTHER_ADDRESS => 9,
        ctlv_tag::TEXT_ATTRIBUTE => 10,
        ctlv_tag::FRAME_IDENTIFIER => 11,
        _ => return None,
    })
}

/// Number of fields in the table order.
const FIELDS: usize = 12;

impl<'a> ConnectionParams<'a> {
    /// The parameters an SM-SR sends for a PSK-TLS session to `server`:
    /// transport level TCP client mode with its port, data destination
    /// address IPv4 or IPv6 (`3C 03 02 <port> 3E 05 21 <IPv4>`).
    pub const fn tcp_client(server: SocketAddr) -> Self {
        let destination = match server.ip() {
            IpAddr::V4(ip) => OtherAddress::Ipv4(ip),
            IpAddr::V6(ip) => OtherAddress::Ipv6(ip),
        };
        Self {
            alpha_identifier: None,
            icon_identifier: None,
            bearer: None,
            buffer_size: None,
            network_access_name: None,
            local_address: None,
            user_login: None,
            user_password: None,
            transport: Some(Ctlv::new(TransportLevel {
                protocol: TransportProtocol::TCP_CLIENT_REMOTE,
                port: server.port(),
            })),
            destination: Some(Ctlv::new(destination)),
            text_attribute: None,
            frame_identifier: None,
            others: &[],
        }
    }

    /// [`ConnectionParams::tcp_client`] on the default bearer with the
    /// mandatory bearer description and buffer size in front: `35 01 03`
    /// (bearer type "default bearer for requested transport layer", no
    /// parameters) and `39 02 <buffer_size>`, as TS 102 223 §6.6.27.4
    /// (OPEN CHANNEL related to default (network) bearer) requires them
    /// (see [`ConnectionParams::check_open_channel`]). njiwa sends the same
    /// pair with 512 octets by default; pySim's example uses 1400.
    pub const fn default_bearer_tcp_client(server: SocketAddr, buffer_size: u16) -> Self {
        let mut c = Self::tcp_client(server);
        c.bearer = Some(Ctlv::new(BearerDescription {
            bearer_type: BearerType::DEFAULT,
            parameters: &[],
        }));
        c.buffer_size = Some(Ctlv::new(buffer_size));
        c
    }

    /// Whether a terminal can run these parameters as an OPEN CHANNEL in
    /// UICC client mode (TS 102 223 §6.6.27.1–.4, .6: bearer description
    /// and buffer size are mandatory in every client-mode variant; with a
    /// UDP or TCP transport level the data destination address is too).
    /// Terminals refuse the command otherwise ("command data not
    /// understood by terminal"); GP Amendment B passes `84` to the
    /// terminal as it is.
    ///
    /// # Errors
    /// [`Error::MissingField`] naming the first absent object (offset 0:
    /// the `84` value).
    pub const fn check_open_channel(&self) -> Result<(), Error> {
        let what = if self.bearer.is_none() {
            "bearer description (35), mandatory in OPEN CHANNEL"
        } else if self.buffer_size.is_none() {
            "buffer size (39), mandatory in OPEN CHANNEL"
        } else if self.transport.is_some() && self.destination.is_none() {
            "data destination address (3E) after the transport level (3C)"
        } else {
            return Ok(());
        };
        Err(Error::MissingField { what, offset: 0 })
    }

    /// The server the card connects to: a TCP client mode transport level
    /// and an IPv4 or IPv6 data destination address.
    pub fn server_address(&self) -> Option<SocketAddr> {
        let t = self.transport?.value;
        let ip = self.destination?.value.ip()?;
        (t.protocol == TransportProtocol::TCP_CLIENT_REMOTE).then_some(SocketAddr::new(ip, t.port))
    }

    /// Parses a `84` value.
    ///
    /// # Errors
    /// [`Error::BadValue`] for a reserved tag or objects out of the table
    /// order, [`Error::Duplicate`], [`Error::BadLength`] for a broken or
    /// non-minimal length or a value of the wrong size, [`Error::MissingField`]
    /// (byte offsets into `input`).
    pub fn parse(input: &'a [u8]) -> Result<Self, Error> {
        Self::parse_at(input, 0)
    }

    /// [`ConnectionParams::parse`] for a value that starts at byte offset
    /// `base` of a larger message (the offsets in errors count from there).
    ///
    /// # Errors
    /// As [`ConnectionParams::parse`].
    pub fn parse_at(input: &'a [u8], base: usize) -> Result<Self, Error> {
        let mut out = Self::default();
        let mut next = 0;
        let mut rest = input;
        while !rest.is_empty() {
            let at = base + (input.len() - rest.len());
            let (tag, value, tail) = split_ctlv(rest, at)?;
            let cr = tag & 0x80 != 0;
            let after_transport = out.transport.is_some();
            let Some(r) = rank(tag & 0x7F, after_transport, out.user_login.is_some()) else {
                Self::check_raw(rest, at)?;
                out.others = rest;
                break;
            };
            if r + 1 == next || (r == 5 && out.local_address.is_some()) {
                return Err(Error::Duplicate {
                    what: "OPEN CHANNEL data object in 84",
                    offset: at,
                });
            }
            if r < next {
                return Err(Error::BadValue {
                    what: "order of the data objects in 84 (TS 102 223 §6.6.27)",
                    offset: at,
                });
            }
            out.set(r, cr, value, at + (rest.len() - tail.len() - value.len()))?;
            next = r + 1;
            rest = tail;
        }
        Ok(out)
    }

    /// Checks that `data` is a sequence of well-formed COMPREHENSION-TLVs.
    fn check_raw(mut data: &[u8], mut at: usize) -> Result<(), Error> {
        while !data.is_empty() {
            let (_, _, tail) = split_ctlv(data, at)?;
            at += data.len() - tail.len();
            data = tail;
        }
        Ok(())
    }

    /// Stores the value of the field of rank `r` (value at offset `at`).
    fn set(&mut self, r: usize, cr: bool, v: &'a [u8], at: usize) -> Result<(), Error> {
        const fn wrap<T>(comprehension_required: bool, value: T) -> Option<Ctlv<T>> {
            Some(Ctlv {
                comprehension_required,
                value,
            })
        }
        let raw = wrap(cr, v);
        match r {
            0 => self.alpha_identifier = raw,
            1 => self.icon_identifier = raw,
            2 => {
                let (&t, parameters) = v.split_first().ok_or(Error::BadLength {
                    what: "bearer description (35)",
                    len: 0,
                    offset: at,
                })?;
                self.bearer = wrap(
                    cr,
                    BearerDescription {
                        bearer_type: BearerType(t),
                        parameters,
                    },
                );
            }
            3 => {
                let size = <[u8; 2]>::try_from(v).map_err(|_| Error::BadLength {
                    what: "buffer size (39)",
                    len: v.len(),
                    offset: at,
                })?;
                self.buffer_size = wrap(cr, u16::from_be_bytes(size));
            }
            4 => self.network_access_name = raw,
            5 => self.local_address = wrap(cr, OtherAddress::parse(v, at)?),
            6 => self.user_login = raw,
            7 => self.user_password = raw,
            8 => {
                let [p, hi, lo] = <[u8; 3]>::try_from(v).map_err(|_| Error::BadLength {
                    what: "UICC/terminal interface transport level (3C)",
                    len: v.len(),
                    offset: at,
                })?;
                self.transport = wrap(
                    cr,
                    TransportLevel {
                        protocol: TransportProtocol(p),
                        port: u16::from_be_bytes([hi, lo]),
                    },
                );
            }
            9 => self.destination = wrap(cr, OtherAddress::parse(v, at)?),
            10 => self.text_attribute = raw,
            _ => self.frame_identifier = raw,
        }
        Ok(())
    }

    /// The fields in table order: tag, flag and value of each present one.
    fn fields(&self) -> [Option<(u8, bool, Value<'_, 'a>)>; FIELDS] {
        fn f<'s, 'a, T>(
            tag: u8,
            o: &'s Option<Ctlv<T>>,
            v: impl Fn(&'s T) -> Value<'s, 'a>,
        ) -> Option<(u8, bool, Value<'s, 'a>)> {
            o.as_ref()
                .map(|c| (tag, c.comprehension_required, v(&c.value)))
        }
        let raw = |r: &&'a [u8]| Value::Raw(r);
        [
            f(ctlv_tag::ALPHA_IDENTIFIER, &self.alpha_identifier, raw),
            f(ctlv_tag::ICON_IDENTIFIER, &self.icon_identifier, raw),
            f(ctlv_tag::BEARER_DESCRIPTION, &self.bearer, Value::Bearer),
            f(ctlv_tag::BUFFER_SIZE, &self.buffer_size, |s| {
                Value::Size(*s)
            }),
            f(
                ctlv_tag::NETWORK_ACCESS_NAME,
                &self.network_access_name,
                raw,
            ),
            f(ctlv_tag::OTHER_ADDRESS, &self.local_address, Value::Address),
            f(ctlv_tag::TEXT_STRING, &self.user_login, raw),
            f(ctlv_tag::TEXT_STRING, &self.user_password, raw),
            f(ctlv_tag::TRANSPORT_LEVEL, &self.transport, |t| {
                Value::Transport(*t)
            }),
            f(ctlv_tag::OTHER_ADDRESS, &self.destination, Value::Address),
            f(ctlv_tag::TEXT_ATTRIBUTE, &self.text_attribute, raw),
            f(ctlv_tag::FRAME_IDENTIFIER, &self.frame_identifier, raw),
        ]
    }

    /// Bytes [`ConnectionParams::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        let objects: usize = self
            .fields()
            .iter()
            .flatten()
            .map(|(_, _, v)| 1 + length_octets(v.len()) + v.len())
            .sum();
        objects + self.others.len()
    }

    /// Writes the data objects at the start of `out`; returns the length.
    ///
    /// # Errors
    /// [`Error::TooLong`] for a value over 255 octets,
    /// [`Error::BufferTooSmall`].
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, Error> {
        let needed = self.buffer_len();
        let available = out.len();
        let small = |_| Error::BufferTooSmall { needed, available };
        let mut w = SliceBuffer::new(out);
        for (tag, cr, v) in self.fields().iter().flatten() {
            let len = v.len();
            let flag = if *cr { 0x80 } else { 0 };
            match u8::try_from(len) {
                Ok(l @ 0..0x80) => w.put(&[tag | flag, l]).map_err(small)?,
                Ok(l) => w.put(&[tag | flag, 0x81, l]).map_err(small)?,
                Err(_) => {
                    return Err(Error::TooLong {
                        what: "OPEN CHANNEL data object value in 84",
                        max: 255,
                    });
                }
            }
            v.write(&mut w).map_err(small)?;
        }
        w.put(self.others).map_err(small)?;
        Ok(w.written())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::std_instead_of_alloc, clippy::std_instead_of_core)]
    extern crate std;
    use super::*;
    use std::{vec, vec::Vec};

    fn emit(c: &ConnectionParams<'_>) -> Vec<u8> {
        let mut v = vec![0u8; c.buffer_len()];
        assert_eq!(c.emit(&mut v).unwrap(), v.len());
        v
    }

    fn round_trip(input: &[u8]) -> ConnectionParams<'_> {
        let c = ConnectionParams::parse(input).unwrap();
        assert_eq!(emit(&c), input);
        c
    }

    /// The bytes the server has sent since the first SCP81 session
    /// (`3C 03 02 <port>`: TCP client mode, TS 102 223 §8.59; `3E 05 21
    /// <IPv4>`: §8.58), the same layout njiwa's
    /// `BipCatTP.makeOpenChannelTLVs` ends with.
    #[test]
    fn tcp_client_is_todays_bytes() {
        let c = ConnectionParams::tcp_client("127.0.0.1:8443".parse().unwrap());
        let bytes = emit(&c);
        assert_eq!(
            bytes,
            [0x3C, 0x03, 0x02, 0x20, 0xFB, 0x3E, 0x05, 0x21, 127, 0, 0, 1]
        );
        assert_eq!(round_trip(&bytes), c);
        assert_eq!(c.server_address(), Some("127.0.0.1:8443".parse().unwrap()));

        let v6 = ConnectionParams::tcp_client("[2001:db8::1]:443".parse().unwrap());
        let bytes = emit(&v6);
        let mut expect = vec![0x3C, 0x03, 0x02, 0x01, 0xBB, 0x3E, 0x11, 0x57];
        expect.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        assert_eq!(bytes, expect);
        assert_eq!(round_trip(&bytes).server_address(), v6.server_address());
    }

    /// njiwa (bagyenda/njiwa `BipCatTP.makeOpenChannelTLVs`, used for its
    /// RAM over HTTP push): alpha identifier, `35 01 03` default bearer,
    /// `39 02` buffer size, `47` APN, `3C 03 02 <port>`, `3E 05 21 <IPv4>`.
    #[test]
    fn njiwa_layout() {
        let input = hex::decode(
            concat!(
                "0504534d5352",           // 05 alpha identifier "SMSR"
                "350103",                 // 35 default bearer
                "390205dc",               // 39 buffer size 1500
                "470908696e7465726e6574", // 47 NAN "internet" (TS 23.003 label)
                "3c0302 1f90",            // 3C TCP client mode, port 8080
                "3e0521c0a8010a",         // 3E IPv4 192.168.1.10
            )
            .replace(' ', ""),
        )
        .unwrap();
        let c = round_trip(&input);
        assert_eq!(c.alpha_identifier.unwrap().value, b"SMSR");
        let bearer = c.bearer.unwrap().value;
        assert_eq!(bearer.bearer_type, BearerType::DEFAULT);
        assert!(bearer.parameters.is_empty());
        assert_eq!(c.buffer_size.map(|b| b.value), Some(1500));
        assert_eq!(c.network_access_name.unwrap().value, b"\x08internet");
        assert_eq!(c.local_address, None);
        assert_eq!(
            c.server_address(),
            Some("192.168.1.10:8080".parse().unwrap())
        );
    }

    /// The BIP client OPEN CHANNEL of the SCWS blog ("open channel bip
    /// client", smartcardwebserver.blogspot.com, 2008): GPRS bearer
    /// `35 07 02 00 00 03 00 00 02`, buffer `39 02 03 E8`, local address,
    /// login and password text strings, then transport level and data
    /// destination address: a `3E` before `3C` is the local address.
    #[test]
    fn local_address_login_password_then_destination() {
        let input = hex::decode(
            concat!(
                "35070200000300 0002",
                "390203e8",
                "3e05210a000001",
                "0d050475736572",
                "0d050470617373",
                "3c03020050",
                "3e0521c21d3604",
            )
            .replace(' ', ""),
        )
        .unwrap();
        let c = round_trip(&input);
        assert_eq!(c.bearer.unwrap().value.bearer_type, BearerType::PACKET);
        assert_eq!(c.bearer.unwrap().value.parameters, [0, 0, 3, 0, 0, 2]);
        assert_eq!(
            c.local_address.unwrap().value,
            OtherAddress::Ipv4(Ipv4Addr::new(10, 0, 0, 1))
        );
        assert_eq!(c.user_login.unwrap().value, b"\x04user");
        assert_eq!(c.user_password.unwrap().value, b"\x04pass");
        assert_eq!(c.server_address(), Some("194.29.54.4:80".parse().unwrap()));
        // A dynamic local address (empty 3E) and an unknown address type.
        let c = round_trip(&[0x3E, 0x00, 0x3C, 0x03, 0x02, 0, 80, 0x3E, 0x03, 0x99, 1, 2]);
        assert_eq!(c.local_address.unwrap().value, OtherAddress::Dynamic);
        assert_eq!(
            c.destination.unwrap().value,
            OtherAddress::Unknown {
                address_type: AddressType(0x99),
                address: &[1, 2]
            }
        );
        assert_eq!(c.server_address(), None);
    }

    /// Moved from `sim::admin` (its hand-written COMPREHENSION-TLV reader):
    /// the comprehension-required bit, the `81 xx` long length, broken
    /// lengths.
    #[test]
    fn comprehension_required_and_long_lengths() {
        let long = [
            &[0x47, 0x81, 0x80][..],
            &[0x41; 0x80],
            &[0xBC, 0x03, 0x01, 0x04, 0x00],
        ]
        .concat();
        let c = round_trip(&long);
        assert_eq!(c.network_access_name.unwrap().value.len(), 0x80);
        let t = c.transport.unwrap();
        assert!(t.comprehension_required);
        assert_eq!(t.value.protocol, TransportProtocol::UDP_CLIENT_REMOTE);
        assert_eq!(t.value.port, 0x0400);
        assert!(matches!(
            ConnectionParams::parse(&[0x3C, 0x05, 0x01]),
            Err(Error::BadLength { offset: 0, .. })
        ));
        assert!(matches!(
            ConnectionParams::parse(&[0x3C, 0x82, 0x00, 0x01, 0x00]),
            Err(Error::BadLength { offset: 1, .. })
        ));
        // Non-minimal length.
        assert!(matches!(
            ConnectionParams::parse(&[0x39, 0x81, 0x02, 0, 1]),
            Err(Error::BadLength { offset: 1, .. })
        ));
        // The fleet's comprehension-required pair.
        let c = round_trip(&[0xBC, 0x03, 0x02, 0x00, 0x50, 0xBE, 0x05, 0x21, 10, 1, 2, 3]);
        assert_eq!(c.server_address(), Some("10.1.2.3:80".parse().unwrap()));
    }

    #[test]
    fn order_duplicates_and_bad_values() {
        // 35 after 3C
        assert_eq!(
            ConnectionParams::parse(&[0x3C, 0x03, 0x02, 0, 80, 0x35, 0x01, 0x03]),
            Err(Error::BadValue {
                what: "order of the data objects in 84 (TS 102 223 §6.6.27)",
                offset: 5
            })
        );
        assert_eq!(
            ConnectionParams::parse(&[0x39, 0x02, 0, 1, 0x39, 0x02, 0, 2]),
            Err(Error::Duplicate {
                what: "OPEN CHANNEL data object in 84",
                offset: 4
            })
        );
        for tag in [0x00, 0x7F, 0x80, 0xFF] {
            let input = [0x35, 0x01, 0x03, tag, 0x00];
            assert!(matches!(
                ConnectionParams::parse(&input),
                Err(Error::BadValue { offset: 3, .. })
            ));
        }
        assert!(matches!(
            ConnectionParams::parse(&[0x3C, 0x03, 0x02, 0, 80, 0x3E, 0x04, 0x21, 1, 2, 3]),
            Err(Error::BadLength { offset: 7, .. })
        ));
        assert!(matches!(
            ConnectionParams::parse(&[0x35, 0x00]),
            Err(Error::BadLength { offset: 2, .. })
        ));
        assert!(matches!(
            ConnectionParams::parse(&[0x3C, 0x02, 0x02, 0]),
            Err(Error::BadLength { offset: 2, .. })
        ));
        assert_eq!(
            ConnectionParams::parse(&[]),
            Ok(ConnectionParams::default())
        );
    }

    /// Objects with tags outside the table are kept raw from the first one
    /// on, known tags after it included.
    #[test]
    fn other_tags_kept_raw() {
        let input = [
            0x3C, 0x03, 0x02, 0, 80, 0x99, 0x01, 0xAA, 0x3C, 0x03, 0x01, 0, 1,
        ];
        let c = round_trip(&input);
        assert_eq!(c.others, &input[5..]);
        assert_eq!(c.transport.unwrap().value.port, 80);
        assert!(matches!(
            ConnectionParams::parse(&[0x99, 0x01, 0xAA, 0x3C, 0x09]),
            Err(Error::BadLength { offset: 3, .. })
        ));
    }

    /// pySim's OPEN CHANNEL objects as `pySim/cat.py` codes them (with the
    /// comprehension-required bit), the `84` of `tests/scp81_trigger.rs`'s
    /// pySim oracle: default bearer, buffer size 1400, TCP client port 443,
    /// IPv4 127.0.0.1.
    #[test]
    fn pysim_cat_objects() {
        let input = hex::decode("b50103b9020578bc030201bbbe05217f000001").unwrap();
        let c = round_trip(&input);
        assert!(c.bearer.unwrap().comprehension_required);
        assert_eq!(c.bearer.unwrap().value.bearer_type, BearerType::DEFAULT);
        assert_eq!(c.buffer_size.unwrap().value, 1400);
        assert_eq!(c.server_address(), Some("127.0.0.1:443".parse().unwrap()));
    }

    /// TS 102 223 §6.6.27: bearer description and buffer size are
    /// mandatory; the default-bearer form carries both.
    #[test]
    fn open_channel_mandatory_objects() {
        let server = "192.0.2.7:8443".parse().unwrap();
        let c = ConnectionParams::default_bearer_tcp_client(server, 1400);
        let bytes = emit(&c);
        assert_eq!(
            hex::encode(&bytes),
            "35010339020578 3c030220fb 3e0521c0000207".replace(' ', "")
        );
        assert_eq!(round_trip(&bytes), c);
        assert_eq!(c.check_open_channel(), Ok(()));
        assert_eq!(c.server_address(), Some(server));

        let bare = ConnectionParams::tcp_client(server);
        assert!(matches!(
            bare.check_open_channel(),
            Err(Error::MissingField { what, offset: 0 }) if what.starts_with("bearer description")
        ));
        let no_size = ConnectionParams {
            buffer_size: None,
            ..c
        };
        assert!(matches!(
            no_size.check_open_channel(),
            Err(Error::MissingField { what, .. }) if what.starts_with("buffer size")
        ));
        let no_destination = ConnectionParams {
            destination: None,
            ..c
        };
        assert!(matches!(
            no_destination.check_open_channel(),
            Err(Error::MissingField { what, .. }) if what.starts_with("data destination")
        ));
        // pySim's objects (default bearer, buffer size, transport, address).
        let pysim = hex::decode("b50103b9020578bc030201bbbe05217f000001").unwrap();
        assert_eq!(round_trip(&pysim).check_open_channel(), Ok(()));
    }

    #[test]
    fn emit_errors() {
        let long = [0u8; 256];
        let c = ConnectionParams {
            network_access_name: Some(Ctlv::new(&long[..])),
            ..ConnectionParams::default()
        };
        assert!(matches!(
            c.emit(&mut [0u8; 300]),
            Err(Error::TooLong { max: 255, .. })
        ));
        let c = ConnectionParams::tcp_client("127.0.0.1:1".parse().unwrap());
        assert_eq!(
            c.emit(&mut [0u8; 11]),
            Err(Error::BufferTooSmall {
                needed: 12,
                available: 11
            })
        );
    }
}
