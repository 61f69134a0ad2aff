#!/usr/bin/env bash
# Sets up a fresh clone and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx vitest run
