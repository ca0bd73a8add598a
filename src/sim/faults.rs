//! Faults to inject in tests, drawn deterministically from the
//! simulator's seed: a PoR dropped, delayed or corrupted, the TLS
//! connection of an administration session lost while a script arrives,
//! and memory exhausted.

use alloc::collections::VecDeque;

use super::rng::SimRng;

/// One fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The PoR of the next accepted packet is not sent.
    DropPor,
    /// The PoR of the next accepted packet is held back this many
    /// milliseconds.
    DelayPor(u64),
    /// One octet of the next PoR is flipped after it is secured.
    CorruptResponse,
    /// The next accepted packet finds no memory: PoR status `07`
    /// (insufficient memory), nothing executed, nothing changed.
    OutOfMemory,
    /// The connection of the administration session breaks while the
    /// next script arrives; the script is not run.
    LoseConnection,
}

/// Random fault rates, each in per mille of the events it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FaultRates {
    /// PoRs dropped.
    pub drop_por: u16,
    /// PoRs delayed by [`FaultRates::delay_ms`].
    pub delay_por: u16,
    /// Delay of a delayed PoR.
    pub delay_ms: u64,
    /// PoRs corrupted.
    pub corrupt_response: u16,
    /// Packets refused for lack of memory.
    pub out_of_memory: u16,
    /// Scripts lost with the connection.
    pub lose_connection: u16,
}

/// Where a fault can strike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Before executing an accepted packet.
    Execute,
    /// When sending a PoR.
    Por,
    /// When a script arrives over SCP81.
    Session,
}

impl Fault {
    const fn stage(self) -> Stage {
        match self {
            Self::OutOfMemory => Stage::Execute,
            Self::DropPor | Self::DelayPor(_) | Self::CorruptResponse => Stage::Por,
            Self::LoseConnection => Stage::Session,
        }
    }
}

/// Scheduled one-shot faults plus random ones from [`FaultRates`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultPlan {
    /// Random rates.
    pub rates: FaultRates,
    scheduled: VecDeque<Fault>,
    rng: SimRng,
}

impl FaultPlan {
    /// No faults; random draws from `seed`.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self {
            rates: FaultRates {
                drop_por: 0,
                delay_por: 0,
                delay_ms: 0,
                corrupt_response: 0,
                out_of_memory: 0,
                lose_connection: 0,
            },
            scheduled: VecDeque::new(),
            rng: SimRng::new(seed),
        }
    }

    /// Schedules `fault` for the next event it applies to.
    pub fn inject(&mut self, fault: Fault) {
        self.scheduled.push_back(fault);
    }

    /// Faults still scheduled.
    #[must_use]
    pub fn scheduled(&self) -> usize {
        self.scheduled.len()
    }

    /// The fault striking at `stage` now, if any: a scheduled one first,
    /// else a random draw.
    pub(crate) fn draw(&mut self, stage: Stage) -> Option<Fault> {
        if let Some(i) = self.scheduled.iter().position(|f| f.stage() == stage) {
            return self.scheduled.remove(i);
        }
        let r = self.rates;
        match stage {
            Stage::Execute => self
                .rng
                .chance(r.out_of_memory)
                .then_some(Fault::OutOfMemory),
            Stage::Session => self
                .rng
                .chance(r.lose_connection)
                .then_some(Fault::LoseConnection),
            Stage::Por => {
                if self.rng.chance(r.drop_por) {
                    Some(Fault::DropPor)
                } else if self.rng.chance(r.delay_por) {
                    Some(Fault::DelayPor(r.delay_ms))
                } else if self.rng.chance(r.corrupt_response) {
                    Some(Fault::CorruptResponse)
                } else {
                    None
                }
            }
        }
    }

    /// A random index below `n` (which octet to corrupt).
    pub(crate) const fn pick(&mut self, n: usize) -> usize {
        self.rng.below(n as u64) as usize
    }
}
