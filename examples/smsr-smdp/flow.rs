//! One eUICC's profile download as the SM-DP runs it through an SM-SR
//! (SGP.02 §3.1.2), sans IO: [`Download::start`] gives the first ES3 call,
//! [`Download::handle`] takes each answer and gives the next call, until
//! the profile is installed and confirmed.
//!
//! 1. ES3.GetEIS: CERT.ECASD.ECKA from the EIS, verified against the CI.
//! 2. ES3.CreateISDP: the ISD-P AID.
//! 3. ES8.EstablishISDPKeySet (scenario #3, GP Amd E) as two ES3.SendData
//!    with `moreToDo`: the SM-DP certificate (DGI `3A01`), the card's
//!    challenge; then the key agreement (`3A02`, the SM-DP's ephemeral
//!    key signed), the card's DR and receipt, which gives the key set.
//! 4. ES8.DownloadAndInstallation: SCP03t `84`, `85`, then the package in
//!    `86` segments, each ES3.SendData with `moreToDo` but the last; the
//!    card's EUICCResponse.
//! 5. ES3.ProfileDownloadCompleted.
//!
//! The eUICC's answers come back in `EuiccResponseData` as the SM-SR
//! relayed them: a response script (`AB`, its R-APDUs or SCP03t answer
//! items, over SCP80) or the SCP03t answer TLVs (over SCP81).

use serde_json::{Value, json};
use smsr::apdu::Response;
use smsr::crypto::ecka::{KeyUsageQualifier, PrivateKey, PublicKey};
use smsr::crypto::{EckaProvider, Scp03Provider, Software};
use smsr::es8::certificate::CertificateRef;
use smsr::es8::crt::{KeyAgreementCrt, ScenarioParameters};
use smsr::es8::download::{self, EuiccResponse, Segment};
use smsr::es8::establish::{self, SmDp};
use smsr::isdr::Aid;
use smsr::remote::ResponseScript;
use smsr::remote::expanded::{Coding, ResponseItem, c_apdu, command_script};
use smsr::scp03t::segment::SGP22_MAX_SEGMENT_LEN;
use smsr::scp03t::{Host, SecurityLevel};
use smsr::sim::ecasd;
use smsr::tlv::{Encode, Tlv};

/// Why a download stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SM-SR refused or failed a function.
    #[error("{function}: HTTP {http}: {answer}")]
    Refused {
        /// The ES3 function.
        function: &'static str,
        /// HTTP status.
        http: u16,
        /// The SM-SR's answer.
        answer: String,
    },
    /// The eUICC refused (its answer, as relayed).
    #[error("{step}: the eUICC refused: {detail} (EuiccResponseData {data})")]
    Card {
        /// Where.
        step: &'static str,
        /// What it said.
        detail: String,
        /// Its answer, hex.
        data: String,
    },
    /// Something the SM-DP could not build or read.
    #[error("{step}: {detail}")]
    Protocol {
        /// Where.
        step: &'static str,
        /// What.
        detail: String,
    },
}

fn protocol(step: &'static str) -> impl Fn(&dyn core::fmt::Display) -> Error {
    move |e| Error::Protocol {
        step,
        detail: e.to_string(),
    }
}

/// The SM-DP: its long-term ECDSA key and its certificate (`7F21`).
pub struct Identity {
    sk: PrivateKey,
    certificate: Vec<u8>,
}

impl Identity {
    /// An SM-DP whose key is `d` (P-256), its certificate signed by the
    /// test CI the simulated fleet trusts ([`ecasd::test_ci`]).
    ///
    /// # Errors
    /// `d` is not a valid scalar, or the certificate does not encode.
    pub fn signed_by_test_ci(d: &[u8; 32]) -> Result<Self, Error> {
        let sk = PrivateKey::from_bytes(d).map_err(|e| protocol("SM-DP key")(&e))?;
        let certificate = ecasd::test_sm_dp_certificate(&sk.public_key())
            .and_then(|c| c.to_vec())
            .map_err(|e| protocol("SM-DP certificate")(&e))?;
        Ok(Self { sk, certificate })
    }
}

/// What to download where, and the randomness of this run (the caller's:
/// a CSPRNG in production).
pub struct Order {
    /// The eUICC (32 digits).
    pub eid: String,
    /// The package (SAIP DER), with this eUICC's ICCID.
    pub package: Vec<u8>,
    /// Its ICCID (digits).
    pub iccid: String,
    /// ISD-P quota asked for (CreateISDP `RequiredMemory`).
    pub required_memory: u32,
    /// SCP03 key length (16, 24 or 32).
    pub key_length: u8,
    /// `86` segments per SendData (at least 1).
    pub segments_per_call: usize,
    /// The ephemeral key (SK.DP.ECKA-EG) scalar.
    pub ephemeral: [u8; 32],
    /// The SCP03t host challenge.
    pub host_challenge: [u8; 8],
    /// The profile's MSISDN for ProfileDownloadCompleted's
    /// `SubscriptionAddress`, if the MNO gave one.
    pub msisdn: Option<String>,
}

/// One ES3 call: the API path and its JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// `/es3/...` (GetEIS is served under `/es4/`).
    pub path: &'static str,
    /// The body.
    pub body: Value,
}

/// What a finished download did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The eUICC.
    pub eid: String,
    /// The ICCID installed.
    pub iccid: String,
    /// The ISD-P.
    pub isd_p_aid: Aid,
    /// Package size (octets).
    pub bytes: usize,
    /// `86` segments sent.
    pub segments: usize,
    /// ES3.SendData calls made.
    pub send_data: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    GetEis,
    CreateIsdp,
    Certificate,
    KeyAgreement,
    InitializeUpdate,
    ExternalAuthenticate,
    Segments,
    Completed,
    Done,
}

/// Where a download's keys live: a crypto provider for both the scenario
/// #3 EC keys ([`EckaProvider`]) and the SCP03t keys ([`Scp03Provider`]);
/// [`Software`] (in memory) by default, an HSM's provider by reference.
pub trait KeyProvider: EckaProvider + Scp03Provider + Clone {}

impl<P: EckaProvider + Scp03Provider + Clone> KeyProvider for P {}

/// One eUICC's download (see the module documentation), its keys held by
/// `P`: the ephemeral ESK.DP.ECKA and SK.DP.ECDSA as EC key handles, the
/// established ISD-P key set as SCP03 handles (the SCP03t session keys
/// are derived inside `P`).
pub struct Download<'a, P: KeyProvider = Software> {
    id: &'a Identity,
    order: Order,
    provider: P,
    step: Step,
    aid: Option<Aid>,
    dp: Option<SmDp<P>>,
    cert_blocks: u8,
    host: Option<Host<P>>,
    segments: Vec<Segment<P>>,
    next: usize,
    batch: usize,
    send_data: usize,
}

/// The SCP03 key version of the key set established (the CRT's KVN).
const KVN: u8 = 0x30;

impl<'a> Download<'a> {
    /// A download of `order` by `id`, its keys in memory.
    pub fn new(id: &'a Identity, order: Order) -> Self {
        Self::with_provider(id, order, Software)
    }
}

impl<'a, P: KeyProvider> Download<'a, P> {
    /// A download of `order` by `id`, its keys held by `provider`.
    pub fn with_provider(id: &'a Identity, order: Order, provider: P) -> Self {
        Self {
            id,
            order,
            provider,
            step: Step::GetEis,
            aid: None,
            dp: None,
            cert_blocks: 0,
            host: None,
            segments: Vec::new(),
            next: 0,
            batch: 0,
            send_data: 0,
        }
    }

    /// The first call: ES3.GetEIS.
    pub fn start(&mut self) -> Call {
        self.step = Step::GetEis;
        Call {
            path: "/es4/GetEIS",
            body: json!({ "Eid": self.order.eid }),
        }
    }

    /// The report, once done.
    pub fn report(&self) -> Option<Report> {
        (self.step == Step::Done).then(|| Report {
            eid: self.order.eid.clone(),
            iccid: self.order.iccid.clone(),
            isd_p_aid: self.aid.unwrap_or(Aid::ISD_R),
            bytes: self.order.package.len(),
            segments: self.segments.len(),
            send_data: self.send_data,
        })
    }

    /// Takes the answer (`http` status, JSON body) to the last call;
    /// returns the next one, `None` when the download is done.
    ///
    /// # Errors
    /// The SM-SR or the eUICC refused, or an answer does not read; the
    /// download stops.
    pub fn handle(&mut self, http: u16, answer: &Value) -> Result<Option<Call>, Error> {
        let relayed = relayed(answer)?;
        let status = answer
            .pointer("/FunctionExecutionStatus/Status")
            .and_then(Value::as_str)
            .unwrap_or("");
        if http != 200 || !status.starts_with("Executed") {
            return Err(self.refusal(http, answer, relayed.as_deref()));
        }
        let next = match self.step {
            Step::GetEis => self.on_eis(answer)?,
            Step::CreateIsdp => self.on_created(answer)?,
            Step::Certificate => self.on_certificate(&need(relayed, "certificate")?)?,
            Step::KeyAgreement => self.on_key_agreement(&need(relayed, "key agreement")?)?,
            Step::InitializeUpdate => self.on_initialize_update(&need(relayed, "84")?)?,
            Step::ExternalAuthenticate => self.on_external_authenticate(&need(relayed, "85")?)?,
            Step::Segments => self.on_segments(&need(relayed, "86")?)?,
            Step::Completed | Step::Done => {
                self.step = Step::Done;
                return Ok(None);
            }
        };
        Ok(Some(next))
    }

    fn function(&self) -> &'static str {
        match self.step {
            Step::GetEis => "GetEIS",
            Step::CreateIsdp => "CreateISDP",
            Step::Completed | Step::Done => "ProfileDownloadCompleted",
            _ => "SendData",
        }
    }

    /// A refused call: the eUICC's refusal when it answered, else the
    /// SM-SR's.
    fn refusal(&self, http: u16, answer: &Value, relayed: Option<&[u8]>) -> Error {
        let message = answer
            .pointer("/FunctionExecutionStatus/StatusCodeData/Message")
            .and_then(Value::as_str);
        match (relayed, message) {
            (Some(data), Some(m)) => Error::Card {
                step: self.function(),
                detail: m.to_owned(),
                data: hex::encode_upper(data),
            },
            _ => Error::Refused {
                function: self.function(),
                http,
                answer: answer.to_string(),
            },
        }
    }

    fn on_eis(&mut self, answer: &Value) -> Result<Call, Error> {
        let pk = ecasd_key(answer)?;
        let crt = KeyAgreementCrt {
            parameters: ScenarioParameters(
                ScenarioParameters::INCLUDE_DR.0 | ScenarioParameters::CERTIFICATE_FIRST.0,
            ),
            key_usage: KeyUsageQualifier::SCP03_KEY_SET,
            key_access: None,
            key_type: 0x88,
            key_length: self.order.key_length,
            key_id: 1,
            key_version: KVN,
            initial_counter: Some(heapless::Vec::new()),
            sdin: None,
            host_id: None,
        };
        // The ephemeral key on the curve of PK.ECASD.ECKA (ECKA-EG needs
        // both keys on one curve: NIST P-256 or brainpoolP256r1).
        // Drawn inside the provider when it can (an HSM), else the order's
        // scalar brought in.
        let drawn = self
            .provider
            .generate_private(pk.curve())
            .map_err(|e| protocol("ephemeral key")(&e))?;
        let esk = match drawn {
            Some(k) => k,
            None => {
                let esk = PrivateKey::from_bytes_on(pk.curve(), &self.order.ephemeral)
                    .map_err(|e| protocol("ephemeral key")(&e))?;
                self.provider
                    .import_private(&esk)
                    .map_err(|e| protocol("ephemeral key")(&e))?
            }
        };
        let dp = SmDp::with_provider(self.provider.clone(), crt, esk, pk, None);
        self.dp = Some(dp.map_err(|e| protocol("CRT")(&e))?);
        self.step = Step::CreateIsdp;
        Ok(Call {
            path: "/es3/CreateISDP",
            body: json!({
                "Eid": self.order.eid,
                "Iccid": self.order.iccid,
                "RequiredMemory": self.order.required_memory,
            }),
        })
    }

    fn on_created(&mut self, answer: &Value) -> Result<Call, Error> {
        let aid = answer
            .pointer("/Eis/ProfileInfo")
            .and_then(Value::as_array)
            .and_then(|ps| {
                ps.iter()
                    .find(|p| p.get("Iccid").and_then(Value::as_str) == Some(&self.order.iccid))
            })
            .and_then(|p| p.get("Isd-p-aid"))
            .and_then(Value::as_str)
            .ok_or_else(|| protocol("CreateISDP")(&"answer without the ISD-P AID"))?;
        let aid: Aid = aid.parse().map_err(|e| protocol("ISD-P AID")(&e))?;
        self.aid = Some(aid);
        let dp = self
            .dp
            .as_ref()
            .ok_or_else(|| protocol("CreateISDP")(&"no CRT"))?;
        let cmds = dp
            .certificate_commands(aid.as_bytes(), &self.id.certificate)
            .map_err(|e| protocol("certificate")(&e))?;
        // Targeted at the ISD-P, the STORE DATA need no INSTALL [for
        // personalization] (the first command) through the ISD-R.
        let Some((_install, blocks)) = cmds.split_first() else {
            return Err(protocol("certificate")(&"no commands"));
        };
        self.cert_blocks = u8::try_from(blocks.len()).map_err(|e| protocol("certificate")(&e))?;
        self.step = Step::Certificate;
        self.send_data(&script(blocks)?, true)
    }

    fn on_certificate(&mut self, data: &[u8]) -> Result<Call, Error> {
        let step = "certificate";
        let (body, sw) = last_rapdu(step, data)?;
        let challenge = establish::parse_certificate_response(&Response::new(&body, sw))
            .map_err(|e| card(step, &e, data))?;
        let dp = self.dp.as_ref().ok_or_else(|| protocol(step)(&"no CRT"))?;
        let sk = self
            .provider
            .import_private(&self.id.sk)
            .map_err(|e| protocol("SM-DP key")(&e))?;
        let cmds = dp
            .key_agreement_commands(&sk, challenge.as_deref(), self.cert_blocks)
            .map_err(|e| protocol(step)(&e))?;
        self.step = Step::KeyAgreement;
        self.send_data(&script(&cmds)?, true)
    }

    fn on_key_agreement(&mut self, data: &[u8]) -> Result<Call, Error> {
        let step = "key agreement";
        let (body, sw) = last_rapdu(step, data)?;
        let dp = self.dp.take().ok_or_else(|| protocol(step)(&"no CRT"))?;
        // The KDF output enters the provider at once (the raw keys are
        // zeroized as they drop); SCP03t then runs on its handles.
        let keys = dp
            .finish(&Response::new(&body, sw))
            .map_err(|e| card(step, &e, data))?
            .into_provider(&self.provider)
            .map_err(|e| protocol(step)(&e))?;
        let statics = keys
            .static_keys(self.provider.clone())
            .map_err(|e| protocol(step)(&e))?;
        let challenge = self.order.host_challenge;
        let host = Host::new(statics, keys.kvn, 0, challenge, SecurityLevel::ALL)
            .map_err(|e| protocol(step)(&e))?;
        let mut c = Vec::new();
        host.initialize_update(&mut c)
            .map_err(|e| protocol("84")(&e))?;
        self.host = Some(host);
        self.step = Step::InitializeUpdate;
        self.send_data(&c, true)
    }

    fn on_initialize_update(&mut self, data: &[u8]) -> Result<Call, Error> {
        let answer = scp03t_answers("84", data)?;
        let host = self
            .host
            .as_mut()
            .ok_or_else(|| protocol("84")(&"no host"))?;
        host.handle_initialize_update_response(&answer)
            .map_err(|e| card("84", &e, data))?;
        let mut c = Vec::new();
        host.external_authenticate(&mut c)
            .map_err(|e| protocol("85")(&e))?;
        self.step = Step::ExternalAuthenticate;
        self.send_data(&c, true)
    }

    fn on_external_authenticate(&mut self, data: &[u8]) -> Result<Call, Error> {
        let answer = scp03t_answers("85", data)?;
        let host = self
            .host
            .as_mut()
            .ok_or_else(|| protocol("85")(&"no host"))?;
        host.handle_external_authenticate_response(&answer)
            .map_err(|e| card("85", &e, data))?;
        let session = host.session().map_err(|e| protocol("85")(&e))?;
        self.segments = download::segments(session, &self.order.package, SGP22_MAX_SEGMENT_LEN)
            .map_err(|e| protocol("86")(&e))?;
        self.step = Step::Segments;
        self.next_segments()
    }

    /// The next batch of segments as one SendData.
    fn next_segments(&mut self) -> Result<Call, Error> {
        let per = self.order.segments_per_call.max(1);
        let batch: Vec<&Segment<P>> = self.segments.iter().skip(self.next).take(per).collect();
        let data: Vec<u8> = batch.iter().flat_map(|s| s.tlv().iter().copied()).collect();
        let more = batch.last().is_some_and(|s| s.more_to_follow());
        self.batch = batch.len();
        self.send_data(&data, more)
    }

    fn on_segments(&mut self, data: &[u8]) -> Result<Call, Error> {
        let answers = scp03t_answers("86", data)?;
        let mut rest = &answers[..];
        let mut last = None;
        let end = self.next + self.batch;
        for seg in self.segments.iter().skip(self.next).take(self.batch) {
            let (tlv, after) = match Tlv::parse(rest) {
                Ok((t, after)) => (t.raw(), after),
                // The card's error TLV is not BER: `check_answer` reads it.
                Err(_) => (rest, &[][..]),
            };
            let plain = seg.check_answer(tlv).map_err(|e| card("86", &e, data))?;
            if !seg.more_to_follow() {
                last = Some(plain);
            }
            rest = after;
        }
        self.next = end;
        let Some(plain) = last else {
            return self.next_segments();
        };
        let response = EuiccResponse::parse(&plain).map_err(|e| card("86", &e, data))?;
        if !response.is_ok() {
            return Err(card("86", &format_args!("{response:?}"), data));
        }
        self.step = Step::Completed;
        let mut body = json!({
            "Eid": self.order.eid,
            "Iccid": self.order.iccid,
            "ProfileType": profile_type(&self.order.package),
        });
        if let (Some(m), Some(o)) = (&self.order.msisdn, body.as_object_mut()) {
            o.insert("SubscriptionAddress".into(), json!({ "Msisdn": m }));
        }
        Ok(Call {
            path: "/es3/ProfileDownloadCompleted",
            body,
        })
    }

    fn send_data(&mut self, data: &[u8], more_to_do: bool) -> Result<Call, Error> {
        let aid = self.aid.ok_or_else(|| protocol("SendData")(&"no ISD-P"))?;
        self.send_data += 1;
        Ok(Call {
            path: "/es3/SendData",
            body: json!({
                "Eid": self.order.eid,
                "sd-aid": aid.to_string(),
                "Data": hex::encode_upper(data),
                "MoreToDo": more_to_do,
            }),
        })
    }
}

fn card(step: &'static str, e: &dyn core::fmt::Display, data: &[u8]) -> Error {
    Error::Card {
        step,
        detail: e.to_string(),
        data: hex::encode_upper(data),
    }
}

/// `EuiccResponseData`, decoded, when the answer has it.
fn relayed(answer: &Value) -> Result<Option<Vec<u8>>, Error> {
    answer
        .get("EuiccResponseData")
        .and_then(Value::as_str)
        .map(|h| hex::decode(h).map_err(|e| protocol("EuiccResponseData")(&e)))
        .transpose()
}

fn need(relayed: Option<Vec<u8>>, step: &'static str) -> Result<Vec<u8>, Error> {
    relayed.ok_or_else(|| protocol(step)(&"SendData answer without EuiccResponseData"))
}

/// The command script (`AA`, definite) of `cmds`.
fn script(cmds: &[Vec<u8>]) -> Result<Vec<u8>, Error> {
    let items: Vec<_> = cmds.iter().map(|c| c_apdu(&c[..])).collect();
    command_script(items, Coding::Definite)
        .to_vec()
        .map_err(|e| protocol("command script")(&e))
}

/// The last R-APDU of a response script (data, SW).
fn last_rapdu(step: &'static str, data: &[u8]) -> Result<(Vec<u8>, smsr::apdu::StatusWord), Error> {
    let (script, _) = ResponseScript::parse(data).map_err(|e| card(step, &e, data))?;
    let mut last = None;
    for r in script.r_apdus() {
        let r = r.map_err(|e| card(step, &e, data))?;
        last = Some((r.data().to_vec(), r.sw()));
    }
    last.ok_or_else(|| card(step, &"no R-APDU", data))
}

/// The SCP03t answer TLVs: as they came (SCP81), or the items of the
/// response script that carried them (SCP80, TS 102 226 §5.2.2).
fn scp03t_answers(step: &'static str, data: &[u8]) -> Result<Vec<u8>, Error> {
    if !matches!(data.first(), Some(0xAB | 0xAF)) {
        return Ok(data.to_vec());
    }
    let (script, _) = ResponseScript::parse(data).map_err(|e| card(step, &e, data))?;
    let mut out = Vec::new();
    for item in script.items() {
        match item.map_err(|e| card(step, &e, data))? {
            ResponseItem::Unknown(t) => out.extend_from_slice(t.raw()),
            ResponseItem::RApdu(r) => {
                return Err(card(step, &format_args!("R-APDU {:?}", r.sw()), data));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// PK.ECASD.ECKA from the EIS's ECASD certificate, verified against the
/// test CI.
fn ecasd_key(answer: &Value) -> Result<PublicKey, Error> {
    let step = "GetEIS";
    let certs = answer
        .pointer("/Eis/EumSignedInfo/Ecasd/Keyset")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|k| k.get("Certificate").and_then(Value::as_array))
        .flatten()
        .filter_map(|c| c.get("Value").and_then(Value::as_str));
    let Some(hex_cert) = certs.into_iter().next() else {
        return Err(protocol(step)(&"the EIS holds no ECASD certificate"));
    };
    let bytes = hex::decode(hex_cert).map_err(|e| protocol(step)(&e))?;
    let cert = CertificateRef::parse(&bytes).map_err(|e| protocol(step)(&e))?;
    cert.verify(&ecasd::test_ci().public_key())
        .map_err(|e| protocol("CERT.ECASD.ECKA")(&e))?;
    cert.public_key.to_key().map_err(|e| protocol(step)(&e))
}

/// The ProfileHeader's profile type, if any.
fn profile_type(pkg: &[u8]) -> Option<String> {
    smsr::profile::Package::new(pkg)
        .header()
        .ok()
        .and_then(|h| h.profile_type.map(String::from))
}
