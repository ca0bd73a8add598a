//! The sans-IO delivery core fed arbitrary event sequences: operations
//! submitted, time passing, packets polled, PoRs (matching or not, any
//! status, any body), SCP81 session outcomes with any script status,
//! notifications. Never panics, and:
//! * no counter value is handed out twice (per counter key, strictly
//!   increasing, and each one persisted before it is handed out);
//! * an operation is settled at most once and never sent after that;
//! * only one attempt is in flight at a time.
#![no_main]

use std::collections::{HashMap, HashSet};

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use smsr::delivery::{
    Config, Delivery, Event, MemoryEisStore, PorAnswer, Request, SessionOutcome, Transmit,
};
use smsr::inventory::{Eis, Function, HexBytes, ProfileInfo, ProfileState};
use smsr::isdr::notification::TAG_AID;
use smsr::isdr::{Aid, Eid, Notification, NotificationType, Tar as IsdpTar};
use smsr::scp80::{
    Cntr, CounterKey, CounterStore, KeyAlgorithm, Kic, Kid, MemoryCounterStore, PorStatus, Tar,
};
use smsr::scp81::http::ScriptStatus;

const ICCIDS: [&str; 3] = ["8949000000000000001", "8949000000000000002", "0000"];

fn aid(tar: u32) -> Aid {
    Aid::isd_p(IsdpTar::from_value(tar)).unwrap()
}

fn eis(http: bool) -> Eis {
    let eid = Eid::parse_digits("89049032123451234512345678901235").unwrap();
    let mut eis = Eis::new(eid, "SMSR-1");
    eis.available_memory_for_profiles = 100_000;
    eis.eum_signed_info.capabilities.http_support = http;
    let mut a = ProfileInfo::new(ICCIDS[0], aid(0x10), "MNO-A", ProfileState::Enabled);
    a.fallback_attribute = true;
    eis.profiles.push(a);
    eis.profiles.push(ProfileInfo::new(
        ICCIDS[1],
        aid(0x11),
        "MNO-B",
        ProfileState::Disabled,
    ));
    eis
}

fn function(u: &mut Unstructured<'_>) -> Result<Function> {
    let iccid = String::from(*u.choose(&ICCIDS)?);
    Ok(match u.int_in_range(0..=9u8)? {
        0 => Function::CreateIsdp {
            iccid: format!("89490000000000001{}", u.int_in_range(0..=9u8)?),
            mno_id: "MNO-C".into(),
            required_memory: u.arbitrary()?,
        },
        1 => Function::EnableProfile { iccid },
        2 => Function::DisableProfile { iccid },
        3 => Function::DeleteProfile { iccid },
        4 => Function::SetFallbackAttribute { iccid },
        5 => Function::SetEmergencyProfileAttribute { iccid },
        6 => Function::UpdateConnectivityParameters {
            iccid,
            parameters: HexBytes(u.arbitrary()?),
        },
        7 => Function::AuditEis { iccids: Vec::new() },
        8 => Function::SendData {
            sd_aid: aid(0x11),
            data: HexBytes(u.arbitrary()?),
            more_to_do: u.arbitrary()?,
        },
        _ => Function::ConfirmNotification {
            sequence_number: u.arbitrary()?,
        },
    })
}

const STATUSES: [ScriptStatus; 5] = [
    ScriptStatus::Ok,
    ScriptStatus::SecurityError,
    ScriptStatus::UnknownApplication,
    ScriptStatus::NotASecurityDomain,
    ScriptStatus::ScriptFormatError,
];

#[derive(Default)]
struct Check {
    last: HashMap<Tar, Cntr>,
    settled: HashSet<u64>,
    in_flight: Option<(u64, Cntr)>,
}

type Core = Delivery<MemoryCounterStore<4>, MemoryEisStore>;

impl Check {
    fn transmit(&mut self, core: &mut Core, cfg: &Config, t: &Transmit) {
        let (id, tar, cntr) = match t {
            Transmit::Scp80 { id, tar, cntr, .. } => (*id, *tar, *cntr),
            Transmit::Scp81 { id, cntr, .. } => (*id, Tar(smsr::isdr::Tar::ISD_R.0), *cntr),
        };
        assert!(
            !self.settled.contains(&id),
            "settled operation {id} sent again"
        );
        if let Some(prev) = self.last.insert(tar, cntr) {
            assert!(cntr > prev, "counter {cntr:?} after {prev:?}");
        }
        let key = CounterKey {
            tar,
            kic: cfg.kic,
            kid: cfg.kid,
        };
        assert!(
            core.counters().load(&key).unwrap() >= cntr,
            "counter not persisted"
        );
        self.in_flight = Some((id, cntr));
    }

    fn events(&mut self, core: &mut Core) {
        while let Some(e) = core.poll_event() {
            if let Event::Settled { id, .. } | Event::Expired { id, .. } = e {
                assert!(self.settled.insert(id), "operation {id} settled twice");
                if self.in_flight.is_some_and(|(i, _)| i == id) {
                    self.in_flight = None;
                }
            }
        }
    }
}

/// A PoR: the CNTR of the attempt in flight or another one.
fn por(u: &mut Unstructured<'_>, core: &mut Core, st: &Check, now: u64) -> Result<()> {
    let cntr = match (st.in_flight, u.arbitrary::<bool>()?) {
        (Some((_, c)), true) => c,
        _ => Cntr::from_u64(u.int_in_range(0..=8u64)?).unwrap(),
    };
    let status = PorStatus(u.int_in_range(0..=10u8)?);
    let data: Vec<u8> = u.arbitrary()?;
    // Taken or ignored, or the 4-entry counter store full: all fine here
    // (the target looks for panics and broken invariants).
    let _ = core.handle_por(
        now,
        &PorAnswer {
            cntr,
            status,
            data: &data,
        },
    );
    Ok(())
}

/// How an SCP81 session ended.
fn session(u: &mut Unstructured<'_>, core: &mut Core, now: u64) -> Result<()> {
    let status = u.choose(&STATUSES)?.clone();
    let body: Vec<u8> = u.arbitrary()?;
    let outcome = match u.int_in_range(0..=2u8)? {
        0 => SessionOutcome::Broken,
        1 => SessionOutcome::NotOpened,
        _ => SessionOutcome::Answered {
            status: &status,
            body: &body,
        },
    };
    // Taken or not expected, or a store error: all fine here.
    let _ = core.handle_session_result(now, outcome);
    Ok(())
}

/// A notification of the eUICC.
fn notification(u: &mut Unstructured<'_>, core: &mut Core) -> Result<()> {
    let n = Notification {
        eid: Eid::parse_digits("89049032123451234512345678901235").unwrap(),
        kind: NotificationType(u.int_in_range(0..=6u8)?),
        sequence_number: u.arbitrary()?,
        isd_p_aid: Some(aid(u.int_in_range(0x10..=0x12u32)?)),
        aid_tag: TAG_AID,
        imei: None,
        meid: None,
    };
    // Its effect (or a store error) is the core's business here.
    let _ = core.handle_notification(&n);
    Ok(())
}

fn step(
    u: &mut Unstructured<'_>,
    core: &mut Core,
    cfg: &Config,
    st: &mut Check,
    now: &mut u64,
    next_id: &mut u64,
) -> Result<()> {
    match u.int_in_range(0..=8u8)? {
        0 => {
            *next_id += 1;
            let expires = *now + u64::from(u.int_in_range(0..=200u16)?) * 100;
            let requester = u.arbitrary::<bool>()?.then(|| "MNO-B".to_owned());
            core.submit(Request {
                id: *next_id,
                function: function(u)?,
                requester,
                expires_at_ms: expires,
            });
        }
        1 => {
            *now += u64::from(u.int_in_range(0..=100u16)?) * 50;
            core.handle_timeout(*now);
        }
        2 => {
            if let Ok(Some(t)) = core.poll_transmit(*now) {
                st.transmit(core, cfg, &t);
                assert_eq!(
                    core.poll_transmit(*now).unwrap(),
                    None,
                    "two attempts in flight"
                );
            }
        }
        3 => por(u, core, st, *now)?,
        4 => session(u, core, *now)?,
        5 => notification(u, core)?,
        6 => {
            if u.arbitrary::<bool>()? {
                core.handle_send_failed(*now, "SMSC refused");
            } else {
                let _ = core.handle_eis_changed();
            }
        }
        7 => {
            // An operation restored from storage, possibly of unknown
            // outcome.
            *next_id += 1;
            let expires = *now + u64::from(u.int_in_range(0..=200u16)?) * 100;
            let req = Request {
                id: *next_id,
                function: function(u)?,
                requester: None,
                expires_at_ms: expires,
            };
            core.submit_resumed(req, u.int_in_range(0..=3u32)?, u.arbitrary()?, None);
        }
        _ => {
            if let Some(t) = core.poll_timeout() {
                *now = (*now).max(t);
                core.handle_timeout(*now);
            }
        }
    }
    st.events(core);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(http) = u.arbitrary::<bool>() else {
        return;
    };
    let cfg = Config {
        attempts: 3,
        backoff_ms: 100,
        attempt_timeout_ms: 1_000,
        kic: Kic::new(1, KeyAlgorithm::AES),
        kid: Kid::new(1, KeyAlgorithm::AES.0),
    };
    let mut core = Delivery::new(
        cfg,
        MemoryCounterStore::<4>::new(),
        MemoryEisStore(eis(http)),
    );
    let mut st = Check::default();
    let (mut now, mut next_id) = (0u64, 0u64);
    while !u.is_empty() {
        if step(&mut u, &mut core, &cfg, &mut st, &mut now, &mut next_id).is_err() {
            break;
        }
    }
});
