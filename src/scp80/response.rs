//! Response packets, the Proof of Receipt (ETSI TS 102 225 §5.2, 3GPP TS
//! 31.115 §4.4): the wire view, the owned plaintext representation,
//! [`build`] on the card side and [`verify`] on the server side.
//!
//! PoR security follows the command's SPI second octet with the
//! command's KIc / KID keys. Coverage: the RC/CC/DS covers the packet
//! without the RC/CC/DS field — RPL, RHL, TAR, CNTR, PCNTR, status,
//! data and padding — and, in the SMS-PP form, the UDH `02 71 00` in
//! front of it (TS 31.115 §4.4, so that the covered data stays block
//! aligned); that holds even when the PoR arrives without its UDH (an
//! SMS-DELIVER-REPORT or a TP-UD whose UDHI the ME did not set). The
//! generic form covers RPI, RPL, RHI and RHL instead. Ciphering covers
//! CNTR to the end.

use super::framing::{POR_UDH, RPI};
use super::layout::{self, Names, Prefix};
use super::secure::{self, Security, Shape};
use super::{Cntr, CommandHeader, Error, Framing, KeySet, PorStatus, Spi, Tar};
use crate::crypto::Provider;

const NAMES: Names = Names {
    packet_len: "RPL",
    header_len: "RHL",
};

/// Octets from TAR through the status code.
const FIXED_HEADER: usize = 10;
/// Offset of CNTR from the TAR.
const CNTR_AT: usize = 3;

const SHAPE: Shape = Shape {
    fixed: FIXED_HEADER,
    cntr_at: CNTR_AT,
    pcntr_at: 8,
    header_len: "RHL",
};

/// A zero-copy view of a response packet (from RPL in the SMS-PP form,
/// from RPI in the generic form); [`ResponsePacket::new_checked`] checks
/// RPL and RHL. Fields after TAR are meaningful once deciphered.
#[derive(Debug, Clone)]
pub struct ResponsePacket<T: AsRef<[u8]>> {
    buffer: T,
    framing: Framing,
    prefix: Prefix,
    /// TAR through the status code, copied out at `new_checked`.
    head: [u8; FIXED_HEADER],
}

impl<T: AsRef<[u8]>> ResponsePacket<T> {
    /// Checks the length fields and wraps the buffer.
    ///
    /// # Errors
    /// [`Error::Truncated`], [`Error::LengthMismatch`] (RPL / RHL),
    /// [`Error::BadLength`] or [`Error::Identifier`].
    pub fn new_checked(buffer: T, framing: Framing) -> Result<Self, Error> {
        let prefix = layout::read(framing, RPI, buffer.as_ref(), &NAMES, FIXED_HEADER)?;
        Self::with_prefix(buffer, framing, prefix)
    }

    /// The view of `buffer` with its checked `prefix`.
    fn with_prefix(buffer: T, framing: Framing, prefix: Prefix) -> Result<Self, Error> {
        let head = layout::head(buffer.as_ref(), &prefix, "TAR..status")?;
        Ok(Self {
            buffer,
            framing,
            prefix,
            head,
        })
    }

    /// The whole packet.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The framing this view was parsed with.
    pub const fn framing(&self) -> Framing {
        self.framing
    }

    /// RPL.
    pub const fn rpl(&self) -> usize {
        self.prefix.packet_len
    }

    /// RHL.
    pub const fn rhl(&self) -> usize {
        self.prefix.header_len
    }

    /// RC/CC/DS length (RHL − 10).
    pub const fn checksum_len(&self) -> usize {
        self.prefix.header_len - FIXED_HEADER
    }

    /// TAR.
    pub const fn tar(&self) -> Tar {
        let [t0, t1, t2, ..] = self.head;
        Tar([t0, t1, t2])
    }

    /// CNTR (plaintext only).
    pub const fn cntr(&self) -> Cntr {
        let [_, _, _, c0, c1, c2, c3, c4, _, _] = self.head;
        Cntr([c0, c1, c2, c3, c4])
    }

    /// PCNTR (plaintext only).
    pub const fn pcntr(&self) -> u8 {
        let [.., pcntr, _] = self.head;
        pcntr
    }

    /// Response status code (plaintext only).
    pub const fn status(&self) -> PorStatus {
        let [.., status] = self.head;
        PorStatus(status)
    }

    /// RC/CC/DS (plaintext only).
    pub fn checksum(&self) -> &[u8] {
        let s = self.prefix.len + FIXED_HEADER;
        let e = self.prefix.len + self.prefix.header_len;
        layout::within(self.buffer.as_ref(), s, e)
    }

    /// Additional response data including padding (plaintext only).
    pub fn data(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        layout::within(b, self.prefix.len + self.prefix.header_len, b.len())
    }
}

/// A plaintext response packet as values; `parse` / `buffer_len` /
/// `emit` are exact inverses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseRepr<'a> {
    /// TAR.
    pub tar: Tar,
    /// CNTR (the command's, echoed).
    pub cntr: Cntr,
    /// PCNTR.
    pub pcntr: u8,
    /// Response status code.
    pub status: PorStatus,
    /// The RC/CC/DS field.
    pub checksum: &'a [u8],
    /// Additional response data including padding.
    pub data: &'a [u8],
}

impl<'a> ResponseRepr<'a> {
    /// Reads a plaintext packet.
    #[must_use]
    pub fn parse(packet: &ResponsePacket<&'a [u8]>) -> Self {
        let buf: &'a [u8] = packet.buffer;
        let s = packet.prefix.len + FIXED_HEADER;
        let e = packet.prefix.len + packet.prefix.header_len;
        Self {
            tar: packet.tar(),
            cntr: packet.cntr(),
            pcntr: packet.pcntr(),
            status: packet.status(),
            checksum: layout::within(buf, s, e),
            data: layout::within(buf, e, buf.len()),
        }
    }

    fn rest(&self) -> usize {
        FIXED_HEADER + self.checksum.len() + self.data.len()
    }

    /// The emitted length.
    #[must_use]
    pub fn buffer_len(&self, framing: Framing) -> usize {
        layout::prefix_len(framing, self.rest()) + self.rest()
    }

    /// Writes the packet; returns its length.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] or [`Error::TooLong`].
    pub fn emit(&self, framing: Framing, out: &mut [u8]) -> Result<usize, Error> {
        let fixed = fixed(self.tar, self.cntr, self.pcntr, self.status);
        secure::lay_out(framing, RPI, &fixed, self.checksum, self.data, 0, out)
            .map(|(total, _)| total)
    }
}

fn fixed(tar: Tar, cntr: Cntr, pcntr: u8, status: PorStatus) -> [u8; FIXED_HEADER] {
    let [t0, t1, t2] = tar.0;
    let [c0, c1, c2, c3, c4] = cntr.0;
    [t0, t1, t2, c0, c1, c2, c3, c4, pcntr, status.0]
}

/// The extra covered octets in front of the packet for this framing.
fn covered_prefix(framing: Framing) -> &'static [u8] {
    match framing {
        Framing::SmsPp => &POR_UDH,
        Framing::Generic => &[],
    }
}

/// The PoR checksum and cipher that the command's SPI asks for.
fn por_security<'k, P: Provider>(
    keys: &'k KeySet<P>,
    command: &CommandHeader,
) -> Result<Security<'k, P>, Error> {
    let spi: Spi = command.spi;
    let checksum = keys.checksum_for(spi.por_integrity(), command.kid)?;
    let cipher = if spi.por_ciphered() {
        Some(keys.cipher_for(command.kic)?)
    } else {
        None
    };
    Ok(Security {
        provider: keys.provider(),
        checksum,
        cipher,
    })
}

/// Builds the PoR for `command` in `out`, as a card does: TAR and CNTR
/// echo the command, security follows its SPI second octet with its
/// KIc / KID keys. In the SMS-PP form the output starts at RPL (the
/// sender puts `02 71 00` in front when it sends a UDH). Returns the
/// length.
///
/// # Errors
/// Key-set errors, [`Error::BufferTooSmall`] or [`Error::TooLong`].
pub fn build<P: Provider>(
    framing: Framing,
    command: &CommandHeader,
    keys: &KeySet<P>,
    status: PorStatus,
    data: &[u8],
    out: &mut [u8],
) -> Result<usize, Error> {
    let security = por_security(keys, command)?;
    // CNTR, PCNTR and the status are ciphered along with the rest.
    let pad = security.pad_len(7 + security.checksum_len() + data.len());
    let cc = secure::blank_field(security.checksum)?;
    let fixed = fixed(command.tar, command.cntr, pad as u8, status);
    let (total, p) = secure::lay_out(framing, RPI, &fixed, cc, data, pad, out)?;
    let have = out.len();
    let packet = out.get_mut(..total).ok_or(Error::BufferTooSmall {
        needed: total,
        have,
    })?;
    secure::seal(packet, p, &SHAPE, covered_prefix(framing), &security)?;
    Ok(total)
}

/// A PoR that passed [`verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedPor<'a> {
    /// TAR.
    pub tar: Tar,
    /// CNTR.
    pub cntr: Cntr,
    /// PCNTR.
    pub pcntr: u8,
    /// Response status code.
    pub status: PorStatus,
    /// Additional response data, padding removed.
    pub data: &'a [u8],
}

/// Deciphers and verifies a PoR in place, as an OTA server does, with the
/// security of `command` (its SPI second octet, KIc and KID). In the
/// SMS-PP form `buf` starts at RPL; see [`verify_sms`] for a TP-UD.
///
/// # Errors
/// Length errors, key-set errors, [`Error::CipherLength`],
/// [`Error::HeaderLength`], [`Error::ChecksumFailed`] or
/// [`Error::Padding`].
pub fn verify<'a, P: Provider>(
    framing: Framing,
    command: &CommandHeader,
    keys: &KeySet<P>,
    buf: &'a mut [u8],
) -> Result<VerifiedPor<'a>, Error> {
    let prefix = ResponsePacket::new_checked(&*buf, framing)?.prefix;
    let security = por_security(keys, command)?;
    let opened = secure::open(buf, prefix, &SHAPE, covered_prefix(framing), &security)?;
    let view = ResponsePacket::with_prefix(opened.plain, framing, prefix)?;
    Ok(VerifiedPor {
        tar: view.tar(),
        cntr: view.cntr(),
        pcntr: opened.pcntr,
        status: view.status(),
        data: opened.payload,
    })
}

/// [`verify`] for the TP-UD of an SMS carrying a PoR, with or without
/// its UDH: a UDH holding the IEI `71` is skipped; anything else is
/// taken as a packet starting at RPL (3GPP TS 31.115 §4.4: a PoR may
/// arrive without UDHI). The checksum covers `02 71 00` either way.
///
/// # Errors
/// As [`verify`].
pub fn verify_sms<'a, P: Provider>(
    command: &CommandHeader,
    keys: &KeySet<P>,
    tp_ud: &'a mut [u8],
) -> Result<VerifiedPor<'a>, Error> {
    let skip = super::sms::por_udh_len(tp_ud);
    let (_, packet) = tp_ud.split_at_mut_checked(skip).ok_or(Error::Sms {
        what: "PoR UDH longer than the TP-UD",
        offset: 0,
    })?;
    verify(Framing::SmsPp, command, keys, packet)
}
