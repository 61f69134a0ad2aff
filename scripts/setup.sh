#!/usr/bin/env bash
# Installs the npm dependencies (when the lock file changed or they are missing) and builds.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
