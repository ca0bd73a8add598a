"""Builds TS 102 226 expanded-format scripts with pyosmocom's BER-TLV
primitives (osmocom.tlv.bertlv_encode_tag / bertlv_encode_len, pyosmocom
0.0.12 from PyPI), independently of smsr, and parses them back with
bertlv_parse_one. Deterministic (seeded) random C-APDU / R-APDU lists with
lengths around the 127/128 and 255/256 BER boundaries."""
import json, random
from osmocom.tlv import bertlv_encode_tag, bertlv_encode_len, bertlv_parse_one

def tlv(tag, value):
    return bertlv_encode_tag(tag) + bertlv_encode_len(len(value)) + value

rnd = random.Random(102226)
cases = []
sizes = [0, 1, 120, 122, 123, 124, 125, 126, 127, 128, 250, 251, 252, 253, 254, 255, 256, 300]
for i in range(12):
    n = rnd.randint(1, 4)
    apdus = []
    for _ in range(n):
        dl = rnd.choice(sizes)
        body = bytes(rnd.getrandbits(8) for _ in range(dl))
        if dl == 0:
            apdu = bytes([0x80, 0xCA, 0x00, rnd.getrandbits(8), 0x00])
        elif dl <= 255:
            apdu = bytes([0x80, 0xE2, 0x88, 0x00, dl]) + body
        else:
            apdu = bytes([0x80, 0xE2, 0x88, 0x00, 0x00, dl >> 8, dl & 0xFF]) + body
        apdus.append(apdu)
    items = b''.join(tlv(0x22, a) for a in apdus)
    definite = tlv(0xAA, items)
    indefinite = bytes([0xAE, 0x80]) + items + b'\x00\x00'
    # Check with the independent parser that the definite form parses back.
    (tag, length, value, rest) = (None, None, None, None)
    parsed = bertlv_parse_one(definite)
    assert parsed[2] == items and parsed[3] == b''
    # A response: count, one R-APDU per command with random data, last SW.
    rapdus = []
    for _ in apdus:
        dl = rnd.choice(sizes)
        rapdus.append(bytes(rnd.getrandbits(8) for _ in range(dl)) + bytes([0x90, 0x00]))
    ritems = tlv(0x80, bytes([len(rapdus)])) + b''.join(tlv(0x23, r) for r in rapdus)
    cases.append({
        'c_apdus': [a.hex().upper() for a in apdus],
        'command_definite': definite.hex().upper(),
        'command_indefinite': indefinite.hex().upper(),
        'r_apdus': [r.hex().upper() for r in rapdus],
        'response_definite': tlv(0xAB, ritems).hex().upper(),
        'response_indefinite': (bytes([0xAF, 0x80]) + b''.join(tlv(0x23, r) for r in rapdus) + b'\x00\x00').hex().upper(),
    })
print(json.dumps({'generator': 'remote_oracle.py with pyosmocom 0.0.12 osmocom.tlv', 'cases': cases}, indent=1))
