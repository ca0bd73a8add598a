#!/usr/bin/env bash
# Seeds the fuzz corpora from real data at fuzz time; nothing is copied into
# the repository. SMSR_TESTDATA points at shared/testdata (default
# ../shared/testdata from the repository root). Missing data is not an error.
set -euo pipefail
cd "$(dirname "$0")"
data="${SMSR_TESTDATA:-../../shared/testdata}"
if [ ! -d "$data/profiles" ]; then
    echo "seed: $data/profiles not found; fuzzing without real seeds"
    exit 0
fi
seed() { mkdir -p "corpus/$1"; cp "$2" "corpus/$1/$(basename "$2")"; }
for f in "$data"/profiles/*.der; do
    seed tlv "$f"
    seed profile "$f"
done
