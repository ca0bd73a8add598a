#!/usr/bin/env python3
"""CI and EUM certificates for `soap::eum_cert`'s tests, made independently
of the crate by Python `cryptography` (OpenSSL): X.509 v3, ECDSA with
SHA-256, on NIST P-256 and on brainpoolP256r1. Run once, outputs committed:
  python3 make.py   (needs cryptography)

ci.der            CI "GSMA Test CI", P-256, 2026-01-01 .. 2046-01-01
eum.der           EUM-1 signed by ci.der, 2026-01-01 .. 2036-01-01
eum_expired.der   EUM-1 signed by ci.der, 2020-01-01 .. 2021-01-01
rogue_ci.der      another CI with the same name and another key
eum_rogue.der     EUM-1 signed by rogue_ci.der (issuer name = ci.der's)
ci_bp.der         CI on brainpoolP256r1; eum_bp.der EUM-1 (brainpool) by it
eum_public_key.hex  eum.der's key, uncompressed point
The private keys are fixed test scalars (no secret).
"""
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def key(d, curve=ec.SECP256R1()):
    return ec.derive_private_key(d, curve)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def day(y):
    return datetime.datetime(y, 1, 1, tzinfo=datetime.timezone.utc)


def cert(subject, subject_key, issuer, issuer_key, start, end, ca):
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
         .public_key(subject_key.public_key()).serial_number(0x1234)
         .not_valid_before(start).not_valid_after(end)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return b.sign(issuer_key, hashes.SHA256())


def write(f, c):
    open(f, "wb").write(c.public_bytes(serialization.Encoding.DER))


ci, rogue, eum = key(0x1111), key(0x2222), key(0x3333)
bp = ec.BrainpoolP256R1()
ci_bp, eum_bp = key(0x4444, bp), key(0x5555, bp)
write("ci.der", cert("GSMA Test CI", ci, "GSMA Test CI", ci, day(2026), day(2046), True))
write("eum.der", cert("EUM-1", eum, "GSMA Test CI", ci, day(2026), day(2036), False))
write("eum_expired.der", cert("EUM-1", eum, "GSMA Test CI", ci, day(2020), day(2021), False))
write("rogue_ci.der", cert("GSMA Test CI", rogue, "GSMA Test CI", rogue, day(2026), day(2046), True))
write("eum_rogue.der", cert("EUM-1", eum, "GSMA Test CI", rogue, day(2026), day(2036), False))
write("ci_bp.der", cert("GSMA Test CI BP", ci_bp, "GSMA Test CI BP", ci_bp, day(2026), day(2046), True))
write("eum_bp.der", cert("EUM-1", eum_bp, "GSMA Test CI BP", ci_bp, day(2026), day(2036), False))
open("eum_public_key.hex", "w").write(eum.public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint).hex() + "\n")
