// `packet memory limit <MiB>;` and --packet-memory-limit MiB: the fastd-ts extension that
// bounds the packet memory (buffer pool, receive slots, crypto state) of each datapath worker.
import { describe, expect, it } from 'vitest';
import { UsageError, usageText } from '../../src/cli/options.ts';
import { BYTES_PER_MIB, PACKET_MEMORY_LIMIT_MIB } from '../../src/config/types.ts';
import { commandLineWith, configErrorOf, loadWithBasics } from './helpers.ts';

const load = loadWithBasics;
const configError = (text: string) => configErrorOf(() => load(text))!;

describe('packet memory limit statement', () => {
  it('defaults to 256 MiB per worker', () => {
    expect(load('').packetMemoryLimit).toBe(256 * BYTES_PER_MIB);
    expect(PACKET_MEMORY_LIMIT_MIB.DEFAULT).toBe(256);
  });

  it('takes MiB, the last statement winning, and leaves packet mark alone', () => {
    expect(load('packet memory limit 64;').packetMemoryLimit).toBe(64 * BYTES_PER_MIB);
    const config = load(`packet memory limit 32;\npacket mark 7;\npacket memory limit ${PACKET_MEMORY_LIMIT_MIB.MAX};`);
    expect(config.packetMemoryLimit).toBe(PACKET_MEMORY_LIMIT_MIB.MAX * BYTES_PER_MIB);
    expect(config.packetMark).toBe(7);
  });

  it('rejects sizes outside the range at the value, and malformed statements', () => {
    for (const bad of [String(PACKET_MEMORY_LIMIT_MIB.MIN - 1), String(PACKET_MEMORY_LIMIT_MIB.MAX + 1), '0']) {
      expect(configError(`packet memory limit ${bad};`).message).toMatch(/invalid packet memory limit .* at .*:3:21$/);
    }
    expect(configError('packet memory limit "64";').message).toMatch(/syntax error/);
    expect(configError('packet memory 64;').message).toMatch(/syntax error/);
    expect(configError('packet limit 64;').message).toMatch(/syntax error/);
  });
});

describe('--packet-memory-limit', () => {
  it('sets the limit in MiB', () => {
    expect(commandLineWith(['--packet-memory-limit', '48']).config.packetMemoryLimit).toBe(48 * BYTES_PER_MIB);
  });

  it('refuses sizes outside the range and words', () => {
    for (const bad of ['0', 'lots', '15', '2049', '64MiB']) {
      expect(() => commandLineWith(['--packet-memory-limit', bad])).toThrow(UsageError);
    }
  });

  it('is listed among the extensions, not in the part of --help that matches fastd', () => {
    expect(usageText(false)).not.toContain('--packet-memory-limit');
    expect(usageText(true)).toMatch(/fastd-ts extensions:[^]*--packet-memory-limit MiB/);
  });
});
