// salsa2012+umac against the speed goal (seal of 1400-byte packets at least as fast as
// sodium-native's crypto_stream_salsa20_xor over the same bytes), measured in one run:
// `npx vitest bench --run test/crypto/umac/salsa-umac.bench.ts` (after `node scripts/build-wasm.mjs`).
// Every benchmark handles one batch of 64 packets of 1400 bytes per iteration, so their hz
// compare directly as bytes/s. A measurement tool: it asserts nothing.
import { randomBytes } from 'node:crypto';
import sodium from 'sodium-native';
import { bench, describe } from 'vitest';
import { parseMethodName } from '../../../../src/crypto/methods/names.js';
import type { MethodSession, PacketBatch } from '../../../../src/crypto/methods/provider.js';
import { umacProvider } from '../../../../src/crypto/methods/umac/umac-provider.js';

const BATCH = 64;
const SIZE = 1400;
const SLOT = 2048;
const HEADROOM = 24;

function session(name: string, memory: WebAssembly.Memory, initiator: boolean, secret: Uint8Array): MethodSession {
  const spec = parseMethodName(name);
  if (spec?.provider !== 'generic-umac' && spec?.provider !== 'composed-umac') throw new Error(name);
  return umacProvider(spec as Parameters<typeof umacProvider>[0]).createSession(secret, { initiator, compat: false }, 0, memory);
}

function batchOf(memory: WebAssembly.Memory): { batch: PacketBatch; reset: () => void } {
  const batch: PacketBatch = {
    memory,
    count: BATCH,
    offsets: new Uint32Array(BATCH),
    lengths: new Uint32Array(BATCH),
    status: new Uint8Array(BATCH),
  };
  const reset = () => {
    for (let i = 0; i < BATCH; i++) {
      batch.offsets[i] = 65536 + i * SLOT + HEADROOM;
      batch.lengths[i] = SIZE;
    }
  };
  reset();
  new Uint8Array(memory.buffer).set(randomBytes(BATCH * SLOT), 65536);
  return { batch, reset };
}

function sealBench(name: string): () => void {
  const memory = new WebAssembly.Memory({ initial: 8, maximum: 1024, shared: true });
  const secret = randomBytes(umacProviderKeyLength(name));
  const sealer = session(name, memory, true, secret);
  const { batch, reset } = batchOf(memory);
  return () => {
    reset();
    sealer.seal(batch, 0);
  };
}

function sealOpenBench(name: string): () => void {
  const memory = new WebAssembly.Memory({ initial: 8, maximum: 1024, shared: true });
  const secret = randomBytes(umacProviderKeyLength(name));
  const sealer = session(name, memory, true, secret);
  const opener = session(name, memory, false, secret);
  const { batch, reset } = batchOf(memory);
  return () => {
    reset();
    sealer.seal(batch, 0);
    opener.open(batch, 0);
  };
}

function umacProviderKeyLength(name: string): number {
  const spec = parseMethodName(name);
  if (spec?.provider !== 'generic-umac' && spec?.provider !== 'composed-umac') throw new Error(name);
  return umacProvider(spec as Parameters<typeof umacProvider>[0]).keyLength;
}

describe(`batches of ${BATCH} × ${SIZE} bytes`, () => {
  const out = Buffer.alloc(SIZE);
  const input = randomBytes(SIZE);
  const nonce = randomBytes(8);
  const key = randomBytes(32);
  bench('sodium-native crypto_stream_salsa20_xor (baseline)', () => {
    for (let i = 0; i < BATCH; i++) sodium.crypto_stream_salsa20_xor(out, input, nonce, key);
  });
  bench('salsa2012+umac seal', sealBench('salsa2012+umac'));
  bench('salsa20+umac seal', sealBench('salsa20+umac'));
  bench('null+salsa2012+umac seal', sealBench('null+salsa2012+umac'));
  bench('salsa2012+umac seal + open', sealOpenBench('salsa2012+umac'));
});
