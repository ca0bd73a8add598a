//! The server side of the simulator tests, built only from server-side
//! APIs: `isdr` builders, `remote` expanded scripts, `scp80` wrap / verify
//! and SMS segmentation, and the `isdr` parsers for what comes back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs,
    dead_code
)]

use smsr::apdu::StatusWord;
use smsr::crypto::Key;
use smsr::isdr::notification::Notification;
use smsr::remote::expanded::{self, Coding, ResponseScript};
use smsr::scp80::sms::{self, ConcatReference, Progress, Reassembler};
use smsr::scp80::{
    self, Cntr, CommandHeader, Framing, KeyAlgorithm, KeySet, Kic, Kid, PorStatus, Spi, Tar,
};
use smsr::sim::{Euicc, EuiccConfig, Outgoing, OutgoingKind};
use smsr::tlv::Encode;

/// What one exchange brought back.
#[derive(Debug, Default)]
pub struct Exchange {
    /// PoR status, `None` when no PoR came.
    pub status: Option<PorStatus>,
    /// The PoR's secured data.
    pub data: Vec<u8>,
    /// The R-APDUs of the response script (data, SW).
    pub rapdus: Vec<(Vec<u8>, StatusWord)>,
    /// Notifications that arrived, verified and parsed.
    pub notifications: Vec<Notification>,
}

impl Exchange {
    pub fn sw(&self, i: usize) -> StatusWord {
        self.rapdus[i].1
    }

    /// The R-APDU `i` as data ‖ SW.
    pub fn rapdu(&self, i: usize) -> Vec<u8> {
        let (d, sw) = &self.rapdus[i];
        let mut v = d.clone();
        v.extend_from_slice(&sw.to_bytes());
        v
    }
}

/// An SM-SR talking SCP80 to one eUICC with keys it knows from the EIS.
pub struct Server {
    pub keys: KeySet,
    pub spi: Spi,
    pub kic: Kic,
    pub kid: Kid,
    pub tar: Tar,
    pub cntr: u64,
    pub notification_cntr: Cntr,
    pub now_ms: u64,
    reference: u8,
}

impl Server {
    /// Keys of the config's first SCP80 key set (what the EIS gives the
    /// SM-SR), SPI `16 39`, ISD-R TAR.
    pub fn new(cfg: &EuiccConfig) -> Self {
        let ks = &cfg.scp80[0];
        let kic = Key::aes(ks.kic.dangerous_bytes()).unwrap();
        let kid = Key::aes(ks.kid.dangerous_bytes()).unwrap();
        Self {
            keys: KeySet::new().with_kic(&kic).with_kid(&kid),
            spi: Spi([0x16, 0x39]),
            kic: Kic::new(ks.kvn, KeyAlgorithm::AES),
            kid: Kid::new(ks.kvn, KeyAlgorithm::AES.0),
            tar: Tar([0x00, 0x00, 0x01]),
            cntr: 0,
            notification_cntr: Cntr::default(),
            now_ms: 0,
            reference: 0,
        }
    }

    pub fn header(&mut self) -> CommandHeader {
        self.cntr += 1;
        CommandHeader {
            spi: self.spi,
            kic: self.kic,
            kid: self.kid,
            tar: self.tar,
            cntr: Cntr::from_u64(self.cntr).unwrap(),
        }
    }

    /// The TP-UD segments of a secured packet carrying `payload`.
    pub fn segments(&mut self, header: &CommandHeader, payload: &[u8]) -> Vec<Vec<u8>> {
        let mut buf = vec![0u8; payload.len() + 64];
        let n =
            scp80::command::wrap(Framing::SmsPp, header, payload, &self.keys, &mut buf).unwrap();
        self.reference = self.reference.wrapping_add(1);
        sms::segments(&buf[..n], ConcatReference::Ref8(self.reference))
            .unwrap()
            .map(|s| s.to_vec())
            .collect()
    }

    /// An expanded (`AA`) script of `apdus`.
    pub fn script_bytes(apdus: &[&[u8]], coding: Coding) -> Vec<u8> {
        let items: Vec<_> = apdus.iter().map(|a| expanded::c_apdu(*a)).collect();
        expanded::command_script(items, coding).to_vec().unwrap()
    }

    /// Sends `payload` in a fresh packet and collects what comes back.
    pub fn send(&mut self, sim: &mut Euicc, payload: &[u8]) -> Exchange {
        let header = self.header();
        let segs = self.segments(&header, payload);
        self.deliver(sim, &header, &segs)
    }

    /// Runs the C-APDUs as one definite expanded script.
    pub fn run(&mut self, sim: &mut Euicc, apdus: &[&[u8]]) -> Exchange {
        let script = Self::script_bytes(apdus, Coding::Definite);
        self.send(sim, &script)
    }

    /// Feeds `segs` and reads the answers.
    pub fn deliver(
        &mut self,
        sim: &mut Euicc,
        header: &CommandHeader,
        segs: &[Vec<u8>],
    ) -> Exchange {
        for s in segs {
            sim.receive(s, self.now_ms).unwrap();
        }
        let out = sim.take_outgoing(self.now_ms);
        self.read(header, &out)
    }

    /// Verifies the PoR for `header` and the notifications in `out`.
    pub fn read(&mut self, header: &CommandHeader, out: &[Outgoing]) -> Exchange {
        let mut ex = Exchange::default();
        let pors: Vec<&Outgoing> = out.iter().filter(|o| o.kind == OutgoingKind::Por).collect();
        if !pors.is_empty() {
            let mut packet = if pors.len() == 1 {
                let tp = &pors[0].tp_ud;
                tp[sms::por_udh_len(tp)..].to_vec()
            } else {
                let mut r = Reassembler::<16>::new();
                let mut last = Progress::Incomplete { have: 0, total: 0 };
                for p in &pors {
                    last = r.push(&p.tp_ud).unwrap();
                }
                assert_eq!(last, Progress::Complete);
                assert_eq!(r.packet_iei(), Some(sms::IEI_RESPONSE_PACKET));
                let mut buf = vec![0u8; 4096];
                let n = r.assemble(&mut buf).unwrap();
                buf.truncate(n);
                buf
            };
            let por = scp80::response::verify(Framing::SmsPp, header, &self.keys, &mut packet)
                .expect("the simulator's PoR verifies on the server side");
            assert_eq!(por.tar, header.tar);
            assert_eq!(por.cntr, header.cntr);
            ex.status = Some(por.status);
            ex.data = por.data.to_vec();
            if por.status == PorStatus::OK && matches!(por.data.first(), Some(0xAB | 0xAF)) {
                let (script, _) = ResponseScript::parse(por.data).unwrap();
                for r in script.r_apdus() {
                    let r = r.unwrap();
                    ex.rapdus.push((r.data().to_vec(), r.sw()));
                }
            }
        }
        for o in out {
            if let OutgoingKind::Notification(seq) = o.kind {
                let n = self.notification(&o.tp_ud);
                assert_eq!(n.sequence_number, seq);
                ex.notifications.push(n);
            }
        }
        ex
    }

    /// Opens a notification SMS as the SM-SR: SCP80 unwrap with the ISD-R
    /// keys and the last notification counter, then `E1` parsing.
    pub fn notification(&mut self, tp_ud: &[u8]) -> Notification {
        let mut packet = sms::command_packet(tp_ud).to_vec();
        let got = scp80::command::unwrap(
            Framing::SmsPp,
            &mut packet,
            &self.keys,
            self.notification_cntr,
        )
        .expect("notification verifies");
        if let Some(c) = got.new_counter {
            self.notification_cntr = c;
        }
        Notification::parse(got.payload).unwrap()
    }
}

/// A SAIP ProfileHeader stand-in package: `A0 { 80 02, 81 03, 83 ICCID,
/// 84 pol, A5 {}, A6 {} }` (tags of PE_Definitions-3.3.1 ProfileHeader,
/// AUTOMATIC TAGS).
pub fn profile_header(iccid: [u8; 10], pol: Option<u8>) -> Vec<u8> {
    let mut body = vec![0x80, 0x01, 0x02, 0x81, 0x01, 0x03, 0x83, 0x0A];
    body.extend_from_slice(&iccid);
    if let Some(p) = pol {
        body.extend_from_slice(&[0x84, 0x01, p]);
    }
    body.extend_from_slice(&[0xA5, 0x00, 0xA6, 0x00]);
    let mut v = vec![0xA0, body.len() as u8];
    v.extend_from_slice(&body);
    v
}

/// A real TS.48 test profile package, when the test data are there.
pub fn ts48_package() -> Option<Vec<u8>> {
    let dir = std::env::var("SMSR_TESTDATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata")
        });
    std::fs::read(dir.join("profiles/ts48v1A_saip2.1.der")).ok()
}
