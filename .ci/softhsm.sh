#!/usr/bin/env bash
# SoftHSM2 for the PKCS#11 provider tests (examples/smsr-server/tests/server_hsm.rs).
# Source it (`source .ci/softhsm.sh`, as .ci/run does): installs Debian's
# softhsm2 when missing, creates a token "smsr-test" in a fresh temp dir and
# exports what the tests read: SOFTHSM2_CONF, SMSR_TEST_PKCS11_MODULE,
# SMSR_TEST_PKCS11_TOKEN, SMSR_TEST_PKCS11_PIN. The temp dir is removed when
# the sourcing shell exits (chained onto any EXIT trap already set).
if ! command -v softhsm2-util >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 >/dev/null
fi
# The token lives in memory (/dev/shm) when the machine has it: SoftHSM2's
# file store rewrites an object file (truncate, write, close) for every
# C_CreateObject, and ext4 flushes such a file on close, so on disk each
# registration waited for the device (1,000 registrations and installs:
# 172 s on disk, 45-55 s in /dev/shm, 30 s on the sealed custody).
# SoftHSM2 2.6.1 as Debian builds it has no SQLite object store
# (`objectstore.backend = db` fails: "Could not select token backend").
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    SMSR_SOFTHSM_DIR="$(mktemp -d -p /dev/shm smsr-softhsm.XXXXXX)"
else
    SMSR_SOFTHSM_DIR="$(mktemp -d -t smsr-softhsm.XXXXXX)"
fi
mkdir -p "$SMSR_SOFTHSM_DIR/tokens"
cat >"$SMSR_SOFTHSM_DIR/softhsm2.conf" <<CONF
directories.tokendir = $SMSR_SOFTHSM_DIR/tokens
objectstore.backend = file
log.level = ERROR
CONF
export SOFTHSM2_CONF="$SMSR_SOFTHSM_DIR/softhsm2.conf"
export SMSR_TEST_PKCS11_TOKEN=smsr-test
# Test-only PINs of a throw-away token.
export SMSR_TEST_PKCS11_PIN=246810
softhsm2-util --init-token --free --label "$SMSR_TEST_PKCS11_TOKEN" \
    --pin "$SMSR_TEST_PKCS11_PIN" --so-pin 13579111 >/dev/null
SMSR_TEST_PKCS11_MODULE="$(dpkg -L softhsm2-common libsofthsm2 2>/dev/null | grep -m1 '/libsofthsm2\.so$' || true)"
export SMSR_TEST_PKCS11_MODULE="${SMSR_TEST_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}"
_smsr_softhsm_prev_exit="$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")"
# shellcheck disable=SC2064
trap "rm -rf '$SMSR_SOFTHSM_DIR'; $_smsr_softhsm_prev_exit" EXIT
echo "SoftHSM2 token $SMSR_TEST_PKCS11_TOKEN in $SMSR_SOFTHSM_DIR (module $SMSR_TEST_PKCS11_MODULE)"
