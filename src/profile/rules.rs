//! The package-level rules of [`validate`](super::validate): what the
//! elements present and the header's `eUICC-Mandatory-services` require of
//! each other, and where `mf` stands.
//!
//! Sources: the TCA eUICC Profile Package Interoperable Format (PE-MF
//! creates the MF every other file-system PE lives in; the NAA template PEs
//! create the ADF their optional and sub-DF templates live in; the
//! `ServicesList` comments of PEDefinitions v3.3.1 tie the algorithm
//! services to PE-AKAParameter / PE-CDMAParameter), cross-read with pySim's
//! `pySim/esim/saip/validation.py` (`CheckBasicStructure`).

use super::{PeType, ProblemKind, Services};

/// A service of `ServicesList` by its tag number (the bit of
/// [`Services`]); each checked against its ASN.1 name by the
/// `service_constants_match_names` test.
const fn svc(n: u32) -> Services {
    Services(1 << n)
}

pub(super) const USIM: Services = svc(1);
pub(super) const ISIM: Services = svc(2);
pub(super) const CSIM: Services = svc(3);
pub(super) const MILENAGE: Services = svc(4);
pub(super) const TUAK128: Services = svc(5);
const CAVE: Services = svc(6);
const GBA_USIM: Services = svc(7);
const GBA_ISIM: Services = svc(8);
pub(super) const EAP: Services = svc(10);
pub(super) const JAVACARD: Services = svc(11);
pub(super) const MULTOS: Services = svc(12);
pub(super) const MULTIPLE_USIM: Services = svc(13);
const MULTIPLE_ISIM: Services = svc(14);
const MULTIPLE_CSIM: Services = svc(15);
pub(super) const TUAK256: Services = svc(16);
pub(super) const USIM_TEST_ALGORITHM: Services = svc(17);
const GET_IDENTITY: Services = svc(21);
const PROFILE_A_X25519: Services = svc(22);
const PROFILE_B_P256: Services = svc(23);

/// A mandatory service that needs an element of the package.
const SERVICE_ELEMENTS: [(&str, Services, PeType); 4] = [
    ("usim", USIM, PeType::USIM),
    ("isim", ISIM, PeType::ISIM),
    ("csim", CSIM, PeType::CSIM),
    // CAVE authenticates with the A-Key of PE-CDMAParameter.
    ("cave", CAVE, PeType::CDMA_PARAMETER),
];

/// A mandatory service that needs another one (any of `needed`).
const SERVICE_SERVICES: [(&str, Services, &str, Services); 8] = [
    ("gba-usim", GBA_USIM, "usim", USIM),
    ("gba-isim", GBA_ISIM, "isim", ISIM),
    ("multiple-usim", MULTIPLE_USIM, "usim", USIM),
    ("multiple-isim", MULTIPLE_ISIM, "isim", ISIM),
    ("multiple-csim", MULTIPLE_CSIM, "csim", CSIM),
    ("get-identity", GET_IDENTITY, "usim", USIM.with(ISIM)),
    (
        "profile-a-x25519",
        PROFILE_A_X25519,
        "usim",
        USIM.with(ISIM),
    ),
    ("profile-b-p256", PROFILE_B_P256, "usim", USIM.with(ISIM)),
];

/// The algorithm a mandatory authentication service needs in an
/// `akaParameter`: `(service, bit, algorithmID, key length or 0 for any)`.
const SERVICE_ALGORITHMS: [(&str, Services, u32, usize); 4] = [
    ("milenage", MILENAGE, 1, 0),
    ("tuak128", TUAK128, 2, 16),
    ("tuak256", TUAK256, 2, 32),
    ("usim-test-algorithm", USIM_TEST_ALGORITHM, 3, 0),
];

/// The NAA element an element lives under (its template's parent ADF, or
/// the NAA whose parameters it carries), which must come before it.
pub(super) fn base_element(t: PeType) -> Option<PeType> {
    Some(match t {
        PeType::OPT_USIM
        | PeType::PHONEBOOK
        | PeType::GSM_ACCESS
        | PeType::DF_5GS
        | PeType::DF_SAIP
        | PeType::DF_SNPN
        | PeType::DF_5GPROSE => PeType::USIM,
        PeType::OPT_ISIM => PeType::ISIM,
        PeType::OPT_CSIM | PeType::CDMA_PARAMETER => PeType::CSIM,
        PeType::OPT_IOT => PeType::IOT,
        _ => return None,
    })
}

/// The bit of a v3.3.1 element type in [`Presence::types`] (its CHOICE
/// number; unknown types have none).
fn bit(t: PeType) -> Option<u64> {
    t.name().map(|_| 1u64 << (t.tag().number() & 63))
}

/// What the elements seen so far hold, for the package-level rules.
#[derive(Default)]
pub(super) struct Presence {
    /// Element types seen, one bit per CHOICE number.
    types: u64,
    /// The first file-system element before `mf`: type, index, offset.
    pub(super) before_mf: Option<(PeType, usize, usize)>,
    /// `(algorithmID, key length)` of every `akaParameter`, up to 8.
    algorithms: heapless::Vec<(u32, usize), 8>,
    /// An `akaParameter` beyond the eighth (its algorithm not recorded).
    algorithms_overflow: bool,
}

impl Presence {
    /// Whether an element of type `t` was seen.
    pub(super) fn has(&self, t: PeType) -> bool {
        bit(t).is_some_and(|b| self.types & b != 0)
    }

    /// Records an element of type `t` at `(index, offset)`.
    pub(super) fn note(&mut self, t: PeType, index: usize, offset: usize) {
        let file_system = t.is_template() || t == PeType::GENERIC_FILE_MANAGEMENT;
        if file_system && t != PeType::MF && !self.has(PeType::MF) && self.before_mf.is_none() {
            self.before_mf = Some((t, index, offset));
        }
        if let Some(b) = bit(t) {
            self.types |= b;
        }
    }

    /// Records the algorithm of an `akaParameter`.
    pub(super) fn note_algorithm(&mut self, algorithm_id: u32, key_len: usize) {
        if self.algorithms.push((algorithm_id, key_len)).is_err() {
            self.algorithms_overflow = true;
        }
    }

    fn has_algorithm(&self, id: u32, key_len: usize) -> bool {
        self.algorithms_overflow
            || self
                .algorithms
                .iter()
                .any(|&(i, k)| i == id && (key_len == 0 || k == key_len))
    }

    /// The problems of the package as a whole, given the header's
    /// `services` (reported at the header) once every element was seen.
    pub(super) fn check(&self, services: Services, report: &mut dyn FnMut(ProblemKind)) {
        if !self.has(PeType::MF) {
            report(ProblemKind::MissingElement(PeType::MF));
        }
        for (name, s, t) in SERVICE_ELEMENTS {
            if services.contains(s) && !self.has(t) {
                report(ProblemKind::ServiceWithoutElement(name, t));
            }
        }
        for (name, s, needed_name, needed) in SERVICE_SERVICES {
            if services.contains(s) && services.0 & needed.0 == 0 {
                report(ProblemKind::ServiceWithoutService(name, needed_name));
            }
        }
        for (name, s, id, key_len) in SERVICE_ALGORITHMS {
            if services.contains(s) && !self.has_algorithm(id, key_len) {
                report(ProblemKind::ServiceWithoutAlgorithm(name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_constants_match_names() {
        for (name, s, _) in SERVICE_ELEMENTS {
            assert_eq!(Services::from_name(name), Some(s), "{name}");
        }
        for (name, s, needed_name, needed) in SERVICE_SERVICES {
            assert_eq!(Services::from_name(name), Some(s), "{name}");
            let first = Services::from_name(needed_name).map(|n| needed.contains(n));
            assert_eq!(first, Some(true), "{needed_name}");
        }
        for (name, s, _, _) in SERVICE_ALGORITHMS {
            assert_eq!(Services::from_name(name), Some(s), "{name}");
        }
        for (name, s) in [
            ("isim", ISIM),
            ("eap", EAP),
            ("javacard", JAVACARD),
            ("multos", MULTOS),
            ("multiple-usim", MULTIPLE_USIM),
        ] {
            assert_eq!(Services::from_name(name), Some(s), "{name}");
        }
    }

    #[test]
    fn mf_first_and_bases() {
        let mut p = Presence::default();
        p.note(PeType::HEADER, 0, 0);
        p.note(PeType::PUK_CODES, 1, 10);
        assert_eq!(p.before_mf, None);
        p.note(PeType::TELECOM, 2, 20);
        p.note(PeType::GENERIC_FILE_MANAGEMENT, 3, 30);
        p.note(PeType::MF, 4, 40);
        assert_eq!(p.before_mf, Some((PeType::TELECOM, 2, 20)));
        assert!(p.has(PeType::MF) && !p.has(PeType::USIM));
        assert_eq!(base_element(PeType::DF_SAIP), Some(PeType::USIM));
        assert_eq!(base_element(PeType::CDMA_PARAMETER), Some(PeType::CSIM));
        assert_eq!(base_element(PeType::USIM), None);
    }

    #[test]
    fn algorithms_by_id_and_key_length() {
        let mut p = Presence::default();
        p.note(PeType::MF, 0, 0);
        p.note_algorithm(2, 32);
        let mut got = heapless::Vec::<ProblemKind, 8>::new();
        let all = TUAK128.with(TUAK256).with(MILENAGE);
        p.check(all, &mut |k| {
            assert!(got.push(k).is_ok());
        });
        assert_eq!(
            got.as_slice(),
            [
                ProblemKind::ServiceWithoutAlgorithm("milenage"),
                ProblemKind::ServiceWithoutAlgorithm("tuak128"),
            ]
        );
    }
}
