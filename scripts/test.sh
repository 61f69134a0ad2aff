#!/usr/bin/env bash
# Sets up a fresh clone (as root also the Debian packages the system tests use), type-checks the
# tests and runs every test (the unit project, then the system project), closing with one plain
# summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/setup.sh
status=0
typecheck=0
npm run --silent typecheck || typecheck=$?
npx vitest run --reporter=default --reporter=json --outputFile.json=build/test-results.json "$@" || status=$?
if [ "$typecheck" -ne 0 ]; then
  echo "type-check of the tests failed (npm run typecheck)"
  status=$typecheck
fi
node -e '
  const r = JSON.parse(require("fs").readFileSync("build/test-results.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' || true
exit "$status"
