// Hook environments as fastd builds them (src/shell.c, src/peer.c), and hooks really run
// through /bin/sh in their directory.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ShellCommand } from '../../../src/config/types.js';
import { interfaceEnvironment, peerEnvironment, processEnvironment, runHook } from '../../../src/engine/control/hooks.js';

const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-hooks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function command(text: string, sync = true): ShellCommand {
  return { command: text, sync, dir, source: undefined };
}

describe('hook environment', () => {
  it('a peer hook gets every variable fastd sets, in its formats', () => {
    const env = peerEnvironment({
      localKey: 'aa'.repeat(32),
      peer: { name: 'gw1', key: 'bb'.repeat(32) },
      iface: { name: 'fastd0', mtu: 1406 },
      local: { family: 4, address: '192.0.2.1', port: 10000, scopeId: 0 },
      remote: { family: 6, address: '2001:db8::2', port: 655, scopeId: 0 },
    });
    expect(env).toEqual({
      PEER_NAME: 'gw1',
      INTERFACE: 'fastd0',
      INTERFACE_MTU: '1406',
      LOCAL_ADDRESS: '192.0.2.1',
      LOCAL_PORT: '10000',
      PEER_ADDRESS: '2001:db8::2',
      PEER_PORT: '655',
      LOCAL_KEY: 'aa'.repeat(32),
      PEER_KEY: 'bb'.repeat(32),
    });
  });

  it('what fastd has no value for is unset, even when the daemon inherited it', () => {
    const env = peerEnvironment({ localKey: 'aa'.repeat(32), peer: undefined, iface: undefined, local: undefined, remote: undefined });
    const inherited = { PATH: '/bin', PEER_NAME: 'stale', INTERFACE: 'stale', PEER_KEY: 'stale', NOTIFY_SOCKET: '/run/x' };
    const result = processEnvironment(env, inherited);
    expect(result).toEqual({ PATH: '/bin', FASTD_PID: String(process.pid), LOCAL_KEY: 'aa'.repeat(32) });
  });

  it('an interface without a known MTU has no INTERFACE_MTU', () => {
    expect(interfaceEnvironment({ name: 'tun3', mtu: 0 })).toEqual({ INTERFACE: 'tun3', INTERFACE_MTU: undefined });
  });
});

describe('running hooks', () => {
  it('runs /bin/sh -c in the hook directory with FASTD_PID and the variables, and returns the exit status', async () => {
    const status = await runHook(command('pwd > out; echo "$FASTD_PID $INTERFACE" >> out; exit 3'), { INTERFACE: 'fastd0' });
    expect(status).toBe(3);
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe(`${dir}\n${process.pid} fastd0\n`);
  });

  it('a hook killed by a signal has no exit status', async () => {
    expect(await runHook(command('kill -9 $$'), {})).toBeUndefined();
  });
});
