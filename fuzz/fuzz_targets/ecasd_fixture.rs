//! The simulated-card set-up the ECASD fuzz targets share (`es8_ecasd`
//! for an ISD-P, `sim_handover` for the ISD-R): the ECASD of seed "fuzz",
//! the STORE DATA of a valid off-card certificate (SM-DP `C8 01 01` or
//! SM-SR `C8 01 02`, signed by the test CI), and the input layout both
//! read: one flag octet (bit 0: present the certificate first), then
//! length-prefixed C-APDUs.

use smsr::apdu::gp::{Dgi, DgiRepr};
use smsr::apdu::{CommandView, StatusWord};
use smsr::crypto::ecka::{PrivateKey, PublicKey};
use smsr::es8::Error;
use smsr::es8::certificate::Certificate;
use smsr::isdr::Aid;
use smsr::sim::ecasd::Ecasd;
use smsr::tlv::Encode;

/// Makes the off-card entity's certificate for its public key
/// (`smsr::sim::ecasd::test_sm_dp_certificate` or `test_sm_sr_certificate`).
pub type MakeCertificate = fn(&PublicKey) -> Result<Certificate, Error>;

/// A fresh ECASD and the certificate STORE DATA `80 E2 09 00`.
pub struct Fixture {
    ecasd: Ecasd,
    cert_apdu: Vec<u8>,
}

impl Fixture {
    /// The set-up with the certificate `make` gives the off-card key
    /// `[seed; 32]`.
    pub fn new(make: MakeCertificate, seed: u8) -> Self {
        let pk = PrivateKey::from_bytes(&[seed; 32]).unwrap().public_key();
        let cert = make(&pk).unwrap().to_vec().unwrap();
        let data = DgiRepr::new(Dgi::CERTIFICATE, &cert[..]).to_vec().unwrap();
        let mut cert_apdu = vec![0x80, 0xE2, 0x09, 0x00, u8::try_from(data.len()).unwrap()];
        cert_apdu.extend_from_slice(&data);
        cert_apdu.push(0x00);
        Self {
            ecasd: Ecasd::from_seed(b"fuzz").unwrap(),
            cert_apdu,
        }
    }

    /// Runs `data` against a copy of the ECASD for `aid`: the certificate
    /// first when the flag's bit 0 is set (it must be accepted), then
    /// `step` with each length-prefixed C-APDU.
    pub fn drive(&self, aid: Aid, data: &[u8], mut step: impl FnMut(&mut Ecasd, &[u8])) {
        let mut ecasd = self.ecasd.clone();
        let Some((flags, mut rest)) = data.split_first() else {
            return;
        };
        if flags & 1 != 0 {
            let view = CommandView::parse(&self.cert_apdu).unwrap();
            assert_eq!(ecasd.store_data(aid, &view).sw, StatusWord::SUCCESS);
        }
        while let Some((len, tail)) = rest.split_first() {
            let n = usize::from(*len).min(tail.len());
            let (apdu, next) = tail.split_at(n);
            rest = next;
            step(&mut ecasd, apdu);
        }
    }
}

/// The C-APDU as a key establishment STORE DATA, or `None`.
pub fn key_establishment(apdu: &[u8]) -> Option<CommandView<'_>> {
    CommandView::parse(apdu)
        .ok()
        .filter(Ecasd::is_key_establishment)
}
