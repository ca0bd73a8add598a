//! Command APDUs (ISO/IEC 7816-4 §5.1): a zero-copy view, a builder that
//! writes into any [`Buffer`], and an owned `heapless` form.

use core::fmt;

use super::Error;
use crate::tlv::{self, Buffer, Encode};

/// CLA INS P1 P2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
}

impl Header {
    /// The header `cla ins p1 p2`.
    pub const fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self { cla, ins, p1, p2 }
    }

    /// The four octets.
    pub const fn to_bytes(self) -> [u8; 4] {
        [self.cla, self.ins, self.p1, self.p2]
    }
}

/// The four command-response cases of ISO/IEC 7816-4 §5.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Case {
    /// Case 1: no command data, no response data expected.
    One,
    /// Case 2: no command data, Le present.
    Two,
    /// Case 3: command data, no Le.
    Three,
    /// Case 4: command data and Le.
    Four,
}

/// Largest Nc (command data length).
pub const MAX_NC: usize = 65_535;
/// Largest Ne (expected response length): extended Le `0000`.
pub const MAX_NE: usize = 65_536;
/// Largest Ne a short Le can carry (short Le `00`).
pub const MAX_SHORT_NE: usize = 256;

/// Where the body fields of a checked C-APDU are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    header: Header,
    data_start: usize,
    data_len: usize,
    ne: Option<usize>,
    extended: bool,
}

/// Ne of a short Le octet (`00` means 256).
fn short_ne(le: u8) -> usize {
    if le == 0 {
        MAX_SHORT_NE
    } else {
        usize::from(le)
    }
}

/// Ne of extended Le octets (`00 00` means 65 536).
fn extended_ne(hi: u8, lo: u8) -> usize {
    match u16::from_be_bytes([hi, lo]) {
        0 => MAX_NE,
        n => usize::from(n),
    }
}

/// The body error: every malformed body is reported at its first octet.
const BAD_BODY: Error = Error::BadBody { offset: 4 };

/// Decodes the body of `apdu` (ISO/IEC 7816-4 §5.1, table 1 and the
/// decoding rules of §5.1 / §12.1.3).
fn layout(apdu: &[u8]) -> Result<Layout, Error> {
    let ([cla, ins, p1, p2], body) = apdu
        .split_first_chunk::<4>()
        .map(|(h, b)| (*h, b))
        .ok_or(Error::TooShort { len: apdu.len() })?;
    let header = Header { cla, ins, p1, p2 };
    let layout = |data_start, data_len, ne, extended| Layout {
        header,
        data_start,
        data_len,
        ne,
        extended,
    };
    Ok(match *body {
        // Case 1.
        [] => layout(4, 0, None, false),
        // Case 2S.
        [le] => layout(5, 0, Some(short_ne(le)), false),
        // Case 2E: 00 Le1 Le2.
        [0, hi, lo] => layout(7, 0, Some(extended_ne(hi, lo)), true),
        // Cases 3E / 4E: 00 Lc1 Lc2 data [Le1 Le2].
        [0, hi, lo, ref rest @ ..] => {
            let nc = usize::from(u16::from_be_bytes([hi, lo]));
            layout(7, nc, extended_case_3_4_ne(nc, rest)?, true)
        }
        // Cases 3S / 4S: Lc data [Le].
        [lc, ref rest @ ..] => {
            let nc = usize::from(lc);
            layout(5, nc, short_case_3_4_ne(nc, rest)?, false)
        }
    })
}

/// Cases 3E / 4E: `rest` (after Lc) holds `nc` (≥ 1) data octets and
/// nothing or two Le octets.
fn extended_case_3_4_ne(nc: usize, rest: &[u8]) -> Result<Option<usize>, Error> {
    if nc == 0 {
        return Err(BAD_BODY);
    }
    match (rest.len().checked_sub(nc), rest) {
        (Some(0), _) => Ok(None),
        (Some(2), [.., a, b]) => Ok(Some(extended_ne(*a, *b))),
        _ => Err(BAD_BODY),
    }
}

/// Cases 3S / 4S: `rest` (after Lc) holds `nc` (≥ 1) data octets and
/// nothing or one Le octet.
fn short_case_3_4_ne(nc: usize, rest: &[u8]) -> Result<Option<usize>, Error> {
    if nc == 0 {
        return Err(BAD_BODY);
    }
    match (rest.len().checked_sub(nc), rest) {
        (Some(0), _) => Ok(None),
        (Some(1), [.., le]) => Ok(Some(short_ne(*le))),
        _ => Err(BAD_BODY),
    }
}

/// A zero-copy, checked view of a C-APDU.
///
/// Built by [`CommandView::parse`], which accepts exactly the encodings of
/// ISO/IEC 7816-4 §5.1 (short and extended, cases 1-4) and nothing else.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CommandView<'a> {
    bytes: &'a [u8],
    layout: Layout,
}

impl<'a> CommandView<'a> {
    /// Checks `bytes` as one complete C-APDU.
    ///
    /// # Errors
    /// [`Error::TooShort`] under 4 octets, [`Error::BadBody`] when the body
    /// is none of the cases 1-4.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let layout = layout(bytes)?;
        Ok(Self { bytes, layout })
    }

    /// CLA INS P1 P2.
    pub const fn header(&self) -> Header {
        self.layout.header
    }

    /// Class byte.
    pub fn cla(&self) -> u8 {
        self.header().cla
    }

    /// Instruction byte.
    pub fn ins(&self) -> u8 {
        self.header().ins
    }

    /// P1.
    pub fn p1(&self) -> u8 {
        self.header().p1
    }

    /// P2.
    pub fn p2(&self) -> u8 {
        self.header().p2
    }

    /// The command data (empty for cases 1 and 2).
    pub fn data(&self) -> &'a [u8] {
        let Layout {
            data_start,
            data_len,
            ..
        } = self.layout;
        // `layout` placed the data inside the checked bytes (every case
        // ends at or after `data_start + data_len`), so it is present.
        let data = self.bytes.get(data_start..data_start + data_len);
        debug_assert!(data.is_some(), "APDU data outside its checked layout");
        data.unwrap_or(&[])
    }

    /// Ne, the maximum number of response octets expected (`None` when Le
    /// is absent; short `00` is 256, extended `0000` is 65,536).
    pub const fn ne(&self) -> Option<usize> {
        self.layout.ne
    }

    /// `true` for the extended length encoding.
    pub const fn is_extended(&self) -> bool {
        self.layout.extended
    }

    /// The ISO case.
    pub fn case(&self) -> Case {
        match (self.layout.data_len > 0, self.layout.ne.is_some()) {
            (false, false) => Case::One,
            (false, true) => Case::Two,
            (true, false) => Case::Three,
            (true, true) => Case::Four,
        }
    }

    /// The whole C-APDU.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The same command as a [`Command`] builder; encoding it gives back
    /// exactly [`CommandView::as_bytes`].
    pub fn to_command(&self) -> Command<&'a [u8]> {
        Command {
            header: self.header(),
            data: self.data(),
            ne: self.layout.ne,
            extended: self.layout.extended,
        }
    }
}

impl<'a> TryFrom<&'a [u8]> for CommandView<'a> {
    type Error = Error;

    fn try_from(bytes: &'a [u8]) -> Result<Self, Error> {
        Self::parse(bytes)
    }
}

impl fmt::Debug for CommandView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_command(f, self.header(), self.data(), self.ne(), self.is_extended())
    }
}

fn fmt_command(
    f: &mut fmt::Formatter<'_>,
    h: Header,
    data: &[u8],
    ne: Option<usize>,
    extended: bool,
) -> fmt::Result {
    write!(
        f,
        "C-APDU {:02X} {:02X} {:02X} {:02X}",
        h.cla, h.ins, h.p1, h.p2
    )?;
    if !data.is_empty() {
        write!(f, " Lc={} ", data.len())?;
        for b in data {
            write!(f, "{b:02X}")?;
        }
    }
    if let Some(ne) = ne {
        write!(f, " Ne={ne}")?;
    }
    if extended {
        write!(f, " (extended)")?;
    }
    Ok(())
}

/// A C-APDU to encode: header, data (anything [`Encode`], such as a
/// byte slice or composed TLVs, so nothing is copied before the final
/// write), an optional Le and the choice of length encoding.
///
/// The short encoding is used unless the data exceed 255 octets, Ne exceeds
/// 256, or [`Command::extended`] asks for extended lengths.
///
/// ```
/// use smsr::apdu::{Command, Header};
/// use smsr::tlv::Encode;
/// // GET DATA for the Extended Card Resources Information (GP v2.3.1 §11.3).
/// let cmd = Command::new(Header::new(0x80, 0xCA, 0xFF, 0x21)).with_le(256)?;
/// let mut buf = [0u8; 8];
/// assert_eq!(cmd.encode_to_slice(&mut buf)?, [0x80, 0xCA, 0xFF, 0x21, 0x00]);
/// # Ok::<(), smsr::apdu::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Command<D> {
    header: Header,
    data: D,
    ne: Option<usize>,
    extended: bool,
}

impl Command<&'static [u8]> {
    /// A case 1 command (no data, no Le); add data with
    /// [`Command::with_data`] and Le with [`Command::with_le`].
    pub const fn new(header: Header) -> Self {
        Self {
            header,
            data: &[],
            ne: None,
            extended: false,
        }
    }
}

impl<D: Encode> Command<D> {
    /// A command with `data` as its data field (no Le).
    ///
    /// # Errors
    /// [`Error::DataTooLong`] beyond 65,535 octets.
    pub fn with_data(header: Header, data: D) -> Result<Self, Error> {
        let len = data.encoded_len();
        if len > MAX_NC {
            return Err(Error::DataTooLong { len });
        }
        Ok(Self {
            header,
            data,
            ne: None,
            extended: false,
        })
    }

    /// Sets Ne, the maximum number of response octets expected: 1..=256 in
    /// a short command (256 is written `00`), up to 65,536 (extended).
    ///
    /// # Errors
    /// [`Error::BadLe`] outside 1..=65,536.
    pub fn with_le(self, ne: usize) -> Result<Self, Error> {
        if !(1..=MAX_NE).contains(&ne) {
            return Err(Error::BadLe { ne });
        }
        Ok(Self {
            ne: Some(ne),
            ..self
        })
    }

    /// Removes Le.
    pub fn without_le(self) -> Self {
        Self { ne: None, ..self }
    }

    /// Forces the extended length encoding even where short would do.
    pub fn extended(self) -> Self {
        Self {
            extended: true,
            ..self
        }
    }

    /// The header.
    pub const fn header(&self) -> Header {
        self.header
    }

    /// The data.
    pub const fn data(&self) -> &D {
        &self.data
    }

    /// Ne, if Le is present.
    pub const fn ne(&self) -> Option<usize> {
        self.ne
    }

    /// `true` when the encoding will use extended lengths (a case 1
    /// command has no length fields, so it is never extended).
    pub fn is_extended(&self) -> bool {
        let nc = self.data.encoded_len();
        if nc == 0 && self.ne.is_none() {
            return false;
        }
        self.extended || nc > 255 || self.ne.is_some_and(|ne| ne > MAX_SHORT_NE)
    }

    /// Copies the encoding into an owned [`CommandApdu`].
    ///
    /// # Errors
    /// [`Error::Tlv`] (buffer too small) when the encoding exceeds `N`.
    pub fn to_apdu<const N: usize>(&self) -> Result<CommandApdu<N>, Error> {
        CommandApdu::from_command(self)
    }
}

impl<D: Encode> Encode for Command<D> {
    fn encoded_len(&self) -> usize {
        let nc = self.data.encoded_len();
        let ext = self.is_extended();
        let lc_len = match (nc, ext) {
            (0, _) => 0,
            (_, false) => 1,
            (_, true) => 3,
        };
        let le_len = match (self.ne, ext, nc) {
            (None, _, _) => 0,
            (Some(_), false, _) => 1,
            (Some(_), true, 0) => 3,
            (Some(_), true, _) => 2,
        };
        4 + lc_len + nc + le_len
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        let nc = self.data.encoded_len();
        let too_long = tlv::Error::new(tlv::ErrorKind::ValueTooLong, out.written());
        let nc16 = u16::try_from(nc).map_err(|_| too_long)?;
        let ext = self.is_extended();
        out.put(&self.header.to_bytes())?;
        if nc > 0 {
            if ext {
                out.put(&[0])?;
                out.put(&nc16.to_be_bytes())?;
            } else {
                out.put(&[nc16 as u8])?;
            }
            self.data.encode(out)?;
        }
        if let Some(ne) = self.ne {
            if ext {
                if nc == 0 {
                    out.put(&[0])?;
                }
                // 65,536 is written 00 00.
                let le = u16::try_from(ne % (MAX_NE)).map_err(|_| too_long)?;
                out.put(&le.to_be_bytes())?;
            } else {
                // 256 is written 00.
                out.put(&[(ne % MAX_SHORT_NE) as u8])?;
            }
        }
        Ok(())
    }
}

impl<D: Encode> fmt::Debug for Command<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = self.header;
        write!(
            f,
            "Command {:02X} {:02X} {:02X} {:02X} Nc={}",
            h.cla,
            h.ins,
            h.p1,
            h.p2,
            self.data.encoded_len()
        )?;
        if let Some(ne) = self.ne {
            write!(f, " Ne={ne}")?;
        }
        Ok(())
    }
}

/// An owned, checked C-APDU of at most `N` octets on a `heapless::Vec`.
///
/// 261 octets hold any short APDU, 65,544 any extended one.
#[derive(Clone, PartialEq, Eq)]
pub struct CommandApdu<const N: usize> {
    bytes: heapless::Vec<u8, N>,
    layout: Layout,
}

impl<const N: usize> CommandApdu<N> {
    /// Encodes `cmd`.
    ///
    /// # Errors
    /// [`Error::Tlv`] with `BufferTooSmall` when the encoding exceeds `N`.
    pub fn from_command<D: Encode>(cmd: &Command<D>) -> Result<Self, Error> {
        let mut bytes = heapless::Vec::new();
        cmd.encode(&mut bytes)?;
        let layout = layout(&bytes)?;
        Ok(Self { bytes, layout })
    }

    /// Copies and checks `bytes`.
    ///
    /// # Errors
    /// The errors of [`CommandView::parse`], or [`Error::Tlv`] with
    /// `BufferTooSmall` when `bytes` exceed `N`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let layout = layout(bytes)?;
        let bytes = heapless::Vec::from_slice(bytes)
            .map_err(|_| tlv::Error::new(tlv::ErrorKind::BufferTooSmall, N))?;
        Ok(Self { bytes, layout })
    }

    /// A view of the command.
    pub fn view(&self) -> CommandView<'_> {
        CommandView {
            bytes: &self.bytes,
            layout: self.layout,
        }
    }

    /// The encoded command.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl<const N: usize> AsRef<[u8]> for CommandApdu<N> {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl<const N: usize> TryFrom<&[u8]> for CommandApdu<N> {
    type Error = Error;

    fn try_from(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_bytes(bytes)
    }
}

impl<const N: usize> fmt::Debug for CommandApdu<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.view(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::vec::Vec;

    fn enc<D: Encode>(c: &Command<D>) -> Vec<u8> {
        let v = c.to_vec().unwrap();
        assert_eq!(v.len(), c.encoded_len());
        v
    }

    #[test]
    fn four_cases_short() {
        let h = Header::new(0x00, 0xA4, 0x04, 0x00);
        // Case 1.
        let c1 = Command::new(h);
        assert_eq!(enc(&c1), [0x00, 0xA4, 0x04, 0x00]);
        // Case 2: Ne 256 is Le 00.
        let c2 = Command::new(h).with_le(256).unwrap();
        assert_eq!(enc(&c2), [0x00, 0xA4, 0x04, 0x00, 0x00]);
        // Case 3.
        let c3 = Command::with_data(h, &[0xA0, 0x00][..]).unwrap();
        assert_eq!(enc(&c3), [0x00, 0xA4, 0x04, 0x00, 0x02, 0xA0, 0x00]);
        // Case 4.
        let c4 = c3.with_le(0x10).unwrap();
        assert_eq!(enc(&c4), [0x00, 0xA4, 0x04, 0x00, 0x02, 0xA0, 0x00, 0x10]);
        for (c, case) in [
            (enc(&c1), Case::One),
            (enc(&c2), Case::Two),
            (enc(&c3), Case::Three),
            (enc(&c4), Case::Four),
        ] {
            let v = CommandView::parse(&c).unwrap();
            assert_eq!(v.case(), case);
            assert!(!v.is_extended());
            assert_eq!(enc(&v.to_command()), c);
        }
    }

    #[test]
    fn four_cases_extended() {
        // ISO 7816-4 §5.1 table 1: 2E = 00 Le1 Le2, 3E = 00 Lc1 Lc2 data,
        // 4E = 00 Lc1 Lc2 data Le1 Le2; Le 0000 = 65,536.
        let h = Header::new(0x80, 0xE2, 0x88, 0x00);
        let c2 = Command::new(h).with_le(MAX_NE).unwrap();
        assert_eq!(enc(&c2), [0x80, 0xE2, 0x88, 0x00, 0x00, 0x00, 0x00]);
        let data = [0x55u8; 300];
        let c3 = Command::with_data(h, &data[..]).unwrap();
        let b3 = enc(&c3);
        assert_eq!(b3[4..7], [0x00, 0x01, 0x2C]);
        assert_eq!(b3.len(), 7 + 300);
        let c4 = c3.with_le(257).unwrap();
        let b4 = enc(&c4);
        assert_eq!(b4[b4.len() - 2..], [0x01, 0x01]);
        // Short data but forced extended.
        let c = Command::with_data(h, &[1u8][..])
            .unwrap()
            .with_le(256)
            .unwrap()
            .extended();
        let b = enc(&c);
        assert_eq!(
            b,
            [0x80, 0xE2, 0x88, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00]
        );
        for (b, case, ne) in [
            (enc(&c2), Case::Two, Some(MAX_NE)),
            (b3, Case::Three, None),
            (b4, Case::Four, Some(257)),
            (b, Case::Four, Some(256)),
        ] {
            let v = CommandView::parse(&b).unwrap();
            assert_eq!((v.case(), v.ne(), v.is_extended()), (case, ne, true));
            assert_eq!(enc(&v.to_command()), b);
        }
    }

    #[test]
    fn bad_bodies() {
        assert_eq!(
            CommandView::parse(&[0x00, 0xA4, 0x04]).unwrap_err(),
            Error::TooShort { len: 3 }
        );
        // Lc 2 but 1 data octet.
        assert_eq!(
            CommandView::parse(&[0, 0xA4, 4, 0, 2, 0xA0]).unwrap_err(),
            Error::BadBody { offset: 4 }
        );
        // Lc 1, data, then 2 more octets.
        assert!(CommandView::parse(&[0, 0xA4, 4, 0, 1, 0xA0, 1, 2]).is_err());
        // Extended Lc 0.
        assert!(CommandView::parse(&[0, 0xA4, 4, 0, 0, 0, 0, 1]).is_err());
        // 00 then one octet.
        assert!(CommandView::parse(&[0, 0xA4, 4, 0, 0, 1]).is_err());
        // Extended Lc 1 then one trailing octet (neither 3E nor 4E).
        assert!(CommandView::parse(&[0, 0xA4, 4, 0, 0, 0, 1, 0xAA, 0x01]).is_err());
    }

    #[test]
    fn case_1_is_never_extended() {
        let c = Command::new(Header::new(0x00, 0x70, 0x00, 0x00)).extended();
        assert!(!c.is_extended());
        let b = enc(&c);
        assert_eq!(b, [0x00, 0x70, 0x00, 0x00]);
        assert_eq!(
            CommandView::parse(&b).unwrap().is_extended(),
            c.is_extended()
        );
    }

    #[test]
    fn builder_limits() {
        let h = Header::new(0, 0, 0, 0);
        assert_eq!(
            Command::new(h).with_le(0).unwrap_err(),
            Error::BadLe { ne: 0 }
        );
        assert!(Command::new(h).with_le(MAX_NE + 1).is_err());
        let big = alloc::vec![0u8; MAX_NC + 1];
        assert_eq!(
            Command::with_data(h, &big[..]).unwrap_err(),
            Error::DataTooLong { len: MAX_NC + 1 }
        );
    }

    #[test]
    fn owned_heapless() {
        let cmd = Command::with_data(Header::new(0x80, 0xCA, 0x00, 0x85), &[1u8, 2][..])
            .unwrap()
            .with_le(256)
            .unwrap();
        let owned: CommandApdu<16> = cmd.to_apdu().unwrap();
        assert_eq!(owned.as_bytes(), [0x80, 0xCA, 0x00, 0x85, 2, 1, 2, 0]);
        assert_eq!(owned.view().data(), [1, 2]);
        assert_eq!(owned.view().ne(), Some(256));
        assert!(cmd.to_apdu::<7>().is_err());
        let again = CommandApdu::<16>::try_from(owned.as_bytes()).unwrap();
        assert_eq!(again, owned);
        assert!(CommandApdu::<4>::from_bytes(owned.as_bytes()).is_err());
    }

    #[test]
    fn into_slice_without_alloc() {
        let cmd = Command::new(Header::new(0x80, 0xF2, 0x80, 0x02));
        let mut buf = [0u8; 3];
        assert_eq!(
            cmd.encode_to_slice(&mut buf).unwrap_err().kind,
            tlv::ErrorKind::BufferTooSmall
        );
        let mut buf = [0u8; 4];
        assert_eq!(
            cmd.encode_to_slice(&mut buf).unwrap(),
            [0x80, 0xF2, 0x80, 0x02]
        );
    }

    proptest::proptest! {
        #[test]
        fn build_parse_round_trip(
            h in proptest::array::uniform4(proptest::num::u8::ANY),
            data in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
            ne in proptest::option::of(1usize..=MAX_NE),
            ext in proptest::bool::ANY,
        ) {
            let mut cmd = Command::with_data(Header::new(h[0], h[1], h[2], h[3]), &data[..]).unwrap();
            if let Some(ne) = ne {
                cmd = cmd.with_le(ne).unwrap();
            }
            if ext {
                cmd = cmd.extended();
            }
            let bytes = enc(&cmd);
            let view = CommandView::parse(&bytes).unwrap();
            proptest::prop_assert_eq!(view.header(), cmd.header());
            proptest::prop_assert_eq!(view.data(), &data[..]);
            proptest::prop_assert_eq!(view.ne(), ne);
            proptest::prop_assert_eq!(view.is_extended(), cmd.is_extended());
            proptest::prop_assert_eq!(enc(&view.to_command()), bytes);
        }

        #[test]
        fn any_bytes_parse_or_fail_cleanly(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            if let Ok(view) = CommandView::parse(&bytes) {
                proptest::prop_assert_eq!(enc(&view.to_command()), bytes);
            }
        }
    }
}
