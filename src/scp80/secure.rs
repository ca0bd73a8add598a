//! The security steps shared by command and response packets (ETSI TS
//! 102 225 §5.1.1, §5.2.1): padding for ciphering, the RC/CC over the
//! covered data, ciphering from CNTR on, and the receiving side's checks
//! in the same order a card applies them.

use super::Error;
use super::layout::Prefix;
use crate::crypto::{self, Checksum, ChecksumAlgorithm, Provider, Tag};

/// The RC/CC/DS a packet carries: a keyless CRC, or a CC under a
/// provider-held key of the given checksum algorithm.
pub(crate) enum Check<'k, K> {
    /// CRC16 / CRC32 (no key).
    Rc(&'k Checksum),
    /// CBC-MAC / CMAC under the KID.
    Cc(&'k K, ChecksumAlgorithm),
}

impl<K> Clone for Check<'_, K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K> Copy for Check<'_, K> {}

impl<K> Check<'_, K> {
    /// The checksum algorithm.
    pub(crate) const fn algorithm(&self) -> ChecksumAlgorithm {
        match self {
            Self::Rc(c) => c.algorithm(),
            Self::Cc(_, a) => *a,
        }
    }
}

/// An RC/CC/DS with its field length.
pub(crate) type Field<'k, K> = (Check<'k, K>, usize);

/// The provider, the checksum with its field length and the ciphering
/// key, as a packet uses them.
pub(crate) struct Security<'k, P: Provider> {
    /// The provider holding the keys.
    pub(crate) provider: &'k P,
    /// The RC/CC/DS and its field length.
    pub(crate) checksum: Option<Field<'k, P::Key>>,
    /// The KIc, when the packet is ciphered.
    pub(crate) cipher: Option<&'k P::Key>,
}

impl<P: Provider> Security<'_, P> {
    /// The cipher block length, when ciphered.
    fn block_len(&self) -> Option<usize> {
        self.cipher
            .map(|k| self.provider.key_algorithm(k).block_len())
    }

    /// The RC/CC/DS over `parts` (CRCs here, CCs by the provider).
    fn compute(&self, check: Check<'_, P::Key>, parts: &[&[u8]]) -> Result<Tag, Error> {
        match check {
            Check::Rc(c) => Ok(c.compute(parts)),
            Check::Cc(k, _) => Ok(self.provider.mac(k, parts)?),
        }
    }

    /// The RC/CC/DS field length (0 without one).
    pub(crate) fn checksum_len(&self) -> usize {
        self.checksum.map_or(0, |(_, l)| l)
    }

    /// Padding octets that make `ciphered` octets whole cipher blocks
    /// (none without ciphering).
    pub(crate) fn pad_len(&self, ciphered: usize) -> usize {
        self.block_len().map_or(0, |b| (b - ciphered % b) % b)
    }
}

/// Where a packet's fields sit after its length prefix.
pub(crate) struct Shape {
    /// Octets from the first header field through the last one before
    /// the RC/CC/DS (13 for a command, 10 for a response).
    pub(crate) fixed: usize,
    /// Offset of CNTR from the first header field: ciphering starts here.
    pub(crate) cntr_at: usize,
    /// Offset of PCNTR from the first header field.
    pub(crate) pcntr_at: usize,
    /// The header length field's name, for errors.
    pub(crate) header_len: &'static str,
}

/// Sender side, on a packet laid out in `out` (prefix, fixed header with
/// PCNTR, an RC/CC/DS gap of the checksum's length, data, zero padding):
/// fills the RC/CC/DS over `covered_prefix`, the head and the data, then
/// ciphers from CNTR to the end (ETSI TS 102 225 §5.1.1: checksum before
/// ciphering).
///
/// When a checksum is asked for, the packet always leaves with it: a
/// field length the algorithm cannot fill or a buffer too short for the
/// layout is an error, and `out` is left unchanged.
pub(crate) fn seal<P: Provider>(
    out: &mut [u8],
    prefix_len: usize,
    shape: &Shape,
    covered_prefix: &[u8],
    security: &Security<'_, P>,
) -> Result<(), Error> {
    let (checksum, cipher) = (security.checksum, security.cipher);
    let head_end = prefix_len + shape.fixed;
    let cntr_at = prefix_len + shape.cntr_at;
    let needed = head_end + checksum.map_or(0, |(_, len)| len);
    let have = out.len();
    if have < needed.max(cntr_at) {
        return Err(Error::BufferTooSmall {
            needed: needed.max(cntr_at),
            have,
        });
    }
    if let Some(block) = security.block_len()
        && !(have - cntr_at).is_multiple_of(block)
    {
        return Err(Error::CipherLength {
            len: have - cntr_at,
            block,
        });
    }
    if let Some((c, len)) = checksum {
        let too_short = Error::Crypto(crypto::Error::TagLength {
            algorithm: c.algorithm(),
            len,
        });
        if !c.algorithm().allows_len(len) {
            return Err(too_short);
        }
        let (head, rest) = out.split_at_mut_checked(head_end).ok_or(too_short)?;
        let (field, data) = rest.split_at_mut_checked(len).ok_or(too_short)?;
        let tag = security.compute(c, &[covered_prefix, head, data])?;
        field.copy_from_slice(tag.truncated(len).ok_or(too_short)?);
    }
    if let Some(k) = cipher {
        let (_, ciphered) = out
            .split_at_mut_checked(cntr_at)
            .ok_or(Error::BufferTooSmall {
                needed: cntr_at,
                have,
            })?;
        security.provider.encrypt_cbc(k, ciphered)?;
    }
    Ok(())
}

/// The still empty RC/CC/DS field a sender lays out before [`seal`]
/// fills it: as many zeros as the checksum's field length (none without
/// a checksum).
///
/// # Errors
/// [`crypto::Error::TagLength`] when the algorithm cannot fill a field
/// of that length.
pub(crate) fn blank_field<K>(
    checksum: Option<(Check<'_, K>, usize)>,
) -> Result<&'static [u8], Error> {
    static ZEROS: [u8; 16] = [0; 16];
    match checksum {
        None => Ok(&[]),
        Some((c, len)) => ZEROS
            .get(..len)
            .filter(|_| c.algorithm().allows_len(len))
            .ok_or(Error::Crypto(crypto::Error::TagLength {
                algorithm: c.algorithm(),
                len,
            })),
    }
}

/// A packet that [`open`] deciphered and verified.
pub(crate) struct Opened<'a> {
    /// The whole packet, now in plaintext.
    pub(crate) plain: &'a [u8],
    /// PCNTR.
    pub(crate) pcntr: u8,
    /// The data after the RC/CC/DS with the padding removed.
    pub(crate) payload: &'a [u8],
}

/// Receiver side: checks the RC/CC/DS length against the checksum,
/// deciphers from CNTR in place, verifies the RC/CC/DS and then PCNTR.
pub(crate) fn open<'a, P: Provider>(
    buf: &'a mut [u8],
    prefix: Prefix,
    shape: &Shape,
    covered_prefix: &[u8],
    security: &Security<'_, P>,
) -> Result<Opened<'a>, Error> {
    let (checksum, cipher) = (security.checksum, security.cipher);
    let cc_len = prefix.header_len - shape.fixed;
    let len_ok = match checksum {
        None => cc_len == 0,
        Some((c, _)) => c.algorithm().allows_len(cc_len),
    };
    if !len_ok {
        return Err(Error::HeaderLength {
            field: shape.header_len,
            declared: prefix.header_len,
            expected: shape.fixed + checksum.map_or(0, |(_, l)| l),
        });
    }
    let have = buf.len();
    let cntr_at = prefix.len + shape.cntr_at;
    let head_end = prefix.len + shape.fixed;
    if have < head_end + cc_len {
        return Err(truncated(
            shape.header_len,
            prefix.len,
            shape.fixed + cc_len,
            have,
        ));
    }
    if let (Some(k), Some(block)) = (cipher, security.block_len()) {
        let (_, part) = buf
            .split_at_mut_checked(cntr_at)
            .ok_or(truncated("CNTR", cntr_at, 5, have))?;
        if !part.len().is_multiple_of(block) {
            return Err(Error::CipherLength {
                len: part.len(),
                block,
            });
        }
        security.provider.decrypt_cbc(k, part)?;
    }
    let plain: &'a [u8] = buf;
    let (head, body) = plain.split_at_checked(head_end).ok_or(truncated(
        shape.header_len,
        prefix.len,
        shape.fixed,
        have,
    ))?;
    let (received, data) = body
        .split_at_checked(cc_len)
        .ok_or(truncated("RC/CC/DS", head_end, cc_len, have))?;
    if let Some((c, _)) = checksum
        && !security
            .compute(c, &[covered_prefix, head, data])?
            .matches(received)
    {
        return Err(Error::ChecksumFailed);
    }
    let pcntr_at = prefix.len + shape.pcntr_at;
    let pcntr = *plain
        .get(pcntr_at)
        .ok_or(truncated("PCNTR", pcntr_at, 1, have))?;
    let payload = strip_padding(pcntr, data, security.block_len())?;
    Ok(Opened {
        plain,
        pcntr,
        payload,
    })
}

/// An [`Error::Truncated`] for `field` at `offset` in a buffer of `have`
/// octets.
const fn truncated(field: &'static str, offset: usize, needed: usize, have: usize) -> Error {
    Error::Truncated {
        field,
        offset,
        needed,
        have: have.saturating_sub(offset),
    }
}

/// The secured data without the `pcntr` padding octets ciphering added
/// (TS 102 225 §5.1.1: PCNTR counts them; none without ciphering).
fn strip_padding(pcntr: u8, data: &[u8], block: Option<usize>) -> Result<&[u8], Error> {
    let pad = usize::from(pcntr);
    let padding = Error::Padding {
        pcntr,
        data_len: data.len(),
        ciphered: block.is_some(),
    };
    let pad_ok = match block {
        Some(b) => pad < b,
        None => pad == 0,
    };
    match data.len().checked_sub(pad) {
        Some(n) if pad_ok => data.split_at_checked(n).map(|(p, _)| p).ok_or(padding),
        _ => Err(padding),
    }
}

/// Lays a packet out in `out`: the length prefix, the `fixed` header,
/// the RC/CC/DS field `cc`, `data` and `pad` zero octets. Returns the
/// total length and the prefix length.
pub(crate) fn lay_out(
    framing: super::Framing,
    id: u8,
    fixed: &[u8],
    cc: &[u8],
    data: &[u8],
    pad: usize,
    out: &mut [u8],
) -> Result<(usize, usize), Error> {
    let hl = fixed.len() + cc.len();
    let hl8 = u8::try_from(hl).map_err(|_| Error::TooLong { len: hl, max: 255 })?;
    let rest = hl + data.len() + pad;
    let total = super::layout::prefix_len(framing, rest) + rest;
    let have = out.len();
    let out = out.get_mut(..total).ok_or(Error::BufferTooSmall {
        needed: total,
        have,
    })?;
    let p = super::layout::write(framing, id, rest, hl8, out)?;
    let (_, body) = out.split_at_mut(p);
    let (head, body) = body.split_at_mut(fixed.len());
    head.copy_from_slice(fixed);
    let (cc_dst, body) = body.split_at_mut(cc.len());
    cc_dst.copy_from_slice(cc);
    let (data_dst, padding) = body.split_at_mut(data.len());
    data_dst.copy_from_slice(data);
    padding.fill(0);
    Ok((total, p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{CipherAlgorithm, Key, Software, SoftwareKey};

    const SHAPE: Shape = Shape {
        fixed: 13,
        cntr_at: 7,
        pcntr_at: 12,
        header_len: "CHL",
    };

    fn des_cc() -> SoftwareKey {
        SoftwareKey::new(&Key::new(CipherAlgorithm::Des, &[0x4B; 8]).unwrap())
    }

    /// The security of a packet with this CC key / length and KIc.
    fn sec<'k>(
        cc: Option<(&'k SoftwareKey, usize)>,
        cipher: Option<&'k SoftwareKey>,
    ) -> Security<'k, Software> {
        Security {
            provider: &Software,
            checksum: cc.map(|(k, l)| (Check::Cc(k, ChecksumAlgorithm::for_key(k.algorithm())), l)),
            cipher,
        }
    }

    /// A CC field the algorithm cannot fill (a 16-octet CBC-MAC, a
    /// 3-octet CMAC) is an error, never a packet with a zero or short CC;
    /// the buffer is left as it was.
    #[test]
    fn seal_refuses_a_cc_it_cannot_fill() {
        let aes = SoftwareKey::new(&Key::aes(&[0x4B; 16]).unwrap());
        for (c, len) in [(des_cc(), 16), (aes.clone(), 3), (aes, 16)] {
            let mut out = [0xA5u8; 3 + 13 + 16 + 8];
            let before = out;
            let s = sec(Some((&c, len)), None);
            let err = seal(&mut out, 3, &SHAPE, &[], &s).unwrap_err();
            assert_eq!(
                err,
                Error::Crypto(crypto::Error::TagLength {
                    algorithm: ChecksumAlgorithm::for_key(c.algorithm()),
                    len
                })
            );
            assert_eq!(out, before);
            assert_eq!(blank_field(s.checksum), Err(err));
        }
    }

    /// A buffer too short for the header and its CC field is an error,
    /// not a packet sealed without its CC.
    #[test]
    fn seal_refuses_a_short_buffer() {
        let c = des_cc();
        let mut out = [0u8; 3 + 13 + 4];
        assert_eq!(
            seal(&mut out, 3, &SHAPE, &[], &sec(Some((&c, 8)), None)),
            Err(Error::BufferTooSmall {
                needed: 24,
                have: 20
            })
        );
        assert_eq!(out, [0; 20]);
    }

    /// A ciphered part that is not whole blocks is refused before the CC
    /// is written, so nothing half-sealed is left behind.
    #[test]
    fn seal_refuses_unaligned_ciphering_untouched() {
        let c = des_cc();
        let cipher = SoftwareKey::new(&Key::new(CipherAlgorithm::Des, &[0x11; 8]).unwrap());
        let mut out = [0u8; 3 + 13 + 8 + 3];
        assert_eq!(
            seal(&mut out, 3, &SHAPE, &[], &sec(Some((&c, 8)), Some(&cipher))),
            Err(Error::CipherLength { len: 17, block: 8 })
        );
        assert_eq!(out, [0; 27]);
    }

    /// The CC that seal writes is the MAC over everything but the field,
    /// recomputed independently here.
    #[test]
    fn seal_writes_the_cc_over_the_covered_octets() {
        let c = des_cc();
        let mut out = [0u8; 3 + 13 + 8 + 5];
        for (i, b) in out.iter_mut().enumerate() {
            *b = i as u8;
        }
        out[16..24].fill(0);
        let mut covered = [0u8; 21];
        covered[..16].copy_from_slice(&out[..16]);
        covered[16..].copy_from_slice(&out[24..]);
        seal(&mut out, 3, &SHAPE, b"P", &sec(Some((&c, 8)), None)).unwrap();
        let want = Software.mac(&c, &[b"P", &covered]).unwrap();
        assert_eq!(&out[16..24], want.as_bytes());
        assert_ne!(&out[16..24], &[0; 8]);
    }

    /// A buffer shorter than the header its prefix claims is reported as
    /// truncated, not verified against an empty CC.
    #[test]
    fn open_reports_truncation() {
        let c = des_cc();
        let prefix = Prefix {
            len: 3,
            header_len: 21,
            packet_len: 22,
        };
        let mut buf = [0u8; 3 + 13 + 2];
        assert!(matches!(
            open(&mut buf, prefix, &SHAPE, &[], &sec(Some((&c, 8)), None)),
            Err(Error::Truncated { field: "CHL", .. })
        ));
    }

    #[test]
    fn padding_is_checked() {
        let cipher = Some(8);
        assert_eq!(strip_padding(2, b"abcd", cipher), Ok(&b"ab"[..]));
        assert_eq!(strip_padding(0, b"abcd", None), Ok(&b"abcd"[..]));
        for (pcntr, data, ciphered) in [
            (5, &b"abcd"[..], true),
            (8, b"abcdefghij", true),
            (1, b"ab", false),
        ] {
            let block = cipher.filter(|_| ciphered);
            assert_eq!(
                strip_padding(pcntr, data, block),
                Err(Error::Padding {
                    pcntr,
                    data_len: data.len(),
                    ciphered
                })
            );
        }
    }
}
