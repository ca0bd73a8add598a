//! ES8.UpdateConnectivityParameters on the ISD-P side (SGP.02 §4.1.3.4,
//! §5.5.3): a STORE DATA `84 E2 88 00` with DGI `3A07` sent as a C-APDU
//! inside the ISD-P's SCP03 session (opened with the SCP03t `84`/`85`
//! TLVs, whty's SM-DP does the same at level `33`). The card checks the
//! C-MAC, deciphers the data, stores the parameters in the ISD-P and
//! answers with the R-MAC (GP Amendment D §6.2.4 to §6.2.7).
//!
//! Refusals change nothing: no open session or a bad C-MAC is `6982`
//! (the session is then closed, GP CS §11.1.5 / Amd D §5.6 ends a session
//! on a security error), a command other than STORE DATA `3A07` is `6A88`
//! / `6D00`, malformed data `6A80`. Error status words carry no R-MAC.

use alloc::vec::Vec;

use super::card::{Card, Rapdu};
use crate::apdu::gp::DgiReader;
use crate::apdu::{CommandView, StatusWord};
use crate::isdr::Aid;
use crate::isdr::dgi::Dgi;

/// The class byte bit of GP secure messaging.
const CLA_SM: u8 = 0x04;

/// Whether `view` is a C-APDU in the SCP03 APDU form.
pub(super) fn is_secured(view: &CommandView<'_>) -> bool {
    view.cla() & 0xF0 == 0x80 && view.cla() & CLA_SM != 0
}

impl Card {
    /// A C-APDU in the SCP03 APDU form for the ISD-P `aid`.
    pub(super) fn secured_apdu(&mut self, aid: &Aid, view: &CommandView<'_>) -> Rapdu {
        let refused = Rapdu::sw(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        let Some(session) = self.isdp_loads.session(aid) else {
            return refused;
        };
        let mut plain = alloc::vec![0u8; view.data().len()];
        let Ok(n) = session.unwrap_apdu(view, &mut plain) else {
            self.isdp_loads.close(aid);
            return refused;
        };
        let Some(data) = plain.get(..n) else {
            return Rapdu::sw(StatusWord::EXECUTION_ERROR);
        };
        let answer = self.connectivity_parameters(aid, view, data);
        let Some(session) = self.isdp_loads.session(aid) else {
            return refused;
        };
        let mut out = Vec::new();
        if session
            .wrap_rapdu(&answer.data, answer.sw, &mut out)
            .is_err()
        {
            return Rapdu::sw(StatusWord::EXECUTION_ERROR);
        }
        out.truncate(out.len().saturating_sub(2));
        Rapdu {
            data: out,
            sw: answer.sw,
        }
    }

    /// The deciphered STORE DATA: DGI `3A07` becomes the ISD-P's
    /// connectivity parameters.
    fn connectivity_parameters(&mut self, aid: &Aid, view: &CommandView<'_>, data: &[u8]) -> Rapdu {
        if view.ins() != 0xE2 {
            return Rapdu::sw(StatusWord::INS_NOT_SUPPORTED);
        }
        let mut dgis = DgiReader::new(data);
        let dgi = match (dgis.next(), dgis.next()) {
            (Some(Ok(d)), None) => d,
            _ => return Rapdu::sw(StatusWord::INCORRECT_DATA),
        };
        if dgi.tag != Dgi::CONNECTIVITY_PARAMETERS {
            return Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND);
        }
        if crate::es8::connectivity::ConnectivityParameters::parse(dgi.value).is_err() {
            return Rapdu::sw(StatusWord::INCORRECT_DATA);
        }
        match self.profiles.iter_mut().find(|p| p.aid == *aid) {
            Some(p) => {
                p.connectivity = Some(dgi.value.to_vec());
                Rapdu::sw(StatusWord::SUCCESS)
            }
            None => Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND),
        }
    }
}
