//! The compact remote command and response format (ETSI TS 102 226 §5.1).
//!
//! A compact command list is the plain concatenation of the C-APDUs, so any
//! tuple or slice of [`Command`](crate::apdu::Command)s (or byte slices)
//! encodes it directly into the caller's buffer:
//!
//! ```
//! use smsr::apdu::{Command, Header};
//! use smsr::remote::{CompactCommands, P3};
//! use smsr::tlv::Encode;
//! let select = Command::with_data(Header::new(0x00, 0xA4, 0x00, 0x04), &[0x3F, 0x00][..])?;
//! let read = Command::new(Header::new(0x00, 0xB0, 0x00, 0x00)).with_le(10)?;
//! let mut buf = [0u8; 32];
//! let list = (select, read).encode_to_slice(&mut buf)?;
//! assert_eq!(list, [0x00, 0xA4, 0x00, 0x04, 0x02, 0x3F, 0x00, 0x00, 0xB0, 0x00, 0x00, 0x0A]);
//! // The card side splits it again.
//! assert_eq!(CompactCommands::new(list, P3::uicc).count(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::Error;
use crate::apdu::{Header, StatusWord};
use crate::tlv::{self, Buffer, Encode};

/// What the fifth octet `P3` of a compact-format C-APDU means. The compact
/// format carries TPDU-style commands (`CLA INS P1 P2 P3 [data]`,
/// TS 102 226 §5.1.1 with TS 102 221 §10.1): `P3` is Lc when data follow
/// and Le (or absent) otherwise, and only the command itself tells which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum P3 {
    /// `P3` is Lc: `P3` data octets follow.
    Lc,
    /// `P3` is Le: no data follow.
    Le,
    /// No `P3` (a case 1 command of 4 octets).
    Absent,
}

impl P3 {
    /// The classification of TS 102 221 §10 (UICC file and security
    /// commands, as RFM sends them): READ BINARY `B0`, READ RECORD `B2`,
    /// GET RESPONSE `C0`, GET DATA `CA`, STATUS `F2`, GET CHALLENGE `84`
    /// and FETCH `12` carry Le; every other
    /// instruction carries Lc. GlobalPlatform GET STATUS (`80 F2` with
    /// data) therefore needs its own classifier.
    pub const fn uicc(header: Header) -> Self {
        match header.ins {
            0xB0 | 0xB2 | 0xC0 | 0xCA | 0xF2 | 0x84 | 0x12 => P3::Le,
            _ => P3::Lc,
        }
    }

    /// GlobalPlatform card content management as sent to a security domain
    /// in compact format: GET DATA `CA` and GET RESPONSE `C0` carry Le,
    /// everything else (INSTALL, STORE DATA, DELETE, GET STATUS, PUT KEY,
    /// SET STATUS, ...) carries Lc.
    pub const fn global_platform(header: Header) -> Self {
        match header.ins {
            0xCA | 0xC0 => P3::Le,
            _ => P3::Lc,
        }
    }
}

/// One C-APDU of a compact command list: the header, `P3` and the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactCommand<'a> {
    /// CLA INS P1 P2.
    pub header: Header,
    /// How `P3` was read.
    pub p3_kind: P3,
    /// The `P3` octet (0 when absent).
    pub p3: u8,
    /// The data (empty unless `P3` is Lc).
    pub data: &'a [u8],
    /// The command as it appeared.
    pub raw: &'a [u8],
    /// Offset of the command in the list.
    pub offset: usize,
}

/// Iterates the C-APDUs of a compact command list (TS 102 226 §5.1.1), a
/// plain concatenation, using `classify` to know whether `P3` is Lc.
/// Yields one error and stops on a truncated command.
#[derive(Debug, Clone)]
pub struct CompactCommands<'a, F> {
    input: &'a [u8],
    pos: usize,
    classify: F,
    failed: bool,
}

impl<'a, F: FnMut(Header) -> P3> CompactCommands<'a, F> {
    /// The commands of `input`.
    pub const fn new(input: &'a [u8], classify: F) -> Self {
        Self {
            input,
            pos: 0,
            classify,
            failed: false,
        }
    }
}

impl<'a, F: FnMut(Header) -> P3> Iterator for CompactCommands<'a, F> {
    type Item = Result<CompactCommand<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.input.len() {
            return None;
        }
        let start = self.pos;
        let (_, rest) = self.input.split_at_checked(start)?;
        let truncated = |at: usize| Error::Truncated {
            what: "compact C-APDU",
            offset: at,
        };
        let result = match *rest {
            [cla, ins, p1, p2, ref tail @ ..] => {
                let header = Header { cla, ins, p1, p2 };
                let kind = (self.classify)(header);
                match (kind, tail.first()) {
                    (P3::Absent, _) => Ok((header, kind, 0, &[][..], 4)),
                    (_, None) => Err(truncated(start + 4)),
                    (P3::Le, Some(&p3)) => Ok((header, kind, p3, &[][..], 5)),
                    (P3::Lc, Some(&p3)) => {
                        let n = usize::from(p3);
                        tail.get(1..=n)
                            .map(|data| (header, kind, p3, data, 5 + n))
                            .ok_or(truncated(start + rest.len()))
                    }
                }
            }
            _ => Err(truncated(start + rest.len())),
        };
        let result = result.and_then(|(header, p3_kind, p3, data, total)| {
            let raw = rest.get(..total).ok_or(truncated(start + rest.len()))?;
            Ok(CompactCommand {
                header,
                p3_kind,
                p3,
                data,
                raw,
                offset: start,
            })
        });
        match result {
            Ok(command) => {
                self.pos += command.raw.len();
                Some(Ok(command))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

impl<F: FnMut(Header) -> P3> core::iter::FusedIterator for CompactCommands<'_, F> {}

/// The compact response (TS 102 226 §5.1.2): number of executed commands,
/// SW1 SW2 of the last executed command, then its response data if any.
/// Parses zero-copy and encodes into any [`Buffer`].
///
/// ```
/// use smsr::remote::CompactResponse;
/// let r = CompactResponse::parse(&[0x01, 0x61, 0x32])?;
/// assert_eq!((r.executed, r.sw.0, r.data), (1, 0x6132, &[][..]));
/// # Ok::<(), smsr::remote::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactResponse<'a> {
    /// Number of commands executed.
    pub executed: u8,
    /// Status word of the last executed command.
    pub sw: StatusWord,
    /// Response data of the last executed command.
    pub data: &'a [u8],
}

impl<'a> CompactResponse<'a> {
    /// Parses the secured data of a PoR in compact format.
    ///
    /// # Errors
    /// [`Error::Truncated`] under 3 octets.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        match *bytes {
            [executed, sw1, sw2, ref data @ ..] => Ok(Self {
                executed,
                sw: StatusWord::new(sw1, sw2),
                data,
            }),
            _ => Err(Error::Truncated {
                what: "compact response",
                offset: bytes.len(),
            }),
        }
    }
}

impl Encode for CompactResponse<'_> {
    fn encoded_len(&self) -> usize {
        3 + self.data.len()
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        out.put(&[self.executed])?;
        out.put(&self.sw.to_bytes())?;
        out.put(self.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::vec::Vec;

    #[test]
    fn walks_a_uicc_list() {
        // SELECT MF, SELECT EF.ICCID, READ BINARY 10 (an RFM list of the
        // kind pySim's OTA tests send; P3 of READ BINARY is Le).
        let list = [
            0x00, 0xA4, 0x00, 0x04, 0x02, 0x3F, 0x00, // SELECT 3F00
            0x00, 0xA4, 0x00, 0x04, 0x02, 0x2F, 0xE2, // SELECT 2FE2
            0x00, 0xB0, 0x00, 0x00, 0x0A, // READ BINARY, Le 10
        ];
        let cmds: Vec<_> = CompactCommands::new(&list, P3::uicc)
            .map(Result::unwrap)
            .collect();
        assert_eq!(cmds.len(), 3);
        assert_eq!(cmds[1].data, [0x2F, 0xE2]);
        assert_eq!(cmds[1].offset, 7);
        assert_eq!((cmds[2].p3_kind, cmds[2].p3), (P3::Le, 0x0A));
        let joined: Vec<u8> = cmds.iter().flat_map(|c| c.raw.iter().copied()).collect();
        assert_eq!(joined, list);
    }

    #[test]
    fn truncation_is_reported_once() {
        let list = [0x00, 0xA4, 0x00, 0x04, 0x02, 0x3F];
        let mut it = CompactCommands::new(&list, P3::uicc);
        assert_eq!(
            it.next().unwrap().unwrap_err(),
            Error::Truncated {
                what: "compact C-APDU",
                offset: 6
            }
        );
        assert!(it.next().is_none());
        let mut it = CompactCommands::new(&[0x80, 0xE2], P3::global_platform);
        assert!(it.next().unwrap().is_err());
        let mut it = CompactCommands::new(&[0x80, 0xCA, 0x00, 0x85], P3::global_platform);
        assert!(it.next().unwrap().is_err());
        let mut it = CompactCommands::new(&[0x80, 0xCA, 0x00, 0x85], |_| P3::Absent);
        assert_eq!(it.next().unwrap().unwrap().raw.len(), 4);
    }

    #[test]
    fn response_round_trip() {
        // The compact response example `01 61 32` of
        // shared/reference/scp80-scp81.md §4.1 (real-card PoRs in pySim).
        let r = CompactResponse::parse(&[0x01, 0x61, 0x32]).unwrap();
        assert_eq!(r.sw, StatusWord(0x6132));
        assert_eq!(r.to_vec().unwrap(), [0x01, 0x61, 0x32]);
        let r = CompactResponse {
            executed: 3,
            sw: StatusWord::SUCCESS,
            data: &[0x98, 0x10],
        };
        let bytes = r.to_vec().unwrap();
        assert_eq!(bytes, [0x03, 0x90, 0x00, 0x98, 0x10]);
        assert_eq!(CompactResponse::parse(&bytes).unwrap(), r);
        assert!(CompactResponse::parse(&[0x01, 0x90]).is_err());
    }
}
