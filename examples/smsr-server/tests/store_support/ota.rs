//! Only what `ops.rs` names of the server's `ota` module (its `/stats`
//! report, not used by the store), so the store suite builds the store
//! without the OTA transport.

use std::sync::atomic::AtomicU64;

pub struct Transport {
    pub sms_out: AtomicU64,
    pub hub: Hub,
}

pub struct Hub {
    pub sessions: AtomicU64,
    pub refused: AtomicU64,
    pub open: AtomicU64,
    pub over_limit: AtomicU64,
    pub timed_out: AtomicU64,
}
