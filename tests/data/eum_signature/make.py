#!/usr/bin/env python3
"""Signs an EIS as an EUM would (SGP.02 EIS `EumSignature`: an XML
Signature over `EumSignedInfo`, the reference without URI as njiwa's
ES1SignatureVerifyHandler reads it, exclusive C14N, SHA-256, ECDSA P-256
with SHA-256, the signature value r||s as XML Signature's ECDSA form,
RFC 4050 / RFC 6931 §2.3.6).

Independent of the crate: lxml (libxml2's exclusive C14N) and Python
`cryptography` (OpenSSL's ECDSA). Run once, outputs committed:
  python3 make.py  (needs lxml and cryptography)
writes eis_signed.xml (valid), the two canonical forms (*.c14n) and
eum_public_key.hex (uncompressed P-256
point). The private key is a fixed test scalar (no secret).
"""
import base64
import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from lxml import etree

GSMA = "http://namespaces.gsma.org/esim-messaging/1"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"

EIS = f"""<gsma:RegisterEIS xmlns:gsma="{GSMA}" xmlns:unused="urn:unused"><Eis>
  <EumSignedInfo xmlns:x="urn:x" b="2" a="1 &amp; &lt;&quot;&#9;">
    <Eid>89049032000000000000000000000128</Eid>
    <!-- comments are not signed -->
    <Eum-Id>EUM-DEMO</Eum-Id>
    <ProductionDate>2026-01-01T00:00:00Z</ProductionDate>
    <PlatformType>smsr-sim</PlatformType>
    <PlatformVersion>1.0 &gt; 0.9 &amp; &lt;2</PlatformVersion>
    <x:Note x:k="v">carriage&#13;return</x:Note>
    <Empty/>
  </EumSignedInfo>
  <RemainingMemory>524288</RemainingMemory>
</Eis></gsma:RegisterEIS>"""

key = ec.derive_private_key(0x1D2C3B4A59687766554433221100FFEEDDCCBBAA99887766554433221100FF01,
                            ec.SECP256R1())
root = etree.fromstring(EIS.encode())
eis = root.find("Eis")
signed = eis.find("EumSignedInfo")
digest = hashlib.sha256(etree.tostring(signed, method="c14n", exclusive=True,
                                       with_comments=False)).digest()
sig = etree.SubElement(eis, "EumSignature", nsmap={"ds": DS})
si = etree.SubElement(sig, f"{{{DS}}}SignedInfo")
etree.SubElement(si, f"{{{DS}}}CanonicalizationMethod", Algorithm=EXC)
etree.SubElement(si, f"{{{DS}}}SignatureMethod",
                 Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256")
ref = etree.SubElement(si, f"{{{DS}}}Reference")
tr = etree.SubElement(ref, f"{{{DS}}}Transforms")
etree.SubElement(tr, f"{{{DS}}}Transform", Algorithm=EXC)
etree.SubElement(ref, f"{{{DS}}}DigestMethod",
                 Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
etree.SubElement(ref, f"{{{DS}}}DigestValue").text = base64.b64encode(digest).decode()
der = key.sign(etree.tostring(si, method="c14n", exclusive=True), ec.ECDSA(hashes.SHA256()))
r, s = decode_dss_signature(der)
etree.SubElement(sig, f"{{{DS}}}SignatureValue").text = base64.b64encode(
    r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()
open("eis_signed.xml", "wb").write(etree.tostring(root))
# The canonical forms, for the crate's C14N to match byte for byte.
open("eum_signed_info.c14n", "wb").write(
    etree.tostring(signed, method="c14n", exclusive=True, with_comments=False))
open("signed_info.c14n", "wb").write(etree.tostring(si, method="c14n", exclusive=True))
open("eum_public_key.hex", "w").write(
    key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint).hex() + "\n")
