#!/usr/bin/env bash
# The main job: build, then bring up a fastd-ts tunnel endpoint and a second endpoint
# (Debian's fastd if installed, else another fastd-ts) in two private network namespaces
# joined by a veth pair, show the handshake in their logs, ping through the tunnel, run a
# short iperf3 with its per-second progress, print a summary and remove everything again,
# also when interrupted. Needs root (namespaces, TAP devices); installs the Debian packages it
# uses (iperf3, ping, Debian's fastd for the other end) when missing.
#
#   namespace A                                   namespace B
#   fastd-ts  fts0 192.0.2.1/24  <== tunnel ==>  fts0 192.0.2.2/24  fastd (or fastd-ts)
#   underlay0 198.51.100.1/24    <--- veth --->  underlay0 198.51.100.2/24
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

METHOD=${METHOD:-salsa2012+umac}
SECONDS_OF_IPERF=${SECONDS_OF_IPERF:-5}
PORT=10000
MTU=1406
A_UNDER=198.51.100.1 B_UNDER=198.51.100.2
A_TUN=192.0.2.1 B_TUN=192.0.2.2

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces and TAP devices); try: sudo npm run demo"
bash scripts/system-packages.sh
for tool in ip ping iperf3; do command -v "$tool" >/dev/null || die "needs $tool (apt-get install iproute2 iputils-ping iperf3)"; done

step "setting up (npm ci when needed, build)"
bash scripts/setup.sh

work=$(mktemp -d /tmp/fastd-ts-demo.XXXXXX)
ns_a="ftsdemo-$$-a" ns_b="ftsdemo-$$-b"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns delete "$ns_a" 2>/dev/null || true
  ip netns delete "$ns_b" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'printf "\ninterrupted, cleaning up\n"; exit 130' INT TERM

fastd_ts() { node "$repo/bin/fastd-ts" "$@"; }
if command -v fastd >/dev/null; then other=fastd; else other=fastd-ts; fi
run_kind() { if [ "$1" = fastd ]; then shift; fastd "$@"; else shift; fastd_ts "$@"; fi; }

step "network namespaces $ns_a and $ns_b joined by veth"
ip netns add "$ns_a"
ip netns add "$ns_b"
ip link add name underlay0 netns "$ns_a" type veth peer name underlay0 netns "$ns_b"
for side in "a $A_UNDER" "b $B_UNDER"; do
  set -- $side
  ns="ftsdemo-$$-$1"
  ip -n "$ns" link set lo up
  ip -n "$ns" address add "$2/24" dev underlay0
  ip -n "$ns" link set underlay0 up
done
ip -n "$ns_a" -br address show dev underlay0
ip -n "$ns_b" -br address show dev underlay0

step "keys"
a_secret=$(fastd_ts --generate-key --machine-readable)
a_public=$(printf 'secret "%s";\n' "$a_secret" | fastd_ts --machine-readable --show-key --config -)
b_secret=$(run_kind "$other" --generate-key --machine-readable)
b_public=$(printf 'secret "%s";\n' "$b_secret" | run_kind "$other" --machine-readable --show-key --config -)
echo "A (fastd-ts): $a_public"
echo "B ($other): $b_public"

# config <secret> <bind address> <peer name> <peer key> [peer remote]
config() {
  cat <<CONF
log level verbose;
mode tap;
interface "fts0";
method "$METHOD";
mtu $MTU;
bind $2:$PORT;
secret "$1";
status socket "$work/$3.sock";
peer "$3" {
  key "$4";
${5:+  remote $5:$PORT;}
}
CONF
}
config "$a_secret" "$A_UNDER" b "$b_public" "$B_UNDER" >"$work/a.conf"
config "$b_secret" "$B_UNDER" a "$a_public" >"$work/b.conf"

wait_for_interface() { # <namespace> <log> <pid>
  for _ in $(seq 100); do
    ip -n "$1" link show dev fts0 >/dev/null 2>&1 && return 0
    kill -0 "$3" 2>/dev/null || { cat "$2"; return 1; }
    sleep 0.1
  done
  cat "$2"
  return 1
}

# start <namespace> <kind> <config> <log> <tunnel address>
start() {
  local command=(fastd)
  [ "$2" = fastd ] || command=(node "$repo/bin/fastd-ts")
  # `ip netns exec` execs the daemon, so $! is the daemon itself, which cleanup stops.
  ip netns exec "$1" "${command[@]}" --config "$3" >"$4" 2>&1 &
  pids+=($!)
  wait_for_interface "$1" "$4" "$!" || return 1
  ip -n "$1" link set dev fts0 up
  ip -n "$1" address add "$5/24" dev fts0
}

step "starting $other in B (responder), then fastd-ts in A (initiator, $METHOD)"
started=$(date +%s%N)
start "$ns_b" "$other" "$work/b.conf" "$work/b.log" "$B_TUN" || die "$other in B did not bring up its interface (log above)"
start "$ns_a" fastd-ts "$work/a.conf" "$work/a.log" "$A_TUN" || die "fastd-ts in A did not bring up its interface (log above)"

step "first ping through the tunnel"
first_ms=""
for _ in $(seq 100); do
  if ip netns exec "$ns_a" ping -n -c 1 -W 1 "$B_TUN" >/dev/null 2>&1; then
    first_ms=$(( ($(date +%s%N) - started) / 1000000 ))
    break
  fi
done
[ -n "$first_ms" ] || { cat "$work/a.log" "$work/b.log"; die "no reply through the tunnel"; }
echo "first reply ${first_ms} ms after start"

step "the handshake, as the two logs tell it"
for log in a b; do
  echo "-- $log.log"
  grep -iE 'handshake|established|session' "$work/$log.log" | head -n 8 || true
done

step "ping with full-size packets (${MTU}-byte IP packets, don't fragment)"
ip netns exec "$ns_a" ping -n -c 5 -i 0.2 -s $((MTU - 28)) -M do "$B_TUN" | tee "$work/ping"
rtt=$(sed -n 's/^rtt .* = [^/]*\/\([^/]*\)\/.*/\1/p' "$work/ping")
loss=$(sed -n 's/.* \([0-9.]*%\) packet loss.*/\1/p' "$work/ping")

step "iperf3: ${SECONDS_OF_IPERF} s of TCP from A to B through the tunnel"
ip netns exec "$ns_b" iperf3 -s -1 -B "$B_TUN" >/dev/null 2>&1 &
pids+=($!)
sleep 0.5
ip netns exec "$ns_a" iperf3 -c "$B_TUN" -t "$SECONDS_OF_IPERF" -i 1 --forceflush | tee "$work/iperf"
rate=$(grep receiver "$work/iperf" | awk '{for (i = 1; i < NF; i++) if ($(i+1) ~ /bits\/sec/) print $i, $(i+1)}')

step "summary"
printf '  endpoints      fastd-ts (A, initiator) <-> %s (B, responder)\n' "$other"
printf '  method         %s, mode tap, mtu %s\n' "$METHOD" "$MTU"
printf '  first reply    %s ms after start\n' "$first_ms"
printf '  ping           %s loss, average RTT %s ms\n' "$loss" "$rtt"
printf '  iperf3 TCP     %s\n' "$rate"
