// `npm run bench:rtt`: where the idle round-trip time goes, hop by hop, measured against
// Debian's fastd in the same run. Per tunnel setup (fastd → fastd, fastd-ts → fastd,
// fastd-ts → fastd-ts; salsa2012+umac, tap, as `npm run bench` sets them up): ping's RTT at
// gaps from warm (2 ms) to idle (50 ms), and idle pings captured on side a's TAP and veth to split each
// round trip into a-out, b-round and a-in. Then the wake floor: a native and a minimal Node
// UDP echo, cold and warm (rtt-floor.ts). Setups and echoes take turns in alternating order.
//
// Run (root; Debian's fastd, tcpdump and socat installed): npm run bench:rtt [-- --quick]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchTunnel, TUNNEL_ADDRESSES, TUNNEL_INTERFACE } from './bench-tunnel.js';
import { DEBIAN_FASTD } from './daemon.js';
import { roundOrder, type Setup } from './report.js';
import { Capture, TCPDUMP } from './rtt-capture.js';
import { ECHO_KINDS, type EchoKind, SOCAT, WakeFloor } from './rtt-floor.js';
import { type HopRound, parseCapture, tunnelRounds } from './rtt-hops.js';
import { type FloorSamples, formatFloorTable, formatHopTable, formatRttTable, goalLine, IDLE_GAP_MS, PING_GAPS_MS, type TunnelSamples, WARM_GAP_MS } from './rtt-report.js';
import { pingTimes } from './traffic.js';
import { progress, runAsScript } from './script.js';
import { UNDERLAY_ADDRESSES, UNDERLAY_DEVICE } from '../testbed/namespaces.js';

/** Per run: pings at the idle gap (also the idle captures and cold echoes) and at the warm gap; the gaps between take `idle`. */
const FULL = { runs: 3, idle: 100, warm: 500 };
const QUICK = { runs: 1, idle: 30, warm: 200 };
type Options = typeof FULL;
/** Pings before measuring, so V8 has optimized fastd-ts's datapath as in a daemon that has run a while. */
const WARM_UP_PINGS = 1000;
const METHOD = 'salsa2012+umac';
const SETUPS: readonly Setup[] = [
  { id: 'fastd-fastd', kinds: ['fastd', 'fastd'], method: METHOD },
  { id: 'ts-fastd', kinds: ['fastd-ts', 'fastd'], method: METHOD },
  { id: 'ts-ts', kinds: ['fastd-ts', 'fastd-ts'], method: METHOD },
];
const DIST = (file: string) => fileURLToPath(new URL(file, import.meta.url));

const ping = (tunnel: BenchTunnel, count: number, gapMs: number) => pingTimes(tunnel.sides[0], TUNNEL_ADDRESSES[1], count, gapMs / 1000);

/** Idle pings captured on side a's TAP (the ICMP) and veth (the tunnel's datagrams), split into hops. */
async function idleHops(tunnel: BenchTunnel, count: number): Promise<HopRound[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-rtt-'));
  const side = tunnel.sides[0];
  const captures: Capture[] = [];
  try {
    captures.push(await Capture.start(side, TUNNEL_INTERFACE, 'icmp', dir, 'tap'));
    captures.push(await Capture.start(side, UNDERLAY_DEVICE, 'udp', dir, 'underlay'));
    await ping(tunnel, count, IDLE_GAP_MS);
    const texts = await Promise.all(captures.map((capture) => capture.stop()));
    return tunnelRounds(parseCapture(texts.join('\n')), { tunnel: TUNNEL_ADDRESSES, underlay: UNDERLAY_ADDRESSES });
  } finally {
    await Promise.all(captures.map((capture) => capture.kill()));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(options: Options): Promise<{ tunnels: TunnelSamples[]; floor: FloorSamples[] }> {
  const tunnels: BenchTunnel[] = [];
  let floor: WakeFloor | undefined;
  try {
    for (const setup of SETUPS) {
      progress(`starting ${setup.kinds.join(' → ')}`);
      const tunnel = BenchTunnel.create(setup);
      tunnels.push(tunnel);
      await tunnel.start();
      await ping(tunnel, WARM_UP_PINGS, WARM_GAP_MS);
    }
    floor = await WakeFloor.create();
    const samples = new Map(tunnels.map((tunnel) => [tunnel, { rttMs: new Map(PING_GAPS_MS.map((gap) => [gap as number, [] as number[]])), hops: [] as HopRound[] }]));
    const echoes = new Map(ECHO_KINDS.map((kind) => [kind, { coldUs: [] as number[], warmUs: [] as number[] }]));
    for (let round = 0; round < options.runs; round++) {
      for (const tunnel of roundOrder(tunnels, round)) {
        const own = samples.get(tunnel)!;
        for (const gap of PING_GAPS_MS) own.rttMs.get(gap)!.push(...(await ping(tunnel, gap === WARM_GAP_MS ? options.warm : options.idle, gap)));
        own.hops.push(...(await idleHops(tunnel, options.idle)));
        progress(`round ${round + 1}/${options.runs} ${tunnel.setup.kinds.join(' → ')}: ${own.hops.length} idle rounds split so far`);
      }
      for (const kind of roundOrder<EchoKind>(ECHO_KINDS, round)) {
        const own = echoes.get(kind)!;
        own.coldUs.push(...(await floor.echoTimes(kind, options.idle, IDLE_GAP_MS)));
        own.warmUs.push(...(await floor.echoTimes(kind, options.warm, WARM_GAP_MS)));
        progress(`round ${round + 1}/${options.runs} ${kind} echo: ${own.coldUs.length}/${own.warmUs.length} echoes so far`);
      }
    }
    return {
      tunnels: tunnels.map((tunnel) => ({ setup: tunnel.setup, ...samples.get(tunnel)! })),
      floor: ECHO_KINDS.map((kind) => ({ kind, ...echoes.get(kind)! })),
    };
  } finally {
    await floor?.close();
    await Promise.all(tunnels.map((tunnel) => tunnel.close()));
  }
}

function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (namespaces, TAP devices, captures)');
  if (!existsSync(DEBIAN_FASTD)) missing.push(`Debian's fastd at ${DEBIAN_FASTD}`);
  if (!existsSync(TCPDUMP)) missing.push(`tcpdump at ${TCPDUMP}`);
  if (!existsSync(SOCAT)) missing.push(`socat at ${SOCAT}`);
  if (!existsSync(DIST('../cli/main.js')) || !existsSync(DIST('./rtt-echo.js'))) missing.push('a build of fastd-ts (npm run build)');
  return missing;
}

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== '--quick');
  if (unknown.length > 0) {
    progress(`usage: npm run bench:rtt [-- --quick]  (unknown: ${unknown.join(' ')})`);
    return 2;
  }
  const missing = missingPrerequisites();
  if (missing.length > 0) {
    progress(`the RTT bench needs: ${missing.join('; ')}`);
    return 1;
  }
  const options = argv.includes('--quick') ? QUICK : FULL;
  const started = Date.now();
  const { tunnels, floor } = await measure(options);
  const out = [
    `Round-trip time, ping's own figures (medians), from warm (a ping every ${WARM_GAP_MS} ms) to idle (every ${IDLE_GAP_MS} ms):`,
    formatRttTable(tunnels),
    '',
    `Idle round trips split at side a's veth, from captures on its TAP and veth (medians):`,
    'a-out: echo request on a\'s TAP → its datagram on the veth; b-round: datagram out → reply datagram in; a-in: reply datagram → echo reply on the TAP',
    formatHopTable(tunnels),
    '',
    `Wake floor: one datagram at a time to a UDP echo on loopback, cold every ${IDLE_GAP_MS} ms, warm every ${WARM_GAP_MS} ms; the echo's own time request → reply on lo (medians)`,
    formatFloorTable(floor),
    '',
    goalLine(tunnels),
    `${options.runs} run(s); ${((Date.now() - started) / 1000).toFixed(0)} s in all`,
  ];
  process.stdout.write(`\n${out.join('\n')}\n`);
  return 0;
}

runAsScript(import.meta.url, 'RTT bench', main);
