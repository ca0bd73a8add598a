//! The SGP.02 PSK-TLS identity (SGP.02 §2.4.4.1, table 4) and the SGP.02
//! `X-Admin-From` agent identity.
//!
//! The identity the ISD-R sends in the TLS `ClientKeyExchange` is the
//! upper-case hex text of the TLV
//! `80 01 <format> ‖ 81 10 <EID> ‖ 4F <len> <ISD-R AID> ‖ 82 01 <key id> ‖ 83 01 <key version>`
//! (format `02`). Sources agreeing on this: njiwa `RamHttp.makePskId` /
//! `makeTlsPskFromPskId`, the eUICC.tech summary of SGP.02 v4.2 §2.4.4.1,
//! and a published `openssl s_client -psk_identity 800102811089…` test
//! command (the known-answer vector in the tests below).
//!
//! Which PSK belongs to an identity is the integrator's business:
//! [`PskStore`] is the callback a TLS glue calls from its PSK server
//! callback, through [`lookup_psk`].

use super::Error;
use super::http::{AidBuf, Writer, decode_hex};
use crate::tlv::{Options, Reader, Tag};

/// Identity format `02` (the one SGP.02 defines).
pub const FORMAT_SGP02: u8 = 0x02;

/// Longest identity text [`PskIdentity::emit`] writes (45 octets as hex).
pub const MAX_TEXT_LEN: usize = 90;

const TAG_FORMAT: Tag = Tag::new(0x80);
const TAG_EID: Tag = Tag::new(0x81);
const TAG_AID: Tag = Tag::new(0x4F);
const TAG_KEY_ID: Tag = Tag::new(0x82);
const TAG_KEY_VERSION: Tag = Tag::new(0x83);

/// The SGP.02 PSK identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PskIdentity {
    /// `80`: format (`02`).
    pub format: u8,
    /// `81`: the EID (16 octets).
    pub eid: [u8; 16],
    /// `4F`: the ISD-R AID (5 to 16 octets).
    pub isd_r_aid: AidBuf,
    /// `82`: key identifier of the TLS-PSK key.
    pub key_id: u8,
    /// `83`: key version number of the TLS-PSK key (`40`–`4F` for SCP81).
    pub key_version: u8,
}

impl PskIdentity {
    /// Bytes of the identity text [`PskIdentity::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        2 * self.tlv_len()
    }

    fn tlv_len(&self) -> usize {
        3 + 18 + 2 + self.isd_r_aid.len() + 3 + 3
    }

    /// Writes the identity text (upper-case hex of the TLV) at the start of
    /// `out`; returns its length.
    ///
    /// # Errors
    /// [`Error::BadLength`] for an AID not 5 to 16 octets,
    /// [`Error::BufferTooSmall`].
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, Error> {
        let aid_len = self.isd_r_aid.len();
        let aid_len_octet = u8::try_from(aid_len)
            .ok()
            .filter(|l| (5..=16).contains(l))
            .ok_or(Error::BadLength {
                what: "ISD-R AID",
                len: aid_len,
                offset: 0,
            })?;
        let mut w = Writer::new(out);
        w.hex_upper(&[0x80, 0x01, self.format, 0x81, 0x10]);
        w.hex_upper(&self.eid);
        w.hex_upper(&[0x4F, aid_len_octet]);
        w.hex_upper(&self.isd_r_aid);
        w.hex_upper(&[0x82, 0x01, self.key_id, 0x83, 0x01, self.key_version]);
        w.finish()
    }

    /// The identity text in a fixed-capacity string.
    ///
    /// # Errors
    /// As [`PskIdentity::emit`].
    pub fn to_text(&self) -> Result<heapless::String<MAX_TEXT_LEN>, Error> {
        let mut buf = [0u8; MAX_TEXT_LEN];
        let n = self.emit(&mut buf)?;
        let too_long = Error::TooLong {
            what: "PSK identity",
            max: MAX_TEXT_LEN,
        };
        let (bytes, _) = buf.split_at_checked(n).ok_or(too_long)?;
        // emit writes hex digits only.
        let text = core::str::from_utf8(bytes).map_err(|e| Error::BadValue {
            what: "PSK identity text",
            offset: e.valid_up_to(),
        })?;
        heapless::String::try_from(text).map_err(|_| too_long)
    }

    /// Parses the identity text as received in the TLS handshake (hex of
    /// either case).
    ///
    /// # Errors
    /// [`Error::BadValue`] for a non-hex character (offset = its index) or an
    /// odd length, [`Error::TooLong`], and those of
    /// [`PskIdentity::parse_tlv`] (offsets in octets of the decoded TLV).
    pub fn parse(text: &[u8]) -> Result<Self, Error> {
        if text.len() > MAX_TEXT_LEN {
            return Err(Error::TooLong {
                what: "PSK identity",
                max: MAX_TEXT_LEN,
            });
        }
        if let Some(bad) = text
            .iter()
            .position(|&c| super::http::hex_value(c).is_none())
        {
            return Err(Error::BadValue {
                what: "PSK identity hex digit",
                offset: bad,
            });
        }
        let mut buf = [0u8; MAX_TEXT_LEN / 2];
        let tlv = decode_hex(text, &mut buf).ok_or(Error::BadValue {
            what: "PSK identity hex length",
            offset: text.len(),
        })?;
        Self::parse_tlv(tlv)
    }

    /// Parses the binary TLV form. Children may come in any order; each is
    /// required exactly once.
    ///
    /// # Errors
    /// [`Error::Tlv`], [`Error::UnexpectedTag`], [`Error::Duplicate`],
    /// [`Error::BadLength`], [`Error::MissingField`].
    pub fn parse_tlv(tlv: &[u8]) -> Result<Self, Error> {
        let mut format = None;
        let mut eid = None;
        let mut aid = None;
        let mut key_id = None;
        let mut key_version = None;
        for t in Reader::with_options(tlv, Options::strict()) {
            let t = t?;
            let at = t.offset();
            let v = t.value();
            let one = |what| match v {
                [b] => Ok(*b),
                _ => Err(Error::BadLength {
                    what,
                    len: v.len(),
                    offset: at,
                }),
            };
            let (slot_full, what) = match t.tag() {
                TAG_FORMAT => (format.replace(one("format")?).is_some(), "80"),
                TAG_EID => {
                    let e: [u8; 16] = v.try_into().map_err(|_| Error::BadLength {
                        what: "EID",
                        len: v.len(),
                        offset: at,
                    })?;
                    (eid.replace(e).is_some(), "81")
                }
                TAG_AID => {
                    let a = AidBuf::from_slice(v).ok().filter(|a| a.len() >= 5).ok_or(
                        Error::BadLength {
                            what: "ISD-R AID",
                            len: v.len(),
                            offset: at,
                        },
                    )?;
                    (aid.replace(a).is_some(), "4F")
                }
                TAG_KEY_ID => (key_id.replace(one("key identifier")?).is_some(), "82"),
                TAG_KEY_VERSION => (key_version.replace(one("key version")?).is_some(), "83"),
                other => {
                    return Err(Error::UnexpectedTag {
                        tag: other,
                        context: "PSK identity",
                        offset: at,
                    });
                }
            };
            if slot_full {
                return Err(Error::Duplicate { what, offset: at });
            }
        }
        let missing = |what| Error::MissingField { what, offset: 0 };
        Ok(Self {
            format: format.ok_or(missing("80 format"))?,
            eid: eid.ok_or(missing("81 EID"))?,
            isd_r_aid: aid.ok_or(missing("4F ISD-R AID"))?,
            key_id: key_id.ok_or(missing("82 key identifier"))?,
            key_version: key_version.ok_or(missing("83 key version"))?,
        })
    }
}

impl PskIdentity {
    /// Whether an `X-Admin-From` value names the same EID and ISD-R as this
    /// identity (a server's check that the POSTing agent is the one that
    /// authenticated).
    pub fn matches_agent_id(&self, agent_id: &str) -> bool {
        parse_agent_id(agent_id).is_ok_and(|(eid, aid)| eid == self.eid && aid == self.isd_r_aid)
    }
}

/// Where an integrator keeps TLS-PSK keys.
pub trait PskStore {
    /// Writes the PSK for `identity` at the start of `out` and returns its
    /// length, or `None` when the identity is unknown (the handshake fails).
    fn psk(&mut self, identity: &PskIdentity, out: &mut [u8]) -> Option<usize>;
}

/// Parses the identity text a TLS stack hands to its PSK callback and asks
/// `store` for the key; returns the identity and the key length in `out`.
///
/// # Errors
/// Those of [`PskIdentity::parse`]; [`Error::Protocol`] when the store does
/// not know the identity.
pub fn lookup_psk<S: PskStore + ?Sized>(
    identity_text: &[u8],
    store: &mut S,
    out: &mut [u8],
) -> Result<(PskIdentity, usize), Error> {
    let id = PskIdentity::parse(identity_text)?;
    let n = store.psk(&id, out).ok_or(Error::Protocol {
        what: "unknown PSK identity",
    })?;
    Ok((id, n))
}

/// Longest `X-Admin-From` value [`write_agent_id`] produces.
pub const MAX_AGENT_ID_LEN: usize = 12 + 32 + 13 + 10 + 1 + 22;

/// Writes the SGP.02 agent identity
/// `//se-id/eid/<EID>;//aa-id/aid/<RID>/<PIX>` (the `X-Admin-From` value
/// and the `8B` trigger parameter; form used by njiwa
/// `formatRamHTTPXAdminFrom` and SGP.02 test tools), EID as 32 digits.
///
/// # Errors
/// [`Error::BadLength`] for an AID not 5 to 16 octets;
/// [`Error::BufferTooSmall`].
pub fn write_agent_id(eid: &[u8; 16], aid: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    if !(5..=16).contains(&aid.len()) {
        return Err(Error::BadLength {
            what: "ISD-R AID",
            len: aid.len(),
            offset: 0,
        });
    }
    let (rid, pix) = aid.split_at_checked(5).unwrap_or((aid, &[]));
    let mut w = Writer::new(out);
    w.str("//se-id/eid/");
    w.hex_upper(eid);
    w.str(";//aa-id/aid/");
    w.hex_upper(rid);
    w.str("/");
    w.hex_upper(pix);
    w.finish()
}

/// Parses an SGP.02 agent identity into (EID, AID).
///
/// # Errors
/// [`Error::BadHeaderValue`] when the value does not have that shape.
pub fn parse_agent_id(value: &str) -> Result<([u8; 16], AidBuf), Error> {
    let bad = Error::BadHeaderValue {
        name: "X-Admin-From",
    };
    let rest = value.strip_prefix("//se-id/eid/").ok_or(bad)?;
    let (eid_hex, aa) = rest.split_once(';').ok_or(bad)?;
    let mut eid = [0u8; 16];
    let n = decode_hex(eid_hex.as_bytes(), &mut eid).ok_or(bad)?.len();
    if n != 16 {
        return Err(bad);
    }
    let aid = aa
        .strip_prefix("//aa-id/aid/")
        .and_then(super::http::admin::parse_rid_pix)
        .ok_or(bad)?;
    Ok((eid, aid))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::std_instead_of_alloc, clippy::std_instead_of_core)]
    extern crate std;
    use super::*;

    /// Known answer: the identity of a published SGP.02 PSK-TLS test command
    /// (`openssl s_client -psk_identity 8001028110…830140 -tls1_2 -cipher
    /// PSK-AES128-CBC-SHA256`, code index id 46747015363): SGP.02 test EID
    /// 89001012012341234012345678901224, AID 000102…0F, key id 01, KVN 40.
    const VECTOR: &str = "8001028110890010120123412340123456789012244F10000102030405060708090A0B0C0D0E0F820101830140";

    fn vector_identity() -> PskIdentity {
        let mut eid = [0u8; 16];
        hex::decode_to_slice("89001012012341234012345678901224", &mut eid).unwrap();
        PskIdentity {
            format: FORMAT_SGP02,
            eid,
            isd_r_aid: AidBuf::from_slice(&core::array::from_fn::<u8, 16, _>(|i| i as u8)).unwrap(),
            key_id: 0x01,
            key_version: 0x40,
        }
    }

    #[test]
    fn known_answer() {
        let id = vector_identity();
        assert_eq!(id.to_text().unwrap().as_str(), VECTOR);
        assert_eq!(id.buffer_len(), VECTOR.len());
        assert_eq!(PskIdentity::parse(VECTOR.as_bytes()).unwrap(), id);
        assert_eq!(
            PskIdentity::parse(VECTOR.to_lowercase().as_bytes()).unwrap(),
            id
        );
    }

    #[test]
    fn children_in_any_order() {
        let tlv = hex::decode(
            "8301408201014F05A0000005598001028110890010120123412340123456789012 24"
                .replace(' ', ""),
        )
        .unwrap();
        let id = PskIdentity::parse_tlv(&tlv).unwrap();
        assert_eq!(
            (id.key_version, id.key_id, id.isd_r_aid.len()),
            (0x40, 0x01, 5)
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            PskIdentity::parse(b"80010X"),
            Err(Error::BadValue {
                what: "PSK identity hex digit",
                offset: 5
            })
        );
        assert_eq!(
            PskIdentity::parse(b"800"),
            Err(Error::BadValue {
                what: "PSK identity hex length",
                offset: 3
            })
        );
        assert_eq!(
            PskIdentity::parse(b"800102"),
            Err(Error::MissingField {
                what: "81 EID",
                offset: 0
            })
        );
        assert_eq!(
            PskIdentity::parse(b"80010280010281020000"),
            Err(Error::Duplicate {
                what: "80",
                offset: 3
            })
        );
        assert_eq!(
            PskIdentity::parse(b"8102AABB"),
            Err(Error::BadLength {
                what: "EID",
                len: 2,
                offset: 0
            })
        );
        assert_eq!(
            PskIdentity::parse(b"9901AA"),
            Err(Error::UnexpectedTag {
                tag: Tag::new(0x99),
                context: "PSK identity",
                offset: 0
            })
        );
        assert_eq!(
            PskIdentity::parse(&[b'A'; 92]),
            Err(Error::TooLong {
                what: "PSK identity",
                max: 90
            })
        );
    }

    #[test]
    fn store_lookup() {
        struct One;
        impl PskStore for One {
            fn psk(&mut self, id: &PskIdentity, out: &mut [u8]) -> Option<usize> {
                (id.key_version == 0x40).then(|| {
                    out[..16].fill(0x11);
                    16
                })
            }
        }
        let mut key = [0u8; 64];
        let (id, n) = lookup_psk(VECTOR.as_bytes(), &mut One, &mut key).unwrap();
        assert_eq!((id.key_id, n, key[0]), (1, 16, 0x11));
        let other = VECTOR.replace("830140", "830141");
        assert_eq!(
            lookup_psk(other.as_bytes(), &mut One, &mut key),
            Err(Error::Protocol {
                what: "unknown PSK identity"
            })
        );
    }

    /// The `X-Admin-From` form seen in njiwa and in a published SGP.02 test
    /// client (code index id 42041430744):
    /// `//se-id/eid/89001012012341234012345678901224;//aa-id/aid/A000000559/1010FFFFFFFF8900000100`.
    #[test]
    fn agent_id_known_answer() {
        let text = "//se-id/eid/89001012012341234012345678901224;//aa-id/aid/A000000559/1010FFFFFFFF8900000100";
        let (eid, aid) = parse_agent_id(text).unwrap();
        let mut out = [0u8; MAX_AGENT_ID_LEN];
        let n = write_agent_id(&eid, &aid, &mut out).unwrap();
        assert_eq!(core::str::from_utf8(&out[..n]).unwrap(), text);
        assert!(parse_agent_id("//se-id/eid/8900;//aa-id/aid/A000000559/10").is_err());
        let mut id = vector_identity();
        assert!(!id.matches_agent_id(text));
        id.isd_r_aid = aid;
        assert!(id.matches_agent_id(text));
        id.eid[15] ^= 1;
        assert!(!id.matches_agent_id(text));
        assert!(parse_agent_id("//se-id/eid/89001012012341234012345678901224").is_err());
    }
}
