#!/usr/bin/env python3
"""ES1.RegisterEIS over SOAP and mutual TLS, signed by an independent
signer: Python `cryptography` (OpenSSL) makes the CI and EUM certificates
and the ECDSA signature, lxml (libxml2) the exclusive C14N, zeep the
request from the server's WSDL. The EUM signature (SGP.02 EIS
`EumSignature`: XML Signature over `EumSignedInfo`, a Reference without
URI as njiwa reads it, exclusive C14N, SHA-256, ECDSA P-256 r||s, the EUM
certificate in KeyInfo/X509Data) is added by a zeep plugin to the envelope
zeep is about to send, so what is signed is what goes on the wire.

  zeep_register.py pki DIR      writes ci.pem, rogue-ci.pem and the keys
  zeep_register.py run CONFIG   runs the cases, prints one JSON object

Each case registers the given EIS under its own EID (check digits
recomputed, ISO/IEC 7064 MOD 97-10), then asks ES4.GetEIS for that EID.
"""
import base64
import copy
import datetime
import hashlib
import json
import os
import sys

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from lxml import etree
from zeep import Client, Plugin
from zeep.transports import Transport

DS = "http://www.w3.org/2000/09/xmldsig#"
EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def write_key(path, key):
    open(path, "wb").write(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))


def ca(directory, cn):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .sign(key, hashes.SHA256()))
    open(os.path.join(directory, cn + ".pem"), "wb").write(
        cert.public_bytes(serialization.Encoding.PEM))
    write_key(os.path.join(directory, cn + ".key"), key)


def load(directory, cn):
    cert = x509.load_pem_x509_certificate(open(os.path.join(directory, cn + ".pem"), "rb").read())
    key = serialization.load_pem_private_key(
        open(os.path.join(directory, cn + ".key"), "rb").read(), None)
    return cert, key


def eum_certificate(issuer, issuer_key, key, expired=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = ((now - datetime.timedelta(days=10), now - datetime.timedelta(days=1))
                  if expired else (now - datetime.timedelta(days=1), now + datetime.timedelta(days=10)))
    return (x509.CertificateBuilder().subject_name(name("EUM-1")).issuer_name(issuer.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .sign(issuer_key, hashes.SHA256()))


def with_eid(eis, n):
    """A copy of `eis` with EID number `n` (MOD 97-10 check digits)."""
    eis = copy.deepcopy(eis)
    body = eis["EumSignedInfo"]["Eid"][:18] + "%012d" % n
    check = 98 - int(body + "00") % 97
    eis["EumSignedInfo"]["Eid"] = body + "%02d" % check
    return eis


class Signer(Plugin):
    """Signs the outgoing RegisterEIS's EumSignedInfo (when `key` is set),
    then applies `tamper` to the Eis element."""

    def __init__(self):
        self.key, self.cert, self.tamper = None, None, None

    def egress(self, envelope, http_headers, operation, binding_options):
        eis = next(e for e in envelope.iter() if etree.QName(e).localname == "Eis")
        if self.key is not None:
            sign(eis, self.key, self.cert)
        if self.tamper is not None:
            self.tamper(eis)
        return envelope, http_headers


def sign(eis, key, cert):
    signed = eis.find("EumSignedInfo")
    digest = hashlib.sha256(etree.tostring(signed, method="c14n", exclusive=True,
                                           with_comments=False)).digest()
    sig = etree.Element("EumSignature", nsmap={"ds": DS})
    si = etree.SubElement(sig, "{%s}SignedInfo" % DS)
    etree.SubElement(si, "{%s}CanonicalizationMethod" % DS, Algorithm=EXC)
    etree.SubElement(si, "{%s}SignatureMethod" % DS,
                     Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256")
    ref = etree.SubElement(si, "{%s}Reference" % DS)
    tr = etree.SubElement(ref, "{%s}Transforms" % DS)
    etree.SubElement(tr, "{%s}Transform" % DS, Algorithm=EXC)
    etree.SubElement(ref, "{%s}DigestMethod" % DS,
                     Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
    etree.SubElement(ref, "{%s}DigestValue" % DS).text = base64.b64encode(digest).decode()
    der = key.sign(etree.tostring(si, method="c14n", exclusive=True), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    etree.SubElement(sig, "{%s}SignatureValue" % DS).text = base64.b64encode(
        r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()
    if cert is not None:
        info = etree.SubElement(etree.SubElement(sig, "{%s}KeyInfo" % DS), "{%s}X509Data" % DS)
        etree.SubElement(info, "{%s}X509Certificate" % DS).text = base64.b64encode(
            cert.public_bytes(serialization.Encoding.DER)).decode()
    # EISType: EumSignature right after Isd-r.
    eis.find("Isd-r").addnext(sig)


def client(cfg, cert, key, plugins):
    session = requests.Session()
    session.trust_env = False
    session.cert = (cert, key)
    session.verify = cfg["ca"]
    return Client(cfg["wsdl"], transport=Transport(session=session), plugins=plugins)


def status(root):
    fes = next((e for e in root.iter() if isinstance(e.tag, str)
                and etree.QName(e).localname == "FunctionExecutionStatus"), None)
    if fes is None:
        return None
    get = lambda n: next((e.text for e in fes.iter() if isinstance(e.tag, str)
                          and etree.QName(e).localname == n), None)
    return {"Status": get("Status"), "Subject": get("Subject"), "Reason": get("Reason")}


def run(cfg):
    pki = cfg["pki"]
    ci, ci_key = load(pki, "ci")
    rogue, rogue_key = load(pki, "rogue-ci")
    eum_key = ec.generate_private_key(ec.SECP256R1())
    good = eum_certificate(ci, ci_key, eum_key)
    _, configured_key = load(pki, "eum-configured")
    signer = Signer()
    eum = client(cfg, cfg["eum_cert"], cfg["eum_key"], [signer])
    mno = client(cfg, cfg["mno_cert"], cfg["mno_key"], [])
    es1 = eum.bind("SMSR", "ES1Port")
    es4 = mno.bind("SMSR", "ES4Port")
    mno_es1 = mno.bind("SMSR", "ES1Port")

    def register(svc, c, eis, key=None, cert=None, tamper=None):
        signer.key, signer.cert, signer.tamper = key, cert, tamper
        with c.settings(raw_response=True):
            resp = svc.RegisterEIS(Eis=eis, Secrets=cfg["secrets"])
        try:
            root = etree.fromstring(resp.content)
        except etree.XMLSyntaxError:
            root = None
        answer = status(root) if root is not None else None
        fault = None
        if root is not None and root.find("{%s}Body/{%s}Fault" % (SOAP12, SOAP12)) is not None:
            fault = "".join(root.find("{%s}Body/{%s}Fault" % (SOAP12, SOAP12)).itertext())
        return {"Http": resp.status_code, "Answer": answer, "Fault": fault}

    def get_eis(eid):
        # zeep's own reading of the answer (our EISType).
        r = es4.GetEIS(Eid=eid)
        fes = r.FunctionExecutionStatus
        data = fes.StatusCodeData
        rec = {"Answer": {"Status": fes.Status, "Subject": data and data.Subject,
                          "Reason": data and data.Reason}}
        if r.Eis is not None:
            rec["Typed"] = {"Eid": r.Eis.EumSignedInfo.Eid,
                            "RemainingMemory": r.Eis.RemainingMemory,
                            "IsdrAid": r.Eis["Isd-r"].Aid}
        return rec

    def set_text(name, value):
        def tamper(eis):
            next(e for e in eis.iter() if etree.QName(e).localname == name).text = value
        return tamper

    cases = {
        "good": (es1, eum, dict(key=eum_key, cert=good)),
        "tampered": (es1, eum, dict(key=eum_key, cert=good,
                                    tamper=set_text("PlatformVersion", "9.9"))),
        "rogue_ci": (es1, eum, dict(key=eum_key, cert=eum_certificate(rogue, rogue_key, eum_key))),
        "expired": (es1, eum, dict(key=eum_key, cert=eum_certificate(ci, ci_key, eum_key, True))),
        "unsigned": (es1, eum, dict()),
        # No KeyInfo: the server takes the certificate configured for EUM-1.
        "configured": (es1, eum, dict(key=configured_key, cert=None)),
        "wrong_role": (mno_es1, mno, dict(key=eum_key, cert=good)),
        "malformed": (es1, eum, dict(key=eum_key, cert=good,
                                     tamper=set_text("RemainingMemory", "lots"))),
    }
    out = {"WsdlEs1": sorted(es1._binding._operations)}
    for n, (name, (svc, c, kw)) in enumerate(cases.items()):
        eis = with_eid(cfg["eis"], 900 + n)
        eid = eis["EumSignedInfo"]["Eid"]
        rec = register(svc, c, eis, **kw)
        rec["Eid"] = eid
        rec["GetEIS"] = get_eis(eid)
        out[name] = rec
    print(json.dumps(out))


def main():
    if sys.argv[1] == "pki":
        for cn in ("ci", "rogue-ci"):
            ca(sys.argv[2], cn)
        # The EUM certificate the server's config names for EUM-1.
        ci_cert, ci_key = load(sys.argv[2], "ci")
        key = ec.generate_private_key(ec.SECP256R1())
        open(os.path.join(sys.argv[2], "eum-configured.pem"), "wb").write(
            eum_certificate(ci_cert, ci_key, key).public_bytes(serialization.Encoding.PEM))
        write_key(os.path.join(sys.argv[2], "eum-configured.key"), key)
    else:
        run(json.load(open(sys.argv[2])))


if __name__ == "__main__":
    main()
