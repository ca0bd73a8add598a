#!/usr/bin/env bash
# Seeds the fuzz corpora from real data at fuzz time; nothing is copied into
# the repository. SMSR_TESTDATA points at shared/testdata (default
# ../shared/testdata from the repository root). Missing data is not an error.
set -euo pipefail
cd "$(dirname "$0")"
# Known vectors for the apdu and remote_script targets (sources cited in
# src/apdu and src/remote tests): CreateISDP, EnableProfile, an extended
# case 4, a TS 102 226 live trace script and response, a definite response.
seed_hex() { mkdir -p "corpus/$1"; printf '%s' "$3" | xxd -r -p > "corpus/$1/$2.bin"; }
seed_hex apdu create_isdp 80E60C003F10A0000005591010FFFFFFFF8900000D0010A0000005591010FFFFFFFF8900000E0010A0000005591010FFFFFFFF89000013000380C00006C9048102037000
seed_hex apdu enable_profile 80E28800153A03124F10A0000005591010FFFFFFFF8900001000
seed_hex apdu extended_case4 80E28800000003010203FFFF
seed_hex apdu get_data 80CA008500
seed_hex remote_script live_trace_command AE80220580CA0085000000
seed_hex remote_script live_trace_response AF8023026A880000
seed_hex remote_script definite_response AB118001022302900023058501079000830102
seed_hex remote_script compact_response 016132
data="${SMSR_TESTDATA:-../../shared/testdata}"
if [ ! -d "$data/profiles" ]; then
    echo "seed: $data/profiles not found; fuzzing without real seeds"
    exit 0
fi
seed() { mkdir -p "corpus/$1"; cp "$2" "corpus/$1/$(basename "$2")"; }
for f in "$data"/profiles/*.der; do
    seed tlv "$f"
done
# scp80: seed with the committed known-answer packets (not copied into git).
vec="../tests/data/scp80_vectors.json"
if [ -f "$vec" ] && command -v python3 >/dev/null 2>&1; then
    python3 - "$vec" <<'PY'
import json, os, sys
v = json.load(open(sys.argv[1]))
for d in ("scp80_command", "scp80_response", "scp80_sms"):
    os.makedirs("corpus/" + d, exist_ok=True)
for i, c in enumerate(v["commands"][:64]):
    open("corpus/scp80_command/kat-%03d.bin" % i, "wb").write(bytes.fromhex(c["packet"]))
    open("corpus/scp80_sms/kat-%03d.bin" % i, "wb").write(bytes([140]) + bytes.fromhex("027000" + c["packet"])[:140])
for i, r in enumerate(v["responses"]):
    open("corpus/scp80_response/kat-%03d.bin" % i, "wb").write(bytes.fromhex(r["resp"]))
PY
fi
