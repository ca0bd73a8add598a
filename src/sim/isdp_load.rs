//! The ISD-P side of ES8.DownloadAndInstallation in the simulated eUICC
//! (SGP.02 §4.1.3.3, §5.5.2): SCP03t with the ISD-P key set
//! ([`Card::set_isdp_key_set`], the one entry point key establishment
//! feeds), every segment MAC-verified and deciphered by
//! [`scp03t::Card`](crate::scp03t::Card), the package reassembled,
//! validated with [`profile::validate`] and installed: the ISD-P then holds
//! the profile's ICCID, POL1, profile type, mandatory services and the
//! memory it uses, which AuditEIS (GET STATUS `8F`/`91`) reports.
//!
//! Refusals install nothing: a channel failure (bad MAC, wrong key,
//! replayed or reordered segment) is the `9F46` error TLV with its status
//! word ([`crate::scp03t::sw`]) and closes the session; a package that
//! exceeds the ISD-P quota (memory reserved at CreateISDP), does not parse
//! or does not validate is answered with the SAIP `EUICCResponse` carrying
//! the PEStatus and `profileInstallationAborted`, and the session is
//! closed. A truncated package never completes: the partial data is
//! dropped when the next session opens.

use alloc::string::String;
use alloc::vec::Vec;

use super::Error;
use super::card::{Card, Rapdu};
use super::profile::{Pol1, life_cycle};
use crate::apdu::{CommandView, StatusWord};
use crate::es8::download::{EuiccResponse, PeStatus, PeStatusCode};
use crate::isdr::Aid;
use crate::profile::{Package, PeType, ProfileHeader, Services, ValidateOptions, validate};
use crate::scp03t::{self, StaticKeys, Step, tag};
use crate::tlv::{self, Tlv};

/// The largest SCP03t TLV the simulated ISD-P takes (the SGP.22 figure; no
/// SGP.02 one was found).
const MAX_SEGMENT: usize = scp03t::segment::SGP22_MAX_SEGMENT_LEN;

/// The SCP03t channel and the package being reassembled, per ISD-P.
#[derive(Debug, Clone, Default)]
pub(crate) struct Loads(Vec<Load>);

#[derive(Debug, Clone)]
struct Load {
    aid: Aid,
    channel: scp03t::Card,
    package: Vec<u8>,
    /// End of the last complete top-level element in `package`.
    parsed: usize,
}

/// Equal when the observable state is: the same ISD-Ps with the same key
/// version, sequence counter, session open or not, and partial package
/// (key schedules are not compared).
impl PartialEq for Loads {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).all(|(a, b)| {
                a.aid == b.aid
                    && a.channel.sequence_counter() == b.channel.sequence_counter()
                    && a.channel.is_open() == b.channel.is_open()
                    && a.package == b.package
            })
    }
}

impl Eq for Loads {}

impl Loads {
    /// The open SCP03 session of the ISD-P `aid`.
    pub(crate) fn session(&mut self, aid: &Aid) -> Option<&mut scp03t::Session> {
        self.0
            .iter_mut()
            .find(|l| l.aid == *aid)
            .and_then(|l| l.channel.session_mut())
    }

    /// Closes the SCP03t session of the ISD-P `aid` (its key set stays).
    pub(crate) fn close(&mut self, aid: &Aid) {
        if let Some(l) = self.0.iter_mut().find(|l| l.aid == *aid) {
            l.channel.close();
        }
    }
}

/// What the package in progress is, after a segment.
enum Progress {
    /// More segments are needed.
    Incomplete,
    /// The `end` element closed the package.
    Complete,
    /// It cannot be a package: this PEStatus.
    Refused(PeStatus),
}

fn refusal(status: PeStatusCode, offset: usize) -> PeStatus {
    PeStatus {
        status,
        identification: None,
        additional_information: None,
        offset: u32::try_from(offset).ok(),
    }
}

impl Load {
    /// Reads the complete top-level elements added by the last segment.
    fn progress(&mut self, quota: u32) -> Progress {
        if u32::try_from(self.package.len()).map_or(true, |n| n > quota) {
            return Progress::Refused(refusal(PeStatusCode::NOT_ENOUGH_MEMORY, self.package.len()));
        }
        loop {
            let Some(rest) = self.package.get(self.parsed..) else {
                return Progress::Refused(refusal(
                    PeStatusCode::INVALID_REQUEST_FORMAT,
                    self.parsed,
                ));
            };
            match Tlv::parse(rest) {
                Ok((t, after)) => {
                    self.parsed += t.raw().len();
                    if t.tag() == PeType::END.tag() {
                        return if after.is_empty() {
                            Progress::Complete
                        } else {
                            Progress::Refused(refusal(
                                PeStatusCode::INVALID_REQUEST_FORMAT,
                                self.parsed,
                            ))
                        };
                    }
                }
                Err(e) if e.kind == tlv::ErrorKind::UnexpectedEnd => return Progress::Incomplete,
                Err(e) => {
                    return Progress::Refused(refusal(
                        PeStatusCode::INVALID_REQUEST_FORMAT,
                        self.parsed + e.offset,
                    ));
                }
            }
        }
    }
}

/// What an installed package gives its ISD-P.
struct Installed {
    iccid: [u8; 10],
    pol1: Pol1,
    profile_type: Option<String>,
    services: Services,
    used: u32,
}

/// Validates the complete package and reads its header.
fn check(package: &[u8]) -> Result<Installed, PeStatus> {
    let pkg = Package::new(package);
    let mut first = None;
    let n = validate(&pkg, ValidateOptions { strict_der: true }, &mut |p| {
        first.get_or_insert(p);
    });
    if let (true, Some(p)) = (n > 0, first) {
        return Err(PeStatus {
            status: PeStatusCode::BAD_VALUES,
            // The PEHeader identification is not known from a Problem
            // (it gives the element's index); the offset locates it.
            identification: None,
            additional_information: None,
            offset: u32::try_from(p.offset).ok(),
        });
    }
    let bad = refusal(PeStatusCode::BAD_VALUES, 0);
    let header = pkg.elements().next().and_then(Result::ok).ok_or(bad)?;
    let h = ProfileHeader::from_element(&header).map_err(|_| bad)?;
    Ok(Installed {
        iccid: h.iccid_raw,
        pol1: h
            .pol
            .and_then(|p| p.first().copied())
            .map_or(Pol1::NONE, Pol1),
        profile_type: h.profile_type.map(String::from),
        services: h.mandatory_services,
        used: u32::try_from(package.len()).map_err(|_| bad)?,
    })
}

impl Card {
    /// Gives the ISD-P `aid` its SCP03 key set `keys` as key version `kvn`,
    /// replacing the one it had (its SCP03t session is closed, its
    /// sequence counter restarts at 0 and a partial package is dropped).
    /// Key establishment (ES8.EstablishISDPKeySet to the ISD-P) comes through here;
    /// tests that skip it inject a key set directly. An ISD-P that holds
    /// no profile yet becomes PERSONALIZED.
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown ISD-P or keys SCP03 cannot use.
    pub fn set_isdp_key_set(&mut self, aid: &Aid, kvn: u8, keys: StaticKeys) -> Result<(), Error> {
        let p = self
            .profiles
            .iter_mut()
            .find(|p| p.aid == *aid)
            .ok_or(Error::Config("no such ISD-P"))?;
        let channel = scp03t::Card::new(keys, kvn, aid.as_bytes(), 0, MAX_SEGMENT)
            .map_err(|_| Error::Config("ISD-P key set"))?;
        if !p.is_loaded() {
            p.life_cycle = life_cycle::PERSONALIZED;
        }
        self.isdp_loads.0.retain(|l| l.aid != *aid);
        self.isdp_loads.0.push(Load {
            aid: *aid,
            channel,
            package: Vec::new(),
            parsed: 0,
        });
        Ok(())
    }

    /// One SCP03t command TLV for the ISD-P `aid`; returns the answer TLV
    /// (the `84`/`85`/`86` response, or the `9F xx` error TLV).
    pub fn handle_scp03t(&mut self, aid: &Aid, command: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match self.scp03t_answer(aid, command, &mut out) {
            Ok(()) => out,
            Err(sw) => {
                let tag = command.first().copied().unwrap_or(tag::SEGMENT);
                scp03t::CardError { tag, sw }.to_bytes().to_vec()
            }
        }
    }

    /// The answer to `command` in `out`, or the status word of the error
    /// TLV that replaces it.
    fn scp03t_answer(&mut self, aid: &Aid, command: &[u8], out: &mut Vec<u8>) -> Result<(), u16> {
        // A loaded ISD-P still opens SCP03 sessions (for
        // UpdateConnectivityParameters) but takes no segment.
        let segment = command.first() == Some(&tag::SEGMENT);
        let quota = match self.profile(aid) {
            Some(p) if !p.is_loaded() => p.quota,
            Some(_) if segment => return Err(scp03t::sw::CONDITIONS_NOT_SATISFIED),
            Some(_) => 0,
            None => return Err(scp03t::sw::REFERENCED_DATA_NOT_FOUND),
        };
        let load = self
            .isdp_loads
            .0
            .iter_mut()
            .find(|l| l.aid == *aid)
            .ok_or(scp03t::sw::REFERENCED_DATA_NOT_FOUND)?;
        if command.first() == Some(&tag::INITIALIZE_UPDATE) {
            load.package.clear();
            load.parsed = 0;
        }
        let mut plain = alloc::vec![0u8; command.len()];
        // A refusal is already written as the error TLV.
        let Ok(Step::Segment(p)) = load.channel.handle(command, &mut plain, out) else {
            return Ok(());
        };
        load.package.extend_from_slice(p);
        let internal = |_| scp03t::sw::INCORRECT_DATA;
        let outcome = match load.progress(quota) {
            Progress::Incomplete => {
                return load.channel.respond(&[], out).map(|_| ()).map_err(internal);
            }
            Progress::Refused(s) => Err(s),
            Progress::Complete => check(&load.package),
        };
        load.package.clear();
        load.parsed = 0;
        let answer = match &outcome {
            Ok(_) => EuiccResponse::ok(),
            Err(s) => EuiccResponse {
                pe_status: alloc::vec![*s],
                aborted: true,
                status_message: None,
            },
        };
        let der = answer.to_vec().map_err(internal)?;
        load.channel.respond(&der, out).map_err(internal)?;
        load.channel.close();
        if let Ok(i) = outcome {
            self.install_profile(aid, i);
        }
        Ok(())
    }

    fn install_profile(&mut self, aid: &Aid, i: Installed) {
        if let Some(p) = self.profiles.iter_mut().find(|p| p.aid == *aid) {
            p.iccid = Some(i.iccid);
            p.pol1 = i.pol1;
            p.profile_type = i.profile_type;
            p.mandatory_services = i.services;
            p.used = i.used;
            p.life_cycle = life_cycle::DISABLED;
        }
    }

    /// A STORE DATA of ES8.EstablishISDPKeySet to the ISD-P `aid` (SGP.02
    /// §4.1.3.1, §5.5.2): the ECASD answers it, and when the key agreement
    /// (DGI `3A02`, P2 = 1) succeeds the key set it derived becomes the
    /// ISD-P's SCP03t key set through [`Card::set_isdp_key_set`], with the
    /// KVN of the CRT (`83`). A second key establishment replaces the key
    /// set whatever its KVN: the ISD-P holds one SCP03 key set (SGP.02
    /// §4.1.3.1 establishes "the" ISD-P key set; GP CS PUT KEY replaces a
    /// key set of the same KVN and adds another KVN, UNCONFIRMED for ES8).
    /// A refusal changes nothing, the ECASD included.
    pub(super) fn key_establishment(&mut self, aid: Aid, view: &CommandView<'_>) -> Rapdu {
        let before = self.ecasd.clone();
        let Some(ecasd) = self.ecasd_state() else {
            return Rapdu::sw(StatusWord::EXECUTION_ERROR);
        };
        let answer = ecasd.store_data(aid, view);
        let agreed = answer.sw == StatusWord::SUCCESS && view.p2() == 1;
        if !agreed {
            return answer;
        }
        let installed = self
            .isdp_key_set(&aid)
            .ok_or(Error::Config("no key set"))
            .and_then(|k| {
                let keys = StaticKeys::new(k.s_enc.clone(), k.s_mac.clone())
                    .map_err(|_| Error::Config("ISD-P key set"))?;
                Ok((k.kvn, keys))
            })
            .and_then(|(kvn, keys)| self.set_isdp_key_set(&aid, kvn, keys));
        match installed {
            Ok(()) => answer,
            Err(_) => {
                self.ecasd = before;
                Rapdu::sw(StatusWord::EXECUTION_ERROR)
            }
        }
    }
}

impl super::Euicc {
    /// [`Card::set_isdp_key_set`] on this eUICC.
    ///
    /// # Errors
    /// As [`Card::set_isdp_key_set`].
    pub fn set_isdp_key_set(&mut self, aid: &Aid, kvn: u8, keys: StaticKeys) -> Result<(), Error> {
        self.card.set_isdp_key_set(aid, kvn, keys)
    }

    /// [`Card::handle_scp03t`] on this eUICC: one SCP03t command TLV the
    /// SM-SR relays to the ISD-P `aid` (ES8 over ES5).
    pub fn handle_scp03t(&mut self, aid: &Aid, command: &[u8]) -> Vec<u8> {
        self.card.handle_scp03t(aid, command)
    }
}
