//! `--demo`: a scripted lifecycle, as an EUM, two MNOs and their SM-DPs
//! (each MNO its own SM-DP) would drive it, against the simulated fleet
//! over real loopback SMS and PSK-TLS. The MNOs and SM-DPs use the SGP.02
//! binding: SOAP 1.2 with WS-Addressing over mutual TLS, each with its
//! own client certificate and `ReplyTo` listener (`demo_soap.rs`), after
//! checking the server's WSDL; the EUM (ES1.RegisterEIS is not on SOAP
//! yet) and the fleet counters use the JSON API.
//!
//! 1. EUM: ES1.RegisterEIS for every eUICC.
//! 2. MNO-A's SM-DP (`smsr_smdp`) downloads a real TS.48 package with its
//!    own ICCID into every eUICC: ES3.CreateISDP, ES8 key establishment
//!    and the SCP03t segments through ES3.SendData,
//!    ES3.ProfileDownloadCompleted; each card's ISD-P is checked to hold
//!    its ICCID. MNO-A then enables it and sets the fall-back attribute
//!    (ES4). (Without the shared test data it installs the ProfileHeader
//!    stand-in instead, and says so.)
//! 3. MNO-B's SM-DP: CreateISDP, SendData, ProfileDownloadCompleted, then
//!    MNO-B's ES4.EnableProfile on the whole fleet (with progress).
//! 4. MNO-B: DisableProfile on a quarter of the fleet (the eUICC falls back
//!    to MNO-A's profile), UpdatePolicyRules, MNO-A's AuditEIS of the
//!    fleet, DeleteProfile on the disabled ones.
//! 5. Visibility check (MNO-B sees MNO-A's profile without its private
//!    fields), refusals (another MNO's profile, a function of another
//!    role, a certificate of another CA, an unknown API token), and a
//!    fleet summary with the SOAP traffic.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smsr::apdu::gp::{StoreData, StoreDataP1};
use smsr::profile::{Iccid, OidList, ProfileHeader, Services};
use smsr::remote::expanded::{Coding, c_apdu, command_script};
use smsr::tlv::Encode;

use crate::demo_soap::{self, ES3_USED, ES4_USED, Soap, ok};
use crate::fleet::Fleet;
/// The operator API client (shared with the example SM-DP).
pub use smsr_smdp::Client;
use smsr_smdp::soap::{Party, SoapClient};
use smsr_smdp::transport::Es3Soap;
use smsr_smdp::{Call, Download, Identity, Order, Transport, package};

/// The profile package the demo SM-DP loads: a ProfileHeader (the
/// simulated ISD-P's download stand-in reads its ICCID and POL1).
fn package(iccid: &str) -> Result<Vec<u8>, String> {
    let iccid = Iccid::from_digits(iccid).ok_or("bad ICCID")?;
    let h = ProfileHeader {
        major_version: 2,
        minor_version: 3,
        profile_type: Some("smsr-demo"),
        iccid_raw: iccid.to_header(),
        pol: None,
        mandatory_services: Services(0),
        gfste_list: OidList::new_checked(&[], 0).map_err(|e| e.to_string())?,
        connectivity_parameters: None,
        mandatory_aids: None,
        iot_pix: None,
    };
    let mut out = Vec::new();
    h.emit(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// ES3.SendData's data: STORE DATA blocks with the package, one `AA`
/// script.
fn download_script(iccid: &str) -> Result<String, String> {
    let pkg = package(iccid)?;
    let blocks = StoreData::new(StoreDataP1::NONE, &pkg)
        .blocks()
        .map_err(|e| e.to_string())?;
    let items: Vec<_> = blocks.map(c_apdu).collect();
    let script = command_script(items, Coding::Definite)
        .to_vec()
        .map_err(|e| e.to_string())?;
    Ok(hex::encode_upper(script))
}

/// ICCID of `mno` (1 or 2) for fleet member `i` (19 digits + Luhn-free
/// filler; the demo does not need real check digits).
pub fn iccid(mno: u8, i: usize) -> String {
    // 19 digits, the last the Luhn check digit (ITU-T E.118).
    let body = format!("89310{mno}{i:012}");
    let digits: Vec<u8> = body.bytes().map(|c| c - b'0').collect();
    format!("{body}{}", smsr::inventory::field::luhn_digit(&digits))
}

/// Runs `f` over `items` with `width` at a time.
pub async fn parallel<T, F, Fut>(items: Vec<T>, width: usize, f: F) -> Result<(), String>
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    let f = Arc::new(f);
    let queue = Arc::new(std::sync::Mutex::new(items));
    let mut tasks = Vec::new();
    for _ in 0..width {
        let (f, queue) = (f.clone(), queue.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop());
                let Some(item) = next else {
                    return Ok::<(), String>(());
                };
                f(item).await?;
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}

/// Sends one ES3 call and insists on an `Executed-…` answer (200).
async fn executed<T: Transport>(t: &T, path: &'static str, body: Value) -> Result<Value, String> {
    let call = Call { path, body };
    let (s, v) = t.send(&call).await?;
    let st = v
        .pointer("/FunctionExecutionStatus/Status")
        .and_then(Value::as_str)
        .unwrap_or("");
    if s == 200 && st.starts_with("Executed") {
        Ok(v)
    } else {
        Err(format!("{path} {}: HTTP {s} {v}", call.body))
    }
}

/// Loads and enables nothing: an SM-DP creates, downloads and completes
/// the profile `iccid` on `eid` (ES3 over `t`: SOAP in the demo, the JSON
/// API in the bench); returns its ISD-P AID.
pub async fn install<T: Transport>(
    t: &T,
    eid: &str,
    iccid: &str,
    msisdn: &str,
) -> Result<String, String> {
    let v = executed(
        t,
        "/es3/CreateISDP",
        json!({"Eid": eid, "Iccid": iccid, "RequiredMemory": 16384}),
    )
    .await?;
    let aid = v
        .pointer("/Eis/ProfileInfo")
        .and_then(Value::as_array)
        .and_then(|ps| {
            ps.iter()
                .find(|p| p.get("Iccid").and_then(Value::as_str) == Some(iccid))
        })
        .and_then(|p| p.get("Isd-p-aid"))
        .and_then(Value::as_str)
        .ok_or("CreateISDP answer without the ISD-P AID")?
        .to_owned();
    executed(
        t,
        "/es3/SendData",
        json!({"Eid": eid, "sd-aid": aid, "Data": download_script(iccid)?}),
    )
    .await?;
    executed(
        t,
        "/es3/ProfileDownloadCompleted",
        json!({"Eid": eid, "Iccid": iccid, "ProfileType": "smsr-demo",
               "SubscriptionAddress": {"Msisdn": msisdn}}),
    )
    .await?;
    Ok(aid)
}

/// The SM-DP's download of `pkg` (with ICCID `iccid`) into `eid`
/// through ES3, its ProfileDownloadCompleted giving `msisdn` as the
/// subscription address.
async fn download(
    c: &SoapClient,
    smdp: &Identity,
    pkg: &[u8],
    eid: &str,
    iccid: &str,
    msisdn: &str,
) -> Result<(), String> {
    let (ephemeral, host_challenge) = smsr_smdp::randomness()?;
    let order = Order {
        eid: eid.to_owned(),
        package: package::with_iccid(pkg, iccid).map_err(|e| e.to_string())?,
        iccid: iccid.to_owned(),
        required_memory: 16_384,
        key_length: 16,
        segments_per_call: 1,
        ephemeral,
        host_challenge,
        msisdn: Some(msisdn.to_owned()),
    };
    let mut dl = Download::new(smdp, order);
    let transport = Es3Soap {
        client: c,
        mno_id: "MNO-A",
    };
    smsr_smdp::run(&transport, &mut dl)
        .await
        .map_err(|e| format!("{eid}: {e}"))?;
    Ok(())
}

/// How many fleet-wide calls are under way at once (the server's
/// default `--max-parallel`, as its batch functions run them).
const FLEET_WIDTH: usize = 64;

/// Runs `f` on every fleet member (`width` at a time), printing progress
/// twice a second and the rate at the end.
async fn fleet_wide<F, Fut>(
    label: &str,
    work: Vec<(usize, String, String)>,
    width: usize,
    f: F,
) -> Result<(), String>
where
    F: Fn(usize, String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    let total = work.len();
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let (d, l) = (done.clone(), label.to_owned());
    let progress = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let n = d.load(Ordering::Relaxed);
            println!("  {l}: {n}/{total} succeeded");
        }
    });
    let f = Arc::new(f);
    let d = done.clone();
    let r = parallel(work, width, move |(i, eid, _)| {
        let (f, d) = (f.clone(), d.clone());
        async move {
            f(i, eid).await?;
            d.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
    })
    .await;
    progress.abort();
    r?;
    let dt = start.elapsed().as_secs_f64();
    println!(
        "  {label}: {}/{total} succeeded, {total} operations in {dt:.2} s ({:.0}/s, each a trigger SMS and a PSK-TLS session)",
        done.load(Ordering::Relaxed),
        total as f64 / dt.max(1e-9)
    );
    Ok(())
}

/// A count in a JSON answer; a missing one is an error, not a zero.
fn count(v: &Value, pointer: &str) -> Result<u64, String> {
    v.pointer(pointer)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("no count {pointer} in {v}"))
}

/// The client of worker item `i`.
fn client_for(pool: &[Arc<SoapClient>], i: usize) -> Result<Arc<SoapClient>, String> {
    pool.get(i % pool.len().max(1))
        .cloned()
        .ok_or_else(|| "no client".to_owned())
}

/// The demo's parties: each MNO on ES4 and its SM-DP on ES3.
struct Parties {
    mno_a: Arc<Party>,
    smdp_a: Arc<Party>,
    mno_b: Arc<Party>,
    smdp_b: Arc<Party>,
}

impl Parties {
    fn all(&self) -> [&Arc<Party>; 4] {
        [&self.mno_a, &self.smdp_a, &self.mno_b, &self.smdp_b]
    }
}

/// The demo's actors and the fleet's identities.
struct Demo<'s> {
    api: SocketAddr,
    es: SocketAddr,
    soap: &'s Soap,
    n: usize,
    /// The TS.48 package MNO-A's SM-DP downloads (`None`: not there).
    ts48: Option<Arc<Vec<u8>>>,
    smdp: Arc<Identity>,
    eum: Client,
    a: Client,
    parties: Parties,
    width: usize,
    eids: Vec<String>,
    msisdns: Vec<String>,
}

impl<'s> Demo<'s> {
    async fn new(
        api: SocketAddr,
        es: SocketAddr,
        soap: &'s Soap,
        fleet: &Fleet,
    ) -> Result<Self, String> {
        let n = fleet.members.len();
        let path = package::testdata_dir().join(package::TS48);
        let ts48 = if path.exists() {
            Some(Arc::new(package::read(&path).map_err(|e| e.to_string())?))
        } else {
            println!(
                "  no TS.48 package at {}: MNO-A installs the ProfileHeader stand-in",
                path.display()
            );
            None
        };
        let (d, _) = smsr_smdp::randomness()?;
        let smdp = Arc::new(Identity::signed_by_test_ci(&d).map_err(|e| e.to_string())?);
        let parties = Parties {
            mno_a: soap.party(es, "mno-a", "ES4", &ES4_USED).await?,
            smdp_a: soap.party(es, "smdp-a", "ES3", &ES3_USED).await?,
            mno_b: soap.party(es, "mno-b", "ES4", &ES4_USED).await?,
            smdp_b: soap.party(es, "smdp-b", "ES3", &ES3_USED).await?,
        };
        println!(
            "  ES clients (MNO-A, MNO-B on ES4; their SM-DPs on ES3) each fetched the WSDL over mutual TLS with its own certificate: {} operations; the {} ES3 and {} ES4 functions the demo uses are all there with their actions",
            parties.mno_a.contract().len(),
            ES3_USED.len(),
            ES4_USED.len()
        );
        println!(
            "  a function not settled within {} ms is answered at the caller's ReplyTo listener (mutual TLS); the MNOs' listeners also take the SM-SR's Handle*Notification",
            demo_soap::DEMO_WAIT_MS
        );
        Ok(Self {
            api,
            es,
            soap,
            n,
            ts48,
            smdp,
            eum: Client::new(api, "eum-demo-token"),
            a: Client::new(api, "mno-a-token"),
            parties,
            width: 16.min(n.max(1)),
            eids: fleet.members.iter().map(|m| m.eid.to_string()).collect(),
            msisdns: fleet.members.iter().map(|m| m.msisdn.clone()).collect(),
        })
    }

    /// (index, EID, MSISDN) of every member: the parallel steps' work.
    fn work(&self) -> Vec<(usize, String, String)> {
        self.eids
            .iter()
            .zip(&self.msisdns)
            .enumerate()
            .map(|(i, (e, m))| (i, e.clone(), m.clone()))
            .collect()
    }

    /// Step 1: ES1.RegisterEIS for every eUICC.
    async fn register(&self, fleet: &Fleet) -> Result<(), String> {
        println!(
            "[1/6] EUM registers {} eUICCs (ES1.RegisterEIS over the JSON API: over SOAP, ES1 takes EUM-signed EIS only, and the demo has no EUM signer)",
            self.n
        );
        for m in &fleet.members {
            self.eum
                .ok(
                    "/es1/RegisterEIS",
                    json!({"Eis": m.eis, "Secrets": m.secrets}),
                )
                .await?;
        }
        Ok(())
    }

    /// Step 2: MNO-A installs, enables and marks fall-back its profile on
    /// every eUICC.
    async fn mno_a_profiles(&self, t0: Instant, fleet: &Fleet) -> Result<(), String> {
        println!(
            "[2/6] MNO-A's SM-DP downloads a TS.48 package into every eUICC (ES3 over SOAP/mTLS: CreateISDP, ES8 through SendData, ProfileDownloadCompleted); MNO-A (ES4): EnableProfile, SetFallBackAttribute"
        );
        let smdp_pool = demo_soap::pool(&self.parties.smdp_a, self.width);
        let mno_pool = demo_soap::pool(&self.parties.mno_a, self.width);
        let (ts48, smdp) = (self.ts48.clone(), self.smdp.clone());
        parallel(self.work(), self.width, move |(i, eid, msisdn)| {
            let (dp, c) = (client_for(&smdp_pool, i), client_for(&mno_pool, i));
            let (ts48, smdp) = (ts48.clone(), smdp.clone());
            async move {
                let (dp, c) = (dp?, c?);
                let ic = iccid(1, i);
                match ts48 {
                    Some(pkg) => download(&dp, &smdp, &pkg, &eid, &ic, &msisdn).await?,
                    None => {
                        let t = Es3Soap {
                            client: &dp,
                            mno_id: "MNO-A",
                        };
                        install(&t, &eid, &ic, &msisdn).await?;
                    }
                }
                ok(&c, "EnableProfile", json!({"Eid": eid, "Iccid": ic})).await?;
                ok(&c, "SetFallBackAttribute", json!({"Eid": eid, "Iccid": ic})).await?;
                Ok(())
            }
        })
        .await?;
        println!("  done in {:.1} s", t0.elapsed().as_secs_f64());
        if let Some(pkg) = &self.ts48 {
            self.verify_downloads(fleet, pkg.len()).await?;
        }
        Ok(())
    }

    /// Each card's ISD-P holds the ICCID of the package downloaded into
    /// it (the simulated card parsed, validated and installed it).
    async fn verify_downloads(&self, fleet: &Fleet, size: usize) -> Result<(), String> {
        let card = fleet.report().await;
        let mut verified = Vec::new();
        for (i, msisdn) in self.msisdns.iter().enumerate() {
            let ic = iccid(1, i);
            let held = card
                .pointer(&format!("/Cards/{msisdn}/Profiles"))
                .and_then(Value::as_array)
                .is_some_and(|ps| {
                    ps.iter().any(|p| {
                        p.get("Iccid").and_then(Value::as_str) == Some(&ic)
                            && p.get("Used").and_then(Value::as_u64) == Some(size as u64)
                    })
                });
            if !held {
                return Err(format!("card {msisdn} does not hold the profile {ic}"));
            }
            verified.push(ic);
        }
        let shown = |v: &[String]| v.join(", ");
        let (head, tail) = verified.split_at(verified.len().min(3));
        let last = tail.get(tail.len().saturating_sub(3)..).unwrap_or(tail);
        println!(
            "  {} of {} profiles downloaded and installed, each verified by its card (its ISD-P holds the ICCID): {}{}{}; {} bytes each, {} bytes in all",
            verified.len(),
            self.n,
            shown(head),
            if tail.len() > last.len() {
                ", …, "
            } else if last.is_empty() {
                ""
            } else {
                ", "
            },
            shown(last),
            size,
            size * verified.len()
        );
        Ok(())
    }

    /// Step 3: MNO-B's SM-DP installs its profile everywhere, then MNO-B
    /// enables it on the whole fleet.
    async fn mno_b_profiles(&self) -> Result<(), String> {
        println!(
            "[3/6] MNO-B's SM-DP: CreateISDP, SendData, ProfileDownloadCompleted on every eUICC (ES3 over SOAP/mTLS), then MNO-B's EnableProfile on the fleet (ES4)"
        );
        let pool = demo_soap::pool(&self.parties.smdp_b, self.width);
        parallel(self.work(), self.width, move |(i, eid, msisdn)| {
            let c = client_for(&pool, i);
            async move {
                let c = c?;
                let t = Es3Soap {
                    client: &c,
                    mno_id: "MNO-B",
                };
                install(&t, &eid, &iccid(2, i), &msisdn).await?;
                Ok(())
            }
        })
        .await?;
        let wide = FLEET_WIDTH.min(self.n.max(1));
        let pool = demo_soap::pool(&self.parties.mno_b, wide);
        fleet_wide("EnableProfile", self.work(), wide, move |i, eid| {
            let c = client_for(&pool, i);
            async move {
                let c = c?;
                ok(
                    &c,
                    "EnableProfile",
                    json!({"Eid": eid, "Iccid": iccid(2, i)}),
                )
                .await?;
                Ok(())
            }
        })
        .await
    }

    /// Step 4: MNO-B disables a quarter (fall-back to MNO-A), sets POL2 on
    /// another quarter, MNO-A audits the fleet and MNO-B deletes the
    /// disabled ones.
    async fn mno_b_changes(&self) -> Result<(), String> {
        let quarter: Vec<(usize, &String)> = self.eids.iter().enumerate().step_by(4).collect();
        println!(
            "[4/6] MNO-B: DisableProfile on {} eUICCs (fall-back to MNO-A), UpdatePolicyRules; MNO-A: AuditEIS of the fleet; MNO-B: DeleteProfile (ES4 over SOAP/mTLS)",
            quarter.len()
        );
        let b = SoapClient::new(&self.parties.mno_b);
        for &(i, eid) in &quarter {
            ok(
                &b,
                "DisableProfile",
                json!({"Eid": eid, "Iccid": iccid(2, i)}),
            )
            .await?;
        }
        for (i, eid) in self.eids.iter().enumerate().skip(1).step_by(4) {
            ok(
                &b,
                "UpdatePolicyRules",
                json!({"Eid": eid, "Iccid": iccid(2, i),
                       "Pol2": [{"Action": "DELETE", "Qualification": "Not-Allowed"}]}),
            )
            .await?;
        }
        let wide = FLEET_WIDTH.min(self.n.max(1));
        let pool = demo_soap::pool(&self.parties.mno_a, wide);
        fleet_wide("AuditEIS", self.work(), wide, move |i, eid| {
            let c = client_for(&pool, i);
            async move {
                let c = c?;
                ok(&c, "AuditEIS", json!({"Eid": eid})).await?;
                Ok(())
            }
        })
        .await?;
        for &(i, eid) in &quarter {
            ok(
                &b,
                "DeleteProfile",
                json!({"Eid": eid, "Iccid": iccid(2, i)}),
            )
            .await?;
        }
        Ok(())
    }

    /// Step 5: visibility of another MNO's profile, authorisation, the
    /// delete rules and POL2 on the second eUICC, and the refusals of the
    /// ES listener.
    async fn checks(&self) -> Result<(), String> {
        println!("[5/6] checks: visibility, authorisation, POL2, mutual TLS");
        let Some(eid) = self.eids.get(1) else {
            return Ok(());
        };
        let b = SoapClient::new(&self.parties.mno_b);
        let v = ok(&b, "GetEIS", json!({"Eid": eid})).await?;
        let foreign = v
            .pointer("/Eis/ProfileInfo")
            .and_then(Value::as_array)
            .and_then(|ps| {
                ps.iter()
                    .find(|p| p.get("Mno-id").and_then(Value::as_str) == Some("MNO-A"))
            })
            .ok_or("MNO-A's profile missing from MNO-B's view")?;
        if foreign.get("SubscriptionAddress").is_some() || foreign.get("ProfileType").is_some() {
            return Err("MNO-B sees MNO-A's private fields".into());
        }
        println!("  MNO-B's GetEIS shows MNO-A's profile without its private fields");
        let (_, v) = b
            .call("DisableProfile", &json!({"Eid": eid, "Iccid": iccid(1, 1)}))
            .await?;
        refused(&v, "MNO-B disabling MNO-A's profile")?;
        let delete = json!({"Eid": eid, "Iccid": iccid(2, 1)});
        let (_, v) = b.call("DeleteProfile", &delete).await?;
        println!("  deleting the enabled profile: {}", demo_soap::status(&v));
        ok(&b, "DisableProfile", delete.clone()).await?;
        let (_, v) = b.call("DeleteProfile", &delete).await?;
        println!(
            "  deleting it once disabled, under POL2 DELETE Not-Allowed: {}",
            demo_soap::status(&v)
        );
        self.tls_checks(eid).await?;
        let bad = Client::new(self.api, "wrong-token");
        let (s, _) = bad
            .call("POST", "/es4/GetEIS", Some(&json!({"Eid": eid})))
            .await?;
        println!("  a JSON API request with an unknown token: HTTP {s}");
        Ok(())
    }

    /// An MNO's certificate on ES3, and a certificate of another CA.
    async fn tls_checks(&self, eid: &str) -> Result<(), String> {
        let wrong = self
            .soap
            .unchecked(self.es, "mno-a", &self.parties.mno_a, "ES3")?;
        let (s, v) = SoapClient::new(&wrong)
            .call("GetEIS", &json!({"Eid": eid}))
            .await?;
        if v.get("Fault").is_none() {
            return Err(format!("an MNO's ES3 call was not refused: HTTP {s} {v}"));
        }
        println!(
            "  an MNO certificate calling ES3.GetEIS: HTTP {s} {} ({})",
            demo_soap::status(&v),
            demo_soap::status(
                &json!({"FunctionExecutionStatus": v.get("FunctionExecutionStatus")})
            )
        );
        let tls = smsr_smdp::soap::connector(&self.soap.pki.files("rogue"))?;
        match smsr_smdp::soap::fetch_contract(&tls, self.es).await {
            Ok(_) => return Err("a certificate of another CA was accepted".into()),
            Err(e) => println!(
                "  a certificate named mno-a from another CA: refused in the TLS handshake ({})",
                e.lines().next().unwrap_or("")
            ),
        }
        Ok(())
    }

    /// Step 6: the profile states over the fleet, each EIS against its
    /// card, the server's and the cards' counters, and the SOAP traffic.
    async fn summary(&self, fleet: &Fleet) -> Result<(), String> {
        println!("[6/6] fleet summary");
        let card = fleet.report().await;
        let mismatched = self.print_states(&card).await?;
        println!(
            "  {} of {} EIS agree with their card (ISD-P AIDs, states, fall-back)",
            self.n as u64 - mismatched,
            self.n
        );
        if mismatched > 0 {
            return Err(format!("{mismatched} EIS disagree with their card"));
        }
        let (_, stats) = self.a.call("GET", "/stats", None).await?;
        println!(
            "  {} eUICCs, {} operations settled ({} succeeded), {} SCP81 sessions, {} SMS out, {} SMS in, {} notifications",
            count(&stats, "/Euiccs")?,
            count(&stats, "/Engine/Settled")?,
            count(&stats, "/Engine/Succeeded")?,
            count(&stats, "/Engine/Scp81Sessions")?,
            count(&stats, "/Engine/SmsOut")?,
            count(&stats, "/Engine/SmsIn")?,
            count(&stats, "/Engine/Notifications")?,
        );
        println!(
            "  cards: {} packets refused ({} for a reused counter), {} failed sessions",
            count(&card, "/PacketsRefused")?,
            count(&card, "/CounterRefusals")?,
            count(&card, "/SessionFailures")?,
        );
        self.print_soap();
        if let Some((rss, peak)) = memory() {
            println!(
                "  memory: {rss} KiB resident, {peak} KiB peak (server, fleet and ES clients in one process)"
            );
        }
        Ok(())
    }

    /// The SOAP requests per party and the notifications received.
    fn print_soap(&self) {
        let (mut calls, mut replies) = (0, 0);
        for p in self.parties.all() {
            let (c, r) = p.counts();
            calls += c;
            replies += r;
        }
        let notes = self.soap.notifications();
        // `…/ES4-HandleProfileEnabledNotification` → `ES4.Handle…`.
        let shown: Vec<String> = notes
            .iter()
            .map(|(a, n)| {
                let name = a.rsplit('/').next().unwrap_or(a).replacen('-', ".", 1);
                format!("{n} {name}")
            })
            .collect();
        println!(
            "  SOAP 1.2 over mutual TLS: {calls} requests ({replies} answered asynchronously at ReplyTo), {} notifications received{}{}",
            notes.values().sum::<u64>(),
            if shown.is_empty() { "" } else { ": " },
            shown.join(", ")
        );
    }

    /// Prints how many profiles are in each (MNO, state, fall-back) and
    /// returns how many EIS disagree with their card.
    async fn print_states(&self, card: &Value) -> Result<u64, String> {
        let mut states: BTreeMap<String, u64> = BTreeMap::new();
        let mut mismatched = 0u64;
        let a = SoapClient::new(&self.parties.mno_a);
        for (eid, msisdn) in self.eids.iter().zip(&self.msisdns) {
            let v = ok(&a, "GetEIS", json!({"Eid": eid})).await?;
            if !matches_card(&v, card.pointer(&format!("/Cards/{msisdn}/Profiles"))) {
                mismatched += 1;
            }
            for p in v
                .pointer("/Eis/ProfileInfo")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let key = format!(
                    "{} {}{}",
                    p.get("Mno-id").and_then(Value::as_str).unwrap_or("?"),
                    p.get("State").and_then(Value::as_str).unwrap_or("?"),
                    if p.get("FallbackAttribute").and_then(Value::as_bool) == Some(true) {
                        " (fall-back)"
                    } else {
                        ""
                    }
                );
                *states.entry(key).or_default() += 1;
            }
        }
        for (k, v) in &states {
            println!("  {v:>6}  {k}");
        }
        Ok(mismatched)
    }
}

/// Runs the scripted lifecycle.
///
/// # Errors
/// The first step that did not go as scripted.
pub async fn run(
    api: SocketAddr,
    es: SocketAddr,
    soap: &Soap,
    fleet: &Fleet,
) -> Result<(), String> {
    let t0 = Instant::now();
    let demo = Demo::new(api, es, soap, fleet).await?;
    demo.register(fleet).await?;
    demo.mno_a_profiles(t0, fleet).await?;
    demo.mno_b_profiles().await?;
    demo.mno_b_changes().await?;
    demo.checks().await?;
    demo.summary(fleet).await?;
    println!("lifecycle complete in {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}

/// Prints a refusal of `what`; an answer that is not `Failed` is an
/// error.
fn refused(v: &Value, what: &str) -> Result<(), String> {
    let st = v
        .pointer("/FunctionExecutionStatus/Status")
        .and_then(Value::as_str);
    if st != Some("Failed") && v.get("Fault").is_none() {
        return Err(format!("{what} was not refused: {v}"));
    }
    println!("  {what}: {} (refused)", demo_soap::status(v));
    Ok(())
}

/// Resident and peak resident memory of this process (Linux `VmRSS`,
/// `VmHWM`), KiB.
fn memory() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Whether the EIS in a GetEIS answer lists exactly the card's ISD-Ps with
/// the states their life cycle bytes stand for and the same fall-back.
fn matches_card(get_eis: &Value, card: Option<&Value>) -> bool {
    let eis: Vec<(String, String, bool)> = get_eis
        .pointer("/Eis/ProfileInfo")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p.get("Isd-p-aid")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                p.get("State")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                p.get("FallbackAttribute").and_then(Value::as_bool) == Some(true),
            )
        })
        .collect();
    let cards: Vec<(String, String, bool)> = card
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let state = match p.get("LifeCycle").and_then(Value::as_str) {
                Some("3F") => "Enabled",
                Some("1F") => "Disabled",
                _ => "Created",
            };
            (
                p.get("Aid")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                state.to_owned(),
                p.get("Fallback").and_then(Value::as_bool) == Some(true),
            )
        })
        .collect();
    let mut a = eis;
    let mut b = cards;
    a.sort();
    b.sort();
    a == b
}
