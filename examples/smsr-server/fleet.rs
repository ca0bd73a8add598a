//! The simulated fleet: [`smsr::sim`] eUICCs attached to the SMSC, opening
//! real PSK-TLS connections (OpenSSL, tokio) to the SCP81 listener when a
//! trigger tells them to.
//!
//! A simulated eUICC is not `Send` (it may hold applets), so the whole
//! fleet runs on one thread of its own with a single-threaded runtime;
//! SMS cross over through channels.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use openssl::ssl::{Ssl, SslContext, SslMethod, SslVersion};
use serde_json::{Value, json};
use smsr::inventory::Eis;
use smsr::isdr::Eid;
use smsr::scp80::PorStatus;
use smsr::scp81::trigger::ConnectionParams;
use smsr::sim::{AdminProgress, AdminSessionRequest, Euicc, EuiccConfig, OutgoingKind, Reception};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_openssl::SslStream;
use zeroize::Zeroizing;

use crate::keys::des3::Scp80Algorithm;
use crate::ota::MoSms;
use crate::store::Secrets;

/// Seed of the demo fleet's keys and EIDs.
pub const SEED: u64 = 2026;

/// Where the eUICCs' MO SMS go.
pub type MoSink = Arc<dyn Fn(MoSms) + Send + Sync>;

/// One member as the EUM registers it.
pub struct Member {
    /// EID.
    pub eid: Eid,
    /// MSISDN its SMS go to.
    pub msisdn: String,
    /// The EIS for ES1.RegisterEIS.
    pub eis: Eis,
    /// Its keys, as the EUM hands them to the SM-SR.
    pub secrets: Secrets,
}

/// Fleet counters.
#[derive(Default)]
pub struct Stats {
    sms_in: AtomicU64,
    refused: AtomicU64,
    counter_refusals: AtomicU64,
    sessions: AtomicU64,
    session_failures: AtomicU64,
    mo_out: AtomicU64,
}

/// A running fleet.
pub struct Fleet {
    /// The members, in index order.
    pub members: Vec<Member>,
    /// MT SMS inboxes by MSISDN.
    pub inboxes: Vec<(String, mpsc::UnboundedSender<Vec<u8>>)>,
    stats: Arc<Stats>,
    report: mpsc::UnboundedSender<oneshot::Sender<Value>>,
}

/// The MSISDN of member `index`.
pub fn msisdn(index: u64) -> String {
    format!("3161{index:08}")
}

/// The keys of member config `c` as the EUM hands them to the SM-SR.
pub fn secrets_of(c: &EuiccConfig, msisdn: &str) -> Result<Secrets, String> {
    let s80 = c.scp80.first().ok_or("no SCP80 key set")?;
    let psk = c.scp81.first().ok_or("no SCP81 key")?;
    Ok(Secrets {
        scp80_kvn: s80.kvn,
        scp80_kic: s80.kic.dangerous_bytes().to_vec(),
        scp80_kid: s80.kid.dangerous_bytes().to_vec(),
        scp81_psk: psk.dangerous_value().to_vec(),
        scp81_kvn: psk.kvn,
        scp81_key_id: psk.kid,
        msisdn: msisdn.to_owned(),
        scp80_algorithm: crate::keys::des3::Scp80Algorithm::of(s80.kic.algorithm())
            .ok_or("single-DES SCP80 keys")?,
        // The simulated ISD-R has no SCP03 key set.
        scp03: None,
    })
}

/// Fleets up to this size register each card's CERT.ECASD.ECKA: one key
/// derivation and ECDSA signature per card (tens of ms in an unoptimised
/// build), too slow for the 1,000-card fleets of the batch and failover
/// tests, whose cards register without it (an SM-DP cannot establish
/// keys with them; they are not downloaded into).
pub const MAX_CERTIFIED: u64 = 256;

/// Member `i` of the seeded fleet, its ECASD on NIST P-256 for even and
/// brainpoolP256r1 for odd `i` (the two curves SGP.02 allows), so key
/// establishment runs on both.
fn member(i: u64) -> Result<EuiccConfig, String> {
    use smsr::crypto::ecka::Curve;
    let mut c = smsr::sim::fleet::member(SEED, i).map_err(String::from)?;
    c.ecasd_curve = if i % 2 == 1 {
        Curve::BrainpoolP256r1
    } else {
        Curve::NistP256
    };
    Ok(c)
}

/// Member config `c` with its SCP80 KIc / KID made `algorithm` keys of
/// its seeded octets (three-key 3DES: the KIc then the first 8 octets of
/// the KID, and the KID then the first 8 of the KIc).
fn with_scp80(mut c: EuiccConfig, algorithm: Scp80Algorithm) -> Result<EuiccConfig, String> {
    for ks in &mut c.scp80 {
        let (kic, kid) = (ks.kic.dangerous_bytes(), ks.kid.dangerous_bytes());
        let (mut kic, mut kid) = (
            Zeroizing::new([kic, kid].concat()),
            Zeroizing::new([kid, kic].concat()),
        );
        let len = match algorithm {
            Scp80Algorithm::Tdes3Key => 24,
            Scp80Algorithm::Aes | Scp80Algorithm::Tdes2Key => ks.kic.dangerous_bytes().len(),
        };
        kic.truncate(len);
        kid.truncate(len);
        let key = |b: &[u8]| {
            algorithm
                .key(b)
                .map_err(|e| format!("fleet SCP80 key: {e}"))
        };
        (ks.kic, ks.kid) = (key(&kic)?, key(&kid)?);
    }
    Ok(c)
}

/// Key version of the ECASD's ECKA key set in the EIS (SGP.02 Annex
/// H/GP Amd E key version `73` for the ECASD's CERT.ECASD.ECKA:
/// UNCONFIRMED).
pub const ECASD_KVN: u8 = 0x73;

/// Puts the card's CERT.ECASD.ECKA (signed by the test CI the fleet
/// trusts, [`smsr::sim::ecasd::test_ci`]) into the ECASD of `eis`, as the
/// EUM registers it: an SM-DP reads it with ES3.GetEIS for key
/// establishment (scenario #3). The simulated card `config` derives the
/// same ECASD from its EID, on its curve.
///
/// # Errors
/// The certificate cannot be built.
pub fn add_ecasd_certificate(eis: &mut Eis, config: &EuiccConfig) -> Result<(), String> {
    use smsr::inventory::{Certificate, HexBytes, KeySet};
    use smsr::sim::ecasd::{Ecasd, TEST_CI_ID};
    let ecasd = Ecasd::of(config).map_err(|e| format!("ECASD: {e}"))?;
    eis.eum_signed_info.ecasd.key_sets.push(KeySet {
        version: ECASD_KVN,
        key_set_type: None,
        counter: None,
        keys: Vec::new(),
        certificates: vec![Certificate {
            index: 1,
            ca_id: hex::encode_upper(TEST_CI_ID),
            value: HexBytes(ecasd.certificate().to_vec()),
        }],
    });
    Ok(())
}

impl Fleet {
    /// Starts `count` eUICCs (indexes `first..first + count` of the
    /// seeded fleet) on their own thread. `fallback` is where they connect
    /// when a trigger carries no address.
    ///
    /// # Errors
    /// A member cannot be built or the thread not started.
    pub fn start(
        first: u64,
        (count, scp80): (u64, Scp80Algorithm),
        eum_id: &str,
        smsr_id: &str,
        mo: MoSink,
        fallback: SocketAddr,
    ) -> Result<Self, String> {
        let mut configs = Vec::new();
        let mut members = Vec::new();
        let mut inboxes = Vec::new();
        let mut receivers = Vec::new();
        for i in first..first + count {
            let c = with_scp80(member(i)?, scp80)?;
            let m = msisdn(i);
            let mut eis = smsr::sim::fleet::eis(&c, eum_id, smsr_id);
            if count <= MAX_CERTIFIED {
                add_ecasd_certificate(&mut eis, &c)?;
            }
            members.push(Member {
                eid: c.eid,
                msisdn: m.clone(),
                eis,
                secrets: secrets_of(&c, &m)?,
            });
            let (tx, rx) = mpsc::unbounded_channel();
            inboxes.push((m.clone(), tx));
            receivers.push((m, rx));
            configs.push(c);
        }
        let stats = Arc::new(Stats::default());
        let (report, report_rx) = mpsc::unbounded_channel();
        let st = stats.clone();
        std::thread::Builder::new()
            .name("sim-fleet".into())
            .spawn(move || run(configs, receivers, mo, fallback, st, report_rx))
            .map_err(|e| format!("fleet thread: {e}"))?;
        Ok(Self {
            members,
            inboxes,
            stats,
            report,
        })
    }

    /// Counters and, per eUICC, its profiles and SCP80 counters (as the
    /// cards hold them).
    pub async fn report(&self) -> Value {
        let (tx, rx) = oneshot::channel();
        let cards = if self.report.send(tx).is_ok() {
            rx.await.unwrap_or(Value::Null)
        } else {
            Value::Null
        };
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        json!({
            "SmsIn": g(&self.stats.sms_in),
            "PacketsRefused": g(&self.stats.refused),
            "CounterRefusals": g(&self.stats.counter_refusals),
            "Sessions": g(&self.stats.sessions),
            "SessionFailures": g(&self.stats.session_failures),
            "MoOut": g(&self.stats.mo_out),
            "Cards": cards,
        })
    }
}

type Card = Rc<RefCell<Euicc>>;

struct Shared {
    mo: MoSink,
    fallback: SocketAddr,
    stats: Arc<Stats>,
    epoch: Instant,
}

impl Shared {
    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.now().as_millis()).unwrap_or(u64::MAX)
    }

    /// Hands the card's due SMS to the SMSC: (some are held back for later,
    /// a notification went out).
    fn flush(&self, card: &Card, msisdn: &str) -> (bool, bool) {
        let Ok(mut c) = card.try_borrow_mut() else {
            return (true, false);
        };
        let mut notified = false;
        for o in c.take_outgoing(self.now_ms()) {
            self.stats.mo_out.fetch_add(1, Ordering::Relaxed);
            notified |= matches!(o.kind, OutgoingKind::Notification(_));
            (self.mo)(MoSms {
                from: msisdn.to_owned(),
                tp_ud: o.tp_ud,
            });
        }
        (c.held_back() > 0, notified)
    }
}

fn run(
    configs: Vec<EuiccConfig>,
    receivers: Vec<(String, mpsc::UnboundedReceiver<Vec<u8>>)>,
    mo: MoSink,
    fallback: SocketAddr,
    stats: Arc<Stats>,
    mut report: mpsc::UnboundedReceiver<oneshot::Sender<Value>>,
) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        tracing::error!("fleet runtime failed to start");
        return;
    };
    let local = tokio::task::LocalSet::new();
    let shared = Rc::new(Shared {
        mo,
        fallback,
        stats,
        epoch: Instant::now(),
    });
    let mut cards: Vec<(String, Card)> = Vec::new();
    for (i, (config, (msisdn, rx))) in configs.into_iter().zip(receivers).enumerate() {
        let card: Card = Rc::new(RefCell::new(Euicc::new(config, SEED ^ i as u64)));
        cards.push((msisdn.clone(), card.clone()));
        local.spawn_local(handset(card, msisdn, rx, shared.clone()));
    }
    local.block_on(&rt, async move {
        while let Some(reply) = report.recv().await {
            if reply.send(card_report(&cards)).is_err() {
                tracing::debug!("fleet report asked for and abandoned");
            }
        }
    });
}

fn card_report(cards: &[(String, Card)]) -> Value {
    let mut out = serde_json::Map::new();
    for (msisdn, card) in cards {
        let Ok(c) = card.try_borrow() else {
            continue;
        };
        let snap = c.snapshot();
        let profiles: Vec<Value> = snap
            .card
            .profiles
            .iter()
            .map(|p| {
                // What the ISD-P holds: the ICCID and the memory of the
                // package it installed (null before a download).
                let iccid = p
                    .iccid
                    .and_then(|raw| smsr::profile::Iccid::from_header(&raw))
                    .map(|i| i.to_string());
                json!({
                    "Aid": p.aid.to_string(),
                    "LifeCycle": format!("{:02X}", p.life_cycle),
                    "Fallback": p.fallback,
                    "Iccid": iccid,
                    "Used": p.used,
                    "ProfileType": p.profile_type,
                })
            })
            .collect();
        let counters: HashMap<String, u64> = snap
            .counters
            .iter()
            .map(|((tar, kvn), v)| {
                (
                    format!("{:02X}{:02X}{:02X}/{kvn:02X}", tar[0], tar[1], tar[2]),
                    v.to_u64(),
                )
            })
            .collect();
        out.insert(
            msisdn.clone(),
            json!({
                "Profiles": profiles,
                "Counters": counters,
                "PendingNotifications": snap.card.pending.len(),
            }),
        );
    }
    Value::Object(out)
}

/// How often an eUICC sends its unconfirmed notifications again (the
/// ISD-R retries until HandleNotificationConfirmation, SGP.02 §4.1.1.11).
const NOTIFICATION_RETRY: Duration = Duration::from_secs(5);

/// [`NOTIFICATION_RETRY`], or `SMSR_FLEET_NOTIFICATION_RETRY_MS` (tests of
/// retransmitted notifications shorten it).
fn notification_retry() -> Duration {
    let Ok(v) = std::env::var("SMSR_FLEET_NOTIFICATION_RETRY_MS") else {
        return NOTIFICATION_RETRY;
    };
    match v.parse() {
        Ok(ms) => Duration::from_millis(ms),
        Err(e) => {
            tracing::warn!("SMSR_FLEET_NOTIFICATION_RETRY_MS {v:?} ignored: {e}");
            NOTIFICATION_RETRY
        }
    }
}

/// One eUICC's life: SMS in, PoRs and notifications out, HTTPS sessions
/// when triggered, unconfirmed notifications sent again.
async fn handset(
    card: Card,
    msisdn: String,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    shared: Rc<Shared>,
) {
    let wakeup = Rc::new(tokio::sync::Notify::new());
    let retry = notification_retry();
    let mut held = false;
    let mut retry_at: Option<tokio::time::Instant> = None;
    loop {
        let wake = match (held, retry_at) {
            (true, _) => Some(tokio::time::Instant::now() + Duration::from_millis(50)),
            (false, r) => r,
        };
        let far = tokio::time::Instant::now() + Duration::from_secs(3600);
        let tp_ud = tokio::select! {
            t = rx.recv() => match t {
                Some(t) => Some(t),
                None => return,
            },
            () = tokio::time::sleep_until(wake.unwrap_or(far)) => None,
            () = wakeup.notified() => {
                // A notification left during an admin session.
                if retry_at.is_none() {
                    retry_at = Some(tokio::time::Instant::now() + retry);
                }
                None
            }
        };
        if tp_ud.is_none() && retry_at.is_some_and(|r| r <= tokio::time::Instant::now()) {
            let pending = card
                .try_borrow()
                .map(|c| !c.snapshot().card.pending.is_empty())
                .unwrap_or(true);
            retry_at = if pending {
                if let Ok(mut c) = card.try_borrow_mut() {
                    c.retry_notifications(shared.now_ms());
                }
                Some(tokio::time::Instant::now() + retry)
            } else {
                None
            };
        }
        if let Some(tp_ud) = tp_ud {
            receive(&card, &msisdn, &tp_ud, &shared, &wakeup);
        }
        let (h, notified) = shared.flush(&card, &msisdn);
        held = h;
        if notified && retry_at.is_none() {
            retry_at = Some(tokio::time::Instant::now() + retry);
        }
    }
}

/// One SMS to the card: counts refusals, and starts the HTTPS session a
/// trigger asks for (on this thread: the card is not `Send`).
fn receive(
    card: &Card,
    msisdn: &str,
    tp_ud: &[u8],
    shared: &Rc<Shared>,
    wakeup: &Rc<tokio::sync::Notify>,
) {
    shared.stats.sms_in.fetch_add(1, Ordering::Relaxed);
    let got = card
        .try_borrow_mut()
        .map_err(|_| ())
        .and_then(|mut c| c.receive(tp_ud, shared.now_ms()).map_err(|_| ()));
    let Ok(Reception::Processed(p)) = got else {
        return;
    };
    if p.status != PorStatus::OK {
        shared.stats.refused.fetch_add(1, Ordering::Relaxed);
        if p.status == PorStatus::CNTR_LOW {
            shared
                .stats
                .counter_refusals
                .fetch_add(1, Ordering::Relaxed);
        }
    }
    if let Some(req) = p.admin_session {
        let (card, msisdn, shared) = (card.clone(), msisdn.to_owned(), shared.clone());
        let wakeup = wakeup.clone();
        tokio::task::spawn_local(async move {
            if let Err(e) = admin(&card, &msisdn, req, &shared, &wakeup).await {
                shared
                    .stats
                    .session_failures
                    .fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%msisdn, "card admin session: {e}");
            }
        });
    }
}

/// The server address in the trigger's `84` (TS 102 223 §8.59 `3C` TCP
/// client mode port, §8.58 `3E` data destination address), else
/// `fallback`.
fn target(connection: &[u8], fallback: SocketAddr) -> SocketAddr {
    ConnectionParams::parse(connection)
        .ok()
        .and_then(|c| c.server_address())
        .unwrap_or(fallback)
}

/// A PSK-TLS 1.2 connection as a card makes it (also the bench's
/// bare-handshake floor).
pub async fn tls_connect(
    addr: SocketAddr,
    identity: &[u8],
    key: &[u8],
) -> Result<SslStream<TcpStream>, String> {
    let tcp = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr))
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|e| format!("connect {addr}: {e}"))?;
    tcp.set_nodelay(true)
        .map_err(|e| format!("TCP_NODELAY: {e}"))?;
    let mut b = SslContext::builder(SslMethod::tls_client()).map_err(|e| e.to_string())?;
    b.set_min_proto_version(Some(SslVersion::TLS1_2))
        .map_err(|e| e.to_string())?;
    b.set_max_proto_version(Some(SslVersion::TLS1_2))
        .map_err(|e| e.to_string())?;
    // A card offers one suite (SGP.02 §2.4.4: at least one of the two).
    b.set_cipher_list("PSK-AES128-CBC-SHA256")
        .map_err(|e| e.to_string())?;
    let identity = identity.to_vec();
    let key = Zeroizing::new(key.to_vec());
    b.set_psk_client_callback(move |_ssl, _hint, id_out, psk_out| {
        // The identity goes out NUL-terminated.
        let n = identity.len();
        match (id_out.get_mut(..=n), psk_out.get_mut(..key.len())) {
            (Some(id_dst), Some(k_dst)) => {
                if let Some((nul, head)) = id_dst.split_last_mut() {
                    head.copy_from_slice(&identity);
                    *nul = 0;
                }
                k_dst.copy_from_slice(&key);
                Ok(key.len())
            }
            _ => Ok(0),
        }
    });
    let ctx = b.build();
    let ssl = Ssl::new(&ctx).map_err(|e| e.to_string())?;
    let mut s = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
    tokio::time::timeout(Duration::from_secs(10), Pin::new(&mut s).connect())
        .await
        .map_err(|_| "TLS handshake timed out".to_owned())?
        .map_err(|e| format!("TLS handshake: {e}"))?;
    Ok(s)
}

/// The card's PSK for the session `req` asks for (SGP.02 §2.4.4: the key
/// of the ISD-R named by KVN and key identifier).
fn session_psk(card: &Card, req: &AdminSessionRequest) -> Result<Zeroizing<Vec<u8>>, String> {
    let c = card.try_borrow().map_err(|_| "card busy")?;
    let key = c.psk(req.kvn, req.kid).ok_or("unknown PSK key")?;
    Ok(Zeroizing::new(key.dangerous_value().to_vec()))
}

/// The server's next bytes into `buf` (0: it closed the connection).
async fn read_answer(stream: &mut SslStream<TcpStream>, buf: &mut [u8]) -> Result<usize, String> {
    match tokio::time::timeout(Duration::from_secs(15), stream.read(buf)).await {
        Ok(Ok(n)) => Ok(n),
        Ok(Err(e)) => Err(format!("read: {e}")),
        Err(_) => Err("server silent".into()),
    }
}

/// Runs the HTTPS administration session a trigger asked for.
async fn admin(
    card: &Card,
    msisdn: &str,
    req: AdminSessionRequest,
    shared: &Shared,
    wakeup: &tokio::sync::Notify,
) -> Result<(), String> {
    let addr = target(&req.connection, shared.fallback);
    let key = session_psk(card, &req)?;
    let identity = req.psk_identity.clone();
    let mut session = card
        .try_borrow_mut()
        .map_err(|_| "card busy")?
        .open_admin_session(req)
        .map_err(|e| e.to_string())?;
    let mut stream = tls_connect(addr, &identity, &key).await?;
    let mut buf = vec![0u8; 16 * 1024];
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut reconnects = 0;
    loop {
        if Instant::now() > deadline {
            return Err("session ran too long".into());
        }
        let out = card
            .try_borrow_mut()
            .map_err(|_| "card busy")?
            .admin_transmit(&mut session, shared.now())
            .map_err(|e| e.to_string())?;
        if let Some(bytes) = out {
            stream
                .write_all(&bytes)
                .await
                .map_err(|e| format!("write: {e}"))?;
            continue;
        }
        let n = read_answer(&mut stream, &mut buf).await?;
        if n == 0 {
            if let Ok(mut c) = card.try_borrow_mut() {
                c.admin_connection_lost(&mut session);
            }
            return Err("server closed the connection".into());
        }
        let progress = card
            .try_borrow_mut()
            .map_err(|_| "card busy")?
            .admin_receive(
                &mut session,
                buf.get(..n).ok_or("read past the buffer")?,
                shared.now(),
            )
            .map_err(|e| e.to_string())?;
        if shared.flush(card, msisdn).1 {
            wakeup.notify_one();
        }
        match progress {
            AdminProgress::Continue => {}
            AdminProgress::Ended(_) => {
                shared.stats.sessions.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = stream.shutdown().await {
                    // The session is complete; the server may close first.
                    tracing::debug!(%msisdn, "TLS shutdown after the session: {e}");
                }
                return Ok(());
            }
            AdminProgress::ConnectionLost => {
                reconnects += 1;
                if reconnects > 3 {
                    return Err("connection lost too often".into());
                }
                stream = tls_connect(addr, &identity, &key).await?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_connection_parameters() {
        let fb: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let c = [0x3C, 0x03, 0x02, 0x20, 0xFB, 0x3E, 0x05, 0x21, 127, 0, 0, 1];
        assert_eq!(target(&c, fb), "127.0.0.1:8443".parse().unwrap());
        // Comprehension-required tags (b8 set) read the same.
        let c = [0xBC, 0x03, 0x02, 0x00, 0x50, 0xBE, 0x05, 0x21, 10, 1, 2, 3];
        assert_eq!(target(&c, fb), "10.1.2.3:80".parse().unwrap());
        assert_eq!(target(&[0x3C, 0x09], fb), fb, "truncated");
        assert_eq!(target(&[], fb), fb);
    }
}
