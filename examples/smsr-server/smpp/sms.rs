//! SCP80 SMS in SMPP PDUs: the TP-UD of an MT SMS in a `submit_sm`, an MO
//! SMS or a delivery receipt out of a `deliver_sm`, as both ends (the
//! server's ESME and the fleet's SMSC) read and write them.
//!
//! - MT (SMPP 3.4 §4.4.1): esm_class `0x40` (UDHI, §5.2.12), protocol_id
//!   `0x7F` (SIM data download, TS 23.040 §9.2.3.9), the configured
//!   data_coding, short_message = TP-UD with its UDH (`02 70 00` or a
//!   concatenation IE first). With `concat=sar` the concatenation IE
//!   moves into sar_msg_ref_num / sar_total_segments / sar_segment_seqnum
//!   (§5.3.2.22–24).
//! - MO (§4.6.1): the same fields towards the ESME; short_message or
//!   `message_payload` (§5.3.2.32); sar_* TLVs become a 16-bit
//!   concatenation IE again so that one reassembler reads both.
//! - Delivery receipt: esm_class message type `0x04` (§5.2.12), the
//!   receipted_message_id (§5.3.2.12) and message_state (§5.3.2.35) TLVs,
//!   or else the `id:… stat:…` text of Appendix B.

use std::str::FromStr;

use rusmpp::pdus::{DeliverSm, SubmitSm};
use rusmpp::tlvs::{MessageDeliveryRequestTlvValue, MessageSubmissionRequestTlvValue, TlvValue};
use rusmpp::types::{COctetString, OctetString};
use rusmpp::values::{DataCoding, EsmClass, MessageState, RegisteredDelivery};
use smsr::scp80::sar;
use smsr::scp80::sms;

/// esm_class UDHI (SMPP 3.4 §5.2.12, GSM-specific bit 6).
pub const ESM_UDHI: u8 = 0x40;
/// esm_class message type "SMSC delivery receipt" (bits 5–2 = 0001).
pub const ESM_DELIVERY_RECEIPT: u8 = 0x04;
/// esm_class message type bits.
const ESM_TYPE_MASK: u8 = 0x3C;

/// The sar_* TLVs of a segment: reference, total, sequence number.
pub type Sar = (u16, u8, u8);

/// The fields of an MT `submit_sm` that do not come from the SMS.
#[derive(Debug, Clone)]
pub struct MtFields {
    /// source_addr.
    pub source_addr: String,
    /// data_coding.
    pub data_coding: u8,
    /// registered_delivery.
    pub registered_delivery: u8,
    /// Move the concatenation IE into sar_* TLVs.
    pub sar: bool,
}

/// A C-Octet String field of at most `MAX - 1` characters.
fn c_str<const MIN: usize, const MAX: usize>(
    what: &str,
    v: &str,
) -> Result<COctetString<MIN, MAX>, String> {
    COctetString::from_str(v).map_err(|e| format!("{what} {v:?}: {e}"))
}

/// `tp_ud` without its concatenation IE, and that IE as sar_* values
/// ([`sar::split_concat`]).
///
/// # Errors
/// The UDH is malformed.
pub fn split_concat(tp_ud: &[u8]) -> Result<(Vec<u8>, Option<Sar>), String> {
    let mut out = vec![0u8; tp_ud.len()];
    let (n, c) = sar::split_concat(tp_ud, &mut out).map_err(|e| e.to_string())?;
    out.truncate(n);
    Ok((out, c.map(|c| (c.reference, c.total, c.seq))))
}

/// `tp_ud` with a 16-bit concatenation IE for `sar` put first in its UDH
/// ([`sar::join_concat`]).
///
/// # Errors
/// The UDH is malformed or would overflow.
pub fn join_concat(tp_ud: &[u8], c: Sar) -> Result<Vec<u8>, String> {
    let mut out = vec![0u8; tp_ud.len() + 6];
    let c = sar::Sar {
        reference: c.0,
        total: c.1,
        seq: c.2,
    };
    let n = sar::join_concat(tp_ud, c, &mut out).map_err(|e| e.to_string())?;
    out.truncate(n);
    Ok(out)
}

/// The `submit_sm` carrying one MT SMS.
///
/// # Errors
/// An address or the TP-UD does not fit its field, or the UDH is
/// malformed (with `sar`).
pub fn submit_sm(f: &MtFields, to: &str, tp_ud: &[u8]) -> Result<SubmitSm, String> {
    let (short_message, sar) = if f.sar {
        split_concat(tp_ud)?
    } else {
        (tp_ud.to_vec(), None)
    };
    let mut tlvs: Vec<MessageSubmissionRequestTlvValue> = Vec::new();
    if let Some((r, total, seq)) = sar {
        tlvs.push(MessageSubmissionRequestTlvValue::SarMsgRefNum(r));
        tlvs.push(MessageSubmissionRequestTlvValue::SarTotalSegments(total));
        tlvs.push(MessageSubmissionRequestTlvValue::SarSegmentSeqnum(seq));
    }
    Ok(SubmitSm::builder()
        .source_addr(c_str("source_addr", &f.source_addr)?)
        .destination_addr(c_str("destination_addr", to)?)
        .esm_class(EsmClass::from(ESM_UDHI))
        .protocol_id(sms::PID_SIM_DATA_DOWNLOAD)
        .registered_delivery(RegisteredDelivery::from(f.registered_delivery))
        .data_coding(DataCoding::from(f.data_coding))
        .short_message(OctetString::from_vec(short_message).map_err(|e| format!("TP-UD: {e}"))?)
        .tlvs(tlvs)
        .build())
}

/// The TP-UD a `submit_sm` carries (from short_message or
/// `message_payload`, sar_* TLVs turned back into a UDH concatenation IE).
///
/// # Errors
/// The UDH is malformed.
pub fn submitted_tp_ud(s: &SubmitSm) -> Result<Vec<u8>, String> {
    let mut payload = None;
    let (mut r, mut total, mut seq) = (None, None, None);
    for t in s.tlvs() {
        match t.value() {
            Some(TlvValue::MessagePayload(p)) => payload = Some(p.value.to_vec()),
            Some(TlvValue::SarMsgRefNum(v)) => r = Some(*v),
            Some(TlvValue::SarTotalSegments(v)) => total = Some(*v),
            Some(TlvValue::SarSegmentSeqnum(v)) => seq = Some(*v),
            _ => {}
        }
    }
    let tp_ud = payload.unwrap_or_else(|| s.short_message().to_vec());
    match (r, total, seq) {
        (Some(r), Some(t), Some(q)) => join_concat(&tp_ud, (r, t, q)),
        _ => Ok(tp_ud),
    }
}

/// A delivery receipt: which message, and whether it was delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The message_id the SMSC gave the submit_sm.
    pub message_id: String,
    /// The final state (SMPP 3.4 §5.2.28 name).
    pub state: String,
    /// DELIVERED (or ENROUTE/ACCEPTED, not final failures).
    pub delivered: bool,
}

/// What a `deliver_sm` carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// An MO SMS (a PoR or an eUICC's command packet).
    Mo {
        /// source_addr.
        from: String,
        /// TP-UD.
        tp_ud: Vec<u8>,
    },
    /// A delivery receipt.
    Receipt(Receipt),
}

/// Reads a `deliver_sm`.
///
/// # Errors
/// A receipt without a message id or state, or an MO SMS whose sar_*
/// TLVs cannot be joined into its UDH.
pub fn inbound(d: &DeliverSm) -> Result<Inbound, String> {
    let (mut payload, mut id, mut state) = (None, None, None);
    let (mut r, mut total, mut seq) = (None, None, None);
    for t in d.tlvs() {
        match t.value() {
            Some(TlvValue::MessagePayload(p)) => payload = Some(p.value.to_vec()),
            Some(TlvValue::ReceiptedMessageId(v)) => id = Some(v.as_str().to_owned()),
            Some(TlvValue::MessageState(s)) => state = Some(*s),
            Some(TlvValue::SarMsgRefNum(v)) => r = Some(*v),
            Some(TlvValue::SarTotalSegments(v)) => total = Some(*v),
            Some(TlvValue::SarSegmentSeqnum(v)) => seq = Some(*v),
            _ => {}
        }
    }
    let body = payload.unwrap_or_else(|| d.short_message().to_vec());
    if u8::from(d.esm_class) & ESM_TYPE_MASK == ESM_DELIVERY_RECEIPT {
        let text = String::from_utf8_lossy(&body);
        let message_id = id
            .or_else(|| sar::receipt_field(&text, "id:").map(str::to_owned))
            .ok_or("delivery receipt without a message id")?;
        let (state, ok) = match state {
            Some(s) => (
                format!("{s:?}"),
                matches!(
                    s,
                    MessageState::Delivered | MessageState::Enroute | MessageState::Accepted
                ),
            ),
            None => {
                let s =
                    sar::receipt_field(&text, "stat:").ok_or("delivery receipt without a state")?;
                (s.to_owned(), sar::receipt_delivered(s))
            }
        };
        return Ok(Inbound::Receipt(Receipt {
            message_id,
            state,
            delivered: ok,
        }));
    }
    let tp_ud = match (r, total, seq) {
        (Some(r), Some(t), Some(q)) => join_concat(&body, (r, t, q))?,
        _ => body,
    };
    Ok(Inbound::Mo {
        from: d.source_addr.as_str().to_owned(),
        tp_ud,
    })
}

/// The `deliver_sm` of an MO SMS from `from` (TP-PID `7F`, TP-DCS `F6`).
///
/// # Errors
/// The address or the TP-UD does not fit its field.
pub fn mo_deliver_sm(from: &str, tp_ud: &[u8]) -> Result<DeliverSm, String> {
    Ok(DeliverSm::builder()
        .source_addr(c_str("source_addr", from)?)
        .esm_class(EsmClass::from(ESM_UDHI))
        .protocol_id(sms::PID_SIM_DATA_DOWNLOAD)
        .data_coding(DataCoding::from(sms::DCS_CLASS2_8BIT))
        .short_message(OctetString::from_vec(tp_ud.to_vec()).map_err(|e| format!("TP-UD: {e}"))?)
        .build())
}

/// The delivery receipt `deliver_sm` for message `id` sent to `to`
/// (SMPP 3.4 Appendix B text and the §5.3.2.12 / §5.3.2.35 TLVs).
///
/// # Errors
/// The address or id does not fit its field.
pub fn receipt_deliver_sm(to: &str, id: &str, state: MessageState) -> Result<DeliverSm, String> {
    let (stat, err) = match state {
        MessageState::Delivered => ("DELIVRD", "000"),
        MessageState::Expired => ("EXPIRED", "001"),
        MessageState::Rejected => ("REJECTD", "002"),
        _ => ("UNDELIV", "003"),
    };
    let n = if state == MessageState::Delivered {
        "001"
    } else {
        "000"
    };
    let text = format!(
        "id:{id} sub:001 dlvrd:{n} submit date:0000000000 done date:0000000000 stat:{stat} err:{err} text:"
    );
    Ok(DeliverSm::builder()
        .source_addr(c_str("source_addr", to)?)
        .esm_class(EsmClass::from(ESM_DELIVERY_RECEIPT))
        .short_message(OctetString::from_vec(text.into_bytes()).map_err(|e| e.to_string())?)
        .tlvs(vec![
            MessageDeliveryRequestTlvValue::ReceiptedMessageId(c_str("message_id", id)?),
            MessageDeliveryRequestTlvValue::MessageState(state),
        ])
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sar_moves_the_concatenation_ie_and_back() {
        // TS 23.040 §9.2.3.24.1: 05 00 03 ref total seq, then 70 00.
        let tp_ud = [0x07, 0x00, 0x03, 0x2A, 0x02, 0x01, 0x70, 0x00, 0xAA, 0xBB];
        let (short, sar) = split_concat(&tp_ud).unwrap();
        assert_eq!(short, [0x02, 0x70, 0x00, 0xAA, 0xBB]);
        assert_eq!(sar, Some((0x2A, 2, 1)));
        let back = join_concat(&short, (0x2A, 2, 1)).unwrap();
        assert_eq!(
            back,
            [
                0x08, 0x08, 0x04, 0x00, 0x2A, 0x02, 0x01, 0x70, 0x00, 0xAA, 0xBB
            ]
        );
        let (udh, _) = sms::UserDataHeader::split(&back).unwrap();
        let c = udh.concat().unwrap();
        assert_eq!((c.total, c.seq), (2, 1));
        // No concatenation: unchanged.
        assert_eq!(
            split_concat(&[0x02, 0x70, 0x00, 1]).unwrap(),
            (vec![0x02, 0x70, 0x00, 1], None)
        );
        assert!(split_concat(&[0x09, 0x70]).is_err());
    }

    #[test]
    fn the_mt_fields_are_the_scp80_ones() {
        let f = MtFields {
            source_addr: "12345".into(),
            data_coding: 0xF6,
            registered_delivery: 1,
            sar: false,
        };
        let s = submit_sm(&f, "31610000001", &[0x02, 0x70, 0x00, 0x01]).unwrap();
        assert_eq!(u8::from(s.esm_class), 0x40);
        assert_eq!(s.protocol_id, 0x7F);
        assert_eq!(u8::from(s.data_coding), 0xF6);
        assert_eq!(u8::from(s.registered_delivery), 1);
        assert_eq!(s.short_message().to_vec(), [0x02, 0x70, 0x00, 0x01]);
        assert_eq!(submitted_tp_ud(&s).unwrap(), [0x02, 0x70, 0x00, 0x01]);
        assert!(submit_sm(&f, "", &[0x02, 0x70, 0x00]).is_ok());
        assert!(submit_sm(&f, &"9".repeat(21), &[0x02, 0x70, 0x00]).is_err());
        assert!(submit_sm(&f, "1", &[0u8; 256]).is_err());
    }

    #[test]
    fn receipts_are_read_from_tlvs_or_text() {
        let d = receipt_deliver_sm("316", "m-1", MessageState::Undeliverable).unwrap();
        let Inbound::Receipt(r) = inbound(&d).unwrap() else {
            panic!("not a receipt")
        };
        assert_eq!((r.message_id.as_str(), r.delivered), ("m-1", false));
        let d = receipt_deliver_sm("316", "m-2", MessageState::Delivered).unwrap();
        assert!(matches!(inbound(&d).unwrap(), Inbound::Receipt(r) if r.delivered));
        // Appendix B text only.
        let text = b"id:77 sub:001 dlvrd:000 submit date:2601010000 done date:2601010000 stat:UNDELIV err:001 text:";
        let d = DeliverSm::builder()
            .esm_class(EsmClass::from(ESM_DELIVERY_RECEIPT))
            .short_message(OctetString::from_vec(text.to_vec()).unwrap())
            .build();
        assert_eq!(
            inbound(&d).unwrap(),
            Inbound::Receipt(Receipt {
                message_id: "77".into(),
                state: "UNDELIV".into(),
                delivered: false
            })
        );
        let d = DeliverSm::builder()
            .esm_class(EsmClass::from(ESM_DELIVERY_RECEIPT))
            .short_message(OctetString::from_vec(b"nothing".to_vec()).unwrap())
            .build();
        assert!(inbound(&d).is_err());
    }

    #[test]
    fn an_mo_sms_round_trips() {
        let d = mo_deliver_sm("31610000001", &[0x02, 0x71, 0x00, 0x05]).unwrap();
        assert_eq!(u8::from(d.esm_class), 0x40);
        assert_eq!(
            inbound(&d).unwrap(),
            Inbound::Mo {
                from: "31610000001".into(),
                tp_ud: vec![0x02, 0x71, 0x00, 0x05]
            }
        );
    }
}
