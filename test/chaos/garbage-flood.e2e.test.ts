// The garbage flood against a live fastd-ts session (Debian fastd at the other end): the
// flooder's whole mix, copies of the session's own packets from the peer's address among it.
// Nothing of it may be accepted (side b delivers no more frames than side a sent), no real
// frame that reached the daemon may be lost (pings run through the flood), the replays are
// counted as replays, the session survives, and the drop counters account for every
// datagram the daemon took. Never how fast anything is (bench:flood measures that).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchTunnel, TUNNEL_ADDRESSES, TUNNEL_PORT } from '../../src/bench/bench-tunnel.ts';
import { answers, pingTimes } from '../../src/bench/traffic.ts';
import { DEFAULT_MIX } from '../../src/chaos/garbage-mix.ts';
import { captureSessionPackets, GarbageFlood } from '../../src/chaos/garbage-flood.ts';
import { cleanUpEverything } from '../../src/testbed/cleanup.ts';
import { UNDERLAY_ADDRESSES, UNDERLAY_DEVICE } from '../../src/testbed/namespaces.ts';
import { haveDebianFastd, haveNetns, isRoot, requireSystem } from '../helpers/prereq.ts';
import { until } from '../helpers/wait.ts';

const ok = requireSystem('garbage flood against a live session', {
  root: isRoot,
  netns: haveNetns,
  fastd: haveDebianFastd,
  tcpdump: existsSync('/usr/bin/tcpdump'),
  'fastd-ts build (npm run build)': existsSync(fileURLToPath(new URL('../../dist/chaos/flood-sender.js', import.meta.url))),
});

const COUNT = 60_000;
/** Low enough that a loaded CI machine takes it all in; the bench floods at 200 kpps. */
const RATE = 30_000;
/** Keepalives both daemons send while the flood runs: taken, but counted nowhere (fastd counts no empty packets). */
const KEEPALIVE_SLACK = 10;
const DEADLINE_MS = 60_000;
const PINGS = 100;
const PING_INTERVAL_SECONDS = 0.02;

interface Traffic {
  readonly packets: number;
}
interface Status {
  readonly statistics: { readonly rx: Traffic; readonly tx: Traffic };
  readonly 'fastd-ts'?: { readonly dropped: Readonly<Record<string, number>>; readonly handshakes_received: number };
}

describe.runIf(ok)('a garbage flood against a live fastd-ts session', () => {
  let tunnel: BenchTunnel;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fastd-ts-flood-test-'));
    tunnel = BenchTunnel.create({ id: 'fastd-ts flooded', kinds: ['fastd', 'fastd-ts'], method: 'salsa2012+umac' });
    await tunnel.start();
  }, DEADLINE_MS);

  afterAll(async () => {
    await tunnel?.close();
    rmSync(dir, { recursive: true, force: true });
    cleanUpEverything();
  });

  it('accepts nothing, counts replays as replays, accounts for every datagram and keeps the session', async () => {
    const [a, b] = tunnel.sides;
    const peer = { address: UNDERLAY_ADDRESSES[0], port: TUNNEL_PORT };
    const seeds = await captureSessionPackets(b, UNDERLAY_DEVICE, peer, TUNNEL_PORT, dir, () => tunnel.idleRtt(20, 0.02));
    expect(seeds.length).toBeGreaterThanOrEqual(20);

    const read = async () => Promise.all(tunnel.daemons.map(async (daemon) => (await daemon.status()) as Status));
    const [aBefore, bBefore] = await read();
    const kernelBefore = await b.udpReceiveBufferErrors();
    const flood = GarbageFlood.start(a, { address: UNDERLAY_ADDRESSES[1], port: TUNNEL_PORT }, RATE, DEFAULT_MIX, { source: UNDERLAY_ADDRESSES[0], spoof: peer, seeds, count: COUNT });
    // pings through the session while it is flooded: none may be lost that reached the daemon
    const [sent] = await Promise.all([flood.finished, pingTimes(a, TUNNEL_ADDRESSES[1], PINGS, PING_INTERVAL_SECONDS)]);
    expect(sent.sent).toBe(COUNT);
    expect(Object.values(sent.byKind).every((n) => n > 0)).toBe(true);

    const kernelDrops = (await b.udpReceiveBufferErrors()) - kernelBefore;
    const delta = (after: Status, before: Status, reason: string) => after['fastd-ts']!.dropped[reason]! - before['fastd-ts']!.dropped[reason]!;
    // the workers publish their counters once a second: wait until they cover the flood
    let aAfter = aBefore!;
    let bAfter = bBefore!;
    let taken = 0;
    const expected = () => sent.sent + (aAfter.statistics.tx.packets - aBefore!.statistics.tx.packets) - kernelDrops;
    await until('the drop counters to cover the flood', 10_000, async () => {
      [aAfter, bAfter] = (await read()) as [Status, Status];
      // receive_buffer counts the kernel's drops, which the daemon never took
      const dropped = Object.keys(bAfter['fastd-ts']!.dropped)
        .filter((reason) => reason !== 'receive_buffer')
        .reduce((sum, reason) => sum + delta(bAfter, bBefore!, reason), 0);
      const handshakes = bAfter['fastd-ts']!.handshakes_received - bBefore!['fastd-ts']!.handshakes_received;
      taken = dropped + handshakes + (bAfter.statistics.rx.packets - bBefore!.statistics.rx.packets);
      return taken >= expected() - KEEPALIVE_SLACK ? true : undefined;
    });
    // every datagram the daemon took is a frame delivered, a handshake or one drop; keepalives are the only ones counted nowhere
    expect(taken).toBeLessThanOrEqual(expected());
    // no frame of the garbage was delivered: side b received no more than side a sent, and
    // when the kernel dropped nothing before the daemon, every real frame (CoDel drops none of a flood's queue)
    const delivered = bAfter.statistics.rx.packets - bBefore!.statistics.rx.packets;
    const real = aAfter.statistics.tx.packets - aBefore!.statistics.tx.packets;
    expect(real).toBeGreaterThanOrEqual(PINGS);
    if (kernelDrops === 0) expect(delivered).toBe(real);
    else expect(delivered).toBeLessThanOrEqual(real);
    // every replayed copy the daemon took is a replay (CoDel may have dropped some before opening)
    expect(delta(bAfter, bBefore!, 'replay')).toBeGreaterThanOrEqual(sent.byKind.replay - kernelDrops - delta(bAfter, bBefore!, 'queue'));
    expect(delta(bAfter, bBefore!, 'auth')).toBeLessThanOrEqual(sent.byKind.bitflip);
    expect(await answers(a, TUNNEL_ADDRESSES[1])).toBe(true);
  }, DEADLINE_MS);
});
