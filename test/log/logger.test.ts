import { afterEach, describe, expect, it, vi } from 'vitest';
import { configureLogging, formatTimestamp, log, logAddress } from '../../src/log/logger.js';

function captureStderr() {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return { lines, restore: () => spy.mockRestore() };
}

const base = { syslogIdent: 'fastd', hideIpAddresses: false, hideMacAddresses: false };

afterEach(() => configureLogging({ ...base, stderrLevel: 'info' }));

describe('logger', () => {
  it('formats timestamps as strftime "%F %T %z"', () => {
    expect(formatTimestamp(new Date(2026, 10, 22, 4, 5, 6))).toMatch(/^2026-11-22 04:05:06 [+-]\d{4}$/);
  });

  it("writes fastd's line format with fastd's level prefixes", () => {
    configureLogging({ ...base, stderrLevel: 'debug2' });
    const out = captureStderr();
    log.error('e');
    log.warn('w');
    log.info('i');
    log.verbose('v');
    log.debug('d');
    log.debug2('d2');
    out.restore();
    const prefixes = out.lines.map((line) => /^\S+ \S+ \S+ --- (.*)\n$/.exec(line)?.[1]);
    expect(prefixes).toEqual(['Error: e', 'Warning: w', 'Info: i', 'Verbose: v', 'DEBUG: d', 'DEBUG2: d2']);
  });

  it('drops messages below the stderr level', () => {
    configureLogging({ ...base, stderrLevel: 'warn' });
    const out = captureStderr();
    log.info('hidden');
    log.verbose('hidden');
    log.warn('shown');
    out.restore();
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(/Warning: shown/);
  });

  it('hides addresses when asked to', () => {
    configureLogging({ ...base, stderrLevel: 'info', hideIpAddresses: true });
    expect(logAddress('192.0.2.1:10000')).toBe('[hidden]');
    configureLogging({ ...base, stderrLevel: 'info', hideMacAddresses: true });
    expect(logAddress('192.0.2.1:10000')).toBe('192.0.2.1:10000');
  });
});
