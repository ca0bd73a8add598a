//! STORE DATA (GP Card Specification v2.3 §11.11).

use super::{CLA_GP, Error, ins};
use crate::apdu::{Command, Header};

/// STORE DATA reference control parameter P1 (GP v2.3 §11.11.2,
/// table 11-89). An open bit set; combine the constants with `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StoreDataP1(pub u8);

impl StoreDataP1 {
    /// b8: last block.
    pub const LAST_BLOCK: Self = Self(0x80);
    /// b7-b6 `01`: application-dependent encryption.
    pub const ENCRYPTION_APPLICATION_DEPENDENT: Self = Self(0x20);
    /// b7-b6 `11`: encrypted data.
    pub const ENCRYPTED: Self = Self(0x60);
    /// b5-b4 `01`: DGI structure.
    pub const DGI: Self = Self(0x08);
    /// b5-b4 `10`: BER-TLV structure.
    pub const BER_TLV: Self = Self(0x10);
    /// b1: response data expected (GP v2.3 / Amendment A).
    pub const RESPONSE_EXPECTED: Self = Self(0x01);
    /// No structure, no encryption information, more blocks follow.
    pub const NONE: Self = Self(0x00);

    /// `true` when every bit of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for StoreDataP1 {
    type Output = Self;

    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// STORE DATA for `data`, split into blocks of at most `block_size`
/// octets numbered from `first_block` in P2 (GP v2.3 §11.11.2: the block
/// number runs `00`-`FF`; the last command has P1 b8 set).
///
/// The split is on octet boundaries: a DGI or TLV may continue in the next
/// block, as GP allows. Le `00` is added to every block when
/// [`StoreDataP1::RESPONSE_EXPECTED`] is set.
///
/// ```
/// use smsr::apdu::gp::{StoreData, StoreDataP1};
/// use smsr::tlv::Encode;
/// let data = [0u8; 300];
/// let blocks = StoreData::new(StoreDataP1::DGI, &data).block_size(200).blocks()?;
/// let headers: Vec<[u8; 4]> = blocks.map(|c| c.header().to_bytes()).collect();
/// assert_eq!(headers, [[0x80, 0xE2, 0x08, 0x00], [0x80, 0xE2, 0x88, 0x01]]);
/// # Ok::<(), smsr::apdu::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct StoreData<'a> {
    data: &'a [u8],
    p1: StoreDataP1,
    block_size: usize,
    first_block: u8,
    cla: u8,
    le: bool,
}

impl<'a> StoreData<'a> {
    /// STORE DATA of `data` with P1 flags `p1` (the last-block bit is set
    /// by the builder), blocks of 255 octets, from block 0, CLA `80`.
    pub const fn new(p1: StoreDataP1, data: &'a [u8]) -> Self {
        Self {
            data,
            p1: StoreDataP1(p1.0 & !StoreDataP1::LAST_BLOCK.0),
            block_size: 255,
            first_block: 0,
            cla: CLA_GP,
            le: p1.0 & StoreDataP1::RESPONSE_EXPECTED.0 != 0,
        }
    }

    /// Append Le `00` to every block (default: only when
    /// [`StoreDataP1::RESPONSE_EXPECTED`] is set; pySim always appends it).
    pub const fn with_le(self, yes: bool) -> Self {
        Self { le: yes, ..self }
    }

    /// Maximum data octets per command (1..=255; less when secure
    /// messaging or SCP80 packet size leaves less room).
    pub const fn block_size(self, block_size: usize) -> Self {
        Self { block_size, ..self }
    }

    /// The block number of the first command.
    pub const fn first_block(self, first_block: u8) -> Self {
        Self {
            first_block,
            ..self
        }
    }

    /// The class byte (e.g. `84` with secure messaging).
    pub const fn cla(self, cla: u8) -> Self {
        Self { cla, ..self }
    }

    /// The commands, in order.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a block size outside 1..=255 or when the
    /// blocks would run past block number `FF`.
    pub fn blocks(&self) -> Result<StoreDataBlocks<'a>, Error> {
        if !(1..=255).contains(&self.block_size) {
            return Err(Error::Invalid {
                what: "STORE DATA block size",
            });
        }
        let count = self.data.len().div_ceil(self.block_size).max(1);
        if usize::from(self.first_block) + count - 1 > 0xFF {
            return Err(Error::Invalid {
                what: "STORE DATA block count",
            });
        }
        Ok(StoreDataBlocks {
            rest: Some(self.data),
            block: self.first_block,
            spec: *self,
        })
    }
}

/// The commands of a [`StoreData`], first to last.
#[derive(Debug, Clone)]
pub struct StoreDataBlocks<'a> {
    rest: Option<&'a [u8]>,
    block: u8,
    spec: StoreData<'a>,
}

impl<'a> Iterator for StoreDataBlocks<'a> {
    type Item = Command<&'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest.take()?;
        let (chunk, after) = rest.split_at(rest.len().min(self.spec.block_size));
        let last = after.is_empty();
        let mut p1 = self.spec.p1;
        if last {
            p1 = p1 | StoreDataP1::LAST_BLOCK;
        } else {
            self.rest = Some(after);
        }
        let header = Header::new(self.spec.cla, ins::STORE_DATA, p1.0, self.block);
        self.block = self.block.wrapping_add(1);
        // `blocks()` bounded the size, so these cannot fail.
        let cmd = Command::with_data(header, chunk).ok()?;
        if self.spec.le {
            cmd.with_le(256).ok()
        } else {
            Some(cmd)
        }
    }
}

impl core::iter::FusedIterator for StoreDataBlocks<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apdu::gp::{Dgi, DgiRepr};
    use crate::tlv::{self, Encode, Tag};
    extern crate alloc;
    use alloc::vec::Vec;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// ES5.EnableProfile from njiwa (jhvst/njiwa and bagyenda/njiwa,
    /// EnableProfileTransaction, quoted in shared/reference/sgp02.md §1.2):
    /// `80E2880015 3A03 12 4F10 A0000005591010FFFFFFFF8900001000`.
    #[test]
    fn enable_profile_njiwa() {
        let aid = hex("A0000005591010FFFFFFFF8900001000");
        let dgi = DgiRepr::new(Dgi(0x3A03), tlv::tlv(Tag::new(0x4F), &aid[..]));
        let mut data = [0u8; 32];
        let data = dgi.encode_to_slice(&mut data).unwrap();
        let mut cmds = StoreData::new(StoreDataP1::DGI, data).blocks().unwrap();
        let cmd = cmds.next().unwrap();
        assert!(cmds.next().is_none());
        assert_eq!(
            cmd.to_vec().unwrap(),
            hex("80E28800153A03124F10A0000005591010FFFFFFFF8900001000")
        );
    }

    /// GP v2.3 table 11-89 combinations used by SGP.02 (sgp02.md §1: `88`,
    /// `89`, `09`) and the block numbering rule of GlobalPlatform.NET's
    /// StoreData test (mbah-dhaim/GlobalPlatform.NET@76a82b8d:
    /// test/.../StoreDataCommandTests.cs: P2 = index, last block P1 | 80).
    #[test]
    fn splitting_and_numbering() {
        let data: Vec<u8> = (0..=255u8).chain(0..=99).collect();
        let p1 = StoreDataP1::DGI | StoreDataP1::RESPONSE_EXPECTED;
        let cmds: Vec<_> = StoreData::new(p1, &data)
            .block_size(120)
            .blocks()
            .unwrap()
            .collect();
        assert_eq!(cmds.len(), 3);
        let hdrs: Vec<_> = cmds.iter().map(|c| c.header().to_bytes()).collect();
        assert_eq!(
            hdrs,
            [
                [0x80, 0xE2, 0x09, 0x00],
                [0x80, 0xE2, 0x09, 0x01],
                [0x80, 0xE2, 0x89, 0x02]
            ]
        );
        let joined: Vec<u8> = cmds.iter().flat_map(|c| c.data().iter().copied()).collect();
        assert_eq!(joined, data);
        // Response expected: Le 00 on each block.
        assert_eq!(*cmds[2].to_vec().unwrap().last().unwrap(), 0x00);
        assert_eq!(cmds[2].ne(), Some(256));
        assert_eq!(cmds[0].data().len(), 120);
    }

    #[test]
    fn limits() {
        let data = [0u8; 10];
        assert!(
            StoreData::new(StoreDataP1::NONE, &data)
                .block_size(0)
                .blocks()
                .is_err()
        );
        assert!(
            StoreData::new(StoreDataP1::NONE, &data)
                .block_size(256)
                .blocks()
                .is_err()
        );
        // Block FF is the last possible.
        assert!(
            StoreData::new(StoreDataP1::NONE, &data)
                .first_block(0xFF)
                .blocks()
                .is_ok()
        );
        assert!(
            StoreData::new(StoreDataP1::NONE, &data)
                .first_block(0xFF)
                .block_size(5)
                .blocks()
                .is_err()
        );
        // Empty data: one last block without data.
        let cmds: Vec<_> = StoreData::new(StoreDataP1::BER_TLV, &[])
            .blocks()
            .unwrap()
            .collect();
        assert_eq!(cmds.len(), 1);
        assert_eq!(cmds[0].to_vec().unwrap(), [0x80, 0xE2, 0x90, 0x00]);
    }
}
