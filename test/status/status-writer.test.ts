// The status document's buffer is sized from the last document's: the same peers again are
// written into one buffer of about their size, not into the first guess grown twice over.
import { describe, expect, it, vi } from 'vitest';
import { connectedPeers, statusSource } from '../helpers/status-source.js';

const PEERS = 100;
// names far longer than the writer's guess per peer
const source = () => statusSource(connectedPeers(PEERS, (peerId) => `router-${peerId}-`.padEnd(300, 'x'), ['02:00:00:00:00:01']), 'tap');

describe('writeStatus', () => {
  it("writes a document into a buffer sized from the last one's", async () => {
    // the unit lane's files share modules: a writer that has written no document yet
    vi.resetModules();
    const { writeStatus } = await import('../../src/status/status-writer.js');
    const first = writeStatus(source());
    const second = writeStatus(source());
    expect(second.toString()).toBe(first.toString());
    expect(second.buffer.byteLength).toBeLessThan(first.buffer.byteLength);
    expect(second.buffer.byteLength).toBeLessThan(1.1 * second.length);
  });
});
