#!/usr/bin/env bash
# Builds the Debian package from this checkout with dpkg-deb, without the network: the
# tracked files are copied to a staging folder and built there (so a running test suite's
# dist/ is left alone), then laid out as
#   /usr/lib/fastd-ts/      bin/, dist/ (no benches), build/wasm/, production node_modules
#   /usr/bin/fastd-ts       -> ../lib/fastd-ts/bin/fastd-ts
#   /lib/systemd/system/fastd-ts@.service, /usr/share/man/man1/fastd-ts.1.gz,
#   /usr/share/doc/fastd-ts/ (README, copyright, example configurations)
# None of these paths is one of Debian's fastd package, so both install side by side.
#
#   bash scripts/build-deb.sh [OUTPUT.deb]     (npm run package:deb; default build/fastd-ts_<version>_<arch>.deb)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

# the build tools; no build here: a test suite may be running from this checkout's dist/
[ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null
version=$(node -p "require('./package.json').version")
arch=$(dpkg --print-architecture)
out=$(realpath -m "${1:-build/fastd-ts_${version}_${arch}.deb}")
case "$arch" in amd64) node_arch=x64 ;; arm64) node_arch=arm64 ;; armhf) node_arch=arm ;; i386) node_arch=ia32 ;; *) node_arch=$arch ;; esac

stage=$(mktemp -d /tmp/fastd-ts-deb.XXXXXX)
trap 'rm -rf "$stage"' EXIT
source=$stage/source root=$stage/root
lib=$root/usr/lib/fastd-ts

# 1. build a copy of the tracked files
mkdir -p "$source"
git ls-files -z | xargs -0 cp --parents -t "$source"
ln -s "$repo/node_modules" "$source/node_modules"
(cd "$source" && npm run build --silent >/dev/null)

# 2. the program and its production modules
mkdir -p "$lib/build" "$root/usr/bin"
cp -a "$source/bin" "$source/dist" "$source/package.json" "$source/package-lock.json" "$lib/"
rm -rf "$lib/dist/bench" "$lib/dist/testbed" "$lib/dist/chaos"
cp -a "$source/build/wasm" "$lib/build/"
cp -a "$(realpath "$repo/node_modules")" "$lib/node_modules"
(cd "$lib" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null && rm package-lock.json)
# what prune leaves: emptied scopes, tools' caches
find "$lib/node_modules" -mindepth 1 -maxdepth 1 \( -name '.*' -o -type d -empty \) -exec rm -rf {} +
# native modules ship prebuilt binaries for every platform: keep this one's
find "$lib/node_modules/koffi/build/koffi" -mindepth 1 -maxdepth 1 ! -name "linux_${node_arch}" -exec rm -rf {} +
find "$lib/node_modules/sodium-native/prebuilds" -mindepth 1 -maxdepth 1 ! -name "linux-${node_arch}" -exec rm -rf {} +
ln -s ../lib/fastd-ts/bin/fastd-ts "$root/usr/bin/fastd-ts"

# 3. unit, manual, documentation
install -D -m 644 conf/fastd-ts@.service "$root/lib/systemd/system/fastd-ts@.service"
install -d "$root/usr/share/man/man1" "$root/usr/share/doc/fastd-ts/examples"
gzip -9n <packaging/debian/fastd-ts.1 >"$root/usr/share/man/man1/fastd-ts.1.gz"
install -m 644 README.md ARCHITECTURE.md packaging/debian/copyright "$root/usr/share/doc/fastd-ts/"
cp -r conf/gluon-client.conf conf/supernode.conf conf/peers "$root/usr/share/doc/fastd-ts/examples/"

# 4. control file and the package
install -d "$root/DEBIAN"
installed_kib=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: fastd-ts
Version: $version
Architecture: $arch
Maintainer: fastd-ts developers <fastd-ts@localhost>
Depends: nodejs (>= 20), libc6
Suggests: fastd
Section: net
Priority: optional
Installed-Size: $installed_kib
Description: fastd-compatible encrypted tunnel daemon for Node.js
 A drop-in replacement for the fastd binary on Freifunk supernodes and routers: the same
 fastd.conf, command line, status socket JSON, hook environment and wire protocol, with a
 multi-threaded datapath, Prometheus metrics and a status command. Installs beside fastd.
CONTROL
mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group --build "$root" "$out" >/dev/null
echo "$out"
