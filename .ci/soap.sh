#!/usr/bin/env bash
# The SOAP interop tests' Python peer (examples/smsr-server/tests/peers/):
# a venv at .ci/venv with the pinned packages of .ci/requirements.txt
# (zeep). Idempotent; run before `cargo test` (server_soap_zeep fails,
# naming this script, when the venv is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
if [ ! -x .ci/venv/bin/python ]; then
    python3 -m venv .ci/venv
fi
.ci/venv/bin/pip install --quiet --disable-pip-version-check -r .ci/requirements.txt
.ci/venv/bin/python -c 'import zeep; print("zeep", zeep.__version__, "in .ci/venv")'
