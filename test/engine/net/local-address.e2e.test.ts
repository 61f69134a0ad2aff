// A host with several addresses, as a supernode is: side 0 gets a second underlay address
// and a Debian fastd router (side 1) talks to that one only.
//  - `bind any:10000`: every answer must leave from the address the router talks to (fastd
//    drops datagrams from any other), handshakes and data, GSO batches included, on both I/O
//    backends; `on establish` gets that address as LOCAL_ADDRESS.
//  - `bind <address>:10000` before the address exists (IP_FREEBIND): the daemon starts, and
//    serves the address once it is added.
// Each check also runs with Debian's fastd in our place, which shows the setup is fair.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { UNDERLAY_ADDRESSES, UNDERLAY_ADDRESSES_V6, UNDERLAY_DEVICE } from '../../../src/testbed/namespaces.js';
import { TcpdumpCapture } from '../../helpers/tcpdump-capture.js';
import { cleanUpEverything, type DaemonKind, requireTunnel, TUNNEL_PORT, Tunnel } from '../../interop/harness/tunnel.js';

const ok = requireTunnel('engine: local addresses against Debian fastd');

/**
 * Side 0's second address, the one the router talks to, which the kernel would not pick as
 * the source towards the router: IPv4, a secondary address of the underlay's subnet; IPv6,
 * one of another prefix (within one /64 the kernel's choice is a tie), routed on side 1.
 */
const SECOND = { 4: '198.51.100.11', 6: '2001:db8:2::11' } as const;
const SECOND_ROUTE_V6 = '2001:db8:2::/64';
/** An address side 0 binds before it exists. */
const LATER = { 4: '198.51.100.9', 6: '2001:db8:1::9' } as const;
const PREFIX = { 4: 24, 6: 64 } as const;
const FIRST_REPLY_DEADLINE_S = 20;
const STREAM_SECONDS = 2;
const BURST = { count: 200, intervalSeconds: 0.002, deadlineSeconds: 10 } as const;

function endpoint(address: string, family: 4 | 6): string {
  return family === 4 ? `${address}:${TUNNEL_PORT}` : `[${address}]:${TUNNEL_PORT}`;
}

function addAddress(tunnel: Tunnel, address: string, family: 4 | 6): void {
  tunnel.side(0).ip(...(family === 6 ? ['-6'] : []), 'address', 'add', `${address}/${PREFIX[family]}`, 'dev', UNDERLAY_DEVICE, ...(family === 6 ? ['nodad'] : []));
}

interface Status {
  readonly 'fastd-ts': { readonly io_backend: string; readonly udp_offloads: { readonly gso_sends: number; readonly gso_datagrams: number } };
}

interface Case {
  readonly kind: DaemonKind;
  readonly family: 4 | 6;
  readonly backend?: 'fallback';
}

const name = (c: Case) => `${c.kind}${c.backend ? ` (${c.backend} backend)` : ''}, IPv${c.family}`;

const SECOND_ADDRESS_CASES: Case[] = [
  { kind: 'fastd-ts', family: 4 },
  { kind: 'fastd-ts', family: 4, backend: 'fallback' },
  { kind: 'fastd-ts', family: 6 },
  { kind: 'fastd-ts', family: 6, backend: 'fallback' },
  { kind: 'fastd', family: 4 },
  { kind: 'fastd', family: 6 },
];

const FREEBIND_CASES: Case[] = [
  { kind: 'fastd-ts', family: 4 },
  { kind: 'fastd-ts', family: 6 },
  { kind: 'fastd', family: 4 },
  { kind: 'fastd', family: 6 },
];

describe.runIf(ok)('local addresses on a host with several', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-local-address-'));
  let runs = 0;
  afterAll(() => {
    cleanUpEverything();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const c of SECOND_ADDRESS_CASES) {
    it(`bind any: ${name(c)} answers a router that talks to its second address from that address`, async () => {
      const hookFile = join(dir, `establish-${++runs}`);
      const tunnel = Tunnel.create({
        mode: 'tap',
        methods: ['salsa2012+umac'],
        underlay: c.family,
        sides: [
          {
            kind: c.kind,
            initiates: false,
            bind: `any:${TUNNEL_PORT}`,
            extraStatements: [`on establish "env > ${hookFile}.$$"`, ...(c.backend ? [`io backend "${c.backend}"`] : [])],
          },
          { kind: 'fastd', initiates: true, remote: endpoint(SECOND[c.family], c.family) },
        ],
      });
      onTestFailed(() => {
        process.stderr.write(`----- logs\n${tunnel.logs()}\n`);
      });
      // every datagram of side 0's daemon that reaches the router from another address than the second
      const first = c.family === 4 ? UNDERLAY_ADDRESSES[0] : UNDERLAY_ADDRESSES_V6[0];
      let capture: TcpdumpCapture | undefined;
      try {
        addAddress(tunnel, SECOND[c.family], c.family);
        if (c.family === 6) tunnel.side(1).ip('-6', 'route', 'add', SECOND_ROUTE_V6, 'dev', UNDERLAY_DEVICE);
        capture = await TcpdumpCapture.start(tunnel.side(1), UNDERLAY_DEVICE, [`udp and src port ${TUNNEL_PORT} and src host ${first}`]);
        await tunnel.start();
        expect(await tunnel.timeToFirstReply(1, FIRST_REPLY_DEADLINE_S), 'a reply through the tunnel').toBeDefined();
        // full-size frames back to back, and a TCP stream from side 0: runs of same-size datagrams (GSO)
        const burst = await tunnel.ping(1, { ...BURST, size: tunnel.fullSizePing });
        expect(burst.received, burst.output).toBeGreaterThan(BURST.count * 0.9);
        const stream = await tunnel.iperf3(0, STREAM_SECONDS);
        expect(stream.mbitPerSecond).toBeGreaterThan(0);
        if (c.kind === 'fastd-ts') {
          const status = (await tunnel.status(0)) as Status;
          expect(status['fastd-ts'].io_backend).toBe(c.backend ?? 'io_uring');
          expect(status['fastd-ts'].udp_offloads.gso_sends, JSON.stringify(status['fastd-ts'])).toBeGreaterThan(0);
        }
      } finally {
        await capture?.stop();
        await tunnel.close();
      }
      expect(capture!.output().trim(), 'datagrams from the first address').toBe('');
      const runsOfHook = readdirSync(dir).filter((file) => file.startsWith(`establish-${runs}.`));
      expect(runsOfHook.length).toBeGreaterThan(0);
      const env = readFileSync(join(dir, runsOfHook[0]!), 'utf8');
      expect(/^LOCAL_ADDRESS=(.*)$/m.exec(env)?.[1]).toBe(SECOND[c.family]);
      expect(/^LOCAL_PORT=(.*)$/m.exec(env)?.[1]).toBe(String(TUNNEL_PORT));
    }, 90_000);
  }

  for (const c of FREEBIND_CASES) {
    it(`bind to an address not on the host yet: ${name(c)} starts, and serves it once it is added`, async () => {
      const tunnel = Tunnel.create({
        mode: 'tap',
        methods: ['salsa2012+umac'],
        underlay: c.family,
        sides: [
          { kind: c.kind, initiates: false, bind: endpoint(LATER[c.family], c.family) },
          { kind: 'fastd', initiates: true, remote: endpoint(LATER[c.family], c.family) },
        ],
      });
      onTestFailed(() => {
        process.stderr.write(`----- logs\n${tunnel.logs()}\n`);
      });
      try {
        await tunnel.startSide(0);
        addAddress(tunnel, LATER[c.family], c.family);
        await tunnel.startSide(1);
        expect(await tunnel.timeToFirstReply(1, FIRST_REPLY_DEADLINE_S), 'a reply through the tunnel').toBeDefined();
      } finally {
        await tunnel.close();
      }
    }, 90_000);
  }
});
