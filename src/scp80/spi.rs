//! The Security Parameter Indicator (ETSI TS 102 225 §5.1.1, 3GPP TS
//! 31.115 §4.2 for the PoR via SMS-SUBMIT bit).

/// What protects a packet: nothing, a redundancy check, a cryptographic
/// checksum or a digital signature (SPI first octet b2 b1, second octet
/// b4 b3 for the PoR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Integrity {
    /// `00`: no RC, CC or DS.
    None,
    /// `01`: redundancy check (CRC).
    Rc,
    /// `10`: cryptographic checksum.
    Cc,
    /// `11`: digital signature.
    Ds,
}

impl Integrity {
    const fn from_bits(b: u8) -> Self {
        match b & 3 {
            0 => Self::None,
            1 => Self::Rc,
            2 => Self::Cc,
            _ => Self::Ds,
        }
    }

    const fn bits(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Rc => 1,
            Self::Cc => 2,
            Self::Ds => 3,
        }
    }
}

/// Counter handling (SPI first octet b5 b4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CounterMode {
    /// `00`: no counter available.
    NoCounter,
    /// `01`: counter present, no replay or sequence checking.
    NoCheck,
    /// `10`: process only if CNTR is higher than the receiver's counter.
    Higher,
    /// `11`: process only if CNTR is exactly one higher than the
    /// receiver's counter.
    OneHigher,
}

impl CounterMode {
    const fn from_bits(b: u8) -> Self {
        match b & 3 {
            0 => Self::NoCounter,
            1 => Self::NoCheck,
            2 => Self::Higher,
            _ => Self::OneHigher,
        }
    }

    const fn bits(self) -> u8 {
        match self {
            Self::NoCounter => 0,
            Self::NoCheck => 1,
            Self::Higher => 2,
            Self::OneHigher => 3,
        }
    }
}

/// Whether a Proof of Receipt is wanted (SPI second octet b2 b1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PorRequest {
    /// `00`: no PoR.
    None,
    /// `01`: PoR required.
    Always,
    /// `10`: PoR only on error.
    OnError,
    /// `11`: reserved (kept as received).
    Reserved,
}

impl PorRequest {
    const fn from_bits(b: u8) -> Self {
        match b & 3 {
            0 => Self::None,
            1 => Self::Always,
            2 => Self::OnError,
            _ => Self::Reserved,
        }
    }

    const fn bits(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Always => 1,
            Self::OnError => 2,
            Self::Reserved => 3,
        }
    }
}

/// The two SPI octets. Every bit is kept, reserved ones included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Spi(pub [u8; 2]);

impl Spi {
    /// From the two octets as transmitted.
    #[must_use]
    pub const fn from_bytes(b: [u8; 2]) -> Self {
        Self(b)
    }

    /// The two octets as transmitted.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0
    }

    /// Command integrity (first octet b2 b1).
    #[must_use]
    pub const fn integrity(self) -> Integrity {
        Integrity::from_bits(self.0[0])
    }

    /// Whether the command is ciphered (first octet b3).
    #[must_use]
    pub const fn ciphered(self) -> bool {
        self.0[0] & 0x04 != 0
    }

    /// Counter mode (first octet b5 b4).
    #[must_use]
    pub const fn counter_mode(self) -> CounterMode {
        CounterMode::from_bits(self.0[0] >> 3)
    }

    /// Reserved bits of the first octet (b8 b7 b6), in place.
    #[must_use]
    pub const fn reserved_first(self) -> u8 {
        self.0[0] & 0xE0
    }

    /// PoR request (second octet b2 b1).
    #[must_use]
    pub const fn por(self) -> PorRequest {
        PorRequest::from_bits(self.0[1])
    }

    /// PoR integrity (second octet b4 b3).
    #[must_use]
    pub const fn por_integrity(self) -> Integrity {
        Integrity::from_bits(self.0[1] >> 2)
    }

    /// Whether the PoR is ciphered (second octet b5).
    #[must_use]
    pub const fn por_ciphered(self) -> bool {
        self.0[1] & 0x10 != 0
    }

    /// Whether the PoR goes in an SMS-SUBMIT rather than the
    /// SMS-DELIVER-REPORT (second octet b6, 3GPP TS 31.115 §4.2).
    #[must_use]
    pub const fn por_via_sms_submit(self) -> bool {
        self.0[1] & 0x20 != 0
    }

    /// Reserved bits of the second octet (b8 b7), in place.
    #[must_use]
    pub const fn reserved_second(self) -> u8 {
        self.0[1] & 0xC0
    }

    /// With the command integrity set.
    #[must_use]
    pub const fn with_integrity(self, i: Integrity) -> Self {
        Self([(self.0[0] & !0x03) | i.bits(), self.0[1]])
    }

    /// With command ciphering on or off.
    #[must_use]
    pub const fn with_ciphering(self, on: bool) -> Self {
        Self([(self.0[0] & !0x04) | if on { 0x04 } else { 0 }, self.0[1]])
    }

    /// With the counter mode set.
    #[must_use]
    pub const fn with_counter_mode(self, m: CounterMode) -> Self {
        Self([(self.0[0] & !0x18) | (m.bits() << 3), self.0[1]])
    }

    /// With the PoR request set.
    #[must_use]
    pub const fn with_por(self, p: PorRequest) -> Self {
        Self([self.0[0], (self.0[1] & !0x03) | p.bits()])
    }

    /// With the PoR integrity set.
    #[must_use]
    pub const fn with_por_integrity(self, i: Integrity) -> Self {
        Self([self.0[0], (self.0[1] & !0x0C) | (i.bits() << 2)])
    }

    /// With PoR ciphering on or off.
    #[must_use]
    pub const fn with_por_ciphering(self, on: bool) -> Self {
        Self([self.0[0], (self.0[1] & !0x10) | if on { 0x10 } else { 0 }])
    }

    /// With the PoR sent via SMS-SUBMIT (true) or SMS-DELIVER-REPORT.
    #[must_use]
    pub const fn with_por_via_sms_submit(self, on: bool) -> Self {
        Self([self.0[0], (self.0[1] & !0x20) | if on { 0x20 } else { 0 }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_1639() {
        let s = Spi::from_bytes([0x16, 0x39]);
        assert_eq!(s.integrity(), Integrity::Cc);
        assert!(s.ciphered());
        assert_eq!(s.counter_mode(), CounterMode::Higher);
        assert_eq!(s.por(), PorRequest::Always);
        assert_eq!(s.por_integrity(), Integrity::Cc);
        assert!(s.por_ciphered());
        assert!(s.por_via_sms_submit());
        let built = Spi::default()
            .with_integrity(Integrity::Cc)
            .with_ciphering(true)
            .with_counter_mode(CounterMode::Higher)
            .with_por(PorRequest::Always)
            .with_por_integrity(Integrity::Cc)
            .with_por_ciphering(true)
            .with_por_via_sms_submit(true);
        assert_eq!(built, s);
    }

    #[test]
    fn every_value_round_trips() {
        for a in 0..=255u8 {
            for b in [0u8, 0x01, 0x39, 0xFF, 0xC0, a] {
                let s = Spi::from_bytes([a, b]);
                let rebuilt = Spi::from_bytes([s.reserved_first(), s.reserved_second()])
                    .with_integrity(s.integrity())
                    .with_ciphering(s.ciphered())
                    .with_counter_mode(s.counter_mode())
                    .with_por(s.por())
                    .with_por_integrity(s.por_integrity())
                    .with_por_ciphering(s.por_ciphered())
                    .with_por_via_sms_submit(s.por_via_sms_submit());
                assert_eq!(rebuilt, s);
            }
        }
    }
}
