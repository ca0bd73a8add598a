//! The replay counter CNTR and its checks on the receiving side (ETSI TS
//! 102 225 §5.1.1, SPI b5 b4; status codes of §5.2.1 table 5).

use core::fmt;

use super::{CounterMode, Kic, Kid, PorStatus, Tar};

/// A 5-octet big-endian counter.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Cntr(pub [u8; 5]);

impl Cntr {
    /// The highest value, `FF FF FF FF FF`; a receiver at this value is
    /// blocked.
    pub const MAX: Self = Self([0xFF; 5]);

    /// From an integer, or `None` if it needs more than 40 bits.
    #[must_use]
    pub const fn from_u64(v: u64) -> Option<Self> {
        if v > 0xFF_FFFF_FFFF {
            return None;
        }
        let b = v.to_be_bytes();
        Some(Self([b[3], b[4], b[5], b[6], b[7]]))
    }

    /// As an integer.
    #[must_use]
    pub const fn to_u64(self) -> u64 {
        let [a, b, c, d, e] = self.0;
        u64::from_be_bytes([0, 0, 0, a, b, c, d, e])
    }

    /// The next value, or `None` at [`Cntr::MAX`].
    #[must_use]
    pub const fn next(self) -> Option<Self> {
        Self::from_u64(self.to_u64() + 1)
    }
}

impl fmt::Debug for Cntr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cntr({:010X})", self.to_u64())
    }
}

/// Checks a received `CNTR` against the receiver's `stored` counter the
/// way a card does, returning the counter to store on success (`None`
/// when the mode keeps no counter state) or the PoR status to answer:
///
/// * no counter / no check: always accepted, nothing stored;
/// * the receiver's counter at [`Cntr::MAX`]: `04` CNTR blocked;
/// * higher: `CNTR > stored`, else `02` CNTR low;
/// * one higher: `CNTR = stored + 1`; lower or equal gives `02` CNTR
///   low, more than one higher `03` CNTR high.
///
/// # Errors
/// The PoR status above when the counter is refused.
pub fn check_counter(
    mode: CounterMode,
    received: Cntr,
    stored: Cntr,
) -> Result<Option<Cntr>, PorStatus> {
    match mode {
        CounterMode::NoCounter | CounterMode::NoCheck => Ok(None),
        CounterMode::Higher | CounterMode::OneHigher if stored == Cntr::MAX => {
            Err(PorStatus::CNTR_BLOCKED)
        }
        CounterMode::Higher => {
            if received > stored {
                Ok(Some(received))
            } else {
                Err(PorStatus::CNTR_LOW)
            }
        }
        CounterMode::OneHigher => {
            if received <= stored {
                Err(PorStatus::CNTR_LOW)
            } else if Some(received) == stored.next() {
                Ok(Some(received))
            } else {
                Err(PorStatus::CNTR_HIGH)
            }
        }
    }
}

/// What a counter belongs to. TS 102 225 ties the counter to the key set
/// used; cards differ in granularity, so the key carries the TAR and both
/// key identifiers and a store may ignore what it does not need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CounterKey {
    /// The TAR addressed.
    pub tar: Tar,
    /// The KIc of the packet.
    pub kic: Kic,
    /// The KID of the packet.
    pub kid: Kid,
}

/// Persistent counters of a receiving entity; an integrator implements
/// it over its own storage.
pub trait CounterStore {
    /// Why the store failed.
    type Error;

    /// The counter held for `key` (zero when none was stored yet).
    ///
    /// # Errors
    /// A storage failure.
    fn load(&mut self, key: &CounterKey) -> Result<Cntr, Self::Error>;

    /// Stores a new counter for `key`.
    ///
    /// # Errors
    /// A storage failure (for example, no room).
    fn store(&mut self, key: &CounterKey, value: Cntr) -> Result<(), Self::Error>;
}

/// A fixed-capacity in-memory [`CounterStore`] for `no_std` use.
#[derive(Debug, Clone, Default)]
pub struct MemoryCounterStore<const N: usize> {
    entries: heapless::Vec<(CounterKey, Cntr), N>,
}

/// The in-memory store is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreFull;

impl<const N: usize> MemoryCounterStore<N> {
    /// An empty store.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: heapless::Vec::new(),
        }
    }
}

impl<const N: usize> CounterStore for MemoryCounterStore<N> {
    type Error = StoreFull;

    /// The stored counter; a key set that never received a packet is at
    /// its initial counter, zero (not an error: nothing was lost).
    fn load(&mut self, key: &CounterKey) -> Result<Cntr, StoreFull> {
        let initial = Cntr([0; 5]);
        Ok(self
            .entries
            .iter()
            .find(|(k, _)| k == key)
            .map_or(initial, |(_, v)| *v))
    }

    fn store(&mut self, key: &CounterKey, value: Cntr) -> Result<(), StoreFull> {
        if let Some((_, v)) = self.entries.iter_mut().find(|(k, _)| k == key) {
            *v = value;
            return Ok(());
        }
        self.entries.push((*key, value)).map_err(|_| StoreFull)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(v: u64) -> Cntr {
        Cntr::from_u64(v).unwrap()
    }

    #[test]
    fn modes() {
        use CounterMode::*;
        assert_eq!(check_counter(NoCounter, c(0), c(9)), Ok(None));
        assert_eq!(check_counter(NoCheck, c(0), c(9)), Ok(None));
        assert_eq!(check_counter(Higher, c(10), c(9)), Ok(Some(c(10))));
        assert_eq!(check_counter(Higher, c(99), c(9)), Ok(Some(c(99))));
        assert_eq!(check_counter(Higher, c(9), c(9)), Err(PorStatus::CNTR_LOW));
        assert_eq!(check_counter(OneHigher, c(10), c(9)), Ok(Some(c(10))));
        assert_eq!(
            check_counter(OneHigher, c(11), c(9)),
            Err(PorStatus::CNTR_HIGH)
        );
        assert_eq!(
            check_counter(OneHigher, c(8), c(9)),
            Err(PorStatus::CNTR_LOW)
        );
        assert_eq!(
            check_counter(Higher, Cntr::MAX, Cntr::MAX),
            Err(PorStatus::CNTR_BLOCKED)
        );
        assert_eq!(
            check_counter(OneHigher, c(1), Cntr::MAX),
            Err(PorStatus::CNTR_BLOCKED)
        );
        assert_eq!(check_counter(Higher, Cntr::MAX, c(5)), Ok(Some(Cntr::MAX)));
    }

    #[test]
    fn conversions() {
        assert_eq!(c(0x0102030405).0, [1, 2, 3, 4, 5]);
        assert_eq!(Cntr::from_u64(1 << 40), None);
        assert_eq!(Cntr::MAX.next(), None);
        assert_eq!(c(0xFF).next(), Some(c(0x100)));
    }

    #[test]
    fn memory_store() {
        let mut s = MemoryCounterStore::<1>::new();
        let k = CounterKey {
            tar: Tar([1, 2, 3]),
            kic: Kic(0x12),
            kid: Kid(0x12),
        };
        let other = CounterKey {
            tar: Tar([0; 3]),
            ..k
        };
        assert_eq!(s.load(&k), Ok(c(0)));
        s.store(&k, c(5)).unwrap();
        s.store(&k, c(6)).unwrap();
        assert_eq!(s.load(&k), Ok(c(6)));
        assert_eq!(s.store(&other, c(1)), Err(StoreFull));
    }
}
