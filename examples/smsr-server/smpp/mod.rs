//! SMS over SMPP 3.4 (the `rusmpp` codec): the server's ESME
//! (`esme.rs`, one task per bound session in `session.rs`), the SMSC in
//! front of the simulated fleet (`smsc.rs`), the SCP80 fields of the
//! PDUs (`sms.rs`), framing (`pdu.rs`) and the `--smsc smpp://…` URL
//! (`config.rs`).

pub mod config;
pub mod esme;
pub mod pdu;
mod session;
pub mod sms;
pub mod smsc;
