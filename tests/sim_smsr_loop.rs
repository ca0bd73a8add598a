#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
#![cfg(feature = "sim")]
//! An SM-SR loop against the simulator: the EIS (`inventory`, as the EUM
//! registered it from `sim::fleet::eis`) decides and builds every ES5
//! command (`Eis::check`, `Eis::es5_command`), the command travels over
//! SCP80, and the results and notifications are applied back to the EIS.
//! After any random sequence of operations the EIS and the eUICC agree on
//! every profile's state and fall-back attribute.

mod sim_support;

use proptest::prelude::*;
use sim_support::{Server, profile_header};
use smsr::inventory::{Eis, FollowUp, Operation, ProfileState};
use smsr::isdr::{Aid, response};
use smsr::scp80::PorStatus;
use smsr::sim::{Euicc, fleet, life_cycle};

#[derive(Debug, Clone, Copy)]
enum Op {
    Create(u8),
    Download(u8),
    Enable(u8),
    Disable(u8),
    Delete(u8),
    Fallback(u8),
    LoseConnectivity,
}

fn op() -> impl Strategy<Value = Op> {
    // Few indices and weights towards creation and download, so that
    // sequences reach enabled, fall-back and deleted profiles often.
    let i = 0u8..3;
    prop_oneof![
        3 => i.clone().prop_map(Op::Create),
        3 => i.clone().prop_map(Op::Download),
        3 => i.clone().prop_map(Op::Enable),
        2 => i.clone().prop_map(Op::Disable),
        1 => i.clone().prop_map(Op::Delete),
        2 => i.prop_map(Op::Fallback),
        1 => Just(Op::LoseConnectivity),
    ]
}

fn iccid(i: u8) -> String {
    format!("89440000000000000{i:02}")
}

struct Smsr {
    eis: Eis,
    server: Server,
    sim: Euicc,
}

impl Smsr {
    fn new(seed: u64) -> Self {
        let cfg = fleet::member(seed, 0).unwrap();
        let mut eis = fleet::eis(&cfg, "EUM", "SMSR");
        eis.profiles.clear();
        Self {
            eis,
            server: Server::new(&cfg),
            sim: Euicc::new(cfg, seed),
        }
    }

    /// Sends one C-APDU, applies the outcome and every notification.
    fn es5(&mut self, op: &Operation<'_>) {
        let Ok(Some(capdu)) = self.eis.es5_command(op) else {
            return;
        };
        let ex = self.server.run(&mut self.sim, &[capdu.as_bytes()]);
        assert_eq!(ex.status, Some(PorStatus::OK));
        let result = response::command_status(&ex.rapdu(0));
        self.eis.apply_result(op, &result);
        self.notifications(ex.notifications);
    }

    fn notifications(&mut self, list: Vec<smsr::isdr::Notification>) {
        for n in list {
            let effect = self.eis.apply_notification(&n);
            for f in effect.follow_ups {
                if let FollowUp::ConfirmNotification { sequence_number } = f {
                    let c =
                        smsr::isdr::es5::handle_notification_confirmation(sequence_number).unwrap();
                    let ex = self.server.run(&mut self.sim, &[c.as_bytes()]);
                    let deleted: Vec<Aid> = response::notification_confirmation(&ex.rapdu(0))
                        .unwrap()
                        .map(Result::unwrap)
                        .collect();
                    self.eis.apply_deleted_isdps(&deleted);
                }
            }
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Create(i) => {
                let id = iccid(i);
                let Some(tar) = self.eis.next_isd_p_tar() else {
                    return;
                };
                let aid = Aid::isd_p(tar).unwrap();
                if self
                    .eis
                    .begin_create_isdp(&id, aid, Some(30_000), "MNO", None)
                    .is_ok()
                {
                    let op = Operation::CreateIsdp {
                        iccid: &id,
                        isd_p_aid: aid,
                        required_memory: Some(30_000),
                    };
                    let capdu = smsr::isdr::es5::create_isdp(&aid, Some(30_000)).unwrap();
                    let ex = self.server.run(&mut self.sim, &[capdu.as_bytes()]);
                    let result = response::command_status(&ex.rapdu(0));
                    self.eis.apply_result(&op, &result);
                }
            }
            Op::Download(i) => {
                let id = iccid(i);
                if self
                    .eis
                    .check(&Operation::ProfileDownloadCompleted { iccid: &id })
                    .is_err()
                {
                    return;
                }
                let aid = self.eis.profile(&id).unwrap().isd_p_aid;
                let perso = smsr::isdr::es5::install_for_personalization(&aid).unwrap();
                let pkg = profile_header([0x98, i, 0, 0, 0, 0, 0, 0, 0, 0], None);
                let store =
                    hex::decode(format!("80E29000{:02X}{}", pkg.len(), hex::encode(&pkg))).unwrap();
                let ex = self.server.run(&mut self.sim, &[perso.as_bytes(), &store]);
                assert!(ex.rapdus.iter().all(|r| r.1.is_success()));
                self.eis
                    .profile_download_completed(&id, None, None, &[])
                    .unwrap();
            }
            Op::Enable(i) => self.es5(&Operation::EnableProfile { iccid: &iccid(i) }),
            Op::Disable(i) => self.es5(&Operation::DisableProfile { iccid: &iccid(i) }),
            Op::Delete(i) => self.es5(&Operation::DeleteProfile { iccid: &iccid(i) }),
            Op::Fallback(i) => self.es5(&Operation::SetFallbackAttribute { iccid: &iccid(i) }),
            Op::LoseConnectivity => {
                self.sim.connectivity_lost(0);
                let out = self.sim.take_outgoing(0);
                let header = self.server.header();
                let ex = self.server.read(&header, &out);
                self.notifications(ex.notifications);
            }
        }
    }

    fn agree(&self) {
        self.eis.check_invariants().unwrap();
        let card = self.sim.card();
        for p in &self.eis.profiles {
            let on_card = card.profile(&p.isd_p_aid);
            let lc = on_card.map(|c| c.life_cycle);
            match p.state {
                ProfileState::InCreation => {}
                ProfileState::Created => {
                    assert_eq!(lc, Some(life_cycle::SELECTABLE), "{}", p.iccid)
                }
                ProfileState::Disabled => assert_eq!(lc, Some(life_cycle::DISABLED), "{}", p.iccid),
                ProfileState::Enabled => assert_eq!(lc, Some(life_cycle::ENABLED), "{}", p.iccid),
            }
            if let Some(c) = on_card {
                assert_eq!(c.fallback, p.fallback_attribute, "{}", p.iccid);
            }
        }
        for c in &card.profiles {
            assert!(
                self.eis.profile_by_aid(&c.aid).is_some(),
                "{} unknown to the EIS",
                c.aid
            );
        }
        assert!(card.pending.is_empty(), "every notification confirmed");
    }
}

proptest! {
    // A fixed seed: the guard below counts how far these runs get, and a
    // statistical threshold must not make CI flaky.
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5313_0202),
        ..ProptestConfig::default()
    })]

    #[test]
    fn eis_and_euicc_agree(ops in prop::collection::vec(op(), 10..40), seed in 0u64..1000) {
        let mut s = Smsr::new(seed);
        for op in ops {
            s.apply(op);
            s.agree();
        }
        STATS.with(|c| c.borrow_mut().record(&s));
    }
}

/// How far the random runs got (checked below so that the property test
/// cannot silently stop reaching the interesting states).
#[derive(Default)]
struct Stats {
    runs: u32,
    enabled: u32,
    fallback_enabled: u32,
    commands: u64,
}

impl Stats {
    fn record(&mut self, s: &Smsr) {
        self.runs += 1;
        self.commands += s.server.cntr;
        if let Some(p) = s.eis.enabled_profile() {
            self.enabled += 1;
            if p.fallback_attribute {
                self.fallback_enabled += 1;
            }
        }
    }
}

thread_local! {
    static STATS: std::cell::RefCell<Stats> = std::cell::RefCell::new(Stats::default());
}

#[test]
fn random_runs_reach_enabled_profiles() {
    eis_and_euicc_agree();
    STATS.with(|c| {
        let st = c.borrow();
        assert!(st.runs >= 64, "{}", st.runs);
        assert!(
            st.enabled * 3 >= st.runs,
            "enabled in {} of {} runs",
            st.enabled,
            st.runs
        );
        assert!(st.fallback_enabled > 0);
        assert!(st.commands >= u64::from(st.runs) * 5);
    });
}

#[test]
fn a_scripted_run() {
    let mut s = Smsr::new(1);
    for op in [
        Op::Create(0),
        Op::Download(0),
        Op::Create(1),
        Op::Download(1),
        Op::Fallback(0),
        Op::Enable(1),
        Op::LoseConnectivity,
        Op::Delete(1),
    ] {
        s.apply(op);
        s.agree();
    }
    assert_eq!(
        s.eis.enabled_profile().map(|p| p.iccid.as_str()),
        Some(iccid(0).as_str())
    );
    assert!(s.eis.profile(&iccid(1)).is_none());
    assert_eq!(s.sim.card().profiles.len(), 1);
}
