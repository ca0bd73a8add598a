//! The push that triggers an HTTPS session: the `81` triggering parameters
//! as the secured data of an SCP80 command packet to the ISD-R's TAR (SGP.02
//! §2.4.3.1; the packet and SMS layers are [`crate::scp80`]'s).
//!
//! How the `81` TLV sits in the secured data is not settled by the sources
//! at hand (no spec text): njiwa, an SGP.02 SM-SR, puts the TLV itself in
//! the secured data ([`PushFraming::Raw`], the default here); a GP Amd B
//! tool (pysim_otaman) offers to wrap it in a definite-length Command
//! Scripting template `AA` for TARs that only take the expanded format
//! ([`PushFraming::CommandScript`]). Inside `AA`, TS 102 226 gives tag `81`
//! another meaning (Immediate Action), so the raw form is the safer default.

use super::Error;
use super::trigger::TriggerParams;
use crate::scp80::{self, CommandHeader, KeySet};
use crate::tlv;

/// How the triggering parameters are carried in the secured data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PushFraming {
    /// The `81` TLV alone (njiwa).
    #[default]
    Raw,
    /// `AA <len> 81 …`: inside a definite-length Command Scripting template.
    CommandScript,
}

/// Tag of the definite-length Command Scripting template (TS 102 226 §5.2.1).
const COMMAND_SCRIPTING_TEMPLATE_TAG: u8 = 0xAA;

/// Writes the secured data (before SCP80 padding) of the push at the start
/// of `out`; returns its length.
///
/// # Errors
/// Those of [`TriggerParams::emit`].
pub fn push_payload(
    trigger: &TriggerParams<'_>,
    framing: PushFraming,
    out: &mut [u8],
) -> Result<usize, Error> {
    let inner = trigger.buffer_len();
    match framing {
        PushFraming::Raw => trigger.emit(out),
        PushFraming::CommandScript => {
            let head = 1 + tlv::encoded_length_len(inner);
            let needed = head + inner;
            let available = out.len();
            let (h, rest) = out
                .split_at_mut_checked(head)
                .ok_or(Error::BufferTooSmall { needed, available })?;
            let too_small = Error::BufferTooSmall { needed, available };
            let (tag, len) = h.split_first_mut().ok_or(too_small)?;
            *tag = COMMAND_SCRIPTING_TEMPLATE_TAG;
            tlv::write_length(&mut tlv::SliceBuffer::new(len), inner).map_err(|_| too_small)?;
            let n = trigger.emit(rest).map_err(|e| match e {
                Error::BufferTooSmall { .. } => too_small,
                other => other,
            })?;
            Ok(head + n)
        }
    }
}

/// Bytes [`push_payload`] writes.
pub fn push_payload_len(trigger: &TriggerParams<'_>, framing: PushFraming) -> usize {
    let inner = trigger.buffer_len();
    match framing {
        PushFraming::Raw => inner,
        PushFraming::CommandScript => 1 + tlv::encoded_length_len(inner) + inner,
    }
}

/// Largest push payload [`wrap_push`] handles (it is built on the stack).
pub const MAX_PUSH_PAYLOAD: usize = 1024;

/// Builds the push as an SCP80 command packet in its SMS-PP form (from CPL,
/// ETSI TS 102 225 / 3GPP TS 31.115) addressed by `header` (its TAR should
/// be the ISD-R's, from the EIS), secured with `keys`; returns the packet
/// length. Split it for SMS with [`scp80::sms::segments`].
///
/// # Errors
/// [`Error::TooLong`] for a payload over [`MAX_PUSH_PAYLOAD`], those of
/// [`push_payload`], and [`Error::Scp80`] from the packet layer.
pub fn wrap_push(
    trigger: &TriggerParams<'_>,
    framing: PushFraming,
    header: &CommandHeader,
    keys: &KeySet,
    out: &mut [u8],
) -> Result<usize, Error> {
    if push_payload_len(trigger, framing) > MAX_PUSH_PAYLOAD {
        return Err(Error::TooLong {
            what: "push payload",
            max: MAX_PUSH_PAYLOAD,
        });
    }
    let mut payload = [0u8; MAX_PUSH_PAYLOAD];
    let n = push_payload(trigger, framing, &mut payload)?;
    let (payload, _) = payload.split_at_checked(n).ok_or(Error::BufferTooSmall {
        needed: n,
        available: MAX_PUSH_PAYLOAD,
    })?;
    Ok(scp80::command::wrap(
        scp80::Framing::SmsPp,
        header,
        payload,
        keys,
        out,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::crypto::Key;
    use crate::scp80::{Cntr, Kic, Kid, Spi, Tar};
    use crate::scp81::trigger::{HttpPostParams, SessionParams};

    #[test]
    fn push_survives_the_card_side_unwrap() {
        let key = Key::aes(&[0x42; 16]).unwrap();
        let keys = KeySet::new().with_kic(&key).with_kid(&key);
        let header = CommandHeader {
            spi: Spi([0x16, 0x39]),
            kic: Kic(0x12),
            kid: Kid(0x12),
            tar: Tar([0x00, 0x00, 0x01]),
            cntr: Cntr([0, 0, 0, 0, 7]),
        };
        let trigger = TriggerParams {
            session: Some(SessionParams {
                http_post: Some(HttpPostParams {
                    host: Some("smsr.example"),
                    agent_id: None,
                    uri: Some("/gp/adm"),
                }),
                ..SessionParams::default()
            }),
            dns: None,
        };
        let mut tlv = [0u8; 64];
        let tlv_len = trigger.emit(&mut tlv).unwrap();
        for framing in [PushFraming::Raw, PushFraming::CommandScript] {
            let mut packet = [0u8; 256];
            let n = wrap_push(&trigger, framing, &header, &keys, &mut packet).unwrap();
            let got = scp80::command::unwrap(
                scp80::Framing::SmsPp,
                &mut packet[..n],
                &keys,
                Cntr([0, 0, 0, 0, 6]),
            )
            .unwrap();
            assert_eq!(got.header, header);
            let expect_at = if framing == PushFraming::Raw { 0 } else { 2 };
            assert_eq!(&got.payload[expect_at..], &tlv[..tlv_len]);
            assert_eq!(
                TriggerParams::parse(&got.payload[expect_at..]).unwrap(),
                trigger
            );
        }
    }

    #[test]
    fn both_framings() {
        let t = TriggerParams::default();
        let mut buf = [0u8; 8];
        assert_eq!(push_payload(&t, PushFraming::Raw, &mut buf).unwrap(), 2);
        assert_eq!(buf[..2], [0x81, 0x00]);
        assert_eq!(
            push_payload(&t, PushFraming::CommandScript, &mut buf).unwrap(),
            4
        );
        assert_eq!(buf[..4], [0xAA, 0x02, 0x81, 0x00]);
        assert_eq!(push_payload_len(&t, PushFraming::CommandScript), 4);
        assert_eq!(
            push_payload(&t, PushFraming::CommandScript, &mut buf[..3]),
            Err(Error::BufferTooSmall {
                needed: 4,
                available: 3
            })
        );
    }
}
