#!/usr/bin/env bash
# The main job, for now: set up, make a key pair, check the shipped configurations and
# show that our public key equals Debian fastd's. (The tunnel demo replaces this once the
# engine exists.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

step() { printf '\n== %s\n' "$*"; }

step "generating a key pair"
bin/fastd-ts --generate-key | tee "$work/key"
secret=$(sed -n 's/^Secret: //p' "$work/key")
public=$(sed -n 's/^Public: //p' "$work/key")
printf 'secret "%s";\n' "$secret" >"$work/secret.conf"

step "public key shown back from the secret"
shown=$(bin/fastd-ts --machine-readable --show-key -c "$work/secret.conf")
echo "fastd-ts: $shown"
[ "$shown" = "$public" ]
if command -v fastd >/dev/null; then
  theirs=$(fastd --machine-readable --show-key -c "$work/secret.conf" 2>/dev/null)
  echo "fastd:    $theirs"
  [ "$theirs" = "$public" ] && echo "identical"
fi

for conf in conf/*.conf; do
  step "checking $conf"
  bin/fastd-ts --verify-config -c "$conf" && echo "fastd-ts: valid"
  if command -v fastd >/dev/null; then
    fastd --verify-config -c "$conf" 2>/dev/null && echo "fastd:    valid"
  fi
done

step "a broken configuration is reported with its position"
printf 'secret "%s";\nmethod "salsa2012+umac"\nmode tap;\n' "$secret" >"$work/broken.conf"
bin/fastd-ts --verify-config -c "$work/broken.conf" || echo "(exit status $?, as expected)"
