// Packet memory for the io tests: a shared WebAssembly.Memory, as the buffer pool will use.
import { packetMemory, type PacketMemory } from '../../src/io/native-memory.js';

const PAGE = 65536;

export function testPacketMemory(pages = 64): PacketMemory {
  return packetMemory(new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }));
}

/** Fills length bytes at offset with a pattern derived from seed, so that each packet is recognisable. */
export function fillPattern(bytes: Uint8Array, offset: number, length: number, seed: number): void {
  for (let i = 0; i < length; i++) bytes[offset + i] = (seed * 31 + i * 7) & 0xff;
}

export function hasPattern(bytes: Uint8Array, offset: number, length: number, seed: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[offset + i] !== ((seed * 31 + i * 7) & 0xff)) return false;
  return true;
}

export { PAGE };
