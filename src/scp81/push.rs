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

#[cfg(test)]
mod tests {
    use super::*;

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
