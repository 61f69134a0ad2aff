// The restart greeting: each remembered peer still configured and not back yet gets a
// handshake, at most GREETINGS_PER_TICK a tick, in PASSES passes PASS_INTERVAL apart.
import { describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../../src/engine/control/control-plane.ts';
import type { RememberedPeer } from '../../../src/engine/control/peer-state-file.ts';
import { GREETING_TICK, GREETINGS_PER_TICK, PASS_INTERVAL, PASSES, RestartGreeting } from '../../../src/engine/control/restart-greeting.ts';
import type { ToWorker } from '../../../src/engine/datapath/messages.ts';
import { MIN_HANDSHAKE_INTERVAL } from '../../../src/protocol/timing.ts';

const remembered = (count: number): RememberedPeer[] =>
  Array.from({ length: count }, (_, i) => ({ key: i.toString(16).padStart(64, '0'), endpoint: { family: 4, address: '198.18.0.2', port: 20_000 + i, scopeId: 0 } }));

function fakeControl(keys: readonly string[]) {
  const peers = new Map(keys.map((key) => [key, { key, established: false, floating: true }]));
  const greeted: string[] = [];
  const posted: ToWorker[] = [];
  let now = 0;
  const control = {
    deps: { clock: () => now, post: (message: ToWorker) => void posted.push(message) },
    table: { find: (key: string) => peers.get(key), mayConnect: () => true },
    greet: (peer: { key: string }) => void greeted.push(peer.key),
  } as unknown as ControlPlane;
  return { control, peers, greeted, posted, setNow: (t: number) => void (now = t) };
}

describe('restart greeting', () => {
  it('greets at most GREETINGS_PER_TICK a tick, and skips peers that are gone', () => {
    const list = remembered(GREETINGS_PER_TICK + 5);
    const { control, greeted } = fakeControl(list.slice(1).map((peer) => peer.key));
    const greeting = new RestartGreeting(control, list);
    expect(greeting.tick()).toBe(GREETING_TICK);
    expect(greeted).toEqual(list.slice(1, GREETINGS_PER_TICK + 1).map((peer) => peer.key));
    greeting.tick();
    expect(greeted).toHaveLength(list.length - 1);
  });

  it('waits longer between passes than fastd ignores a repeated init from the same address', () => {
    // a router whose answer to pass 1 was lost would ignore a pass within MIN_HANDSHAKE_INTERVAL of it
    expect(PASS_INTERVAL).toBeGreaterThan(MIN_HANDSHAKE_INTERVAL);
  });

  it('greets the peers not back yet again in later passes, then stops', () => {
    const list = remembered(2);
    const { control, peers, greeted, setNow } = fakeControl(list.map((peer) => peer.key));
    const greeting = new RestartGreeting(control, list);
    // between passes it waits for the next one, not tick by tick
    expect(greeting.tick()).toBe(PASS_INTERVAL);
    expect(greeted).toHaveLength(2);
    peers.get(list[0]!.key)!.established = true;
    setNow(PASS_INTERVAL - 1);
    expect(greeting.tick()).toBe(1);
    expect(greeted).toHaveLength(2);
    for (let pass = 1; pass < PASSES; pass++) {
      setNow(pass * PASS_INTERVAL);
      greeting.tick();
    }
    expect(greeted).toEqual([list[0]!.key, ...Array.from({ length: PASSES }, () => list[1]!.key)]);
    setNow(PASSES * PASS_INTERVAL);
    expect(greeting.tick()).toBe(Infinity);
  });

  it("tells the workers where the remembered peers are, for as long as it greets them: their answers bypass a flood's buckets", () => {
    const list = remembered(3);
    const { control, posted } = fakeControl(list.map((peer) => peer.key));
    const greeting = new RestartGreeting(control, list);
    greeting.start();
    greeting.stop();
    expect(posted).toEqual([{ type: 'rememberedEndpoints', endpoints: list.map((peer) => peer.endpoint), forMs: PASSES * PASS_INTERVAL }]);
  });
});
