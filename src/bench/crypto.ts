// Crypto throughput of every fastd data method as the datapath drives it: batches of 64
// packets sealed and opened in place in a shared packet memory. Beside them, libsodium's
// Salsa20 and Poly1305 through sodium-native, one call per packet, as the yardstick; and a
// heap/GC check that salsa2012+umac allocates nothing per packet.
//
// Run: npm run bench:crypto (builds, then runs with --expose-gc). Figures from one run are
// comparable with each other; figures from different runs or machines are not.
import { createRequire } from 'node:module';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { PacketStatus, type MethodProvider, type PacketBatch } from '../crypto/methods/provider.js';
import { createMethodProvider } from '../crypto/methods/registry.js';

const sodium = createRequire(import.meta.url)('sodium-native') as {
  crypto_stream_salsa20_xor(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void;
  crypto_onetimeauth(out: Uint8Array, m: Uint8Array, k: Uint8Array): void;
};

/** fastd's methods; composed umac/gmac take any cipher pair, these are the ones fastd documents. */
const METHODS = [
  'salsa2012+umac', 'salsa20+umac', 'aes128-ctr+umac',
  'null+salsa2012+umac', 'null+salsa20+umac', 'null+aes128-ctr+umac',
  'salsa2012+gmac', 'salsa20+gmac', 'aes128-gcm',
  'null+salsa2012+gmac', 'null+salsa20+gmac', 'null+aes128-gmac',
  'salsa2012+poly1305', 'salsa20+poly1305', 'aes128-ctr+poly1305',
  'salsa2012+cipher-test', 'salsa20+cipher-test', 'aes128-ctr+cipher-test', 'null+cipher-test',
  'null', 'null@l2tp',
];
const SIZES = [64, 576, 1400];
const BATCH = 64;
/** Room in front of each payload for any method's overhead, and the slot size per packet. */
const HEADROOM = 64;
const SLOT = 2048;
/** Each figure is the fastest of ROUNDS rounds of ROUND_MS: the machine is shared, the best round is the least disturbed. */
const ROUNDS = 5;
const ROUND_MS = 60;

const memory = new WebAssembly.Memory({ initial: 64, maximum: 4096, shared: true });
const batch: PacketBatch = {
  memory,
  count: BATCH,
  offsets: new Uint32Array(BATCH),
  lengths: new Uint32Array(BATCH),
  status: new Uint8Array(BATCH),
};
const payloadAt = (i: number) => i * SLOT + HEADROOM;

function resetPayloads(size: number): void {
  for (let i = 0; i < BATCH; i++) {
    batch.offsets[i] = payloadAt(i);
    batch.lengths[i] = size;
  }
}

interface Figure {
  nsPerPacket: number;
  mbPerSecond: number;
}

function figure(packets: number, size: number, ms: number): Figure {
  return { nsPerPacket: (ms * 1e6) / packets, mbPerSecond: (packets * size) / (ms * 1e3) };
}

/** Times `run` (one batch) in rounds; `prepare` runs untimed before each batch. */
function measure(size: number, run: () => void, prepare: () => void = () => resetPayloads(size)): Figure {
  for (let i = 0; i < 20; i++) {
    prepare();
    run();
  }
  let best: Figure | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    let spent = 0;
    let batches = 0;
    while (spent < ROUND_MS) {
      prepare();
      const start = performance.now();
      run();
      spent += performance.now() - start;
      batches++;
    }
    const f = figure(batches * BATCH, size, spent);
    if (!best || f.nsPerPacket < best.nsPerPacket) best = f;
  }
  return best!;
}

function checkAll(what: string): void {
  for (let i = 0; i < BATCH; i++)
    if (batch.status[i] !== PacketStatus.Ok) throw new Error(`${what}: packet ${i} has status ${batch.status[i]}`);
}

function benchMethod(provider: MethodProvider, size: number): { seal: Figure; open: Figure } {
  const secret = new Uint8Array(provider.keyLength).map((_, i) => i * 7 + 1);
  const sender = provider.createSession(secret, { initiator: true, compat: false }, 0, memory);
  const receiver = provider.createSession(secret, { initiator: false, compat: false }, 0, memory);
  const seal = measure(size, () => sender.seal(batch, 1));
  const open = measure(
    size,
    () => receiver.open(batch, 1),
    () => {
      resetPayloads(size);
      sender.seal(batch, 1);
    },
  );
  checkAll(`${provider.name} open`);
  sender.destroy();
  receiver.destroy();
  return { seal, open };
}

function benchSodium(size: number): { salsa20: Figure; poly1305: Figure } {
  const key = new Uint8Array(32).fill(3);
  const nonce = new Uint8Array(8);
  const packets = Array.from({ length: BATCH }, () => new Uint8Array(size));
  const tag = new Uint8Array(16);
  const salsa20 = measure(size, () => {
    for (const p of packets) sodium.crypto_stream_salsa20_xor(p, p, nonce, key);
  }, () => {});
  const poly1305 = measure(size, () => {
    for (const p of packets) sodium.crypto_onetimeauth(tag, p, key);
  }, () => {});
  return { salsa20, poly1305 };
}

/** Heap growth and garbage collections over many salsa2012+umac batches, after warming up. */
async function allocationCheck(): Promise<string> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return 'allocation check skipped: run node with --expose-gc';
  const provider = createMethodProvider('salsa2012+umac')!;
  const secret = new Uint8Array(provider.keyLength).fill(5);
  const sender = provider.createSession(secret, { initiator: true, compat: false }, 0, memory);
  const receiver = provider.createSession(secret, { initiator: false, compat: false }, 0, memory);
  const round = () => {
    resetPayloads(1400);
    sender.seal(batch, 1);
    receiver.open(batch, 1);
  };
  for (let i = 0; i < 1000; i++) round();
  let collections = 0;
  const observer = new PerformanceObserver((list) => (collections += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  gc();
  await new Promise((resolve) => setTimeout(resolve, 10));
  collections = 0;
  const rounds = 20_000;
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < rounds; i++) round();
  const after = process.memoryUsage().heapUsed;
  await new Promise((resolve) => setTimeout(resolve, 10));
  observer.disconnect();
  checkAll('allocation check');
  const packets = rounds * BATCH * 2;
  return (
    `salsa2012+umac, 1400 B, ${packets} packets sealed+opened: heap ${((after - before) / 1024).toFixed(1)} KiB ` +
    `(${((after - before) / packets).toFixed(3)} B/packet), ${collections} garbage collection(s) meanwhile`
  );
}

const cell = (f: Figure) => `${f.mbPerSecond.toFixed(0).padStart(6)} MB/s ${f.nsPerPacket.toFixed(0).padStart(6)} ns`;

async function main(): Promise<void> {
  const header = ['method'.padEnd(24), ...SIZES.flatMap((s) => [`seal ${s} B`.padEnd(22), `open ${s} B`.padEnd(22)])];
  console.log(header.join(' | '));
  let salsa2012UmacSeal1400: Figure | undefined;
  for (const name of METHODS) {
    const provider = createMethodProvider(name);
    if (!provider) throw new Error(`method ${name} is not registered`);
    const row = [name.padEnd(24)];
    for (const size of SIZES) {
      const { seal, open } = benchMethod(provider, size);
      if (name === 'salsa2012+umac' && size === 1400) salsa2012UmacSeal1400 = seal;
      row.push(cell(seal).padEnd(22), cell(open).padEnd(22));
    }
    console.log(row.join(' | '));
  }
  const sodiumRows = SIZES.map(benchSodium);
  const label = (s: string) => s.padEnd(24);
  console.log([label('sodium salsa20_xor'), ...sodiumRows.map((r) => cell(r.salsa20).padEnd(47))].join(' | '));
  console.log([label('sodium onetimeauth'), ...sodiumRows.map((r) => cell(r.poly1305).padEnd(47))].join(' | '));
  const sodiumSalsa1400 = sodiumRows[SIZES.indexOf(1400)].salsa20;
  if (salsa2012UmacSeal1400)
    console.log(
      `\nsalsa2012+umac seal 1400 B / sodium salsa20_xor 1400 B: ` +
        `${(salsa2012UmacSeal1400.mbPerSecond / sodiumSalsa1400.mbPerSecond).toFixed(2)} (throughput ratio)`,
    );
  console.log(await allocationCheck());
}

await main();
