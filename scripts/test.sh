#!/usr/bin/env bash
# Sets up a fresh clone (npm ci, build) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
npm test
