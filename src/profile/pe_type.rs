//! The `ProfileElement` CHOICE alternatives (PEDefinitions v3.3.1).

use core::fmt;

use crate::tlv::Tag;

use super::names;

/// The type of a ProfileElement: the context tag of its alternative in the
/// `ProfileElement` CHOICE (automatic tagging, so alternative *n* is `[n]`,
/// constructed: `A0` for `header` ... `BF21` for `opt-iot`).
///
/// Open: the CHOICE is extensible (`...`), so a tag without a name here is
/// kept as it is ([`PeType::name`] is `None`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeType(pub Tag);

/// `(tag, ASN.1 alternative name)` in CHOICE order, PEDefinitions v3.3.1.
const TABLE: [(u32, &str); 34] = [
    (0xA0, "header"),
    (0xA1, "genericFileManagement"),
    (0xA2, "pinCodes"),
    (0xA3, "pukCodes"),
    (0xA4, "akaParameter"),
    (0xA5, "cdmaParameter"),
    (0xA6, "securityDomain"),
    (0xA7, "rfm"),
    (0xA8, "application"),
    (0xA9, "nonStandard"),
    (0xAA, "end"),
    (0xAB, "rfu1"),
    (0xAC, "rfu2"),
    (0xAD, "rfu3"),
    (0xAE, "rfu4"),
    (0xAF, "rfu5"),
    (0xB0, "mf"),
    (0xB1, "cd"),
    (0xB2, "telecom"),
    (0xB3, "usim"),
    (0xB4, "opt-usim"),
    (0xB5, "isim"),
    (0xB6, "opt-isim"),
    (0xB7, "phonebook"),
    (0xB8, "gsm-access"),
    (0xB9, "csim"),
    (0xBA, "opt-csim"),
    (0xBB, "eap"),
    (0xBC, "df-5gs"),
    (0xBD, "df-saip"),
    (0xBE, "df-snpn"),
    (0xBF1F, "df-5gprose"),
    (0xBF20, "iot"),
    (0xBF21, "opt-iot"),
];

macro_rules! pe_consts {
    ($($name:ident = $tag:literal, $asn:literal;)+) => {
        impl PeType {
            $(
                #[doc = concat!("`", $asn, "` (`", stringify!($tag), "`).")]
                pub const $name: PeType = PeType(Tag::new($tag));
            )+
        }
    };
}

pe_consts! {
    HEADER = 0xA0, "header";
    GENERIC_FILE_MANAGEMENT = 0xA1, "genericFileManagement";
    PIN_CODES = 0xA2, "pinCodes";
    PUK_CODES = 0xA3, "pukCodes";
    AKA_PARAMETER = 0xA4, "akaParameter";
    CDMA_PARAMETER = 0xA5, "cdmaParameter";
    SECURITY_DOMAIN = 0xA6, "securityDomain";
    RFM = 0xA7, "rfm";
    APPLICATION = 0xA8, "application";
    NON_STANDARD = 0xA9, "nonStandard";
    END = 0xAA, "end";
    RFU1 = 0xAB, "rfu1";
    RFU2 = 0xAC, "rfu2";
    RFU3 = 0xAD, "rfu3";
    RFU4 = 0xAE, "rfu4";
    RFU5 = 0xAF, "rfu5";
    MF = 0xB0, "mf";
    CD = 0xB1, "cd";
    TELECOM = 0xB2, "telecom";
    USIM = 0xB3, "usim";
    OPT_USIM = 0xB4, "opt-usim";
    ISIM = 0xB5, "isim";
    OPT_ISIM = 0xB6, "opt-isim";
    PHONEBOOK = 0xB7, "phonebook";
    GSM_ACCESS = 0xB8, "gsm-access";
    CSIM = 0xB9, "csim";
    OPT_CSIM = 0xBA, "opt-csim";
    EAP = 0xBB, "eap";
    DF_5GS = 0xBC, "df-5gs";
    DF_SAIP = 0xBD, "df-saip";
    DF_SNPN = 0xBE, "df-snpn";
    DF_5GPROSE = 0xBF1F, "df-5gprose";
    IOT = 0xBF20, "iot";
    OPT_IOT = 0xBF21, "opt-iot";
}

impl PeType {
    /// The outer tag.
    pub const fn tag(self) -> Tag {
        self.0
    }

    /// The ASN.1 alternative name (`"header"`, `"opt-usim"`, ...), `None`
    /// for an alternative added after v3.3.1.
    pub fn name(self) -> Option<&'static str> {
        TABLE
            .iter()
            .find(|(t, _)| *t == self.0.raw())
            .map(|(_, n)| *n)
    }

    /// The type named `name` in the CHOICE.
    pub fn from_name(name: &str) -> Option<Self> {
        TABLE
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(t, _)| PeType(Tag::new(*t)))
    }

    /// Every alternative of the v3.3.1 CHOICE, in CHOICE order.
    pub fn all() -> impl Iterator<Item = PeType> {
        TABLE.iter().map(|(t, _)| PeType(Tag::new(*t)))
    }

    /// `true` for the file-system PEs built from a template (`mf` ...
    /// `opt-iot`): `templateID` then one `File` member per template file.
    pub fn is_template(self) -> bool {
        self.template_members().is_some()
    }

    /// The names of a template PE's file members, indexed by context tag
    /// number minus 2 (member 0 is the PE header, member 1 `templateID`).
    pub fn template_members(self) -> Option<&'static [&'static str]> {
        Some(match self {
            Self::MF => names::MF,
            Self::CD => names::CD,
            Self::TELECOM => names::TELECOM,
            Self::USIM => names::USIM,
            Self::OPT_USIM => names::OPT_USIM,
            Self::ISIM => names::ISIM,
            Self::OPT_ISIM => names::OPT_ISIM,
            Self::PHONEBOOK => names::PHONEBOOK,
            Self::GSM_ACCESS => names::GSM_ACCESS,
            Self::CSIM => names::CSIM,
            Self::OPT_CSIM => names::OPT_CSIM,
            Self::EAP => names::EAP,
            Self::DF_5GS => names::DF_5GS,
            Self::DF_SAIP => names::DF_SAIP,
            Self::DF_SNPN => names::DF_SNPN,
            Self::DF_5GPROSE => names::DF_5GPROSE,
            Self::IOT => names::IOT,
            Self::OPT_IOT => names::OPT_IOT,
            _ => return None,
        })
    }
}

impl fmt::Display for PeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "unknown({})", self.0),
        }
    }
}

impl fmt::Debug for PeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeType({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::string::ToString;

    #[test]
    fn choice_numbering_follows_automatic_tags() {
        // Alternative n of the CHOICE is [n] constructed (X.680 §31.2.7).
        for (n, ty) in PeType::all().enumerate() {
            assert_eq!(ty.tag().number() as usize, n, "{ty}");
            assert!(ty.tag().is_constructed());
        }
        assert_eq!(PeType::from_name("usim"), Some(PeType::USIM));
        assert_eq!(PeType::USIM.tag().number(), 19);
        assert_eq!(PeType(Tag::new(0xBF22)).name(), None);
        assert_eq!(PeType(Tag::new(0xBF22)).to_string(), "unknown(BF22)");
    }

    #[test]
    fn template_tables_match_asn1_sizes() {
        // Member counts of PEDefinitions v3.3.1 minus header and templateID.
        assert_eq!(
            PeType::OPT_USIM.template_members().map(<[_]>::len),
            Some(86)
        );
        assert_eq!(PeType::MF.template_members().map(<[_]>::len), Some(6));
        assert_eq!(PeType::TELECOM.template_members().map(<[_]>::len), Some(46));
        assert!(!PeType::RFM.is_template());
    }
}
