//! SMPP PDU framing over a byte stream (SMPP 3.4 §3.2: a 16-octet header
//! whose `command_length` counts the whole PDU), decoded and encoded by
//! the `rusmpp` codec.
//!
//! A PDU whose length is sane but whose body does not decode is handed
//! up as [`Frame::Malformed`] with its header, so that the session can
//! answer it with a `generic_nack` and carry on (SMPP 3.4 §4.3); a
//! `command_length` outside `16..=MAX_PDU_LEN` loses the framing and ends
//! the connection.

use bytes::BytesMut;
use rusmpp::decode::DecodeWithLength;
use rusmpp::encode::{Encode, Length};
use rusmpp::{Command, CommandStatus, Pdu};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The SMPP header: command_length, command_id, command_status,
/// sequence_number (SMPP 3.4 §3.2).
pub const HEADER_LEN: usize = 16;

/// The longest PDU taken: a submit_sm or deliver_sm with a 255-octet
/// short_message and a few TLVs fits many times; a `message_payload` of
/// a whole command packet (at most 32 SMS of 140 octets) fits too.
pub const MAX_PDU_LEN: usize = 8192;

/// `generic_nack` command_status for a body that does not decode.
pub const ESME_RSYSERR: CommandStatus = CommandStatus::EsmeRsyserr;

/// One PDU read off the stream.
#[derive(Debug)]
pub enum Frame {
    /// A PDU that decoded (boxed: a command is large, a malformed PDU
    /// small).
    Command(Box<Command>),
    /// A PDU whose body did not decode.
    Malformed {
        /// Its command_id.
        command_id: u32,
        /// Its sequence_number (a `generic_nack` echoes it).
        sequence_number: u32,
        /// What the decoder said.
        error: String,
    },
}

/// The stream cannot carry on.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The connection failed or closed.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// A command_length that loses the framing.
    #[error("command_length {0} outside {HEADER_LEN}..={MAX_PDU_LEN}")]
    Length(u32),
}

/// The big-endian `u32` at `at` of `b` (0 when `b` is too short: only for
/// the header fields of a PDU already known to be at least 16 octets).
fn be_u32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map_or(0, u32::from_be_bytes)
}

/// Reads one PDU (not cancel-safe: run it in a task of its own).
///
/// # Errors
/// The connection closed or failed, or the framing is lost.
pub async fn read_frame<R: AsyncRead + Unpin>(r: &mut R) -> Result<Frame, FrameError> {
    let command_length = r.read_u32().await?;
    read_rest(command_length, r).await
}

/// Reads the rest of a PDU whose command_length was read already.
///
/// # Errors
/// As [`read_frame`].
pub async fn read_rest<R: AsyncRead + Unpin>(
    command_length: u32,
    r: &mut R,
) -> Result<Frame, FrameError> {
    let len = usize::try_from(command_length).map_err(|_| FrameError::Length(command_length))?;
    if !(HEADER_LEN..=MAX_PDU_LEN).contains(&len) {
        return Err(FrameError::Length(command_length));
    }
    let mut body = BytesMut::zeroed(len - 4);
    r.read_exact(&mut body).await?;
    // `body` is at least 12 octets: command_id, command_status,
    // sequence_number.
    let (command_id, sequence_number) = (be_u32(&body, 0), be_u32(&body, 8));
    let body_len = body.len();
    Ok(match Command::decode(&mut body, body_len) {
        Ok((c, _)) => Frame::Command(Box::new(c)),
        Err(e) => Frame::Malformed {
            command_id,
            sequence_number,
            error: e.to_string(),
        },
    })
}

/// A command with its command_length in front.
///
/// # Errors
/// The command is longer than a PDU may be.
pub fn encode(c: &Command) -> Result<Vec<u8>, FrameError> {
    let len = 4 + c.length();
    let command_length = u32::try_from(len).map_err(|_| FrameError::Length(u32::MAX))?;
    if len > MAX_PDU_LEN {
        return Err(FrameError::Length(command_length));
    }
    let mut out = vec![0u8; len];
    let (head, rest) = out.split_at_mut(4);
    head.copy_from_slice(&command_length.to_be_bytes());
    c.encode(rest);
    Ok(out)
}

/// A `generic_nack` for `sequence_number` (SMPP 3.4 §4.3).
pub fn generic_nack(status: CommandStatus, sequence_number: u32) -> Command {
    Command::new(status, sequence_number, Pdu::GenericNack)
}

/// A command_status as a log line shows it: its SMPP name and code.
pub fn status_text(s: CommandStatus) -> String {
    format!("{s:?} ({:#010X})", u32::from(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn enquire_link_round_trips_and_matches_the_spec_bytes() {
        // SMPP 3.4 §4.11.1: enquire_link is a bare header, command_id
        // 0x00000015.
        let c = Command::new(CommandStatus::EsmeRok, 7, Pdu::EnquireLink);
        let b = encode(&c).unwrap();
        assert_eq!(b, [0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 7]);
        let mut r = &b[..];
        let Frame::Command(back) = read_frame(&mut r).await.unwrap() else {
            panic!("malformed")
        };
        assert_eq!(*back, c);
    }

    #[tokio::test]
    async fn a_body_that_does_not_decode_keeps_its_header() {
        // submit_sm (0x00000004), sequence 9, body cut after service_type.
        let b = [0, 0, 0, 18, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9, b'x', b'y'];
        let mut r = &b[..];
        match read_frame(&mut r).await.unwrap() {
            Frame::Malformed {
                command_id,
                sequence_number,
                ..
            } => assert_eq!((command_id, sequence_number), (4, 9)),
            Frame::Command(c) => panic!("decoded {c:?}"),
        }
    }

    #[tokio::test]
    async fn a_bad_length_loses_the_framing() {
        for len in [0u32, 15, 1 << 20] {
            let mut b = len.to_be_bytes().to_vec();
            b.extend_from_slice(&[0; 16]);
            let mut r = &b[..];
            assert!(matches!(
                read_frame(&mut r).await,
                Err(FrameError::Length(l)) if l == len
            ));
        }
        let mut r: &[u8] = &[0, 0];
        assert!(matches!(read_frame(&mut r).await, Err(FrameError::Io(_))));
    }
}
