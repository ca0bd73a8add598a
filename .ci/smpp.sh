#!/usr/bin/env bash
# The SMPP peer of the smsr-server interoperability tests
# (examples/smsr-server/tests/server_smpp.rs): Node.js and the npm `smpp`
# package (pinned by tests/peers/package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q nodejs npm
fi
(cd examples/smsr-server/tests/peers && npm ci --no-audit --no-fund --loglevel=error)
