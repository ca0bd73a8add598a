#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
#![cfg(feature = "soap")]
//! The EUM signature on an EIS (`smsr::soap::eum_signature`) against a
//! signature made by an independent implementation: lxml (libxml2's
//! exclusive C14N) and Python `cryptography` (OpenSSL's ECDSA P-256),
//! `tests/data/eum_signature/make.py` (the module's unit test checks our
//! canonical forms equal libxml2's byte for byte). The signature verifies; every change to the
//! signed content, the signed info or the value is refused with its
//! reason.

use smsr::crypto::ecka::{PrivateKey, PublicKey};
use smsr::soap::Limits;
use smsr::soap::eum_signature::{self, EumSignatureError};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/eum_signature/");

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}{name}")).unwrap()
}

fn key() -> PublicKey {
    PublicKey::from_uncompressed(&hex::decode(read("eum_public_key.hex").trim()).unwrap()).unwrap()
}

fn verify(xml: &str) -> Result<(), EumSignatureError> {
    eum_signature::verify(xml.as_bytes(), &Limits::DEFAULT, &key())
}

#[test]
fn the_independent_signature_verifies() {
    let xml = read("eis_signed.xml");
    assert_eq!(verify(&xml), Ok(()));
    assert_eq!(
        eum_signature::is_signed(xml.as_bytes(), &Limits::DEFAULT),
        Ok(true)
    );
    // Comments and insignificant prefix choices outside the signed content
    // do not matter.
    let moved = xml.replace("<RemainingMemory>", "<!-- x --><RemainingMemory>");
    assert_eq!(verify(&moved), Ok(()));
}

#[test]
fn every_change_is_refused_with_its_reason() {
    let xml = read("eis_signed.xml");
    let other_key = PrivateKey::from_bytes(&[7; 32]).unwrap().public_key();
    assert_eq!(
        eum_signature::verify(xml.as_bytes(), &Limits::DEFAULT, &other_key),
        Err(EumSignatureError::BadSignature)
    );
    let digest = xml
        .split("<ds:DigestValue>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    let value = xml
        .split("<ds:SignatureValue>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    // A zero-value digest of the right length.
    let zero_digest = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let cases: Vec<(&str, String, EumSignatureError)> = vec![
        (
            "signed content changed",
            xml.replace("<Eum-Id>EUM-DEMO<", "<Eum-Id>EUM-EVIL<"),
            EumSignatureError::DigestMismatch,
        ),
        (
            "attribute added to the signed content",
            xml.replace(" b=\"2\"", " b=\"2\" c=\"3\""),
            EumSignatureError::DigestMismatch,
        ),
        (
            "digest replaced",
            xml.replace(digest, zero_digest),
            EumSignatureError::DigestMismatch,
        ),
        (
            "signature value changed",
            xml.replace(value, &value.replacen('p', "q", 1)),
            EumSignatureError::BadSignature,
        ),
        (
            "signature value truncated",
            xml.replace(value, &value[4..]),
            EumSignatureError::Base64("SignatureValue"),
        ),
        (
            "another signature method",
            xml.replace(
                "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
                "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            ),
            EumSignatureError::Unsupported {
                what: "SignatureMethod",
                value: "http://www.w3.org/2000/09/xmldsig#rsa-sha1".into(),
            },
        ),
        (
            "inclusive canonicalization",
            xml.replacen(
                "ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"",
                "ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"",
                1,
            ),
            EumSignatureError::Unsupported {
                what: "CanonicalizationMethod",
                value: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315".into(),
            },
        ),
        (
            "a reference URI",
            xml.replace("<ds:Reference>", "<ds:Reference URI=\"#other\">"),
            EumSignatureError::Unsupported {
                what: "Reference URI",
                value: "#other".into(),
            },
        ),
        (
            "SHA-1 digest",
            xml.replace(
                "http://www.w3.org/2001/04/xmlenc#sha256",
                "http://www.w3.org/2000/09/xmldsig#sha1",
            ),
            EumSignatureError::Unsupported {
                what: "DigestMethod",
                value: "http://www.w3.org/2000/09/xmldsig#sha1".into(),
            },
        ),
        (
            "two references",
            xml.replace("</ds:SignedInfo>", "<ds:Reference/></ds:SignedInfo>"),
            EumSignatureError::Repeated("Reference"),
        ),
        (
            "no signed info",
            xml.replace("EumSignedInfo", "Other"),
            EumSignatureError::Missing("EumSignedInfo"),
        ),
        (
            "no signature",
            xml.replace("EumSignature", "Other"),
            EumSignatureError::Missing("EumSignature"),
        ),
    ];
    for (what, bad, expected) in cases {
        assert_ne!(bad, xml, "{what}: the case changed nothing");
        assert_eq!(verify(&bad), Err(expected), "{what}");
    }
    assert_eq!(
        eum_signature::is_signed(
            xml.replace("EumSignature", "Other").as_bytes(),
            &Limits::DEFAULT
        ),
        Ok(false)
    );
}

#[test]
fn bad_documents_are_errors_not_panics() {
    for bad in [
        "",
        "<Eis>",
        "<!DOCTYPE x [<!ENTITY a \"aa\">]><Eis>&a;</Eis>",
        "<NoEis/>",
        "\u{0}",
    ] {
        assert!(verify(bad).is_err(), "{bad:?}");
    }
    assert!(matches!(
        eum_signature::verify(&[0xff, 0xfe], &Limits::DEFAULT, &key()),
        Err(EumSignatureError::Xml(_))
    ));
    let limits = Limits {
        max_bytes: 10,
        ..Limits::DEFAULT
    };
    assert!(matches!(
        eum_signature::verify(b"<Eis><EumSignedInfo/></Eis>", &limits, &key()),
        Err(EumSignatureError::TooLarge { .. })
    ));
    // Nesting deeper than the limit inside the signed content.
    let deep = read("eis_signed.xml").replace(
        "<Empty/>",
        &format!("{}{}", "<d>".repeat(40), "</d>".repeat(40)),
    );
    let limits = Limits {
        max_depth: 16,
        ..Limits::DEFAULT
    };
    assert_eq!(
        eum_signature::verify(deep.as_bytes(), &limits, &key()),
        Err(EumSignatureError::TooDeep(16))
    );
}
