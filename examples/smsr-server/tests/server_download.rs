//! Profile download through a running server (SGP.02 §3.1.2): the example
//! SM-DP (`smsr_smdp::Download`) drives ES3 over the JSON API; the server
//! relays ES8 to the simulated fleet's ISD-Ps over SCP81 (one admin session
//! held open by `moreToDo`) and over SCP80 (chained scripts to the ISD-P
//! TAR). Each card's installed ICCID is checked against the package's,
//! from the card and through AuditEIS, then the profile is enabled. Bad
//! cases: a corrupt segment (the card refuses, nothing installed, the EIS
//! unchanged, the SM-DP gets the card's error), a SendData for an ISD-P of
//! another SM-DP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

mod server_support;

use std::net::SocketAddr;

use serde_json::{Value, json};
use server_support::*;
use smsr_smdp::{Call, Download, Identity, Order, Report, package};

/// The real TS.48 package; the test fails without it (set
/// `SMSR_TESTDATA`).
fn ts48() -> Vec<u8> {
    let path = package::testdata_dir().join(package::TS48);
    package::read(&path).unwrap_or_else(|e| panic!("{e} (set SMSR_TESTDATA)"))
}

fn sm_dp() -> Identity {
    Identity::signed_by_test_ci(&[0xD7; 32]).unwrap()
}

fn order(eid: &str, pkg: &[u8], iccid: &str, n: u8) -> Order {
    Order {
        eid: eid.to_owned(),
        package: package::with_iccid(pkg, iccid).unwrap(),
        iccid: iccid.to_owned(),
        required_memory: 60_000,
        key_length: 16,
        segments_per_call: 1,
        ephemeral: [0x40 + n; 32],
        host_challenge: [n; 8],
        msisdn: None,
    }
}

/// Drives `dl` over the API; `spoil` may change a call before it goes.
fn drive(
    api: SocketAddr,
    token: &str,
    dl: &mut Download<'_>,
    spoil: &mut dyn FnMut(&mut Call),
) -> Result<Report, smsr_smdp::Error> {
    let mut call = Some(dl.start());
    while let Some(mut c) = call {
        spoil(&mut c);
        let (status, answer) = server_support::call(api, token, "POST", c.path, &c.body);
        call = dl.handle(status, &answer)?;
    }
    Ok(dl.report().unwrap())
}

/// A fleet of `n` cards, the first `over_scp81` registered with HTTPS, the
/// others without (SCP80 only).
fn setup(name: &str, n: usize, over_scp81: usize) -> (TmpDir, Proc, Proc, Vec<Value>) {
    let dir = tmpdir(name);
    let fleet = start_fleet(&dir, n);
    let server = start_server(&dir, &dir.join("db.sqlite"), &smsc(&fleet), &[]);
    let mut ms = members(&fleet);
    for (i, m) in ms.iter_mut().enumerate() {
        m["Eis"]["EumSignedInfo"]["EuiccCapabilities"]["HttpSupport"] = json!(i < over_scp81);
    }
    register_all(api(&server), &ms, 4);
    (dir, fleet, server, ms)
}

/// The card's ISD-P `aid` as the fleet reports it.
fn card_isdp(fleet: &Proc, msisdn: &str, aid: &str) -> Value {
    let report = fleet_report(&smsc(fleet));
    let profiles = report["Cards"][msisdn]["Profiles"]
        .as_array()
        .unwrap()
        .clone();
    profiles
        .into_iter()
        .find(|p| p["Aid"] == aid)
        .unwrap_or_else(|| panic!("no ISD-P {aid} on {msisdn}: {report}"))
}

fn profile<'a>(eis: &'a Value, iccid: &str) -> &'a Value {
    eis["ProfileInfo"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["Iccid"] == iccid)
        .unwrap_or_else(|| panic!("no profile {iccid} in {eis}"))
}

#[test]
fn download_over_scp81_and_scp80_installs_each_cards_iccid_then_enable() {
    let (_dir, fleet, server, ms) = setup("download", 10, 5);
    let api = api(&server);
    let base = ts48();
    let base_iccid = package::iccid_of(&base).unwrap();
    let id = sm_dp();
    for (i, m) in ms.iter().enumerate() {
        let (eid, msisdn) = (eid_of(m), msisdn_of(m));
        let ic = iccid(1, i);
        assert_ne!(ic, base_iccid);
        let mut dl = Download::new(&id, order(&eid, &base, &ic, i as u8));
        let r = drive(api, MNO_A, &mut dl, &mut |_| {}).unwrap_or_else(|e| panic!("{eid}: {e}"));
        assert_eq!((r.iccid.as_str(), r.bytes), (ic.as_str(), base.len()));
        // 2 for key establishment, 84 and 85, then one per segment.
        assert_eq!(r.send_data, 4 + r.segments, "{r:?}");
        // The card: its ISD-P holds this package's ICCID and its size.
        let aid = r.isd_p_aid.to_string();
        let p = card_isdp(&fleet, &msisdn, &aid);
        assert_eq!(p["Iccid"], ic.as_str(), "{p}");
        assert_eq!(p["Used"], base.len(), "{p}");
        assert_eq!(p["LifeCycle"], "1F", "{p}");
        assert_eq!(p["ProfileType"], json!(package_type(&base)), "{p}");
        // The EIS through AuditEIS: Disabled, the memory the card uses.
        let v = ok(api, MNO_A, "/es4/AuditEIS", json!({"Eid": eid}));
        let e = profile(&v["Eis"], &ic);
        assert_eq!(e["State"], "Disabled", "{e}");
        assert_eq!(e["Isd-p-aid"], aid.as_str());
        assert_eq!(e["AllocatedMemory"], 60_000, "{e}");
        assert_eq!(e["FreeMemory"], 60_000 - base.len(), "{e}");
    }
    // Over SCP81 the whole ES8 exchange ran in one admin session per card
    // (moreToDo held it open): CreateISDP, the download, the audit of
    // ProfileDownloadCompleted and AuditEIS, 4 sessions per card; the
    // SCP80 cards opened none.
    let report = fleet_report(&smsc(&fleet));
    assert_eq!(report["Sessions"], 4 * 5, "{report}");
    assert_eq!(report["PacketsRefused"], 0, "{report}");
    for (i, m) in ms.iter().enumerate() {
        let (eid, msisdn) = (eid_of(m), msisdn_of(m));
        let ic = iccid(1, i);
        ok(
            api,
            MNO_A,
            "/es4/EnableProfile",
            json!({"Eid": eid, "Iccid": ic}),
        );
        let v = eis(api, MNO_A, &eid);
        assert_eq!(state(&v, &ic).as_deref(), Some("Enabled"), "{v}");
        let aid = profile(&v, &ic)["Isd-p-aid"].as_str().unwrap().to_owned();
        assert_eq!(card_isdp(&fleet, &msisdn, &aid)["LifeCycle"], "3F");
    }
}

fn package_type(pkg: &[u8]) -> Option<String> {
    smsr::profile::Package::new(pkg)
        .header()
        .unwrap()
        .profile_type
        .map(String::from)
}

/// Flips the last bit of the third `86` segment's C-MAC on its way.
fn corrupt_third_segment() -> impl FnMut(&mut Call) {
    let mut seen = 0;
    move |c: &mut Call| {
        let Some(data) = c.body["Data"].as_str() else {
            return;
        };
        if !data.starts_with("86") {
            return;
        }
        seen += 1;
        if seen == 3 {
            let mut b = hex::decode(data).unwrap();
            *b.last_mut().unwrap() ^= 1;
            c.body["Data"] = json!(hex::encode_upper(b));
        }
    }
}

#[test]
fn a_corrupt_segment_is_refused_by_the_card_and_changes_nothing() {
    let (_dir, fleet, server, ms) = setup("download-corrupt", 2, 1);
    let api = api(&server);
    let base = ts48();
    let id = sm_dp();
    for (i, m) in ms.iter().enumerate() {
        let (eid, msisdn) = (eid_of(m), msisdn_of(m));
        let ic = iccid(2, i);
        let mut before = None;
        let mut spoil = corrupt_third_segment();
        let mut dl = Download::new(&id, order(&eid, &base, &ic, 9 + i as u8));
        let err = drive(api, MNO_A, &mut dl, &mut |c| {
            if c.path == "/es3/SendData" && before.is_none() {
                before = Some(eis(api, MNO_A, &eid));
            }
            spoil(c);
        })
        .expect_err("a corrupt segment must not install");
        // The SM-DP got the card's refusal: SCP03t error TLV 9F46, 6982.
        match &err {
            smsr_smdp::Error::Card { data, .. } => {
                assert!(data.contains("9F46026982"), "{err}");
            }
            e => panic!("not the card's error: {e}"),
        }
        // Nothing installed on the card; the EIS as after CreateISDP.
        let after = eis(api, MNO_A, &eid);
        let aid = profile(&after, &ic)["Isd-p-aid"]
            .as_str()
            .unwrap()
            .to_owned();
        let p = card_isdp(&fleet, &msisdn, &aid);
        assert_eq!((&p["Iccid"], &p["Used"]), (&Value::Null, &json!(0)), "{p}");
        let before = before.unwrap();
        assert_eq!(profile(&after, &ic), profile(&before, &ic));
        assert_eq!(profile(&after, &ic)["State"], "Created");
        // ProfileDownloadCompleted now: the card reports nothing loaded,
        // refused, the profile stays Created.
        let (s, v) = call(
            api,
            MNO_A,
            "POST",
            "/es3/ProfileDownloadCompleted",
            &json!({"Eid": eid, "Iccid": ic}),
        );
        assert_ne!(
            v["FunctionExecutionStatus"]["Status"], "Executed-Success",
            "{s} {v}"
        );
        assert_eq!(profile(&eis(api, MNO_A, &eid), &ic)["State"], "Created");
    }
}

#[test]
fn send_data_for_an_isdp_of_another_smdp_is_refused() {
    let (_dir, fleet, server, ms) = setup("download-owner", 1, 1);
    let api = api(&server);
    let (eid, msisdn) = (eid_of(&ms[0]), msisdn_of(&ms[0]));
    let ic = iccid(1, 0);
    let v = ok(
        api,
        MNO_A,
        "/es3/CreateISDP",
        json!({"Eid": eid, "Iccid": ic, "RequiredMemory": 60_000}),
    );
    let aid = profile(&v["Eis"], &ic)["Isd-p-aid"]
        .as_str()
        .unwrap()
        .to_owned();
    let sessions = fleet_report(&smsc(&fleet))["Sessions"].clone();
    let before = eis(api, MNO_A, &eid);
    // MNO-B's SM-DP sends to MNO-A's ISD-P: refused, nothing sent.
    let (s, v) = call(
        api,
        MNO_B,
        "POST",
        "/es3/SendData",
        &json!({"Eid": eid, "sd-aid": aid, "Data": "8402AABB", "MoreToDo": true}),
    );
    assert_ne!(s, 200, "{v}");
    assert_eq!(v["FunctionExecutionStatus"]["Status"], "Failed", "{v}");
    assert!(v.get("EuiccResponseData").is_none(), "{v}");
    assert_eq!(fleet_report(&smsc(&fleet))["Sessions"], sessions);
    assert_eq!(eis(api, MNO_A, &eid), before);
    let p = card_isdp(&fleet, &msisdn, &aid);
    assert_eq!(p["Iccid"], Value::Null, "{p}");
}
