// The methods of this folder against Debian's fastd: a TUN tunnel between two namespaces
// (E3's interop harness), full-size pings both ways. A single wrong byte in a header, tag
// or keystream shows up here as silence. Each method runs once, the initiator alternating
// between fastd-ts and fastd; deadlines only turn hangs into failures.
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { cleanUpEverything, requireTunnel, Tunnel } from '../../interop/harness/tunnel.js';

const ok = requireTunnel('crypto methods: fastd-ts against Debian fastd');

const METHODS = [
  'aes128-gcm',
  'salsa2012+gmac',
  'salsa20+gmac',
  'null+salsa2012+gmac',
  'null+aes128-gmac',
  'salsa2012+aes128-gmac',
  'salsa2012+poly1305',
  'salsa20+poly1305',
  'aes128-ctr+poly1305',
  'null+salsa20+gmac',
  'aes128-ctr+salsa2012+gmac',
  'null',
  'null@l2tp',
  // cipher-test is not in Debian's fastd build ("method not supported"): tested locally only
];
/** Covers fastd's 20 s handshake retry if the first handshake is lost. */
const FIRST_REPLY_DEADLINE_S = 30;
const PINGS = 3;

describe.runIf(ok)('methods: fastd-ts ↔ Debian fastd', () => {
  afterAll(() => cleanUpEverything());

  METHODS.forEach((method, i) => {
    const oursInitiate = i % 2 === 0;
    it(`${method}, ${oursInitiate ? 'fastd-ts' : 'fastd'} initiates: full-size pings both ways`, async () => {
      const tunnel = Tunnel.create({
        mode: 'tun',
        methods: [method],
        sides: [
          { kind: 'fastd-ts', initiates: oursInitiate },
          { kind: 'fastd', initiates: !oursInitiate },
        ],
      });
      onTestFailed(() => {
        process.stderr.write(`----- logs\n${tunnel.logs()}\n`);
      });
      try {
        await tunnel.start();
        const first = await tunnel.timeToFirstReply(oursInitiate ? 0 : 1, FIRST_REPLY_DEADLINE_S);
        expect(first, 'no reply through the tunnel').toBeDefined();
        for (const from of [0, 1] as const) {
          const result = await tunnel.ping(from, { count: PINGS, size: tunnel.fullSizePing, deadlineSeconds: 10 });
          expect(result.received, result.output).toBe(PINGS);
        }
      } finally {
        await tunnel.close();
      }
    }, 90_000);
  });
});
