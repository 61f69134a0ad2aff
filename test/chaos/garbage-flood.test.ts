import { describe, expect, it } from 'vitest';
import { udpPayloads } from '../../src/chaos/garbage-flood.js';

/** A nanosecond pcap file of the given Ethernet frames. */
function pcap(frames: readonly Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = new DataView(new ArrayBuffer(24));
  header.setUint32(0, 0xa1b23c4d, true);
  header.setUint32(20, 1, true);
  parts.push(new Uint8Array(header.buffer));
  for (const frame of frames) {
    const record = new DataView(new ArrayBuffer(16));
    record.setUint32(8, frame.length, true);
    record.setUint32(12, frame.length, true);
    parts.push(new Uint8Array(record.buffer), frame);
  }
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

function udpFrame(payload: readonly number[], etherType = 0x0800): Uint8Array {
  const frame = new Uint8Array(14 + 20 + 8 + payload.length);
  frame[12] = etherType >> 8;
  frame[13] = etherType & 0xff;
  frame[14] = 0x45;
  frame[14 + 9] = 17;
  frame[34 + 4] = (8 + payload.length) >> 8;
  frame[34 + 5] = (8 + payload.length) & 0xff;
  frame.set(payload, 42);
  return frame;
}

describe("the capture of a session's packets", () => {
  it('reads the UDP payloads of IPv4 frames, and nothing else', () => {
    const payloads = udpPayloads(pcap([udpFrame([0, 1, 2, 3]), udpFrame([9, 9], 0x86dd), udpFrame([0, 7])]));
    expect(payloads.map((p) => [...p])).toEqual([
      [0, 1, 2, 3],
      [0, 7],
    ]);
  });

  it('refuses a file that is not a nanosecond pcap', () => {
    expect(() => udpPayloads(new Uint8Array(24))).toThrow(/pcap/);
  });
});
