//! How the packet header is framed on the bearer.

/// The framing of command and response packets.
///
/// * [`Framing::SmsPp`] (3GPP TS 31.115 §4): the CPI/RPI is the UDH
///   information element (`70 00` / `71 00`) and is not part of the packet;
///   CHI/RHI are null fields; CPL/RPL are 2 binary octets and CHL/RHL one
///   octet. A command's RC/CC/DS covers CPL onwards; a response's covers
///   the UDH `02 71 00` too (TS 31.115 §4.3).
/// * [`Framing::Generic`] (ETSI TS 102 225 §5.1.1 table 1, §5.2.1 table 4;
///   CAT_TP, TCP/IP, HTTP): CPI (`01`) / RPI (`02`) and CHI / RHI (`00`)
///   are one octet each and CPL / RPL are BER-TLV lengths; the RC/CC/DS
///   covers every octet from the CPI / RPI. No public vector of this form
///   was found: the CPI value `01` and the coverage follow pySim's dialect
///   table (osmocom/pysim `pySim/ota.py`); a one-octet CHI / RHI of `00`
///   is assumed (pySim marks it "NULL") and is checked on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framing {
    /// The SMS-PP form of TS 31.115 (CPL from the first octet).
    SmsPp,
    /// The generic form of TS 102 225 (CPI, CPL, CHI, CHL).
    Generic,
}

/// The generic form's Command Packet Identifier.
pub(crate) const CPI: u8 = 0x01;
/// The generic form's Response Packet Identifier.
pub(crate) const RPI: u8 = 0x02;
/// The generic form's (null) Command / Response Header Identifier.
pub(crate) const HEADER_ID: u8 = 0x00;
/// The UDH of a single-SMS response packet (UDHL, IEI `71`, IEIDL 0).
pub(crate) const POR_UDH: [u8; 3] = [0x02, 0x71, 0x00];
