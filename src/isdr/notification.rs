//! eUICC notifications (SGP.02 §4.1.1.11): the `'E1'` data object the ISD-R
//! sends to the SM-SR after a first network attachment or a profile change,
//! retried until the SM-SR confirms it with
//! [`HandleNotificationConfirmation`](super::es5::handle_notification_confirmation).
//!
//! Layout: `E1 { 4C EID(16), 4D type(1), 4E sequence number(2),
//! [AID ISD-P], [IMEI], [MEID] }`. The ISD-P AID is a COMPREHENSION-TLV
//! `'2F'`/`'AF'` (ETSI TS 101 220) in njiwa and `'4F'` in the whty SM-SR;
//! all three are accepted and the tag read is kept, so a parsed
//! notification is emitted back byte for byte. IMEI is CTLV `'14'`/`'94'`
//! and MEID `'6D'`/`'ED'`.

use core::fmt;

use super::{Aid, Eid, Error};
use crate::tlv::{self, Buffer, Encode, Options, Tag, Tlv};

/// Tag of the notification template.
pub const TAG_NOTIFICATION: Tag = Tag::new(0xE1);
/// Tag of the EID in a notification.
pub const TAG_EID: Tag = Tag::new(0x4C);
/// Tag of the notification type.
pub const TAG_TYPE: Tag = Tag::new(0x4D);
/// Tag of the notification sequence number (also in the confirmation).
pub const TAG_SEQUENCE_NUMBER: Tag = Tag::new(0x4E);

/// Notification type (SGP.02 §4.1.1.11). Unknown values are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NotificationType(pub u8);

impl NotificationType {
    /// eUICC declaration: first network attachment of the eUICC.
    pub const EUICC_DECLARATION: Self = Self(0x01);
    /// Profile change succeeded (the target profile is enabled).
    pub const PROFILE_CHANGE_SUCCEEDED: Self = Self(0x02);
    /// Profile change failed and the previous profile was re-enabled.
    pub const PROFILE_CHANGE_FAILED_AND_ROLLBACK: Self = Self(0x03);
    /// Void.
    pub const VOID: Self = Self(0x04);
    /// Profile change after fall-back: the fall-back profile got enabled.
    pub const PROFILE_CHANGE_AFTER_FALLBACK: Self = Self(0x05);

    /// The name used in SGP.02, or `None` for an RFU value.
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            0x01 => Some("eUICC declaration"),
            0x02 => Some("profile change succeeded"),
            0x03 => Some("profile change failed and rollback"),
            0x04 => Some("void"),
            0x05 => Some("profile change after fall-back"),
            _ => None,
        }
    }
}

impl fmt::Debug for NotificationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({:02X})", self.0),
            None => write!(f, "RFU ({:02X})", self.0),
        }
    }
}

/// A device identifier (IMEI or MEID) as carried, with the tag it came in.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DeviceId {
    /// `'14'`/`'94'` for the IMEI, `'6D'`/`'ED'` for the MEID.
    pub tag: Tag,
    /// The value bytes (IMEI: 8 bytes BCD per TS 102 223 §8.20).
    pub value: heapless::Vec<u8, 16>,
}

/// A parsed or to-be-sent eUICC notification.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Notification {
    /// The eUICC.
    pub eid: Eid,
    /// What happened.
    pub kind: NotificationType,
    /// Sequence number, echoed in the confirmation.
    pub sequence_number: u16,
    /// The ISD-P concerned (absent in an eUICC declaration).
    pub isd_p_aid: Option<Aid>,
    /// Tag the ISD-P AID is carried under (`'4F'`, `'2F'` or `'AF'`).
    pub aid_tag: Tag,
    /// IMEI of the device.
    pub imei: Option<DeviceId>,
    /// MEID of the device.
    pub meid: Option<DeviceId>,
}

/// The COMPREHENSION-TLV AID tag (ETSI TS 101 220), as njiwa parses it.
pub const TAG_AID_CTLV: Tag = Tag::new(0x2F);

/// The AID tag `'4F'` seen in card notifications (whty), the default when
/// building.
pub const TAG_AID: Tag = Tag::new(0x4F);

fn is_aid_tag(t: Tag) -> bool {
    matches!(t.raw(), 0x2F | 0xAF | 0x4F)
}

fn set_once<T>(slot: &mut Option<T>, v: T, tag: Tag, offset: usize) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error::DuplicateTag { tag, offset });
    }
    *slot = Some(v);
    Ok(())
}

impl Notification {
    /// Parses one `'E1'` TLV covering all of `input`. Data objects may come
    /// in any order; unknown ones are skipped (an SM-SR must not lose a
    /// notification to an extension); repeated ones are an error.
    ///
    /// # Errors
    /// TLV errors, [`Error::UnexpectedTag`], [`Error::MissingTag`],
    /// [`Error::ValueLength`], [`Error::DuplicateTag`], EID errors (the
    /// check digits are not verified here: a notification from an eUICC with
    /// a bad EID must still be logged).
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        let outer = Tlv::parse_exact(input, Options::strict())?;
        if outer.tag() != TAG_NOTIFICATION {
            return Err(Error::UnexpectedTag {
                expected: TAG_NOTIFICATION,
                found: outer.tag(),
                offset: outer.offset(),
            });
        }
        let mut eid = None;
        let mut kind = None;
        let mut seq = None;
        let mut aid = None;
        let mut imei = None;
        let mut meid = None;
        for item in outer.children() {
            let t = item?;
            let (tag, v, off) = (t.tag(), t.value(), t.offset());
            let bad_len = |expected| Error::ValueLength {
                tag,
                offset: off,
                len: v.len(),
                expected,
            };
            match tag.raw() {
                0x4C => {
                    let e = Eid::from_bcd_unchecked(v).map_err(|_| bad_len("16 BCD bytes"))?;
                    set_once(&mut eid, e, tag, off)?;
                }
                0x4D => {
                    let [b] = v else { return Err(bad_len("1")) };
                    set_once(&mut kind, NotificationType(*b), tag, off)?;
                }
                0x4E => {
                    let [h, l] = v else { return Err(bad_len("2")) };
                    set_once(&mut seq, u16::from_be_bytes([*h, *l]), tag, off)?;
                }
                _ if is_aid_tag(tag) => {
                    let a = Aid::new(v).map_err(|_| bad_len("5 to 16"))?;
                    set_once(&mut aid, (tag, a), tag, off)?;
                }
                0x14 | 0x94 | 0x6D | 0xED => {
                    let value = heapless::Vec::from_slice(v).map_err(|_| bad_len("at most 16"))?;
                    let id = DeviceId { tag, value };
                    if matches!(tag.raw(), 0x14 | 0x94) {
                        set_once(&mut imei, id, tag, off)?;
                    } else {
                        set_once(&mut meid, id, tag, off)?;
                    }
                }
                _ => {}
            }
        }
        let missing = |tag| Error::MissingTag {
            tag,
            context: "eUICC notification",
            offset: outer.offset(),
        };
        Ok(Notification {
            eid: eid.ok_or(missing(TAG_EID))?,
            kind: kind.ok_or(missing(TAG_TYPE))?,
            sequence_number: seq.ok_or(missing(TAG_SEQUENCE_NUMBER))?,
            aid_tag: aid.map_or(TAG_AID, |(t, _)| t),
            isd_p_aid: aid.map(|(_, a)| a),
            imei,
            meid,
        })
    }

    fn body_len(&self) -> usize {
        let aid = self
            .isd_p_aid
            .as_ref()
            .map_or(0, |a| 2 + a.as_bytes().len());
        let dev = |d: &Option<DeviceId>| d.as_ref().map_or(0, |d| 2 + d.value.len());
        18 + 3 + 4 + aid + dev(&self.imei) + dev(&self.meid)
    }
}

impl Encode for Notification {
    fn encoded_len(&self) -> usize {
        let n = self.body_len();
        1 + tlv::encoded_length_len(n) + n
    }

    /// Writes `E1 { 4C, 4D, 4E, AID, IMEI, MEID }` in this order.
    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        let aid = self
            .isd_p_aid
            .as_ref()
            .map(|a| tlv::tlv(self.aid_tag, a.as_bytes()));
        fn dev(d: &Option<DeviceId>) -> Option<tlv::TlvEncoder<&[u8]>> {
            d.as_ref().map(|d| tlv::tlv(d.tag, &d.value[..]))
        }
        tlv::tlv(
            TAG_NOTIFICATION,
            (
                tlv::tlv(TAG_EID, &self.eid.as_bcd()[..]),
                tlv::tlv(TAG_TYPE, [self.kind.0]),
                tlv::tlv(TAG_SEQUENCE_NUMBER, self.sequence_number.to_be_bytes()),
                aid,
                dev(&self.imei),
                dev(&self.meid),
            ),
        )
        .encode(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A notification laid out as the whty SM-SR reads it
    /// (ReceiveNotificationBySmsHandler: E1 { 4C, 4D, 4E, 4F }), with the
    /// EID of its test comment 89001012012341234012345678901224.
    #[test]
    fn whty_layout() {
        let mut raw = [0u8; 64];
        let hex = "E12B4C108900101201234123401234567890122 44D01024E020001 4F10A0000005591010FFFFFFFF8900001000";
        let n = decode_hex(hex, &mut raw);
        let parsed = Notification::parse(&raw[..n]).unwrap();
        assert_eq!(
            parsed.eid,
            Eid::parse_digits_unchecked("89001012012341234012345678901224").unwrap()
        );
        assert_eq!(parsed.kind, NotificationType::PROFILE_CHANGE_SUCCEEDED);
        assert_eq!(parsed.sequence_number, 1);
        assert_eq!(parsed.aid_tag, Tag::new(0x4F));
        assert_eq!(parsed.isd_p_aid, Some(Aid::sgp02([0x00, 0x00, 0x10])));
        let mut out = [0u8; 64];
        assert_eq!(parsed.encode_to_slice(&mut out).unwrap(), &raw[..n]);
    }

    fn decode_hex(s: &str, out: &mut [u8]) -> usize {
        let clean: heapless::String<256> = s.chars().filter(|c| !c.is_whitespace()).collect();
        super::super::hex_decode(&clean, out).unwrap()
    }

    /// whty test notifications (code index ids 42032072547, 42121468296):
    /// `E135 4C10… 4D0102 4E020000 4F10…1300 1408 <IMEI>`, and the same
    /// body inside an MO SMS quoted in whty's `receiveSms` comment
    /// (ids 42050713693, 42059202836) after the TS 102 225 command header
    /// (UDH `027000`, CPL `004D`, CHL `15`, SPI `0200`, KIc `10`, KID `12`,
    /// TAR `000001`, CNTR 0, PCNTR 0, CC `45AAB54EB13D7749`).
    #[test]
    fn whty_card_notifications() {
        let mut raw = [0u8; 128];
        let n = decode_hex(
            "027000004D150200101200000100000000000045AAB54EB13D7749E1354C10890010120123412340123456789012244D01024E0200004F10A0000005591010FFFFFFFF890000130014083A45990057918503",
            &mut raw,
        );
        let sms = &raw[..n];
        assert_eq!(&sms[10..13], &[0x00, 0x00, 0x01]); // TAR of the ISD-R
        let parsed = Notification::parse(&sms[27..]).unwrap();
        assert_eq!(parsed.kind, NotificationType::PROFILE_CHANGE_SUCCEEDED);
        assert_eq!(parsed.sequence_number, 0);
        assert_eq!(parsed.isd_p_aid, Some(Aid::sgp02([0x00, 0x00, 0x13])));
        assert_eq!(parsed.aid_tag, TAG_AID);
        let imei = parsed.imei.as_ref().unwrap();
        assert_eq!(imei.tag, Tag::new(0x14));
        assert_eq!(
            &imei.value[..],
            &[0x3A, 0x45, 0x99, 0x00, 0x57, 0x91, 0x85, 0x03]
        );
        assert!(parsed.eid.verify().is_ok());
        let mut out = [0u8; 64];
        assert_eq!(parsed.encode_to_slice(&mut out).unwrap(), &sms[27..]);

        let n = decode_hex(
            "E1354C10890010120123412340123456789012244D01024E0200004F10A0000005591010FFFFFFFF890000130014081122334455667788",
            &mut raw,
        );
        let p2 = Notification::parse(&raw[..n]).unwrap();
        assert_eq!(
            &p2.imei.unwrap().value[..],
            &[0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]
        );
    }

    #[test]
    fn errors() {
        let mut raw = [0u8; 64];
        let n = decode_hex("E1044D01024E", &mut raw);
        assert!(matches!(Notification::parse(&raw[..n]), Err(Error::Tlv(_))));
        let n = decode_hex("E1074D01024E020001", &mut raw);
        assert_eq!(
            Notification::parse(&raw[..n]),
            Err(Error::MissingTag {
                tag: TAG_EID,
                context: "eUICC notification",
                offset: 0
            })
        );
        let n = decode_hex("E1064D01024D0103", &mut raw);
        assert_eq!(
            Notification::parse(&raw[..n]),
            Err(Error::DuplicateTag {
                tag: TAG_TYPE,
                offset: 5
            })
        );
        let n = decode_hex("E1034E0101", &mut raw);
        assert!(matches!(
            Notification::parse(&raw[..n]),
            Err(Error::ValueLength { offset: 2, .. })
        ));
    }
}
