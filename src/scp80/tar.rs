//! The Toolkit Application Reference (ETSI TS 101 220 §6, TS 102 225 §5.1).

use core::fmt;

/// A 3-octet TAR.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Tar(pub [u8; 3]);

impl fmt::Debug for Tar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tar({self})")
    }
}

impl fmt::Display for Tar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = self.0;
        write!(f, "{a:02X}{b:02X}{c:02X}")
    }
}
