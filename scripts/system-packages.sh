#!/usr/bin/env bash
# Installs the Debian packages the demo and the tests use when any is missing: Debian's fastd
# (the reference at the other end), iperf3, ping, iproute2, tcpdump, socat and libsodium. Only
# as root (apt-get); otherwise it says what is missing and leaves it to the caller. Debian's
# fastd package enables a service of its own; we want only the binary.
set -euo pipefail
PACKAGES=(fastd iperf3 iputils-ping libsodium23 iproute2 tcpdump socat)
dpkg -s "${PACKAGES[@]}" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages; as root: apt-get install ${PACKAGES[*]}" >&2
  exit 0
fi
echo "installing ${PACKAGES[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${PACKAGES[@]}" >/dev/null
systemctl disable --now fastd >/dev/null 2>&1 || true
