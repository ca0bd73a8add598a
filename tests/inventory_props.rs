#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Property tests: any sequence of allowed operations keeps the EIS
//! invariants; every forbidden operation is refused with the code its
//! reason calls for and changes nothing.
#![cfg(feature = "alloc")]

use proptest::prelude::*;
use smsr::inventory::{
    Eis, FollowUp, Operation, Pol2Action, Pol2Qualification, Pol2Rule, ProfileInfo, ProfileState,
    RefusalReason,
};
use smsr::isdr::notification::TAG_AID;
use smsr::isdr::response::StatusCode;
use smsr::isdr::{Aid, Eid, Notification, NotificationType, Tar};

fn aid(tar: u32) -> Aid {
    Aid::isd_p(Tar::from_value(tar)).unwrap()
}

fn iccid(i: usize) -> String {
    format!("89490000000000000{i:02}")
}

#[derive(Debug, Clone)]
struct Setup {
    n: usize,
    enabled: usize,
    fallback: usize,
    emergency: Option<usize>,
    pol2: Vec<(usize, u8, u8)>,
}

fn setup() -> impl Strategy<Value = Setup> {
    (2usize..6)
        .prop_flat_map(|n| {
            (
                Just(n),
                0..n,
                0..n,
                proptest::option::of(0..n),
                proptest::collection::vec((0..n, 0u8..3, 0u8..2), 0..4),
            )
        })
        .prop_map(|(n, enabled, fallback, emergency, pol2)| Setup {
            n,
            enabled,
            fallback,
            emergency: emergency.filter(|e| *e != fallback),
            pol2,
        })
}

fn build(s: &Setup) -> Eis {
    let eid = Eid::parse_digits("89086030202200000022000023022943").unwrap();
    let mut eis = Eis::new(eid, "SMSR");
    eis.available_memory_for_profiles = 50_000;
    for i in 0..s.n {
        let state = if i == s.enabled {
            ProfileState::Enabled
        } else {
            ProfileState::Disabled
        };
        let mut p = ProfileInfo::new(&iccid(i), aid(0x10 + i as u32), "MNO", state);
        p.fallback_attribute = i == s.fallback;
        p.emergency_profile_attribute = s.emergency == Some(i);
        p.allocated_memory = Some(1_000);
        eis.profiles.push(p);
    }
    for (i, a, q) in &s.pol2 {
        let action = [Pol2Action::Enable, Pol2Action::Disable, Pol2Action::Delete][*a as usize];
        let qualification =
            [Pol2Qualification::NotAllowed, Pol2Qualification::AutoDelete][*q as usize];
        let p = &mut eis.profiles[*i];
        if p.pol2_for(action).is_none() {
            p.pol2.push(Pol2Rule::new(action, qualification));
        }
    }
    eis
}

#[derive(Debug, Clone)]
enum Step {
    Create(usize, Option<u32>),
    Download(usize),
    Enable(usize),
    Disable(usize),
    Delete(usize),
    MasterDelete(usize),
    Fallback(usize),
    Emergency(usize),
    Connectivity(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let i = 0usize..9;
    prop_oneof![
        (i.clone(), proptest::option::of(0u32..80_000)).prop_map(|(i, m)| Step::Create(i, m)),
        i.clone().prop_map(Step::Download),
        i.clone().prop_map(Step::Enable),
        i.clone().prop_map(Step::Disable),
        i.clone().prop_map(Step::Delete),
        i.clone().prop_map(Step::MasterDelete),
        i.clone().prop_map(Step::Fallback),
        i.clone().prop_map(Step::Emergency),
        i.prop_map(Step::Connectivity),
    ]
}

fn expected_code(reason: RefusalReason) -> StatusCode {
    match reason {
        RefusalReason::UnknownProfile => StatusCode::new("8.2.1", "3.9"),
        RefusalReason::ProfileExists | RefusalReason::IsdpAidUnavailable => {
            StatusCode::new("8.2.1", "3.3")
        }
        RefusalReason::InsufficientMemory => StatusCode::new("8.1", "4.8"),
        RefusalReason::WrongState(_) | RefusalReason::NotOwner => StatusCode::new("8.2.1", "1.2"),
        RefusalReason::Pol2(_) => StatusCode::new("8.2.3", "3.8"),
        _ => StatusCode::new("8.2", "3.8"),
    }
}

/// The reason given must hold in the EIS.
fn reason_holds(eis: &Eis, op: &Operation<'_>, reason: RefusalReason) -> bool {
    let p = eis.profile(op.iccid());
    match reason {
        RefusalReason::UnknownProfile => p.is_none(),
        RefusalReason::ProfileExists => p.is_some(),
        RefusalReason::IsdpAidUnavailable => match op {
            Operation::CreateIsdp { isd_p_aid, .. } => eis.profile_by_aid(isd_p_aid).is_some(),
            _ => false,
        },
        RefusalReason::InsufficientMemory => match op {
            Operation::CreateIsdp {
                required_memory: Some(m),
                ..
            } => *m > eis.available_memory_for_profiles,
            _ => false,
        },
        RefusalReason::WrongState(s) => p.is_some_and(|p| p.state == s),
        RefusalReason::FallbackProfile => {
            p.is_some_and(|p| p.fallback_attribute) || eis.fallback_profile().is_none()
        }
        RefusalReason::EnabledProfile => p.is_some_and(|p| p.state == ProfileState::Enabled),
        RefusalReason::EmergencyProfile => p.is_some_and(|p| p.emergency_profile_attribute),
        RefusalReason::NotOwner => false,
        RefusalReason::Pol2(a) => eis
            .profiles
            .iter()
            .any(|q| q.pol2_for(a) == Some(Pol2Qualification::NotAllowed)),
        _ => false,
    }
}

fn notify(eis: &mut Eis, kind: NotificationType, seq: &mut u16, target: Aid) {
    *seq = seq.wrapping_add(1);
    let n = Notification {
        eid: eis.eid(),
        kind,
        sequence_number: *seq,
        isd_p_aid: Some(target),
        aid_tag: TAG_AID,
        imei: None,
        meid: None,
    };
    let eff = eis.apply_notification(&n);
    for f in eff.follow_ups {
        if let FollowUp::AutoDelete { iccid } = f {
            let op = Operation::DeleteProfile { iccid: &iccid };
            if eis.check(&op).is_ok() {
                eis.apply_result(&op, &Ok(()));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn allowed_sequences_keep_invariants(s in setup(), steps in proptest::collection::vec(step(), 1..40)) {
        let mut eis = build(&s);
        prop_assert!(eis.check_invariants().is_ok());
        let mut seq = 0u16;
        for st in &steps {
            let (name, idx) = match st {
                Step::Create(i, _) | Step::Download(i) | Step::Enable(i) | Step::Disable(i)
                | Step::Delete(i) | Step::MasterDelete(i) | Step::Fallback(i)
                | Step::Emergency(i) | Step::Connectivity(i) => (iccid(*i), *i),
            };
            let params = [0xA0u8, 0x00];
            let op = match st {
                Step::Create(_, m) => Operation::CreateIsdp {
                    iccid: &name,
                    isd_p_aid: aid(0x10 + idx as u32),
                    required_memory: *m,
                },
                Step::Download(_) => Operation::ProfileDownloadCompleted { iccid: &name },
                Step::Enable(_) => Operation::EnableProfile { iccid: &name },
                Step::Disable(_) => Operation::DisableProfile { iccid: &name },
                Step::Delete(_) => Operation::DeleteProfile { iccid: &name },
                Step::MasterDelete(_) => Operation::MasterDelete { iccid: &name },
                Step::Fallback(_) => Operation::SetFallbackAttribute { iccid: &name },
                Step::Emergency(_) => Operation::SetEmergencyProfileAttribute { iccid: &name },
                Step::Connectivity(_) => Operation::UpdateConnectivityParameters { iccid: &name, parameters: &params },
            };
            let before = eis.clone();
            match eis.check(&op) {
                Err(r) => {
                    prop_assert_eq!(r.code, expected_code(r.reason));
                    prop_assert!(reason_holds(&eis, &op, r.reason), "{:?} for {:?}", r.reason, op);
                    // The mutating entry points refuse the same way and change nothing.
                    if let Operation::CreateIsdp { iccid, isd_p_aid, required_memory } = op {
                        prop_assert_eq!(eis.begin_create_isdp(iccid, isd_p_aid, required_memory, "MNO", None), Err(r));
                    }
                    if let Operation::ProfileDownloadCompleted { iccid } = op {
                        prop_assert_eq!(eis.profile_download_completed(iccid, None, None, &[]), Err(r));
                    }
                    prop_assert!(eis.es5_command(&op).is_err());
                    prop_assert_eq!(&eis, &before);
                }
                Ok(()) => {
                    match op {
                        Operation::CreateIsdp { iccid, isd_p_aid, required_memory } => {
                            eis.begin_create_isdp(iccid, isd_p_aid, required_memory, "MNO", None).unwrap();
                            eis.apply_result(&op, &Ok(()));
                        }
                        Operation::ProfileDownloadCompleted { iccid } => {
                            eis.profile_download_completed(iccid, None, None, &[]).unwrap();
                        }
                        Operation::EnableProfile { iccid } => {
                            prop_assert!(eis.es5_command(&op).unwrap().is_some());
                            let target = eis.profile(iccid).unwrap().isd_p_aid;
                            notify(&mut eis, NotificationType::PROFILE_CHANGE_SUCCEEDED, &mut seq, target);
                        }
                        Operation::DisableProfile { .. } => {
                            prop_assert!(eis.es5_command(&op).unwrap().is_some());
                            let fb = eis.fallback_profile().unwrap().isd_p_aid;
                            notify(&mut eis, NotificationType::PROFILE_CHANGE_AFTER_FALLBACK, &mut seq, fb);
                        }
                        _ => {
                            eis.apply_result(&op, &Ok(()));
                        }
                    }
                }
            }
            prop_assert!(eis.check_invariants().is_ok(), "{:?}", eis.check_invariants());
            // Exactly one enabled and exactly one fall-back profile survive.
            prop_assert_eq!(eis.profiles.iter().filter(|p| p.state == ProfileState::Enabled).count(), 1);
            prop_assert_eq!(eis.profiles.iter().filter(|p| p.fallback_attribute).count(), 1);
        }
    }
}
