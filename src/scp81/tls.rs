//! TLS-PSK cipher suites named for SCP81, as an open type (the TLS stack
//! itself is the integrator's).
//!
//! SGP.02 §2.4.4 (as summarised by eUICC.tech from v4.2): TLS 1.2, the eUICC
//! supports at least one of `TLS_PSK_WITH_AES_128_GCM_SHA256` and
//! `TLS_PSK_WITH_AES_128_CBC_SHA256`; the SM-SR supports both. A real card
//! negotiated `TLS_PSK_WITH_AES_128_CBC_SHA256`. GP Amendment B (and njiwa's
//! server list) also names the TLS 1.0/1.1 suites `TLS_PSK_WITH_AES_128_CBC_SHA`
//! and `TLS_PSK_WITH_3DES_EDE_CBC_SHA`, and `TLS_PSK_WITH_NULL_SHA256`
//! (integrity only). Codes from RFC 4279, RFC 4785 and RFC 5487.
//!
//! The same SGP.02 clause (same secondary source, UNCONFIRMED against the
//! GSMA text) rules out TLS session resumption (RFC 4507/5077) and
//! parallel sessions: an SM-SR's listener keeps no session cache and
//! issues no session tickets, so every connection runs a full PSK
//! handshake (the example server: `SslSessionCacheMode::OFF` and
//! `SslOptions::NO_TICKET`).

/// A TLS cipher suite code (IANA registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CipherSuite(pub u16);

impl CipherSuite {
    /// `TLS_PSK_WITH_3DES_EDE_CBC_SHA` (RFC 4279).
    pub const PSK_WITH_3DES_EDE_CBC_SHA: Self = Self(0x008B);
    /// `TLS_PSK_WITH_AES_128_CBC_SHA` (RFC 4279).
    pub const PSK_WITH_AES_128_CBC_SHA: Self = Self(0x008C);
    /// `TLS_PSK_WITH_AES_128_GCM_SHA256` (RFC 5487).
    pub const PSK_WITH_AES_128_GCM_SHA256: Self = Self(0x00A8);
    /// `TLS_PSK_WITH_AES_128_CBC_SHA256` (RFC 5487).
    pub const PSK_WITH_AES_128_CBC_SHA256: Self = Self(0x00AE);
    /// `TLS_PSK_WITH_NULL_SHA256` (RFC 5487).
    pub const PSK_WITH_NULL_SHA256: Self = Self(0x00B0);

    /// The TLS 1.2 suites an SGP.02 SM-SR offers.
    pub const SGP02: [Self; 2] = [
        Self::PSK_WITH_AES_128_GCM_SHA256,
        Self::PSK_WITH_AES_128_CBC_SHA256,
    ];

    /// The IANA name, for the suites above.
    pub const fn iana_name(self) -> Option<&'static str> {
        match self.0 {
            0x008B => Some("TLS_PSK_WITH_3DES_EDE_CBC_SHA"),
            0x008C => Some("TLS_PSK_WITH_AES_128_CBC_SHA"),
            0x00A8 => Some("TLS_PSK_WITH_AES_128_GCM_SHA256"),
            0x00AE => Some("TLS_PSK_WITH_AES_128_CBC_SHA256"),
            0x00B0 => Some("TLS_PSK_WITH_NULL_SHA256"),
            _ => None,
        }
    }

    /// The OpenSSL cipher-string name, for the suites above.
    pub const fn openssl_name(self) -> Option<&'static str> {
        match self.0 {
            0x008B => Some("PSK-3DES-EDE-CBC-SHA"),
            0x008C => Some("PSK-AES128-CBC-SHA"),
            0x00A8 => Some("PSK-AES128-GCM-SHA256"),
            0x00AE => Some("PSK-AES128-CBC-SHA256"),
            0x00B0 => Some("PSK-NULL-SHA256"),
            _ => None,
        }
    }

    /// The suite with this OpenSSL name.
    pub fn from_openssl_name(name: &str) -> Option<Self> {
        [
            Self::PSK_WITH_3DES_EDE_CBC_SHA,
            Self::PSK_WITH_AES_128_CBC_SHA,
            Self::PSK_WITH_AES_128_GCM_SHA256,
            Self::PSK_WITH_AES_128_CBC_SHA256,
            Self::PSK_WITH_NULL_SHA256,
        ]
        .into_iter()
        .find(|s| s.openssl_name() == Some(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in CipherSuite::SGP02 {
            assert_eq!(
                CipherSuite::from_openssl_name(s.openssl_name().unwrap()),
                Some(s)
            );
        }
        assert_eq!(
            CipherSuite(0x00AE).iana_name(),
            Some("TLS_PSK_WITH_AES_128_CBC_SHA256")
        );
        assert_eq!(CipherSuite(0x1301).openssl_name(), None);
        assert_eq!(CipherSuite::from_openssl_name("AES128-SHA"), None);
    }
}
