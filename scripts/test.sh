#!/usr/bin/env bash
# Sets up a fresh clone and runs every test, closing with one plain summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=build/test-results.json "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("build/test-results.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' || true
exit "$status"
