// Our daemon against Debian's fastd in TAP mode, through E3's interop harness: a tunnel
// between two private namespaces, both roles, method null and salsa2012+umac, full-size
// pings both ways; and the status socket's JSON compared with fastd's own, key path by
// key path and type by type. Deadlines only turn hangs into failures.
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { cleanUpEverything, requireTunnel, Tunnel } from '../interop/harness/tunnel.js';

const ok = requireTunnel('engine: fastd-ts against Debian fastd (TAP)');

/** Covers fastd's 20 s handshake retry if the first handshake is lost. */
const FIRST_REPLY_DEADLINE_S = 30;
const PINGS = 3;

/** Every key path of a JSON value with the JSON type found there (object keys that are peer keys collapse to "<key>"). */
function shape(value: unknown, path = '$'): string[] {
  if (value === null) return [`${path}: null`];
  if (Array.isArray(value)) return [`${path}: array`, ...value.slice(0, 1).flatMap((item) => shape(item, `${path}[]`))];
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return [
      `${path}: object`,
      ...entries.flatMap(([key, item]) => shape(item, `${path}.${/^[0-9a-f]{64}$/.test(key) ? '<key>' : key}`)),
    ];
  }
  return [`${path}: ${typeof value}`];
}

async function withTunnel(tunnel: Tunnel, body: () => Promise<void>): Promise<void> {
  onTestFailed(() => {
    process.stderr.write(`----- logs\n${tunnel.logs()}\n`);
  });
  try {
    await tunnel.start();
    await body();
  } finally {
    await tunnel.close();
  }
}

async function expectPings(tunnel: Tunnel, initiator: 0 | 1): Promise<void> {
  const first = await tunnel.timeToFirstReply(initiator, FIRST_REPLY_DEADLINE_S);
  expect(first, 'no reply through the tunnel').toBeDefined();
  for (const from of [0, 1] as const) {
    const result = await tunnel.ping(from, { count: PINGS, size: tunnel.fullSizePing, deadlineSeconds: 10 });
    expect(result.received, result.output).toBe(PINGS);
  }
}

describe.runIf(ok)('fastd-ts ↔ Debian fastd, TAP', () => {
  afterAll(() => cleanUpEverything());

  for (const method of ['null', 'salsa2012+umac']) {
    for (const oursInitiate of [true, false]) {
      it(`${method}, ${oursInitiate ? 'fastd-ts' : 'fastd'} initiates: full-size pings both ways`, async () => {
        const tunnel = Tunnel.create({
          mode: 'tap',
          methods: [method],
          sides: [
            { kind: 'fastd-ts', initiates: oursInitiate },
            { kind: 'fastd', initiates: !oursInitiate },
          ],
        });
        await withTunnel(tunnel, async () => {
          await expectPings(tunnel, oursInitiate ? 0 : 1);
          const ours = (await tunnel.status(0)) as { peers: Record<string, { connection: { method: string } | null }> };
          expect(ours.peers[tunnel.daemons[1].spec.keys.public]?.connection?.method).toBe(method);
        });
      }, 90_000);
    }
  }

  it("status JSON has fastd's key paths and value types", async () => {
    const tunnel = Tunnel.create({
      mode: 'tap',
      methods: ['salsa2012+umac'],
      sides: [
        { kind: 'fastd-ts', initiates: true },
        { kind: 'fastd', initiates: false },
      ],
    });
    await withTunnel(tunnel, async () => {
      await expectPings(tunnel, 0);
      const [ours, theirs] = [await tunnel.status(0), await tunnel.status(1)];
      // MAC addresses are learned only by the datapath; compare the array itself, not its items.
      // "fastd-ts" is our own extension (README), which fastd has not.
      const withoutMacItems = (paths: string[]) => paths.filter((path) => !path.includes('mac_addresses[]') && !path.startsWith('$.fastd-ts'));
      expect(withoutMacItems(shape(ours))).toEqual(withoutMacItems(shape(theirs)));
    });
  }, 90_000);
});
