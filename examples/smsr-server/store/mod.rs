//! The inventory store: the EIS of every eUICC, its secrets, the audit
//! trail, the queue of pending operations, batches and the SCP80 counters.
//!
//! [`Store`] is the seam: the server only talks to this trait, so another
//! database plugs in without touching the API or the delivery engine.
//! [`sqlite::SqliteStore`] is the embedded default (one file, WAL, one
//! process); [`postgres::PostgresStore`] serves several server instances
//! sharing one inventory (`--db postgres://…`), with the same guarantees
//! written in SQL (see its module docs): SCP80 counters handed out by one
//! atomic statement, EIS updates serialised per eUICC, queued operations
//! claimed by lease ([`Store::claim_next_op`]), an append-only audit
//! trail.
//!
//! The trait is synchronous: the SCP81 PSK callback runs inside OpenSSL
//! and cannot await, and every method is one short transaction.

pub mod authorisations;
pub mod held;
pub mod hot;
pub mod onc;
pub mod outbox;
pub mod outbox_prune;
pub mod postgres;
mod postgres_bulk;
mod rows;
pub mod sqlite;

use smsr::crypto::CipherAlgorithm;
use smsr::delivery::{self, EisStore, Event, Request};
use smsr::inventory::model::KeySetType;
use smsr::inventory::{AuditRecord, Eis, Function, NotificationEffect};
use smsr::isdr::{self, Eid, Notification};
use smsr::scp80::{Cntr, CounterKey, CounterStore, Kic, Kid, Tar};

use crate::keys::des3::Scp80Algorithm;

use crate::ops::{
    BatchProgress, FunctionExecutionStatus, NewOp, OpRecord, audit_record, codes, iso8601, now_ms,
};

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed (the backend's own error as the source, so no
    /// backend type appears in the [`Store`] interface).
    #[error("database: {0}")]
    Db(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored row could not be decoded.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The store lock was poisoned by a panic elsewhere.
    #[error("store lock poisoned")]
    Poisoned,
    /// The database cannot be reached now (down, restarting, no
    /// connection free in time): nothing was done; try again later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The key custody refused to seal or open an eUICC's secrets (a
    /// malformed record is [`StoreError::Corrupt`] instead).
    #[error("key custody: {0}")]
    Custody(crate::keys::CustodyError),
}

impl From<crate::keys::CustodyError> for StoreError {
    fn from(e: crate::keys::CustodyError) -> Self {
        match e {
            crate::keys::CustodyError::Malformed { .. } => Self::Corrupt(e.to_string()),
            e => Self::Custody(e),
        }
    }
}

/// The secrets records [`check_custody`] opens: the first and the last in
/// EID order (`smsr-server rekey` goes in EID order, so an unfinished one
/// leaves them under different keys).
pub const CUSTODY_CHECK_SQL: &str = "SELECT eid, json FROM secrets \
     WHERE eid = (SELECT min(eid) FROM secrets) OR eid = (SELECT max(eid) FROM secrets)";

/// Checks at open that `custody` opens the stored secrets `records`
/// (`(eid, record)`, those of [`CUSTODY_CHECK_SQL`]), so that a wrong
/// master key, an unfinished rekey or a database with clear secrets is
/// refused before anything is changed.
///
/// # Errors
/// [`StoreError::Custody`] naming what is wrong; a corrupt EID.
pub fn check_custody(
    custody: &dyn crate::keys::Custody,
    records: &[(String, String)],
) -> Result<(), StoreError> {
    for (eid, record) in records {
        let eid: Eid = eid
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("secrets EID {eid}: {e}")))?;
        custody.check(&eid, record)?;
    }
    Ok(())
}

impl From<delivery::Error<StoreError, StoreError>> for StoreError {
    fn from(e: delivery::Error<StoreError, StoreError>) -> Self {
        match e {
            delivery::Error::Counter(e) | delivery::Error::Eis(e) => e,
        }
    }
}

/// The keys of one eUICC the SM-SR holds (key values are never part of the
/// serialized EIS, so they travel and rest separately). This is the clear
/// form RegisterEIS and the key import hand in (zeroized on drop); the
/// store keeps it sealed by its [`crate::keys::Custody`].
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, zeroize::ZeroizeOnDrop)]
pub struct Secrets {
    /// SCP80 key version number of the ISD-R key set (the key index in
    /// KIc/KID).
    #[serde(rename = "Scp80Kvn")]
    pub scp80_kvn: u8,
    /// SCP80 ciphering key (AES-128), hex.
    #[serde(rename = "Scp80Kic", with = "hexser")]
    pub scp80_kic: Vec<u8>,
    /// SCP80 checksum key (AES-128 CMAC), hex.
    #[serde(rename = "Scp80Kid", with = "hexser")]
    pub scp80_kid: Vec<u8>,
    /// SCP81 TLS-PSK key, hex.
    #[serde(rename = "Scp81Psk", with = "hexser")]
    pub scp81_psk: Vec<u8>,
    /// SCP81 key version (`40`–`4F`).
    #[serde(rename = "Scp81Kvn")]
    pub scp81_kvn: u8,
    /// SCP81 key identifier.
    #[serde(rename = "Scp81KeyId")]
    pub scp81_key_id: u8,
    /// MSISDN the SMS for this eUICC go to.
    #[serde(rename = "Msisdn")]
    pub msisdn: String,
    /// The algorithm of the SCP80 KIc and KID (AES when absent).
    #[serde(
        rename = "Scp80Algorithm",
        default,
        skip_serializing_if = "Scp80Algorithm::is_aes"
    )]
    #[zeroize(skip)]
    pub scp80_algorithm: Scp80Algorithm,
    /// The ISD-R's SCP03 key set, when the EUM hands it over
    /// (keys/scp03_import.rs).
    #[serde(rename = "Scp03", default, skip_serializing_if = "Option::is_none")]
    pub scp03: Option<crate::keys::scp03_import::Scp03Keys>,
}

impl Secrets {
    /// The KIc and KID of the SM-SR's SCP80 command packets to this eUICC.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "OTA takes keys::vault::EuiccKeys; tests read Secrets"
        )
    )]
    pub fn scp80_kic_kid(&self) -> (Kic, Kid) {
        let algorithm = match self.scp80_algorithm {
            Scp80Algorithm::Aes => CipherAlgorithm::Aes128,
            Scp80Algorithm::Tdes2Key => CipherAlgorithm::Tdes2,
            Scp80Algorithm::Tdes3Key => CipherAlgorithm::Tdes3,
        };
        scp80_kic_kid(self.scp80_kvn, algorithm)
    }
}

/// The KIc and KID of key version `kvn` for keys of `algorithm` (AES,
/// 3DES two-key or three-key): ETSI TS 102 225 §5.1.2 / §5.1.3, the key
/// version in b5-b8 of both, the algorithm in b1-b4
/// ([`smsr::scp80::KeyAlgorithm::of_cipher`]).
pub fn scp80_kic_kid(kvn: u8, algorithm: CipherAlgorithm) -> (Kic, Kid) {
    let kvn = kvn & 0x0F;
    let code = smsr::scp80::KeyAlgorithm::of_cipher(algorithm);
    (Kic::new(kvn, code), Kid::new(kvn, code.0))
}

/// The SCP80 counters an EIS declares (the value the eUICC holds), named
/// as delivery reads them: per ISD-R TAR (the ISD-R's default TAR when the
/// EIS lists none) and SCP80 key set (`Keyset` `Type` SCP80 or absent,
/// version 1-15, the KIc/KID key version range of TS 102 225 §5.1.2).
pub fn initial_counters(eis: &Eis) -> Vec<(CounterName, u64)> {
    let default_tar = [Tar(isdr::Tar::ISD_R.0)];
    let tars: Vec<Tar> = if eis.isd_r.tar.is_empty() {
        default_tar.to_vec()
    } else {
        eis.isd_r.tar.iter().map(|t| Tar(t.0)).collect()
    };
    let mut out = Vec::new();
    for ks in &eis.isd_r.key_sets {
        let scp80 = matches!(ks.key_set_type, None | Some(KeySetType::Scp80));
        let (Some(value), true, 1..=0x0F) = (ks.counter, scp80, ks.version) else {
            continue;
        };
        // The stored counter name holds the TAR and the key version only
        // (`CounterName::stored`), whatever the algorithm.
        let (kic, kid) = scp80_kic_kid(ks.version, CipherAlgorithm::Aes128);
        for &tar in &tars {
            out.push((CounterName::Command(CounterKey { tar, kic, kid }), value));
        }
    }
    out
}

impl core::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Secrets(msisdn {}, keys redacted)", self.msisdn)
    }
}

/// The key import (`smsr-server import-keys`, keys/import.rs): the
/// secrets of registered eUICCs replaced by those of an EUM key file.
pub trait KeyImport {
    /// Replaces (sealed) the secrets of every `records[i].0` in one
    /// transaction, or none: `Ok(Some(i))` when the EID of `records[i]`
    /// is not registered (nothing changed).
    ///
    /// # Errors
    /// A database or custody failure (nothing changed).
    fn replace_secrets(&self, records: &[(Eid, Secrets)]) -> Result<Option<usize>, StoreError>;
}

/// Hex (upper case out, either case in) for key octets in JSON.
pub(crate) mod hexser {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_upper(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        // The hex text of a key is zeroized too.
        let s = zeroize::Zeroizing::new(String::deserialize(d)?);
        hex::decode(&*s).map_err(serde::de::Error::custom)
    }
}

/// Which eUICCs a fleet-wide function targets.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct EidFilter {
    /// EIDs starting with these digits.
    #[serde(rename = "EidPrefix", default)]
    pub eid_prefix: Option<String>,
    /// EIS `Eum-Id`.
    #[serde(rename = "Eum-Id", default)]
    pub eum_id: Option<String>,
    /// EIS `PlatformType`.
    #[serde(rename = "PlatformType", default)]
    pub platform_type: Option<String>,
}

/// What a [`Store::update_eis`] closure decided.
#[derive(Debug, Default)]
pub struct EisChange {
    /// Write the EIS back.
    pub changed: bool,
    /// Audit records to append.
    pub audit: Vec<AuditRecord>,
    /// Settle this operation with this status in the same transaction.
    pub settle: Option<(i64, FunctionExecutionStatus)>,
    /// Messages the change causes, stored in the same transaction
    /// ([`outbox`]; an event id already stored is left as it is).
    pub outbox: Vec<outbox::OutMessage>,
}

/// The inventory store. Every method is one transaction; implementations
/// are shared between threads.
pub trait Store: Send + Sync {
    /// RegisterEIS: stores a new EIS and its secrets; `false` when the EID
    /// is already registered (nothing changed).
    ///
    /// # Errors
    /// A database failure.
    fn register(&self, eis: &Eis, secrets: &Secrets) -> Result<bool, StoreError>;

    /// Bulk RegisterEIS (`smsr-server import`): stores every record in one
    /// transaction, or none. `Ok(Some(i))` when the EID of `records[i]` is
    /// already registered or repeats an earlier record's (nothing
    /// changed). No fsync per record: one commit per call.
    ///
    /// # Errors
    /// A database failure (nothing changed).
    fn register_many(&self, records: &[(Eis, Secrets)]) -> Result<Option<usize>, StoreError>;

    /// The EIS of `eid` (without its audit trail; see [`Store::audit_trail`]).
    ///
    /// # Errors
    /// A database failure or a corrupt row.
    fn eis(&self, eid: &Eid) -> Result<Option<Eis>, StoreError>;

    /// The secrets of `eid`.
    ///
    /// # Errors
    /// A database failure or a corrupt row.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "the server reads keys through store::held::HeldKeys (no clear \
                      Secrets on the PKCS#11 custody); the store suite checks the round trip"
        )
    )]
    fn secrets(&self, eid: &Eid) -> Result<Option<Secrets>, StoreError>;

    /// The EID whose secrets carry `msisdn`.
    ///
    /// # Errors
    /// A database failure.
    fn eid_by_msisdn(&self, msisdn: &str) -> Result<Option<Eid>, StoreError>;

    /// Atomically loads the EIS of `eid`, runs `f` on it and applies what
    /// it returns (EIS write, audit records, settling an operation).
    /// Returns the EIS after `f`, or `None` for an unknown EID (`f` not
    /// run).
    ///
    /// # Errors
    /// A database failure or a corrupt row (nothing written).
    fn update_eis(
        &self,
        eid: &Eid,
        f: &mut dyn FnMut(&mut Eis) -> EisChange,
    ) -> Result<Option<Eis>, StoreError>;

    /// The EIDs matching `filter`, in EID order.
    ///
    /// # Errors
    /// A database failure.
    fn eids(&self, filter: &EidFilter) -> Result<Vec<Eid>, StoreError>;

    /// Number of registered eUICCs.
    ///
    /// # Errors
    /// A database failure.
    fn count(&self) -> Result<u64, StoreError>;

    /// Increments and returns the SCP80 counter `key` of `eid` (first value
    /// 1, or one above the initial value set at registration). The new
    /// value is durable when this returns: a crash after it can skip a
    /// value, never reuse one.
    ///
    /// # Errors
    /// A database failure (then no packet may be sent).
    fn next_counter(&self, eid: &Eid, name: CounterName) -> Result<u64, StoreError>;

    /// The current value of a counter (0 when never used).
    ///
    /// # Errors
    /// A database failure.
    fn counter(&self, eid: &Eid, name: CounterName) -> Result<u64, StoreError>;

    /// Sets a counter to at least `value` (registration, resynchronisation
    /// from a PoR); never lowers it.
    ///
    /// # Errors
    /// A database failure.
    fn raise_counter(&self, eid: &Eid, name: CounterName, value: u64) -> Result<(), StoreError>;

    /// Creates a batch record and returns its id.
    ///
    /// # Errors
    /// A database failure.
    fn create_batch(
        &self,
        requester: &str,
        function: &str,
        refused: u64,
    ) -> Result<i64, StoreError>;

    /// Queues operations in one transaction; returns their ids in order.
    ///
    /// # Errors
    /// A database failure (none queued).
    fn enqueue(&self, ops: &[NewOp]) -> Result<Vec<i64>, StoreError>;

    /// One operation.
    ///
    /// # Errors
    /// A database failure or a corrupt row.
    fn op(&self, id: i64) -> Result<Option<OpRecord>, StoreError>;

    /// Claims the oldest unsettled operation of `eid` for the server
    /// instance `owner` until `now_ms + lease_ms`, and returns it; `None`
    /// when `eid` has none, or when another instance holds a lease that
    /// has not expired at `now_ms`. A claim leaves the lease at least
    /// `lease_ms / 2` past `now_ms` (claiming again renews it, or reads it
    /// while at least half is left); settling ends it. An instance that dies stops
    /// renewing, so its operations go to another after at most `lease_ms`.
    ///
    /// # Errors
    /// A database failure or a corrupt row (nothing claimed).
    fn claim_next_op(
        &self,
        eid: &Eid,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<OpRecord>, StoreError>;

    /// The functions of the unsettled operations of `eid` (queued or in
    /// flight), oldest first: what a notification's confirmation checks
    /// against ([`apply_notification`]).
    ///
    /// # Errors
    /// A database failure or a corrupt row.
    fn pending_functions(&self, eid: &Eid) -> Result<Vec<Function>, StoreError>;

    /// The latest operation of `eid` carrying exactly `function` (settled
    /// or not): whether a retransmitted notification's confirmation
    /// already succeeded ([`apply_notification`]).
    ///
    /// # Errors
    /// A database failure or a corrupt row.
    fn latest_op_of(&self, eid: &Eid, function: &Function) -> Result<Option<OpRecord>, StoreError>;

    /// EIDs with unsettled operations (to resume after a restart).
    ///
    /// # Errors
    /// A database failure.
    fn eids_with_pending(&self) -> Result<Vec<Eid>, StoreError>;

    /// EIDs with unsettled operations nobody holds a live lease on at
    /// `now_ms` (never claimed, or their instance died).
    ///
    /// # Errors
    /// A database failure.
    fn claimable_eids(&self, now_ms: i64) -> Result<Vec<Eid>, StoreError>;

    /// Marks `id` in flight and counts the attempt (before anything is
    /// sent).
    ///
    /// # Errors
    /// A database failure.
    fn mark_in_flight(&self, id: i64) -> Result<(), StoreError>;

    /// Puts `id` back in the queue until `not_before_ms` after a failed
    /// attempt.
    ///
    /// # Errors
    /// A database failure.
    fn reschedule(&self, id: i64, not_before_ms: i64, error: &str) -> Result<(), StoreError>;

    /// Leaves `id` in flight (outcome unknown: the next attempt audits
    /// first) and delays it until `not_before_ms`.
    ///
    /// # Errors
    /// A database failure.
    fn reschedule_in_flight(
        &self,
        id: i64,
        not_before_ms: i64,
        error: &str,
    ) -> Result<(), StoreError>;

    /// Settles `id` without touching the EIS (expiry, refusal).
    ///
    /// # Errors
    /// A database failure.
    fn settle(&self, id: i64, result: &FunctionExecutionStatus) -> Result<(), StoreError>;

    /// Progress of a batch.
    ///
    /// # Errors
    /// A database failure.
    fn batch(&self, id: i64) -> Result<Option<BatchProgress>, StoreError>;

    /// The last `limit` audit records of `eid`, oldest first.
    ///
    /// # Errors
    /// A database failure or a corrupt row.
    fn audit_trail(&self, eid: &Eid, limit: u32) -> Result<Vec<AuditRecord>, StoreError>;
}

/// Which SCP80 counter of an eUICC (ETSI TS 102 225 §5.1.1: a counter
/// per key set; the SM-SR keeps one per TAR and key version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterName {
    /// The SM-SR's command packets (the library's [`CounterKey`]).
    Command(CounterKey),
    /// The eUICC's own command packets (notifications) under key version
    /// `kvn`.
    Mo(u8),
}

impl CounterName {
    /// The name a store keeps it under: `TTTTTT/VV` (TAR, key version) or
    /// `mo/VV`.
    pub fn stored(&self) -> String {
        match self {
            CounterName::Command(k) => {
                let [a, b, c] = k.tar.0;
                format!("{a:02X}{b:02X}{c:02X}/{:02X}", k.kic.kvn())
            }
            CounterName::Mo(kvn) => format!("mo/{kvn:02X}"),
        }
    }
}

/// The SCP80 counters of one eUICC as the library's [`CounterStore`].
/// Values only go up.
///
/// The delivery core loads a counter and then stores the value above it
/// before handing that value out. A load here already takes that value
/// ([`Store::next_counter`], one statement committed before it returns)
/// and answers the one below it; the store of the value taken is then
/// done (one database round trip per packet, not two). Two server
/// instances never hand out the same value; a value loaded and not sent
/// is skipped, never reused.
pub struct EuiccCounters<'a> {
    /// The store.
    pub store: &'a dyn Store,
    /// The eUICC.
    pub eid: Eid,
    /// The counter a load took, and the value taken.
    taken: Option<(CounterKey, u64)>,
}

impl<'a> EuiccCounters<'a> {
    /// The counters of `eid` in `store`.
    pub fn new(store: &'a dyn Store, eid: Eid) -> Self {
        Self {
            store,
            eid,
            taken: None,
        }
    }
}

impl CounterStore for EuiccCounters<'_> {
    type Error = StoreError;

    /// Takes the next value of `key` and answers the one below it (the
    /// last value handed out); [`Cntr::MAX`] once the counter is spent.
    fn load(&mut self, key: &CounterKey) -> Result<Cntr, StoreError> {
        let name = CounterName::Command(*key);
        let next = self.store.next_counter(&self.eid, name)?;
        self.taken = Some((*key, next));
        let last = next
            .checked_sub(1)
            .ok_or_else(|| StoreError::Corrupt(format!("counter {name:?}: next value {next}")))?;
        Ok(Cntr::from_u64(last).unwrap_or(Cntr::MAX))
    }

    /// The value the last load took is already stored. Any other value is
    /// taken as [`Store::next_counter`] hands it out; a value further up
    /// (PoR `02` resynchronisation) raises the counter.
    fn store(&mut self, key: &CounterKey, value: Cntr) -> Result<(), StoreError> {
        let name = CounterName::Command(*key);
        let want = value.to_u64();
        if self.taken.take() == Some((*key, want)) {
            return Ok(());
        }
        let got = self.store.next_counter(&self.eid, name)?;
        match got.cmp(&want) {
            core::cmp::Ordering::Equal => Ok(()),
            core::cmp::Ordering::Less => self.store.raise_counter(&self.eid, name, want),
            core::cmp::Ordering::Greater => Err(StoreError::Corrupt(format!(
                "counter {name:?} of {} moved to {got} meanwhile",
                self.eid
            ))),
        }
    }
}

/// The EIS of one eUICC as the library's [`EisStore`].
pub struct EuiccEis<'a> {
    /// The store.
    pub store: &'a dyn Store,
    /// The eUICC.
    pub eid: Eid,
    /// The operation whose results are saved, and its requester: the
    /// notifications a saved change owes go to the outbox in the same
    /// transaction ([`outbox::notifications`]), none to the requester.
    pub cause: Option<(i64, String)>,
}

impl EisStore for EuiccEis<'_> {
    type Error = StoreError;

    fn load(&mut self) -> Result<Eis, StoreError> {
        self.store
            .eis(&self.eid)?
            .ok_or_else(|| StoreError::Corrupt(format!("EIS of {} gone", self.eid)))
    }

    fn save(&mut self, eis: &Eis) -> Result<(), StoreError> {
        let (date, now) = (iso8601(now_ms()), now_ms());
        let cause = self.cause.as_ref();
        self.store.update_eis(&self.eid, &mut |e| {
            let outbox = match cause {
                Some((id, requester)) => {
                    let event = format!("op/{id}");
                    outbox::notifications(&event, e, eis, Some(requester), &date, now)
                }
                None => Vec::new(),
            };
            *e = eis.clone();
            EisChange {
                changed: true,
                outbox,
                ..EisChange::default()
            }
        })?;
        Ok(())
    }
}

/// The delivery core's request for a stored operation; `smsr_id`'s own
/// follow-ups (e.g. a POL2 auto-delete) act for the owner.
///
/// # Errors
/// A negative identifier or validity period in the row.
pub fn delivery_request(op: &OpRecord, smsr_id: &str) -> Result<Request, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("operation {}: {what}", op.id));
    Ok(Request {
        id: u64::try_from(op.id).map_err(|_| corrupt("negative id"))?,
        function: op.function.clone(),
        requester: (op.requester != smsr_id).then(|| op.requester.clone()),
        expires_at_ms: u64::try_from(op.expires_at_ms).map_err(|_| corrupt("negative expiry"))?,
    })
}

/// Settles `op` with `status` in one transaction: on success the
/// function's own EIS change (`Function::on_success`, dated `date`), its
/// audit trail record (SGP.02 §5.1.1.3.12) when the function has an
/// operation type, the notifications the change owes ([`outbox`]), and
/// the result. An eUICC the store does not know settles it `EID unknown`
/// instead. Returns the status settled.
///
/// # Errors
/// A database failure (nothing settled).
pub fn settle_operation(
    store: &dyn Store,
    eid: &Eid,
    op: &OpRecord,
    status: FunctionExecutionStatus,
    smsr_id: &str,
    date: &str,
) -> Result<FunctionExecutionStatus, StoreError> {
    let kind = op.function.descriptor().operation_type;
    let iccid = op.function.iccid();
    let now = now_ms();
    let found = store.update_eis(eid, &mut |eis| {
        let before = eis.clone();
        let changed = status.is_success() && op.function.on_success(eis, date);
        let event = format!("op/{}", op.id);
        let outbox = outbox::notifications(&event, &before, eis, Some(&op.requester), date, now);
        let audit = kind.map(|k| {
            let mut rec = audit_record(eid, smsr_id, k, Some(&op.requester), &status, iccid);
            rec.isd_p_aid = iccid.and_then(|i| eis.profile(i)).map(|p| p.isd_p_aid);
            rec
        });
        EisChange {
            changed,
            audit: audit.into_iter().collect(),
            settle: Some((op.id, status.clone())),
            outbox,
        }
    })?;
    if found.is_some() {
        return Ok(status);
    }
    let unknown = FunctionExecutionStatus::failed(codes::EID_UNKNOWN, Some(&op.eid), "unknown EID");
    store.settle(op.id, &unknown)?;
    Ok(unknown)
}

/// What recording one of the delivery core's events did.
pub enum Recorded {
    /// The operation settled.
    Settled {
        /// Delivery attempts it took.
        attempts: u32,
        /// The status settled.
        status: FunctionExecutionStatus,
    },
    /// The operation waits for its next attempt.
    Rescheduled,
    /// The operation is still the core's.
    Kept,
}

/// Records a delivery core `ev` of `op`: settles it
/// ([`settle_operation`]), reschedules it (in flight when the next
/// attempt audits first) or queues the SM-SR's follow-up.
///
/// # Errors
/// A database failure (nothing recorded).
pub fn record_event(
    store: &dyn Store,
    eid: &Eid,
    op: &OpRecord,
    ev: Event,
    smsr_id: &str,
) -> Result<Recorded, StoreError> {
    match ev {
        Event::Settled {
            attempts, status, ..
        }
        | Event::Expired {
            attempts, status, ..
        } => {
            let date = iso8601(now_ms());
            let status = settle_operation(store, eid, op, status, smsr_id, &date)?;
            Ok(Recorded::Settled { attempts, status })
        }
        Event::Rescheduled {
            not_before_ms,
            error,
            audit_first,
            ..
        } => {
            let at = i64::try_from(not_before_ms).unwrap_or(i64::MAX);
            tracing::debug!(%eid, id = op.id, at, audit_first, "retry: {error}");
            if audit_first {
                store.reschedule_in_flight(op.id, at, &error)?;
            } else {
                store.reschedule(op.id, at, &error)?;
            }
            Ok(Recorded::Rescheduled)
        }
        Event::NeedsAudit { .. } => {
            tracing::debug!(%eid, id = op.id, "outcome unknown: audit first");
            Ok(Recorded::Kept)
        }
        Event::FollowUp(f) => {
            store.enqueue(&[NewOp::internal(eid, smsr_id, f)])?;
            Ok(Recorded::Kept)
        }
        // The relayed answer goes to the SM-DP from the engine's memory.
        Event::Relayed { .. } => Ok(Recorded::Kept),
    }
}

/// Whether the latest HandleNotificationConfirmation of `seq` queued for
/// `eid` succeeded: the ISD-R then no longer holds that notification
/// (SGP.02 §4.1.1.12), so a copy of it arriving now was sent before the
/// confirmation reached the eUICC and needs none more.
fn confirmed_by_last(store: &dyn Store, eid: &Eid, seq: u16) -> Result<bool, StoreError> {
    let confirm = Function::ConfirmNotification {
        sequence_number: seq,
    };
    Ok(store
        .latest_op_of(eid, &confirm)?
        .and_then(|op| op.result)
        .is_some_and(|r| r.is_success()))
}

/// Applies an eUICC notification to its EIS in one transaction
/// (`Eis::apply_notification`; a new one also gets its audit trail
/// record, dated `date`, into the audit table, and the notifications its
/// change owes into the [`outbox`]). `None` when the store
/// does not know the eUICC. The confirmation of a sequence number whose
/// confirmation is already queued or in flight is left out
/// ([`NotificationEffect::skip_pending_confirmations`]), and so is that of
/// a retransmission whose last confirmation succeeded.
///
/// # Errors
/// A database failure (nothing applied).
pub fn apply_notification(
    store: &dyn Store,
    eid: &Eid,
    n: &Notification,
    date: &str,
) -> Result<Option<NotificationEffect>, StoreError> {
    let pending: Vec<u16> = store
        .pending_functions(eid)?
        .iter()
        .filter_map(|f| match f {
            Function::ConfirmNotification { sequence_number } => Some(*sequence_number),
            _ => None,
        })
        .collect();
    let confirmed = confirmed_by_last(store, eid, n.sequence_number)?;
    let mut effect = None;
    let (event, now) = (
        format!("{eid}/notification/{}", n.sequence_number),
        now_ms(),
    );
    // The time tells a later notification reusing the number from this one.
    let event = format!("{event}/{now}");
    store.update_eis(eid, &mut |e| {
        let before = e.clone();
        let mut fx = e.apply_notification(n);
        // The stored EIS carries no audit trail (it has its own table):
        // what the library records here is the new record.
        e.audit_trail.clear();
        if !fx.duplicate {
            e.record_notification(n, date);
        }
        let audit = core::mem::take(&mut e.audit_trail);
        let changed = !fx.duplicate;
        fx.skip_pending_confirmations(&pending);
        if fx.duplicate && confirmed {
            // A copy sent before the confirmation reached the eUICC.
            fx.skip_pending_confirmations(&[n.sequence_number]);
        }
        effect = Some(fx);
        let outbox = outbox::notifications(&event, &before, e, None, date, now);
        EisChange {
            changed,
            audit,
            settle: None,
            outbox,
        }
    })?;
    Ok(effect)
}

#[cfg(test)]
mod tests {
    use smsr::inventory::model::KeySet;

    use super::*;

    fn key_set(version: u8, key_set_type: KeySetType, counter: u64) -> KeySet {
        KeySet {
            version,
            key_set_type: Some(key_set_type),
            counter: Some(counter),
            keys: Vec::new(),
            certificates: Vec::new(),
        }
    }

    #[test]
    fn initial_counters_are_the_scp80_key_sets_per_isd_r_tar() {
        let eid = Eid::with_check_digits("890490320000000000000000000001").unwrap();
        let mut e = Eis::new(eid, "SMSR1");
        e.isd_r.key_sets = vec![
            key_set(0x01, KeySetType::Scp80, 5),
            key_set(0x40, KeySetType::Scp81, 9),
            key_set(0x02, KeySetType::Scp03, 7),
        ];
        e.isd_r.tar = Vec::new();
        let names: Vec<(String, u64)> = initial_counters(&e)
            .iter()
            .map(|(n, v)| (n.stored(), *v))
            .collect();
        assert_eq!(
            names,
            vec![("000001/01".to_owned(), 5)],
            "default ISD-R TAR"
        );
        e.isd_r.tar = vec![isdr::Tar([0, 0, 1]), isdr::Tar([0, 0, 2])];
        let names: Vec<String> = initial_counters(&e)
            .iter()
            .map(|(n, _)| n.stored())
            .collect();
        assert_eq!(names, ["000001/01", "000002/01"], "every ISD-R TAR");
    }
}
