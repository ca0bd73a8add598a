//! Command packets (ETSI TS 102 225 §5.1, 3GPP TS 31.115 §4.2): the wire
//! view, the owned plaintext representation, and the two security
//! operations — [`wrap`] on the sending (OTA server) side and [`unwrap`]
//! on the receiving (card) side.
//!
//! Coverage (TS 102 225 §5.1.1, TS 31.115 §4.2): the RC/CC/DS is computed
//! over the packet with the RC/CC/DS field left out — CPL, CHL, SPI, KIc,
//! KID, TAR, CNTR, PCNTR, secured data and cipher padding (plus CPI and
//! CHI in the generic form) — before ciphering. Ciphering then covers
//! CNTR to the end (CNTR, PCNTR, RC/CC/DS, secured data, padding) with a
//! zero IV. Padding octets are zeros; PCNTR counts them.

use super::check_counter;
use super::framing::CPI;
use super::layout::{self, Names, Prefix};
use super::secure::{self, Security, Shape};
use super::{Cntr, CounterKey, CounterStore, Error, Framing, KeySet, Kic, Kid, Spi, Tar};
use crate::crypto::Provider;

const NAMES: Names = Names {
    packet_len: "CPL",
    header_len: "CHL",
};

/// Octets from SPI through PCNTR.
const FIXED_HEADER: usize = 13;
/// Offset of CNTR from the SPI.
const CNTR_AT: usize = 7;

const SHAPE: Shape = Shape {
    fixed: FIXED_HEADER,
    cntr_at: CNTR_AT,
    pcntr_at: 12,
    header_len: "CHL",
};

/// The clear header fields of a command packet plus its counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommandHeader {
    /// Security Parameter Indicator.
    pub spi: Spi,
    /// Ciphering key identifier.
    pub kic: Kic,
    /// RC/CC/DS key identifier.
    pub kid: Kid,
    /// Toolkit Application Reference.
    pub tar: Tar,
    /// Counter.
    pub cntr: Cntr,
}

impl CommandHeader {
    /// SPI through PCNTR as transmitted.
    const fn fixed(&self, pcntr: u8) -> [u8; FIXED_HEADER] {
        let [s0, s1] = self.spi.0;
        let [t0, t1, t2] = self.tar.0;
        let [c0, c1, c2, c3, c4] = self.cntr.0;
        [
            s0, s1, self.kic.0, self.kid.0, t0, t1, t2, c0, c1, c2, c3, c4, pcntr,
        ]
    }

    /// The key under which a receiver stores this packet's counter.
    #[must_use]
    pub const fn counter_key(&self) -> CounterKey {
        CounterKey {
            tar: self.tar,
            kic: self.kic,
            kid: self.kid,
        }
    }
}

/// A zero-copy view of a command packet (from CPL in the SMS-PP form,
/// from CPI in the generic form). [`CommandPacket::new_checked`] checks
/// CPL and CHL against the length, so no accessor can fail afterwards.
/// CNTR, PCNTR, the RC/CC/DS and the secured data are only meaningful
/// once the packet is deciphered.
#[derive(Debug, Clone)]
pub struct CommandPacket<T: AsRef<[u8]>> {
    buffer: T,
    framing: Framing,
    prefix: Prefix,
    /// SPI through PCNTR, copied out at `new_checked`.
    head: [u8; FIXED_HEADER],
}

impl<T: AsRef<[u8]>> CommandPacket<T> {
    /// Checks the length fields and wraps the buffer.
    ///
    /// # Errors
    /// [`Error::Truncated`], [`Error::LengthMismatch`] (CPL or CHL
    /// disagreeing with the data), [`Error::BadLength`] or
    /// [`Error::Identifier`] (generic form).
    pub fn new_checked(buffer: T, framing: Framing) -> Result<Self, Error> {
        let prefix = layout::read(framing, CPI, buffer.as_ref(), &NAMES, FIXED_HEADER)?;
        Self::with_prefix(buffer, framing, prefix)
    }

    /// The view of `buffer` with its checked `prefix`.
    fn with_prefix(buffer: T, framing: Framing, prefix: Prefix) -> Result<Self, Error> {
        let head = layout::head(buffer.as_ref(), &prefix, "SPI..PCNTR")?;
        Ok(Self {
            buffer,
            framing,
            prefix,
            head,
        })
    }

    /// `from..` after the length prefix (in bounds: see [`layout::within`]).
    fn tail(&self, from: usize) -> &[u8] {
        let b = self.buffer.as_ref();
        layout::within(b, self.prefix.len + from, b.len())
    }

    /// The framing this view was parsed with.
    pub const fn framing(&self) -> Framing {
        self.framing
    }

    /// The whole packet.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Releases the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// CPL.
    pub const fn cpl(&self) -> usize {
        self.prefix.packet_len
    }

    /// CHL.
    pub const fn chl(&self) -> usize {
        self.prefix.header_len
    }

    /// The RC/CC/DS length (CHL − 13).
    pub const fn checksum_len(&self) -> usize {
        self.prefix.header_len - FIXED_HEADER
    }

    /// SPI.
    pub const fn spi(&self) -> Spi {
        let [s0, s1, ..] = self.head;
        Spi([s0, s1])
    }

    /// KIc.
    pub const fn kic(&self) -> Kic {
        let [_, _, kic, ..] = self.head;
        Kic(kic)
    }

    /// KID.
    pub const fn kid(&self) -> Kid {
        let [_, _, _, kid, ..] = self.head;
        Kid(kid)
    }

    /// TAR.
    pub const fn tar(&self) -> Tar {
        let [_, _, _, _, t0, t1, t2, ..] = self.head;
        Tar([t0, t1, t2])
    }

    /// CNTR (plaintext packets only).
    pub const fn cntr(&self) -> Cntr {
        let [.., c0, c1, c2, c3, c4, _] = self.head;
        Cntr([c0, c1, c2, c3, c4])
    }

    /// PCNTR (plaintext packets only).
    pub const fn pcntr(&self) -> u8 {
        let [.., pcntr] = self.head;
        pcntr
    }

    /// The RC/CC/DS field (plaintext packets only).
    pub fn checksum(&self) -> &[u8] {
        let start = self.prefix.len + FIXED_HEADER;
        let end = self.prefix.len + self.prefix.header_len;
        layout::within(self.buffer.as_ref(), start, end)
    }

    /// Secured data including padding (plaintext packets only).
    pub fn secured_data(&self) -> &[u8] {
        self.tail(self.prefix.header_len)
    }

    /// The part that ciphering covers: CNTR to the end.
    pub fn ciphered_part(&self) -> &[u8] {
        self.tail(CNTR_AT)
    }

    /// The header fields.
    pub fn header(&self) -> CommandHeader {
        CommandHeader {
            spi: self.spi(),
            kic: self.kic(),
            kid: self.kid(),
            tar: self.tar(),
            cntr: self.cntr(),
        }
    }
}

/// A plaintext command packet as values (nothing ciphered, checksum as
/// found). `parse` / `buffer_len` / `emit` are exact inverses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandRepr<'a> {
    /// SPI, KIc, KID, TAR and CNTR.
    pub header: CommandHeader,
    /// PCNTR.
    pub pcntr: u8,
    /// The RC/CC/DS field (0 to 255 − 13 octets).
    pub checksum: &'a [u8],
    /// Secured data including any padding.
    pub secured_data: &'a [u8],
}

impl<'a> CommandRepr<'a> {
    /// Reads a plaintext packet.
    #[must_use]
    pub fn parse(packet: &CommandPacket<&'a [u8]>) -> Self {
        let buf: &'a [u8] = packet.buffer;
        let start = packet.prefix.len;
        let cc_end = start + packet.prefix.header_len;
        Self {
            header: packet.header(),
            pcntr: packet.pcntr(),
            checksum: layout::within(buf, start + FIXED_HEADER, cc_end),
            secured_data: layout::within(buf, cc_end, buf.len()),
        }
    }

    fn rest(&self) -> usize {
        FIXED_HEADER + self.checksum.len() + self.secured_data.len()
    }

    /// The emitted length.
    #[must_use]
    pub fn buffer_len(&self, framing: Framing) -> usize {
        layout::prefix_len(framing, self.rest()) + self.rest()
    }

    /// Writes the packet; returns its length.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`], or [`Error::TooLong`] when a length
    /// field cannot hold the size.
    pub fn emit(&self, framing: Framing, out: &mut [u8]) -> Result<usize, Error> {
        let fixed = self.header.fixed(self.pcntr);
        secure::lay_out(
            framing,
            CPI,
            &fixed,
            self.checksum,
            self.secured_data,
            0,
            out,
        )
        .map(|(total, _)| total)
    }
}

/// Secures `payload` (the secured data before padding) into a command
/// packet in `out`, as an OTA server does: pads for ciphering, computes
/// the RC/CC over the covered data, then ciphers CNTR to the end.
/// Returns the packet length.
///
/// # Errors
/// Key-set errors ([`Error::MissingKey`], [`Error::KeyMismatch`],
/// [`Error::UnsupportedAlgorithm`], [`Error::DigitalSignature`]),
/// [`Error::BufferTooSmall`] or [`Error::TooLong`].
pub fn wrap<P: Provider>(
    framing: Framing,
    header: &CommandHeader,
    payload: &[u8],
    keys: &KeySet<P>,
    out: &mut [u8],
) -> Result<usize, Error> {
    let security = Security {
        provider: keys.provider(),
        checksum: keys.checksum_for(header.spi.integrity(), header.kid)?,
        cipher: keys.command_cipher(header.spi, header.kic)?,
    };
    // CNTR and PCNTR are ciphered along with the RC/CC/DS and the data.
    let pad = security.pad_len(6 + security.checksum_len() + payload.len());
    let cc = secure::blank_field(security.checksum)?;
    let fixed = header.fixed(pad as u8);
    let (total, p) = secure::lay_out(framing, CPI, &fixed, cc, payload, pad, out)?;
    let have = out.len();
    let packet = out.get_mut(..total).ok_or(Error::BufferTooSmall {
        needed: total,
        have,
    })?;
    secure::seal(packet, p, &SHAPE, &[], &security)?;
    Ok(total)
}

/// A command packet that passed [`unwrap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unwrapped<'a> {
    /// SPI, KIc, KID, TAR and the received CNTR.
    pub header: CommandHeader,
    /// PCNTR.
    pub pcntr: u8,
    /// The secured data with the padding removed.
    pub payload: &'a [u8],
    /// The counter the receiver must now store (`None` when the counter
    /// mode keeps no state).
    pub new_counter: Option<Cntr>,
}

/// Opens a command packet in place, as a card does: checks CPL / CHL,
/// deciphers, verifies the RC/CC, checks PCNTR and then the counter
/// against `stored` (the receiver's counter for this key set / TAR).
///
/// On error, [`Error::por_status`] gives the status the card answers;
/// the clear header (SPI, KIc, KID, TAR) can still be read with
/// [`CommandPacket::new_checked`] on the original bytes.
///
/// # Errors
/// Length errors, key-set errors, [`Error::CipherLength`],
/// [`Error::ChecksumFailed`], [`Error::Padding`], [`Error::HeaderLength`]
/// or [`Error::Counter`].
pub fn unwrap<'a, P: Provider>(
    framing: Framing,
    buf: &'a mut [u8],
    keys: &KeySet<P>,
    stored: Cntr,
) -> Result<Unwrapped<'a>, Error> {
    let (prefix, spi, kid, kic) = {
        let view = CommandPacket::new_checked(&*buf, framing)?;
        (view.prefix, view.spi(), view.kid(), view.kic())
    };
    let security = Security {
        provider: keys.provider(),
        checksum: keys.checksum_for(spi.integrity(), kid)?,
        cipher: keys.command_cipher(spi, kic)?,
    };
    let opened = secure::open(buf, prefix, &SHAPE, &[], &security)?;
    let view = CommandPacket::with_prefix(opened.plain, framing, prefix)?;
    let header = view.header();
    let new_counter =
        check_counter(spi.counter_mode(), header.cntr, stored).map_err(Error::Counter)?;
    Ok(Unwrapped {
        header,
        pcntr: opened.pcntr,
        payload: opened.payload,
        new_counter,
    })
}

/// [`unwrap`] with the receiver's counter loaded from and saved to
/// `store` (saved only when the packet was accepted).
///
/// # Errors
/// As [`unwrap`], plus [`Error::CounterStore`].
pub fn unwrap_with_store<'a, S: CounterStore, P: Provider>(
    framing: Framing,
    buf: &'a mut [u8],
    keys: &KeySet<P>,
    store: &mut S,
) -> Result<Unwrapped<'a>, Error> {
    let key = CommandPacket::new_checked(&*buf, framing)?
        .header()
        .counter_key();
    let stored = store.load(&key).map_err(|_| Error::CounterStore)?;
    let got = unwrap(framing, buf, keys, stored)?;
    if let Some(c) = got.new_counter {
        store.store(&key, c).map_err(|_| Error::CounterStore)?;
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{CipherAlgorithm, Key};
    use crate::scp80::error::{KeyKind, KeyRole};
    use crate::scp80::{Integrity, KeyAlgorithm};

    fn header(integrity: Integrity, kid: Kid) -> CommandHeader {
        CommandHeader {
            spi: Spi([0, 0]).with_integrity(integrity),
            kic: Kic(0),
            kid,
            tar: Tar([0xB0, 0x00, 0x00]),
            cntr: Cntr([0, 0, 0, 0, 1]),
        }
    }

    /// Every SPI / KID pair whose checksum cannot be computed is refused:
    /// no packet leaves with a zero CC, or a CRC in place of a CC.
    #[test]
    fn wrap_never_sends_without_the_asked_checksum() {
        let des = Key::new(CipherAlgorithm::Des, &[0x4B; 8]).unwrap();
        let with_des = KeySet::new().with_kid(&des);
        let cc = |alg: KeyAlgorithm| Kid::new(1, alg.0);
        let cases = [
            // CC asked, no KID key at all.
            (
                KeySet::new(),
                header(Integrity::Cc, cc(KeyAlgorithm::DES)),
                Error::MissingKey(KeyRole::Kid),
            ),
            // CC asked for AES, the key is DES.
            (
                with_des.clone(),
                header(Integrity::Cc, cc(KeyAlgorithm::AES)),
                Error::KeyMismatch {
                    role: KeyRole::Kid,
                    code: 2,
                    have: KeyKind::Checksum(crate::crypto::ChecksumAlgorithm::DesCbcMac),
                },
            ),
            // DES in ECB mode is no CBC-MAC.
            (
                with_des.clone(),
                header(Integrity::Cc, cc(KeyAlgorithm::DES_ECB)),
                Error::UnsupportedAlgorithm {
                    role: KeyRole::Kid,
                    code: 0xD,
                },
            ),
            // An implicit RC with no CRC configured.
            (
                with_des.clone(),
                header(Integrity::Rc, Kid::new(1, 0)),
                Error::MissingKey(KeyRole::Kid),
            ),
            // A reserved RC algorithm.
            (
                with_des.clone(),
                header(Integrity::Rc, Kid::new(1, 0x3)),
                Error::UnsupportedAlgorithm {
                    role: KeyRole::Kid,
                    code: 0x3,
                },
            ),
            (
                with_des,
                header(Integrity::Ds, cc(KeyAlgorithm::DES)),
                Error::DigitalSignature,
            ),
        ];
        for (keys, h, want) in cases {
            let mut out = [0u8; 64];
            assert_eq!(
                wrap(Framing::SmsPp, &h, b"data", &keys, &mut out),
                Err(want)
            );
            assert_eq!(out, [0; 64], "{h:?}");
        }
    }

    /// When the SPI asks for a CC, the packet carries the real one.
    #[test]
    fn wrap_fills_the_cc() {
        let des = Key::new(CipherAlgorithm::Des, &[0x4B; 8]).unwrap();
        let keys = KeySet::new().with_kid(&des);
        let h = header(Integrity::Cc, Kid::new(1, KeyAlgorithm::DES.0));
        let mut out = [0u8; 64];
        let n = wrap(Framing::SmsPp, &h, b"data", &keys, &mut out).unwrap();
        let view = CommandPacket::new_checked(&out[..n], Framing::SmsPp).unwrap();
        assert_eq!(view.chl(), 21);
        let cc = view.checksum();
        assert_ne!(cc, &[0; 8]);
        let mut covered: heapless::Vec<u8, 64> = out[..16].iter().copied().collect();
        covered.extend_from_slice(view.secured_data()).unwrap();
        let want = crate::crypto::Checksum::cc(&des).compute(&[&covered]);
        assert_eq!(cc, want.as_bytes());
        let mut buf = out;
        assert!(unwrap(Framing::SmsPp, &mut buf[..n], &keys, Cntr([0; 5])).is_ok());
    }
}
